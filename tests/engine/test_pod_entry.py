"""Host endpoint hooks on a packet to a pod from off its node, one table: the pod's node's raw, preDNAT
and from-hep-forward hooks judge every packet arriving on its host endpoint's interface, outside traffic
sent straight to a pod's address included; a pod on another node's packet also crosses its own node's
to-hep-forward (docs/semantics.md#pod-entry).

Sources: `felix/rules/static.go` StaticRawPreroutingChain and StaticManglePreroutingChain (dispatch on the
ingress interface, whatever the destination), StaticFilterForwardChains (from-hep-forward, to-hep-forward);
`felix/rules/endpoints.go` ("Allow forwarded traffic by default"); the walkthrough is Calico's "Apply
policy to Kubernetes node ports".
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.analysis.flow_query import FlowQuery
from netpolicy.api import load_documents
from tests.engine import test_host_path as host_path
from tests.engine.test_service_path import OBJECTS

HEPS = []
for _name, _address in (("node-a", "172.18.0.2"), ("node-b", "172.18.0.3")):
    _hep = host_path.hep(f"{_name}-eth0", "eth0", node=_name, ips=(_address,))
    _hep["spec"]["profiles"] = ["projectcalico-default-allow"]
    HEPS.append(_hep)


def forward_deny(name: str, direction: str, nets: str) -> dict:
    """An applyOnForward policy denying one range (the source of ingress, the destination of egress)."""
    side = "source" if direction == "Ingress" else "destination"
    return host_path.gnp(name, {"order": 10, "applyOnForward": True, "selector": "has(host-endpoint)",
                                "types": [direction], direction.lower(): [
                                    {"action": "Deny", side: {"nets": [nets]}}, {"action": "Allow"}]})


FROM_NODE_A_DENIED = forward_deny("no-node-a-pods", "Ingress", "10.244.1.0/24")
TO_NODE_B_DENIED = forward_deny("not-to-node-b", "Egress", "10.244.2.0/24")
NOT_OUTSIDE = forward_deny("no-outside", "Egress", "203.0.113.0/24")
UNTRACKED = host_path.gnp("untracked-web", {
    "order": 1, "doNotTrack": True, "applyOnForward": True, "selector": "has(host-endpoint)",
    "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"nets": ["198.51.100.0/24"]},
                 "destination": {"ports": [8080]}}]})
WALKTHROUGH = [*host_path.CLUSTER, *host_path.WALKTHROUGH]

# (case, objects, source, destination, port, verdict, a fragment of the ingress trace)
CASES = [
    ("outside straight to a pod: the walkthrough's preDNAT deny-all-but-cluster drops it", WALKTHROUGH,
     "203.0.113.7", "web/app", 8080, "deny", "allow-cluster-internal-ingress-only"),
    ("a cluster-internal source: preDNAT allows, the pod's ingress decides", WALKTHROUGH, "172.18.5.5", "web/app",
     8080, "allow", "allow-cluster-internal-ingress-only"),
    ("by the pod's address", WALKTHROUGH, "203.0.113.7", "10.244.1.10", 8080, "deny", "[preDNAT]"),
    ("no host endpoint on the pod's node: only the pod's policy", host_path.CLUSTER, "203.0.113.7", "web/app",
     8080, "allow", ""),
    ("doNotTrack allows it untracked; the forwarded TCP reply is INVALID", [*host_path.CLUSTER, HEPS[0] | {
        "spec": {**HEPS[0]["spec"], "node": "node1"}}, UNTRACKED], "198.51.100.7", "web/app", 8080, "deny",
     "INVALID"),
    ("a pod on another node: the receiving node's from-hep-forward", [*OBJECTS, *HEPS, FROM_NODE_A_DENIED],
     "web/client", "web/app-0", 8000, "deny", "no-node-a-pods"),
    ("a pod on another node: the sending node's to-hep-forward", [*OBJECTS, *HEPS, TO_NODE_B_DENIED],
     "web/client", "web/app-0", 8000, "deny", "not-to-node-b"),
    ("a pod on the same node crosses no host endpoint", [*OBJECTS, *HEPS, FROM_NODE_A_DENIED],
     "web/client", "web/app-1", 8080, "allow", ""),
    # static.go StaticFilterForwardChains: to-hep-forward for every forwarded packet, after the workload's
    ("a pod to an outside address: its node's to-hep-forward", [*OBJECTS, *HEPS, NOT_OUTSIDE],
     "web/client", "203.0.113.9", 443, "deny", "no-outside"),
    ("a pod to an outside address the to-hep-forward policy allows", [*OBJECTS, *HEPS, NOT_OUTSIDE],
     "web/client", "198.51.100.9", 443, "allow", ""),
    ("an outside address to a pod is not judged by its node's to-hep-forward", [*OBJECTS, *HEPS, NOT_OUTSIDE],
     "203.0.113.9", "web/app-0", 8000, "allow", ""),
]


@pytest.mark.parametrize("case, objects, src, dst, port, verdict, reason", CASES, ids=[c[0] for c in CASES])
def test_pod_entry(case, objects, src, dst, port, verdict, reason):
    result = FlowQuery(load_documents(copy.deepcopy(objects)))(src, dst, "TCP", port)
    assert result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for s in result.ingress.trace)
    assert reason in text, text


UNTRACKED_UDP = host_path.gnp("untracked-dns", {
    "order": 1, "doNotTrack": True, "applyOnForward": True, "selector": "has(host-endpoint)",
    "ingress": [{"action": "Allow", "protocol": "UDP", "source": {"nets": ["203.0.113.0/24"]},
                 "destination": {"ports": [8000]}}]})
NO_REPLY_OUT = host_path.gnp("no-replies-out", {
    "order": 10, "applyOnForward": True, "selector": "has(host-endpoint)", "types": ["Egress"],
    "egress": [{"action": "Deny", "protocol": "UDP", "source": {"ports": [8000]}}, {"action": "Allow"}]})


@pytest.mark.parametrize("extra, verdict", [([], "allow"), ([NO_REPLY_OUT], "deny")])
def test_an_untracked_udp_reply_crosses_the_pods_node_to_hep_forward(extra, verdict):
    """doNotTrack allows the request untracked; its forwarded UDP reply is a new flow that leaves the pod
    (its egress) and then the node through to-hep-forward (static.go StaticFilterForwardChains)."""
    objects = [*OBJECTS, *HEPS, UNTRACKED_UDP, *extra]
    result = FlowQuery(load_documents(copy.deepcopy(objects)))("203.0.113.7", "web/app-0", "UDP", 8000, 40000)
    assert result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for s in result.ingress.trace)
    assert "untracked" in text and ("no-replies-out" in text) == bool(extra), text


@pytest.mark.parametrize("extra, verdicts", [
    ([], {"web/app-0": "allow", "web/app-1": "allow"}),
    ([TO_NODE_B_DENIED], {"web/app-0": "deny", "web/app-1": "allow"}),
    ([FROM_NODE_A_DENIED], {"web/app-0": "deny", "web/app-1": "allow"}),
])
def test_cluster_ip_legs_to_another_node_cross_both_nodes_hooks(extra, verdicts):
    """After the DNAT on the client's node a ClusterIP leg to a backend on another node is a pod → pod
    forwarded packet: to-hep-forward out of node-a, from-hep-forward into node-b."""
    flow = FlowQuery(load_documents(copy.deepcopy([*OBJECTS, *HEPS, *extra])))("web/client", "svc/web/web", "TCP", 80)
    assert {leg.name: result.verdict for leg, result in flow.legs} == verdicts


def test_a_port_sweep_applies_the_hooks_too():
    sweep = FlowQuery(load_documents(copy.deepcopy(WALKTHROUGH)))("203.0.113.7", "web/app", "TCP")
    assert not sweep.allowed


@pytest.mark.parametrize("objects, nodes", [(WALKTHROUGH, ["node1"]), (host_path.CLUSTER, None)])
def test_the_matrix_says_its_pod_cells_apply_the_hooks(objects, nodes):
    """The matrix applies the hooks to pod cells: text and JSON say so, on which nodes."""
    import io
    import json

    from netpolicy import api
    from netpolicy.render.matrix_out import stream_matrix_json
    from netpolicy.render.matrix_tables import write_text

    matrix = api.matrix(load_documents(copy.deepcopy(objects)))
    out, text = io.StringIO(), io.StringIO()
    stream_matrix_json(matrix, out)
    write_text(matrix, text)
    hooks = json.loads(out.getvalue()).get("host_endpoint_hooks")
    if nodes is None:
        assert hooks is None and "query" not in text.getvalue()
    else:
        assert hooks["nodes"] == nodes and hooks["applied_to_pod_flows"] is True and "to-hep-forward" in hooks["note"]
        assert "note: host endpoints on node1" in text.getvalue()
