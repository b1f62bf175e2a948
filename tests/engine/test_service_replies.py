"""doNotTrack policy on the replies of tracked connections to a NodePort, LoadBalancer or external IP, one
table per kind of backend (docs/semantics.md#host-endpoint-hooks).

Sources (Felix): `felix/rules/static.go` StaticRawPreroutingChain (every packet not arriving on a workload
interface goes to the from-host-endpoint dispatch, replies too: raw runs before conntrack, so before the
reply is un-NATed), StaticRawOutputChain (only packets the node itself sends: a reply forwarded from a
backend pod crosses no raw chain on its node); `felix/rules/endpoints.go` (untracked chains map Allow to
"NOTRACK and ALLOW"; appendConntrackRules only in tracked chains); `felix/rules/dispatch.go` (raw dispatch
by interface: from-host-endpoint on the arrival interface, to-host-endpoint on the output one). An
untracked reply is never un-NATed (NAT needs conntrack): the client sees the backend's or the entry node's
address, so the connection fails (derived, as for a pod's own legs: tests/engine/test_tracked_replies.py).
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.analysis.flow_query import FlowQuery
from netpolicy.api import load_documents, matrix
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.path import ServicePaths
from netpolicy.engine.service_flow import evaluate_service
from netpolicy.engine.service_rows import service_rows
from tests.engine import test_node_backends as node_backends
from tests.engine.test_host_path import gnp
from tests.engine.test_pod_entry import HEPS
from tests.engine.test_service_fields import LOCAL
from tests.engine.test_service_path import OBJECTS, pod
from tests.engine.test_tracked_replies import CLIENT_CLOSED, raw

OPEN = [o for o in OBJECTS if o["kind"] != "NetworkPolicy"]  # node-a, node-b with host endpoints, node-c without
A0, A1 = "web/app-0", "web/app-1"  # on node-b, on node-a


def raw_port(name: str, action: str, direction: str, port: int) -> dict:
    """A doNotTrack rule for TCP from (ingress) or to (egress) one port: a reply's source port."""
    side = {"source" if direction == "Ingress" else "destination": {"ports": [port]}}
    return gnp(name, {"order": 1, "doNotTrack": True, "applyOnForward": True, "selector": "has(host-endpoint)",
                      "types": [direction], direction.lower(): [{"action": action, "protocol": "TCP", **side}]})


DENY_FROM_APP_0 = raw("raw-deny-from-app-0", "Ingress", "Deny", "10.244.2.10/32")
ALLOW_FROM_APP_0 = raw("raw-allow-from-app-0", "Ingress", "Allow", "10.244.2.10/32")
DENY_TO_NODE_A = raw("raw-deny-to-node-a", "Egress", "Deny", "172.18.0.2/32")
DENY_TO_NODE_B = raw("raw-deny-to-node-b", "Egress", "Deny", "172.18.0.3/32")
DENY_FROM_OUTSIDE = raw("raw-deny-from-outside", "Ingress", "Deny", "203.0.113.0/24")
DENY_FROM_NODE_PORT = raw_port("raw-deny-from-31000", "Deny", "Ingress", 31000)
ALLOW_FROM_NODE_PORT = raw_port("raw-allow-from-31000", "Allow", "Ingress", 31000)
DROPPED, NEVER = "dropped by raw doNotTrack policy before conntrack", "never reverses"

