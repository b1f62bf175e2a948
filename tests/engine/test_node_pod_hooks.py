"""A node and a pod on another node: the pod's node's host endpoint hooks on the way, one table. A pod's
packet to another node (node/<name> or its address) leaves its own node through to-hep-forward; a node's
packet to a pod on another node enters the pod's node through its raw, preDNAT and from-hep-forward hooks
(docs/semantics.md#pod-entry).

Sources: `felix/rules/static.go` StaticFilterForwardChains (from-hep-forward unless the accept mark is
set, the workload chains, then the jump to `ChainDispatchToHostEndpointForward` for every forwarded
packet), StaticRawPreroutingChain and StaticManglePreroutingChain (dispatch on the interface a packet
arrives on, whatever its destination), filterOutputChain (host → its own pods is never policed).
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.analysis.flow_query import FlowQuery
from netpolicy.api import load_documents
from netpolicy.model.protocols import TCP
from tests.engine import test_host_path as host_path
from tests.engine.test_pod_entry import HEPS, TO_NODE_B_DENIED, forward_deny
from tests.engine.test_service_path import OBJECTS

NOT_TO_NODE_B = forward_deny("not-to-node-b-host", "Egress", "172.18.0.3/32")
NOT_FROM_NODE_B = forward_deny("not-from-node-b-host", "Ingress", "172.18.0.3/32")


def hook_deny(name: str, hook: str, nets: str) -> dict:
    """A doNotTrack or preDNAT policy denying one source range to TCP 9999 (not the replies of connections
    to that range, which raw would drop too: not modelled, docs/semantics.md#services-not-modelled)."""
    return host_path.gnp(name, {"order": 1, hook: True, "applyOnForward": True, "selector": "has(host-endpoint)",
                                "ingress": [{"action": "Deny", "protocol": "TCP", "source": {"nets": [nets]},
                                             "destination": {"ports": [9999]}}]})


RAW_NOT_FROM_NODE_B = hook_deny("raw-not-from-node-b", "doNotTrack", "172.18.0.3/32")
PRE_NOT_FROM_NODE_B = hook_deny("pre-not-from-node-b", "preDNAT", "172.18.0.3/32")

# (case, extra objects, source, destination, verdict, a fragment of the trace after the pod's own policy)
CASES = [
    ("a pod to another node: its node's to-hep-forward, no policy", [], "web/client", "node/node-b", "allow",
     "[forward] no applyOnForward egress policy applies to node-a-eth0"),
    ("a pod to another node: its node's to-hep-forward denies", [NOT_TO_NODE_B], "web/client", "node/node-b",
     "deny", "not-to-node-b-host"),
    ("the same by the node's address", [NOT_TO_NODE_B], "web/client", "172.18.0.3", "deny", "not-to-node-b-host"),
    ("the same by its governing host endpoint", [NOT_TO_NODE_B], "web/client", "node-b-eth0", "deny",
     "not-to-node-b-host"),
    ("a pod to its own node: no forward hook", [NOT_TO_NODE_B], "web/client", "node/node-a", "allow",
     "DefaultEndpointToHostAction"),
    ("a node to a pod on another node: from-hep-forward denies", [NOT_FROM_NODE_B], "node/node-b", "web/client",
     "deny", "not-from-node-b-host"),
    ("the same by the node's address", [NOT_FROM_NODE_B], "172.18.0.3", "web/client", "deny",
     "not-from-node-b-host"),
    ("a node to a pod on another node: raw denies", [RAW_NOT_FROM_NODE_B], "node/node-b", "web/client", "deny",
     "[raw]"),
    ("a node to a pod on another node: preDNAT denies", [PRE_NOT_FROM_NODE_B], "node/node-b", "web/client",
     "deny", "[preDNAT]"),
    ("a node to its own pod: never policed", [NOT_FROM_NODE_B, RAW_NOT_FROM_NODE_B], "node/node-b", "web/app-0",
     "allow", "never policed"),
]


@pytest.mark.parametrize("case, extra, src, dst, verdict, fragment", CASES, ids=[c[0] for c in CASES])
def test_the_pods_node_hooks(case, extra, src, dst, verdict, fragment):
    query = FlowQuery(load_documents(copy.deepcopy([*OBJECTS, *HEPS, *extra])))
    flow = query(src, dst, "TCP", 9999)
    assert flow.verdict == verdict
    trace = [f"{s.policy} {s.reason}" for s in flow.egress.trace + flow.ingress.trace]
    assert any(fragment in line for line in trace), trace


# (case, extra objects, source, destination) a matrix cell denies on TCP 9999 and allows without `extra`
MATRIX_CASES = [
    ("a pod to another node's host endpoint: to-hep-forward", [NOT_TO_NODE_B], "web/client", "node-b-eth0"),
    ("another node's host endpoint to a pod: from-hep-forward", [NOT_FROM_NODE_B], "node-b-eth0", "web/client"),
    ("another node's host endpoint to a pod: raw", [RAW_NOT_FROM_NODE_B], "node-b-eth0", "web/client"),
    ("another node's host endpoint to a pod: preDNAT", [PRE_NOT_FROM_NODE_B], "node-b-eth0", "web/client"),
]


@pytest.mark.parametrize("case, extra, src, dst", MATRIX_CASES, ids=[c[0] for c in MATRIX_CASES])
def test_the_matrix_cells_cross_the_pods_node(case, extra, src, dst):
    from netpolicy.engine.matrix import Matrix

    plain = Matrix(load_documents(copy.deepcopy([*OBJECTS, *HEPS])))
    assert plain.connections(src, dst).allows(TCP, 9999, 40000)
    hooked = Matrix(load_documents(copy.deepcopy([*OBJECTS, *HEPS, *extra])))
    assert not hooked.connections(src, dst).allows(TCP, 9999, 40000)


FROM_NODES = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "web-from-nodes", "namespace": "web"},
              "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                       "ingress": [{"from": [{"ipBlock": {"cidr": "172.18.0.0/24"}}]}]}}
