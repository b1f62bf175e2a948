"""`lab verify` with the engine's matrix: the conformance cases and the bundled example (root only).

Every step of every k8s-netpol conformance case is built on the kernel, probed, and compared with
the engine; any disagreement fails the test with the flows that differ.
"""

from __future__ import annotations

import json

import pytest
import yaml

from netpolicy.lab import api
from netpolicy.lab.report import render_text
from tests.conformance_data import case_files
from tests.conftest import EXAMPLE
from tests.lab.probing import PROBE_TIMEOUT

pytestmark = pytest.mark.usefixtures("lab_ready")
matrix_module = pytest.importorskip("netpolicy.engine.matrix", reason="the engine's matrix is not available")
netpolicy_api = pytest.importorskip("netpolicy.api", reason="the loading API is not available")

CASES = case_files("k8s-netpol")
#: A step's documents (canonical JSON) → its report text, or None when the kernel agreed: 19 of the 218
#: steps repeat an earlier one word for word (a case's first state, a state restored), and a lab built from
#: the same documents sends the same probes, so each state is built and probed once per run.
VERIFIED: dict[str, str | None] = {}


def verify_documents(documents: list[dict]):
    cluster = netpolicy_api.load_documents(documents)
    return api.verify(cluster, matrix_module.compute_matrix(cluster), timeout=PROBE_TIMEOUT)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_kernel_agrees_with_engine_on_conformance_case(path):
    from tests.conformance.k8s_model import replay

    case = yaml.safe_load(path.read_text())
    failures = []
    for number, _step, documents in replay(case):
        key = json.dumps(documents, sort_keys=True)
        if key not in VERIFIED:
            report = verify_documents(documents)
            assert report.probes > 0
            VERIFIED[key] = None if report.ok else render_text(report)
        if VERIFIED[key] is not None:
            failures.append(f"step {number}:\n{VERIFIED[key]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("policies", ["k8s-policies", "calico-policies"])
def test_kernel_agrees_with_engine_on_the_example(policies):
    paths = [EXAMPLE / "manifests", EXAMPLE / policies]
    if not all(p.is_dir() for p in paths):
        pytest.skip(f"the example {EXAMPLE.name} with {policies} is not in this checkout")
    cluster = netpolicy_api.load_cluster([str(p) for p in paths])
    report = api.verify(cluster, matrix_module.compute_matrix(cluster), timeout=PROBE_TIMEOUT)
    assert report.ok, render_text(report)
    assert report.agreements == report.probes > 0


def test_kernel_agrees_with_engine_on_service_matches():
    """Calico `services` matches (selector fallback, slices, a slice address outside every pod): the
    nft sets hold Felix's members and the matrix the same ports."""
    from tests.engine.test_service_matches import BASE, DNS, PG, egress_to_service, endpoint_slice

    documents = [*BASE, PG, DNS, egress_to_service("dns", "db"),
                 endpoint_slice("db", "pg", [{"addresses": ["10.0.1.10"]}], [{"port": 7000}]),
                 {**egress_to_service("pg", "db"), "metadata": {"name": "to-pg", "namespace": "app"}}]
    report = verify_documents(documents)
    assert report.ok, render_text(report)
    assert report.agreements == report.probes > 0
