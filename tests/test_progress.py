"""The progress bar: drawn only on a terminal, only once the work is slow, one bar for every stage."""

from __future__ import annotations

import io

from netpolicy.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(100, stream=stream, delay=0) as progress:
        progress.update(50, "reading big.yaml")
    assert stream.getvalue() == ""


def test_no_bar_for_fast_work() -> None:
    stream = Terminal()
    with Progress(100, stream=stream, delay=3600) as progress:
        progress.update(50, "reading big.yaml")
        progress.stage("side tables", 5, 10)
    assert stream.getvalue() == ""


def test_bar_for_slow_work_on_a_terminal() -> None:
    stream = Terminal()
    with Progress(100, stream=stream, delay=0) as progress:
        progress.update(50, "reading big.yaml")
        progress.update(100, "reading big.yaml")
    assert "reading big.yaml" in stream.getvalue()


def test_stages_share_one_bar() -> None:
    stream = Terminal()
    with Progress(stream=stream, delay=0) as progress:
        progress.stage("side tables", 10, 40)
        progress.stage("class pairs (IPv4)", 20, 80)
    text = stream.getvalue()
    assert "side tables" in text and "class pairs (IPv4)" in text
