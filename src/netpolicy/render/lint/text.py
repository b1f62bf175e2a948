"""Lint findings as readable text: grouped by file, `file:line`, severity in colour, and the suggestion."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from itertools import groupby

from netpolicy.analysis.lint.finding import ERROR, INFO, SEVERITIES, WARNING, Finding

STYLES = {ERROR: "bold red", WARNING: "yellow", INFO: "cyan"}
NO_FILE = "(objects without a file)"
INDENT = "    "


def render_findings_text(findings: Iterable[Finding], console, show_info: bool = True) -> None:
    """Print the findings file by file, then a one-line count by severity; without `show_info`, info
    findings are counted but not listed, and a closing line says how to list them."""
    from rich.markup import escape
    from rich.text import Text

    findings = list(findings)
    shown = findings if show_info else [f for f in findings if f.severity != INFO]
    width = max(40, console.width)
    for file, group in groupby(shown, key=lambda f: f.file or NO_FILE):
        console.print(Text(file, style="bold underline"))
        for finding in group:
            place = f"{finding.file}:{finding.line}" if finding.file and finding.line else finding.file
            style = STYLES.get(finding.severity, "")
            console.print(f"  {escape(place) + ': ' if place else ''}[{style}]{finding.severity}[/{style}] "
                          f"[bold]{finding.rule}[/bold] {escape(finding.object)}", soft_wrap=True)
            console.print(Text(_indented(finding.message, width)), soft_wrap=True)
            if finding.suggestion:
                console.print(Text(_indented("→ " + finding.suggestion, width), style="green"), soft_wrap=True)
        console.print()
    console.print(summary(findings))
    hidden = len(findings) - len(shown)
    if hidden:
        console.print(f"{hidden} info finding{'s' if hidden != 1 else ''} hidden; --show-info to list "
                      f"{'them' if hidden != 1 else 'it'}")


def _indented(text: str, width: int) -> str:
    """`text` wrapped to the width, every line indented by four spaces."""
    return textwrap.fill(text, width=width, initial_indent=INDENT, subsequent_indent=INDENT,
                         break_long_words=False, break_on_hyphens=False)


def summary(findings: list[Finding]) -> str:
    """`5 findings: 2 errors, 3 warnings` or `no findings`."""
    if not findings:
        return "no findings"
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    words = {ERROR: ("error", "errors"), WARNING: ("warning", "warnings"), INFO: ("info", "info")}
    parts = [f"{n} {words[s][n != 1]}" for s, n in counts.items() if n]
    return f"{len(findings)} finding{'s' if len(findings) != 1 else ''}: {', '.join(parts)}"


def render_rules_text(rules: dict, console) -> None:
    """The rule catalogue: id, default severity and what the rule means."""
    from rich.table import Table

    from netpolicy.analysis.lint.rules import summary

    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2, 0, 0))
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("what it means")
    for rule_id, module in rules.items():
        style = STYLES.get(module.SEVERITY, "")
        table.add_row(rule_id, f"[{style}]{module.SEVERITY}[/{style}]", summary(module))
    console.print(table)
