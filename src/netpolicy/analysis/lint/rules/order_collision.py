"""order-collision: Calico policies of equal order, where Calico's tie-break decides which goes first."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from itertools import combinations
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.analysis.lint.objects import is_admin_policy, is_calico_policy
from netpolicy.model.ir import ALLOW, EGRESS, INGRESS, K8S_NETWORK_POLICY, LOG, Policy
from netpolicy.selectors.restrictions import never_matches

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "order-collision"
SEVERITY = WARNING
DOC = ("Within a tier Calico evaluates policies by `order`; when two policies have the same order, a "
       "tie-break on names decides, and it changed in Calico 3.32 (`<name>/<namespace>/<kind>`; before, "
       "`<namespace>/<tier>.<name>` and `knp.default.<name>` for Kubernetes policies). Kubernetes "
       "NetworkPolicies sit at order 1000, so a Calico policy at order 1000 interleaves with them by name. "
       "Reported when the two policies can apply to the same endpoint in the same direction and one of them "
       "has a Deny or Pass rule there, so which goes first changes verdicts.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Pairs of policies whose relative order only the tie-break decides, where it matters."""
    raws = {id(p): r for p, r in ctx.policies if not is_admin_policy(r)}  # admin ties: admin-priority-tie
    version = ctx.options.calico_version
    other = (3, 31) if version >= (3, 32) else (3, 32)
    for tier in ctx.matrix.tiers:
        by_order: dict[float, list[Policy]] = {}
        for policy in tier.policies:
            if not math.isinf(policy.order) and id(policy) in raws:
                by_order.setdefault(policy.order, []).append(policy)
        for order, group in by_order.items():
            for first, second in combinations(group, 2):
                if first.kind == K8S_NETWORK_POLICY and second.kind == K8S_NETWORK_POLICY:
                    continue
                directions = _contested(ctx, first, second)
                if not directions:
                    continue
                calico = second if is_calico_policy(raws[id(second)]) else first
                flips = (first.sort_key(other) > second.sort_key(other))
                yield _finding(ctx, tier.tier.name, order, first, second, calico, raws[id(calico)], directions,
                               flips, other)


def _contested(ctx: LintContext, first: Policy, second: Policy) -> list[str]:
    """Directions both govern, for a common endpoint, where one of them has a Deny or Pass rule."""
    out = []
    for direction in (INGRESS, EGRESS):
        if not (first.governs(direction) and second.governs(direction)):
            continue
        if not any(r.action not in (ALLOW, LOG) for p in (first, second) for r in p.rules(direction)):
            continue
        if _overlap(ctx, first, second):
            out.append(direction)
    return out


def _overlap(ctx: LintContext, first: Policy, second: Policy) -> bool:
    """Some endpoint of the input is selected by both (or, with no endpoints, the selectors can meet)."""
    if not ctx.policed:
        return not never_matches(first.selector & second.selector)
    chosen = {e.id for e in ctx.selected(first)}
    return any(e.id in chosen for e in ctx.selected(second))


def _finding(ctx: LintContext, tier: str, order: float, first: Policy, second: Policy, calico: Policy, raw,
             directions: list[str], flips: bool, other: tuple[int, int]) -> Finding:
    shown = f"{order:g}"
    interleave = " (the order of every Kubernetes NetworkPolicy)" if K8S_NETWORK_POLICY in (
        first.kind, second.kind) else ""
    version = ".".join(map(str, ctx.options.calico_version))
    message = (f"{first.id} and {second.id} both have order {shown}{interleave} in tier {tier} and apply to the "
               f"same endpoints for {' and '.join(directions)}: Calico {version} breaks the tie by name and runs "
               f"{first.id} first, so its rules decide before {second.id}'s")
    if flips:
        message += f"; Calico {'.'.join(map(str, other))} orders them the other way"
    path = "spec.order" if isinstance((raw.data.get("spec") or {}).get("order"), (int, float)) else "spec"
    return finding_at(ID, raw, path, message,
                      f"give {calico.name} an order that says which policy goes first "
                      f"(e.g. {order - 1:g} or {order + 1:g})")
