"""What a selector demands of a label set: Calico's label restrictions, index keys, contradictions.

`label_restrictions` reproduces Calico's `Selector.LabelRestrictions()` (libcalico-go
`selector/parser/ast.go`) node for node. `never_matches` / `always_matches` are sound but incomplete
checks built on the same idea: when they answer True, the answer holds for every label set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from netpolicy.selectors.ast import (
    AllNode,
    AndNode,
    CompareNode,
    GlobalNode,
    HasNode,
    InNode,
    Node,
    NotNode,
    OrNode,
    Selector,
)

_STRING_TESTS = {
    "contains": lambda value, operand: operand in value,
    "starts with": str.startswith,
    "ends with": str.endswith,
}


@dataclass(frozen=True, slots=True)
class LabelRestriction:
    """A lower bound on one label in every label set a selector matches.

    `must_have_one_of_values` is None when any value may do; an empty set means nothing matches.
    """

    must_be_present: bool = False
    must_be_absent: bool = False
    must_have_one_of_values: frozenset[str] | None = None

    @property
    def possible(self) -> bool:
        """Calico's `PossibleToSatisfy`: not both present and absent, and some value allowed."""
        if self.must_be_present and self.must_be_absent:
            return False
        return self.must_have_one_of_values is None or bool(self.must_have_one_of_values)


def label_restrictions(selector: Selector | Node) -> dict[str, LabelRestriction]:
    """Per label, what every matching label set must satisfy, exactly as Calico computes it.

    `==`, `in`, `has`, `contains`, `starts with`, `ends with` require the label (the first two also
    limit its value, except `k in {}`); `!has(k)` requires it absent; `!=`, `not in`, other negations, `all()` and
    `global()` say nothing. `&&` combines the operands' restrictions, `||` keeps what all share.
    """
    return _restrictions(_root(selector))


def required_equalities(selector: Selector | Node) -> dict[str, frozenset[str]]:
    """Labels whose value a match must take from a finite set: `{label: allowed values}`.

    A label set can only match if, for every entry, it carries the label with one of those values;
    use the entries as index keys to pre-filter candidates. An empty set means nothing matches.
    """
    return {
        label: restriction.must_have_one_of_values
        for label, restriction in label_restrictions(selector).items()
        if restriction.must_have_one_of_values is not None
    }


def never_matches(selector: Selector | Node) -> bool:
    """True only if no label set can match (sound, not complete).

    Negations are pushed down to the terms, nested `&&`s (and negated `||`s) are read as one
    conjunction, and `||` terms contribute Calico's restrictions (after dropping branches that can
    never match). A conjunction is reported as never matching when, for some label:
      * it must be both present and absent (`has(k) && !has(k)`, `k == "x" && !has(k)`,
        `!(k contains "")` with any term that needs `k`);
      * its value must come from a finite set (`==`, `in`, negated `!=` / `not in`, shared `||`
        values) and no value in that set passes the other terms: `!=`, `not in`, `contains`,
        `starts with`, `ends with` and their negations (`k == "x" && k == "y"`, `k in {}`,
        `k in {"a"} && k != "a"`, `k == "ab" && k starts with "x"`);
      * a required string test implies a forbidden one (`k contains "ab" && !(k contains "b")`);
      * two required prefixes (or two suffixes) cannot both hold (`k starts with "a" && k starts with "b"`);
    or when one conjunct is `!all()`/`!global()`, never matches, or is an `||` whose branches all
    never match. Everything Calico's `PossibleToSatisfy` rejects is caught.
    """
    return _conjunction_never([(_root(selector), True)])


def always_matches(selector: Selector | Node) -> bool:
    """True only if every label set matches (sound, not complete): the negation never matches.

    Catches `all()`, `global()`, `k not in {}`, `has(k) || !has(k)`, `k == "x" || k != "x"`, ….
    """
    return _conjunction_never([(_root(selector), False)])


def _root(selector: Selector | Node) -> Node:
    return selector.root if isinstance(selector, Selector) else selector


def _restrictions(node: Node) -> dict[str, LabelRestriction]:
    if isinstance(node, HasNode):
        return {node.label: LabelRestriction(must_be_present=True)}
    if isinstance(node, CompareNode):
        if node.op == "==":
            return {node.label: LabelRestriction(True, False, frozenset((node.value,)))}
        if node.op == "!=":
            return {}
        return {node.label: LabelRestriction(must_be_present=True)}
    if isinstance(node, InNode):
        if node.negated:
            return {}
        # Calico keeps no value list for an empty set literal, so `k in {}` only requires `k`.
        return {node.label: LabelRestriction(True, False, node.values or None)}
    if isinstance(node, NotNode):
        if isinstance(node.operand, HasNode):
            return {node.operand.label: LabelRestriction(must_be_absent=True)}
        return {}
    if isinstance(node, AndNode):
        return _and_restrictions(_restrictions(o) for o in node.operands)
    if isinstance(node, OrNode):
        return _or_restrictions([_restrictions(o) for o in node.operands])
    return {}


