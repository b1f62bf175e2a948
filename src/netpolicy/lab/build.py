"""Build and tear down the lab's dataplane: namespaces, veths, Calico-style routing, the nftables table.

Routing is Calico's: a node has a /32 (/128) route per endpoint address through the endpoint's
veth and a static neighbour entry for it; an endpoint has its address on `eth0` and a default route
via 169.254.1.1, which nothing owns: the node side of the veth answers for it by proxy ARP. For
IPv6 the gateway is the node side's link-local address. Everything else leaves a node through its
fabric interface `eth0` (the node's addresses) into the uplink namespace, which routes each node's
addresses and pods to that node and each outside range to its namespace (static neighbours, no ARP
between them), and drops the unknown (a blackhole default route), so nothing ever reaches the
machine itself. Cross-node traffic is plain routing: no encapsulation.

Each endpoint also routes traffic to its own address out through the node (policy routing on
locally generated packets), so that traffic from an endpoint to itself crosses its egress and
ingress policy like traffic between two replicas of a workload does.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from netpolicy.lab import netns
from netpolicy.lab.errors import LabSetupError
from netpolicy.lab.nft.kubeproxy import VipRoute
from netpolicy.lab.nft.sets import proto_text
from netpolicy.lab.topology import FABRIC_IFACE, GATEWAY_V4, GATEWAY_V6, NODE_MAC, Host, LabNode, Topology

HAIRPIN_TABLE = 100
VIP_TABLE = 200


def _node_sysctls(families: set[int]) -> list[tuple[str, object]]:
    items: list[tuple[str, object]] = [
        ("net.ipv4.ip_forward", 1),
        ("net.ipv4.conf.all.rp_filter", 0), ("net.ipv4.conf.default.rp_filter", 0),
        ("net.ipv4.conf.all.send_redirects", 0), ("net.ipv4.conf.default.send_redirects", 0),
    ]
    if 6 in families:
        items += [("net.ipv6.conf.all.accept_dad", 0), ("net.ipv6.conf.default.accept_dad", 0),
                  ("net.ipv6.conf.all.forwarding", 1)]
    return items


def _host_sysctls(families: set[int]) -> list[tuple[str, object]]:
    items: list[tuple[str, object]] = [
        ("net.ipv4.conf.all.rp_filter", 0), ("net.ipv4.conf.default.rp_filter", 0),
        ("net.ipv4.conf.all.accept_local", 1), ("net.ipv4.conf.default.accept_local", 1),
        ("net.ipv4.ping_group_range", "0 2147483647"),
    ]
    if 6 in families:
        items += [("net.ipv6.conf.all.accept_dad", 0), ("net.ipv6.conf.default.accept_dad", 0)]
    return items


def _apply_sysctls(name: str, items: list[tuple[str, object]]) -> None:
    with netns.inside(name):
        for key, value in items:
            netns.write_sysctl(key, value)


def _host_link(host: Host, iface_mac: str) -> list[str]:
    """The veth to a host from its parent's side, with the route and static neighbour of each address."""
    iface = host.node_iface
    lines = [
        f"link add {iface} address {iface_mac} type veth peer name eth0 address {host.mac} netns {host.netns}",
        f"link set {iface} up",
        f"ntable change name arp_cache dev {iface} proxy_delay 0",
    ]
    for address in host.addresses:
        bits = 32 if address.version == 4 else 128
        lines += [f"route add {address}/{bits} dev {iface}",
                  f"neigh add {address} lladdr {host.mac} dev {iface} nud permanent"]
    return lines


def node_commands(topology: Topology, node: LabNode | None = None) -> list[str]:
    """`ip -batch` lines that wire a node (the first by default): its fabric interface and addresses,
    the default route to the uplink, one veth per workload, routes, static neighbours."""
    node = node or topology.nodes[0]
    lines = [
        "link set lo up",
        f"link add {FABRIC_IFACE} address {node.mac} type veth peer name {node.fabric_iface} address {NODE_MAC} "
        f"netns {topology.uplink}",
        f"link set {FABRIC_IFACE} up",
    ]
    lines += [f"addr add {a}/32 dev {FABRIC_IFACE}" if a.version == 4 else f"addr add {a}/128 dev {FABRIC_IFACE} nodad"
              for a in node.own]
    lines += [f"route add {GATEWAY_V4} dev {FABRIC_IFACE} scope link",
              f"neigh add {GATEWAY_V4} lladdr {NODE_MAC} dev {FABRIC_IFACE} nud permanent",
              f"route add default via {GATEWAY_V4} dev {FABRIC_IFACE} onlink"]
    if 6 in topology.families:  # a static neighbour: no neighbour discovery through the host endpoint's chains
        lines += [f"neigh add {GATEWAY_V6} lladdr {NODE_MAC} dev {FABRIC_IFACE} nud permanent",
                  f"route add ::/0 via {GATEWAY_V6} dev {FABRIC_IFACE}"]
    for host in topology.hosts_of(node.netns):
        lines += _host_link(host, NODE_MAC)
    return lines