NOT_FROM_NODE_A = forward_deny("not-from-node-a-host", "Ingress", "172.18.0.2/32")
A0, A1 = "web/app-0", "web/app-1"

# (case, extra objects, destination, port, {backend: verdict}, a fragment of each denied leg's trace):
# web/client on node-a to a Service entry
SERVICE_CASES = [
    ("another node's NodePort: no forward policy", [], "node-b:31000", None, {A0: "allow", A1: "deny"}, ""),
    ("another node's NodePort: its node's to-hep-forward denies", [NOT_TO_NODE_B], "node-b:31000", None,
     {A0: "deny", A1: "deny"}, "not-to-node-b-host"),
    ("the same by the node's address", [NOT_TO_NODE_B], "172.18.0.3", 31000, {A0: "deny", A1: "deny"},
     "not-to-node-b-host"),
    ("a LoadBalancer IP, DNATed on its node: to-hep-forward toward the backend on another node",
     [TO_NODE_B_DENIED], "198.51.100.10", 80, {A0: "deny", A1: "allow"}, "not-to-node-b"),
    ("an external IP: the backend's node's from-hep-forward sees the masqueraded source",
     [FROM_NODES, NOT_FROM_NODE_A], "198.51.100.20", 80, {A0: "deny", A1: "allow"}, "not-from-node-a-host"),
    ("its own node's NodePort, the backend on another node: to-hep-forward", [TO_NODE_B_DENIED], "node-a:31000",
     None, {A0: "deny", A1: "allow"}, "not-to-node-b"),
]


@pytest.mark.parametrize("case, extra, dst, port, verdicts, fragment", SERVICE_CASES,
                         ids=[c[0] for c in SERVICE_CASES])
def test_a_pods_service_legs_leave_its_node(case, extra, dst, port, verdicts, fragment):
    query = FlowQuery(load_documents(copy.deepcopy([*OBJECTS, *HEPS, *extra])))
    flow = query("web/client", dst, "TCP", port)
    assert {leg.name: result.verdict for leg, result in flow.legs} == verdicts
    for leg, result in flow.legs:
        trace = [f"{s.policy} {s.reason}" for s in result.egress.trace + result.ingress.trace]
        if fragment and result.verdict == "deny":
            assert any(fragment in line for line in trace), (leg.name, trace)


@pytest.mark.parametrize("extra, verdict", [([], "allow"), ([NOT_TO_NODE_B], "deny")])
def test_a_pods_leg_to_a_host_network_backend_on_another_node(extra, verdict):
    """ClusterIP → a hostNetwork backend on node-b, DNATed on the client's node-a: node-a's to-hep-forward,
    then node-b's INPUT; the matrix's Service row says the same (it judges such legs by the one-flow path)."""
    from netpolicy.engine.matrix import Matrix
    from netpolicy.engine.service_rows import service_rows
    from tests.engine.test_node_backends import AGENT, AGENT_SERVICE, METRICS_IN

    cluster = load_documents(copy.deepcopy([*OBJECTS, *HEPS, AGENT, AGENT_SERVICE, METRICS_IN, *extra]))
    flow = FlowQuery(cluster)("web/client", "svc/web/agent", "TCP", 80)
    assert flow.verdict == verdict
    if verdict == "deny":
        (_, result), = flow.legs
        assert any(s.policy and "not-to-node-b-host" in s.policy for s in result.ingress.trace)
    row = next(r for r in service_rows(Matrix(cluster)) if r.service.name == "agent")
    assert row.reached.get("web/client", 0) == (verdict == "allow")