# (case, extra objects, source, destination, port, {backend: verdict}, fragment of the denied legs' trace)
CASES = [
    # static.go StaticRawPreroutingChain: app-0's reply enters node-a (the entry node) before un-NAT
    ("NodePort Cluster, backend on another node: raw Deny on the reply into the entry node", [DENY_FROM_APP_0],
     "203.0.113.7", "node-a:31000", None, {A0: "deny", A1: "allow"}, DROPPED),
    ("NodePort Cluster, backend on another node: raw Allow leaves the reply un-NATed", [ALLOW_FROM_APP_0],
     "203.0.113.7", "node-a:31000", None, {A0: "deny", A1: "allow"}, NEVER),
    ("without doNotTrack both legs work", [], "203.0.113.7", "node-a:31000", None, {A0: "allow", A1: "allow"}, ""),
    # StaticRawOutputChain: app-0's reply is forwarded out of node-b, never sent by node-b itself
    ("the backend node's raw OUTPUT never sees a pod's forwarded reply", [DENY_TO_NODE_A],
     "203.0.113.7", "node-a:31000", None, {A0: "allow", A1: "allow"}, ""),
    ("app-1's reply to node-b (masqueraded) is forwarded out of node-a: no raw OUTPUT", [DENY_TO_NODE_B],
     "203.0.113.7", "node-b:31000", None, {A0: "allow", A1: "allow"}, ""),
    # raw PREROUTING skips workload interfaces (MarkClear(markFromWorkload)): a local backend's reply
    ("NodePort Local: the entry node's own backend's reply crosses no raw chain", [DENY_FROM_APP_0],
     "203.0.113.7", "node-b:31001", None, {A0: "allow"}, ""),
    ("NodePort Cluster, backend on the entry node: no raw chain either", [ALLOW_FROM_APP_0],
     "203.0.113.7", "node-b:31000", None, {A0: "allow", A1: "allow"}, ""),
    # a LoadBalancer or external IP from outside enters the backend's node (the load balancer's pick): the
    # request crosses its raw PREROUTING, the reply leaves a workload (no raw)
    ("LoadBalancer IP from outside: raw Deny on the request at the backend's node", [DENY_FROM_OUTSIDE],
     "203.0.113.7", "198.51.100.10", 80, {A0: "deny", A1: "deny"}, "raw-deny-from-outside"),
    ("external IP from outside: a reply from the backend pod crosses no raw chain", [DENY_TO_NODE_A],
     "203.0.113.7", "198.51.100.20", 80, {A0: "allow", A1: "allow"}, ""),
    # a pod to another node's NodePort: the reply, un-NATed on node-b, enters web/client's node-a
    ("a pod to another node's NodePort: raw Deny on the reply into its node", [DENY_FROM_NODE_PORT],
     "web/client", "node-b:31000", None, {A0: "deny", A1: "deny"}, DROPPED),
    ("raw Allow on that reply: untracked, the pod's open ingress takes it", [ALLOW_FROM_NODE_PORT],
     "web/client", "node-b:31000", None, {A0: "allow", A1: "allow"}, ""),
    ("raw Allow on that reply: not ESTABLISHED, the pod's closed ingress drops it",
     [ALLOW_FROM_NODE_PORT, CLIENT_CLOSED], "web/client", "node-b:31000", None, {A0: "deny", A1: "deny"},
     "untracked"),
    # a node's own connection, translated in its nat OUTPUT: a backend off the node replies into its raw PREROUTING
    ("a node to a ClusterIP: raw Deny on the remote backend's reply", [DENY_FROM_APP_0], "node/node-a",
     "svc/web/web", None, {A0: "deny", A1: "allow"}, DROPPED),
    ("a node to its own NodePort (routed to lo): raw Allow on the reply, never un-NATed", [ALLOW_FROM_APP_0],
     "node/node-a", "node-a:31000", None, {A0: "deny", A1: "allow"}, NEVER),
    ("a node to a LoadBalancer IP: its own pod's reply crosses no raw chain", [DENY_FROM_APP_0], "node/node-b",
     "198.51.100.10", 80, {A0: "allow", A1: "allow"}, ""),
]


@pytest.mark.parametrize("case, extra, src, dst, port, verdicts, reason", CASES, ids=[c[0] for c in CASES])
def test_donottrack_on_service_replies(case, extra, src, dst, port, verdicts, reason):
    flow = FlowQuery(load_documents(copy.deepcopy([*OPEN, *HEPS, *extra])))(src, dst, "TCP", port)
    assert {leg.name: result.verdict for leg, result in flow.legs} == verdicts
    for _, result in flow.legs:
        if result.verdict == "deny":
            text = " ".join(f"{s.policy} {s.reason}" for s in (*result.egress.trace, *result.ingress.trace))
            assert reason in text, text


