"""Service-level connectivity from the matrix: for each Service port, how many of its ready backends each
pod or workload reaches through the ClusterIP (docs/semantics.md#service-rows).

kube-proxy DNATs a ClusterIP connection to one ready backend and policy judges the translated packet, so
a source reaches a backend on a Service port when the matrix allows source → backend on the backend's
target port for every source port (as `query` judges a flow). Every backend reached: `allow`; some:
`partial` (a connection fails or succeeds by kube-proxy's pick); none: left out. Computed over endpoint
classes and the side tables' rows, one step per distinct egress table and backend, never per pod.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np

from netpolicy.engine.backends import Backend, Target
from netpolicy.engine.service_unnat import ReplyUnNat
from netpolicy.engine.tables import distinct_tables
from netpolicy.model.cluster import HOST_ENDPOINT, Service, ServicePort
from netpolicy.model.ir import EGRESS, INGRESS

ALLOW, PARTIAL = "allow", "partial"


@dataclass(frozen=True)
class ServiceRow:
    """One port of one Service: its ready backends with a pod in the input (address, endpoint, target)
    and, for each source that reaches some, how many (`reached`: endpoint id → count, in endpoint order)."""

    service: Service
    port: ServicePort
    backends: tuple[tuple[Backend, Target], ...]
    reached: dict[str, int]
    unknown: int = 0
    #: internalTrafficPolicy Local: per source, how many backends are on its node (None: Cluster).
    local: dict[str, int] | None = None
    #: internalTrafficPolicy Local: sources whose node is unknown (left out of `reached`).
    unknown_node: tuple[str, ...] = ()

    def candidates(self, source: str) -> int:
        """How many backends kube-proxy may send the source's connections to."""
        return len(self.backends) if self.local is None else self.local.get(source, 0)

    def verdict(self, source: str) -> str | None:
        """`allow` (every backend), `partial` (some) or None (none) for a source endpoint id."""
        count = self.reached.get(source, 0)
        return None if not count else ALLOW if count == self.candidates(source) else PARTIAL


def service_rows(matrix) -> list[ServiceRow]:
    """A row per port of every Service of the input (in input order), from the matrix's side tables."""
    from netpolicy.engine.node_flow import family_of
    from netpolicy.engine.pairs import endpoint_classes

    backends = matrix.ctx.backends
    classes = [c for c in endpoint_classes(matrix) if c.members[0].policed and c.members[0].kind != HOST_ENDPOINT]
    ports: list[tuple[Service, ServicePort, list, tuple]] = []
    for service in matrix.cluster.services:
        family = family_of(service.cluster_ips[0]) if service.cluster_ips else None  # the row's ClusterIP's
        serving = [b for b in backends.serving(service.namespace, service.name)
                   if family is None or b.address.version == family]
        for sp in service.ports:
            legs = [(b, t) for b in serving for t in b.targets if t.service_port == sp]
            ports.append((service, sp, legs, tuple((b, t) for b, t in legs if b.host_network or (
                b.endpoint is not None and b.endpoint.policed))))
    reach = _Reach(matrix, classes, [(b, t) for *_, known in ports for b, t in known if not b.host_network])
    order = {e.id: i for i, e in enumerate(matrix.endpoints)}
    rows = []
    by_node = None
    raw = _raw_nodes(matrix.ctx)
    judged = _star_pre_dnat(matrix)
    for service, sp, legs, known in ports:
        on_node = any(b.host_network for b, _ in known)
        if service.internal_traffic_policy == "Local" or on_node or raw or judged:
            by_node = by_node or _Members(matrix, classes)
            reached, local, unknown_node = by_node.counts(reach, service, sp, known, raw, judged)
        else:
            counts = np.zeros(len(classes), dtype=np.int64)
            for backend, target in known:
                counts += reach.reaches(backend, target)
            reached = {m.id: int(counts[i]) for i in np.flatnonzero(counts).tolist() for m in classes[i].members}
        if service.internal_traffic_policy != "Local":
            local, unknown_node = None, ()
        rows.append(ServiceRow(service, sp, known, dict(sorted(reached.items(), key=lambda kv: order[kv[0]])),
                               len(legs) - len(known), local, unknown_node))
    return rows


def _star_pre_dnat(matrix) -> bool:
    """Whether a `*` host endpoint's preDNAT policy judges pods' packets as sent, to the ClusterIP (no peer
    class of the matrix): then every leg is judged once per source class and node by the flow evaluator."""
    hooks = matrix.hooks.hooks if matrix.hooks is not None else {}
    return any(h.star is not None and h.star.pre is not None for h in hooks.values())


