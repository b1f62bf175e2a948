"""Service rows through the LoadBalancer ingress IPs of Services with `loadBalancerSourceRanges`: for each
Service port and LoadBalancer IP, how many ready backends each pod, workload or external range reaches there
(docs/semantics.md#service-rows, #service-fields).

kube-proxy's `firewall-ips` map sends a new connection to a LoadBalancer IP (never a NodePort, an external IP
or the ClusterIP) to the Service's `firewall-…` chain, which drops a source outside the ranges before DNAT
(`syncProxyRules`; `firewall-check` from filter prerouting and filter output, `ct state new`). Sources
outside the ranges are dropped in bulk (their addresses against the ranges, in numpy; the matrix's external
ranges are cut at the ranges, `classes.PeerClasses`); the others as `query` judges them: from the matrix's
side tables (`service_lb_reach`), or, with a host endpoint or a backend in a node's network on the path, by
`service_flow.evaluate_service` once per endpoint class and node.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np

from netpolicy.engine.service_lb_reach import LoadBalancerReach
from netpolicy.engine.service_rows import ALLOW, PARTIAL
from netpolicy.errors import InputError
from netpolicy.model.cluster import HOST_ENDPOINT, Service, ServicePort

_LOW = (1 << 64) - 1
#: Backend legs the rows may judge with the flow evaluator (sources the side tables cannot judge, such as
#: through host endpoints): about 3 s; rows beyond it name their sources as not judged, and why.
EVALUATED_LEGS = 3_000


@dataclass(frozen=True)
class LoadBalancerRow:
    """One port of a Service through one LoadBalancer IP: per source reaching some backend, how many
    (`reached`) of how many it is sent to (`candidates`); `outside`: sources the ranges drop."""

    service: Service
    port: ServicePort
    address: str
    backends: int
    reached: dict[str, int]
    candidates: dict[str, int]
    outside: int
    #: Sources `query` cannot judge (an error of the input, such as a node without an address), and why.
    not_judged: tuple[str, ...] = ()
    why_not: str = ""
    #: The node entered (a row through a nodePort at `address`, its first address); None: a LoadBalancer IP.
    node: str | None = None

    def verdict(self, source: str) -> str | None:
        """`allow` (every backend it is sent to), `partial` (some) or None (none) for a source endpoint id."""
        count = self.reached.get(source, 0)
        return None if not count else ALLOW if count == self.candidates[source] else PARTIAL


def load_balancer_rows(matrix) -> list[LoadBalancerRow]:
    """A row per port and LoadBalancer IP of every Service with loadBalancerSourceRanges (input order)."""
    services = [s for s in matrix.cluster.services
                if s.type == "LoadBalancer" and s.load_balancer_source_ranges and s.load_balancer_ips]
    if not services:
        return []
    from netpolicy.engine.path import LOAD_BALANCER, Entry

    sources, order = _sources(matrix)
    return [sources.row(Entry(service, LOAD_BALANCER, address, sp.port, sp), order)
            for service in services for sp in service.ports for address in service.load_balancer_ips]


def node_port_rows(matrix) -> list[LoadBalancerRow]:
    """A row per nodePort and node with an address of every Service with nodePorts (input order), each
    entered as `query --to <node>:<nodePort>` enters it (at the node's first address)."""
    cluster = matrix.cluster
    nodes = sorted(n for n in cluster.node_names if cluster.node_addresses.get(n))
    services = [s for s in cluster.services if s.type in ("NodePort", "LoadBalancer")
                and any(sp.node_port is not None for sp in s.ports)]
    if not services or not nodes:
        return []
    from netpolicy.engine.path import NODE_PORT, Entry

    sources, order = _sources(matrix)
    return [sources.row(Entry(service, NODE_PORT, str(cluster.node_addresses[node][0]), sp.node_port, sp, node),
                        order)
            for service in services for sp in service.ports if sp.node_port is not None for node in nodes]


def _sources(matrix) -> tuple[_Sources, dict[str, int]]:
    """The sources of the rows (every endpoint class but host endpoints) and the endpoints' order."""
    from netpolicy.engine.pairs import endpoint_classes

    classes = [c for c in endpoint_classes(matrix) if c.members[0].kind != HOST_ENDPOINT]
    return _Sources(matrix, classes), {e.id: i for i, e in enumerate(matrix.endpoints)}


class _Sources:
    """The source classes' members with their address and node, grouped so that members alike in class,
    node and being a backend themselves are judged once."""

    def __init__(self, matrix, classes: list) -> None:
        from netpolicy.engine.flow import FlowEvaluator
        from netpolicy.engine.path import ServicePaths

        cluster = matrix.cluster
        self.members = [m for c in classes for m in c.members]
        self.ids = [m.id for m in self.members]
        self.id_array = np.array(self.ids, dtype=object)
        self.index = {m: i for i, m in enumerate(self.ids)}
        # what `query` is given: a pod's or workload's id, an external range's free address
        self.refs = [m.id if m.policed else str(m.ips[0]) for m in self.members]
        self._family: dict[int, tuple] = {}
        self.klass = np.array([i for i, c in enumerate(classes) for _ in c.members], dtype=np.int64)
        nodes = [cluster.node_of(m) for m in self.members]
        self.names = sorted({n for n in nodes if n is not None})
        index = {n: i for i, n in enumerate(self.names)}
        self.node = np.array([index.get(n, -1) for n in nodes], dtype=np.int64)
        self.matrix = matrix
        self.evaluator = FlowEvaluator(cluster, matrix.ctx.options)
        self.spent = 0  # backend legs judged by the flow evaluator so far (EVALUATED_LEGS bounds them)
        self.paths = ServicePaths(cluster, self.evaluator.ctx.backends)
        self.bulk = None if matrix.guarded_nodes else LoadBalancerReach(matrix, classes, self.klass, self.node,
                                                                         self.names)

    def _addresses(self, family: int) -> tuple:
        """Per member, its address of that family (a dual-stack pod sends to an entry of a family from its
        address of it, `service_flow._in_family`): whether it has one, its high and low 64 bits, its text."""
        found = self._family.get(family)
        if found is None:
            addresses = [next((a for a in (*m.ips, *(n.network_address for n in m.nets)) if a.version == family),
                              None) for m in self.members]
            values = [int(a) if a is not None else 0 for a in addresses]
            found = self._family[family] = (
                np.array([a is not None for a in addresses], dtype=bool),
                np.array([v >> 64 for v in values], dtype=np.uint64), np.array([v & _LOW for v in values], dtype=np.uint64),
                np.array([str(a) for a in addresses], dtype=object))
        return found

    def passing(self, service: Service, address: str) -> tuple[np.ndarray, np.ndarray]:
        """Per member: whether it has an address of the LoadBalancer IP's family, and whether the firewall chain
        lets it through — no range of the family, an address in a range, or one of the LoadBalancer IPs
        (kube-proxy adds them when its node address is in a range: judged per node by `ServicePaths`)."""
        family = ipaddress.ip_address(address).version
        has, high, low, text = self._addresses(family)
        ranges = [n for n in service.load_balancer_source_ranges if n.version == family]
        if not ranges:
            return has, has
        inside = np.isin(text, [a for a in service.load_balancer_ips if ipaddress.ip_address(a).version == family])
        for net in ranges:
            mask, base = int(net.netmask), int(net.network_address)
            inside |= ((high & np.uint64(mask >> 64)) == np.uint64(base >> 64)) & (
                (low & np.uint64(mask & _LOW)) == np.uint64(base & _LOW))
        return has, has & inside

    def _node_kinds(self, serving, entered: str | None) -> np.ndarray:
        """Per node (index + 1; 0: unknown), a number shared by nodes a source on which is judged alike: each
        node with a host endpoint apart, and each with a backend (a LoadBalancer IP: the pod's node translates)
        or the node `entered` (a nodePort: only it translates); any other by the peer class of the address its
        pods are masqueraded to (`ServicePaths._leg`), and nodes without an address together."""
        cluster, peers = self.matrix.cluster, self.matrix.peers
        translating = {entered} if entered is not None else {self.paths.node_of(b) for b in serving}
        apart = translating | set(self.matrix.guarded_nodes)
        kinds: dict[tuple, int] = {("unknown",): 0}
        out = [0]
        for name in self.names:
            found = cluster.node_addresses.get(name)
            kind = ("node", name) if name in apart else ("address", peers.address_class(found[0], None)) if found \
                else ("none",)
            out.append(kinds.setdefault(kind, len(kinds)))
        return np.array(out, dtype=np.int64)

    def _node_port_bulk(self, entered: str) -> np.ndarray:
        """Per member: whether its nodePort cells come from the side tables — not at a node's address (the node's own connection), not a pod natOutgoing masquerades off its node."""
        cluster = self.matrix.cluster
        out = ~np.isin(np.array(self.refs, dtype=object), [str(a) for f in cluster.node_addresses.values() for a in f])
        if any(p.nat_outgoing for p in cluster.ip_pools):
            entry_node = self.names.index(entered) if entered in self.names else -2
            out &= ~(self.bulk.pod & (self.node != entry_node))
        return out

    def row(self, entry, order: dict[str, int]) -> LoadBalancerRow:
        """The row of one Service port through one LoadBalancer IP or one node's nodePort (`entry`)."""
        from netpolicy.engine.path import LOAD_BALANCER
        from netpolicy.engine.service_flow import evaluate_service

        service, sp, address = entry.service, entry.service_port, entry.address
        balanced = entry.kind == LOAD_BALANCER
        has, passing = self.passing(service, address) if balanced else (self._addresses(
            ipaddress.ip_address(address).version)[0],) * 2
        family = ipaddress.ip_address(address).version
        # one proxier per address family, fed that family's endpoints (`ServicePaths.translate`)
        serving = [b for b in self.paths.backends.serving(service.namespace, service.name)
                   if b.address.version == family]
        legs = [(b, t) for b in serving for t in b.targets if t.service_port == sp]
        backends = sum(b.host_network is not None or (b.endpoint is not None and b.endpoint.policed) for b, _ in legs)
        reached, counted = np.zeros(len(self.members), dtype=np.int64), np.zeros(len(self.members), dtype=np.int64)
        failed = np.zeros(len(self.members), dtype=bool)
        why = ""
        judged = passing.copy()
        # from the side tables unless a host endpoint or a backend in a node's network is on the path; a source
        # at a LoadBalancer IP (the VIP exception) or a node's address, by the flow evaluator
        bulk = passing & ~np.isin(self._addresses(family)[3], list(service.load_balancer_ips)) & balanced
        if self.bulk is not None and bulk.any() and not any(b.host_network for b, _ in legs):
            found = self.bulk.counts(service, legs, self.paths.node_of)
            reached[bulk], counted[bulk], failed[bulk] = found[0][bulk], found[1][bulk], found[2][bulk]
            why = found[3] if failed.any() else ""
            judged &= ~bulk
        elif self.bulk is not None and not balanced and not any(b.host_network for b, _ in legs):
            bulk = passing & self._node_port_bulk(entry.node)
            found = self.bulk.node_port_counts(service, legs, self.paths.node_of, entry, self.index)
            reached[bulk], counted[bulk] = found[0][bulk], found[1][bulk]
            judged &= ~bulk
        chosen = np.flatnonzero(judged)
        own = np.isin(self.id_array[chosen], [b.endpoint.id for b in serving if b.endpoint is not None])
        nodes = self._node_kinds(serving, entry.node)
        # a backend among the sources is judged on its own (its leg to itself), the others per class and node
        key = np.where(own, -1 - chosen, self.klass[chosen] * (nodes.max() + 2) + nodes[self.node[chosen] + 1])
        _, first, group = np.unique(key, return_index=True, return_inverse=True)
        results = np.zeros((len(first), 3), dtype=np.int64)  # reached, counted, failed
        cost = len(first) * max(1, len(legs))
        if self.spent + cost > EVALUATED_LEGS:
            results[:, 2] = 1
            why = why or (f"not computed: {len(first)} groups of sources x {len(legs)} backend legs through host "
                          f"endpoints exceed the matrix's budget of {EVALUATED_LEGS:,} evaluated legs; ask `query` "
                          f"or `test` for them")
            first = first[:0]
        self.spent += cost if len(first) else 0
        for index, member in enumerate(chosen[first].tolist()):
            try:
                flow = evaluate_service(self.evaluator, self.paths, self.refs[member], service.id, entry, sp.protocol)
            except InputError as error:
                results[index, 2], why = 1, why or str(error)
                continue
            known = [r for leg, r in flow.legs if leg.backend.host_network or (
                leg.backend.endpoint is not None and leg.backend.endpoint.policed)]
            results[index, :2] = sum(r.verdict == ALLOW for r in known), len(known)
        reached[chosen], counted[chosen], failed[chosen] = results[group, 0], results[group, 1], results[group, 2] > 0
        ids = sorted(np.flatnonzero(reached).tolist(), key=lambda m: order[self.ids[m]])
        return LoadBalancerRow(service, sp, address, backends, {self.ids[m]: int(reached[m]) for m in ids},
                               {self.ids[m]: int(counted[m]) for m in ids}, int(has.sum() - passing.sum()),
                               tuple(self.ids[m] for m in np.flatnonzero(failed).tolist()), why, entry.node)
