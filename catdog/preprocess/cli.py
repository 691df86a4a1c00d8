"""Click commands of catdog.preprocess."""

commands = []
