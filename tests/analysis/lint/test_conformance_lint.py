"""Lint runs on every k8s-netpol conformance case (every step) without a crash."""

from __future__ import annotations

import pytest
import yaml

from netpolicy.analysis.lint import SEVERITIES, run_lint
from netpolicy.api import load_documents
from tests.conformance.k8s_model import ConformanceState
from tests.conformance_data import case_files

CASES = case_files("k8s-netpol")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_lint_runs(path):
    case = yaml.safe_load(path.read_text())
    state = ConformanceState.initial(case["model"])
    steps = case.get("steps") or [{"setup": case.get("setup"), "policies": case.get("policies")}]
    for step in steps:
        for op in step.get("setup") or ():
            state.apply(op)
        state.set_policies(step)
        for finding in run_lint(load_documents(state.documents())):
            assert finding.severity in SEVERITIES
            assert finding.message and finding.object
