"""Bulk work on large inputs: the cyclic garbage collector paused while millions of objects are made."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Past this many new objects tracked by the collector, they are frozen when the work ends.
FREEZE_ABOVE = 500_000


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while parsing or building (the data made is acyclic).

    After a large batch the new objects are frozen (`gc.freeze`), so that the collector never rescans
    them; being acyclic, they are still freed by reference counting once unused. Without this, the
    first collections after a 150,000-pod load would rescan every object read, several times.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_count()[0] > FREEZE_ABOVE:
                gc.freeze()
            gc.enable()
