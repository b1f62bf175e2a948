"""untracked-service-request: doNotTrack marks a packet untracked before conntrack, and NAT needs conntrack, so
kube-proxy never DNATs an untracked request to a NodePort, LoadBalancer IP, external IP or (a node's own)
ClusterIP: it reaches no backend (net/netfilter/nf_nat_core.c nf_nat_inet_fn: no conntrack entry, the nat
hooks accept the packet unchanged; docs/semantics.md#host-endpoint-hooks)."""

from __future__ import annotations

import pytest

from .support import CALICO, calico_policy, lint, shop

RULE = "untracked-service-request"
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"},
        "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.2"}]}}
HEP = {"apiVersion": CALICO, "kind": "HostEndpoint", "metadata": {"name": "node-a-eth0", "labels": {"host": ""}},
       "spec": {"node": "node-a", "interfaceName": "eth0", "expectedIPs": ["172.18.0.2"]}}
STAR = {**HEP, "metadata": {"name": "node-a-all", "labels": {"host": ""}}, "spec": {**HEP["spec"], "interfaceName": "*"}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "clusterIP": "10.96.0.10",
                    "externalIPs": ["198.51.100.20"],
                    "ports": [{"port": 80, "targetPort": 8080, "nodePort": 31000, "protocol": "TCP"}]},
           "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.10"}]}}}


def untracked(ingress=(), egress=(), selector="has(host)", staged=False) -> dict:
    spec = {"selector": selector, "doNotTrack": True, "applyOnForward": True, "order": 10,
            "ingress": list(ingress), "egress": list(egress)}
    policy = calico_policy("raw", spec, None)
    if staged:
        policy["kind"] = "StagedGlobalNetworkPolicy"
    return policy


def allow(protocol="TCP", ports=None, nets=None, not_ports=None, not_nets=None, selector=None) -> dict:
    dst = {k: v for k, v in (("ports", ports), ("nets", nets), ("notPorts", not_ports), ("notNets", not_nets),
                             ("selector", selector)) if v is not None}
    return {"action": "Allow", "protocol": protocol, **({"destination": dst} if dst else {})}


# (case, rules (ingress, egress), extra objects, a fragment of the finding, where in the policy)
HITS = [
    ("ingress Allow of the NodePort range", ([allow(ports=["30000:32767"])], []), [HEP],
     "NodePort 172.18.0.2:31000 (TCP) of Service shop/web", "ingress[0]"),
    ("ingress Allow of the node address and port", ([allow(ports=[31000], nets=["172.18.0.2/32"])], []), [HEP],
     "NodePort 172.18.0.2:31000", "ingress[0]"),
    ("ingress Allow of the LoadBalancer IP", ([allow(ports=[80], nets=["198.51.100.10/32"])], []), [HEP],
     "LoadBalancer IP 198.51.100.10:80", "ingress[0]"),
    ("ingress Allow of the external IP", ([allow(nets=["198.51.100.20/32"])], []), [HEP],
     "external IP 198.51.100.20:80", "ingress[0]"),
    ("ingress Allow of everything TCP", ([allow()], []), [HEP], "NodePort 172.18.0.2:31000", "ingress[0]"),
    ("egress Allow of the ClusterIP: the node's own requests", ([], [allow(nets=["10.96.0.0/12"])]), [HEP],
     "the node's own requests to the ClusterIP 10.96.0.10:80", "egress[0]"),
]
# (case, rules (ingress, egress), extra objects)
MISSES = [
    ("ingress Allow of another port", ([allow(ports=[10250])], []), [HEP]),
    ("ingress Allow of UDP only", ([allow(protocol="UDP")], []), [HEP]),
    ("ingress Allow with the NodePort range in notPorts", ([allow(not_ports=["30000:32767", 80])], []), [HEP]),
    ("ingress Allow of another node's address", ([allow(nets=["172.18.0.3/32"])], []), [HEP]),
    ("ingress Allow with a destination selector (not judged)", ([allow(selector="has(host)")], []), [HEP]),
    ("ingress Allow of the ClusterIP: requests from outside never go there", ([allow(nets=["10.96.0.0/12"])], []),
     [HEP]),
    ("the usual reply rule (from the NodePorts) matches no request", ([], [{"action": "Allow", "protocol": "TCP",
                                                                          "source": {"ports": ["30000:32767"]}}]),
     [HEP]),
    ("source ports outside the ephemeral range", ([{"action": "Allow", "protocol": "TCP",
                                                   "source": {"ports": ["1:1023"]}}], []), [HEP]),
    ("egress Allow of the node port on an outside address", ([], [allow(ports=[31000])]), [HEP]),
    ("a `*` host endpoint: doNotTrack never applies there", ([allow()], []), [STAR]),
    ("no host endpoint selected", ([allow()], []), []),
    ("a Deny untracks nothing", ([{"action": "Deny", "protocol": "TCP"}], []), [HEP]),
]


@pytest.mark.parametrize("case, rules, extra, fragment, where", HITS, ids=[c[0] for c in HITS])
def test_hit(case, rules, extra, fragment, where):
    findings = lint(shop(NODE, SERVICE, *extra, untracked(*rules)), RULE)
    assert len(findings) == 1, findings
    assert fragment in findings[0].message and where in findings[0].message, findings[0].message
    assert "reach no backend" in findings[0].message and "preDNAT" in findings[0].suggestion


@pytest.mark.parametrize("case, rules, extra", MISSES, ids=[c[0] for c in MISSES])
def test_miss(case, rules, extra):
    assert lint(shop(NODE, SERVICE, *extra, untracked(*rules)), RULE) == []


def test_no_service_no_finding():
    assert lint(shop(NODE, HEP, untracked([allow()])), RULE) == []


def test_staged_policy_is_not_enforced():
    assert lint(shop(NODE, SERVICE, HEP, untracked([allow()], staged=True)), RULE) == []
