"""reply-direction-rule: a rule that admits the reverse of a connection, written as if replies needed a rule."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.endpoints import (
    admits,
    by_prominence,
    listening,
    peers_of,
    ports_text,
    rule_groups,
    rules_match,
)
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.model.cluster import Endpoint
from netpolicy.model.ir import ALLOW, EGRESS, INGRESS, Policy, Rule
from netpolicy.sources.raw import RawObject

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "reply-direction-rule"
SEVERITY = WARNING
DOC = ("Connections are stateful: once a connection is admitted, its replies travel back on it without any "
       "rule. A rule written for the replies admits something else — the reverse connection, which the other "
       "side never opens. Reported: an ingress rule on a port the endpoint does not listen on, from peers that "
       "all do (and the egress mirror); an egress rule that lets a server open connections to its own client, "
       "beside an ingress rule of the same policy admitting that client (by the same selector) on the server's "
       "port; and an egress rule to an ipBlock on "
       "exactly the ports the endpoint itself serves, mirroring an ingress rule from the same ipBlock on those "
       "ports. Listening ports are the declared container ports.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Allow rules that only make sense as rules for replies."""
    for policy, raw in ctx.policies:
        for direction in (INGRESS, EGRESS):
            if not policy.governs(direction):
                continue
            for name, group in rule_groups(policy, direction):
                allows = [r for r in group if r.action == ALLOW]
                if allows:
                    finding = _check_rule(ctx, policy, raw, direction, name, allows)
                    if finding is not None:
                        yield finding


def _subjects(ctx: LintContext, policy: Policy) -> list[Endpoint]:
    """Selected endpoints with declared ports, one per distinct (labels, ports), long-running ones first."""
    seen: set = set()
    out = []
    for endpoint in sorted(ctx.selected(policy), key=by_prominence):
        key = (frozenset(endpoint.selector_labels.items()), endpoint.ports)
        if endpoint.ports and key not in seen:
            seen.add(key)
            out.append(endpoint)
    return out


def _hits_own_port(group: list[Rule], endpoint: Endpoint) -> bool:
    """Whether the rules' destination ports include a port the endpoint listens on (names resolved on it)."""
    for rule in group:
        ports = rule.destination.ports
        for port in endpoint.ports:
            if rule.protocol is not None and rule.protocol != port.protocol:
                continue
            if port.port in ports.numbers or (port.name is not None and port.name in ports.names):
                return True
    return False


def _check_rule(ctx: LintContext, policy: Policy, raw: RawObject, direction: str, name: str,
                group: list[Rule]) -> Finding | None:
    if any(r.destination.ports is None for r in group):
        return None  # a rule for every port is not a rule for one side's port
    peer_side = "source" if direction == INGRESS else "destination"
    named = [r for r in group if getattr(r, peer_side).selector is not None]
    by_net = [r for r in group if getattr(r, peer_side).nets and getattr(r, peer_side).selector is None]
    mirrored = direction == EGRESS and any(
        r.source.selector in {n.destination.selector for n in named} for r in policy.ingress)
    for subject in _subjects(ctx, policy):
        own_port = _hits_own_port(group, subject)
        # Ingress: a reply rule admits none of the subject's ports. Egress: it admits one of them (the
        # mirror of an ingress reply rule), or reverses a connection an ingress rule of the policy admits.
        if named and (own_port != (direction == INGRESS) or mirrored):
            match = rules_match(ctx.matrix, named, direction, subject)
            peers = [(peer, ctx.matrix.atoms.to_connections(row)) for peer, row in peers_of(ctx.matrix, match)
                     if peer.id != subject.id and peer.ports]
            message = _wrong_side(policy, direction, name, subject, peers)
            if not message and mirrored:
                message = next(filter(None, (_reverse(ctx, policy, name, named, subject, peer, conns)
                                             for peer, conns in peers)), "")
            if message:
                return _finding(ctx, raw, group[0], message, subject)
        if direction == EGRESS and by_net and own_port:
            message = _serving_ports(ctx, policy, name, subject, by_net)
            if message:
                return _finding(ctx, raw, group[0], message, subject)
    return None


