"""Side tables: a plan vectorized over (local groups of peer classes × port atoms).

`walk` is Felix's walk of a plan over boolean arrays (first match wins, Pass leaves the tier, the end
of a tier applies its default action, then the profiles); `SideTables` groups the peer classes a
subject's rule terms cannot tell apart and walks the plan over one representative of each group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from netpolicy.engine.bits import (
    SETS_PER_COLUMN,
    label_type,
    membership,
    refine,
    refine_all,
    representatives,
    sorted_unique,
    union_of,
)
from netpolicy.engine.plan import ACCEPT, DROP, NEXT, ProfileStart, RuleStep, Step, TierEnd, TierStart
from netpolicy.engine.terms import RuleTerm


class Recorder:
    """Told what each rule and each end of tier does during a `walk` (lint's "which rule decides")."""

    def rule(self, step: RuleStep, match: np.ndarray, open_: np.ndarray) -> None:
        """Before the rule acts: the cells it matches and the cells still open in its tier or profile."""

    def end_of_tier(self, step: TierEnd, dropped: np.ndarray) -> None:
        """The cells the end of a tier drops."""


def walk(steps: Sequence[Step], match: Callable[[int, RuleStep], np.ndarray], shape: tuple[int, int],
         recorder: Recorder | None = None) -> np.ndarray:
    """The cells a plan's steps allow, given each rule step's matched cells (`match(position, step)`)."""
    allowed = np.zeros(shape, dtype=bool)
    undecided = np.ones(shape, dtype=bool)
    open_ = passed = undecided          # open_: undecided and not yet matched in this tier or profile
    for position, step in enumerate(steps):
        if isinstance(step, RuleStep):
            outcome = step.outcome
            if outcome not in (ACCEPT, DROP, NEXT):
                continue
            hit = match(position, step)
            if recorder is not None:
                recorder.rule(step, hit, open_)
            hit = hit & open_
            if not hit.any():
                continue
            open_ &= ~hit
            if outcome == ACCEPT:
                allowed |= hit
                undecided &= ~hit
            elif outcome == DROP:
                undecided &= ~hit
            else:
                passed |= hit
        elif isinstance(step, (TierStart, ProfileStart)):
            open_ = undecided.copy()
            passed = np.zeros(shape, dtype=bool)
        elif isinstance(step, TierEnd):
            if step.outcome == NEXT:
                passed |= open_
            elif recorder is not None:
                recorder.end_of_tier(step, open_ & ~passed)
            undecided &= passed
    return allowed


@dataclass
class SideTable:
    """One subject's verdicts in one direction: peer class → local group → allowed atoms.

    `base` gives every peer class a group and is shared by every table whose broad rules are the same;
    the classes this table's own (narrower) rules single out are listed in `positions` with their
    groups in `groups`. So a table costs memory in proportion to what its own rules single out.
    """

    base: np.ndarray                # int16/int32 group of every peer class before this table's narrow rules
    positions: np.ndarray           # int64 peer classes whose group differs from base, sorted
    groups: np.ndarray              # int32 their groups
    table: np.ndarray               # bool (local groups × atoms)

    def __post_init__(self) -> None:
        self._overrides: dict[int, int] | None = None
        self._reachable: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.base)

    @property
    def local(self) -> np.ndarray:
        """The group of every peer class."""
        out = self.base.astype(np.int32)
        out[self.positions] = self.groups
        return out

    def group(self, peer_class: int) -> int:
        found = self.override_map.get(peer_class)
        return int(self.base[peer_class]) if found is None else found

    def groups_of(self, classes: np.ndarray) -> np.ndarray:
        """The group of each of these peer classes (int64): its base, or this table's own override."""
        out = self.base[classes].astype(np.int64)
        if len(self.positions) and len(classes):
            at = np.minimum(np.searchsorted(self.positions, classes), len(self.positions) - 1)
            hit = self.positions[at] == classes
            out[hit] = self.groups[at[hit]]
        return out

    def row(self, peer_class: int) -> np.ndarray:
        return self.table[self.group(peer_class)]

    def dense(self) -> np.ndarray:
        return self.table[self.local]

    def used_groups(self) -> set[int]:
        """The groups some peer class is in."""
        return set(sorted_unique(self.local).tolist())

    @property
    def override_map(self) -> dict[int, int]:
        if self._overrides is None:
            self._overrides = dict(zip(self.positions.tolist(), self.groups.tolist(), strict=True))
        return self._overrides

    @property
    def reachable(self) -> np.ndarray:
        """Peer classes whose row allows something."""
        if self._reachable is None:
            nonempty = self.table.any(axis=1)
            allows = nonempty[self.base]
            allows[self.positions] = nonempty[self.groups]
            self._reachable = np.flatnonzero(allows)
        return self._reachable

    @property
    def is_open(self) -> bool:
        """Whether most peer classes are allowed something (then pairs are tried one by one)."""
        return 2 * len(self.reachable) > self.size


