"""Checking expectations against a cluster's matrix: which hold, and for those that do not, which flows and why.

For each expectation the peers are resolved to places (endpoints and external ranges), the pairs are
compared group by group (places the matrix treats alike are checked once), and the verdict asked for
is applied to every pair's allowed connections:

- `allow`: every wanted connection is allowed;
- `deny`: no wanted connection is allowed;
- `only`: exactly the wanted connections are allowed.

With quantifier `every` each pair must satisfy it; with `any`, at least one pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from netpolicy.analysis.diff.places import Group, Place, PlaceIndex
from netpolicy.analysis.diff.probes import Cuts, rule_cuts, typical_probe
from netpolicy.analysis.expectations.model import (
    ALLOW,
    DENY,
    EVERY,
    SERVICE,
    VIA,
    Expectation,
    ExpectationSuite,
)
from netpolicy.analysis.expectations.peers import PeerResolver
from netpolicy.engine.flow import FlowEvaluator, FlowResult
from netpolicy.engine.matrix import Matrix
from netpolicy.engine.pod_entry import query_flow
from netpolicy.model.cluster import Cluster
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.options import Options

PASS, FAIL, ERROR = "pass", "fail", "error"
FAILURES_LISTED = 10  # failing pairs listed (each with a traced flow) per expectation


@dataclass(frozen=True)
class PairResult:
    """One (source, destination) pair that does not satisfy an expectation, and a traced offending flow.

    `missing`: wanted but not allowed; `extra`: allowed but not wanted.
    """

    source: Place
    destination: Place
    allowed: ConnectionSet
    missing: ConnectionSet
    extra: ConnectionSet
    flow: FlowResult | None = None

    @property
    def offending(self) -> ConnectionSet:
        """Everything wrong with the pair: missing and extra connections."""
        return self.missing | self.extra


@dataclass(frozen=True)
class Outcome:
    """The result of one expectation: `pass`, `fail`, or `error` when it could not be checked."""

    expectation: Expectation
    file: str
    status: str
    pairs: int = 0
    failing_pairs: int = 0
    failures: tuple[PairResult, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether the expectation holds."""
        return self.status == PASS


