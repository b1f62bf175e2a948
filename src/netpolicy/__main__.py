"""`python -m netpolicy` runs the command-line interface."""

from netpolicy.cli import main

main()
