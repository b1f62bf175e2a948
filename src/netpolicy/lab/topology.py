"""The lab's layout, decided before anything is built: namespaces, interfaces, MACs and addresses.

Every Kubernetes node of the input (Node objects, pods' `spec.nodeName`) is a namespace; an input
without nodes has one, unnamed. A node's fabric interface `eth0` holds the node's addresses and joins
it to the uplink namespace, which routes between nodes and outside addresses. Every policed workload
endpoint gets a namespace joined to its node by a veth whose node side is named as Calico names it
(`cali` + 11 hex digits of a SHA-1 of `<namespace>.<name>`). Unpoliced address ranges (External
cells, network sets) get a namespace off the uplink holding one representative address of their
range. Host endpoints get no namespace: the one governing a node's fabric interface has its chains
on that node's `eth0`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from netpolicy.model.addresses import IPAddress, IPNetwork
from netpolicy.model.cluster import HOST_ENDPOINT, Endpoint, Node, input_nodes, node_addresses, pod_node
from netpolicy.model.intervals import IntervalSet

PREFIX = "netpolicy-lab-"
CLIENT_PREFIX = "client "  # outside hosts that only probe Services (lab verify --client)
FABRIC_IFACE = "eth0"  # every node's interface to the uplink, holding its addresses
NODE_MAC = "ee:ee:ee:ee:ee:ee"
GATEWAY_V4 = "169.254.1.1"
GATEWAY_V6 = "fe80::ecee:eeff:feee:eeee"  # link-local address of a veth whose MAC is ee:ee:ee:ee:ee:ee
LAB_ID_RE = re.compile(r"^[a-z0-9]{1,12}$")
SPARE_RANGE = ipaddress.ip_network("100.64.0.0/10")  # shared address space: a node's spare address

# Addresses a namespace cannot usefully hold as its own unicast address.
_SPECIAL = {
    4: [ipaddress.ip_network(n) for n in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3")],
    6: [ipaddress.ip_network(n) for n in ("::/8", "fe80::/10", "ff00::/8")],
}


@dataclass(frozen=True)
class Host:
    """One endpoint's network namespace and the veth that joins it to its node (`parent`: the node's
    namespace; the uplink's for unpoliced ranges)."""

    endpoint_id: str
    netns: str
    node_iface: str
    mac: str
    addresses: tuple[IPAddress, ...]
    workload: bool
    parent: str

    def address(self, family: int) -> IPAddress | None:
        return next((a for a in self.addresses if a.version == family), None)

    @property
    def families(self) -> set[int]:
        return {a.version for a in self.addresses}


@dataclass(frozen=True)
class LabNode:
    """A node's namespace: its name (None: the one node of an input without nodes), the addresses of
    its fabric interface `eth0`, that interface's MAC and its peer's name in the uplink namespace."""

    name: str | None
    netns: str
    addresses: tuple[IPAddress, ...]
    mac: str
    fabric_iface: str
    spare: IPAddress | None = None  # a lab address for a node without one: masquerade needs some address

    @property
    def own(self) -> tuple[IPAddress, ...]:
        """The addresses `eth0` holds: the node's, else the lab's spare one."""
        return self.addresses or ((self.spare,) if self.spare is not None else ())

    def address(self, family: int) -> IPAddress | None:
        return next((a for a in self.addresses if a.version == family), None)


@dataclass(frozen=True)
class Topology:
    """The whole lab: the nodes, the uplink (routes between them and outside ranges, drops the
    unknown), and every host."""

    lab_id: str
    hosts: tuple[Host, ...]
    nodes: tuple[LabNode, ...]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def node(self) -> str:
        """The first node's namespace (the only one of an input without nodes)."""
        return self.nodes[0].netns

    @property
    def uplink(self) -> str:
        return f"{PREFIX}{self.lab_id}-uplink"

    @property
    def namespaces(self) -> list[str]:
        return [n.netns for n in self.nodes] + [self.uplink] + [h.netns for h in self.hosts]

    def lab_node(self, name: str | None) -> LabNode | None:
        """The node of that Kubernetes name (None: the first)."""
        if name is None:
            return self.nodes[0]
        return next((n for n in self.nodes if n.name == name), None)

    @cached_property
    def node_ends(self) -> list[Host]:
        """Each named node with an address as a probe end (`node/<name>`, in its own namespace), built once
        so a node end is always the same Host."""
        return [Host(f"node/{n.name}", n.netns, FABRIC_IFACE, n.mac, n.addresses, False, n.netns)
                for n in self.nodes if n.name is not None and n.addresses]

    def hosts_of(self, netns: str) -> list[Host]:
        """The hosts whose veth peer lives in that namespace."""
        return [h for h in self.hosts if h.parent == netns]

    @property
    def families(self) -> set[int]:
        """The address families of the hosts and the nodes (IPv4 when there is no address at all)."""
        return ({a.version for h in self.hosts for a in h.addresses}
                | {a.version for n in self.nodes for a in n.addresses}) or {4}

    def host(self, endpoint_id: str) -> Host | None:
        return next((h for h in self.hosts if h.endpoint_id == endpoint_id), None)

    @property
    def workloads(self) -> list[Host]:
        return [h for h in self.hosts if h.workload]


def lab_prefix(lab_id: str) -> str:
    """`netpolicy-lab-<id>-`: every namespace of the lab starts with it."""
    return f"{PREFIX}{lab_id}-"


def workload_iface(endpoint: Endpoint) -> str:
    """Calico's interface name: `cali` + the first 11 hex digits of SHA-1(`<namespace>.<name>`)."""
    key = f"{endpoint.namespace}.{endpoint.name}" if endpoint.id == f"{endpoint.namespace}/{endpoint.name}" \
        else endpoint.id
    return "cali" + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:11]


