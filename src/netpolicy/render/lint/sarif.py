"""Lint findings as SARIF 2.1.0, the format code-scanning services (GitHub's among them) read."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from types import ModuleType

from netpolicy.analysis.lint.finding import ERROR, WARNING, Finding

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {ERROR: "error", WARNING: "warning"}


def findings_sarif(findings: Iterable[Finding], rules: dict[str, ModuleType], cwd: Path | None = None) -> dict:
    """A SARIF log with one run: the rule catalogue as the driver's rules, each finding as a result."""
    from netpolicy import __version__

    ids = list(rules)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "netpolicy",
                "version": __version__,
                "rules": [_rule(module) for module in rules.values()],
            }},
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, ids, cwd or Path.cwd()) for f in findings],
        }],
    }


def _rule(module: ModuleType) -> dict:
    from netpolicy.analysis.lint.rules import summary

    return {
        "id": module.ID,
        "name": "".join(part.capitalize() for part in module.ID.split("-")),
        "shortDescription": {"text": summary(module)},
        "fullDescription": {"text": module.DOC},
        "defaultConfiguration": {"level": LEVELS.get(module.SEVERITY, "note")},
        "help": {"text": module.DOC},
    }


def _result(finding: Finding, ids: list[str], cwd: Path) -> dict:
    text = finding.message + (f". Suggestion: {finding.suggestion}" if finding.suggestion else "")
    location: dict = {"logicalLocations": [{"fullyQualifiedName": finding.object, "kind": "resource"}]}
    if finding.file:
        physical: dict = {"artifactLocation": {"uri": artifact_uri(finding.file, cwd)}}
        if finding.line:
            physical["region"] = {"startLine": finding.line}
        location["physicalLocation"] = physical
    result = {
        "ruleId": finding.rule,
        "level": LEVELS.get(finding.severity, "note"),
        "message": {"text": text},
        "locations": [location],
        "properties": {"object": finding.object, "severity": finding.severity, "suggestion": finding.suggestion},
    }
    if finding.rule in ids:
        result["ruleIndex"] = ids.index(finding.rule)
    return result


def artifact_uri(file: str, cwd: Path) -> str:
    """A relative URI for files under `cwd` (what code scanning expects), else an absolute `file:` URI."""
    path = Path(file)
    if not path.is_absolute():
        return PurePosixPath(*path.parts).as_posix()
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_uri()
