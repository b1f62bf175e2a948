"""admin-accept-overridden: an admin Accept that the other end's own policies still deny."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.endpoints import side_endpoints
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.model.ir import ALLOW, EGRESS, Rule
from netpolicy.model.protocols import TCP, protocol_name

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "admin-accept-overridden"
SEVERITY = WARNING
DOC = ("An admin `Accept` (v1alpha1: `Allow`) is final for the policy's own pods in that direction only: a "
       "connection also needs the other end's verdict, and there the namespace's NetworkPolicies (or another "
       "admin policy) still decide. An egress Accept to pods whose ingress is isolated, or an ingress Accept "
       "from pods whose egress is isolated, admits nothing unless that end allows it too. Found with the "
       "one-flow evaluator on the rule's first port; reported with the pairs it blocks (at most `max-pairs` "
       "pairs are evaluated per rule, option).")
OPTIONS: dict = {"max-pairs": 200}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Admin Accept rules whose flows the other end denies."""
    from netpolicy.engine.flow import FlowEvaluator

    flows = ctx.memo("flow-evaluator", lambda: FlowEvaluator(ctx.cluster, ctx.options, preview_staged=False))
    budget = settings["max-pairs"]
    for policy, raw in ctx.admin_policies:
        seen: set[str] = set()
        for rule in policy.ingress + policy.egress:
            if rule.action != ALLOW or rule.path in seen:
                continue
            blocked = _blocked(ctx, flows, policy, rule, budget)
            if not blocked:
                continue
            seen.add(rule.path)
            other = "ingress" if rule.direction == EGRESS else "egress"
            pairs = ", ".join(f"{s} → {d}" for s, d, _ in blocked[:3]) + (
                f" and {len(blocked) - 3} more" if len(blocked) > 3 else "")
            _, _, step = blocked[0]
            yield finding_at(
                ID, raw, rule.path,
                f"{policy.name} {rule.name} accepts {rule.direction} traffic, but the other end's {other} denies "
                f"it: {pairs} ({step})",
                f"admit it on the other end too (its NetworkPolicy), or Accept the {other} side in an admin "
                "policy that selects those pods")


def _blocked(ctx: LintContext, flows, policy, rule: Rule, budget: int) -> list[tuple[str, str, str]]:
    own, peer = ("source", "destination") if rule.direction == EGRESS else ("destination", "source")
    subjects = side_endpoints(ctx, policy, rule, own)
    peers = [e for e in side_endpoints(ctx, policy, rule, peer) if e.ips]
    out = []
    for subject in subjects:
        for other in peers:
            if budget <= 0 or subject.id == other.id or not subject.ips:
                continue
            budget -= 1
            src, dst = (subject, other) if rule.direction == EGRESS else (other, subject)
            protocol, port = _probe(rule, dst)
            result = flows.evaluate(src, dst, protocol, port)
            mine, theirs = (result.egress, result.ingress) if rule.direction == EGRESS else (result.ingress, result.egress)
            decided = mine.trace[-1] if mine.trace else None
            if decided is None or decided.policy != policy.id or decided.rule != rule.name or theirs.verdict == "allow":
                continue
            last = theirs.trace[-1]
            out.append((src.id, dst.id, f"{protocol_name(protocol)} {port}: {last.reason}"))
    return out


def _probe(rule: Rule, destination) -> tuple[int, int]:
    """(protocol, port) to try: the rule's first numbered port, else the destination's port of the named
    port (with its protocol), else a port it serves, else TCP 80."""
    protocol = rule.protocol if rule.protocol is not None else TCP
    ports = rule.destination.ports
    if ports is not None and ports.numbers:
        return protocol, ports.numbers.ranges[0][0]
    named = [(p.protocol, p.port) for p in destination.ports if ports is not None and p.name in ports.names
             and rule.protocol in (None, p.protocol)]
    served = [(p.protocol, p.port) for p in destination.ports if rule.protocol in (None, p.protocol)]
    return (named or served or [(protocol, 80)])[0]
