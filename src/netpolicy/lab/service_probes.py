"""Probes to Services: every client to every entry (ClusterIP, each node's address with the nodePort,
LoadBalancer and external IPs), once per backend the engine says kube-proxy may pick, from that
backend's picking source port (`ServicePicks`), with the engine's verdict for that backend.

Clients: pods and nodes for ClusterIPs; pods, outside ranges and nodes for NodePorts (the uplink routes
each node's address to it) and for LoadBalancer and external IPs (a pod's or a node's own node translates;
from outside the uplink acts as the load balancer and delivers each connection to its backend's node,
`vip_routes`). When the engine finds no
backend (none ready, externalTrafficPolicy Local without a local one, a port the Service lacks) the
client is probed once from a source port that picks nothing, and the engine says deny.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from netpolicy.engine.path import CLUSTER_IP, EXTERNAL_IP, LOAD_BALANCER, NODE_PORT, Entry, ServicePaths
from netpolicy.engine.service_flow import evaluate_service
from netpolicy.lab.nft.kubeproxy import NAT_PROTOCOLS, ServicePicks, of_family
from netpolicy.lab.node_probes import engine_ref
from netpolicy.lab.plan import NO_SCTP, NotProbed, Probe, ProbePlan, engine_answer
from netpolicy.lab.topology import Host, LabNode, Topology
from netpolicy.model.cluster import Service, ServicePort
from netpolicy.model.protocols import SCTP


def _entries(service: Service, sp: ServicePort, topology: Topology) -> list[tuple[Entry, bool]]:
    """Each way into the Service port, and whether outside ranges are probed through it (not a ClusterIP:
    nothing routes it from outside)."""
    out: list[tuple[Entry, bool]] = []
    for family in (4, 6):  # each family's ClusterIP (dual-stack: both)
        out += [(Entry(service, CLUSTER_IP, str(a), sp.port, sp), False) for a in of_family(service.cluster_ips, family)[:1]]
    if sp.node_port and service.type in ("NodePort", "LoadBalancer"):
        for node in topology.nodes:
            for family in (4, 6):
                address = node.address(family)
                if node.name is not None and address is not None:
                    out.append((Entry(service, NODE_PORT, str(address), sp.node_port, sp, node.name), True))
    for kind, addresses in ((LOAD_BALANCER, service.load_balancer_ips), (EXTERNAL_IP, service.external_ips)):
        out += [(Entry(service, kind, str(address), sp.port, sp), True) for family in (4, 6)
                for address in of_family(addresses, family)]
    return out


def _family(entry: Entry) -> int:
    return ipaddress.ip_address(entry.address).version


class ServiceProbePlanner:
    """Adds Service probes to a probe plan, asking the engine about each backend."""

    def __init__(self, topology: Topology, evaluator, paths: ServicePaths, picks: ServicePicks,
                 spare_port: Callable[[str, int], int]) -> None:
        self.topology = topology
        self.evaluator = evaluator
        self.paths = paths
        self.picks = picks
        self.spare_port = spare_port
        self.by_address = {str(a): h for h in topology.hosts for a in h.addresses}
        self.node_ends = {str(a): h for h in topology.node_ends for a in h.addresses}

    def plan(self, plan: ProbePlan, sctp: bool) -> None:
        clients = list(self.topology.hosts)
        nodes = list(self.topology.node_ends)
        for service in self.picks.services:
            for sp in service.ports:
                if sp.protocol not in NAT_PROTOCOLS:
                    continue
                for entry, outside in _entries(service, sp, self.topology):
                    for client in clients + nodes:
                        if not (client.workload or client in nodes) and not outside or \
                                client.address(_family(entry)) is None:
                            continue
                        if sp.protocol == SCTP and not sctp:
                            plan.not_probed.append(NotProbed(client.endpoint_id, entry.describe(), SCTP,
                                                             entry.port, NO_SCTP))
                            continue
                        self._client(plan, client, entry)

    def _ask(self, client: Host, entry: Entry, sport: int | None):
        return evaluate_service(self.evaluator, self.paths, engine_ref(client, _family(entry)), entry.describe(), entry,
                                entry.service_port.protocol, sport)

    def _client(self, plan: ProbePlan, client: Host, entry: Entry) -> None:
        sp, family = entry.service_port, _family(entry)
        base = dict(src=client.endpoint_id, family=family, protocol=sp.protocol, port=entry.port,
                    src_address=str(client.address(family)), dst_address=entry.address, via=entry.describe())
        unplaced = self._unplaced(client, entry)
        if unplaced:
            plan.not_probed.append(NotProbed(client.endpoint_id, entry.describe(), sp.protocol, entry.port, unplaced))
            return
        answered, flow = engine_answer(plan, client.endpoint_id, entry.describe(), sp.protocol, entry.port,
                                       lambda: self._ask(client, entry, None))
        if not answered:
            return
        if not flow.legs:
            plan.probes.append(Probe(dst=entry.describe(), sport=self.spare_port(client.endpoint_id, sp.protocol),
                                     expected=False, note=flow.dropped, **base))
            return
        picks = {(str(e.address), e.port): e for e in self.picks.of(entry.service, sp)}
        for leg, _ in flow.legs:
            address = str(leg.backend.address)
            pick = picks.get((address, leg.target.port))
            on_node = leg.backend.host_network is not None
            backend = self.node_ends.get(address) if on_node else self.by_address.get(address)
            if pick is None or backend is None or not (backend.workload or on_node):
                why = "the backend has no namespace in the lab" if backend is None or not (backend.workload or on_node) \
                    else "no source port left to pick this backend"
                plan.not_probed.append(NotProbed(client.endpoint_id, f"{leg.name} via {entry.describe()}",
                                                 sp.protocol, entry.port, why))
                continue
            if backend is client and not any(a.version == family for a in self._node_of(client).own):
                plan.not_probed.append(NotProbed(client.endpoint_id, f"{leg.name} via {entry.describe()}",
                                                 sp.protocol, entry.port,
                                                 "hairpin: masquerade needs an address on the pod's node"))
                continue
            result = next(r for leg_, r in self._ask(client, entry, pick.pick).legs
                          if str(leg_.backend.address) == address and leg_.target.port == leg.target.port)
            (plan.node_listen if on_node else plan.listen).add((sp.protocol, leg.target.port))
            plan.probes.append(Probe(dst=backend.endpoint_id, sport=pick.pick, expected=result.verdict == "allow",
                                     note=leg.why, **base))

    def _unplaced(self, client: Host, entry: Entry) -> str:
        """Why a pod on no known node is not probed through an internalTrafficPolicy Local ClusterIP: the
        engine names no backend for it, the lab hangs it off the first node (whose endpoints answer)."""
        if entry.kind != CLUSTER_IP or entry.service.internal_traffic_policy != "Local" or not client.workload:
            return ""
        cluster = self.paths.cluster
        pod = cluster.endpoint(client.endpoint_id)
        if pod is None or cluster.node_of(pod) is not None:
            return ""
        return "internalTrafficPolicy Local and the pod's node is unknown (the lab places it on the first node)"

    def _node_of(self, host: Host) -> LabNode:
        return next((n for n in self.topology.nodes if n.netns == host.parent), self.topology.nodes[0])
