"""kube-proxy's translation in front of the plan, one table: which backends a Service destination
reaches, on which port, what each side sees, and the verdict per backend.

Sources (kube-proxy `pkg/proxy/nftables/proxier.go` `syncProxyRules`; docs/semantics.md#service-paths):
ClusterIP → DNAT to a ready endpoint, no masquerade for pod sources; NodePort only on the node's own
addresses; externalTrafficPolicy Cluster masquerades ("If we are using non-local endpoints we need to
masquerade") after the filter, so a backend on the entry node sees the client and one on another node
the entry node's address; Local keeps the client and uses the node's endpoints only, none → "drop";
pod traffic short-circuits to every endpoint without masquerade (so from another node only that node's
endpoints answer back); invalid ClusterIP ports are rejected.
"""

from __future__ import annotations

import pytest

from netpolicy.api import load_documents
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.path import ServicePaths
from netpolicy.engine.service_flow import evaluate_service
from netpolicy.errors import InputError
from netpolicy.model.protocols import TCP


def node(name, address):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": name}]}}


def pod(name, ip, node_name, labels, port=None):
    ports = [{"name": "http", "containerPort": port}] if port else []
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "web", "labels": labels},
            "spec": {"nodeName": node_name, "containers": [{"name": "c", "ports": ports}]},
            "status": {"phase": "Running", "podIP": ip}}


def service(name, node_port, policy="Cluster", **extra):
    spec = {"type": "LoadBalancer", "selector": {"app": "web"}, "clusterIP": extra.pop("ip", "10.96.5.5"),
            "externalTrafficPolicy": policy, "externalIPs": extra.pop("external", []),
            "ports": [{"port": 80, "targetPort": "http", "nodePort": node_port}]}
    out = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "web"}, "spec": spec}
    if "lb" in extra:
        out["status"] = {"loadBalancer": {"ingress": [{"ip": extra["lb"]}]}}
    return out


POLICY = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
          "metadata": {"name": "office-and-client", "namespace": "web"},
          "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                   "ingress": [{"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}},
                                         {"podSelector": {"matchLabels": {"app": "client"}}}]}]}}
OBJECTS = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}},
    node("node-a", "172.18.0.2"), node("node-b", "172.18.0.3"), node("node-c", "172.18.0.4"),
    pod("app-0", "10.244.2.10", "node-b", {"app": "web"}, 8000),
    pod("app-1", "10.244.1.10", "node-a", {"app": "web"}, 8080),
    pod("client", "10.244.1.5", "node-a", {"app": "client"}),
    service("web", 31000, lb="198.51.100.10", external=["198.51.100.20"]),
    service("web-local", 31001, "Local", ip="10.96.5.6"),
    POLICY,
]

