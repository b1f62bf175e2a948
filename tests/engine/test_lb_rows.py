"""The matrix's Service rows through LoadBalancer IPs with `loadBalancerSourceRanges`, one table of inputs:
every cell (a pod, workload or external range → a Service port through one LoadBalancer IP) equals what
`query` answers for the same client, IP and port (docs/semantics.md#service-rows, #service-fields).

Sources: kube-proxy `pkg/proxy/nftables/proxier.go` `syncProxyRules`: `firewall-ips` holds each
LoadBalancer IP (`svcInfo.LoadBalancerVIPs()`) → `goto firewall-…`, whose rule drops `saddr != { ranges }`;
`firewall-check` is jumped from filter prerouting and filter output on `ct state new` (`nftablesJumpChains`);
"nodeports are not subject to loadBalancerSourceRanges" (the `service-nodeports` element has no firewall).
"""

from __future__ import annotations

import copy
import ipaddress

import pytest

from netpolicy.api import load_documents, matrix
from netpolicy.engine.service_lb_rows import load_balancer_rows
from netpolicy.errors import InputError
from netpolicy.render.matrix_services import services_json
from tests.engine.test_host_path import gnp, hep
from tests.engine.test_ipv6_services import DUAL
from tests.engine.test_ipv6_services import pod as dual_pod
from tests.engine.test_service_fields import RANGES, with_spec
from tests.engine.test_service_path import OBJECTS, flow_of, pod

OFFICE_B = pod("office-b", "203.0.113.9", "node-b", {"app": "client"})
OFFICE_A = pod("office-a", "203.0.113.10", "node-a", {"app": "client"})
ROAMING = pod("roaming", "203.0.113.11", None, {"app": "client"})
DUAL_LB = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dual-lb", "namespace": "web"},
           "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "clusterIP": "10.96.5.9",
                    "clusterIPs": ["10.96.5.9", "fd00:96::9"], "loadBalancerSourceRanges": ["203.0.113.0/24",
                                                                                           "2001:db8:7::/48"],
                    "ports": [{"port": 80, "targetPort": "http", "nodePort": 31009}]},
           "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.60"}, {"ip": "2001:db8:60::1"}]}}}
NOWHERE_NODE = pod("office-z", "203.0.113.12", "node-z", {"app": "client"})  # node-z: no Node object
LOCAL = with_spec(RANGES, externalTrafficPolicy="Local")
PODS_IN = with_spec(RANGES, loadBalancerSourceRanges=["10.244.1.0/24 ", "203.0.113.0/25"])
NODE_B_HEP = hep("node-b-eth0", "eth0", node="node-b", ips=("172.18.0.3",))
NODE_B_HEP["spec"]["profiles"] = ["projectcalico-default-allow"]
FORWARD_DENY = gnp("office-forward", {"order": 10, "selector": "has(host-endpoint)", "applyOnForward": True,
                                      "ingress": [{"action": "Deny", "source": {"nets": ["203.0.113.9/32"]}},
                                                  {"action": "Allow"}]})

# (case, objects)
INPUTS = [
    ("externalTrafficPolicy Cluster: remote backends see the pod's node address",
     [*OBJECTS, RANGES, OFFICE_B, OFFICE_A, ROAMING]),
    ("externalTrafficPolicy Local: pods short-circuit to every endpoint", [*OBJECTS, LOCAL, OFFICE_B, OFFICE_A]),
    ("ranges holding a pod range (with space padding)", [*OBJECTS, PODS_IN, OFFICE_B]),
    ("a host endpoint's forward policy on the way", [*OBJECTS, RANGES, OFFICE_B, OFFICE_A, NODE_B_HEP, FORWARD_DENY]),
    ("a pod on a node without an address: not judged, as query cannot", [*OBJECTS, RANGES, OFFICE_B, NOWHERE_NODE]),
    ("dual stack: each LoadBalancer IP from the sources' address of its family, to that family's endpoints",
     [*DUAL, DUAL_LB, dual_pod("office", "node-a", {"app": "client"}, "203.0.113.20", "2001:db8:7::20")]),
]


