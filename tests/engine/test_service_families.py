"""A Service address of one family from a source of the other, and a Service IP that is a node's address,
one table each (docs/semantics.md#service-fields, #nodes).

Sources: kube-proxy runs one proxier per address family (`pkg/proxy/nftables/proxier.go`
`NewDualStackProxier`): a packet never changes family, so an IPv6 source cannot reach an IPv4 Service
address. Its `services` chain, jumped to from nat PREROUTING and nat OUTPUT, matches `ip daddr . meta
l4proto . th dport` against the `service-ips` map (ClusterIPs, LoadBalancer IPs, externalIPs) before any
host INPUT: a LoadBalancer or external IP that is a node's address takes that address's traffic on the
Service's ports to the backends; other ports stay the node's.
"""

from __future__ import annotations

import pytest

from netpolicy.analysis.flow_query import FlowQuery
from netpolicy.api import load_documents
from netpolicy.errors import InputError
from tests.engine.test_ipv6_services import OFFICE, node, pod


def balanced(name, cluster_ip, lb_ip, *external):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "web"},
            "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "clusterIP": cluster_ip,
                     "externalIPs": list(external), "ports": [{"port": 80, "targetPort": "http", "nodePort": 31000}]},
            "status": {"loadBalancer": {"ingress": [{"ip": lb_ip}]}}}


OBJECTS = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}},
    node("node-a", "172.18.0.2", "fd00:18::2"), node("node-b", "172.18.0.3"),
    pod("app-0", "node-b", {"app": "web"}, "10.244.2.10", "fd00:244:2::10", port=8000),
    pod("v6-client", "node-a", {"app": "client"}, "fd00:244:1::5"),
    balanced("lb", "10.96.5.5", "203.0.113.10", "172.18.0.3"),
    OFFICE,
]

# (case, source, destination, port, the error's words)
MISMATCHED = [
    ("an IPv6 range's address to an IPv4 LoadBalancer IP", "2001:db8:7::7", "203.0.113.10", 80,
     "--from 2001:db8:7::7 is IPv6, the LoadBalancer IP 203.0.113.10 of service web/lb is IPv4"),
    ("an IPv6 address to an IPv4 external IP", "2001:db8:7::7", "172.18.0.3", 80,
     "--from 2001:db8:7::7 is IPv6, the external IP 172.18.0.3 of service web/lb is IPv4"),
    ("an IPv6 address to an IPv4 ClusterIP", "2001:db8:7::7", "10.96.5.5", 80,
     "--from 2001:db8:7::7 is IPv6, the ClusterIP 10.96.5.5 of service web/lb is IPv4"),
    ("an IPv6-only pod to an IPv4 LoadBalancer IP", "web/v6-client", "203.0.113.10", 80,
     "--from web/v6-client is IPv6, the LoadBalancer IP 203.0.113.10"),
    ("an IPv4 address to a NodePort on a node's IPv6 address", "198.51.100.1", "fd00:18::2", 31000,
     "--from 198.51.100.1 is IPv4, the NodePort address fd00:18::2 of service web/lb is IPv6"),
]


@pytest.mark.parametrize("case, src, dst, port, words", MISMATCHED, ids=[c[0] for c in MISMATCHED])
def test_a_packet_keeps_its_family(case, src, dst, port, words):
    with pytest.raises(InputError) as error:
        FlowQuery(load_documents(OBJECTS))(src, dst, "TCP", port)
    assert words in str(error.value)


# (case, source, destination, port, the Service entry reached or None: the node's own answer, verdict)
ON_NODE = [
    ("node/<n> on the port of an external IP that is its address: the Service's backends, judged by their policy",
     "198.51.100.1", "node/node-b", 80, "externalIP", "deny"),
    ("the same from the office range the backends admit", "203.0.113.7", "node/node-b", 80, "externalIP", "allow"),
    ("the node's address on that port: the same", "198.51.100.1", "172.18.0.3", 80, "externalIP", "deny"),
    ("node/<n> on another port: the node itself (no host endpoint: not policed)", "198.51.100.1", "node/node-b", 22,
     None, "allow"),
    ("the node's address on another port: the node itself", "198.51.100.1", "172.18.0.3", 22, None, "allow"),
    ("node/<n> on the NodePort: the NodePort, as <node>:<nodePort>", "198.51.100.1", "node/node-b", 31000,
     "NodePort", "deny"),
    ("a node without such an address: the node itself", "198.51.100.1", "node/node-a", 80, None, "allow"),
]


@pytest.mark.parametrize("case, src, dst, port, kind, verdict", ON_NODE, ids=[c[0] for c in ON_NODE])
def test_a_service_ip_on_a_node_address(case, src, dst, port, kind, verdict):
    flow = FlowQuery(load_documents(OBJECTS))(src, dst, "TCP", port)
    entry = getattr(flow, "entry", None)
    assert (entry.kind if entry is not None else None) == kind
    if kind is not None:
        assert [str(leg.backend.address) for leg, _ in flow.legs] == ["10.244.2.10"]
    assert flow.verdict == verdict


def test_matrix_service_rows_leave_the_other_family_out():
    """The matrix's Service rows judged per source (a hostNetwork backend) skip a source of the other family,
    as `query` refuses it, instead of failing."""
    from netpolicy.api import matrix
    from netpolicy.engine.service_rows import service_rows

    host = pod("host-web", "node-b", {"app": "host-web"}, "172.18.0.3", port=8080)
    host["spec"]["hostNetwork"] = True
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "host", "namespace": "web"},
           "spec": {"selector": {"app": "host-web"}, "clusterIP": "10.96.5.8",
                    "ports": [{"port": 80, "targetPort": "http"}]}}
    rows = service_rows(matrix(load_documents([*OBJECTS, host, svc])))
    (row,) = [r for r in rows if r.service.name == "host"]
    assert "web/v6-client" not in row.reached and "web/app-0" in row.reached
