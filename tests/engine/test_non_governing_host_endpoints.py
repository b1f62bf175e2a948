"""A pod's traffic with a host endpoint of its own node that governs none (eth1 beside the governing eth0) is
the node's own, judged as with the governing one by `query` and the matrix alike (docs/semantics.md#nodes).

Sources: `felix/rules/static.go` filterInputChain (a packet from a workload interface goes to the
workload-to-host chain: the pod's egress policy, then DefaultEndpointToHostAction; the host endpoint
dispatch, eth1's normal ingress policy included, is never reached), filterOutputChain ("We don't currently
police host -> endpoint": a return for workload interfaces, before any host endpoint's egress policy).
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.analysis.flow_query import FlowQuery
from netpolicy.api import load_documents
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.matrix import Matrix
from netpolicy.engine.pod_entry import entering_pod, query_flow
from netpolicy.model.cluster import HOST_ENDPOINT
from netpolicy.model.protocols import TCP
from netpolicy.options import Options
from tests.engine import test_host_path as host_path
from tests.engine.test_matrix_hooks import atom_packets
from tests.engine.test_service_path import OBJECTS


def _hep(name: str, interface: str, node: str, address: str, **labels) -> dict:
    found = host_path.hep(name, interface, labels={"host-endpoint": "", **labels}, node=node, ips=(address,))
    found["spec"]["profiles"] = ["projectcalico-default-allow"]
    return found


# eth0's endpoints govern the nodes (the alphabetically first named one); the eth1 ones govern none and sit
# outside the range app-1's and app-0's ingress admits
HEPS = [_hep("node-a-eth0", "eth0", "node-a", "172.18.0.2"), _hep("node-a-eth1", "eth1", "node-a", "192.0.2.50", eth1=""),
        _hep("node-b-eth0", "eth0", "node-b", "172.18.0.3"), _hep("node-b-eth1", "eth1", "node-b", "192.0.2.60", eth1="")]
ETH1_CLOSED = host_path.gnp("eth1-closed", {"order": 1, "selector": "has(eth1)", "types": ["Ingress", "Egress"],
                                            "ingress": [{"action": "Deny"}], "egress": [{"action": "Deny"}]})
STAR_A = _hep("node-a-any", "*", "node-a", "172.18.0.2")
PRE_NO_9999 = host_path.gnp("pre-no-9999", {
    "order": 5, "preDNAT": True, "applyOnForward": True, "selector": "has(host-endpoint)",
    "ingress": [{"action": "Deny", "protocol": "TCP", "destination": {"ports": [9999]}}]})
CLIENT, APP_1 = "web/client", "web/app-1"
# (case, extra objects, DefaultEndpointToHostAction, source, destination, port, verdict, a phrase of the trace)
CASES = [
    # filterInputChain → workload-to-host: the pod's egress, then the action; eth1's ingress Deny is not met
    ("pod → its node's eth1, ACCEPT", [ETH1_CLOSED], "ACCEPT", CLIENT, "node-a-eth1", 8080, "allow",
     "DefaultEndpointToHostAction ACCEPT"),
    ("pod → its node's eth1, RETURN", [ETH1_CLOSED], "RETURN", CLIENT, "node-a-eth1", 8080, "allow",
     "DefaultEndpointToHostAction RETURN"),
    ("pod → its node's eth1, DROP", [], "DROP", CLIENT, "node-a-eth1", 8080, "deny",
     "DefaultEndpointToHostAction DROP"),
    ("pod → its node's eth1 address", [ETH1_CLOSED], "ACCEPT", CLIENT, "192.0.2.50", 8080, "allow",
     "DefaultEndpointToHostAction ACCEPT"),
    # StaticManglePreroutingChain: the `*` endpoint's preDNAT on the pod's interface still applies
    ("pod → its node's eth1: `*` preDNAT first", [STAR_A, PRE_NO_9999], "ACCEPT", CLIENT, "node-a-eth1", 9999,
     "deny", "pre-no-9999"),
    # filterOutputChain returns for workload interfaces: neither eth1's egress Deny nor app-1's ingress applies
    ("eth1 → a pod of its node", [ETH1_CLOSED], "ACCEPT", "node-a-eth1", APP_1, 8080, "allow", "never policed"),
    ("eth1 → a pod of its node, DROP", [ETH1_CLOSED], "DROP", "node-a-eth1", APP_1, 8080, "allow", "never policed"),
    # across nodes: eth1's own normal policy, as before
    ("pod → another node's eth1", [ETH1_CLOSED], "ACCEPT", CLIENT, "node-b-eth1", 8080, "deny", "eth1-closed"),
    ("another node's eth1 → a pod", [ETH1_CLOSED], "ACCEPT", "node-b-eth1", APP_1, 8080, "deny", "eth1-closed"),
    ("another node's eth1 → a pod, its ingress", [], "ACCEPT", "node-b-eth1", APP_1, 8080, "deny", "office-and-client"),
]


def _cell(objects: list, options: Options, src: str, dst: str, port: int) -> bool:
    cluster = load_documents(copy.deepcopy(objects))
    matrix = Matrix(cluster, options)
    ends = [next(e for e in matrix.endpoints if e.id == ref or str(e.ips[0]) == ref) for ref in (src, dst)]
    atom = next(a for a, protocol, p, sport in atom_packets(matrix)
                if protocol == TCP and p <= port and matrix.atoms.d_hi[a] >= port and sport <= 40000
                and matrix.atoms.s_hi[a] >= 40000)
    return bool(matrix.mask(*ends)[atom])


@pytest.mark.parametrize("case, extra, action, src, dst, port, verdict, reason", CASES, ids=[c[0] for c in CASES])
def test_a_pods_traffic_with_another_host_endpoint_of_its_node(case, extra, action, src, dst, port, verdict, reason):
    objects, options = [*OBJECTS, *HEPS, *extra], Options(endpoint_to_host_action=action)
    result = FlowQuery(load_documents(copy.deepcopy(objects)), options)(src, dst, "TCP", port, 40000)
    assert result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for side in (result.egress, result.ingress) for s in side.trace)
    assert reason in text, text
    assert _cell(objects, options, src, dst, port) == (verdict == "allow")


@pytest.mark.parametrize("extra", [[ETH1_CLOSED], [STAR_A, PRE_NO_9999, ETH1_CLOSED]], ids=["named", "star"])
@pytest.mark.parametrize("action", ["ACCEPT", "DROP"])
def test_every_cell_between_pods_and_eth1_endpoints_equals_the_flow(extra, action):
    """Every atom of every pod ↔ eth1 pair: the matrix cell equals `entering_pod` and `query_flow`."""
    options = Options(endpoint_to_host_action=action)
    cluster = load_documents(copy.deepcopy([*OBJECTS, *HEPS, *extra]))
    matrix, evaluator = Matrix(cluster, options), FlowEvaluator(cluster, options)
    pods = [e for e in matrix.endpoints if e.kind != HOST_ENDPOINT and e.policed]
    strays = [e for e in matrix.endpoints if e.id.endswith("eth1")]
    found = []
    for src, dst in [*((p, s) for p in pods for s in strays), *((s, p) for p in pods for s in strays)]:
        mask = matrix.mask(src, dst)
        for atom, protocol, port, sport in atom_packets(matrix):
            verdict = entering_pod(evaluator, src.id, dst.id, protocol, port, sport).verdict
            assert query_flow(evaluator, src, dst, protocol, port, sport).verdict == verdict
            if (verdict == "allow") != bool(mask[atom]):
                found.append((src.id, dst.id, protocol, port, sport, verdict))
    assert found == []