A0, A1 = "web/app-0", "web/app-1"
# (case, source, destination, port, {backend: (port, verdict, source its ingress sees)}, dropped)
CASES = [
    ("NodePort Cluster, entry node-a", "203.0.113.7", "node-a:31000", None,
     {A1: (8080, "allow", "203.0.113.7"), A0: (8000, "deny", "172.18.0.2")}, ""),
    ("NodePort Cluster, entry node-b by address", "203.0.113.7", "172.18.0.3", 31000,
     {A0: (8000, "allow", "203.0.113.7"), A1: (8080, "deny", "172.18.0.3")}, ""),
    ("NodePort Local keeps the client, local endpoints only", "203.0.113.7", "node-a:31001", None,
     {A1: (8080, "allow", "203.0.113.7")}, ""),
    ("NodePort Local on node-b", "203.0.113.7", "172.18.0.3", 31001, {A0: (8000, "allow", "203.0.113.7")}, ""),
    ("NodePort Local, no endpoint on the node: dropped", "203.0.113.7", "node-c:31001", None, {}, "drops"),
    ("ClusterIP from a pod: every backend, targetPort by name per pod", "web/client", "10.96.5.5", 80,
     {A0: (8000, "allow", "10.244.1.5"), A1: (8080, "allow", "10.244.1.5")}, ""),
    ("svc/ns/name is the ClusterIP", "web/client", "svc/web/web", None,
     {A0: (8000, "allow", "10.244.1.5"), A1: (8080, "allow", "10.244.1.5")}, ""),
    ("ClusterIP, a port the Service lacks: rejected", "web/client", "10.96.5.5", 8000, {}, "rejects"),
    ("a pod to another node's NodePort: masqueraded there for the remote backend", "web/client", "node-b:31000",
     None, {A0: (8000, "allow", "10.244.1.5"), A1: (8080, "deny", "172.18.0.3")}, ""),
    # a pod to another node's Local NodePort: that node short-circuits it to the cluster chain without
    # masquerade ("short-circuit pod traffic", IfLocalNFT → goto clusterPolicyChain): a backend off that
    # node replies straight to the pod, bypassing the node that translated, and the connection fails
    ("a pod to a Local NodePort on a node without endpoints: every endpoint, unmasqueraded, none answers back",
     "web/client", "node-c:31001", None, {A0: (8000, "deny", "10.244.1.5"), A1: (8080, "deny", "10.244.1.5")}, ""),
    ("a pod to a Local NodePort: the backend on that node works, the one elsewhere fails", "web/client",
     "node-b:31001", None, {A0: (8000, "allow", "10.244.1.5"), A1: (8080, "deny", "10.244.1.5")}, ""),
    ("a pod to its own node's Local NodePort: translated on its node, every endpoint", "web/client",
     "node-a:31001", None, {A0: (8000, "allow", "10.244.1.5"), A1: (8080, "allow", "10.244.1.5")}, ""),
    ("LoadBalancer ingress IP from outside: the client kept on the backend's node", "203.0.113.7", "198.51.100.10",
     80, {A0: (8000, "allow", "203.0.113.7"), A1: (8080, "allow", "203.0.113.7")}, ""),
    ("external IP from outside the office", "198.51.100.99", "198.51.100.20", 80,
     {A0: (8000, "deny", "198.51.100.99"), A1: (8080, "deny", "198.51.100.99")}, ""),
    ("LoadBalancer IP from a pod on node-a: masqueraded to node-a for node-b's backend", "web/client",
     "198.51.100.10", 80, {A1: (8080, "allow", "10.244.1.5"), A0: (8000, "deny", "172.18.0.2")}, ""),
]


def flow_of(objects, src, dst, port, protocol=TCP):
    cluster = load_documents(objects)
    evaluator = FlowEvaluator(cluster)
    paths = ServicePaths(cluster, evaluator.ctx.backends)
    entry = paths.entry(dst, protocol, port)
    assert entry is not None
    return evaluate_service(evaluator, paths, src, dst, entry, protocol)


def seen_source(result) -> str:
    """The source the backend's ingress judged (from its trace: the address, or the endpoint id's)."""
    text = " ".join(step.reason for step in result.ingress.trace)
    for candidate in ("172.18.0.2", "172.18.0.3", "203.0.113.7", "198.51.100.99"):
        if candidate in text:
            return candidate
    return "10.244.1.5" if "web/client" in text else "?"


@pytest.mark.parametrize("case, src, dst, port, expected, dropped", CASES, ids=[c[0] for c in CASES])
def test_service_paths(case, src, dst, port, expected, dropped):
    flow = flow_of(OBJECTS, src, dst, port)
    got = {leg.name: (leg.target.port, result.verdict, seen_source(result)) for leg, result in flow.legs}
    assert got == expected
    assert (dropped in flow.dropped) if dropped else not flow.dropped
    assert flow.verdict == ("allow" if expected and all(v == "allow" for _, v, _ in expected.values()) else "deny")


def test_egress_ipblock_on_a_cluster_ip_matches_nothing():
    """An egress ipBlock on the ClusterIP: policy sees the backend after DNAT, so it denies, and says why."""
    egress = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "to-vip", "namespace": "web"},
              "spec": {"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"],
                       "egress": [{"to": [{"ipBlock": {"cidr": "10.96.5.5/32"}}]}]}}
    flow = flow_of([*OBJECTS, egress], "web/client", "10.96.5.5", 80)
    assert flow.verdict == "deny"
    assert any("never matches" in note and "web/to-vip" in note for note in flow.notes)


