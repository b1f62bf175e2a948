"""Felix's evaluation order, written once: the steps a packet walks for one endpoint and direction.

A plan is built from the IR: the tiers with a policy that applies (in tier order), in each the
applying policies (by order and tie-break) and their rules; the end of each tier with its default
action; then the endpoint's profiles. `flow.py` interprets a plan packet by packet, `matrix` vectorizes
it, the lab renders it as nftables chains, lint reads which policies govern and which rule decides.
The rules: docs/semantics.md#endpoint-algorithm and #end-of-tier; their tests: tests/engine/test_plan.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netpolicy.model.ir import ALLOW, DENY, LOG, PASS, Policy, Rule, Tier

#: What a matching rule does to the walk: stop with a verdict, leave the block, or go on.
ACCEPT, DROP, NEXT, CONTINUE = "allow", "deny", "next", "continue"
OUTCOME = {ALLOW: ACCEPT, DENY: DROP, PASS: NEXT, LOG: CONTINUE}


@dataclass(frozen=True, slots=True)
class TierStart:
    """A tier with at least one applying policy begins; `policies` are those, in evaluation order."""

    tier: Tier
    policies: tuple[Policy, ...]


@dataclass(frozen=True, slots=True)
class PolicyStart:
    """An applying policy begins (Felix jumps to its chain)."""

    tier: Tier
    policy: Policy


@dataclass(frozen=True, slots=True)
class RuleStep:
    """A rule; `tier` is None for a profile's rules. A match ends the walk (Allow, Deny), leaves the
    tier or profile (Pass), or goes on (Log): see `outcome`."""

    tier: Tier | None
    policy: Policy
    rule: Rule

    @property
    def outcome(self) -> str:
        return OUTCOME[self.rule.action]


@dataclass(frozen=True, slots=True)
class TierEnd:
    """Nothing in the tier decided: its default action, Deny (drop) or Pass (on to the next tier).
    Packets that a Pass rule sent on skip it."""

    tier: Tier
    policies: tuple[Policy, ...]

    @property
    def outcome(self) -> str:
        return NEXT if self.tier.default_action == PASS else DROP


@dataclass(frozen=True, slots=True)
class ProfileStart:
    """One of the endpoint's profiles begins; `profile` is None when the input lacks it (skipped)."""

    name: str
    profile: Policy | None


@dataclass(frozen=True, slots=True)
class ProfilesEnd:
    """No tier and no profile decided: dropped."""


Step = TierStart | PolicyStart | RuleStep | TierEnd | ProfileStart | ProfilesEnd
PROFILES_END = ProfilesEnd()


@dataclass(frozen=True, slots=True)
class TierPolicies:
    """A tier with policies in evaluation order (all of the tier's, or those applying to a subject)."""

    tier: Tier
    policies: tuple[Policy, ...]


@dataclass(frozen=True)
class Plan:
    """The steps of one endpoint in one direction, and the applying tiers they come from."""

    direction: str
    tiers: tuple[TierPolicies, ...]
    steps: tuple[Step, ...]

    @property
    def isolated(self) -> bool:
        """Whether some policy applies (else the profiles alone decide)."""
        return bool(self.tiers)

    @property
    def tier_steps(self) -> tuple[Step, ...]:
        """The steps of the tiers, without the profiles."""
        for position, step in enumerate(self.steps):
            if isinstance(step, (ProfileStart, ProfilesEnd)):
                return self.steps[:position]
        return self.steps

    @property
    def policies(self) -> list[Policy]:
        """The applying policies, in evaluation order."""
        return [p for t in self.tiers for p in t.policies]


def build_plan(direction: str, tiers: Sequence[TierPolicies], profiles: Sequence[Policy | str],
               final: bool = True) -> Plan:
    """The plan of a subject from its applying tiers (in order) and its profiles (a name: not found);
    not `final`: no profiles and no drop at the end (preDNAT: what no tier decides goes on)."""
    steps: list[Step] = []
    for tier_policies in tiers:
        tier = tier_policies.tier
        steps.append(TierStart(tier, tier_policies.policies))
        for policy in tier_policies.policies:
            steps.append(PolicyStart(tier, policy))
            steps += [RuleStep(tier, policy, rule) for rule in policy.rules(direction)]
        steps.append(TierEnd(tier, tier_policies.policies))
    for profile in profiles:
        if isinstance(profile, str):
            steps.append(ProfileStart(profile, None))
            continue
        steps.append(ProfileStart(profile.name, profile))
        steps += [RuleStep(None, profile, rule) for rule in profile.rules(direction)]
    if final:
        steps.append(PROFILES_END)
    return Plan(direction, tuple(tiers), tuple(steps))


def applying(tiers: Sequence[TierPolicies], labels, direction: str) -> list[TierPolicies]:
    """The tiers with a policy that governs the direction and selects these labels, with those policies."""
    out = []
    for tier_policies in tiers:
        found = tuple(p for p in tier_policies.policies if p.governs(direction) and p.selector.matches(labels))
        if found:
            out.append(TierPolicies(tier_policies.tier, found))
    return out


def common_family(a: set[int], b: set[int]) -> int | None:
    """Two ends talk in the lowest address family both have (None: they cannot talk)."""
    both = a & b
    return min(both) if both else None
