"""What the admin-policy lint rules share: tiers in order, which tiers reach an endpoint, Calico's conversion."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import Endpoint
from netpolicy.model.ir import Policy, Tier
from netpolicy.sources.raw import RawObject


def tiers_reaching(ctx, endpoint: Endpoint, direction: str) -> list[tuple[Tier, list[Policy]]]:
    """The tiers with a policy applying to the endpoint in this direction, in Felix's order, with those policies."""
    labels = endpoint.selector_labels
    out = []
    for tier in ctx.matrix.tiers:
        applying = [p for p in tier.policies if p.governs(direction) and p.selector.matches(labels)]
        if applying:
            out.append((tier.tier, applying))
    return out


def tier_of(ctx, policy: Policy) -> Tier | None:
    """The tier object a policy is evaluated in."""
    for tier in ctx.matrix.tiers:
        if policy.tier == tier.tier.name:
            return tier.tier
    return None


@dataclass(frozen=True)
class ConvertedAdminRule:
    """One rule of an admin policy as written, and what Calico's converter makes of it."""

    direction: str
    index: int
    action: str
    peers: list
    conversion: object  # netpolicy.policies.admin.convert.Conversion

    @property
    def path(self) -> str:
        return f"spec.{self.direction}[{self.index}]"


def converted_rules(raw: RawObject) -> Iterator[ConvertedAdminRule]:
    """Every rule of a (valid) admin policy object with Calico's conversion of it."""
    from netpolicy.policies.admin.convert import convert_rule
    from netpolicy.policies.admin.models import AdminPolicySpec
    from netpolicy.policies.calico.models import load_spec

    spec = load_spec(AdminPolicySpec, raw, Diagnostics())
    if spec is None:
        return
    v1alpha2 = raw.api_version.endswith("v1alpha2")
    for direction in ("ingress", "egress"):
        for i, rule in enumerate(getattr(spec, direction) or ()):
            peers = (rule.from_ if direction == "ingress" else rule.to) or []
            yield ConvertedAdminRule(direction, i, rule.action, peers, convert_rule(rule, direction == "ingress", v1alpha2))