def test_pod_to_another_nodes_node_port_egress_sees_the_node_address():
    """The client's node does not DNAT another node's address: its egress judges nodeIP:nodePort."""
    egress = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "to-pods-only", "namespace": "web"},
              "spec": {"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"],
                       "egress": [{"to": [{"podSelector": {}}]}]}}
    flow = flow_of([*OBJECTS, egress], "web/client", "node-b:31000", None)
    assert [r.egress.verdict for _, r in flow.legs] == ["deny", "deny"]
    via_cluster_ip = flow_of([*OBJECTS, egress], "web/client", "10.96.5.5", 80)
    assert [r.egress.verdict for _, r in via_cluster_ip.legs] == ["allow", "allow"]


def test_slices_give_the_ready_backends():
    """With EndpointSlices, kube-proxy uses the ready endpoints; a Service with none rejects."""
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
              "metadata": {"name": "web-1", "namespace": "web", "labels": {"kubernetes.io/service-name": "web"}},
              "endpoints": [{"addresses": ["10.244.2.10"], "conditions": {"ready": True}, "nodeName": "node-b"},
                            {"addresses": ["10.244.1.10"], "conditions": {"ready": False}, "nodeName": "node-a"}],
              "ports": [{"port": 8000, "protocol": "TCP"}]}
    flow = flow_of([*OBJECTS, slice_], "203.0.113.7", "node-b:31000", None)
    assert [(leg.name, leg.target.port) for leg, _ in flow.legs] == [(A0, 8000)]
    not_ready = {**slice_, "endpoints": [{**e, "conditions": {"ready": False}} for e in slice_["endpoints"]]}
    flow = flow_of([*OBJECTS, not_ready], "203.0.113.7", "node-b:31000", None)
    assert not flow.legs and "no ready endpoint" in flow.dropped


@pytest.mark.parametrize("dst, port, message", [
    ("svc/web/nope", None, "names no Service"),
    ("node-a:32000", None, "no NodePort"),
])
def test_bad_service_destinations(dst, port, message):
    cluster = load_documents(OBJECTS)
    with pytest.raises(InputError, match=message):
        ServicePaths(cluster).entry(dst, TCP, port)


def test_a_node_address_on_another_port_is_no_service():
    assert ServicePaths(load_documents(OBJECTS)).entry("172.18.0.2", TCP, 22) is None


def test_short_circuited_local_node_port_says_why_it_fails():
    """The failing leg names the missing masquerade in its path and in the backend's trace."""
    flow = flow_of(OBJECTS, "web/client", "node-b:31001", None)
    failed = dict((leg.name, (leg, result)) for leg, result in flow.legs)[A1]
    assert "without masquerade" in failed[0].fails and "node-a" in failed[0].fails
    assert failed[1].ingress.verdict == "deny" and "never passes node-b" in failed[1].ingress.trace[-1].reason
    assert not dict((leg.name, leg) for leg, _ in flow.legs)[A0].fails


def test_short_circuited_hairpin_is_masqueraded():
    """The pod itself as the picked backend: its endpoint chain masquerades the hairpin to the entry node."""
    client_backend = {**OBJECTS[6], "metadata": {**OBJECTS[6]["metadata"], "labels": {"app": "web"}},
                      "spec": {"nodeName": "node-a", "containers": [{"name": "c", "ports": [
                          {"name": "http", "containerPort": 8080}]}]}}
    flow = flow_of([*OBJECTS[:6], client_backend, *OBJECTS[7:]], "web/client", "node-b:31001", None)
    legs = {leg.name: (leg, result) for leg, result in flow.legs}
    leg, _ = legs["web/client"]
    assert not leg.fails and leg.rewrite.ingress_from == "172.18.0.3"
