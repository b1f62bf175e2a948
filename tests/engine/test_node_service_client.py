"""A node as the client of a NodePort, LoadBalancer or external IP, one table: which backends each leg
reaches and how each is judged (docs/semantics.md#service-fields).

Sources: kube-proxy `pkg/proxy/nftables/proxier.go`: `nftablesJumpChains` (nat output jumps to
`services`; `endpoints-check` from filter input, forward and output, before DNAT; `nodeport-endpoints-check`
from filter input only), `syncProxyRules` (`service-ips` for LoadBalancer and external IPs, NodePorts only
on `fib daddr type local`; externalTrafficChain "masquerade local traffic" and "short-circuit local
traffic" go to every endpoint; eTP Local without a local endpoint puts the LoadBalancer and external IPs
in `no-endpoint-services` with `drop`); another node's address is not local, so the packet leaves as a
plain packet and that node translates it like any client's. Felix (`felix/rules/static.go`): raw OUTPUT
judges the packet as sent on the interface routed to before DNAT (the node's own address: `lo`, which no
raw chain dispatches; a LoadBalancer or external IP: the fabric interface); filter OUTPUT dispatches host
endpoint policy only for packets not DNATed (filterOutputChain `notDNATMatch`), and mangle POSTROUTING
judges the DNATed ones by the normal egress policy of the interface routed to after DNAT
(StaticManglePostroutingChain, "Skip egress WHEP policy for traffic to local workload" in
`dispatch.go`): a leg to the node's own pod is not policed, one to a pod elsewhere leaves by the fabric
interface; `lo` (a backend in the node's own network) only an `interfaceName: "*"` endpoint governs.
"""

from __future__ import annotations

import copy

import pytest

from tests.engine import test_host_path as host_path
from tests.engine.test_pod_entry import HEPS
from tests.engine.test_service_fields import RANGES, with_spec
from tests.engine.test_service_path import OBJECTS, POLICY, flow_of, service
from tests.engine.test_star_hooks import STARS

A0, A1 = "web/app-0", "web/app-1"  # app-0 on node-b, app-1 on node-a


def admitting(cidr: str) -> dict:
    """The app pods' ingress admits `cidr` (a node's address: the source its legs show)."""
    out = copy.deepcopy(POLICY)
    out["metadata"]["name"] = f"admit-{cidr.replace('/', '-')}"
    out["spec"]["ingress"] = [{"from": [{"ipBlock": {"cidr": cidr}}]}]
    return out


def hep_egress_deny(cidr: str) -> dict:
    """Host endpoint egress policy (filter OUTPUT) denying one destination range."""
    return host_path.gnp("hep-out", {"order": 10, "selector": "has(host-endpoint)", "types": ["Egress"],
                                     "egress": [{"action": "Deny", "destination": {"nets": [cidr]}}, {"action": "Allow"}]})


NODE_A = [*OBJECTS, admitting("172.18.0.2/32")]
NODES = [*OBJECTS, admitting("172.18.0.0/24")]
LOCAL_LB = with_spec(service("web-local-lb", 31002, "Local", ip="10.96.5.10", lb="198.51.100.40"), selector={"app": "web"})
# (case, objects, source, destination, port, {backend: verdict}, fragment of `dropped`)
CASES = [
    ("own NodePort, eTP Cluster: translated on the node, own pod unpoliced, the other judged on its address",
     OBJECTS, "node/node-a", "node-a:31000", None, {A1: "allow", A0: "deny"}, ""),
    ("own NodePort by address", NODE_A, "172.18.0.2", "172.18.0.2", 31000, {A1: "allow", A0: "allow"}, ""),
    ("own NodePort, eTP Local: short-circuit local traffic, every endpoint (an outside client: node-a's only)",
     OBJECTS, "node/node-a", "node-a:31001", None, {A1: "allow", A0: "deny"}, ""),
    ("own Local NodePort without a local endpoint: every endpoint, not dropped (nodeport check is input only)",
     NODES, "node/node-c", "node-c:31001", None, {A0: "allow", A1: "allow"}, ""),
    ("another node's NodePort, eTP Cluster: the backend there sees the client node, the remote one the entry node",
     NODE_A, "node/node-a", "node-b:31000", None, {A0: "allow", A1: "deny"}, ""),
    ("another node's NodePort, masqueraded back to the client node's pod by the entry node's address",
     [*OBJECTS, admitting("172.18.0.3/32")], "node/node-a", "node-b:31000", None, {A0: "deny", A1: "allow"}, ""),
    ("another node's Local NodePort: that node's endpoints only, the client node's address kept",
     NODE_A, "node/node-a", "node-b:31001", None, {A0: "allow"}, ""),
    ("another node's Local NodePort without a local endpoint: dropped there", NODES, "node/node-a", "node-c:31001",
     None, {}, "no endpoint of web/web-local on node node-c"),
    ("LoadBalancer IP: translated on the client node, every endpoint", OBJECTS, "node/node-b", "198.51.100.10", 80,
     {A0: "allow", A1: "deny"}, ""),
    ("external IP from a node's address", NODES, "172.18.0.4", "198.51.100.20", 80, {A0: "allow", A1: "allow"}, ""),
    ("Local LoadBalancer IP from a node with a local endpoint: short-circuit, every endpoint", NODES, "node/node-a",
     "198.51.100.40", 80, {A0: "allow", A1: "allow"}, ""),
    ("Local LoadBalancer IP from a node without one: endpoints-check drops it before DNAT", NODES, "node/node-c",
     "198.51.100.40", 80, {}, "`endpoints-check` (filter output, before DNAT)"),
    ("loadBalancerSourceRanges without the node's address: firewall-check in filter output drops it",
     [*NODES, RANGES], "node/node-a", "198.51.100.30", 80, {}, "outside the loadBalancerSourceRanges"),
    ("host endpoint egress on the pods' range: own NodePort, mangle POSTROUTING denies the leg out eth0, skips "
     "its own pod", [*NODES, *HEPS, hep_egress_deny("10.244.0.0/16")], "node/node-a", "node-a:31000", None,
     {A0: "deny", A1: "allow"}, ""),
    ("host endpoint egress on the pods' range: a LoadBalancer IP, the same after DNAT",
     [*NODES, *HEPS, hep_egress_deny("10.244.0.0/16")], "node/node-a", "198.51.100.10", 80,
     {A0: "deny", A1: "allow"}, ""),
    ("the same under `*` host endpoints", [*NODES, *STARS, hep_egress_deny("10.244.0.0/16")], "node/node-a",
     "node-a:31000", None, {A0: "deny", A1: "allow"}, ""),
    ("host endpoint egress on the pods' range: another node's NodePort is sent to its address, allowed",
     [*NODES, *HEPS, hep_egress_deny("10.244.0.0/16")], "node/node-a", "node-b:31000", None,
     {A0: "allow", A1: "allow"}, ""),
    ("host endpoint egress on node-b's address: the packet to its NodePort is denied as sent",
     [*NODES, *HEPS, hep_egress_deny("172.18.0.3/32")], "node/node-a", "node-b:31000", None,
     {A0: "deny", A1: "deny"}, ""),
]