@dataclass
class ExpectationReport:
    """Every outcome, in file and expectation order."""

    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many outcomes have this status."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """Whether every expectation holds."""
        return all(o.passed for o in self.outcomes)


def check_expectations(cluster: Cluster, suites: Sequence[ExpectationSuite],
                       options: Options | None = None) -> ExpectationReport:
    """Check every expectation of every suite against the cluster."""
    checker = _Checker(cluster, options or Options())
    report = ExpectationReport()
    for suite in suites:
        for expectation in suite.expectations:
            report.outcomes.append(checker.check(expectation, suite.file))
    return report


class _Checker:
    def __init__(self, cluster: Cluster, options: Options) -> None:
        self.cluster = cluster
        self.options = options
        self.index = PlaceIndex([Matrix(cluster, options)])
        self.resolver = PeerResolver(self.index)

    @cached_property
    def evaluator(self) -> FlowEvaluator:
        return FlowEvaluator(self.cluster, self.options)

    @cached_property
    def cuts(self) -> Cuts:
        return rule_cuts([self.cluster])

    def check(self, expectation: Expectation, file: str) -> Outcome:
        """The outcome of one expectation."""
        sources, source_notes = self.resolver.resolve(expectation.sources)
        if expectation.destinations[0].kind == SERVICE:
            return self._check_services(expectation, file, sources, source_notes)
        destinations, destination_notes = self.resolver.resolve(expectation.destinations)
        notes = tuple(source_notes + destination_notes)
        if notes:
            return Outcome(expectation, file, ERROR, notes=notes)
        pairs = failing = 0
        failed_groups: list[tuple[Group, Group, PairResult]] = []
        for src_group in self.index.groups(sources):
            for dst_group in self.index.groups(destinations):
                src, dst = src_group.representative, dst_group.representative
                if not self.index.governed(src, dst):
                    continue
                count = len(src_group) * len(dst_group)
                pairs += count
                result = _judge(expectation, src, dst, self.index.connections(0, src, dst))
                if result is not None:
                    failing += count
                    failed_groups.append((src_group, dst_group, result))
        if pairs == 0:
            return Outcome(expectation, file, ERROR, notes=(
                "no pair to check: neither end of any pair is an endpoint that policies apply to",))
        holds = failing == 0 if expectation.quantifier == EVERY else failing < pairs
        if holds:
            return Outcome(expectation, file, PASS, pairs, failing)
        return Outcome(expectation, file, FAIL, pairs, failing, self._listed(failed_groups))

    def _check_services(self, expectation: Expectation, file: str, sources: list[Place],
                        notes: list[str]) -> Outcome:
        """Sources × Services: each Service port the expectation names, reached through its ClusterIP (or,
        `via: loadBalancer`, through each of its LoadBalancer IPs; `via: nodePort`, through its nodePort on
        each node with an address, or the one named) as kube-proxy translates it (allowed when
        every ready backend allows it; for a deny expectation, when some backend does:
        docs/semantics.md#service-rows)."""
        from netpolicy.engine.node_flow import family_of
        from netpolicy.engine.path import ServicePaths
        from netpolicy.engine.service_flow import evaluate_service

        paths = ServicePaths(self.cluster, self.evaluator.ctx.backends)
        found = [paths.backends.services.get(tuple(spec.text.split("/", 1))) for spec in expectation.destinations]
        notes = notes + [f"service {spec.text} is not in the input"
                         for spec, service in zip(expectation.destinations, found, strict=True) if service is None]
        services = [(s, spec) for s, spec in zip(found, expectation.destinations, strict=True) if s is not None]
        notes += [f"service {s.id} has no nodePort" for s, spec in services
                  if spec.via == VIA[2] and all(sp.node_port is None for sp in s.ports)]
        ports = {(s.id, spec.via): [sp for sp in s.ports if _number(sp, spec.via) is not None
                                    and expectation.connections.allows(sp.protocol, _number(sp, spec.via))]
                 for s, spec in services}
        notes += [f"service {key[0]} has none of the ports named" for key, named in ports.items() if not named]
        notes += [f"service {s.id} has no LoadBalancer ingress IP (status.loadBalancer.ingress)"
                  for s, spec in services if spec.via == VIA[1] and not s.load_balancer_ips]
        nodes = {spec.node: [spec.node] if spec.node else sorted(n for n in self.cluster.node_names
                                                                 if self.cluster.node_addresses.get(n))
                 for _, spec in services if spec.via == VIA[2]}
        notes += [f"node {name} is not in the input" for name in nodes if name and name not in self.cluster.node_names]
        notes += ["no node has an address to enter a nodePort by" for name, found in nodes.items() if not found]
        if notes:
            return Outcome(expectation, file, ERROR, notes=tuple(notes))
        pairs = failing = 0
        listed: list[PairResult] = []
        for service, spec in services:
            dst = Place(f"svc/{service.id}", SERVICE, service.namespace, (None,))
            for src in sources:
                ref = src.ref(0)
                if ref is None:
                    continue
                wanted = allowed = ConnectionSet.empty()
                shown = {}
                families = (None, *self.evaluator.families(ref))  # a packet keeps its family: other entries skipped
                for sp in ports[(service.id, spec.via)]:
                    number = _number(sp, spec.via)
                    flows = [evaluate_service(self.evaluator, paths, ref, dst.id, entry, sp.protocol)
                             for entry in _entries(service, sp, spec.via, paths, nodes.get(spec.node, ()))
                             if family_of(entry.address) in families]
                    point = ConnectionSet.of(sp.protocol, IntervalSet.span(number, number))
                    wanted |= point
                    # allow: every ready backend must answer; deny: none may (a partial reach fails both)
                    reached = bool(flows) and (all(f.verdict == ALLOW for f in flows) or (
                        expectation.expect == DENY and any(r.verdict == ALLOW for f in flows for _, r in f.legs)))
                    allowed |= point if reached else ConnectionSet.empty()
                    shown[(sp.protocol, number)] = next((f.shown for f in flows if f.verdict != ALLOW),
                                                         flows[0].shown if flows else None)
                pairs += 1
                result = _judge(replace(expectation, connections=wanted), src, dst, allowed)
                if result is not None:
                    failing += 1
                    bad = next(k for k in shown if result.offending.allows(*k))
                    if len(listed) < FAILURES_LISTED:
                        listed.append(replace(result, flow=shown[bad]))
        if pairs == 0:
            return Outcome(expectation, file, ERROR, notes=("no source to check",))
        holds = failing == 0 if expectation.quantifier == EVERY else failing < pairs
        return Outcome(expectation, file, PASS if holds else FAIL, pairs, failing, () if holds else tuple(listed))

    def _listed(self, failed_groups: list[tuple[Group, Group, PairResult]]) -> tuple[PairResult, ...]:
        """The first failing pairs, member by member, each with a traced offending flow."""
        listed: list[PairResult] = []
        for src_group, dst_group, result in failed_groups:
            for src in src_group.members:
                for dst in dst_group.members:
                    if len(listed) == FAILURES_LISTED:
                        return tuple(listed)
                    listed.append(PairResult(src, dst, result.allowed, result.missing, result.extra,
                                             self._trace(src, dst, result.offending)))
        return tuple(listed)

    def _trace(self, src: Place, dst: Place, offending: ConnectionSet) -> FlowResult | None:
        probe = typical_probe(offending, self.cuts)
        src_ref, dst_ref = src.ref(0), dst.ref(0)
        if probe is None or src_ref is None or dst_ref is None:
            return None
        return query_flow(self.evaluator, src_ref, dst_ref, probe.protocol, probe.port, probe.src_port)


def _judge(expectation: Expectation, src: Place, dst: Place, allowed: ConnectionSet) -> PairResult | None:
    """The pair's shortfall against the expectation, or None when the pair satisfies it."""
    wanted = expectation.connections
    empty = ConnectionSet.empty()
    if expectation.expect == ALLOW:
        missing, extra = wanted - allowed, empty
    elif expectation.expect == DENY:
        missing, extra = empty, wanted & allowed
    else:
        missing, extra = wanted - allowed, allowed - wanted
    if not missing and not extra:
        return None
    return PairResult(src, dst, allowed, missing, extra)


def _number(sp, via: str) -> int | None:
    """The port a client sends to: the nodePort (`via: nodePort`; None when the port has none), else the
    Service port."""
    return sp.node_port if via == VIA[2] else sp.port


def _entries(service, sp, via: str, paths, nodes) -> list:
    """Where a `service` peer is entered on one port: its ClusterIP, each of its LoadBalancer IPs, or its
    nodePort on each of `nodes` at the node's first address (as `query --to <node>:<nodePort>`)."""
    from netpolicy.engine.path import CLUSTER_IP, LOAD_BALANCER, NODE_PORT, Entry

    if via == VIA[2]:
        return [Entry(service, NODE_PORT, next(iter(paths.node_addresses.get(node, ())), None), sp.node_port, sp, node)
                for node in nodes]
    if via == VIA[1]:
        return [Entry(service, LOAD_BALANCER, address, sp.port, sp) for address in service.load_balancer_ips]
    return [Entry(service, CLUSTER_IP, service.cluster_ips[0] if service.cluster_ips else None, sp.port, sp)]
