"""admin-priority-tie: admin policies of one tier with the same priority, which upstream leaves unordered."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import combinations
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.model.ir import ALLOW, EGRESS, INGRESS, Policy

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "admin-priority-tie"
SEVERITY = WARNING
DOC = ("Admin policies are evaluated by `priority`, lowest first. When two ClusterNetworkPolicies of one tier "
       "(or two AdminNetworkPolicies) share a priority and can apply to the same pod in the same direction, "
       "upstream leaves their order undefined: another implementation, or another Calico release, may run "
       "them the other way. Calico orders them by name (3.32: the CNP name; 3.29-3.31: "
       "`kanp.adminnetworkpolicy.<name>`). Reported when one of them has a Deny or Pass rule there, so the "
       "order changes verdicts.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Pairs of admin policies of one tier and priority whose order changes verdicts."""
    raws = {id(p): r for p, r in ctx.admin_policies}
    version = ctx.options.calico_version
    for tier in ctx.matrix.tiers:
        by_priority: dict[float, list[Policy]] = {}
        for policy in tier.policies:
            if id(policy) in raws:
                by_priority.setdefault(policy.order, []).append(policy)
        for priority, group in by_priority.items():
            for first, second in combinations(sorted(group, key=lambda p: p.sort_key(version)), 2):
                directions = [d for d in (INGRESS, EGRESS) if _contested(ctx, first, second, d)]
                if not directions:
                    continue
                yield finding_at(
                    ID, raws[id(second)], "spec.priority",
                    f"{first.kind} {first.name} and {second.name} both have priority {priority:g} in tier "
                    f"{tier.tier.name} and apply to the same pods for {' and '.join(directions)}: upstream leaves "
                    f"their order undefined; Calico runs {first.name} first (by name)",
                    f"give {second.name} a priority that says which goes first (e.g. {priority + 1:g})")


def _contested(ctx: LintContext, first: Policy, second: Policy, direction: str) -> bool:
    if not (first.governs(direction) and second.governs(direction)):
        return False
    if all(r.action == ALLOW for p in (first, second) for r in p.rules(direction)):
        return False
    chosen = {e.id for e in ctx.selected(first)}
    return any(e.id in chosen for e in ctx.selected(second))
