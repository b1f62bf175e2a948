"""doNotTrack policy on the replies of tracked connections, one table: raw runs before conntrack on every
packet through a host endpoint's interface, replies included (docs/semantics.md#host-endpoint-hooks).

Sources: `felix/rules/static.go` StaticRawPreroutingChain (every packet not from a workload interface goes
to the from-host-endpoint dispatch; the accept mark accepts) and StaticRawOutputChain (every locally sent
packet to the to-host-endpoint dispatch; forwarded packets never cross raw OUTPUT); `felix/rules/
endpoints.go` appendConntrackRules (ESTABLISHED accepted: an undecided reply passes; an untracked one is
not ESTABLISHED, so a workload's ingress policy judges it).
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.analysis.flow_query import FlowQuery
from netpolicy.api import load_documents
from tests.engine import test_host_path as host_path
from tests.engine.test_pod_entry import HEPS
from tests.engine.test_service_path import OBJECTS


def raw(name: str, direction: str, action: str, nets: str) -> dict:
    """A doNotTrack policy on every host endpoint: `action` for one range (ingress source, egress destination)."""
    side = "source" if direction == "Ingress" else "destination"
    return host_path.gnp(name, {"order": 1, "doNotTrack": True, "applyOnForward": True,
                                "selector": "has(host-endpoint)", "types": [direction],
                                direction.lower(): [{"action": action, side: {"nets": [nets]}}]})


DENY_FROM_OUTSIDE = raw("raw-deny-from-outside", "Ingress", "Deny", "203.0.113.0/24")
ALLOW_FROM_OUTSIDE = raw("raw-allow-from-outside", "Ingress", "Allow", "203.0.113.0/24")
DENY_TO_OUTSIDE = raw("raw-deny-to-outside", "Egress", "Deny", "203.0.113.0/24")
DENY_FROM_NODE_B = raw("raw-deny-from-node-b", "Ingress", "Deny", "172.18.0.3/32")
DENY_FROM_APP_0 = raw("raw-deny-from-app-0", "Ingress", "Deny", "10.244.2.10/32")
CLIENT_CLOSED = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "client-closed", "namespace": "web"},
                 "spec": {"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Ingress"]}}
DROPPED = "dropped by raw doNotTrack policy before conntrack"

# (case, extra objects, source, destination, port, verdict, a fragment of the trace)
CASES = [
    # StaticRawPreroutingChain: the reply arrives on node-a's host endpoint interface
    ("a pod's connection out: raw PREROUTING Deny drops the reply", [DENY_FROM_OUTSIDE],
     "web/client", "203.0.113.9", 443, "deny", DROPPED),
    ("a reply the Deny does not match", [DENY_FROM_OUTSIDE], "web/client", "198.51.100.9", 443, "allow", ""),
    ("a failsafe outbound port's reply passes raw (failsafeInChain in raw)", [DENY_FROM_OUTSIDE],
     "web/client", "203.0.113.9", 179, "allow", "failsafe"),
    ("raw Allow: the reply is untracked, the pod's open ingress takes it", [ALLOW_FROM_OUTSIDE],
     "web/client", "203.0.113.9", 443, "allow", "untracked"),
    ("raw Allow: the reply is untracked, not ESTABLISHED: the pod's closed ingress drops it",
     [ALLOW_FROM_OUTSIDE, CLIENT_CLOSED], "web/client", "203.0.113.9", 443, "deny", "untracked"),
    ("without doNotTrack the closed ingress does not matter (ESTABLISHED)", [CLIENT_CLOSED],
     "web/client", "203.0.113.9", 443, "allow", ""),
    ("a pod's connection to a pod on another node: the reply enters node-a", [DENY_FROM_APP_0],
     "web/client", "web/app-0", 8000, "deny", DROPPED),
    ("a pod's connection to another node: the reply enters node-a", [DENY_FROM_NODE_B],
     "web/client", "node/node-b", 10250, "deny", DROPPED),
    ("a node's connection out: the reply enters it through raw PREROUTING", [DENY_FROM_OUTSIDE],
     "node/node-a", "203.0.113.9", 443, "deny", DROPPED),
    ("a node's connection to a pod on another node: the reply enters it", [DENY_FROM_APP_0],
     "node/node-a", "web/app-0", 8000, "deny", DROPPED),
    # StaticRawOutputChain: the node's reply leaves through raw OUTPUT
    ("an outside client to a node: raw OUTPUT Deny drops the reply", [DENY_TO_OUTSIDE],
     "203.0.113.9", "node/node-a", 10250, "deny", DROPPED),
    ("a failsafe inbound port's reply passes raw OUTPUT", [DENY_TO_OUTSIDE],
     "203.0.113.9", "node/node-a", 22, "allow", "failsafe"),
    # forwarded replies cross no raw OUTPUT, and raw PREROUTING skips workload interfaces
    ("an outside client to a pod: the forwarded reply crosses no raw chain", [DENY_TO_OUTSIDE],
     "203.0.113.9", "web/app-0", 8000, "allow", ""),
]


@pytest.mark.parametrize("case, extra, src, dst, port, verdict, reason", CASES, ids=[c[0] for c in CASES])
def test_donottrack_on_tracked_replies(case, extra, src, dst, port, verdict, reason):
    result = FlowQuery(load_documents(copy.deepcopy([*OBJECTS, *HEPS, *extra])))(src, dst, "TCP", port)
    assert result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for s in (*result.egress.trace, *result.ingress.trace))
    assert reason in text, text


def test_a_cluster_ip_legs_reply_from_another_node_crosses_raw_prerouting():
    """After the DNAT on the client's node the leg to node-b's backend is a pod → pod packet; its reply
    enters node-a from the backend's address (raw runs before conntrack reverses the NAT)."""
    objects = [*OBJECTS, *HEPS, DENY_FROM_APP_0]
    flow = FlowQuery(load_documents(copy.deepcopy(objects)))("web/client", "svc/web/web", "TCP", 80)
    assert {leg.name: result.verdict for leg, result in flow.legs} == {"web/app-0": "deny", "web/app-1": "allow"}


@pytest.mark.parametrize("extra, dst, port, reason", [
    ([DENY_FROM_APP_0], "node-a:31001", None, DROPPED),
    ([raw("raw-allow-from-app-0", "Ingress", "Allow", "10.244.2.10/32")], "svc/web/web", 80, "never reverses"),
])
def test_a_translated_legs_reply_into_the_pods_node(extra, dst, port, reason):
    """web/client's packet DNATed on its own node (its node's NodePort, a ClusterIP) to web/app-0 on node-b:
    the reply crosses node-a's raw PREROUTING; Deny drops it, and an untracked reply (Allow) is never
    un-NATed (NAT needs conntrack), so the connection fails either way."""
    flow = FlowQuery(load_documents(copy.deepcopy([*OBJECTS, *HEPS, *extra])))("web/client", dst, "TCP", port)
    results = {leg.name: result for leg, result in flow.legs}
    assert results["web/app-0"].verdict == "deny" and results["web/app-1"].verdict == "allow"
    assert reason in " ".join(s.reason for s in results["web/app-0"].ingress.trace)
