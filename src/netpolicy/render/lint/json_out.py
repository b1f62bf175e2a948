"""Lint findings as JSON, exactly as INTERFACES.md `lint` specifies."""

from __future__ import annotations

from collections.abc import Iterable

from netpolicy.analysis.lint.finding import Finding


def findings_json(findings: Iterable[Finding]) -> dict:
    """`{"findings": [{rule, severity, message, object, file, line, suggestion}, …]}`."""
    return {"findings": [finding_json(f) for f in findings]}


def finding_json(finding: Finding) -> dict:
    """One finding as INTERFACES.md specifies it."""
    return {"rule": finding.rule, "severity": finding.severity, "message": finding.message,
            "object": finding.object, "file": finding.file, "line": finding.line, "suggestion": finding.suggestion}
