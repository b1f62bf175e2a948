"""Lint findings as GitHub Actions workflow commands, which GitHub shows as annotations on the files."""

from __future__ import annotations

from collections.abc import Iterable

from netpolicy.analysis.lint.finding import ERROR, WARNING, Finding
from netpolicy.escape import github_data, github_property

#: GitHub's annotation commands: `error`, `warning` and `notice`.
COMMANDS = {ERROR: "error", WARNING: "warning"}


def github_annotations(findings: Iterable[Finding]) -> str:
    """One `::error file=…,line=…,title=…::message` line per finding."""
    lines = []
    for finding in findings:
        properties = []
        if finding.file:
            properties.append(f"file={github_property(finding.file)}")
            if finding.line:
                properties.append(f"line={finding.line}")
        properties.append(f"title={github_property(f'{finding.rule} ({finding.object})')}")
        text = finding.message + (f". Suggestion: {finding.suggestion}" if finding.suggestion else "")
        lines.append(f"::{COMMANDS.get(finding.severity, 'notice')} {','.join(properties)}::{github_data(text)}")
    return "".join(line + "\n" for line in lines)
