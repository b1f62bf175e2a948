"""Every k8s-netpol conformance case (Kubernetes e2e and cyclonus) through the public API."""

from __future__ import annotations

import pytest
import yaml

from netpolicy.api import load_documents
from netpolicy.engine.matrix import compute_matrix
from netpolicy.model.protocols import NUMBER_BY_NAME
from tests.conformance_data import case_files

from .k8s_model import replay

CASES = case_files("k8s-netpol")


def _mismatches(matrix, expectation: dict) -> list[str]:
    protocol = NUMBER_BY_NAME[expectation["protocol"]]
    port = expectation["port"]
    table = expectation["matrix"]
    wrong = []
    for i, src in enumerate(table["from"]):
        for j, dst in enumerate(table["to"]):
            expected = table["rows"][i][j] == "1"
            actual = matrix.connections(src, dst).allows(protocol, port)
            if actual != expected:
                wrong.append(f"{src}->{dst} {expectation['protocol']}/{port}: expected "
                             f"{'allow' if expected else 'deny'}, got {'allow' if actual else 'deny'}")
    return wrong


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_k8s_netpol_case(path):
    case = yaml.safe_load(path.read_text())
    failures = []
    for number, step, documents in replay(case):
        matrix = compute_matrix(load_documents(documents))
        for expectation in step["expectations"]:
            failures += [f"step {number}: {m}" for m in _mismatches(matrix, expectation)]
    assert not failures, "\n".join(failures[:20])


def test_conformance_vectors_present():
    assert len(CASES) == 194
