"""Lint findings as SARIF 2.1.0, validated against the official schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from netpolicy.analysis.lint import RULES
from netpolicy.render.lint.sarif import artifact_uri, findings_sarif

from .findings import FINDINGS

SCHEMA = json.loads((Path(__file__).parents[2] / "data" / "sarif-schema-2.1.0.json").read_text())


def _validate(log: dict) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(json.loads(json.dumps(log)))


def test_fixed_findings_validate():
    log = findings_sarif(FINDINGS, RULES, Path("/work"))
    _validate(log)
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(RULES)
    levels = [r["level"] for r in run["results"]]
    assert levels == ["error", "warning", "note"]
    first = run["results"][0]
    assert first["ruleIndex"] == list(RULES).index("dns-egress-blocked")
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "policies/deny.yaml"}, "region": {"startLine": 9}}
    assert "physicalLocation" not in run["results"][2]["locations"][0]


def test_invalid_log_is_rejected_by_the_schema():
    log = findings_sarif(FINDINGS, RULES, Path("/work"))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        _validate(log)


@pytest.mark.parametrize("policies", ["k8s-policies", "calico-policies"])
def test_example_validates(example, policies):
    from tests.analysis.lint.support import lint_paths

    findings = lint_paths([example / "manifests", example / policies])
    log = findings_sarif(findings, RULES, example.parent.parent)
    _validate(log)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert all(uri.startswith(f"examples/trojanwall/{policies}/") for uri in uris)


@pytest.mark.parametrize("file, uri", [
    ("examples/a.yaml", "examples/a.yaml"),
    ("/repo/examples/a.yaml", "examples/a.yaml"),
    ("/elsewhere/a.yaml", "file:///elsewhere/a.yaml"),
])
def test_artifact_uri(file, uri):
    assert artifact_uri(file, Path("/repo")) == uri
