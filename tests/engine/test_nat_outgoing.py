"""natOutgoing: a pod in a natOutgoing IP pool sending to an address in no pool leaves its node masqueraded
to the node's address, so another node's host endpoint policy sees the sending node, not the pod
(docs/semantics.md#nat-outgoing).

Sources: `felix/rules/nat.go` NATOutgoingChain and makeNATOutgoingRuleIPTables (source in
`masq-ipam-pools`, destination not in `all-ipam-pools`, nor in `all-hosts-net` under
NATOutgoingExclusions IPPoolsAndHostIPs), `felix/dataplane/linux/masq_mgr.go` (natOutgoing pools into
masq-ipam-pools, every pool but LoadBalancer-only ones into all-ipam-pools, disabled ones included),
`felix/config/config_params.go` (NATOutgoingExclusions default IPPoolsOnly).
"""

from __future__ import annotations

import copy
import ipaddress

import pytest

from netpolicy.analysis.flow_query import FlowQuery
from netpolicy.api import load_documents
from netpolicy.engine.nat_outgoing import masquerades
from netpolicy.options import Options
from tests.engine import test_host_path as host_path
from tests.engine.test_pod_entry import HEPS
from tests.engine.test_service_path import OBJECTS


def pool(name: str, cidr: str, **spec) -> dict:
    return {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": name},
            "spec": {"cidr": cidr, **spec}}


def host_ingress_from(name: str, nets: str) -> dict:
    """Normal host endpoint policy: ingress to the nodes from `nets` only (no profile: else dropped)."""
    return host_path.gnp(name, {"order": 1, "selector": "has(host-endpoint)", "types": ["Ingress"],
                                "ingress": [{"action": "Allow", "source": {"nets": [nets]}}]})


NAT_POOL = pool("pods", "10.244.0.0/16", natOutgoing=True)
PLAIN_POOL = pool("pods", "10.244.0.0/16")
PODS_ONLY = host_ingress_from("from-pods", "10.244.0.0/16")
NODES_ONLY = host_ingress_from("from-nodes", "172.18.0.0/24")
NODES_POOL_DISABLED = pool("nodes-tag", "172.18.0.0/24", disabled=True)
NODES_POOL_LB = pool("nodes-lb", "172.18.0.0/24", allowedUses=["LoadBalancer"])

# (case, extra objects, source, destination, verdict)
CASES = [
    ("no IPPool: not masqueraded, pod CIDR allowed", [PODS_ONLY], "web/client", "node/node-b", "allow"),
    ("no IPPool: not masqueraded, node range denied", [NODES_ONLY], "web/client", "node/node-b", "deny"),
    ("pool without natOutgoing: the pod's address", [PLAIN_POOL, PODS_ONLY], "web/client", "node/node-b", "allow"),
    ("natOutgoing: the receiving node sees node-a, not the pod", [NAT_POOL, PODS_ONLY], "web/client",
     "node/node-b", "deny"),
    ("natOutgoing: a rule on the node range matches", [NAT_POOL, NODES_ONLY], "web/client", "node/node-b",
     "allow"),
    ("natOutgoing: by the node's address", [NAT_POOL, NODES_ONLY], "web/client", "172.18.0.3", "allow"),
    ("natOutgoing: a pod to its own node is not masqueraded (INPUT)", [NAT_POOL, PODS_ONLY], "web/client",
     "node/node-a", "allow"),
    ("a disabled pool over the nodes: destination in all-ipam-pools, not masqueraded",
     [NAT_POOL, NODES_POOL_DISABLED, PODS_ONLY], "web/client", "node/node-b", "allow"),
    ("a LoadBalancer-only pool over the nodes is not in all-ipam-pools: masqueraded",
     [NAT_POOL, NODES_POOL_LB, PODS_ONLY], "web/client", "node/node-b", "deny"),
    ("a node's own traffic is never in a pool", [NAT_POOL, NODES_ONLY], "node/node-a", "node/node-b", "allow"),
]


@pytest.mark.parametrize("case, extra, src, dst, verdict", CASES, ids=[c[0] for c in CASES])
def test_nat_outgoing_at_the_receiving_node(case, extra, src, dst, verdict):
    query = FlowQuery(load_documents(copy.deepcopy([*OBJECTS, *HEPS, *extra])))
    flow = query(src, dst, "TCP", 9999)
    assert flow.verdict == verdict
    masqueraded = any("natOutgoing" in (s.reason or "") for s in flow.ingress.trace)
    assert masqueraded == ("masqueraded" in case and "not masqueraded" not in case
                           or case.startswith("natOutgoing:") and "own node" not in case)