NODE_A_HEP = copy.deepcopy(HEPS[0])
AGENT = "web/agent"
RAW_DENY_TO_OUTSIDE = raw("raw-deny-to-outside", "Egress", "Deny", "203.0.113.0/24")
RAW_ALLOW_TO_OUTSIDE = raw("raw-allow-to-outside", "Egress", "Allow", "203.0.113.0/24")
RAW_ALLOW_TO_NODE_A = raw("raw-allow-to-node-a", "Egress", "Allow", "172.18.0.2/32")
RAW_DENY_FROM_NODE_B = raw("raw-deny-from-node-b", "Ingress", "Deny", "172.18.0.3/32")
RAW_ALLOW_FROM_NODE_B = raw("raw-allow-from-node-b", "Ingress", "Allow", "172.18.0.3/32")
AGENT_EXTERNAL = copy.deepcopy(node_backends.AGENT_SERVICE)
AGENT_EXTERNAL["spec"]["externalIPs"] = ["198.51.100.40"]
AGENT_IN = gnp("agent-in", {"order": 10, "selector": "has(host-endpoint)", "ingress": [{"action": "Allow"}]})

# a hostNetwork backend (web/agent on node-b, tests/engine/test_node_backends.py): the node sends the reply
# itself, so its raw OUTPUT judges it (StaticRawOutputChain); from another entry node, that node's raw
# PREROUTING then. (case, extra objects, source, destination, verdict, fragment of the trace)
NODE_CASES = [
    ("its own NodePort from outside: raw OUTPUT Deny drops the reply", [RAW_DENY_TO_OUTSIDE], "203.0.113.7",
     "node-b:31020", "deny", DROPPED),
    ("its own NodePort: raw OUTPUT Allow leaves the reply un-NATed (port 9100, not 31020)", [RAW_ALLOW_TO_OUTSIDE],
     "203.0.113.7", "node-b:31020", "deny", NEVER),
    ("via node-a's NodePort: node-b's raw OUTPUT Allow toward node-a is no NAT of node-b's", [RAW_ALLOW_TO_NODE_A],
     "203.0.113.7", "node-a:31020", "allow", ""),
    ("via node-a's NodePort: raw Deny on the reply into node-a", [RAW_DENY_FROM_NODE_B], "203.0.113.7",
     "node-a:31020", "deny", DROPPED),
    ("via node-a's NodePort: raw Allow on the reply into node-a, never un-NATed", [RAW_ALLOW_FROM_NODE_B],
     "203.0.113.7", "node-a:31020", "deny", NEVER),
    ("ClusterIP from a pod on node-a: the reply into node-a, DNATed there", [RAW_ALLOW_FROM_NODE_B],
     "web/client", "svc/web/agent", "deny", NEVER),
    ("without doNotTrack", [], "203.0.113.7", "node-a:31020", "allow", ""),
    ("an external IP from outside enters the backend's node: raw OUTPUT Deny drops the reply",
     [RAW_DENY_TO_OUTSIDE], "203.0.113.7", "198.51.100.40", "deny", DROPPED),
]


@pytest.mark.parametrize("case, extra, src, dst, verdict, reason", NODE_CASES, ids=[c[0] for c in NODE_CASES])
def test_donottrack_on_a_host_network_backends_replies(case, extra, src, dst, verdict, reason):
    objects = [o for o in node_backends.BASE if o is not node_backends.AGENT_SERVICE]
    objects += [AGENT_EXTERNAL, NODE_A_HEP, node_backends.NODE_B_HEP, AGENT_IN, *extra]
    flow = FlowQuery(load_documents(copy.deepcopy(objects)))(src, dst, "TCP", None if ":" in dst else 80)
    (leg, result), = flow.legs
    assert leg.name == AGENT and result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for s in (*result.egress.trace, *result.ingress.trace))
    assert reason in text, text