def far_iface(endpoint: Endpoint) -> str:
    return "ext" + hashlib.sha1(endpoint.id.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def host_mac(endpoint_id: str) -> str:
    digest = hashlib.sha1(("mac:" + endpoint_id).encode("utf-8", "surrogatepass")).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:5])


def slug(text: str) -> str:
    """A namespace-name-safe form of an endpoint id (`x/a` → `x.a`)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", text.replace("/", "."))
    return cleaned[:100]


def representative(nets: Iterable[IPNetwork], taken: set[IPAddress]) -> IPAddress | None:
    """An address inside `nets` that a namespace can hold: not special, not used by anyone else."""
    for family in (4, 6):
        wanted = IntervalSet.of([(int(n.network_address), int(n.broadcast_address))
                                 for n in nets if n.version == family])
        special = IntervalSet.of([(int(n.network_address), int(n.broadcast_address))
                                  for n in _SPECIAL[family]])
        wanted -= special
        wanted -= IntervalSet.of([int(a) for a in taken if a.version == family])
        for lo, hi in wanted:
            value = lo + 1 if hi > lo + 1 else lo
            return ipaddress.ip_address(value) if family == 6 else ipaddress.IPv4Address(value)
    return None


def _special(address: IPAddress) -> bool:
    return getattr(address, "ipv4_mapped", None) is not None or any(address in n for n in _SPECIAL[address.version])


def _plan_nodes(lab_id: str, endpoints: list[Endpoint], nodes: Mapping[str, Node],
                names: frozenset[str]) -> tuple[LabNode, ...]:
    """A namespace per node named by Node objects, pods or host endpoints (`names`), at its addresses
    (`node_addresses`: its governing host endpoint's expectedIPs, then its Node object's); none named: one,
    unnamed."""
    if not names:
        return (LabNode(None, f"{lab_prefix(lab_id)}node", (), host_mac("node:"), "fab0"),)
    placed = node_addresses(nodes, endpoints)
    out = []
    used: set[str] = set()
    for name in sorted(names):
        addresses = tuple(a for a in placed.get(name, ()) if not _special(a))
        netns = f"{lab_prefix(lab_id)}node-{slug(name)}"[:200]
        base, n = netns, 1
        while netns in used:
            n += 1
            netns = f"{base[:195]}-{n}"
        used.add(netns)
        digest = hashlib.sha1(("node:" + name).encode("utf-8", "surrogatepass")).hexdigest()
        out.append(LabNode(name, netns, addresses, host_mac("node:" + name), "fab" + digest[:12]))
    return tuple(out)


def plan_topology(lab_id: str, endpoints: Iterable[Endpoint], nodes: Mapping[str, Node] | None = None) -> Topology:
    """Decide namespaces, interfaces and addresses for these endpoints and nodes (nothing is built here)."""
    endpoints = list(endpoints)
    names = input_nodes(nodes or {}, endpoints)
    lab_nodes = _plan_nodes(lab_id, endpoints, nodes or {}, names)
    taken: set[IPAddress] = {ip for e in endpoints if e.policed for ip in e.ips}
    taken |= {a for n in lab_nodes for a in n.addresses}
    spares = []
    for node in lab_nodes:
        spare = None if node.addresses else representative([SPARE_RANGE], taken)
        if spare is not None:
            taken.add(spare)
        spares.append(replace(node, spare=spare))
    lab_nodes = tuple(spares)
    node_of = {n.name: n.netns for n in lab_nodes}
    hosts: list[Host] = []
    skipped: dict[str, str] = {}
    used_names: set[str] = {n.netns for n in lab_nodes} | {lab_prefix(lab_id) + "uplink"}
    used_ifaces: set[str] = {n.fabric_iface for n in lab_nodes}

    def unique(base: str, used: set[str], limit: int) -> str:
        name, n = base[:limit], 1
        while name in used:
            n += 1
            suffix = f"-{n}" if not base.startswith(("cali", "ext")) else f"{n:x}"
            name = base[:limit - len(suffix)] + suffix
        used.add(name)
        return name

    for endpoint in endpoints:
        if endpoint.kind == HOST_ENDPOINT:
            skipped[endpoint.id] = ("host endpoint: no namespace of its own; the one governing a node's fabric "
                                    "interface has its chains on that node's eth0")
            continue
        if endpoint.policed:
            if not endpoint.ips:
                skipped[endpoint.id] = "no IP address"
                continue
            addresses = tuple(ip for ip in endpoint.ips if not _special(ip))
            if not addresses:
                skipped[endpoint.id] = ("its addresses are link-local, loopback, multicast or otherwise special: "
                                        "a namespace cannot hold them as its own")
                continue
            iface = unique(workload_iface(endpoint), used_ifaces, 15)
            # the engine's placement (`pod_node`); a pod whose node is unknown among several: the first
            parent = node_of.get(pod_node(endpoint, names), lab_nodes[0].netns)
        else:
            rep = representative(endpoint.nets or [ipaddress.ip_network(ip) for ip in endpoint.ips], taken)
            if rep is None:
                skipped[endpoint.id] = "its address range holds no address a namespace can use"
                continue
            taken.add(rep)
            addresses = (rep,)
            iface = unique(far_iface(endpoint), used_ifaces, 15)
            parent = lab_prefix(lab_id) + "uplink"
        netns = unique(lab_prefix(lab_id) + slug(endpoint.id), used_names, 200)
        hosts.append(Host(endpoint.id, netns, iface, host_mac(endpoint.id), addresses, endpoint.policed, parent))
    return Topology(lab_id, tuple(hosts), lab_nodes, skipped)
