"""Which rules ever decide a flow: the engine's evaluation plans walked over the matrix's arrays,
recording the decider.

For every group of endpoints the engine treats alike and each direction, the tiers of the endpoint's
plan are walked as the matrix walks them (`netpolicy.engine.tables.walk`: first match wins, Pass leaves
the tier, end of tier drops), over (peer classes × port atoms); each cell remembers which rule (or which
end of tier) decided it. A rule that matches some cells but decides none is dead: everything it matches
was decided before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netpolicy.engine.plan import DROP, RuleStep, TierEnd
from netpolicy.engine.tables import Recorder, walk
from netpolicy.model.ir import DENY, EGRESS, INGRESS, Policy, Rule, Tier

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

    def decider(self, tier: Tier, policy: Policy | None, rule: Rule | None) -> int:
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
            subject = matrix.subject_classes(endpoint)
            if not subject:
                continue
            key = (tuple(sorted(subject.items())), matrix.signature(endpoint))
            if key in seen:
                continue
            seen.add(key)
            for direction in (INGRESS, EGRESS):
                plan = matrix.plan(endpoint, direction)
                for tier in plan.tiers:
                    for policy in tier.policies:
                        self.alone[id(policy)] = self.alone.get(id(policy), False) or len(tier.policies) == 1
                self._replay(plan.tier_steps, endpoint, direction)

    def _replay(self, steps: tuple, endpoint, direction: str) -> None:
        matrix = self.matrix
        shape = (len(matrix.classes), matrix.atoms.size)
        walk(steps, lambda _, step: matrix.rule_match(step.rule, direction, endpoint), shape, _Replay(self, shape))


class _Replay(Recorder):
    """Records, cell by cell, the rule or end of tier that decided (lint's "which rule decides")."""

    def __init__(self, decisions: Decisions, shape: tuple[int, int]) -> None:
        self.decisions = decisions
        self.decider = np.full(shape, NONE, dtype=np.int32)

    def rule(self, step: RuleStep, match: np.ndarray, open_: np.ndarray) -> None:
        if not match.any():
            return
        use = self.decisions.uses.setdefault(id(step.rule), RuleUse())
        use.matched = True
        covered = match & ~open_
        if covered.any():
            use.covered_by.update(int(i) for i in np.unique(self.decider[covered]) if i != NONE)
        hit = match & open_
        if hit.any():
            use.decided = True
            self.decider[hit] = self.decisions.decider(step.tier, step.policy, step.rule)

    def end_of_tier(self, step: TierEnd, dropped: np.ndarray) -> None:
        if step.outcome == DROP:
            self.decider[dropped] = self.decisions.decider(step.tier, None, None)
