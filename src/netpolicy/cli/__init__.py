"""Command-line interface: options → library call → renderer, and exit codes (0 ok, 1 findings, 2 bad input).

Each command group is one module (`matrix`, `query`, `lint`, …) built on `shared`; `commands` registers
them on the app. A new command is a new module and one line in `commands`.
"""

from netpolicy.cli.commands import app, main

__all__ = ["app", "main"]
