"""Rules that never decide a flow and policies that change nothing, from the engine's replay (`decisions`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netpolicy.analysis.lint.decisions import Decider
from netpolicy.analysis.lint.endpoints import rule_groups
from netpolicy.model.ir import ALLOW, DENY, EGRESS, INGRESS, PASS, Policy, Rule
from netpolicy.sources.raw import RawObject

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

DECISIVE = (ALLOW, DENY, PASS)
VERBS = {ALLOW: ("allows", "allowed"), DENY: ("denies", "denied"), PASS: ("passes", "passed on")}


@dataclass(frozen=True)
class DeadRule:
    """A rule (all IR rules compiled from it) that matches flows but decides none of them."""

    policy: Policy
    raw: RawObject
    name: str
    rules: tuple[Rule, ...]
    deciders: tuple[Decider, ...]

    @property
    def action(self) -> str:
        return self.rules[0].action

    @property
    def same_action(self) -> bool:
        """Whether whatever decided its flows first did what it would have done."""
        return all(d.action == self.action for d in self.deciders)

    def deciders_text(self) -> str:
        names = [d.describe() for d in self.deciders[:3]]
        more = len(self.deciders) - len(names)
        return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def dead_rules(ctx: LintContext) -> list[DeadRule]:
    """Every dead rule of the enforced policies, in input order."""
    return ctx.memo("dead-rules", lambda: _dead_rules(ctx))


def _dead_rules(ctx: LintContext) -> list[DeadRule]:
    decisions = ctx.decisions
    out = []
    for policy, raw in ctx.policies:
        for direction in (INGRESS, EGRESS):
            for name, group in rule_groups(policy, direction):
                rules = tuple(r for r in group if r.action in DECISIVE)
                uses = [decisions.use(r) for r in rules]
                if not rules or not any(u.matched for u in uses) or any(u.decided for u in uses):
                    continue
                ids = sorted({i for u in uses for i in u.covered_by})
                out.append(DeadRule(policy, raw, name, rules, tuple(decisions.deciders[i] for i in ids)))
    return out


def redundant_policies(ctx: LintContext) -> list[tuple[Policy, RawObject]]:
    """Policies with rules that all match flows of the input but none of which decides one, whose isolation
    other policies of their tier already give every endpoint they select: removing one changes no verdict."""
    return ctx.memo("redundant-policies", lambda: _redundant_policies(ctx))


def _redundant_policies(ctx: LintContext) -> list[tuple[Policy, RawObject]]:
    decisions = ctx.decisions
    out = []
    for policy, raw in ctx.policies:
        rules = [r for d in (INGRESS, EGRESS) if policy.governs(d) for r in policy.rules(d) if r.action in DECISIVE]
        if not rules or not ctx.selected(policy) or decisions.alone.get(id(policy), True):
            continue
        uses = [decisions.use(r) for r in rules]
        if all(u.matched for u in uses) and not any(u.decided for u in uses):
            out.append((policy, raw))
    return out
