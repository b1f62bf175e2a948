"""kube-proxy's per-Service fields in front of policy, one table each: `internalTrafficPolicy`,
`loadBalancerSourceRanges` and `sessionAffinity` (docs/semantics.md#service-fields).

Sources (kube-proxy `pkg/proxy/nftables/proxier.go` `syncProxyRules`, `pkg/proxy/serviceport.go`
`newBaseServiceInfo`, `pkg/proxy/topology.go` `CategorizeEndpoints`):
- internalTrafficPolicy Local: the ClusterIP goes to the local policy chain, the endpoints on the
  translating node (the client's); none there → the `no-endpoint-services` verdict is `drop`.
- loadBalancerSourceRanges: `firewall-ips` sends a LoadBalancer ingress IP (not a NodePort, not an external
  IP) to the `firewall-…` chain from filter prerouting, before DNAT: `ip saddr != { ranges } drop`, the
  LoadBalancer IPs added to the ranges when kube-proxy's node address is in one.
- sessionAffinity ClientIP: per-endpoint `affinity-…` sets (timeout `timeoutSeconds`) looked up before the
  random pick: reachability per backend is unchanged, a client keeps its backend.
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.api import load_documents, matrix
from netpolicy.engine.service_rows import service_rows
from netpolicy.render.matrix_services import services_json
from tests.engine.test_service_path import OBJECTS, flow_of, pod, service

A0, A1 = "web/app-0", "web/app-1"


def with_spec(svc, **spec):
    out = copy.deepcopy(svc)
    out["spec"].update(spec)
    return out


# a NodePort too: its NodePort keeps following externalTrafficPolicy (Cluster), only the ClusterIP is local
LOCAL = with_spec(service("web-itl", 31010, ip="10.96.5.7"), type="NodePort", internalTrafficPolicy="Local")
RANGES = with_spec(service("web-lb", 31011, ip="10.96.5.8", lb="198.51.100.30"),
                   loadBalancerSourceRanges=["203.0.113.0/24"])
STICKY = with_spec(service("web-sticky", 31012, ip="10.96.5.9"), sessionAffinity="ClientIP",
                   sessionAffinityConfig={"clientIP": {"timeoutSeconds": 600}})
CLIENT_C = pod("client-c", "10.244.3.5", "node-c", {"app": "client"})
NOWHERE = pod("client-x", "10.244.9.5", None, {"app": "client"})
EXTRA = [LOCAL, RANGES, STICKY, CLIENT_C, NOWHERE]

# (case, source, destination, port, {backend: verdict}, dropped or note fragment)
CASES = [
    ("iTP Local: only the endpoint on the client's node", "web/client", "svc/web/web-itl", None,
     {A1: "allow"}, "not tried: web/app-0"),
    ("iTP Local: no endpoint on the client's node: dropped", "web/client-c", "svc/web/web-itl", None,
     {}, "no ready endpoint of web/web-itl on node node-c"),
    ("iTP Local: the client's node unknown: no backend named", "web/client-x", "svc/web/web-itl", None,
     {}, "its node is not known"),
    ("iTP Local leaves the NodePort to externalTrafficPolicy", "web/client-c", "node-a:31010", None,
     {A1: "allow", A0: "deny"}, ""),  # app-0 on node-b sees node-a (masquerade)
    ("iTP Cluster (the default): every endpoint", "web/client", "svc/web/web", None,
     {A0: "allow", A1: "allow"}, ""),
    ("LB source ranges: a client in range reaches the backends", "203.0.113.7", "198.51.100.30", 80,
     {A0: "allow", A1: "allow"}, ""),
    ("LB source ranges: a client outside is dropped before DNAT", "198.51.100.99", "198.51.100.30", 80,
     {}, "outside the loadBalancerSourceRanges"),
    ("LB source ranges: a pod outside the ranges too", "web/client", "198.51.100.30", 80,
     {}, "kube-proxy on node-a drops"),
    ("LB source ranges do not guard the NodePort", "198.51.100.99", "node-a:31011", None,
     {A1: "deny", A0: "deny"}, ""),
    ("LB source ranges do not guard the ClusterIP", "web/client", "10.96.5.8", 80,
     {A0: "allow", A1: "allow"}, ""),
]


def flow(src, dst, port, extra=()):
    return flow_of([*OBJECTS, *EXTRA, *extra], src, dst, port)


@pytest.mark.parametrize("case, src, dst, port, expected, text", CASES, ids=[c[0] for c in CASES])
def test_service_fields(case, src, dst, port, expected, text):
    result = flow(src, dst, port)
    assert {leg.name: r.verdict for leg, r in result.legs} == expected
    said = " ".join((result.dropped, *result.notes))
    assert text in said
    assert bool(result.dropped) == (not expected)


@pytest.mark.parametrize("src", ["172.18.0.3", "node/node-b"])
def test_local_from_a_node_picks_that_nodes_endpoints(src):
    """A node's own connection: kube-proxy on that node (nat OUTPUT) uses its endpoints, and the leg is the
    node's traffic to its own pod, which Felix never polices (docs/semantics.md#nodes)."""
    result = flow(src, "10.96.5.7", 80)
    assert [(leg.name, r.verdict) for leg, r in result.legs] == [(A0, "allow")]
    assert any("only to endpoints on node-b" in n for n in result.notes)
    assert "never policed" in " ".join(step.reason for _, r in result.legs for step in r.ingress.trace)


