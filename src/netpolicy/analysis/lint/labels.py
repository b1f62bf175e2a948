""""Did you mean": the label keys and values that exist, nearest by edit distance to the ones a selector wants."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from netpolicy import suggest
from netpolicy.selectors.ast import Selector
from netpolicy.selectors.restrictions import label_restrictions
from netpolicy.suggest import nearest


def suggestions(selector: Selector, label_sets: Iterable[Mapping[str, str]]) -> list[str]:
    """`key: value` (or `key`) corrections for the labels `selector` requires that no label set has.

    For a required `key == value` whose key exists, the nearest existing value of that key is offered;
    when the key exists nowhere, the nearest key (with the wanted value, if some set has that pair).
    """
    sets = list(label_sets)
    values_by_key: dict[str, set[str]] = {}
    for labels in sets:
        for key, value in labels.items():
            values_by_key.setdefault(key, set()).add(value)
    out: list[str] = []
    for key, restriction in sorted(label_restrictions(selector).items()):
        if not restriction.must_be_present:
            continue
        wanted = restriction.must_have_one_of_values
        if key in values_by_key:
            if wanted is None or wanted & values_by_key[key]:
                continue
            for value in sorted(wanted):
                guess = nearest(value, values_by_key[key])
                if guess is not None:
                    out.append(f"{key}: {guess}")
            continue
        guess = nearest(key, values_by_key)
        if guess is None:
            continue
        if wanted is not None and len(wanted) == 1:
            out.append(f"{guess}: {next(iter(wanted))}")
        else:
            out.append(guess)
    return out


def did_you_mean(selector: Selector, label_sets: Iterable[Mapping[str, str]]) -> str:
    """`did you mean app: django?`, or `""` when nothing near exists."""
    return suggest.did_you_mean(suggestions(selector, label_sets), separator=" / ")
