"""The label index answers as `Selector.matches` does, for small candidate pools (matched set by set)
and large ones (matched on label columns), and for selectors whose restrictions leave no candidate."""

from __future__ import annotations

import pytest

from netpolicy.engine import labelindex
from netpolicy.engine.labelindex import LabelIndex
from netpolicy.selectors.parser import parse

SELECTORS = [
    'app == "web"',
    'app == "web" && app == "db"',          # no label set can match
    'app in {"web", "db"} && zone != "a"',
    'app in {"web", "db"} && app in {"cache"}',
    'has(zone) && !has(shard)',
    'zone not in {"a", "b"}',
    'app starts with "w" || shard == "3"',
    "all()",
]


def _label_sets(count: int) -> list[dict[str, str]]:
    apps, zones = ["web", "db", "cache"], ["a", "b", "c"]
    out = []
    for number in range(count):
        labels = {"app": apps[number % 3]}
        if number % 4:
            labels["zone"] = zones[number % 5 % 3]
        if number % 7 == 0:
            labels["shard"] = str(number % 5)
        out.append(labels)
    return out


@pytest.mark.parametrize("small_pool", [0, 10_000])
@pytest.mark.parametrize("text", SELECTORS)
def test_matching_equals_selector_matches(monkeypatch, text, small_pool):
    monkeypatch.setattr(labelindex, "SMALL_POOL", small_pool)
    index = LabelIndex()
    sets = _label_sets(300)
    ids = [index.add(labels) for labels in sets]
    selector = parse(text)
    expected = sorted({i for i, labels in zip(ids, sets, strict=True) if selector.matches(labels)})
    assert index.matching(selector).tolist() == expected
