"""Lint findings as text: grouped by file, file:line, severity, message and suggestion."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from netpolicy.render.lint.text import render_findings_text, render_rules_text, summary
from tests.golden import assert_golden

from .findings import FINDINGS

GOLDEN = Path(__file__).parent / "golden" / "lint_text.txt"


def _render(findings, **console_options) -> str:
    out = io.StringIO()
    console = Console(file=out, width=80, highlight=False, **console_options)
    render_findings_text(sorted(findings, key=lambda f: f.sort_key()), console)
    return out.getvalue()


def test_matches_golden():
    assert_golden(GOLDEN, _render(FINDINGS, color_system=None))


def test_severities_are_coloured():
    coloured = _render(FINDINGS, color_system="standard", force_terminal=True)
    assert "\x1b[1;31merror" in coloured and "\x1b[33mwarning" in coloured and "\x1b[36minfo" in coloured


def test_summary():
    assert summary([]) == "no findings"
    assert summary(FINDINGS) == "3 findings: 1 error, 1 warning, 1 info"
    assert summary(FINDINGS[:1]) == "1 finding: 1 error"


def test_rule_catalogue():
    from netpolicy.analysis.lint import RULES

    out = io.StringIO()
    render_rules_text(RULES, Console(file=out, width=200, color_system=None))
    lines = out.getvalue().splitlines()
    assert len(lines) == len(RULES) + 1
    assert lines[1].split()[:2] == ["selects-nothing", "warning"]
