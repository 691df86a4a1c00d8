"""Click commands of catdog.classify."""

commands = []
