"""The matrix's Service rows through a nodePort on each node, one table of inputs: every cell (a pod,
workload or external range → a Service port through one node's nodePort) equals what `query --to
<node>:<nodePort>` answers for the same client (docs/semantics.md#service-rows).

Sources: kube-proxy `pkg/proxy/nftables/proxier.go` `syncProxyRules`: `service-nodeports` (daddr `fib daddr
type local`) → `external-…`, which masquerades under externalTrafficPolicy Cluster (`mark-for-masquerade`)
and under Local keeps the source, sending only to the node's own endpoints; Felix applies a preDNAT policy
of the node's host endpoint before that DNAT (calico-semantics §9).
"""

from __future__ import annotations

import copy
import ipaddress

import pytest

from netpolicy.api import load_documents, matrix
from netpolicy.engine.service_lb_rows import node_port_rows
from netpolicy.errors import InputError
from netpolicy.render.matrix_services import services_json
from tests.engine.test_host_path import gnp, hep
from tests.engine.test_lb_rows import OFFICE_A, OFFICE_B, ROAMING, sources
from tests.engine.test_service_path import OBJECTS, POLICY, flow_of

NODE_B_HEP = hep("node-b-eth0", "eth0", node="node-b", ips=("172.18.0.3",))
NODE_B_HEP["spec"]["profiles"] = ["projectcalico-default-allow"]
OFFICE_ONLY = gnp("nodeport-office-only", {
    "order": 10, "preDNAT": True, "applyOnForward": True, "selector": "has(host-endpoint)",
    "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"nets": ["198.51.100.0/24"]},
                 "destination": {"ports": [31000, 31001]}},
                {"action": "Deny", "protocol": "TCP", "destination": {"ports": [31000, 31001]}}]})
NO_POLICY = [o for o in OBJECTS if o is not POLICY]

# (case, objects)
INPUTS = [
    ("Cluster masquerade defeats the backends' ipBlock off the entry node; Local keeps the client",
     [*OBJECTS, OFFICE_B, OFFICE_A, ROAMING]),
    ("a preDNAT host endpoint policy restricts node-b's nodePorts to the office range",
     [*NO_POLICY, OFFICE_B, OFFICE_A, NODE_B_HEP, OFFICE_ONLY]),
    ("the same with the backends' ipBlock", [*OBJECTS, OFFICE_B, NODE_B_HEP, OFFICE_ONLY]),
]


@pytest.mark.parametrize("case, objects", INPUTS, ids=[c[0] for c in INPUTS])
def test_every_cell_is_querys_answer(case, objects):
    m = matrix(load_documents(copy.deepcopy(objects)))
    rows = node_port_rows(m)
    assert {(r.port.node_port, r.node) for r in rows} == {(p, n) for p in (31000, 31001)
                                                          for n in ("node-a", "node-b", "node-c")}
    for row in rows:
        for source, ref in sources(m, ipaddress.ip_address(row.address).version):
            try:
                query = flow_of(objects, ref, f"{row.node}:{row.port.node_port}", None)
            except InputError as error:
                assert source in row.not_judged and row.why_not == str(error), source
                continue
            assert source not in row.not_judged
            allowed = sum(r.verdict == "allow" for _, r in query.legs)
            assert row.reached.get(source, 0) == allowed, (row.node, row.port.node_port, source, query.dropped)
            assert (row.verdict(source) == "allow") == (query.verdict == "allow"), source
            if allowed:
                assert row.candidates[source] == len(query.legs), source


OFFICE = "external:198.51.100.0-198.51.100.255"
TEST_NET = "external:203.0.113.0-203.0.113.255"
OTHER = "external:198.51.101.0-255.255.255.255"
# (case, objects, nodePort, node, source, verdict in the row: None = not reached)
CELLS = [
    ("Cluster: the ipBlock admits the range on the backend's node only (app-0 on node-b)", INPUTS[0][1], 31000,
     "node-b", TEST_NET, "partial"),
    ("Cluster: through node-c both backends see node-c's address", INPUTS[0][1], 31000, "node-c", TEST_NET, None),
    ("Local: node-b sends to its own backend with the client's address", INPUTS[0][1], 31001, "node-b", TEST_NET,
     "allow"),
    ("preDNAT: the office passes node-b's host endpoint", INPUTS[1][1], 31000, "node-b", OFFICE, "allow"),
    ("preDNAT: another range is denied at node-b", INPUTS[1][1], 31000, "node-b", OTHER, None),
    ("node-a has no host endpoint: that range reaches its nodePort", INPUTS[1][1], 31000, "node-a", OTHER, "allow"),
]


@pytest.mark.parametrize("case, objects, node_port, node, source, verdict", CELLS, ids=[c[0] for c in CELLS])
def test_cells(case, objects, node_port, node, source, verdict):
    m = matrix(load_documents(copy.deepcopy(objects)))
    (row,) = [r for r in node_port_rows(m) if r.port.node_port == node_port and r.node == node]
    assert source in {e.id for e in m.endpoints}
    assert row.verdict(source) == verdict


def test_json_rows_only_for_node_ports():
    """`services[].node_ports` per node with its address; a Service port without a nodePort has none."""
    m = matrix(load_documents(copy.deepcopy(INPUTS[0][1])))
    entries = {e["id"]: e for e in services_json([], (), None, node_port_rows(m))}
    assert entries == {}  # no ClusterIP rows given: the rows hang under them
    from netpolicy.engine.service_rows import service_rows

    entries = {e["id"]: e for e in services_json(service_rows(m), (), None, node_port_rows(m))}
    (first, *_) = entries["web/web"]["node_ports"]
    assert (first["node"], first["ip"], first["node_port"], first["backends"]) == ("node-a", "172.18.0.2", 31000, 2)
    plain = [o for o in INPUTS[0][1] if o.get("kind") != "Node"]
    assert node_port_rows(matrix(load_documents(copy.deepcopy(plain)))) == []