def uplink_commands(topology: Topology, vips: Sequence[VipRoute] = ()) -> list[str]:
    """`ip -batch` lines for the uplink: each node's addresses and pods towards that node, each outside
    range's veth, a blackhole for everything else, and the load balancer of LoadBalancer and external
    IPs (policy routing by protocol and source port: each connection to its backend's node)."""
    lines = ["link set lo up", "route add blackhole default"]
    if 6 in topology.families:
        lines.append("route add blackhole ::/0")
    for node in topology.nodes:
        lines += [f"link set {node.fabric_iface} up"]
        behind = list(node.own) + [a for h in topology.hosts_of(node.netns) for a in h.addresses]
        for address in behind:
            bits = 32 if address.version == 4 else 128
            lines += [f"route add {address}/{bits} dev {node.fabric_iface}",
                      f"neigh add {address} lladdr {node.mac} dev {node.fabric_iface} nud permanent"]
    for host in topology.hosts_of(topology.uplink):
        lines += _host_link(host, NODE_MAC)
    tables = _vip_tables(topology)
    for route in vips:
        iface, table = route.node.fabric_iface, tables[route.node.netns]
        bits = 32 if route.address.version == 4 else 128
        lines += [f"route replace {route.address}/{bits} dev {iface} table {table}",
                  f"neigh replace {route.address} lladdr {route.node.mac} dev {iface} nud permanent"]
    return lines + vip_rules(topology, vips, 4)


def _vip_tables(topology: Topology) -> dict[str, int]:
    return {n.netns: VIP_TABLE + i for i, n in enumerate(topology.nodes)}


def vip_rules(topology: Topology, vips: Sequence[VipRoute], family: int) -> list[str]:
    """The uplink's policy-routing rules of one family (`ip -6 -batch` for IPv6: a rule's family is the
    batch's): each LoadBalancer or external IP, protocol and picking source port to its node's table."""
    tables = _vip_tables(topology)
    return [f"rule add pref {VIP_TABLE} to {r.address}/{32 if family == 4 else 128} ipproto {proto_text(r.protocol)} "
            f"sport {r.pick} lookup {tables[r.node.netns]}" for r in vips if r.address.version == family]


def host_commands(host: Host) -> tuple[list[str], list[str]]:
    """`ip -batch` lines for one endpoint namespace, and the IPv6 policy-routing lines (`ip -6`)."""
    lines = ["link set lo up", "link set eth0 up", "ntable change name arp_cache dev eth0 queue 8192"]
    v6_rules: list[str] = []
    for address in host.addresses:
        lines.append(f"addr add {address}/32 dev eth0" if address.version == 4
                     else f"addr add {address}/128 dev eth0 nodad")
    if 4 in host.families:
        if not host.workload:  # off the uplink, whose blackhole default leaves no proxy ARP for the gateway
            lines.append(f"neigh add {GATEWAY_V4} lladdr {NODE_MAC} dev eth0 nud permanent")
        lines += [f"route add {GATEWAY_V4} dev eth0 scope link",
                  f"route add default via {GATEWAY_V4} dev eth0",
                  f"route add default via {GATEWAY_V4} dev eth0 onlink table {HAIRPIN_TABLE}",
                  "rule add pref 100 lookup local", "rule del pref 0 lookup local"]
        lines += [f"rule add pref 10 iif lo to {a} lookup {HAIRPIN_TABLE}" for a in host.addresses if a.version == 4]
    if 6 in host.families:
        lines += [f"route add ::/0 via {GATEWAY_V6} dev eth0",
                  f"route add ::/0 via {GATEWAY_V6} dev eth0 table {HAIRPIN_TABLE}"]
        v6_rules = ["rule add pref 100 lookup local", "rule del pref 0 lookup local"]
        v6_rules += [f"rule add pref 10 iif lo to {a} lookup {HAIRPIN_TABLE}" for a in host.addresses
                     if a.version == 6]
    return lines, v6_rules


