"""Click commands of catdog.gan."""

commands = []
