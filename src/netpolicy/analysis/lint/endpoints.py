"""Endpoints as lint rules reason about them: the ports they listen on, their engine classes, their rules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from netpolicy.engine.match import owners_match
from netpolicy.model.cluster import HOST_ENDPOINT, Endpoint
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.ir import INGRESS, Policy, Rule
from netpolicy.model.protocols import protocol_name

Port = tuple[int, int]  # (protocol, port)


#: Workloads that run to completion: named after long-running ones when an example is needed.
RUN_TO_COMPLETION = ("Job", "CronJob")


def by_prominence(endpoint: Endpoint) -> tuple[bool, str]:
    """Sort key: long-running workloads and pods first, then by id."""
    return (endpoint.kind in RUN_TO_COMPLETION, endpoint.id)


def listening(endpoint: Endpoint) -> set[Port]:
    """The (protocol, port) pairs the endpoint's containers declare."""
    return {(p.protocol, p.port) for p in endpoint.ports}


def admits(conns: ConnectionSet, port: Port) -> bool:
    """Whether the connection set lets anything through to this destination port."""
    return bool(conns.seconds_for(*port))


def ports_text(ports: Iterable[Port]) -> str:
    """`TCP 5432, UDP 53`."""
    return ", ".join(f"{protocol_name(p)} {n}" for p, n in sorted(ports))


def rules_match(matrix, rules: Iterable[Rule], direction: str, endpoint: Endpoint) -> np.ndarray:
    """(peer classes × atoms) that any of the rules matches for the endpoint."""
    out = np.zeros((len(matrix.classes), matrix.atoms.size), dtype=bool)
    for rule in rules:
        out |= matrix.rule_match(rule, direction, endpoint)
    return out


def peers_of(matrix, match: np.ndarray) -> list[tuple[Endpoint, np.ndarray]]:
    """Policed peers the match admits, with the row of atoms admitted for them; sorted by prominence.

    Members of one engine class share the row but may declare different ports: one member (the most
    prominent) stands for each distinct set of declared ports of a class."""
    out = []
    for index in np.flatnonzero(match.any(axis=1)):
        by_ports: dict[tuple, Endpoint] = {}
        for member in sorted((m for m in matrix.classes[index].members if m.policed), key=by_prominence):
            by_ports.setdefault(member.ports, member)
        out.extend((member, match[index]) for member in by_ports.values())
    return sorted(out, key=lambda pair: by_prominence(pair[0]))


def rule_groups(policy: Policy, direction: str) -> Iterator[tuple[str, list[Rule]]]:
    """A policy's IR rules of one direction grouped by the rule users wrote (`ingress[0]`), in order."""
    groups: dict[str, list[Rule]] = {}
    for rule in policy.rules(direction):
        groups.setdefault(rule.name, []).append(rule)
    yield from groups.items()


def side_endpoints(ctx, policy: Policy, rule: Rule, side: str) -> list[Endpoint]:
    """Policed endpoints that can be on one side of a rule: the policy's own endpoints on their side
    (source of egress, destination of ingress), any pod or workload on the peer side; each filtered by
    the side's address conditions (selectors as the engine matches them on the owners at the endpoint's
    addresses, nets, notNets)."""
    own = (side == "destination") == (rule.direction == INGRESS)
    entity = getattr(rule, side)
    if own:
        candidates = [e for e in ctx.selected(policy) if e.kind != HOST_ENDPOINT]
    else:
        candidates = ctx.policed
        if entity.selector is not None:
            matched = ctx.matching(entity.selector)
            direct = [e for e in matched if e.policed and e.kind != HOST_ENDPOINT]
            if len(direct) == len(matched):  # no network set or other owner lends its labels to a pod's address
                candidates = direct
    return [e for e in candidates if _entity_holds(ctx, entity, e)]


def _entity_holds(ctx, entity, endpoint: Endpoint) -> bool:
    if not owners_match(entity, ctx.owners_of(endpoint)):
        return False
    if entity.nets and not any(ip in net for ip in endpoint.ips for net in entity.nets if ip.version == net.version):
        return False
    return not any(ip in net for ip in endpoint.ips for net in entity.not_nets if ip.version == net.version)
