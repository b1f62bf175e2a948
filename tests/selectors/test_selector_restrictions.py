"""Label restrictions as Calico computes them, index keys, and the never/always-matches checks."""

from __future__ import annotations

import pytest

from netpolicy.selectors import parse
from netpolicy.selectors.restrictions import (
    LabelRestriction,
    always_matches,
    label_restrictions,
    never_matches,
    required_equalities,
)

PRESENT = LabelRestriction(must_be_present=True)
ABSENT = LabelRestriction(must_be_absent=True)


def one_of(*values: str) -> LabelRestriction:
    return LabelRestriction(True, False, frozenset(values))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("global()", {}),
        ("role == 'db'", {"role": one_of("db")}),
        ("role != 'db'", {}),
        ("role in {'db', 'cache'}", {"role": one_of("db", "cache")}),
        ("role not in {'db'}", {}),
        ("role in {}", {"role": PRESENT}),  # Calico keeps no value list for an empty set literal
        ("has(role)", {"role": PRESENT}),
        ("role contains 'd'", {"role": PRESENT}),
        ("role starts with 'd'", {"role": PRESENT}),
        ("role ends with 'd'", {"role": PRESENT}),
        ("!has(role)", {"role": ABSENT}),
        ("!!has(role)", {"role": PRESENT}),
        ("!(role == 'db')", {}),
        ("!(!has(role))", {}),
        # &&: everything any operand requires; value lists intersect.
        ("role == 'db' && has(role)", {"role": one_of("db")}),
        ("role == 'db' && role == 'web'", {"role": one_of()}),
        ("role in {'db', 'web', 'ui'} && role in {'web', 'ui', 'x'}", {"role": one_of("web", "ui")}),
        ("has(role) && !has(role)", {"role": LabelRestriction(True, True, None)}),
        ("role == 'db' && zone == 'a'", {"role": one_of("db"), "zone": one_of("a")}),
        ("all() && (role == 'db' && all())", {"role": one_of("db")}),
        # ||: only what every operand requires; value lists unite while all of them have one.
        ("role == 'db' || role == 'web'", {"role": one_of("db", "web")}),
        ("role == 'db' || role in {'web', 'db'}", {"role": one_of("db", "web")}),
        ("role == 'db' || has(role)", {"role": PRESENT}),
        ("role == 'db' || has(zone)", {}),
        ("role == 'db' || all()", {}),
        ("role == 'db' || (has(zone) && has(role))", {"role": PRESENT}),
        ("!has(role) || !has(role)", {"role": ABSENT}),
        ("!has(role) || has(role)", {}),
    ],
)
def test_label_restrictions_match_calico(text, expected):
    assert label_restrictions(parse(text)) == expected
    assert label_restrictions(parse(f"all() && ({text})" if text else "all()")) == expected


@pytest.mark.parametrize(
    ("text", "possible"),
    [
        ("role == 'db'", {"role": True}),
        ("role == 'db' && role == 'web'", {"role": False}),
        ("has(role) && !has(role)", {"role": False}),
        ("has(role) && !has(zone)", {"role": True, "zone": True}),
    ],
)
def test_possible_to_satisfy(text, possible):
    assert {k: r.possible for k, r in label_restrictions(parse(text)).items()} == possible


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("has(role)", {}),
        ("role == 'db' && has(zone)", {"role": frozenset({"db"})}),
        ("zone in {'a', 'b'} && (role == 'db' || role == 'ui')",
         {"zone": frozenset({"a", "b"}), "role": frozenset({"db", "ui"})}),
        ("role == 'db' && role == 'ui'", {"role": frozenset()}),
        ("role == 'db' || zone == 'a'", {}),
    ],
)
def test_required_equalities(text, expected):
    assert required_equalities(parse(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "role == 'db' && role == 'web'",
        "has(role) && !has(role)",
        "role in {}",
        "role == 'db' && !has(role)",
        "role in {'a', 'b'} && role not in {'b', 'a'}",
        "role in {'a', 'b'} && role != 'a' && role != 'b'",
        "role == 'db' && !(role == 'db')",
        "!(role != 'db') && role != 'db'",
        "!(role not in {'a'}) && role == 'b'",
        "role == 'db' && role starts with 'x'",
        "role == 'db' && !(role ends with 'b')",
        "has(role) && !(role contains '')",
        "role contains 'abc' && !(role contains 'b')",
        "role starts with 'abc' && !(role starts with 'ab')",
        "role ends with 'abc' && !(role contains 'bc')",
        "role starts with 'ab' && role starts with 'ac'",
        "role ends with 'ab' && role ends with 'cb'",
        "!all()",
        "has(role) && !global()",
        "!(all() || has(role))",
        "!(has(role) || !has(role))",
        "(role == 'db' || role == 'ui') && role == 'web'",
        "(role == 'db' || zone in {}) && role == 'web'",
        "(role in {} || zone in {})",
        "!(role != 'db' || zone == 'a') && zone == 'a'",
        "has(a) && (has(b) && (has(c) && !has(a)))",
    ],
)
def test_never_matches_finds_contradictions(text):
    assert never_matches(parse(text))
    assert not always_matches(parse(text))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "role == 'db'",
        "role != 'db' && !has(role)",
        "role not in {} && role == 'x'",
        "role starts with 'ab' && role starts with 'a'",
        "role starts with 'ab' && role ends with 'cd'",
        "role contains 'b' && !(role contains 'ab')",
        "role == 'db' || role == 'ui'",
        "(role == 'db' || has(zone)) && role == 'web'",
        "role in {'a', 'b'} && role != 'a'",
        "!(role == 'a') && !(role == 'b')",
        "has(role) && !(role contains 'x')",
        "!(role contains '')",
    ],
)
def test_never_matches_leaves_satisfiable_selectors_alone(text):
    assert not never_matches(parse(text))


@pytest.mark.parametrize(
    ("text", "always"),
    [
        ("", True),
        ("global()", True),
        ("role not in {}", True),
        ("has(role) || !has(role)", True),
        ("role == 'x' || role != 'x'", True),
        ("role in {'a'} || role not in {'a'}", True),
        ("!(role in {})", True),
        ("all() && !(has(a) && !has(a))", True),
        ("role != 'x'", False),
        ("has(role) || has(zone)", False),
        ("role == 'x' || role != 'y'", False),
    ],
)
def test_always_matches(text, always):
    assert always_matches(parse(text)) is always