def test_host_ips_excluded():
    """NATOutgoingExclusions IPPoolsAndHostIPs: a pod's packet to a node keeps its address."""
    options = Options(nat_outgoing_exclusions="IPPoolsAndHostIPs")
    cluster = load_documents(copy.deepcopy([*OBJECTS, *HEPS, NAT_POOL, PODS_ONLY]), options)
    assert FlowQuery(cluster, options)("web/client", "node/node-b", "TCP", 9999).verdict == "allow"


# (source, destination, pools (cidr, natOutgoing, disabled, allowedUses), exclusions, masqueraded)
UNIT = [
    ("10.244.1.5", "8.8.8.8", [("10.244.0.0/16", True, False, None)], "IPPoolsOnly", True),
    ("10.244.1.5", "10.244.2.9", [("10.244.0.0/16", True, False, None)], "IPPoolsOnly", False),
    ("10.244.1.5", "8.8.8.8", [("10.244.0.0/16", False, False, None)], "IPPoolsOnly", False),
    ("10.244.1.5", "10.9.0.1", [("10.244.0.0/16", True, False, None), ("10.9.0.0/16", False, True, None)],
     "IPPoolsOnly", False),
    ("10.244.1.5", "10.9.0.1", [("10.244.0.0/16", True, False, None), ("10.9.0.0/16", False, False,
                                                                        ["LoadBalancer"])], "IPPoolsOnly", True),
    ("10.244.1.5", "172.18.0.3", [("10.244.0.0/16", True, False, None)], "IPPoolsAndHostIPs", False),
    ("10.244.1.5", "172.18.0.9", [("10.244.0.0/16", True, False, None)], "IPPoolsAndHostIPs", True),
    ("10.244.1.5", "8.8.8.8", [("10.244.0.0/16", True, True, None)], "IPPoolsOnly", True),
]


@pytest.mark.parametrize("src, dst, pools, exclusions, expected", UNIT)
def test_masquerades(src, dst, pools, exclusions, expected):
    objects = [pool(f"p{i}", cidr, natOutgoing=nat, disabled=disabled, **({"allowedUses": uses} if uses else {}))
               for i, (cidr, nat, disabled, uses) in enumerate(pools)]
    cluster = load_documents(copy.deepcopy([*OBJECTS, *HEPS, *objects]))
    assert masquerades(cluster, ipaddress.ip_address(src), ipaddress.ip_address(dst), exclusions) is expected


# (case, extra objects, NodePort entry, {backend: verdict}): web/client (node-a) to node-b's NodePorts; web/web's
# policy admits web/client and 203.0.113.0/24, not node-a's address (tests/engine/test_service_path.py)
NODE_PORT_CASES = [
    ("no IPPool: eTP Cluster, the backend on node-b sees the pod", [], "node-b:31000",
     {"web/app-0": "allow", "web/app-1": "deny"}),
    ("natOutgoing: masqueraded to node-a before node-b translates it", [NAT_POOL], "node-b:31000",
     {"web/app-0": "deny", "web/app-1": "deny"}),
    ("no IPPool: eTP Local short-circuits pod traffic", [], "node-b:31001",
     {"web/app-0": "allow", "web/app-1": "deny"}),
    ("natOutgoing: eTP Local sees node-a's address: node-b's own endpoints only", [NAT_POOL], "node-b:31001",
     {"web/app-0": "deny"}),
]


@pytest.mark.parametrize("case, extra, entry, verdicts", NODE_PORT_CASES, ids=[c[0] for c in NODE_PORT_CASES])
def test_a_pods_packet_to_another_nodes_node_port(case, extra, entry, verdicts):
    """kube-proxy on the entry node translates the packet natOutgoing masqueraded on the pod's node: its
    "short-circuit pod traffic" (source in the cluster CIDR) no longer matches."""
    flow = FlowQuery(load_documents(copy.deepcopy([*OBJECTS, *HEPS, *extra])))("web/client", entry, "TCP", None)
    assert {leg.backend.endpoint.id: result.verdict for leg, result in flow.legs} == verdicts
