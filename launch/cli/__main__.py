"""`python -m launch.cli`: the `creditunion` command where the console script is not installed."""

from launch.cli import run

run()
