"""Property tests: canonical strings round-trip, and restriction analyses are sound."""

from __future__ import annotations

import itertools
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from netpolicy.selectors import parse
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
from netpolicy.selectors.restrictions import (
    always_matches,
    label_restrictions,
    never_matches,
    required_equalities,
)

OPS = ["==", "!=", "contains", "starts with", "ends with"]


def printable_value(value: str) -> bool:
    """Calico cannot write a value holding both quote characters."""
    return not ('"' in value and "'" in value)


def leaves(labels, values) -> st.SearchStrategy[Node]:
    """Single terms: has(), the five comparisons, in / not in, all(), global()."""
    return st.one_of(
        st.builds(HasNode, labels),
        st.builds(CompareNode, labels, st.sampled_from(OPS), values),
        st.builds(InNode, labels, st.frozensets(values, max_size=3), st.booleans()),
        st.just(AllNode()),
        st.just(GlobalNode()),
    )


def trees(labels, values, max_leaves: int = 12) -> st.SearchStrategy[Node]:
    """Selector ASTs of the shapes the parser produces (no `!!`, and/or with 2+ operands)."""

    def extend(children):
        return st.one_of(
            children.filter(lambda n: not isinstance(n, NotNode)).map(NotNode),
            st.lists(children, min_size=2, max_size=4).map(lambda ops: AndNode(tuple(ops))),
            st.lists(children, min_size=2, max_size=4).map(lambda ops: OrNode(tuple(ops))),
        )

    return st.recursive(leaves(labels, values), extend, max_leaves=max_leaves)


# the strings of the regex [a-zA-Z0-9_./-]{1,20}, drawn as text: a third faster than st.from_regex
any_labels = st.text(alphabet=string.ascii_letters + string.digits + "_./-", min_size=1, max_size=20)
any_values = st.text(max_size=6).filter(printable_value)


@settings(max_examples=300, deadline=None)  # the first parse builds the grammar (lazily): past any deadline
@given(trees(any_labels, any_values))
def test_canonical_string_round_trips(root):
    canonical = Selector(root).canonical
    reparsed = parse(canonical)
    assert reparsed.root == root
    assert str(reparsed) == canonical
    assert str(parse(str(reparsed))) == canonical


@settings(max_examples=200, deadline=None)
@given(trees(any_labels, any_values), st.text(alphabet="abc./", min_size=1, max_size=6))
def test_prefixing_commutes_with_printing(root, prefix):
    prefixed = Selector(root).prefixed(prefix)
    assert parse(str(prefixed)).root == prefixed.root


# A small vocabulary makes contradictions and tautologies common.
LABELS = ["a", "b"]
VALUES = ["", "x", "y", "xy", "yx"]
CANDIDATE_VALUES = [None, *VALUES, "xx", "yxy", "xyx", "z"]  # None = label absent
ALL_LABEL_SETS = [
    {k: v for k, v in zip(LABELS, combo, strict=True) if v is not None}
    for combo in itertools.product(CANDIDATE_VALUES, repeat=len(LABELS))
]
small_labels, small_values = st.sampled_from(LABELS), st.sampled_from(VALUES)
literals = st.one_of(leaves(small_labels, small_values), leaves(small_labels, small_values).map(NotNode))
string_tests = st.builds(CompareNode, small_labels, st.sampled_from(OPS[2:]), small_values)
small_trees = st.one_of(
    st.lists(st.one_of(string_tests, string_tests.map(NotNode)), min_size=2, max_size=3)
    .map(lambda ops: AndNode(tuple(ops))),
    st.lists(literals, min_size=2, max_size=4).map(lambda ops: AndNode(tuple(ops))),
    st.lists(literals, min_size=2, max_size=4).map(lambda ops: OrNode(tuple(ops))),
    trees(small_labels, small_values, max_leaves=8),
)


def restriction_holds(label, restriction, labels) -> bool:
    if restriction.must_be_present and label not in labels:
        return False
    if restriction.must_be_absent and label in labels:
        return False
    values = restriction.must_have_one_of_values
    return values is None or labels.get(label) in values


@settings(max_examples=1000, deadline=None)
@given(small_trees)
def test_restriction_analyses_are_sound(root):
    selector = Selector(root)
    never, always = never_matches(selector), always_matches(selector)
    restrictions = label_restrictions(selector)
    equalities = required_equalities(selector)
    if not all(r.possible for r in restrictions.values()):
        assert never, "everything Calico finds unsatisfiable must be reported"
    for labels in ALL_LABEL_SETS:
        matched = selector.matches(labels)
        assert not (never and matched), labels
        assert not always or matched, labels
        if matched:
            for label, restriction in restrictions.items():
                assert restriction_holds(label, restriction, labels), (label, labels)
            for label, values in equalities.items():
                assert labels.get(label) in values, (label, labels)


@settings(max_examples=300)
@given(small_trees, st.dictionaries(st.sampled_from(LABELS), st.text(alphabet="xyz", max_size=4)))
def test_never_and_always_hold_on_random_label_sets(root, labels):
    selector = Selector(root)
    if never_matches(selector):
        assert not selector.matches(labels)
    if always_matches(selector):
        assert selector.matches(labels)