class _Members:
    """The source classes' members with the node each is on, where the node matters: internalTrafficPolicy
    Local (kube-proxy on a source's node sends its ClusterIP connections only to that node's endpoints,
    `syncProxyRules`) and backends in a node's network (judged per source class and node, as `query`
    judges a leg: docs/semantics.md#node-backends)."""

    def __init__(self, matrix, classes: list) -> None:
        self.matrix = matrix
        self.cluster = cluster = matrix.cluster
        self.members = [m for c in classes for m in c.members]
        self.klass = np.array([i for i, c in enumerate(classes) for _ in c.members], dtype=np.int64)
        nodes = [cluster.node_of(m) for m in self.members]
        self.names = sorted({n for n in nodes if n is not None})
        index = {n: i for i, n in enumerate(self.names)}
        self.node = np.array([index.get(n, -1) for n in nodes], dtype=np.int64)
        keys = self.klass * (len(self.names) + 1) + self.node + 1
        _, self.first, self.group = np.unique(keys, return_index=True, return_inverse=True)
        self._evaluator = None
        self._unnat: ReplyUnNat | None = None

    def counts(self, reach: _Reach, service: Service, sp: ServicePort, known: tuple,
               raw: frozenset[str], judged: bool = False) -> tuple[dict[str, int], dict[str, int], tuple[str, ...]]:
        """(source → backends it reaches, source → backends on its node, sources on no known node); without
        internalTrafficPolicy Local every backend counts for every source. `raw`: nodes whose doNotTrack
        Allow can leave the reply of their pods' legs to other nodes un-NATed (`_raw_nodes`, `service_unnat`);
        `judged`: every leg by the flow evaluator, not only those to backends in a node's network."""
        reached = np.zeros(len(self.members), dtype=np.int64)
        local = np.zeros(len(self.members), dtype=np.int64)
        node_local = service.internal_traffic_policy == "Local"
        on_node = self._node_backends(service, sp, judged) if judged or any(b.host_network for b, _ in known) \
            else {}
        for backend, target in known:
            node = (backend.node or (self.cluster.node_of(backend.endpoint) if backend.endpoint else None)
                    ) if backend.node_named else None  # kube-proxy counts a slice endpoint without nodeName local nowhere
            if not node_local:
                here = np.ones(len(self.members), dtype=bool)
            elif node in self.names:
                here = self.node == self.names.index(node)
            else:
                continue
            local += here
            if backend.host_network or judged:
                sent = on_node.get((backend.address, target.port))
            else:
                sent = reach.reaches(backend, target)[self.klass]
                if raw:
                    unnat = self._unnat = self._unnat or ReplyUnNat(self.matrix, self.members, self.first, self.node,
                                                                    self.names, raw)
                    number = self.names.index(node) if node in self.names else -1
                    sent = sent & ~unnat.untracked(backend, target, number)[self.group]
            if sent is not None:
                reached += here & sent
        ids = [m.id for m in self.members]
        return ({ids[i]: int(reached[i]) for i in np.flatnonzero(reached).tolist()},
                {ids[i]: int(local[i]) for i in np.flatnonzero(local).tolist()},
                tuple(ids[i] for i in np.flatnonzero(self.node < 0).tolist()))

    def _flows(self):
        """The flow evaluator, made once."""
        from netpolicy.engine.flow import FlowEvaluator

        if self._evaluator is None:
            self._evaluator = FlowEvaluator(self.cluster, self.matrix.ctx.options)
        return self._evaluator

    def _node_backends(self, service: Service, sp: ServicePort, every: bool = False) -> dict[tuple, np.ndarray]:
        """(address, target port) of each backend in a node's network (`every`: of each backend) → per
        member: reached through the ClusterIP, judged once per source class and node by the flow evaluator."""
        from netpolicy.engine.path import CLUSTER_IP, Entry, ServicePaths
        from netpolicy.engine.service_flow import evaluate_service

        evaluator = self._flows()
        paths = ServicePaths(self.cluster, evaluator.ctx.backends)
        entry = Entry(service, CLUSTER_IP, service.cluster_ips[0] if service.cluster_ips else None, sp.port, sp)
        allowed = np.zeros(len(self.first), dtype=bool)
        out: dict[tuple, np.ndarray] = {}
        family = entry.address and ipaddress.ip_address(entry.address).version
        for group, index in enumerate(self.first.tolist()):
            if family and family not in evaluator.families(self.members[index]):  # a packet keeps its family
                continue
            flow = evaluate_service(evaluator, paths, self.members[index].id, service.id, entry, sp.protocol)
            for leg, result in flow.legs:
                if leg.backend.host_network or every:
                    found = out.setdefault((leg.backend.address, leg.target.port), allowed.copy())
                    found[group] = result.verdict == "allow"
        return {key: value[self.group] for key, value in out.items()}


