"""Lab layout: interface names, namespace names, representative addresses, what is not built."""

from __future__ import annotations

import ipaddress
import re

import pytest

from netpolicy.lab.build import host_commands, node_commands
from netpolicy.lab.topology import plan_topology, representative, workload_iface
from netpolicy.model.cluster import HOST_ENDPOINT, Endpoint
from tests.lab.lab_clusters import nets, pod


def external(cidrs, ident="external:x"):
    return Endpoint(id=ident, kind="External", name=ident, namespace=None, labels={}, selector_labels={},
                    nets=nets(*cidrs), policed=False)


def test_workload_interfaces_are_named_like_calico():
    name = workload_iface(pod("x", "a", "10.0.1.10"))
    assert re.fullmatch(r"cali[0-9a-f]{11}", name)
    assert name == workload_iface(pod("x", "a", "10.9.9.9"))
    assert name != workload_iface(pod("x", "b", "10.0.1.10"))


@pytest.mark.parametrize("cidrs, taken, expected", [
    (["0.0.0.0/5"], [], "1.0.0.1"),
    (["203.0.113.7/32"], [], "203.0.113.7"),
    (["10.0.0.0/30"], ["10.0.0.1"], "10.0.0.0"),
    (["224.0.0.0/3"], [], None),
    (["127.0.0.0/8", "198.51.100.0/24"], [], "198.51.100.1"),
    (["::/1"], [], "100::1"),
    (["fe80::/10"], [], None),
])
def test_representative_address_is_usable(cidrs, taken, expected):
    got = representative(nets(*cidrs), {ipaddress.ip_address(t) for t in taken})
    assert (str(got) if got else None) == expected


def test_plan_builds_workloads_and_far_side_ranges_and_skips_host_endpoints():
    hep = Endpoint(id="node-1", kind=HOST_ENDPOINT, name="node-1", namespace=None, labels={}, selector_labels={},
                   ips=(ipaddress.ip_address("172.18.0.2"),))
    no_ip = Endpoint(id="x/pending", kind="Pod", name="pending", namespace="x", labels={}, selector_labels={})
    topology = plan_topology("abc", [pod("x", "a", "10.0.1.10"), external(["0.0.0.0/0"]), hep, no_ip])
    assert [h.endpoint_id for h in topology.hosts] == ["x/a", "external:x"]
    assert topology.host("x/a").workload and not topology.host("external:x").workload
    assert str(topology.host("external:x").addresses[0]) == "1.0.0.1"
    assert set(topology.skipped) == {"node-1", "x/pending"}
    assert all(n.startswith("netpolicy-lab-abc-") for n in topology.namespaces)
    assert len(set(topology.namespaces)) == len(topology.namespaces)
    assert topology.host("x/a").netns == "netpolicy-lab-abc-x.a"


def test_calico_routing_commands():
    topology = plan_topology("abc", [pod("x", "a", "10.0.1.10")])
    host = topology.host("x/a")
    node = node_commands(topology)
    assert f"route add 10.0.1.10/32 dev {host.node_iface}" in node
    assert f"neigh add 10.0.1.10 lladdr {host.mac} dev {host.node_iface} nud permanent" in node
    assert "route add default via 169.254.1.1 dev eth0 onlink" in node
    assert "neigh add 169.254.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent" in node
    lines, v6 = host_commands(host)
    assert "route add 169.254.1.1 dev eth0 scope link" in lines
    assert "route add default via 169.254.1.1 dev eth0" in lines
    assert "rule add pref 10 iif lo to 10.0.1.10 lookup 100" in lines
    assert v6 == []
