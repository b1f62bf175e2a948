"""Host endpoint hooks on the way to a NodePort, one table: preDNAT on the original destination (tiers
default to Pass, failsafe inbound ports first, Allow skips the forward policy but not the workload's),
then applyOnForward policy on the translated packet (none applies: allowed), then the workload.

Sources: `felix/rules/static.go` (mangle PREROUTING, cali-FORWARD, acceptAlreadyAccepted),
`felix/rules/endpoints.go` ("Allow forwarded traffic by default"), `felix/calc/event_sequencer.go`
(preDNAT tiers default to Pass), `felix/config/config_params.go` (FailsafeInboundHostPorts); the walkthrough
is Calico's "Apply policy to Kubernetes node ports".
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.api import load_documents
from netpolicy.engine.host_path import node_host_endpoint
from netpolicy.model.protocols import TCP
from tests.engine.test_service_path import flow_of


def gnp(name, spec):
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": name},
            "spec": spec}


def hep(name, interface, labels=None, node="node1", ips=("172.18.0.2",)):
    return {"apiVersion": "projectcalico.org/v3", "kind": "HostEndpoint",
            "metadata": {"name": name, "labels": labels if labels is not None else
                         {"node-role.kubernetes.io/worker": "", "host-endpoint": ""}},
            "spec": {"interfaceName": interface, "node": node, "expectedIPs": list(ips)}}


def nodeport(name, node_port):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "web"},
            "spec": {"type": "NodePort", "selector": {"app": "web"},
                     "ports": [{"port": 80, "targetPort": 8080, "nodePort": node_port}]}}


CLUSTER = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}},
    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node1"},
     "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.2"}]}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "web", "labels": {"app": "web"}},
     "spec": {"nodeName": "node1", "containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]},
     "status": {"phase": "Running", "podIP": "10.244.1.10"}},
    nodeport("web", 31852), nodeport("other", 31853), nodeport("ssh", 22),
]
# Calico's walkthrough: deny external ingress in general before DNAT, allow the one NodePort.
WALKTHROUGH = [
    gnp("allow-cluster-internal-ingress-only", {
        "order": 20, "preDNAT": True, "applyOnForward": True, "selector": "has(node-role.kubernetes.io/worker)",
        "ingress": [{"action": "Allow", "source": {"nets": ["10.244.0.0/16", "172.18.0.0/16"]}},
                    {"action": "Deny"}]}),
    gnp("allow-outbound-external", {"order": 10, "selector": "has(node-role.kubernetes.io/worker)",
                                    "egress": [{"action": "Allow"}]}),
    hep("node1-eth0", "eth0"),
    gnp("allow-nodeport", {
        "order": 10, "preDNAT": True, "applyOnForward": True, "selector": "has(host-endpoint)",
        "ingress": [{"action": "Allow", "protocol": "TCP",
                     "destination": {"selector": "has(host-endpoint)", "ports": [31852]}}]}),
]
POD_DENY = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "web"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
FORWARD_DENY = gnp("forward-office-only", {
    "order": 30, "applyOnForward": True, "selector": "has(host-endpoint)",
    "ingress": [{"action": "Allow", "source": {"nets": ["198.51.100.0/24"]}}]})
PRE_DNAT_PASS = gnp("pre-pass", {"order": 5, "preDNAT": True, "applyOnForward": True,
                                 "selector": "has(host-endpoint)", "ingress": [{"action": "Pass"}]})

# (case, extra objects, client, destination, verdict, a reason fragment)
CASES = [
    ("walkthrough: the allowed NodePort", WALKTHROUGH, "203.0.113.7", "node1:31852", "allow", "allow-nodeport"),
    ("walkthrough: another NodePort denied before DNAT", WALKTHROUGH, "203.0.113.7", "node1:31853", "deny",
     "allow-cluster-internal-ingress-only"),
    ("walkthrough: cluster-internal sources allowed", WALKTHROUGH, "172.18.5.5", "node1:31853", "allow",
     "allow-cluster-internal-ingress-only"),
    ("preDNAT allow does not skip the workload's ingress", [*WALKTHROUGH, POD_DENY], "203.0.113.7", "node1:31852",
     "deny", "web/deny"),
    ("no preDNAT policy, no applyOnForward policy: forwarded traffic allowed", [hep("node1-eth0", "eth0")],
     "203.0.113.7", "node1:31853", "allow", "forwarded traffic is allowed"),
    ("applyOnForward policy on the translated packet", [hep("node1-eth0", "eth0"), FORWARD_DENY], "203.0.113.7",
     "node1:31853", "deny", "forward-office-only"),
    ("applyOnForward policy admits its range", [hep("node1-eth0", "eth0"), FORWARD_DENY], "198.51.100.7",
     "node1:31853", "allow", "forward-office-only"),
    ("preDNAT allow skips the forward policy", [*WALKTHROUGH, FORWARD_DENY], "203.0.113.7", "node1:31852",
     "allow", "forward policy is skipped"),
    ("a preDNAT tier passes what it does not decide", [hep("node1-eth0", "eth0"), PRE_DNAT_PASS, FORWARD_DENY],
     "198.51.100.7", "node1:31853", "allow", "pre-pass"),
    ("failsafe port 22 accepted before preDNAT policy", WALKTHROUGH, "203.0.113.7", "node1:22", "allow",
     "failsafe"),
    ("a '*' host endpoint governs when none names the interface",
     [h for h in WALKTHROUGH if h["kind"] != "HostEndpoint"] + [hep("node1-all", "*")], "203.0.113.7", "node1:31853",
     "deny", "allow-cluster-internal-ingress-only"),
    ("a host endpoint of another node does not apply",
     [h for h in WALKTHROUGH if h["kind"] != "HostEndpoint"] + [hep("node2-eth0", "eth0", node="node2",
                                                                     ips=("172.18.0.3",))],
     "203.0.113.7", "node1:31853", "allow", ""),
]


@pytest.mark.parametrize("case, extra, client, dst, verdict, reason", CASES, ids=[c[0] for c in CASES])
def test_host_endpoint_hooks(case, extra, client, dst, verdict, reason):
    flow = flow_of([*copy.deepcopy(CLUSTER), *copy.deepcopy(extra)], client, dst, None, TCP)
    assert flow.verdict == verdict
    (_, result), = flow.legs
    text = " ".join(f"{s.policy} {s.reason}" for s in result.ingress.trace)
    assert reason in text, text


def test_a_named_interface_wins_over_star():
    cluster = load_documents([*CLUSTER, hep("b-eth0", "eth0"), hep("a-all", "*"), hep("c-eth1", "eth1")])
    assert node_host_endpoint(cluster, "node1").name == "b-eth0"
