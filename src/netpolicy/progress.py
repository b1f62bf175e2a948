"""A progress bar on stderr for long work: only on a terminal, and only once the work passes a second."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

#: Seconds work must run before a bar appears (short work never flashes one).
DELAY = 1.0

#: What long computations are given to say how far they are: `(stage, done, total)`.
StageReport = Callable[[str, int, int], None]


class Progress:
    """Reports `done` out of `total` (characters read, classes done) for named stages (`reading
    pods.json`, `side tables`, ...); draws one transient rich bar when worth it."""

    def __init__(self, total: int = 1, *, stream: TextIO | None = None, delay: float = DELAY) -> None:
        self._total = max(total, 1)
        self._stream = stream if stream is not None else sys.stderr
        self._start = time.monotonic()
        self._delay = delay
        self._enabled = _is_terminal(self._stream)
        self._bar: Any = None
        self._task: Any = None

    def update(self, done: int, description: str = "") -> None:
        """Record that `done` units of the total are finished."""
        if not self._enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._start < self._delay:
                return
            self._open()
        self._bar.update(self._task, completed=min(done, self._total), description=description)

    def stage(self, description: str, done: int, total: int) -> None:
        """Record progress in a stage with its own total (the bar restarts when the total changes)."""
        if total != self._total:
            self._total = max(total, 1)
            if self._bar is not None:
                self._bar.reset(self._task, total=self._total)
        self.update(done, description)

    def close(self) -> None:
        """Remove the bar, if one was drawn."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                 TimeRemainingColumn(), console=Console(file=self._stream), transient=True)
        self._task = self._bar.add_task("", total=self._total)
        self._bar.start()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