def test_a_node_to_a_cluster_ip_is_node_traffic():
    """From node-b through the ClusterIP of web/web: its own pod unpoliced, the pod on node-a judged by its
    ingress policy with node-b's address (the office-and-client policy does not admit it)."""
    result = flow("node/node-b", "svc/web/web", None)
    assert {leg.name: r.verdict for leg, r in result.legs} == {A0: "allow", A1: "deny"}


def test_in_range_node_address_vip_exception():
    """A LoadBalancer IP as the source passes when kube-proxy's node address is in a range (VIP-like LBs)."""
    ranges = with_spec(RANGES, loadBalancerSourceRanges=["172.18.0.0/24"])
    result = flow_of([*OBJECTS, ranges], "198.51.100.30", "198.51.100.30", 80)
    assert result.legs and not any(leg.fails for leg, _ in result.legs)
    assert not flow_of([*OBJECTS, ranges], "198.51.100.31", "198.51.100.30", 80).legs


NOT_TO_A0 = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "client-not-a0", "namespace": "web"},
             "spec": {"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"],
                      "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.244.2.10/32"]}}]}]}}


@pytest.mark.parametrize("service_name, closed, noted", [
    ("web-sticky", True, True),   # partial: the client keeps whichever backend it first lands on
    ("web-sticky", False, False),  # every backend answers alike: nothing to say
    ("web", True, False),  # no affinity: each connection is a fresh pick
])
def test_affinity_note(service_name, closed, noted):
    objects = [*OBJECTS, *EXTRA, *([NOT_TO_A0] if closed else [])]
    result = flow_of(objects, "web/client", f"svc/web/{service_name}", None)
    assert sorted(r.verdict for _, r in result.legs) == (["allow", "deny"] if closed else ["allow", "allow"])
    assert any("sessionAffinity ClientIP (600 s)" in n for n in result.notes) == noted


def test_rows_group_sources_by_node():
    """The matrix's Service rows under internalTrafficPolicy Local: each source is counted against the
    backends on its node; a source on a node without one, or on no known node, reaches none."""
    cluster = load_documents(copy.deepcopy([*OBJECTS, *EXTRA]))
    rows = {r.service.name: r for r in service_rows(matrix(cluster))}
    row = rows["web-itl"]
    assert row.local is not None
    for source in ("web/client", "web/client-c", "web/client-x", A0, A1):
        query = flow_of([*OBJECTS, *EXTRA], source, "svc/web/web-itl", None)
        allowed = sum(r.verdict == "allow" for _, r in query.legs)
        assert row.reached.get(source, 0) == allowed, source
        assert (row.verdict(source) == "allow") == (query.verdict == "allow"), source
        assert row.candidates(source) == len(query.legs), source
    assert row.unknown_node == ("web/client-x",)
    (entry,) = [e for e in services_json([row])]
    assert entry["internal_traffic_policy"] == "Local" and entry["sources_on_unknown_node"] == ["web/client-x"]
    assert rows["web"].local is None and rows["web"].verdict("web/client-x") == "allow"
