"""hostNetwork pods as Service backends, one table: the backend is the pod's node address (the
EndpointSlice controller lists a hostNetwork pod with its pod IPs, its node's: `reconciler.go`
reconcileByAddressType, `podToEndpoint`; `ShouldPodBeInEndpoints` has no hostNetwork exception), and a
packet to it is a packet to the node: its host endpoint's raw, preDNAT and INPUT hooks judge it
(`felix/rules/static.go` filterInputChain), no pod policy; from a pod on that node, the pod's egress and
DefaultEndpointToHostAction (docs/semantics.md#node-backends).
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.api import load_documents, matrix
from netpolicy.engine.backends import ServiceBackends
from netpolicy.engine.service_rows import service_rows
from tests.engine.test_host_path import gnp, hep
from tests.engine.test_service_path import OBJECTS, flow_of, pod

AGENT = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "agent", "namespace": "web", "labels": {"app": "agent"}},
         "spec": {"nodeName": "node-b", "hostNetwork": True,
                  "containers": [{"name": "c", "ports": [{"name": "metrics", "containerPort": 9100}]}]},
         "status": {"phase": "Running", "podIP": "172.18.0.3"}}
AGENT_SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "agent", "namespace": "web"},
                 "spec": {"type": "NodePort", "selector": {"app": "agent"}, "clusterIP": "10.96.5.20",
                          "ports": [{"port": 80, "targetPort": "metrics", "nodePort": 31020}]}}
NODE_B_HEP = hep("node-b-eth0", "eth0", node="node-b", ips=("172.18.0.3",))
NODE_B_HEP["spec"]["profiles"] = ["projectcalico-default-allow"]  # its own traffic out (no egress policy)
METRICS_IN = gnp("metrics-in", {"order": 10, "selector": "has(host-endpoint)", "ingress": [
    {"action": "Allow", "protocol": "TCP", "source": {"nets": ["10.244.1.0/24", "203.0.113.0/24"]},
     "destination": {"ports": [9100]}}]})
# a NetworkPolicy selecting the hostNetwork pod: no workload endpoint, so it has no effect
AGENT_CLOSED = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "agent-closed", "namespace": "web"},
                "spec": {"podSelector": {"matchLabels": {"app": "agent"}}, "policyTypes": ["Ingress"]}}
CLIENT_C = pod("client-c", "10.244.3.5", "node-c", {"app": "client"})
BASE = [*OBJECTS, AGENT, AGENT_SERVICE, CLIENT_C, AGENT_CLOSED]
GUARDED = [*BASE, NODE_B_HEP, METRICS_IN]

# (case, objects, source, destination, verdict, text in the backend's trace)
CASES = [
    ("ClusterIP from another node's pod, node not policed", BASE, "web/client", "svc/web/agent", "allow",
     "no host endpoint polices node node-b"),
    ("ClusterIP from another node's pod: the node's INPUT policy admits its range", GUARDED, "web/client",
     "svc/web/agent", "allow", "metrics-in"),
    ("ClusterIP from a pod outside the admitted range: INPUT drops", GUARDED, "web/client-c", "svc/web/agent",
     "deny", "node-b-eth0"),
    ("ClusterIP from a pod on the backend's node: DefaultEndpointToHostAction", GUARDED, "web/app-0",
     "svc/web/agent", "allow", "DefaultEndpointToHostAction ACCEPT"),
    ("NodePort on the backend's node from outside: raw, preDNAT, INPUT", GUARDED, "203.0.113.7", "node-b:31020",
     "allow", "metrics-in"),
    ("NodePort on another node: masqueraded to that node, INPUT sees its address", GUARDED, "203.0.113.7",
     "node-a:31020", "deny", "node-b-eth0"),
    ("NodePort from outside the admitted range", GUARDED, "198.51.100.99", "node-b:31020", "deny", "node-b-eth0"),
    ("a pod to the backend's node's NodePort enters it through its host endpoint", GUARDED, "web/client-c",
     "node-b:31020", "deny", "node-b-eth0"),
]


@pytest.mark.parametrize("case, objects, src, dst, verdict, text", CASES, ids=[c[0] for c in CASES])
def test_node_backends(case, objects, src, dst, verdict, text):
    flow = flow_of(copy.deepcopy(objects), src, dst, None)
    ((leg, result),) = flow.legs
    assert (leg.name, str(leg.backend.address), leg.target.port) == ("web/agent", "172.18.0.3", 9100)
    assert result.verdict == verdict
    said = " ".join(f"{s.policy} {s.reason}" for s in result.ingress.trace)
    assert text in said, said
    assert "agent-closed" not in said


def test_slices_naming_a_node_address_are_node_backends():
    """An EndpointSlice address that is a Node's address: a backend in that node's network."""
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
              "metadata": {"name": "agent-1", "namespace": "web", "labels": {"kubernetes.io/service-name": "agent"}},
              "endpoints": [{"addresses": ["172.18.0.3"], "conditions": {"ready": True}}],
              "ports": [{"port": 9100, "protocol": "TCP"}]}
    cluster = load_documents(copy.deepcopy([*GUARDED, slice_]))
    (backend,) = ServiceBackends(cluster).of("web", "agent")
    assert (backend.host_network, backend.node) == ("node/node-b", "node-b")
    flow = flow_of(copy.deepcopy([*GUARDED, slice_]), "web/client-c", "svc/web/agent", None)
    assert [r.verdict for _, r in flow.legs] == ["deny"]


def test_a_workload_or_a_pod_on_no_known_node_gives_no_backend():
    unplaced = copy.deepcopy(AGENT)
    unplaced["spec"].pop("nodeName")
    cluster = load_documents(copy.deepcopy([*OBJECTS, unplaced, AGENT_SERVICE]))
    assert ServiceBackends(cluster).of("web", "agent") == ()


def test_rows_judge_node_backends_as_query_does():
    """The matrix's Service rows count a hostNetwork backend by the same judgement as `query`."""
    cluster = load_documents(copy.deepcopy(GUARDED))
    (row,) = [r for r in service_rows(matrix(cluster)) if r.service.name == "agent"]
    assert len(row.backends) == 1 and row.unknown == 0
    for source in ("web/client", "web/client-c", "web/app-0", "web/app-1"):
        query = flow_of(copy.deepcopy(GUARDED), source, "svc/web/agent", None)
        assert (row.verdict(source) == "allow") == (query.verdict == "allow"), source