# Two nodes for the lab (tests/lab/test_service_verify.py): the same cases, every probe compared with the kernel
TWO_NODES = [o for o in OPEN if o["metadata"].get("name") != "node-c"]
LAB_INPUTS = {
    "deny": [*TWO_NODES, *HEPS, DENY_FROM_APP_0, DENY_FROM_NODE_PORT, DENY_TO_NODE_B],
    "allow": [*TWO_NODES, *HEPS, ALLOW_FROM_APP_0, ALLOW_FROM_NODE_PORT],
    "host-network": [*TWO_NODES, node_backends.AGENT, AGENT_EXTERNAL, NODE_A_HEP,
                     node_backends.NODE_B_HEP, AGENT_IN, RAW_DENY_TO_OUTSIDE, RAW_ALLOW_FROM_NODE_B],
}


# the usual doNotTrack reply rule: from the backend's address and port. (A rule on a source port alone also
# matches requests sent from that port: the rows count a backend when every source port works, as the matrix
# does, while `query` judges the host endpoint hooks at one ephemeral client port, so the two can differ there.)
APP_0_REPLIES = gnp("raw-allow-app-0-replies", {
    "order": 1, "doNotTrack": True, "applyOnForward": True, "selector": "has(host-endpoint)", "types": ["Ingress"],
    "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"nets": ["10.244.2.10/32"], "ports": [8000]}}]})

# The matrix's Service rows (ClusterIP) on inputs whose doNotTrack policy matches the replies of pods' legs:
# every row cell equals `query`'s answer for that Service (docs/semantics.md#service-rows), with an
# internalTrafficPolicy Local Service and a hostNetwork backend among them
CLIENT_B = pod("client-b", "10.244.2.5", "node-b", {"app": "client"})
SOURCES = ("web/client", "web/client-b", A0, A1)
ALLOW_FROM_APP_1 = raw("raw-allow-from-app-1", "Ingress", "Allow", "10.244.1.10/32")
DENY_FROM_APP_1 = raw("raw-deny-from-app-1", "Ingress", "Deny", "10.244.1.10/32")
ROW_INPUTS = [
    ("raw Allow on app-0's replies into node-a", [ALLOW_FROM_APP_0], SOURCES),
    ("raw Deny on app-0's replies into node-a", [DENY_FROM_APP_0], SOURCES),
    ("raw Allow on app-1's replies into node-b", [ALLOW_FROM_APP_1], SOURCES),
    ("raw Deny on app-1's replies into node-b", [DENY_FROM_APP_1], SOURCES),
    ("raw Allow from every pod: requests and replies untracked", [raw("raw-allow-pods", "Ingress", "Allow",
                                                                      "10.244.0.0/16")], SOURCES),
    # (app-0 itself is no source here: its requests sent from port 8000 match the rule too, see above)
    ("raw Allow on app-0's replies from port 8000, the client's ingress closed", [APP_0_REPLIES, CLIENT_CLOSED],
     ("web/client", "web/client-b", A1)),
    ("raw Allow and Deny, both nodes", [ALLOW_FROM_APP_0, DENY_FROM_APP_1], SOURCES),
]


@pytest.mark.parametrize("case, extra, sources", ROW_INPUTS, ids=[c[0] for c in ROW_INPUTS])
def test_service_rows_equal_query(case, extra, sources):
    objects = [*OPEN, *HEPS, CLIENT_B, LOCAL, node_backends.AGENT, node_backends.AGENT_SERVICE, AGENT_IN, *extra]
    cluster = load_documents(copy.deepcopy(objects))
    evaluator = FlowEvaluator(cluster)
    paths = ServicePaths(cluster, evaluator.ctx.backends)
    rows = service_rows(matrix(cluster))
    assert len(rows) == 4
    for row in rows:
        entry = paths.entry(f"svc/{row.service.id}", row.port.protocol, row.port.port)
        for source in sources:
            flow = evaluate_service(evaluator, paths, source, row.service.id, entry, row.port.protocol)
            reached = sum(r.verdict == "allow" for _, r in flow.legs)
            assert (reached, len(flow.legs)) == (row.reached.get(source, 0), row.candidates(source)), (row.service.id,
                                                                                                     source)
