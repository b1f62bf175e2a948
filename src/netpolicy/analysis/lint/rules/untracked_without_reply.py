"""untracked-without-reply: a doNotTrack Allow rule whose replies no doNotTrack rule allows back."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.model.ir import ALLOW, EGRESS, INGRESS, UNTRACKED, Rule
from netpolicy.model.protocols import protocol_name

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "untracked-without-reply"
SEVERITY = WARNING
DOC = ("A doNotTrack policy runs before connection tracking: what it allows is not tracked, so the replies are "
       "not let through as part of an established connection. They meet the policies again, and the TCP "
       "reply to an untracked request is invalid to the tracked chains, which drop it: every doNotTrack Allow "
       "rule needs a doNotTrack rule of the other direction that allows its replies (from the ports it "
       "allows). Found when no doNotTrack rule of the other direction allows the same protocol with those "
       "ports as source ports (or any source port).")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """doNotTrack Allow rules without a reply rule among the doNotTrack policies."""
    untracked = [(policy, raw) for policy, raw in ctx.calico_policies if policy.hook == UNTRACKED]
    rules = {direction: [r for policy, _ in untracked for r in policy.rules(direction) if r.action == ALLOW]
             for direction in (INGRESS, EGRESS)}
    for policy, raw in untracked:
        for direction, other in ((INGRESS, EGRESS), (EGRESS, INGRESS)):
            for rule in policy.rules(direction):
                if rule.action != ALLOW or any(_answers(reply, rule) for reply in rules[other]):
                    continue
                ports = rule.destination.ports
                what = f"{'any protocol' if rule.protocol is None else protocol_name(rule.protocol)} " + (
                    f"port {ports.format()}" if ports is not None else "any port")
                yield finding_at(
                    ID, raw, rule.path or f"spec.{direction}",
                    f"{policy.id} {rule.name}: untracked ({what}); no doNotTrack {other} rule allows the replies, "
                    "so they are dropped",
                    f"add a doNotTrack {other} Allow rule with source ports {ports.format() if ports else 'any'}")


def _answers(reply: Rule, request: Rule) -> bool:
    """Whether `reply` allows the replies of `request`: same protocol (or any), source ports covering the
    request's destination ports (or no source port condition)."""
    if reply.protocol is not None and reply.protocol != request.protocol:
        return False
    wanted, given = request.destination.ports, reply.source.ports
    if given is None:
        return True
    if wanted is None or wanted.names or given.names:
        return False
    return wanted.numbers.issubset(given.numbers)
