"""One address for a node, one table: a node is at its governing host endpoint's expectedIPs (what Calico
knows its interface by: `felix/calc` puts a host endpoint's expectedIPs in the IP sets of the selectors
that match it, and `endpoint_mgr.go` resolves the governing endpoint by interface), then its Node object's
addresses; `query`, the matrix's row and column of the node, Service masquerade and hostNetwork backends,
and the lab's `eth0` all use `Cluster.node_addresses` (docs/semantics.md#nodes).
"""

from __future__ import annotations

import copy

import pytest

from netpolicy.analysis.flow_query import FlowQuery
from netpolicy.api import load_documents
from netpolicy.engine.matrix import Matrix
from netpolicy.engine.node_flow import node_address
from netpolicy.lab.topology import plan_topology
from netpolicy.model.protocols import TCP
from tests.engine import test_host_path as host_path
from tests.engine.test_service_path import OBJECTS, node

NAMED = host_path.hep("node-a-eth0", "eth0", node="node-a", ips=("172.18.1.2",))
NAMED["spec"]["profiles"] = ["projectcalico-default-allow"]  # its own traffic out (no egress policy)
SECOND = host_path.hep("node-a-eth1", "eth1", node="node-a", ips=("192.0.2.2",))
STAR = host_path.hep("node-a-any", "*", node="node-a", ips=("172.18.2.2",))
NO_IPS = host_path.hep("node-a-eth0", "eth0", node="node-a", ips=())
ONLY_HEP = host_path.hep("node-d-eth0", "eth0", node="node-d", ips=("172.18.0.9",))

# (case, host endpoints, node, its addresses in order)
CASES = [
    ("no host endpoint: the Node object's", [], "node-a", ("172.18.0.2",)),
    ("the governing host endpoint's expectedIPs first", [NAMED], "node-a", ("172.18.1.2", "172.18.0.2")),
    ("the same address once", [host_path.hep("node-a-eth0", "eth0", node="node-a", ips=("172.18.0.2",))],
     "node-a", ("172.18.0.2",)),
    ("a named interface governs, not a second one alphabetically later", [NAMED, SECOND], "node-a",
     ("172.18.1.2", "172.18.0.2")),
    ("a named interface governs before `*`", [NAMED, STAR], "node-a", ("172.18.1.2", "172.18.0.2")),
    ("`*` alone governs", [STAR], "node-a", ("172.18.2.2", "172.18.0.2")),
    ("a governing host endpoint without expectedIPs: the Node object's", [NO_IPS], "node-a", ("172.18.0.2",)),
    ("no Node object: the host endpoint's", [ONLY_HEP], "node-d", ("172.18.0.9",)),
]


@pytest.mark.parametrize("case, heps, name, expected", CASES, ids=[c[0] for c in CASES])
def test_where_a_node_is(case, heps, name, expected):
    cluster = load_documents(copy.deepcopy([*OBJECTS, *heps]))
    assert tuple(str(a) for a in cluster.node_addresses[name]) == expected
    assert node_address(cluster, name) == expected[0]
    lab = next(n for n in plan_topology("t", cluster.endpoints, cluster.nodes).nodes if n.name == name)
    assert tuple(str(a) for a in lab.addresses) == expected


ADMITS_HEP_ADDRESS = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                      "metadata": {"name": "from-node-a-hep", "namespace": "web"},
                      "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                               "ingress": [{"from": [{"ipBlock": {"cidr": "172.18.1.2/32"}}]}]}}


@pytest.mark.parametrize("src", ["node/node-a", "172.18.0.2", "172.18.1.2", "node-a-eth0"])
def test_query_and_the_matrix_place_the_node_alike(src):
    """A host endpoint at another address than its Node object: every name of the node is judged at the
    host endpoint's address, as the matrix's row of that host endpoint is."""
    cluster = load_documents(copy.deepcopy([*OBJECTS, NAMED, ADMITS_HEP_ADDRESS]))
    flow = FlowQuery(cluster)(src, "web/app-0", "TCP", 8000)
    cell = Matrix(cluster).connections("node-a-eth0", "web/app-0").allows(TCP, 8000, 40000)
    assert flow.verdict == "allow" and cell


def test_a_node_port_masquerades_to_the_node_address():
    """eTP Cluster, backend on another node: the masqueraded source is the entry node's address."""
    cluster = load_documents(copy.deepcopy([*OBJECTS, NAMED, node("node-d", "172.18.0.9")]))
    flow = FlowQuery(cluster)("203.0.113.7", "node-a:31000", "TCP", None)
    remote = next(leg for leg, _ in flow.legs if leg.name == "web/app-0")
    assert str(remote.rewrite.ingress_from) == "172.18.1.2"
