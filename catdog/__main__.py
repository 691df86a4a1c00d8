from catdog.cli import main

main()