def _raw_nodes(ctx) -> frozenset[str]:
    """Nodes whose governing host endpoint has a doNotTrack ingress Allow rule: the reply of a pod's ClusterIP
    leg to a backend on another node enters there before conntrack un-NATs it, and an Allow leaves it un-NATed
    (`host_path.tracked_reply`; a Deny is in the matrix's cells already, `hook_tables`)."""
    from netpolicy.engine.plan import RuleStep
    from netpolicy.model.ir import ALLOW, UNTRACKED

    return frozenset(node for node, hep in ctx.host_endpoints.items()
                     if any(isinstance(step, RuleStep) and step.rule.action == ALLOW
                            for step in ctx.host_plan(hep, UNTRACKED, INGRESS).steps))


class _Reach:
    """Which source classes reach a backend on its target port (both sides, every source port), in bulk:
    the egress side per distinct egress table and target port for every backend peer class at once, the
    ingress side per distinct ingress table and port over every peer class."""

    def __init__(self, matrix, classes: list, legs: list[tuple[Backend, Target]]) -> None:
        self.matrix = matrix
        self.egress, self.table_of = distinct_tables([matrix.side_table(c.representative, EGRESS) for c in classes])
        self.peer = {f: np.array([c.classes.get(f, -1) for c in classes], dtype=np.int64) for f in matrix.cells}
        self._cache: dict[tuple, np.ndarray] = {}
        self._sent = self._egress_side(legs)

    def _target(self, backend: Backend) -> int | None:
        return self.matrix.peer_class.get((backend.endpoint.id, backend.address.version))

    def _egress_side(self, legs: list[tuple[Backend, Target]]) -> dict[tuple[int, int, int], np.ndarray]:
        """(protocol, port, backend peer class) → per distinct egress table: sends every atom of the port."""
        wanted: dict[tuple[int, int], set[int]] = {}
        for backend, target in legs:
            peer = self._target(backend)
            if peer is not None:
                wanted.setdefault((target.protocol, target.port), set()).add(peer)
        out: dict[tuple[int, int, int], np.ndarray] = {}
        for (protocol, port), peers in wanted.items():
            targets = np.array(sorted(peers), dtype=np.int64)
            sent = np.zeros((len(self.egress), len(targets)), dtype=bool)
            for index, table in enumerate(self.egress):
                sent[index] = self._groups_ok(table, protocol, port)[table.groups_of(targets)]
            out.update(((protocol, port, peer), sent[:, column]) for column, peer in enumerate(targets.tolist()))
        return out

    def reaches(self, backend: Backend, target: Target) -> np.ndarray:
        """Per source class: whether it reaches the backend on the target's port."""
        peer, peers = self._target(backend), self.peer.get(backend.address.version)
        if peer is None or peers is None:
            return np.zeros(len(self.table_of), dtype=bool)
        inbound = self.matrix.side_table(backend.endpoint, INGRESS)
        key = ("reach", id(inbound), target.protocol, target.port, peer)
        found = self._cache.get(key)
        if found is None:
            admitted = self._groups_ok(inbound, target.protocol, target.port)[inbound.local]
            ingress = np.where(peers >= 0, admitted[np.maximum(peers, 0)], False)
            found = self._cache[key] = ingress & self._sent[(target.protocol, target.port, peer)][self.table_of]
        return found

    def _groups_ok(self, table, protocol: int, port: int) -> np.ndarray:
        """Per local group of a side table: every atom of the port allowed (none when the port has no atom)."""
        key = ("groups", id(table), protocol, port)
        found = self._cache.get(key)
        if found is None:
            atoms = self._cache.get(("atoms", protocol, port))
            if atoms is None:
                atoms = self._cache[("atoms", protocol, port)] = self.matrix.atoms.point_mask(protocol, port)
            found = self._cache[key] = (table.table[:, atoms].all(axis=1) if atoms.any()
                                        else np.zeros(len(table.table), dtype=bool))
        return found