@dataclass(frozen=True)
class LocalGroups:
    """Peer classes grouped by what a list of terms can tell apart.

    Every class has a group in `base` (from the broad terms, `base_count` groups); the classes the
    narrow terms touch (`positions`) are regrouped (`groups`, numbered from `base_count`). `reps` holds
    one class per group; `narrow` the ids of the narrow terms (they match no base group)."""

    base: np.ndarray
    base_count: int
    positions: np.ndarray
    groups: np.ndarray
    reps: np.ndarray
    narrow: frozenset[int]


class SideTables:
    """Side tables of plans over peer classes, shared by every plan whose content is the same."""

    def __init__(self, n_classes: int, n_atoms: int) -> None:
        self.n = n_classes
        self.n_atoms = n_atoms
        self._tables: dict[tuple, SideTable] = {}
        self._bases: dict[tuple, tuple[np.ndarray, int, np.ndarray]] = {}

    def table(self, steps: Sequence[Step], terms: Sequence[RuleTerm | None]) -> SideTable:
        """The side table of the steps, with the term of each rule step (None for the others)."""
        content = tuple(_content(step, term) for step, term in zip(steps, terms, strict=True))
        found = self._tables.get(content)
        if found is None:
            groups = self._local_groups([t for t in terms if t is not None])
            allowed = walk(steps, lambda position, _: self._hits(terms[position], groups),
                           (len(groups.reps), self.n_atoms))
            found = self._tables[content] = SideTable(groups.base, groups.positions, groups.groups, allowed)
        return found

    @staticmethod
    def _hits(term: RuleTerm, groups: LocalGroups) -> np.ndarray:
        """(local groups × atoms) the term matches; narrow terms match no base group."""
        hit = term.classes.contains(groups.reps)[:, None] & term.atoms[None, :]
        if term.per_class is not None:
            hit &= term.per_class.rows[term.per_class.at(groups.reps)]
        if id(term) in groups.narrow:
            hit[:groups.base_count] = False
        return hit

    def _local_groups(self, terms: list[RuleTerm]) -> LocalGroups:
        """Group peer classes that the rule terms cannot tell apart.

        Broad terms (touching many classes, typically cluster-wide policies) give a base partition that
        is computed once and shared; narrow terms only regroup the classes they touch. The classes a
        base group keeps are matched by no narrow term, so its row is found from the broad terms alone."""
        n = self.n
        broad, narrow = [], []
        for term in terms:
            (broad if term.count > n // 16 else narrow).append(term)
        base, base_count, base_reps = self._base_groups(tuple(broad))
        idx = union_of([term.indices for term in narrow], n)
        columns: list[tuple[np.ndarray, int]] = []
        run: list[np.ndarray] = []
        for term in narrow:
            run.append(term.indices)
            if term.per_class is not None or len(run) == SETS_PER_COLUMN:
                columns.append(membership(run, idx, n))
                run = []
            if term.per_class is not None:
                columns.append((term.per_class.at(idx), len(term.per_class.rows)))
        if run:
            columns.append(membership(run, idx, n))
        labels, count = refine_all(base[idx], base_count, columns)
        groups = (base_count + labels).astype(np.int32)
        reps = np.concatenate((base_reps, representatives(labels, count, idx)))
        return LocalGroups(base, base_count, idx.astype(np.int64), groups, reps, frozenset(id(t) for t in narrow))

    def _base_groups(self, broad: tuple) -> tuple[np.ndarray, int, np.ndarray]:
        """The partition of every peer class by the broad terms (shared by every table that has them),
        built by refining the partition of the longest prefix already known: (groups, count, a
        representative class per group)."""
        key = tuple((t.digest, id(t.per_class)) for t in broad)
        found = self._bases.get(key)
        if found is not None:
            return found
        n = self.n
        if not broad:
            labels, count = np.zeros(n, dtype=np.int64), 1 if n else 0
        else:
            previous, count, _ = self._base_groups(broad[:-1])
            term = broad[-1]
            labels, count = refine(previous.astype(np.int64), count, term.classes.dense(), 2)
            if term.per_class is not None:
                labels, count = refine(labels, count, term.per_class.at(np.arange(n)), len(term.per_class.rows))
        found = self._bases[key] = (labels.astype(label_type(count)), count, representatives(labels, count))
        return found


def distinct_tables(tables: Sequence) -> tuple[list, np.ndarray]:
    """The distinct side tables of a list (by identity), and the index of each item's among them."""
    index: dict[int, int] = {}
    for table in tables:
        index.setdefault(id(table), len(index))
    distinct = list({id(t): t for t in tables}.values())
    return distinct, np.array([index[id(t)] for t in tables], dtype=np.int64)


def _content(step: Step, term: RuleTerm | None) -> tuple:
    """What a step contributes to a table: its kind, outcome and the content of its term."""
    if isinstance(step, RuleStep):
        return ("rule", step.outcome, term.digest if term is not None else None)
    if isinstance(step, TierEnd):
        return ("end", step.outcome)
    return (type(step).__name__,)
