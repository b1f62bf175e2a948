"""Large results kept until the process ends: the process exits without freeing them object by object.

Freeing a 150,000-pod cluster and its matrix one object at a time takes seconds once the output is
written; a command that keeps them lets the entry point flush its streams and end the process instead.
"""

from __future__ import annotations

import os
import sys

_kept: list[object] = []


def keep(*objects: object) -> None:
    """Keep the objects alive to the end (in place of any kept before): the process then ends without
    freeing them."""
    _kept[:] = objects


def forget() -> None:
    """Keep nothing: a command run from here on exits the ordinary way unless it keeps something."""
    _kept.clear()


def exit_now(code: object) -> None:
    """When results were kept and the exit code is a number (or None), flush stdout and stderr and end
    the process with that code; otherwise return (the caller exits the ordinary way)."""
    if not _kept or not (code is None or isinstance(code, int)):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
