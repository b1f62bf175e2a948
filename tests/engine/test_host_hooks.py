"""Host endpoint hooks on the whole path, one table per kind of flow: to a node itself, from a node,
node to node, and through nodes to a Service's backends (docs/semantics.md#host-endpoint-hooks).

Sources (projectcalico/calico @ 87c15906): `felix/rules/static.go` StaticRawPreroutingChain (non-workload
traffic to the untracked from-host-endpoint dispatch, accept if marked), StaticRawOutputChain,
StaticManglePreroutingChain (accept if marked by raw, then preDNAT), filterInputChain/filterOutputChain
(acceptAlreadyAccepted, then normal host endpoint policy), StaticFilterForwardChains (from-hep-forward
unless marked; to-hep-forward always), failsafeInChain/failsafeOutChain (raw also passes failsafe
replies); `felix/rules/endpoints.go` endpointIptablesChain (untracked Allow → NOTRACK; no end-of-tier
drop for untracked and preDNAT; "Allow forwarded traffic by default"; "Drop if no profiles matched";
conntrack INVALID drop in tracked chains); `felix/dataplane/linux/endpoint_mgr.go` updateHostEndpoints
("DoNotTrack policy is not supported for a HEP with `interfaceName: *`").
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.api import load_documents
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.node_flow import evaluate_node_flow
from netpolicy.model.protocols import TCP, UDP
from tests.engine.test_service_path import OBJECTS, flow_of


def gnp(name, spec):
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": name},
            "spec": {"selector": "has(host-endpoint)", **spec}}


def hep(node, address, interface="eth0", profiles=()):
    return {"apiVersion": "projectcalico.org/v3", "kind": "HostEndpoint",
            "metadata": {"name": f"{node}-{'all' if interface == '*' else interface}",
                         "labels": {"host-endpoint": "", "node": node}},
            "spec": {"interfaceName": interface, "node": node, "expectedIPs": [address], "profiles": list(profiles)}}


HEP_A, HEP_B = hep("node-a", "172.18.0.2"), hep("node-b", "172.18.0.3")
OPEN_A = hep("node-a", "172.18.0.2", profiles=["projectcalico-default-allow"])
OPEN_B = hep("node-b", "172.18.0.3", profiles=["projectcalico-default-allow"])


def untracked(name, ingress=(), egress=(), order=10, selector="has(host-endpoint)"):
    types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules]
    return gnp(name, {"order": order, "doNotTrack": True, "applyOnForward": True, "selector": selector,
                      "types": types, "ingress": list(ingress), "egress": list(egress)})


def allow(protocol="TCP", ports=None, source_ports=None, nets=None):
    rule = {"action": "Allow", "protocol": protocol}
    if ports:
        rule["destination"] = {"ports": ports}
    if source_ports or nets:
        rule["source"] = {k: v for k, v in (("ports", source_ports), ("nets", nets)) if v}
    return rule


KUBELET_IN = gnp("kubelet-in", {"order": 20, "ingress": [allow(ports=[10250], nets=["203.0.113.0/24"])]})
RAW_IN = untracked("raw-kubelet", ingress=[allow(ports=[10250])])
RAW_IN_AND_REPLY = untracked("raw-kubelet", ingress=[allow(ports=[10250])], egress=[allow(source_ports=[10250])])
RAW_DENY = untracked("raw-deny", ingress=[{"action": "Deny", "protocol": "TCP", "destination": {"ports": [10250]}}])
RAW_DENY_ALL = untracked("raw-deny-all", ingress=[{"action": "Deny"}])
RAW_UDP = untracked("raw-dns", ingress=[allow("UDP", ports=[5353])])
PRE_DNAT_DENY = gnp("pre-deny", {"order": 5, "preDNAT": True, "applyOnForward": True,
                                 "ingress": [{"action": "Deny", "protocol": "TCP", "destination": {"ports": [10250]}}]})
PRE_DNAT_ALLOW = gnp("pre-allow", {"order": 5, "preDNAT": True, "applyOnForward": True,
                                   "ingress": [allow(ports=[10250])]})
OUT_443 = gnp("out-443", {"order": 20, "egress": [allow(ports=[443])]})
RAW_OUT = untracked("raw-out", egress=[allow(ports=[443])])
RAW_OUT_UDP = untracked("raw-out-udp", egress=[allow("UDP", ports=[5353])])
RAW_OUT_AND_REPLY = untracked("raw-out", egress=[allow(ports=[443])], ingress=[allow(source_ports=[443])])

# (case, extra objects, source, destination, protocol, port, verdict, a reason fragment)
NODE_CASES = [
    ("a node without host endpoint is not policed", [], "203.0.113.7", "node/node-a", TCP, 8080, "allow", ""),
    ("a host endpoint without policy or profile drops", [HEP_A], "203.0.113.7", "node/node-a", TCP, 8080, "deny",
     "no profile"),
    ("... but not its failsafe inbound ports", [HEP_A], "203.0.113.7", "node/node-a", TCP, 22, "allow",
     "failsafe inbound"),
    ("a profile decides when no policy applies", [OPEN_A], "203.0.113.7", "node/node-a", TCP, 8080, "allow",
     "projectcalico-default-allow"),
    ("normal ingress policy, filter INPUT", [HEP_A, KUBELET_IN], "203.0.113.7", "node/node-a", TCP, 10250,
     "allow", "[filter]"),
    ("normal ingress policy: end of tier drops", [HEP_A, KUBELET_IN], "198.51.100.7", "node/node-a", TCP, 10250,
     "deny", "end of the tier"),
    ("by the node's address", [HEP_A, KUBELET_IN], "203.0.113.7", "172.18.0.2", TCP, 10250, "allow", "kubelet-in"),
    ("doNotTrack Allow skips the normal policy, but the TCP reply needs its own rule", [HEP_A, RAW_IN],
     "198.51.100.7", "node/node-a", TCP, 10250, "deny", "INVALID"),
    ("doNotTrack Allow with the reply's egress rule", [HEP_A, RAW_IN_AND_REPLY], "198.51.100.7", "node/node-a",
     TCP, 10250, "allow", "reply"),
    ("doNotTrack Deny drops what normal policy allows", [OPEN_A, RAW_DENY], "203.0.113.7", "node/node-a", TCP,
     10250, "deny", "[raw]"),
    ("doNotTrack passes what it does not decide", [OPEN_A, RAW_DENY], "203.0.113.7", "node/node-a", TCP, 8080,
     "allow", "projectcalico-default-allow"),
    ("failsafe 22 is accepted in raw before doNotTrack policy", [OPEN_A, RAW_DENY_ALL], "203.0.113.7",
     "node/node-a", TCP, 22, "allow", "accepted in raw"),
    ("a UDP reply is a new flow to the normal policy", [OPEN_A, RAW_UDP], "203.0.113.7", "node/node-a", UDP, 5353,
     "allow", "projectcalico-default-allow"),
    ("... which may drop it", [HEP_A, RAW_UDP], "203.0.113.7", "node/node-a", UDP, 5353, "deny", "no profile"),
    ("doNotTrack policy never applies to a '*' host endpoint", [hep("node-a", "172.18.0.2", "*",
                                                                    ["projectcalico-default-allow"]), RAW_DENY],
     "203.0.113.7", "node/node-a", TCP, 10250, "allow", "projectcalico-default-allow"),
    ("preDNAT Deny on traffic to the node", [OPEN_A, PRE_DNAT_DENY], "203.0.113.7", "node/node-a", TCP, 10250,
     "deny", "[preDNAT]"),
    ("preDNAT Allow skips filter INPUT policy", [HEP_A, PRE_DNAT_ALLOW], "203.0.113.7", "node/node-a", TCP, 10250,
     "allow", "INPUT policy is skipped"),
    ("a node's own traffic: egress without policy or profile drops", [HEP_A], "node/node-a", "203.0.113.7", TCP,
     443, "deny", "no profile"),
    ("... but not its failsafe outbound ports", [HEP_A], "node/node-a", "203.0.113.7", UDP, 53, "allow",
     "failsafe outbound"),
    ("normal egress policy, filter OUTPUT", [HEP_A, OUT_443], "node/node-a", "203.0.113.7", TCP, 443, "allow",
     "out-443"),
    ("doNotTrack egress Allow: the reply needs an ingress rule", [HEP_A, RAW_OUT], "node/node-a", "203.0.113.7",
     TCP, 443, "deny", "INVALID"),
    ("doNotTrack egress Allow with its reply rule", [HEP_A, RAW_OUT_AND_REPLY], "node/node-a", "203.0.113.7", TCP,
     443, "allow", "reply"),
    ("an untracked UDP request's reply into the node is a new flow to its normal ingress", [OPEN_A, RAW_OUT_UDP],
     "node/node-a", "203.0.113.7", UDP, 5353, "allow", "projectcalico-default-allow"),
    ("... which may drop it", [HEP_A, RAW_OUT_UDP], "node/node-a", "203.0.113.7", UDP, 5353, "deny", "no profile"),
    ("node to node: both host endpoints", [OPEN_A, HEP_B], "node/node-a", "node/node-b", TCP, 10250, "deny",
     "no profile"),
    ("node to node: both open", [OPEN_A, OPEN_B], "node/node-a", "node/node-b", TCP, 10250, "allow", ""),
    ("pod to another node: the node's normal ingress", [HEP_B], "web/client", "node/node-b", TCP, 10250, "deny",
     "no profile"),
]


@pytest.mark.parametrize("case, extra, src, dst, protocol, port, verdict, reason", NODE_CASES,
                         ids=[c[0] for c in NODE_CASES])
def test_node_end_hooks(case, extra, src, dst, protocol, port, verdict, reason):
    cluster = load_documents([*copy.deepcopy(OBJECTS), *copy.deepcopy(extra)])
    result = evaluate_node_flow(FlowEvaluator(cluster), src, dst, protocol, port, None)
    assert result.verdict == verdict
    text = " ".join(f"{s.policy} {s.reason}" for side in (result.egress, result.ingress) for s in side.trace)
    assert reason in text, text


FORWARD_OUT = gnp("no-forward-to-node-b-pods", {"order": 10, "applyOnForward": True, "selector": "node == 'node-a'",
                                                "egress": [{"action": "Deny", "destination": {"nets": ["10.244.2.0/24"]}},
                                                           {"action": "Allow"}]})
FORWARD_IN_NODES = gnp("forward-from-nodes", {"order": 10, "applyOnForward": True, "selector": "node == 'node-b'",
                                              "ingress": [{"action": "Allow", "source": {"nets": ["172.18.0.0/16"]}}]})
FORWARD_IN_CLIENTS = gnp("forward-from-clients", {"order": 10, "applyOnForward": True, "selector": "node == 'node-b'",
                                                  "ingress": [{"action": "Allow",
                                                               "source": {"nets": ["203.0.113.0/24"]}}]})
RAW_B = untracked("raw-b", ingress=[allow()], selector="node == 'node-b'")
RAW_NODEPORT = untracked("raw-nodeport", ingress=[allow(ports=[31000])], egress=[allow(source_ports=[31000])],
                         selector="node == 'node-a'")

A0, A1 = "web/app-0", "web/app-1"
# (case, extra, client, destination, {backend: verdict}, a reason fragment of the denied leg)
PATH_CASES = [
    ("entry node's to-hep-forward egress judges the cross-node leg", [HEP_A, HEP_B, FORWARD_OUT], "203.0.113.7",
     "node-a:31000", {A1: "allow", A0: "deny"}, "no-forward-to-node-b-pods"),
    ("backend node's from-hep-forward sees the entry node's address: it passes, the pod's ipBlock does not",
     [HEP_A, HEP_B, FORWARD_IN_NODES], "203.0.113.7", "node-a:31000", {A1: "allow", A0: "deny"},
     "forward-from-nodes [forward] ingress[0]"),
    ("... so a rule for the client's range does not match there", [HEP_A, HEP_B, FORWARD_IN_CLIENTS],
     "203.0.113.7", "node-a:31000", {A1: "allow", A0: "deny"}, "forward-from-clients"),
    ("doNotTrack on the backend's node: the forwarded TCP reply is INVALID", [HEP_A, HEP_B, RAW_B], "203.0.113.7",
     "node-a:31000", {A1: "allow", A0: "deny"}, "INVALID"),
    ("doNotTrack Allow of a NodePort: untracked packets are not DNATed", [HEP_A, RAW_NODEPORT], "203.0.113.7",
     "node-a:31000", {A1: "deny", A0: "deny"}, "not DNATed"),
]


@pytest.mark.parametrize("case, extra, src, dst, expected, reason", PATH_CASES, ids=[c[0] for c in PATH_CASES])
def test_hooks_on_the_service_path(case, extra, src, dst, expected, reason):
    flow = flow_of([*copy.deepcopy(OBJECTS), *copy.deepcopy(extra)], src, dst, None)
    assert {leg.name: result.verdict for leg, result in flow.legs} == expected
    for _, result in flow.legs:
        if result.verdict == "deny":
            text = " ".join(f"{s.policy} {s.reason}" for s in result.ingress.trace)
            assert reason in text, text
