"""Showing results: the machine, a rich table on the terminal, and the same table in bench/RESULTS.md."""

from __future__ import annotations

import datetime
import os
import platform
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
TITLE = "# netpolicy benchmark results\n\nWritten by `make bench` and `make bench-compare`; each run replaces its own section.\n"

Row = Sequence[str]


def seconds(value: float | None) -> str:
    """A duration for a table cell."""
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def megabytes(value: float | None) -> str:
    """A size in MB for a table cell."""
    return "—" if value is None else f"{value:,.0f}"


def count(value: int) -> str:
    """A count for a table cell."""
    return f"{value:,}"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    memory = "?"
    cpu = platform.processor() or "?"
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
        memory = f"{kib / 1024 / 1024:.1f} GiB"
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        cpu = found.group(1).strip() if found else cpu
    except (OSError, AttributeError):
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "nproc": str(cpus), "memory": memory, "cpu": cpu,
            "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}",
            "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
            "commit": _commit()}


def _commit() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10,
                              cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return done.stdout.strip() or "?"


def machine_line(info: dict[str, str]) -> str:
    """One line naming the machine."""
    return (f"{info['date']} · {info['nproc']} CPUs ({info['cpu']}) · {info['memory']} RAM · "
            f"Python {info['python']} · {info['system']} · load average {info['load']} at start · "
            f"commit {info['commit']}")


def print_table(title: str, headers: Sequence[str], rows: Sequence[Row], console=None) -> None:
    """A rich table on the terminal (numbers right-aligned)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for index, header in enumerate(headers):
        numeric = _numeric_column(rows, index)
        table.add_column(header, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*row)
    (console or Console(width=_width())).print(table)


def _width() -> int | None:
    """The terminal's width, or a wide page when the output is not a terminal."""
    return None if sys.stdout.isatty() else 160


def _numeric_column(rows: Sequence[Row], index: int) -> bool:
    """Whether every filled cell of the column is a number (such columns are right-aligned)."""
    cells = [row[index] for row in rows if row[index] != "—"]
    return bool(cells) and all(re.fullmatch(r"[≥>]?[\d,.]+×?", cell) for cell in cells)


def markdown_table(headers: Sequence[str], rows: Sequence[Row]) -> str:
    """The same table as GitHub Markdown."""
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    aligns = ["---:" if _numeric_column(rows, i) else "---" for i in range(len(headers))]
    return "\n".join([line(headers), "| " + " | ".join(aligns) + " |", *(line(row) for row in rows)]) + "\n"


def write_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Replace the section `name` of the results file, keeping the others; a new section goes after the last
    one (before any notes that follow the sections)."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else TITLE
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        ends = list(re.finditer(r"<!-- end [^>]*-->\n?", text))
        cut = ends[-1].end() if ends else len(text)
        before, after = text[:cut].rstrip(), text[cut:].lstrip("\n")
        text = before + "\n\n" + block + ("\n" + after if after else "")
    path.write_text(text, encoding="utf-8")
