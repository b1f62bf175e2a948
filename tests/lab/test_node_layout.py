"""The lab's nodes, uplink and per-node rulesets, read without root: one namespace per node, pods on
their node, outside ranges off the uplink, kube-proxy's table laid out as its nftables mode writes it,
the host endpoint's chains on the node's eth0."""

from __future__ import annotations

import re

from netpolicy.api import load_documents
from netpolicy.engine.backends import ServiceBackends
from netpolicy.engine.path import ServicePaths
from netpolicy.lab.api import node_rulesets, show_rules
from netpolicy.lab.build import node_commands, uplink_commands
from netpolicy.lab.nft.kubeproxy import PICK_PORTS, ServicePicks, vip_routes
from netpolicy.lab.topology import plan_topology
from tests.engine import test_host_path as host_path
from tests.engine.test_service_path import OBJECTS
from tests.lab.test_topology import external


def topology_of(objects, extra=()):
    cluster = load_documents(objects)
    return cluster, plan_topology("t", [*cluster.endpoints, *extra], cluster.nodes)


def test_each_node_is_a_namespace_with_its_pods_and_address():
    _, topology = topology_of(OBJECTS, [external(["0.0.0.0/0"])])
    assert [(n.name, n.netns, [str(a) for a in n.addresses]) for n in topology.nodes] == [
        ("node-a", "netpolicy-lab-t-node-node-a", ["172.18.0.2"]),
        ("node-b", "netpolicy-lab-t-node-node-b", ["172.18.0.3"]),
        ("node-c", "netpolicy-lab-t-node-node-c", ["172.18.0.4"])]
    assert topology.host("web/app-0").parent == "netpolicy-lab-t-node-node-b"
    assert topology.host("web/client").parent == "netpolicy-lab-t-node-node-a"
    assert topology.host("external:x").parent == topology.uplink
    node_b = topology.lab_node("node-b")
    lines = node_commands(topology, node_b)
    assert "addr add 172.18.0.3/32 dev eth0" in lines
    assert "route add default via 169.254.1.1 dev eth0 onlink" in lines
    assert f"route add 10.244.2.10/32 dev {topology.host('web/app-0').node_iface}" in lines
    up = uplink_commands(topology)
    assert "route add blackhole default" in up
    assert f"route add 10.244.2.10/32 dev {node_b.fabric_iface}" in up
    assert f"neigh add 172.18.0.3 lladdr {node_b.mac} dev {node_b.fabric_iface} nud permanent" in up


def test_kube_proxy_table_per_node():
    cluster, topology = topology_of(OBJECTS)
    rules = node_rulesets(cluster, topology)
    a, c = rules["netpolicy-lab-t-node-node-a"], rules["netpolicy-lab-t-node-node-c"]
    for text in (a, c):
        assert "table ip kube-proxy {" in text
        assert "type nat hook prerouting priority -100; policy accept;" in text
        assert "ip daddr . meta l4proto . th dport vmap @service-ips" in text
        assert "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports" in text
        assert "masquerade fully-random" in text
        assert "mark set mark or 0x00004000" in text
        assert "meta l4proto tcp dnat to 10.244.2.10:8000" in text
        assert f"th sport vmap {{ {PICK_PORTS[0]} : goto endpoint-" in text
        assert "numgen random mod 2 vmap" in text
    # eTP Local: node-a has a local endpoint (a local- chain), node-c none (its nodePort is dropped)
    assert "goto local-" in a and "tcp . 31001 : drop" not in a
    assert "tcp . 31001 : drop" in c and "goto local-" not in c
    assert "short-circuit pod traffic" in a
    assert "jump mark-for-masquerade" in a  # eTP Cluster
    assert "198.51.100.10 . tcp . 80 : goto external-" in a


def test_the_uplink_balances_load_balancer_ips_to_each_backends_node():
    cluster, topology = topology_of(OBJECTS)
    backends = ServiceBackends(cluster)
    routes = vip_routes(topology, ServicePicks(backends, ServicePaths(cluster, backends).node_of))
    lines = uplink_commands(topology, routes)
    node_b = topology.lab_node("node-b")
    app_0 = next(r for r in routes if str(r.address) == "198.51.100.10" and r.node is node_b)
    assert (f"rule add pref 200 to 198.51.100.10/32 ipproto tcp sport {app_0.pick} lookup 201") in lines
    assert f"route replace 198.51.100.10/32 dev {node_b.fabric_iface} table 201" in lines
    assert {str(r.address) for r in routes} == {"198.51.100.10", "198.51.100.20"}


def test_host_endpoint_chains_on_the_nodes_eth0():
    cluster, topology = topology_of(host_path.CLUSTER + host_path.WALKTHROUGH)
    text = node_rulesets(cluster, topology)[topology.node]
    assert "type filter hook prerouting priority mangle; policy accept;" in text
    assert 'iifname "eth0" jump mangle-cali-fh-eth0' in text
    assert "meta l4proto . th dport { tcp . 22," in text
    assert 'iifname "eth0" jump cali-fh-eth0' in text and 'oifname "eth0" jump cali-th-eth0' in text
    assert 'iifname "cali*" goto cali-wl-to-host' in text
    assert "raw-cali-PREROUTING" not in text  # no doNotTrack policy
    assert 'iifname "eth0" jump cali-fhfw-eth0' in text
    assert "Allow forwarded traffic by default" in text
    assert "cali-pi-default/gnp/allow-nodeport" in text


def test_an_input_without_nodes_keeps_one_unnamed_node():
    _, topology = topology_of([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x"},
                                "spec": {"containers": [{"name": "c"}]},
                                "status": {"phase": "Running", "podIP": "10.0.0.1"}}])
    assert [(n.name, n.netns) for n in topology.nodes] == [(None, "netpolicy-lab-t-node")]
    assert [str(a) for a in topology.nodes[0].own] == ["100.64.0.1"] and not topology.node_ends


def test_a_hostile_node_name_never_reaches_a_script_unescaped():
    hostile = 'a";\nflush ruleset\n#'
    objects = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n, "namespace": "x"},
                "spec": {"nodeName": node, "containers": [{"name": "c"}]},
                "status": {"phase": "Running", "podIP": ip}}
               for n, node, ip in (("a", hostile, "10.0.0.1"), ("b", "node-b", "10.0.0.2"))]
    cluster, topology = topology_of(objects)
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", n) for n in topology.namespaces)
    text = "\n".join(node_rulesets(cluster, topology).values()) + show_rules(cluster)
    assert "\nflush ruleset" not in text and '";' not in text
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", word.split()[-1]) for word in node_commands(topology)
               if word.startswith("link add"))
