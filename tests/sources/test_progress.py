"""The read progress bar: drawn only on a terminal, and only once the read is slow."""

from __future__ import annotations

import io

from netpolicy.sources.progress import ReadProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with ReadProgress(100, stream=stream, delay=0) as progress:
        progress.update(50, "big.yaml")
    assert stream.getvalue() == ""


def test_no_bar_for_a_fast_read() -> None:
    stream = Terminal()
    with ReadProgress(100, stream=stream, delay=3600) as progress:
        progress.update(50, "big.yaml")
    assert stream.getvalue() == ""


def test_bar_for_a_slow_read_on_a_terminal() -> None:
    stream = Terminal()
    with ReadProgress(100, stream=stream, delay=0) as progress:
        progress.update(50, "big.yaml")
        progress.update(100, "big.yaml")
    assert "reading big.yaml" in stream.getvalue()
