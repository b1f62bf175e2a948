"""Every ClusterNetworkPolicy (cnp/, Calico 3.32) and Admin/BaselineAdminNetworkPolicy (anp/, Calico 3.31)
conformance case through the public API: every probe by the one-flow evaluator, pod-to-pod probes also
by the bulk matrix.

cnp/: where a probe carries `calico_3_32_allowed`, Calico's verdict is the expectation. anp/ carries no
Calico verdicts; the probes where Calico 3.29-3.31 differ from upstream are listed in
`CALICO_3_31_DEVIATIONS`, each with the line of Calico's converter that makes the difference.
"""

from __future__ import annotations

import pytest
import yaml

from netpolicy.api import load_documents
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.matrix import compute_matrix
from netpolicy.model.protocols import NUMBER_BY_NAME
from netpolicy.options import Options
from tests.conformance_data import case_files

from .admin_model import replay

CNP_CASES = case_files("cnp")
ANP_CASES = case_files("anp")
GRYFFINDOR, HUFFLEPUFF = "network-policy-conformance-gryffindor", "network-policy-conformance-hufflepuff"
CENTAUR_1 = "network-policy-conformance-forbidden-forrest/centaur-1"

_CONVERTER = "projectcalico/calico@v3.31.7:libcalico-go/lib/backend/k8s/conversion/conversion.go"
NAMED_PORT = (f"{_CONVERTER}:757 converts no named port (`TODO: Add support for NamedPorts`); :594 then reads "
              "the entry as every protocol and port, so the Allow rule admits everything to/from its peers")
NODE_PEER = (f"{_CONVERTER}:679 fails a rule with a `nodes` peer; :293-316/:412-435 fail it closed: the Allow "
             "rule is dropped and the later Deny rule with a nodes peer becomes a bare Deny of all egress")
#: (case, step, from, to, protocol, port) -> (Calico 3.31's verdict, why it differs from upstream's).
CALICO_3_31_DEVIATIONS = {
    ("anp-egress-named-port", 0, f"{GRYFFINDOR}/harry-potter-1", f"{HUFFLEPUFF}/cedric-diggory-1", "TCP", 8080):
        (True, NAMED_PORT),
    ("anp-ingress-named-port", 0, f"{GRYFFINDOR}/harry-potter-1", f"{HUFFLEPUFF}/cedric-diggory-1", "UDP", 5353):
        (True, NAMED_PORT),
    ("banp-egress-named-port", 0, f"{HUFFLEPUFF}/cedric-diggory-1", f"{GRYFFINDOR}/harry-potter-1", "UDP", 5353):
        (True, NAMED_PORT),
    ("banp-ingress-named-port", 0, f"{HUFFLEPUFF}/cedric-diggory-1", f"{GRYFFINDOR}/harry-potter-1", "TCP", 8080):
        (True, NAMED_PORT),
    ("anp-egress-node-peers", 0, f"{GRYFFINDOR}/harry-potter-1", CENTAUR_1, "TCP", 34345): (False, NODE_PEER),
    ("anp-egress-node-peers", 1, f"{GRYFFINDOR}/harry-potter-1", CENTAUR_1, "UDP", 34347): (False, NODE_PEER),
    ("banp-egress-node-peers", 0, f"{GRYFFINDOR}/harry-potter-0", CENTAUR_1, "TCP", 34345): (False, NODE_PEER),
    ("banp-egress-node-peers", 0, f"{GRYFFINDOR}/harry-potter-1", CENTAUR_1, "TCP", 34346): (False, NODE_PEER),
}


def load(path) -> dict:
    return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def run_case(path, version: tuple[int, int], expected) -> tuple[int, list[str]]:
    """Replay a case; returns (probes checked, failures). `expected(step number, probe)` gives the verdict."""
    case = load(path)
    checked, failures = 0, []
    for number, step, state in replay(case):
        cluster = load_documents(state.documents(), Options(calico_version=version))
        flows, matrix = FlowEvaluator(cluster), compute_matrix(cluster)
        hosts = state.host_ips()
        for probe in step["probes"]:
            checked += 1
            protocol, port, want = NUMBER_BY_NAME[probe["protocol"]], probe["port"], expected(number, probe)
            got = flows.evaluate(probe["from"], hosts.get(probe["to"], probe["to"]), protocol, port).verdict == "allow"
            if probe["to"] not in hosts:
                bulk = matrix.connections(probe["from"], probe["to"]).allows(protocol, port)
                if bulk != got:
                    failures.append(f"step {number}: matrix says {bulk}, flow says {got} for {probe}")
            if got != want:
                failures.append(f"step {number} ({step['description']}): {probe['from']} -> {probe['to']} "
                                f"{probe['protocol']}/{port}: expected {want}, got {got}")
    return checked, failures


@pytest.mark.parametrize("path", CNP_CASES, ids=[p.stem for p in CNP_CASES])
def test_cnp_case_on_calico_3_32(path):
    _, failures = run_case(path, (3, 32), lambda _n, probe: probe.get("calico_3_32_allowed", probe["allowed"]))
    assert not failures, "\n".join(failures[:20])


def anp_expected(stem: str):
    def expected(number: int, probe: dict) -> bool:
        key = (stem, number, probe["from"], probe["to"], probe["protocol"], probe["port"])
        return CALICO_3_31_DEVIATIONS[key][0] if key in CALICO_3_31_DEVIATIONS else probe["allowed"]
    return expected


@pytest.mark.parametrize("version", [(3, 30), (3, 31)], ids=["3.30", "3.31"])
@pytest.mark.parametrize("path", ANP_CASES, ids=[p.stem for p in ANP_CASES])
def test_anp_case_on_calico_3_30_and_3_31(path, version):
    _, failures = run_case(path, version, anp_expected(path.stem))
    assert not failures, "\n".join(failures[:20])


def test_every_deviation_is_a_probe_that_upstream_decides_the_other_way():
    upstream = {}
    for path in ANP_CASES:
        for number, step in enumerate(load(path)["steps"]):
            for p in step["probes"]:
                upstream[(path.stem, number, p["from"], p["to"], p["protocol"], p["port"])] = p["allowed"]
    for key, (calico, _why) in CALICO_3_31_DEVIATIONS.items():
        assert upstream[key] is (not calico), key


def test_counts_of_cases_and_probes():
    cnp_steps = [s for p in CNP_CASES for s in load(p)["steps"]]
    cnp = sum(len(s["probes"]) for s in cnp_steps)
    anp = sum(len(s["probes"]) for p in ANP_CASES for s in load(p)["steps"])
    assert (len(CNP_CASES), len(cnp_steps), cnp, len(ANP_CASES), anp) == (24, 96, 301, 24, 289)
