"""`python -m mailyard` runs the command line."""

from mailyard.cli.main import run

run()
