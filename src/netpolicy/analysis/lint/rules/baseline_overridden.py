"""baseline-overridden: a baseline admin policy that the namespaces' own NetworkPolicies always decide first."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.admin import tier_of, tiers_reaching
from netpolicy.analysis.lint.finding import INFO, WARNING, Finding, finding_at
from netpolicy.model.ir import DENY, EGRESS, INGRESS, PASS

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "baseline-overridden"
SEVERITY = WARNING
DOC = ("A baseline policy (ClusterNetworkPolicy tier Baseline, BaselineAdminNetworkPolicy) is consulted only "
       "for traffic no earlier tier decided. Any NetworkPolicy that selects a pod in a direction isolates it: "
       "its tier ends in Deny, so the pod never reaches the baseline in that direction, whatever the "
       "baseline says. Reported per direction: a warning when every pod the baseline selects is isolated "
       "that way (the baseline does nothing), info when some are (naming them).")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Baseline policies that no pod ever reaches in a direction they govern."""
    for policy, raw in ctx.admin_policies:
        tier = tier_of(ctx, policy)
        if tier is None or tier.default_action != PASS:
            continue
        selected = ctx.selected(policy)
        for direction in (INGRESS, EGRESS):
            if not policy.governs(direction) or not selected:
                continue
            blocked = {e.id: by for e in selected if (by := _isolated_before(ctx, policy, e, direction))}
            if not blocked:
                continue
            every = len(blocked) == len(selected)
            names = sorted(blocked)
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            what = "any of its pods" if every else f"{len(names)} of its {len(selected)} pods"
            by = ", ".join(sorted({p for ps in blocked.values() for p in ps})[:3])
            yield finding_at(
                ID, raw, f"spec.{direction}",
                f"{policy.name}'s {direction} rules are never reached for {what} ({shown}): {by} isolate(s) them "
                f"for {direction} in an earlier tier, whose end denies what it does not allow",
                "put what must hold for these pods in an Admin-tier policy, or in their NetworkPolicies",
                severity=WARNING if every else INFO)


def _isolated_before(ctx: LintContext, policy, endpoint, direction: str) -> list[str]:
    """Policies of an earlier Deny-ending tier (without Pass rules) that isolate the endpoint; empty if none."""
    found: list[str] = []
    for tier, applying in tiers_reaching(ctx, endpoint, direction):
        if tier.name == policy.tier:
            return []
        if tier.default_action == DENY:
            if any(r.action == PASS for p in applying for r in p.rules(direction)):
                return []
            found.extend(p.id for p in applying)
            return found
    return []
