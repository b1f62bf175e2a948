"""kube-proxy's nftables mode on one lab node: the `ip kube-proxy` table as `syncProxyRules` writes it
(pkg/proxy/nftables/proxier.go), and its `ip6 kube-proxy` table as the IPv6 proxier writes it (`ip6 daddr`,
`ipv6_addr` sets, `ip6 daddr != ::1` for NodePorts, `dnat to [address]:port`, that family's endpoints only).

Base chains `nat-prerouting`/`nat-output` jump to `services`, whose `service-ips` and `service-nodeports`
maps send a ClusterIP, LoadBalancer or external IP, or a local address with a nodePort, to the
Service port's chains: `service-…` (ClusterIP: masquerade off-cluster sources), `external-…` (eTP
Cluster: always mark for masquerade; eTP Local: pods and the node itself short-circuit to every
endpoint, others only to `local-…`, this node's endpoints), `endpoint-…` (hairpin masquerade, then
DNAT). `nat-postrouting` masquerades marked packets; `endpoints-check` (filter input, forward and
output) and `nodeport-endpoints-check` (filter input only) drop (Local, no local endpoint) or reject
(no endpoint) what the maps do not capture. internalTrafficPolicy
Local sends the ClusterIP to `local-…`; `firewall-check` (filter prerouting and output) sends a
LoadBalancer IP with loadBalancerSourceRanges to `firewall-…`; sessionAffinity ClientIP adds the
`affinity-…` sets, their lookups and the endpoint chains' `update`.

One change, so that every backend is checked deterministically: kube-proxy picks an endpoint with
`numgen random mod N`; the lab puts one rule before it that picks by the probe's source port
(`th sport vmap`, a source port per backend, `ServicePicks`), ahead of the affinity lookups, and keeps
kube-proxy's affinity and random pick for any other source port. Chains, maps, marks, masquerade and their order are kube-proxy's.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from netpolicy.engine.backends import Backend, ServiceBackends
from netpolicy.lab.nft.model import NftChain, NftSet, NftTable
from netpolicy.lab.nft.names import safe_name
from netpolicy.lab.nft.sets import proto_text
from netpolicy.lab.topology import LabNode, Topology
from netpolicy.model.addresses import IPAddress
from netpolicy.model.cluster import Service, ServicePort
from netpolicy.model.protocols import SCTP, TCP, UDP

MASQ_MARK = "0x00004000"  # kube-proxy's default --masquerade-bit 14
PICK_PORTS = (61000, 65535)  # source ports that pick a backend (above the lab's other source ports)
TABLE = "kube-proxy"
NAT_PROTOCOLS = (TCP, UDP, SCTP)


def of_family(texts: Iterable[str], family: int) -> list[IPAddress]:
    """The addresses of that family among `texts`, in order (input text never reaches a rule otherwise)."""
    out = []
    for text in texts:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if address.version == family:
            out.append(address)
    return out


@dataclass(frozen=True)
class ServiceEndpoint:
    """One endpoint kube-proxy may DNAT a Service port to, and the source port that picks it in the lab."""

    service: Service
    service_port: ServicePort
    address: IPAddress
    port: int
    node: str | None
    pick: int
    #: Whether kube-proxy knows its node (an EndpointSlice endpoint without nodeName is local to none).
    node_named: bool = True


class ServicePicks:
    """Every ready endpoint of every Service port, each with its own picking source port
    (`services`: the Services by id, the order picks are handed out in)."""

    def __init__(self, backends: ServiceBackends, node_of: Callable[[Backend], str | None]) -> None:
        self.backends = backends
        self.services = sorted(backends.services.values(), key=lambda s: s.id)
        self.by_port: dict[tuple[str, str, int, int], list[ServiceEndpoint]] = {}
        pick = PICK_PORTS[0]
        for service in self.services:
            for sp in service.ports:
                found = []
                for backend in backends.serving(service.namespace, service.name):
                    for target in backend.targets:
                        if target.service_port != sp:
                            continue
                        if pick > PICK_PORTS[1]:
                            continue
                        found.append(ServiceEndpoint(service, sp, backend.address, target.port,
                                                     node_of(backend), pick, backend.node_named))
                        pick += 1
                self.by_port[_key(service, sp)] = found

    def of(self, service: Service, sp: ServicePort) -> list[ServiceEndpoint]:
        return self.by_port.get(_key(service, sp), [])


def _key(service: Service, sp: ServicePort) -> tuple[str, str, int, int]:
    return (service.namespace, service.name, sp.protocol, sp.port)


def _hashed(name: str) -> str:
    """kube-proxy's `hashAndTruncate`: 8 base32 characters of SHA-256, a dash, the name."""
    digest = base64.b32encode(hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()).decode()
    return safe_name(digest[:8] + "-" + name)


