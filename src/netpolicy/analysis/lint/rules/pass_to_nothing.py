"""pass-to-nothing: a Pass rule with no later tier to pass to, so the pods' profile allows the traffic."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.admin import tiers_reaching
from netpolicy.analysis.lint.endpoints import side_endpoints
from netpolicy.analysis.lint.finding import INFO, Finding, finding_at
from netpolicy.model.ir import PASS

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "pass-to-nothing"
SEVERITY = INFO
DOC = ("`Pass` hands the traffic to the next tier that has a policy for the pod (for admin policies: the "
       "namespace's NetworkPolicies, then the baseline). When no later tier has one, the traffic reaches the "
       "pod's namespace profile, which allows everything: for those pods the Pass is an Accept. That is "
       "right when the namespace owners are meant to decide and simply have not yet; it is a hole when a "
       "later policy was expected to deny. Reported with the pods that nothing below catches.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Pass rules whose pods have no policy in a later tier for that direction."""
    for policy, raw in ctx.policies:
        done: set[str] = set()
        for rule in policy.ingress + policy.egress:
            if rule.action != PASS or rule.name in done:
                continue
            own = "destination" if rule.direction == "ingress" else "source"
            bare = [e.id for e in side_endpoints(ctx, policy, rule, own) if _last(ctx, policy, e, rule.direction)]
            if not bare:
                continue
            done.add(rule.name)
            shown = ", ".join(bare[:5]) + (f" and {len(bare) - 5} more" if len(bare) > 5 else "")
            yield finding_at(
                ID, raw, rule.path,
                f"{policy.name} {rule.name} passes {rule.direction} traffic to later tiers, but no later tier has a "
                f"policy for {shown}: their namespace profile allows it, so this Pass acts as an Accept",
                "write a NetworkPolicy (or baseline policy) that decides this traffic, or Accept/Deny it here")


def _last(ctx: LintContext, policy, endpoint, direction: str) -> bool:
    """Is the policy's tier the last one with a policy for the endpoint in this direction?"""
    tiers = [tier.name for tier, _ in tiers_reaching(ctx, endpoint, direction)]
    return policy.tier in tiers and tiers.index(policy.tier) == len(tiers) - 1
