"""IPv6 and dual-stack Services and node ends, one table (docs/semantics.md#service-paths).

Sources: kube-proxy runs one proxier per address family (`pkg/proxy/nftables/proxier.go`
`NewDualStackProxier`, `setupNFTables`: `ip6 kube-proxy`), each fed the EndpointSlices of its family; the
EndpointSlice controller writes one slice per family of the Service (`getAddressTypesForService`: its
`ipFamilies`, else its ClusterIP's, headless without them: both), with the pod IPs of that family
(`getEndpointAddresses`); masquerade takes the node's address of the packet's family.
"""

from __future__ import annotations

import pytest

from netpolicy import api
from netpolicy.api import load_documents
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.node_flow import evaluate_node_flow
from tests.engine.test_service_path import flow_of


def node(name, *addresses):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"addresses": [{"type": "InternalIP", "address": a} for a in addresses]}}


def pod(name, node_name, labels, *ips, port=None):
    ports = [{"name": "http", "containerPort": port}] if port else []
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "web", "labels": labels},
            "spec": {"nodeName": node_name, "containers": [{"name": "c", "ports": ports}]},
            "status": {"phase": "Running", "podIP": ips[0], "podIPs": [{"ip": ip} for ip in ips]}}


def service(name, node_port, *cluster_ips):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "web"},
            "spec": {"type": "NodePort", "selector": {"app": "web"}, "clusterIP": cluster_ips[0],
                     "clusterIPs": list(cluster_ips), "ports": [{"port": 80, "targetPort": "http", "nodePort": node_port}]}}


OFFICE = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
          "metadata": {"name": "office-and-client", "namespace": "web"},
          "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                   "ingress": [{"from": [{"ipBlock": {"cidr": "2001:db8:7::/48"}}, {"ipBlock": {"cidr": "203.0.113.0/24"}},
                                         {"podSelector": {"matchLabels": {"app": "client"}}}]}]}}
DUAL = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}},
    node("node-a", "172.18.0.2", "fd00:18::2"), node("node-b", "172.18.0.3", "fd00:18::3"),
    pod("app-0", "node-b", {"app": "web"}, "10.244.2.10", "fd00:244:2::10", port=8000),
    pod("client", "node-a", {"app": "client"}, "10.244.1.5", "fd00:244:1::5"),
    service("dual", 31000, "10.96.5.5", "fd00:96::5"),
    service("v4-only", 31001, "10.96.5.6"),
    service("v6-only", 31002, "fd00:96::7"),
    OFFICE,
]

# (case, source, destination, port, backend addresses reached → verdict, source the backend's ingress sees)
CASES = [
    ("the IPv6 ClusterIP of a dual-stack Service: the IPv6 endpoints only", "fd00:244:1::5", "fd00:96::5", 80,
     {"fd00:244:2::10": "allow"}, "web/client"),
    ("the IPv4 ClusterIP of the same Service: the IPv4 endpoints only", "web/client", "10.96.5.5", 80,
     {"10.244.2.10": "allow"}, "web/client"),
    ("an IPv4-only Service of dual-stack pods: its slice holds their IPv4 addresses only", "web/client", "svc/web/v4-only",
     None, {"10.244.2.10": "allow"}, "web/client"),
    ("an IPv6-only Service", "fd00:244:1::5", "svc/web/v6-only", None, {"fd00:244:2::10": "allow"}, "web/client"),
    ("NodePort on node-a's IPv6 address, eTP Cluster, backend on node-b: masqueraded to node-a's IPv6 address",
     "2001:db8:7::7", "fd00:18::2", 31002, {"fd00:244:2::10": "deny"}, "fd00:18::2"),
    ("NodePort on node-b's IPv6 address: the client kept", "2001:db8:7::7", "fd00:18::3", 31000,
     {"fd00:244:2::10": "allow"}, "2001:db8:7::7"),
    ("a node to an IPv6 ClusterIP: from its IPv6 address", "node/node-a", "fd00:96::5", 80,
     {"fd00:244:2::10": "deny"}, "fd00:18::2"),
]


@pytest.mark.parametrize("case, src, dst, port, expected, seen", CASES, ids=[c[0] for c in CASES])
def test_ipv6_service_paths(case, src, dst, port, expected, seen):
    flow = flow_of(DUAL, src, dst, port)
    assert {str(leg.backend.address): result.verdict for leg, result in flow.legs} == expected
    for _, result in flow.legs:
        assert seen in " ".join(step.reason for step in result.ingress.trace) + " " + str(result.src)


def test_a_node_address_of_a_family_is_kept():
    """`query --from <node's IPv6 address>` sends from that address, not the node's first one."""
    evaluator = FlowEvaluator(load_documents(DUAL))
    result = evaluate_node_flow(evaluator, "fd00:18::2", "web/app-0", 6, 8000, None)
    assert result.verdict == "deny" and "fd00:18::2" in str(result.src)
    assert evaluate_node_flow(evaluator, "node/node-a", "web/app-0", 6, 8000, None).verdict == "deny"


def test_the_external_class_at_the_bottom_of_ipv6_is_ipv6():
    """The outside class starting at `::` gets an IPv6 representative (`ip_address(0)` would be 0.0.0.0): the
    matrix judges it as `query` does."""
    matrix = api.matrix(load_documents(DUAL[:1] + DUAL[3:5] + [OFFICE]))
    low = next(e for e in matrix.endpoints if e.id.startswith("external:::-"))
    assert low.ips[0].version == 6
    assert matrix.connections("web/client", low.id).allows(6, 9, 40000)
    assert not matrix.connections(low.id, "web/app-0").allows(6, 8000, 40000)


FROM_CLIENT_V6 = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                  "metadata": {"name": "client-v6-only", "namespace": "web"},
                  "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                           "ingress": [{"from": [{"ipBlock": {"cidr": "fd00:244:1::/64"}}]}]}}


@pytest.mark.parametrize("dst, verdict", [("fd00:96::5", "allow"), ("10.96.5.5", "deny"), ("svc/web/v6-only", "allow")])
def test_a_dual_stack_pod_reaches_an_ipv6_entry_from_its_ipv6_address(dst, verdict):
    """A dual-stack pod's connection to an IPv6 ClusterIP leaves from its IPv6 address (the only one that can
    reach it): an ipBlock on the pods' IPv6 range admits it there, not through the IPv4 ClusterIP."""
    objects = [o for o in DUAL if o is not OFFICE] + [FROM_CLIENT_V6]
    flow = flow_of(objects, "web/client", dst, 80 if not dst.startswith("svc/") else None)
    assert [r.verdict for _, r in flow.legs] == [verdict]


def test_the_matrix_service_row_of_a_dual_stack_service_counts_its_cluster_ips_family():
    """The matrix's Service rows go through the (first) ClusterIP, as `query --to svc/…` does: a dual-stack
    Service's row counts the backends of that family, one per pod, and agrees with `query`."""
    from netpolicy.engine.service_rows import service_rows

    cluster = load_documents([o for o in DUAL if o is not OFFICE] + [FROM_CLIENT_V6])
    rows = {row.service.name: row for row in service_rows(api.matrix(cluster))}
    assert [str(b.address) for b, _ in rows["dual"].backends] == ["10.244.2.10"]
    assert "web/client" not in rows["dual"].reached  # the IPv4 ClusterIP: the ipBlock on IPv6 does not admit it
    assert [str(b.address) for b, _ in rows["v6-only"].backends] == ["fd00:244:2::10"]
    assert rows["v6-only"].reached.get("web/client") == 1
