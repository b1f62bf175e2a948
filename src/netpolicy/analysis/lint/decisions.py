"""Which rules ever decide a flow: Felix's evaluation replayed on the matrix engine, recording the decider.

For every group of endpoints the engine treats alike and each direction, the tiers are walked as
`Matrix` walks them (first match wins, Pass leaves the tier, end of tier drops), over the same
(peer classes × port atoms) arrays; each cell remembers which rule (or which end of tier) decided it.
A rule that matches some cells but decides none is dead: everything it matches was decided before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netpolicy.model.ir import ALLOW, DENY, EGRESS, INGRESS, PASS, Policy, Rule, Tier

NONE = -1


@dataclass
class RuleUse:
    """What one IR rule did over every endpoint it applies to."""

    matched: bool = False
    decided: bool = False
    covered_by: set[int] = field(default_factory=set)   # deciders of cells it matched but did not decide


@dataclass(frozen=True)
class Decider:
    """A rule that decided cells, or the end-of-tier drop of a tier (`rule` None)."""

    tier: Tier
    policy: Policy | None
    rule: Rule | None

    @property
    def action(self) -> str:
        return self.rule.action if self.rule is not None else DENY

    def describe(self) -> str:
        if self.rule is None or self.policy is None:
            return f"the end-of-tier drop of tier {self.tier.name}"
        return f"{self.policy.id} {self.rule.name} ({self.rule.action})"


class Decisions:
    """Rule usage for a whole cluster, computed once from a `Matrix`."""

    def __init__(self, matrix) -> None:
        self.matrix = matrix
        self.deciders: list[Decider] = []
        self._decider_ids: dict[tuple[int, int], int] = {}
        self.uses: dict[int, RuleUse] = {}
        #: `id(policy)` → whether, for some endpoint and direction, it was the only policy of its tier.
        self.alone: dict[int, bool] = {}
        self._run()

    def use(self, rule: Rule) -> RuleUse:
        return self.uses.get(id(rule), RuleUse())

    def _decider(self, tier: Tier, policy: Policy | None, rule: Rule | None) -> int:
        key = (id(tier), id(rule))
        found = self._decider_ids.get(key)
        if found is None:
            found = self._decider_ids[key] = len(self.deciders)
            self.deciders.append(Decider(tier, policy, rule))
        return found

    def _run(self) -> None:
        matrix = self.matrix
        seen: set[tuple] = set()
        for endpoint in matrix.policed:
            subject = {f: matrix.peer_class[(endpoint.id, f)] for f in matrix.cells
                       if (endpoint.id, f) in matrix.peer_class}
            if not subject:
                continue
            key = (tuple(sorted(subject.items())), matrix._signature(endpoint.selector_labels))
            if key in seen:
                continue
            seen.add(key)
            for direction in (INGRESS, EGRESS):
                tiers = matrix._tiers_for(endpoint, direction)
                for _, policies in tiers:
                    for policy in policies:
                        self.alone[id(policy)] = self.alone.get(id(policy), False) or len(policies) == 1
                self._replay(tiers, direction, subject)

    def _replay(self, tiers: list[tuple], direction: str, subject: dict[int, int]) -> None:
        matrix = self.matrix
        shape = (len(matrix.classes), matrix.atoms.size)
        decided = np.zeros(shape, dtype=bool)
        decider = np.full(shape, NONE, dtype=np.int32)
        for tier, policies in tiers:
            in_tier = np.zeros(shape, dtype=bool)
            passed = np.zeros(shape, dtype=bool)
            for policy in policies:
                for rule in policy.rules(direction):
                    if rule.action not in (ALLOW, DENY, PASS):
                        continue
                    match = matrix._rule_match(rule, direction, subject)
                    if not match.any():
                        continue
                    use = self.uses.setdefault(id(rule), RuleUse())
                    use.matched = True
                    blocked = decided | in_tier
                    hit = match & ~blocked
                    covered = match & blocked
                    if covered.any():
                        use.covered_by.update(int(i) for i in np.unique(decider[covered]) if i != NONE)
                    if not hit.any():
                        continue
                    use.decided = True
                    decider[hit] = self._decider(tier, policy, rule)
                    if rule.action == PASS:
                        passed |= hit
                    else:
                        decided |= hit
                    in_tier |= hit
            if tier.default_action == PASS:
                passed |= ~(decided | in_tier)
            end_of_tier = ~passed & ~decided
            decider[end_of_tier] = self._decider(tier, None, None)
            decided |= end_of_tier
