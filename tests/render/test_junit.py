"""JUnit XML of expectation results, validated against the common JUnit schema (tests/data/junit-10.xsd)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from netpolicy.analysis.expectations.check import check_expectations
from netpolicy.analysis.expectations.load import load_suites
from netpolicy.api import load_documents
from netpolicy.render.expectations.junit import report_junit
from tests.analysis.expectations.test_expectations import CLUSTER, DB, _expectation, _write

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "junit-10.xsd"


@pytest.fixture(scope="module")
def schema():
    etree = pytest.importorskip("lxml.etree")
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def _report(tmp_path: Path, files: dict[str, list[dict]]):
    suites = load_suites([_write(tmp_path, {"expectations": items}, name) for name, items in files.items()])
    return check_expectations(load_documents(CLUSTER), suites)


MIXED = {
    "a.yaml": [
        _expectation("x/web", DB, {"ports": 5432}, "allow", "every"),
        _expectation("y/web2", DB, {"ports": 5432}, "allow", "every"),
        _expectation({"endpoint": "x/nope"}, DB, {}, "deny", "every"),
    ],
    "b.yaml": [_expectation({"external": "0.0.0.0/0"}, DB, {}, "deny", "every")],
}


def _validate(schema, text: str) -> None:
    from lxml import etree

    document = etree.fromstring(text.encode())
    assert schema.validate(document), schema.error_log


def test_junit_validates_against_the_schema(tmp_path, schema):
    _validate(schema, report_junit(_report(tmp_path, MIXED)))


def test_junit_counts_and_contents(tmp_path):
    root = ET.fromstring(report_junit(_report(tmp_path, MIXED)))
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == ("testsuites", "4", "1", "1")
    first, second = root.findall("testsuite")
    assert first.get("name").endswith("a.yaml") and second.get("name").endswith("b.yaml")
    assert (first.get("tests"), first.get("failures"), first.get("errors")) == ("3", "1", "1")
    passed, failed, errored = first.findall("testcase")
    assert list(passed) == []
    failure = failed.find("failure")
    assert failure.get("message").startswith("1 of 1 pair fails: y/web2 → x/db: TCP 5432 not allowed")
    assert "ingress of x/db deny: isolated by x/db (tier default); no rule admits it" in failure.text
    assert "a.yaml:" in failure.text.splitlines()[0]
    error = errored.find("error")
    assert "no endpoint x/nope" in error.text and error.get("type") == "ExpectationError"


def test_junit_of_an_all_passing_run_validates(tmp_path, schema):
    text = report_junit(_report(tmp_path, {"ok.yaml": MIXED["a.yaml"][:1]}))
    _validate(schema, text)
    assert 'failures="0"' in text and "<failure" not in text


def test_schema_rejects_what_it_should(schema):
    """The schema is strict enough to catch a malformed report (it is not a tautology)."""
    from lxml import etree

    missing_counts = '<testsuites><testsuite name="x"><testcase name="a"/></testsuite></testsuites>'
    assert not schema.validate(etree.fromstring(missing_counts.encode()))
