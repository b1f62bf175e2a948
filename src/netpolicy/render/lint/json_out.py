"""Lint findings as JSON, exactly as INTERFACES.md `lint` specifies."""

from __future__ import annotations

from collections.abc import Iterable

from netpolicy.analysis.lint.finding import Finding


def findings_json(findings: Iterable[Finding]) -> dict:
    """`{"findings": [{rule, severity, message, object, file, line, suggestion}, …]}`."""
    return {"findings": [f.to_json() for f in findings]}
