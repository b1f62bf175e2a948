"""Expectation results as text and JSON."""

from __future__ import annotations

from rich.console import Console

from netpolicy.render.expectations.json_out import report_json
from netpolicy.render.expectations.text import render_report_text, summary
from tests.render.test_junit import MIXED, _report


def test_json_shape(tmp_path):
    data = report_json(_report(tmp_path, MIXED))
    assert data["summary"] == {"expectations": 4, "passed": 2, "failed": 1, "errors": 1}
    ok, failed, errored, outside = data["results"]
    assert (ok["status"], ok["pairs"], ok["failures"]) == ("pass", 1, [])
    assert ok["line"] == 2 and ok["file"].endswith("a.yaml")
    assert ok["from"] == ["endpoint x/web"] and ok["connections"] == [{"protocol": "TCP", "ports": "5432"}]
    (pair,) = failed["failures"]
    assert (pair["from"], pair["to"]) == ("y/web2", "x/db")
    assert pair["missing"] == [{"protocol": "TCP", "ports": "5432"}] and pair["unexpected"] == []
    assert pair["flow"]["verdict"] == "deny" and pair["flow"]["ingress"]["trace"][-1]["action"] == "EndOfTier"
    assert errored["status"] == "error" and "no endpoint x/nope" in errored["notes"][0]
    assert (outside["status"], outside["expect"], outside["quantifier"]) == ("pass", "deny", "every")


def test_text_marks_each_expectation_and_details_failures(tmp_path):
    report = _report(tmp_path, MIXED)
    console = Console(record=True, width=300)
    render_report_text(report, console)
    lines = [line.rstrip() for line in console.export_text().splitlines()]
    assert lines[1] == "  ✔ check  (1 pair)"
    assert lines[2] == "  ✘ check  (1 of 1 pair fails)"
    assert lines[3].strip().endswith("allow TCP 5432 from endpoint y/web2 to endpoint x/db, for every pair")
    assert any(line.strip() == "y/web2 → x/db: TCP 5432 not allowed (allowed: nothing)" for line in lines)
    assert any(line.strip().startswith("flow y/web2 → x/db TCP 5432: deny") for line in lines)
    assert any(line.strip().startswith("could not be checked: expectations[2].from: no endpoint x/nope")
               for line in lines)
    assert lines[-1] == summary(report) == "2 of 4 expectations hold; 1 fail; 1 could not be checked."


def test_verbose_text_details_passing_expectations(tmp_path):
    report = _report(tmp_path, {"ok.yaml": MIXED["a.yaml"][:1]})
    quiet, loud = Console(record=True, width=300), Console(record=True, width=300)
    render_report_text(report, quiet)
    render_report_text(report, loud, verbose=True)
    assert "holds for 1 pair" not in quiet.export_text()
    assert "holds for 1 pair" in loud.export_text()