def _wrong_side(policy: Policy, direction: str, name: str, subject: Endpoint, peers: list) -> str:
    """The rule's port is the port its peers listen on and not the destination's: for every peer it
    admits, the destination does not listen on the admitted ports and the source does."""
    if not peers:
        return ""
    for peer, conns in peers:
        source, destination = (peer, subject) if direction == INGRESS else (subject, peer)
        if any(admits(conns, p) for p in listening(destination)) or not any(
                admits(conns, p) for p in listening(source)):
            return ""
    peer, conns = peers[0]
    source = peer if direction == INGRESS else subject
    ports = ports_text(p for p in listening(source) if admits(conns, p))
    rule = f"{policy.id} {name}"
    if direction == INGRESS:
        return (f"{rule} admits {ports} from {peer.id} to {subject.id}, but {subject.id} does not listen on "
                f"{ports}: {peer.id} does. It reads as a rule for the replies of {subject.id}'s connections to "
                f"{peer.id}; replies travel on the connection (conntrack) and need no rule, so this only "
                f"lets {peer.id} open connections to a port nobody serves")
    return (f"{rule} lets {subject.id} send {ports} to {peer.id}, but {peer.id} does not listen on {ports}: "
            f"{subject.id} does. It reads as a rule for the replies to {peer.id}'s connections; replies travel "
            "on the connection (conntrack) and need no rule")


def _reverse(ctx: LintContext, policy: Policy, name: str, group: list[Rule], subject: Endpoint, peer: Endpoint,
             conns) -> str:
    """An egress rule letting a server open connections to its client, on the client's port: the reverse of
    the connection an ingress rule of the same policy admits; `""` if it is not that."""
    to_destination = {p for p in listening(peer) if admits(conns, p)}
    if not to_destination or any(admits(conns, p) for p in listening(subject)):
        return ""
    served_by = _mirrored_by(ctx, policy, group, subject, peer)
    if not served_by:
        return ""
    return (f"{policy.id} {name} lets {subject.id} open connections to {peer.id} on {ports_text(to_destination)}, "
            f"the reverse of the connections {peer.id} opens to {subject.id} on {ports_text(listening(subject))} "
            f"({served_by} admits them). Answers to those connections travel on them (conntrack) and need no "
            f"rule; this rule only matters if {subject.id} itself calls {peer.id}")


def _mirrored_by(ctx: LintContext, policy: Policy, group: list[Rule], server: Endpoint, client: Endpoint) -> str:
    """The ingress rule of the same policy, naming the same peers, that admits `client` on a port `server`
    listens on (the connection the egress rule reverses); `""` if there is none."""
    matrix = ctx.matrix
    family = matrix.common_family(server, client)
    peers = {r.destination.selector for r in group}
    if family is None:
        return ""
    for name, rules in rule_groups(policy, INGRESS):
        named = [r for r in rules if r.action == ALLOW and r.source.selector in peers]
        if not named:
            continue
        row = rules_match(matrix, named, INGRESS, server)[matrix.peer_class[(client.id, family)]]
        conns = matrix.atoms.to_connections(row)
        if any(admits(conns, p) for p in listening(server)):
            return f"{policy.id} {name}"
    return ""


def _serving_ports(ctx: LintContext, policy: Policy, name: str, subject: Endpoint, rules: list[Rule]) -> str:
    """An egress rule to address ranges on exactly the ports the subject serves, mirroring an ingress rule
    of the same policy that admits those ranges on those ports."""
    wanted: set[tuple[int, int]] = set()
    for rule in rules:
        ports = rule.destination.ports
        if rule.protocol is None or ports is None or ports.names or not ports.numbers or len(ports.numbers) > 16:
            return ""
        wanted |= {(rule.protocol, n) for lo, hi in ports.numbers for n in range(lo, hi + 1)}
    if not wanted <= listening(subject):
        return ""
    nets = {n for r in rules for n in r.destination.nets}
    mirror = _mirror(policy, nets, wanted)
    if not mirror:
        return ""
    shown = ", ".join(sorted(str(n) for n in nets))
    ports = ports_text(wanted)
    return (f"{policy.id} {name} lets {subject.id} open connections to {ports} at {shown}, mirroring "
            f"{mirror}, which lets {shown} connect to {subject.id} on {ports}. Answers to those clients travel "
            "on their connections (conntrack) and need no egress rule; this one only lets "
            f"{subject.id} open new connections to port {', '.join(str(p) for _, p in sorted(wanted))} elsewhere")


def _mirror(policy: Policy, nets: set, wanted: set[tuple[int, int]]) -> str:
    """The ingress rule of the policy that admits the same address ranges on the same ports, if any."""
    for name, group in rule_groups(policy, INGRESS):
        rules = [r for r in group if r.action == ALLOW and r.source.nets and r.source.selector is None]
        if not rules or {n for r in rules for n in r.source.nets} != nets:
            continue
        if all(any(r.protocol == protocol and r.destination.ports is not None and port in r.destination.ports.numbers
                   for r in rules) for protocol, port in wanted):
            return name
    return ""


def _finding(ctx: LintContext, raw: RawObject, rule: Rule, message: str, subject: Endpoint) -> Finding:
    related = tuple(k for k in (ctx.endpoint_key(subject),) if k is not None)
    unless = f" unless {subject.id} really opens these connections" if rule.direction == EGRESS else ""
    return finding_at(ID, raw, rule.path, message, f"remove {rule.name}{unless}", related=related)
