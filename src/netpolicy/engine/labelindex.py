"""An index of distinct label sets, so selectors are matched through postings, not against every set."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from netpolicy.selectors.ast import Selector
from netpolicy.selectors.restrictions import label_restrictions


class LabelIndex:
    """Distinct label sets with postings `(label, value) → ids` and `label → ids` (as Felix indexes)."""

    def __init__(self) -> None:
        self.sets: list[Mapping[str, str]] = []
        self._ids: dict[frozenset, int] = {}
        self._by_pair: dict[tuple[str, str], list[int]] = {}
        self._by_label: dict[str, list[int]] = {}
        self._cache: dict[str, np.ndarray] = {}

    def add(self, labels: Mapping[str, str]) -> int:
        """The id of a label set, adding it on first sight."""
        key = frozenset(labels.items())
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.sets)
            self.sets.append(labels)
            for pair in key:
                self._by_pair.setdefault(pair, []).append(found)
                self._by_label.setdefault(pair[0], []).append(found)
            self._cache.clear()
        return found

    def __len__(self) -> int:
        return len(self.sets)

    def candidates(self, selector: Selector) -> list[int] | None:
        """Ids that can possibly match (from the selector's label restrictions); None means all."""
        best: list[int] | None = None
        for label, restriction in label_restrictions(selector).items():
            if restriction.must_have_one_of_values is not None:
                ids: list[int] = []
                for value in restriction.must_have_one_of_values:
                    ids.extend(self._by_pair.get((label, value), ()))
            elif restriction.must_be_present:
                ids = self._by_label.get(label, [])
            else:
                continue
            if best is None or len(ids) < len(best):
                best = ids
        return best

    def matching(self, selector: Selector) -> np.ndarray:
        """Sorted ids of the label sets the selector matches."""
        key = selector.canonical
        found = self._cache.get(key)
        if found is None:
            candidates = self.candidates(selector)
            pool = range(len(self.sets)) if candidates is None else sorted(set(candidates))
            sets = self.sets
            found = np.fromiter((i for i in pool if selector.matches(sets[i])), dtype=np.int64)
            self._cache[key] = found
        return found

    def mask(self, selector: Selector) -> np.ndarray:
        """Boolean vector over label-set ids."""
        out = np.zeros(len(self.sets), dtype=bool)
        out[self.matching(selector)] = True
        return out
