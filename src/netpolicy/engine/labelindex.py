"""An index of distinct label sets: selectors are matched through postings and label columns, vectorized.

Felix indexes endpoints by their labels so that a selector only looks at candidates; here the
candidates come from the selector's label restrictions (an equality on the namespace label narrows a
selector to one namespace), and the selector is then evaluated over all candidates at once on
columns of value codes (one integer array per label name, -1 where the label is absent).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

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
from netpolicy.selectors.restrictions import label_restrictions

#: Candidate pools up to this size are matched label set by label set (numpy's per-call cost is larger).
SMALL_POOL = 64


class LabelIndex:
    """Distinct label sets with postings `(label, value) → ids` and per-label value-code columns."""

    def __init__(self) -> None:
        self.sets: list[Mapping[str, str]] = []
        self._ids: dict[frozenset, int] = {}
        self._by_pair: dict[tuple[str, str], list[int]] = {}
        self._values: dict[str, list[str]] = {}          # label → its values, in order of first sight
        self._cache: dict[str, np.ndarray] = {}
        self._columns: dict[str, tuple[np.ndarray, dict[str, int], list[str]]] = {}
        self._postings: dict[tuple[str, str] | str, np.ndarray] = {}

    def add(self, labels: Mapping[str, str]) -> int:
        """The id of a label set, adding it on first sight."""
        key = frozenset(labels.items())
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.sets)
            self.sets.append(labels)
            by_pair = self._by_pair
            for pair in key:
                posting = by_pair.get(pair)
                if posting is None:
                    by_pair[pair] = [found]
                    self._values.setdefault(pair[0], []).append(pair[1])
                else:
                    posting.append(found)
            if self._cache or self._columns or self._postings:
                self._cache.clear()
                self._columns.clear()
                self._postings.clear()
        return found

    def find(self, labels: Mapping[str, str]) -> int | None:
        """The id of a label set already added, else None."""
        return self._ids.get(frozenset(labels.items()))

    def __len__(self) -> int:
        return len(self.sets)

    def candidates(self, selector: Selector) -> np.ndarray | None:
        """Ids that can possibly match (from the selector's label restrictions); None means all."""
        best: tuple[int, str, frozenset[str] | None] | None = None
        for label, restriction in label_restrictions(selector).items():
            if restriction.must_have_one_of_values is not None:
                size = sum(len(self._by_pair.get((label, v), ())) for v in restriction.must_have_one_of_values)
                option = (size, label, restriction.must_have_one_of_values)
            elif restriction.must_be_present:
                option = (sum(len(self._by_pair[(label, v)]) for v in self._values.get(label, ())), label, None)
            else:
                continue
            if best is None or option[0] < best[0]:
                best = option
        if best is None:
            return None
        _, label, values = best
        if values is None:
            return self._posting(label)
        found = [self._posting((label, v)) for v in values]
        if len(found) == 1:
            return found[0]
        return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)  # disjoint postings

    def _posting(self, key: tuple[str, str] | str) -> np.ndarray:
        """Sorted ids having a (label, value) pair, or a label (ids are added in increasing order)."""
        found = self._postings.get(key)
        if found is None:
            if isinstance(key, tuple):
                found = np.array(self._by_pair.get(key, ()), dtype=np.int64)
            else:  # a label's sets: those of its values (disjoint)
                found = np.sort(np.array([i for v in self._values.get(key, ()) for i in self._by_pair[(key, v)]],
                                         dtype=np.int64))
            self._postings[key] = found
        return found

    def matching(self, selector: Selector) -> np.ndarray:
        """Sorted ids of the label sets the selector matches."""
        key = selector.canonical
        found = self._cache.get(key)
        if found is None:
            pool = self.candidates(selector)
            if pool is None:
                pool = np.arange(len(self.sets), dtype=np.int64)
            if len(pool) <= SMALL_POOL:
                sets, root = self.sets, selector.root
                found = np.array([i for i in pool.tolist() if root.matches(sets[i])], dtype=np.int64)
            else:
                found = pool[self._evaluate(selector.root, pool)]
            self._cache[key] = found
        return found

    def mask(self, selector: Selector) -> np.ndarray:
        """Boolean vector over label-set ids."""
        out = np.zeros(len(self.sets), dtype=bool)
        out[self.matching(selector)] = True
        return out

    # ---- vectorized evaluation ------------------------------------------------------------------
    def _column(self, label: str) -> tuple[np.ndarray, dict[str, int], list[str]]:
        """Value codes of one label over every set (-1: absent), with the code table."""
        found = self._columns.get(label)
        if found is None:
            values = list(self._values.get(label, ()))
            codes = {value: code for code, value in enumerate(values)}
            column = np.full(len(self.sets), -1, dtype=np.int32)
            for code, value in enumerate(values):
                column[self._by_pair[(label, value)]] = code
            found = self._columns[label] = (column, codes, values)
        return found

    def _evaluate(self, node: Node, ids: np.ndarray) -> np.ndarray:
        """The node's value on the given label-set ids, as a boolean array."""
        if isinstance(node, (AllNode, GlobalNode)):
            return np.ones(len(ids), dtype=bool)
        if isinstance(node, NotNode):
            return ~self._evaluate(node.operand, ids)
        if isinstance(node, AndNode):
            out = np.ones(len(ids), dtype=bool)
            for operand in node.operands:
                out &= self._evaluate(operand, ids)
            return out
        if isinstance(node, OrNode):
            out = np.zeros(len(ids), dtype=bool)
            for operand in node.operands:
                out |= self._evaluate(operand, ids)
            return out
        column, codes, values = self._column(node.label)  # type: ignore[attr-defined]
        col = column[ids]
        if isinstance(node, HasNode):
            return col >= 0
        if isinstance(node, InNode):
            wanted = [codes[v] for v in node.values if v in codes]
            hit = np.isin(col, wanted) if wanted else np.zeros(len(ids), dtype=bool)
            return (~hit) if node.negated else hit
        assert isinstance(node, CompareNode)
        if node.op in ("==", "!="):
            code = codes.get(node.value, -2)
            return (col == code) if node.op == "==" else (col != code)
        test = {"contains": lambda v: node.value in v, "starts with": lambda v: v.startswith(node.value),
                "ends with": lambda v: v.endswith(node.value)}[node.op]
        good = np.array([test(v) for v in values] + [False], dtype=bool)  # index -1 → absent → False
        return good[col]
