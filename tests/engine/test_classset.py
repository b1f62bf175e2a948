"""Sets of peer classes: every form (all, sorted ids, bits) gives the answers of a plain boolean vector."""

from __future__ import annotations

import numpy as np
import pytest

from netpolicy.engine.classset import ClassSet


def _sets(size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Boolean vectors of every density: empty, one class, sparse, half, almost all, all."""
    out = [np.zeros(size, dtype=bool), np.ones(size, dtype=bool)]
    for density in (1 / size, 0.01, 0.03, 0.2, 0.5, 0.97):
        out.append(rng.random(size) < density)
    one = np.zeros(size, dtype=bool)
    one[size - 1] = True
    return [*out, one]


@pytest.mark.parametrize("size", [1, 7, 64, 200, 1000, 4099])
def test_class_sets_combine_like_boolean_vectors(size):
    rng = np.random.default_rng(size)
    vectors = _sets(size, rng)
    for a in vectors:
        left = ClassSet.of_mask(a)
        assert left.count == a.sum() and left.dense().tolist() == a.tolist()
        assert left.indices().tolist() == np.flatnonzero(a).tolist()
        assert (~left).dense().tolist() == (~a).tolist()
        probe = rng.integers(0, size, 50)
        assert left.contains(probe).tolist() == a[probe].tolist()
        for b in vectors:
            right = ClassSet.of_ids(np.flatnonzero(b), size)
            for got, want in ((left & right, a & b), (left | right, a | b)):
                assert got.dense().tolist() == want.tolist()
                assert got.count == want.sum()
                assert got.key == ClassSet.of_mask(want).key, "equal sets have equal keys, whatever the path"


@pytest.mark.parametrize(("count", "form"), [(0, "ids"), (31, "ids"), (32, "ids"), (33, "bits"), (1023, "bits"),
                                             (1024, "all")])
def test_the_form_follows_the_size(count, form):
    found = ClassSet.of_ids(np.arange(count, dtype=np.int64), 1024)
    assert form == ("all" if found.is_all else "ids" if found.ids is not None else "bits")


def test_any_ids_are_sorted_and_deduplicated():
    found = ClassSet.of_any_ids([9, 3, 9, 1], 1000)
    assert found.indices().tolist() == [1, 3, 9]
    assert found.count == 3