def _base(service: Service, sp: ServicePort) -> str:
    return _hashed(f"{service.namespace}/{service.name}/{proto_text(sp.protocol)}/{sp.name or ''}")


def _endpoint_base(e: ServiceEndpoint) -> str:
    sp = e.service_port
    return _hashed(f"{e.service.namespace}/{e.service.name}/{proto_text(sp.protocol)}/{sp.name or ''}__"
                   f"{e.address}/{e.port}")


class _KubeProxy:
    def __init__(self, node: LabNode, picks: ServicePicks, pod_addresses: Iterable[str], family: int) -> None:
        self.node = node
        self.picks = picks
        self.family = family
        self.ip, self.addr_type = ("ip", "ipv4_addr") if family == 4 else ("ip6", "ipv6_addr")  # `setupNFTables`
        self.pods = sorted(set(pod_addresses), key=lambda a: ipaddress.ip_address(a))
        self.chains: list[NftChain] = []
        self.service_ips: list[str] = []
        self.node_ports: list[str] = []
        self.no_endpoint_services: list[str] = []
        self.no_endpoint_nodeports: list[str] = []
        self.firewall_ips: list[str] = []
        self.affinity: list[NftSet] = []

    def chain(self, name: str, *notes: str) -> NftChain:
        chain = NftChain(name, notes=notes)
        self.chains.append(chain)
        return chain

    def pick_rule(self, chain: NftChain, endpoints: list[ServiceEndpoint]) -> None:
        picks = ", ".join(f"{e.pick} : goto {self.endpoint_chain(e)}" for e in endpoints)
        chain.add(f"th sport vmap {{ {picks} }}", "", "the lab's pick: the probe's source port names the endpoint")
        if endpoints[0].service.session_affinity == "ClientIP":
            for e in endpoints:
                chain.add(f"{self.ip} saddr @{self.affinity_set(e)} goto {self.endpoint_chain(e)}", "",
                          *(("sessionAffinity ClientIP: a client address keeps its endpoint",) if e is endpoints[0]
                            else ()))
        spread = ", ".join(f"{i} : goto {self.endpoint_chain(e)}" for i, e in enumerate(endpoints))
        chain.add(f"numgen random mod {len(endpoints)} vmap {{ {spread} }}", "", "kube-proxy's own pick")

    def endpoint_chain(self, e: ServiceEndpoint) -> str:
        return "endpoint-" + _endpoint_base(e)

    @staticmethod
    def affinity_set(e: ServiceEndpoint) -> str:
        return "affinity-" + _endpoint_base(e)

    def of(self, service: Service, sp: ServicePort) -> list[ServiceEndpoint]:
        """The Service port's endpoints of this proxier's family (one proxier per family, `NewDualStackProxier`)."""
        return [e for e in self.picks.of(service, sp) if e.address.version == self.family]

    def service_port(self, service: Service, sp: ServicePort) -> None:
        endpoints = self.of(service, sp)
        proto, base = proto_text(sp.protocol), _base(service, sp)
        key = f"{proto} . {sp.port}"
        cluster_ips = of_family(service.cluster_ips, self.family)
        external = of_family((*service.external_ips, *service.load_balancer_ips), self.family)
        local = service.external_traffic_policy == "Local"
        internal_local = service.internal_traffic_policy == "Local"
        accessible = bool(external or sp.node_port)
        here = [e for e in endpoints if e.node_named and e.node == self.node.name]
        self.firewall(service, sp, key, base)
        if not endpoints:
            for address in cluster_ips + external:
                self.no_endpoint_services.append(f"{address} . {key} : goto reject-chain")
            if sp.node_port:
                self.no_endpoint_nodeports.append(f"{proto} . {sp.node_port} : goto reject-chain")
            return
        self.affinity += [NftSet(self.affinity_set(e), self.addr_type, [], timeout=service.affinity_timeout)
                          for e in endpoints if service.session_affinity == "ClientIP"]
        cluster_chain, local_chain = "service-" + base, "local-" + base
        chains = {}
        if not internal_local or accessible:
            chains[cluster_chain] = self.chain(cluster_chain, f"{service.id} port {sp.port}/{proto}: every ready "
                                                              "endpoint")
        if here and (internal_local or (local and accessible)):
            chains[local_chain] = self.chain(local_chain, f"{service.id} port {sp.port}/{proto}: this node's "
                                                          "endpoints (a traffic policy Local)")
        internal = chains.get(local_chain if internal_local else cluster_chain)
        for address in cluster_ips:
            if internal is None:
                self.no_endpoint_services.append(f"{address} . {key} : drop")
                continue
            self.service_ips.append(f"{address} . {key} : goto {internal.name}")
            if self.pods:
                internal.add(f"{self.ip} daddr {address} {proto} dport {sp.port} {self.ip} saddr != {{ {', '.join(self.pods)} }} "
                             "jump mark-for-masquerade", "", "masquerade off-cluster traffic to the ClusterIP")
        for name, chain in chains.items():
            self.pick_rule(chain, endpoints if name == cluster_chain else here)
        if not accessible:
            return
        ext = self.chain("external-" + base, f"{service.id} port {sp.port}/{proto}: NodePort, LoadBalancer "
                                             "and external IP traffic")
        for address in external:
            self.service_ips.append(f"{address} . {key} : goto {ext.name}")
        if sp.node_port:
            self.node_ports.append(f"{proto} . {sp.node_port} : goto {ext.name}")
        if not local:
            ext.add("jump mark-for-masquerade", "", "If we are using non-local endpoints we need to masquerade, "
                                                    "in case we cross nodes.")
            ext.add(f"goto {cluster_chain}")
            return
        if self.pods:
            ext.add(f"{self.ip} saddr {{ {', '.join(self.pods)} }} goto {cluster_chain}", "short-circuit pod traffic")
        ext.add("fib saddr type local jump mark-for-masquerade", "masquerade local traffic")
        ext.add(f"fib saddr type local goto {cluster_chain}", "short-circuit local traffic")
        if here:
            ext.add(f"goto local-{base}")
        else:
            for address in external:
                self.no_endpoint_services.append(f"{address} . {key} : drop")
            if sp.node_port:
                self.no_endpoint_nodeports.append(f"{proto} . {sp.node_port} : drop")

    def firewall(self, service: Service, sp: ServicePort, key: str, base: str) -> None:
        """loadBalancerSourceRanges: the LoadBalancer IPs to `firewall-…`, which drops other sources (the
        LoadBalancer IPs themselves pass when this node's address is in a range)."""
        vips = of_family(service.load_balancer_ips, self.family)
        ranges = [n for n in service.load_balancer_source_ranges if n.version == self.family]
        if not (vips and ranges):
            return
        own = self.node.address(self.family)
        sources = [str(n) for n in ranges] + ([str(a) for a in vips] if own and any(own in n for n in ranges) else [])
        chain = self.chain("firewall-" + base, f"{service.id} port {sp.port}: loadBalancerSourceRanges")
        chain.add(f"{self.ip} saddr != {{ {', '.join(sources)} }} drop")
        self.firewall_ips += [f"{address} . {key} : goto {chain.name}" for address in vips]

    def endpoints(self) -> None:
        seen = set()
        for endpoints in self.picks.by_port.values():
            for e in (e for e in endpoints if e.address.version == self.family):
                name = self.endpoint_chain(e)
                if name in seen:
                    continue
                seen.add(name)
                chain = self.chain(name, f"{e.service.id}: endpoint {e.address}:{e.port}")
                chain.add(f"{self.ip} saddr {e.address} jump mark-for-masquerade", "",
                          "Handle traffic that loops back to the originator with SNAT.")
                if e.service.session_affinity == "ClientIP":
                    chain.add(f"update @{self.affinity_set(e)} {{ {self.ip} saddr }}")
                to = f"{e.address}:{e.port}" if self.family == 4 else f"[{e.address}]:{e.port}"  # net.JoinHostPort
                chain.add(f"meta l4proto {proto_text(e.service_port.protocol)} dnat to {to}")

    @staticmethod
    def _unique(elements: list[str]) -> list[str]:
        """One element per key (two Services claiming one nodePort or address: the first, by id, wins)."""
        seen: dict[str, str] = {}
        for element in elements:
            seen.setdefault(element.split(" : ")[0], element)
        return list(seen.values())

    @property
    def no_localhost(self) -> str:
        return "ip daddr != 127.0.0.0/8" if self.family == 4 else "ip6 daddr != ::1"

    def table(self) -> NftTable:
        for service in self.picks.services:
            for sp in service.ports:
                if sp.protocol in NAT_PROTOCOLS:
                    self.service_port(service, sp)
        self.endpoints()
        base = [NftChain(name, hook=f"type {kind} hook {hook} priority {priority}; policy accept;")
                for name, kind, hook, priority in (
                    ("filter-prerouting", "filter", "prerouting", "-110"),
                    ("filter-input", "filter", "input", "-110"),  # dstnat - 10, as a number: older nft
                    ("filter-forward", "filter", "forward", "-110"),  # names dstnat for prerouting only
                    ("filter-output", "filter", "output", "-110"),
                    ("nat-prerouting", "nat", "prerouting", "-100"),
                    ("nat-output", "nat", "output", "-100"),
                    ("nat-postrouting", "nat", "postrouting", "100"))]
        base[1].add("ct state new jump nodeport-endpoints-check")  # filter input only (`nftablesJumpChains`)
        for chain in base[1:4]:
            chain.add("ct state new jump endpoints-check")
        for chain in (base[0], base[3]):
            chain.add("ct state new jump firewall-check")
        base[4].add("jump services")
        base[5].add("jump services")
        base[6].add("jump masquerading")
        firewall = NftChain("firewall-check")
        firewall.add(f"{self.ip} daddr . meta l4proto . th dport vmap @firewall-ips")
        check = NftChain("endpoints-check")
        check.add(f"{self.ip} daddr . meta l4proto . th dport vmap @no-endpoint-services")
        node_check = NftChain("nodeport-endpoints-check")
        node_check.add(f"fib daddr type local {self.no_localhost} meta l4proto . th dport vmap @no-endpoint-nodeports")
        reject = NftChain("reject-chain", notes=("helper for @no-endpoint-services / @no-endpoint-nodeports",))
        reject.add("reject")
        mark = NftChain("mark-for-masquerade")
        mark.add(f"mark set mark or {MASQ_MARK}")
        masq = NftChain("masquerading")
        masq.add(f"mark and {MASQ_MARK} == 0 return")
        masq.add(f"mark set mark xor {MASQ_MARK}")
        masq.add("masquerade fully-random")
        services = NftChain("services")
        services.add(f"{self.ip} daddr . meta l4proto . th dport vmap @service-ips")
        services.add(f"fib daddr type local {self.no_localhost} meta l4proto . th dport vmap @service-nodeports")
        table = NftTable(self.ip, TABLE, header=[f"kube-proxy (nftables mode) on node {self.node.name or 'node'}", ""])
        table.sets = [
            NftSet("service-ips", f"{self.addr_type} . inet_proto . inet_service : verdict", self._unique(self.service_ips),
                   "ClusterIP, ExternalIP and LoadBalancer IP traffic", kind="map"),
            NftSet("service-nodeports", "inet_proto . inet_service : verdict", self._unique(self.node_ports),
                   "NodePort traffic", kind="map"),
            NftSet("no-endpoint-services", f"{self.addr_type} . inet_proto . inet_service : verdict",
                   self._unique(self.no_endpoint_services), "vmap to drop or reject packets to services with no endpoints",
                   kind="map"),
            NftSet("no-endpoint-nodeports", "inet_proto . inet_service : verdict", self._unique(self.no_endpoint_nodeports),
                   "vmap to drop or reject packets to service nodeports with no endpoints", kind="map"),
            NftSet("firewall-ips", f"{self.addr_type} . inet_proto . inet_service : verdict", self._unique(self.firewall_ips),
                   "destinations that are subject to LoadBalancerSourceRanges", kind="map"),
            *{s.name: s for s in self.affinity}.values(),
        ]
        table.chains = [*base, check, node_check, reject, firewall, services, mark, masq, *self.chains]
        return table


