"""`matrix --form`: pairs, the compact JSON form and the text summary, chosen by size under `auto`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from netpolicy import expand_compact
from netpolicy.cli import app
from netpolicy.render import matrix_forms
from tests.conftest import EXAMPLE

RUNNER = CliRunner()
CALICO = ["-f", str(EXAMPLE / "manifests"), "-f", str(EXAMPLE / "calico-policies")]


def invoke(*args: str):
    return RUNNER.invoke(app, ["matrix", *CALICO, *args])


def test_compact_form_expands_to_the_class_pairs():
    compact = invoke("-o", "json", "--form", "compact")
    assert compact.exit_code == 0, compact.output
    doc = json.loads(compact.stdout)
    assert doc["form"] == "compact" and set(doc) == {"form", "peer_classes", "classes", "tables", "peer_sets",
                                                     "connections"}
    pairs = json.loads(invoke("-o", "json", "--group-by", "class", "--form", "pairs").stdout)
    assert "form" not in pairs
    assert sorted(expand_compact(doc), key=str) == sorted(pairs["flows"], key=str)


@pytest.mark.parametrize("args, starts", [
    (("-o", "json"), '{"form": "compact"'),
    (("-o", "text"), "3 endpoints in 1 namespace, 3 classes, up to"),
])
def test_auto_form_above_the_limit(monkeypatch, args, starts):
    monkeypatch.setattr(matrix_forms, "COMPACT_ABOVE", 0)
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(starts)
    if args[1] == "json":
        assert "writing the compact form; --form pairs for every pair" in result.stderr


def test_auto_form_below_the_limit_lists_pairs():
    doc = json.loads(invoke("-o", "json").stdout)
    assert "flows" in doc and "form" not in doc


def test_csv_above_the_limit_asks_for_form_pairs(monkeypatch):
    monkeypatch.setattr(matrix_forms, "COMPACT_ABOVE", 0)
    refused = invoke("-o", "csv")
    assert refused.exit_code == 2 and "--form pairs" in refused.stderr
    assert invoke("-o", "csv", "--form", "pairs").exit_code == 0


def test_compact_form_needs_json():
    result = invoke("-o", "text", "--form", "compact")
    assert result.exit_code == 2 and "-o json --form compact" in result.stderr