def build(topology: Topology, rulesets: Mapping[str, str], vips: Sequence[VipRoute] = ()) -> None:
    """Create every namespace, wire it, and load each node's ruleset (by namespace). Raises LabSetupError."""
    netns.create(topology.namespaces)
    families = topology.families
    for node in topology.nodes:
        _apply_sysctls(node.netns, _node_sysctls(families))
    _apply_sysctls(topology.uplink, _node_sysctls(families))
    for name in [h.netns for h in topology.hosts]:
        _apply_sysctls(name, _host_sysctls(families))
    for node in topology.nodes:
        netns.ip_batch(node_commands(topology, node), netns=node.netns, what="wiring a lab node")
        _apply_sysctls(node.netns, [(f"net.ipv4.conf.{h.node_iface}.proxy_arp", 1)
                                    for h in topology.hosts_of(node.netns)])
    netns.ip_batch(uplink_commands(topology, vips), netns=topology.uplink, what="wiring the uplink")
    v6_rules = vip_rules(topology, vips, 6)
    if v6_rules:
        netns.run(["ip", "-6", "-batch", "-"], netns=topology.uplink, stdin="\n".join(v6_rules) + "\n",
                  what="the uplink's IPv6 load balancer")
    _apply_sysctls(topology.uplink, [(f"net.ipv4.conf.{h.node_iface}.proxy_arp", 1)
                                     for h in topology.hosts_of(topology.uplink)])
    for host in topology.hosts:
        lines, v6_rules = host_commands(host)
        netns.ip_batch(lines, netns=host.netns, what=f"wiring {host.endpoint_id}")
        if v6_rules:
            netns.run(["ip", "-6", "-batch", "-"], netns=host.netns, stdin="\n".join(v6_rules) + "\n",
                      what=f"IPv6 routing of {host.endpoint_id}")
    for node in topology.nodes:
        if rulesets.get(node.netns):
            netns.run(["nft", "-f", "-"], netns=node.netns, stdin=rulesets[node.netns],
                      what="loading the nftables ruleset")
    wait_until_links_carry_traffic(topology)


def _not_ready(listing: str, names: set[str]) -> set[str]:
    """Interfaces of `names` that the kernel has not activated yet (no queueing discipline, not UP)."""
    ready = set()
    for line in listing.splitlines():
        parts = line.split(": ")
        if len(parts) > 2:
            name = parts[1].split("@")[0]
            if "state UP" in line and "qdisc noop" not in line:
                ready.add(name)
    return names - ready


def wait_until_links_carry_traffic(topology: Topology, limit: float = 10.0) -> None:
    """Wait for the kernel to activate every new veth (it does so asynchronously, within about a second);
    until then a veth drops what it is given."""
    deadline = time.monotonic() + limit
    pending_parents = {n.netns: {h.node_iface for h in topology.hosts_of(n.netns)} | {FABRIC_IFACE}
                       for n in topology.nodes}
    pending_parents[topology.uplink] = ({h.node_iface for h in topology.hosts_of(topology.uplink)}
                                        | {n.fabric_iface for n in topology.nodes})
    pending_hosts = list(topology.hosts)
    while True:
        for parent, names in list(pending_parents.items()):
            names = _not_ready(netns.run(["ip", "-o", "link", "show"], netns=parent), names)
            if names:
                pending_parents[parent] = names
            else:
                del pending_parents[parent]
        pending_node = {name for names in pending_parents.values() for name in names}
        if not pending_node:
            pending_hosts = [h for h in pending_hosts
                             if _not_ready(netns.run(["ip", "-o", "link", "show", "dev", "eth0"], netns=h.netns),
                                           {"eth0"})]
            if not pending_hosts:
                return
        if time.monotonic() > deadline:
            waiting = sorted(pending_node) or [h.endpoint_id for h in pending_hosts]
            raise LabSetupError(f"veths did not come up within {limit:g} s: {', '.join(waiting[:5])}")
        time.sleep(0.05)


def destroy(names: list[str]) -> None:
    """Delete the namespaces; their veths and nftables tables go with them."""
    netns.delete(names)