@pytest.mark.parametrize("case, objects, src, dst, port, expected, dropped", CASES, ids=[c[0] for c in CASES])
def test_node_as_service_client(case, objects, src, dst, port, expected, dropped):
    objects = [*objects, LOCAL_LB] if "198.51.100.40" == dst else objects
    flow = flow_of(objects, src, dst, port)
    assert {leg.name: result.verdict for leg, result in flow.legs} == expected
    assert (dropped in flow.dropped) if dropped else not flow.dropped


def test_the_answer_says_where_it_was_translated():
    own = flow_of(OBJECTS, "node/node-a", "node-a:31001", None)
    assert all("nat OUTPUT" in leg.why and "short-circuit local traffic" in leg.why for leg, _ in own.legs)
    other = flow_of([*OBJECTS, *HEPS], "node/node-a", "node-b:31000", None)
    assert all("translated on node-b" in r.egress.trace[0].reason for _, r in other.legs)
    lo = flow_of([*OBJECTS, *HEPS], "node/node-a", "node-a:31000", None)
    assert all("routed to lo" in r.egress.trace[0].reason for _, r in lo.legs)


# A node's own address as a Service address: the kernel routes any local address to `lo` (the local routing
# table), whichever interface holds it, so no raw OUTPUT chain sees the packet as sent, as for its own
# NodePort. node-a also has a second named host endpoint (eth1, 192.168.50.2): its address is local too.
ETH1 = host_path.hep("node-a-eth1", "eth1", node="node-a", ips=("192.168.50.2",))
OWN_EXTERNAL = service("web-own", 31003, ip="10.96.5.11", external=["172.18.0.2", "192.168.50.2", "198.51.100.21"])
# doNotTrack egress Deny toward the Service addresses as sent (raw OUTPUT; after DNAT: the backends)
RAW_OUT = host_path.gnp("raw-out", {"order": 10, "selector": "has(host-endpoint)", "doNotTrack": True,
                                    "applyOnForward": True, "types": ["Egress"],
                                    "egress": [{"action": "Deny", "destination": {"nets": [
                                        "172.18.0.2/32", "192.168.50.2/32", "198.51.100.21/32"]}}]})
ROUTED = [*NODES, *HEPS, ETH1, OWN_EXTERNAL, RAW_OUT]
ROUTES = [
    ("an external IP that is the node's address (eth0): lo, no raw OUTPUT", "172.18.0.2", {A0: "allow", A1: "allow"}),
    ("an external IP on the node's other host endpoint (eth1): lo too", "192.168.50.2", {A0: "allow", A1: "allow"}),
    ("an external IP off the node: out the fabric interface, raw OUTPUT denies the packet as sent",
     "198.51.100.21", {A0: "deny", A1: "deny"}),
]


@pytest.mark.parametrize("case, address, expected", ROUTES, ids=[c[0] for c in ROUTES])
def test_a_local_service_address_routes_to_lo(case, address, expected):
    flow = flow_of(ROUTED, "node/node-a", address, 80)
    assert {leg.name: result.verdict for leg, result in flow.legs} == expected
    lo = all("routed to lo" in r.egress.trace[0].reason for _, r in flow.legs)
    assert lo == (address != "198.51.100.21")


def test_an_outside_client_to_a_node_address_enters_that_node():
    """An external IP that is node-a's address is routed to node-a (no load balancer picks the node): node-a
    translates it, so the backend on node-b sees node-a's address (externalTrafficPolicy Cluster)."""
    flow = flow_of([*OBJECTS, OWN_EXTERNAL], "203.0.113.7", "172.18.0.2", 80)
    assert flow.entry.node == "node-a"
    assert {leg.name: (r.verdict, leg.rewrite.ingress_from) for leg, r in flow.legs} == {
        A1: ("allow", None), A0: ("deny", "172.18.0.2")}