def sources(m, family):
    """Every pod, workload and external range of the matrix with an address of the family, as `query` names it
    (`family` negative: those with none of -family, which cannot reach the LoadBalancer IP)."""
    return [(e.id, e.id if e.policed else str(e.ips[0])) for e in m.endpoints
            if e.kind != "HostEndpoint" and any(ip.version == abs(family) for ip in e.ips) == (family > 0)]


@pytest.mark.parametrize("case, objects", INPUTS, ids=[c[0] for c in INPUTS])
def test_every_cell_is_querys_answer(case, objects):
    m = matrix(load_documents(copy.deepcopy(objects)))
    rows = load_balancer_rows(m)
    assert rows
    for row in rows:
        for source, ref in sources(m, ipaddress.ip_address(row.address).version):
            try:
                query = flow_of(objects, ref, row.address, row.port.port)
            except InputError as error:
                assert source in row.not_judged and row.why_not == str(error), source
                continue
            assert source not in row.not_judged
            allowed = sum(r.verdict == "allow" for _, r in query.legs)
            assert row.reached.get(source, 0) == allowed, (source, query.dropped)
            assert (row.verdict(source) == "allow") == (query.verdict == "allow"), source
            if allowed:
                assert row.candidates[source] == len(query.legs), source
        for source, ref in sources(m, -ipaddress.ip_address(row.address).version):  # no row cell, query refuses
            assert row.verdict(source) is None and source not in row.candidates, source
            with pytest.raises(InputError, match="a packet keeps its address family"):
                flow_of(objects, ref, row.address, row.port.port)


# (case, objects, source, verdict in the row: None = not reached)
CELLS = [
    ("a pod outside the ranges: dropped before DNAT", INPUTS[0][1], "web/client", None),
    ("a pod in the ranges on node-b: node-a's backend sees node-b's address", INPUTS[0][1], "web/office-b", "partial"),
    ("an outside range inside the ranges: every backend on its node", INPUTS[0][1], "external:203.0.113.0-203.0.113.255",
     "allow"),
    ("an outside range outside them", INPUTS[0][1], "external:0.0.0.0-203.0.112.255", None),
    ("eTP Local: a pod in the ranges keeps its address to every endpoint", INPUTS[1][1], "web/office-b", "allow"),
    ("a pod in a range of the pod network passes; node-b's backend sees node-a's address", INPUTS[2][1],
     "web/client", "partial"),
    ("a backend in that range passes the firewall, but no backend's policy admits it (itself included)",
     INPUTS[2][1], "web/app-1", None),
    ("the forward policy of the backend's node drops the office pod", INPUTS[3][1], "web/office-a", "partial"),
]


@pytest.mark.parametrize("case, objects, source, verdict", CELLS, ids=[c[0] for c in CELLS])
def test_cells(case, objects, source, verdict):
    (row,) = load_balancer_rows(matrix(load_documents(copy.deepcopy(objects))))
    assert row.verdict(source) == verdict


def test_rows_only_with_source_ranges():
    """A LoadBalancer Service without ranges gets no rows, and its JSON entry no `load_balancer` field."""
    m = matrix(load_documents(copy.deepcopy(OBJECTS)))
    assert load_balancer_rows(m) == []
    cuts = matrix(load_documents(copy.deepcopy([*OBJECTS, with_spec(RANGES, loadBalancerSourceRanges=[
        "192.0.2.0/24"])])))
    assert any(e.id == "external:192.0.2.0-192.0.2.255" for e in cuts.externals)
    assert all(e.id != "external:192.0.2.0-192.0.2.255" for e in m.externals)


def test_json_field():
    from netpolicy.engine.service_rows import service_rows

    m = matrix(load_documents(copy.deepcopy(INPUTS[0][1])))
    entries = {e["id"]: e for e in services_json(service_rows(m), load_balancer_rows(m))}
    (lb,) = entries["web/web-lb"]["load_balancer"]
    assert lb["ip"] == "198.51.100.30" and lb["source_ranges"] == ["203.0.113.0/24"] and lb["backends"] == 2
    assert {"from": "web/office-b", "reached": 1, "verdict": "partial"} in lb["from"]
    assert "web/client" not in {f["from"] for f in lb["from"]}
    assert "load_balancer" not in entries["web/web"]
