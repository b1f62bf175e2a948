"""Lint findings as GitHub Actions workflow commands, which GitHub shows as annotations on the files."""

from __future__ import annotations

from collections.abc import Iterable

from netpolicy.analysis.lint.finding import ERROR, WARNING, Finding

#: GitHub's annotation commands: `error`, `warning` and `notice`.
COMMANDS = {ERROR: "error", WARNING: "warning"}


def github_annotations(findings: Iterable[Finding]) -> str:
    """One `::error file=…,line=…,title=…::message` line per finding."""
    lines = []
    for finding in findings:
        properties = []
        if finding.file:
            properties.append(f"file={_property(finding.file)}")
            if finding.line:
                properties.append(f"line={finding.line}")
        properties.append(f"title={_property(f'{finding.rule} ({finding.object})')}")
        text = finding.message + (f". Suggestion: {finding.suggestion}" if finding.suggestion else "")
        lines.append(f"::{COMMANDS.get(finding.severity, 'notice')} {','.join(properties)}::{_data(text)}")
    return "".join(line + "\n" for line in lines)


def _data(text: str) -> str:
    """Escape a command's message as the Actions runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """Escape a command property's value (`:` and `,` separate properties)."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")
