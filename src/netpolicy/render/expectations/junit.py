"""Expectation results as JUnit XML: one test suite per expectations file, one test case per expectation.

Failing expectations carry a `<failure>` whose text lists the offending pairs and traced flows;
expectations that could not be checked (a peer that names nothing) carry an `<error>`. The document
follows the common JUnit schema that CI systems read (Jenkins, GitLab, GitHub test reporters).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from netpolicy.analysis.expectations.check import ERROR, FAIL, ExpectationReport, Outcome
from netpolicy.render.expectations.text import outcome_lines

SUITES_NAME = "netpolicy expectations"


def report_junit(report: ExpectationReport) -> str:
    """The report as a JUnit XML document (UTF-8 text with an XML declaration)."""
    root = ET.Element("testsuites", {
        "name": SUITES_NAME, "tests": str(len(report.outcomes)),
        "failures": str(report.count(FAIL)), "errors": str(report.count(ERROR))})
    for file, outcomes in groupby(report.outcomes, key=lambda o: o.file):
        _suite(root, file, list(outcomes))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(root: ET.Element, file: str, outcomes: list[Outcome]) -> None:
    suite = ET.SubElement(root, "testsuite", {
        "name": file, "tests": str(len(outcomes)),
        "failures": str(sum(o.status == FAIL for o in outcomes)),
        "errors": str(sum(o.status == ERROR for o in outcomes)),
        "skipped": "0", "file": file})
    for outcome in outcomes:
        case = ET.SubElement(suite, "testcase", {"name": outcome.expectation.name, "classname": file})
        if outcome.passed:
            continue
        lines = outcome_lines(outcome)
        tag = "failure" if outcome.status == FAIL else "error"
        message = lines[1] if len(lines) > 1 else lines[0]
        if outcome.status == FAIL and outcome.failures:
            message += f": {lines[2]}"
        element = ET.SubElement(case, tag, {"message": message,
                                            "type": "ExpectationFailed" if tag == "failure" else "ExpectationError"})
        element.text = "\n".join(lines)
