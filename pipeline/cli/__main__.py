"""`python -m pipeline.cli`: the same as the `newswatch` command."""

from pipeline.cli import main

main()