def _and_restrictions(parts: Iterable[dict[str, LabelRestriction]]) -> dict[str, LabelRestriction]:
    merged: dict[str, LabelRestriction] = {}
    for part in parts:
        for label, r in part.items():
            base = merged.get(label)
            if base is None:  # the first restriction on the label: kept as it is (immutable)
                merged[label] = r
                continue
            values = base.must_have_one_of_values
            if values is None:
                values = r.must_have_one_of_values
            elif r.must_have_one_of_values is not None:
                values = values & r.must_have_one_of_values
            merged[label] = LabelRestriction(base.must_be_present or r.must_be_present,
                                             base.must_be_absent or r.must_be_absent, values)
    return merged


def _or_restrictions(parts: list[dict[str, LabelRestriction]]) -> dict[str, LabelRestriction]:
    shared = dict(parts[0])
    for part in parts[1:]:
        for label, r in list(shared.items()):
            other = part.get(label, LabelRestriction())
            present = r.must_be_present and other.must_be_present
            absent = r.must_be_absent and other.must_be_absent
            values = None
            if present and r.must_have_one_of_values is not None and other.must_have_one_of_values is not None:
                values = r.must_have_one_of_values | other.must_have_one_of_values
            if present or absent:
                shared[label] = LabelRestriction(present, absent, values)
            else:
                del shared[label]
    return shared


@dataclass(slots=True)
class _LabelFacts:
    """Everything one conjunction says about one label."""

    present: bool = False
    absent: bool = False
    allowed: frozenset[str] | None = None
    excluded: set[str] = field(default_factory=set)
    required: list[tuple[str, str]] = field(default_factory=list)
    forbidden: list[tuple[str, str]] = field(default_factory=list)

    def allow(self, values: frozenset[str]) -> None:
        self.present = True
        self.allowed = values if self.allowed is None else self.allowed & values

    def add(self, restriction: LabelRestriction) -> None:
        self.present |= restriction.must_be_present
        self.absent |= restriction.must_be_absent
        if restriction.must_have_one_of_values is not None:
            self.allow(restriction.must_have_one_of_values)

    def contradictory(self) -> bool:
        # A forbidden test with an empty operand holds for every value, so it forbids the label.
        absent = self.absent or any(operand == "" for _, operand in self.forbidden)
        if self.present and absent:
            return True
        if not self.present:
            return False
        if self.allowed is not None and not any(self._value_possible(v) for v in self.allowed):
            return True
        if any(_implies(req, forb) for req in self.required for forb in self.forbidden):
            return True
        return _incompatible(self.required, "starts with", str.startswith) or _incompatible(
            self.required, "ends with", str.endswith)

    def _value_possible(self, value: str) -> bool:
        return (value not in self.excluded
                and all(_STRING_TESTS[op](value, s) for op, s in self.required)
                and not any(_STRING_TESTS[op](value, s) for op, s in self.forbidden))


def _implies(required: tuple[str, str], forbidden: tuple[str, str]) -> bool:
    """Whether every value passing the `required` string test also passes the `forbidden` one."""
    (op1, s1), (op2, s2) = required, forbidden
    if op2 == "contains":
        return s2 in s1
    return op1 == op2 and _STRING_TESTS[op2](s1, s2)


def _incompatible(required: list[tuple[str, str]], op: str, extends) -> bool:
    """Two required prefixes (suffixes) of which neither extends the other."""
    operands = [s for o, s in required if o == op]
    return any(not extends(a, b) and not extends(b, a) for i, a in enumerate(operands) for b in operands[i + 1:])


def _negated(node: Node) -> Node:
    return node.operand if isinstance(node, NotNode) else NotNode(node)


def _conjunction_never(terms: list[tuple[Node, bool]]) -> bool:
    """Whether the conjunction of `(node, positive)` terms (False = negated) can never hold."""
    facts: defaultdict[str, _LabelFacts] = defaultdict(_LabelFacts)
    while terms:
        node, positive = terms.pop()
        if isinstance(node, NotNode):
            terms.append((node.operand, not positive))
        elif isinstance(node, AndNode if positive else OrNode):
            terms.extend((operand, positive) for operand in node.operands)
        elif isinstance(node, (AndNode, OrNode)):
            branches = node.operands if positive else tuple(_negated(o) for o in node.operands)
            live = [b for b in branches if not _conjunction_never([(b, True)])]
            if not live:
                return True
            if len(live) == 1:
                terms.append((live[0], True))
            else:
                for label, restriction in _restrictions(OrNode(tuple(live))).items():
                    facts[label].add(restriction)
        elif _add_term(node, positive, facts):
            return True
    return any(f.contradictory() for f in facts.values())


def _add_term(node: Node, positive: bool, facts: defaultdict[str, _LabelFacts]) -> bool:
    """Record a (possibly negated) leaf; True if it alone can never hold (`!all()`)."""
    if isinstance(node, (AllNode, GlobalNode)):
        return not positive
    if isinstance(node, HasNode):
        if positive:
            facts[node.label].present = True
        else:
            facts[node.label].absent = True
    elif isinstance(node, InNode):
        if positive != node.negated:
            facts[node.label].allow(node.values)
        else:
            facts[node.label].excluded.update(node.values)
    elif isinstance(node, CompareNode):
        label = facts[node.label]
        if node.op in ("==", "!="):
            if positive == (node.op == "=="):
                label.allow(frozenset((node.value,)))
            else:
                label.excluded.add(node.value)
        elif positive:
            label.present = True
            label.required.append((node.op, node.value))
        else:
            label.forbidden.append((node.op, node.value))
    return False