def kube_proxy_tables(topology: Topology, node: LabNode, picks: ServicePicks) -> list[NftTable]:
    """The node's `ip kube-proxy` table, and its `ip6 kube-proxy` table when a Service or a host has an IPv6
    address (one proxier per family); none when the input has no Service."""
    if not picks.backends.services:
        return []
    families = {4} | {a.version for s in picks.services for a in of_family(
        (*s.cluster_ips, *s.external_ips, *s.load_balancer_ips), 6)} | (topology.families & {6})
    return [_KubeProxy(node, picks, [str(a) for h in topology.workloads for a in h.addresses if a.version == f],
                       f).table() for f in sorted(families)]


@dataclass(frozen=True)
class VipRoute:
    """How the uplink delivers a LoadBalancer or external IP: as a load balancer that sends each
    connection to a node of its backend (picked by the probe's source port, as in the table)."""

    address: IPAddress
    protocol: int
    pick: int
    node: LabNode


def vip_routes(topology: Topology, picks: ServicePicks) -> list[VipRoute]:
    """A route per LoadBalancer or external IP, Service port and endpoint of the IP's family with a lab node; an
    IP that is a node's own address is routed to that node like any of its addresses."""
    out = []
    nodes = {str(a) for found in picks.backends.cluster.node_addresses.values() for a in found}
    for service in picks.services:
        for family in (4, 6):
            vips = [v for v in of_family((*service.load_balancer_ips, *service.external_ips), family)
                    if str(v) not in nodes]
            for sp in service.ports:
                for e in picks.of(service, sp) if vips else ():
                    node = topology.lab_node(e.node) if e.node else None
                    out += [VipRoute(vip, sp.protocol, e.pick, node) for vip in vips
                            if node is not None and e.address.version == family]
    return out
