"""Edit distance and "did you mean" over the labels that exist."""

from __future__ import annotations

import pytest

from netpolicy.analysis.lint.labels import suggestions
from netpolicy.selectors import parse
from netpolicy.suggest import edit_distance, nearest


@pytest.mark.parametrize("a, b, distance", [
    ("web", "web", 0), ("web", "wbe", 1), ("django", "djangob", 1), ("app", "ap", 1),
    ("kitten", "sitting", 3), ("", "abc", 3), ("postgres", "postgres-db", 3),
])
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance == edit_distance(b, a)


@pytest.mark.parametrize("word, candidates, expected", [
    ("djangob", ["django", "postgres-db"], "django"),
    ("zzz", ["django", "postgres-db"], None),
    ("web", ["web"], None),
])
def test_closest(word, candidates, expected):
    assert nearest(word, candidates) == expected


@pytest.mark.parametrize("selector, expected", [
    ("app == 'djangob'", ["app: django"]),
    ("ap == 'django'", ["app: django"]),
    ("app == 'django'", []),
    ("has(tierr)", ["tier"]),
    ("app != 'x'", []),
])
def test_suggestions(selector, expected):
    labels = [{"app": "django"}, {"app": "postgres-db", "tier": "postgreSQL"}]
    assert suggestions(parse(selector), labels) == expected
