"""Lint text lists info findings only on request; JSON, SARIF and --fail-on see them all.

Input: the Kubernetes docs' NetworkPolicy example (kubernetes/website
content/en/examples/service/networking/networkpolicy.yaml) with its pods: one warning (blocked DNS) and two
`unprotected-namespace` info findings about `default`, which used to drown the one that matters.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from netpolicy.cli import app

from .docs_example import write_example


def lint(tmp_path: Path, *extra: str):
    policy, manifests = write_example(tmp_path)
    return CliRunner().invoke(app, ["lint", "-f", str(policy), str(manifests), *extra])


def test_text_hides_info_findings_and_says_how_to_list_them(tmp_path: Path) -> None:
    result = lint(tmp_path)
    assert result.exit_code == 0, result.output
    assert "warning dns-egress-blocked" in result.stdout
    assert "unprotected-namespace" not in result.stdout
    assert result.stdout.rstrip().endswith("3 findings: 1 warning, 2 info\n2 info findings hidden; --show-info to list them")


def test_show_info_lists_them(tmp_path: Path) -> None:
    result = lint(tmp_path, "--show-info")
    assert result.stdout.count("info unprotected-namespace") == 2
    assert "hidden" not in result.stdout


def test_json_and_sarif_keep_every_finding(tmp_path: Path) -> None:
    data = json.loads(lint(tmp_path, "-o", "json").stdout)
    findings = data["findings"] if isinstance(data, dict) else data
    assert sorted(f["severity"] for f in findings) == ["info", "info", "warning"]
    sarif = json.loads(lint(tmp_path, "-o", "sarif").stdout)
    assert len(sarif["runs"][0]["results"]) == 3


def test_fail_on_info_fails_and_lists_what_failed(tmp_path: Path) -> None:
    result = lint(tmp_path, "--fail-on", "info")
    assert result.exit_code == 1
    assert result.stdout.count("info unprotected-namespace") == 2
    assert lint(tmp_path, "--fail-on", "warning").exit_code == 1
    assert lint(tmp_path).exit_code == 0
