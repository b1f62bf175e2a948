"""The consoles commands print to: every segment written passes through `escape.terminal_lines`."""

from __future__ import annotations

import sys

from netpolicy.escape import terminal_lines

PIPE_WIDTH = 140  # columns when the output is not a terminal


class _Escaped:
    """A renderable whose text segments are escaped after layout; rich's own control codes are kept."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __rich_console__(self, console, options):
        from rich.segment import Segment

        for segment in console.render(self.inner, options):
            if segment.control:
                yield segment
            else:
                yield Segment(terminal_lines(segment.text), segment.style)

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        return Measurement.get(console, options, self.inner)


def _hook():
    from rich.console import RenderHook

    class EscapeHook(RenderHook):
        def process_renderables(self, renderables):
            return [_Escaped(r) for r in renderables]

    return EscapeHook()


def make_console(stderr: bool = False):
    """A rich console on stdout (or stderr) that cannot write a control character taken from the input."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else PIPE_WIDTH
    console = Console(stderr=stderr, highlight=False, width=width, emoji=False)
    console.push_render_hook(_hook())
    return console
