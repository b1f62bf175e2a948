"""Expectation results as JSON.

Shape::

    {"summary": {"expectations": 8, "passed": 6, "failed": 2, "errors": 0},
     "results": [{"name": "...", "file": "expectations.yaml", "line": 24, "status": "pass"|"fail"|"error",
                  "expect": "allow"|"deny"|"only", "quantifier": "every"|"any",
                  "from": ["podSelector app=django in namespace trojanwall"], "to": ["endpoint ns/db"],
                  "connections": [allowed...], "pairs": 2, "failing_pairs": 0, "notes": [],
                  "failures": [{"from": "ns/a", "to": "ns/b", "allowed": [...], "missing": [...],
                                "unexpected": [...], "flow": FlowResult|null}]}]}

`allowed`-style lists are the matrix's (INTERFACES.md); `missing` are wanted connections that are not
allowed, `unexpected` allowed ones that are not wanted. At most ten failing pairs are listed.
"""

from __future__ import annotations

from netpolicy.analysis.expectations.check import ERROR, FAIL, PASS, ExpectationReport, Outcome, PairResult
from netpolicy.render.connections_json import connections_json
from netpolicy.render.flow_json import flow_json


def report_json(report: ExpectationReport) -> dict:
    """The report as a JSON-ready dict."""
    return {
        "summary": {"expectations": len(report.outcomes), "passed": report.count(PASS),
                    "failed": report.count(FAIL), "errors": report.count(ERROR)},
        "results": [_outcome(o) for o in report.outcomes],
    }


def _outcome(outcome: Outcome) -> dict:
    expectation = outcome.expectation
    return {
        "name": expectation.name,
        "file": outcome.file,
        "line": expectation.location.line,
        "status": outcome.status,
        "expect": expectation.expect,
        "quantifier": expectation.quantifier,
        "from": [p.describe() for p in expectation.sources],
        "to": [p.describe() for p in expectation.destinations],
        "connections": connections_json(expectation.connections),
        "pairs": outcome.pairs,
        "failing_pairs": outcome.failing_pairs,
        "notes": list(outcome.notes),
        "failures": [_pair(p) for p in outcome.failures],
    }


def _pair(pair: PairResult) -> dict:
    return {
        "from": pair.source.id,
        "to": pair.destination.id,
        "allowed": connections_json(pair.allowed),
        "missing": connections_json(pair.missing),
        "unexpected": connections_json(pair.extra),
        "flow": flow_json(pair.flow) if pair.flow is not None else None,
    }
