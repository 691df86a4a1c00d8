"""Data intake: checking the dataset, moving corrupt files to Trash/, fetching the archive."""
