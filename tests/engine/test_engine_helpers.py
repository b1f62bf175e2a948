"""The array helpers of the engine: pair walk, partitions of peer classes, port masks; progress reports."""

from __future__ import annotations

import numpy as np
import pytest
from bench.generate import generate
from bench.sizes import POD_CIDR, ClusterSpec

from netpolicy.api import load_cluster
from netpolicy.engine import pairs
from netpolicy.engine.bits import (
    SETS_PER_COLUMN,
    membership,
    ranges,
    refine,
    refine_all,
    sorted_unique,
    union_of,
)
from netpolicy.engine.matrix import compute_matrix
from netpolicy.engine.plan import RuleStep
from netpolicy.model.ir import EGRESS, INGRESS
from netpolicy.options import Options


@pytest.mark.parametrize(("starts", "lengths", "expected"), [
    ([0], [3], [0, 1, 2]),
    ([5, 1], [2, 3], [5, 6, 1, 2, 3]),
    ([4, 9, 2], [1, 0, 2], [4, 2, 3]),
    ([7], [0], []),
    ([], [], []),
    ([3, 3], [2, 2], [3, 4, 3, 4]),
])
def test_ranges_concatenate_aranges(starts, lengths, expected):
    got = ranges(np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64))
    assert got.tolist() == expected


@pytest.mark.parametrize(("labels", "count", "values", "n_values", "groups"), [
    ([0, 0, 0], 1, [0, 1, 0], 2, [[0, 2], [1]]),
    ([0, 1, 0, 1], 2, [1, 1, 0, 0], 2, [[0], [1], [2], [3]]),
    ([0, 0, 1, 1], 2, [3, 3, 3, 3], 4, [[0, 1], [2, 3]]),
    ([2, 0, 2, 1], 3, [0, 0, 0, 0], 1, [[0, 2], [1], [3]]),
    # a combined range too large for a lookup table is renumbered by sorting
    ([0, 1], 10**6, [5, 5], 10**4, [[0], [1]]),
])
def test_refine_splits_groups_by_value(labels, count, values, n_values, groups):
    new, new_count = refine(np.array(labels, dtype=np.int64), count, np.array(values), n_values)
    assert new_count == len(set(new.tolist()))
    found = {}
    for item, label in enumerate(new.tolist()):
        found.setdefault(label, []).append(item)
    assert sorted(found.values()) == sorted(groups)
    assert max(new.tolist()) < new_count


@pytest.mark.parametrize(("n", "n_sets", "seed"), [(50, 3, 0), (400, 12, 1), (300, 2 * SETS_PER_COLUMN + 5, 2),
                                                   (20, 0, 3)])
def test_refine_all_numbers_groups_as_refining_one_set_at_a_time(n, n_sets, seed):
    """Memberships gathered into columns give the very numbers of refining by one set after another."""
    rng = np.random.default_rng(seed)
    sets = [np.sort(rng.choice(n, size=int(rng.integers(0, n // 4 + 1)), replace=False)) for _ in range(n_sets)]
    base = rng.integers(0, 3, size=n)
    union = union_of(sets, n)
    assert union.tolist() == sorted({i for s in sets for i in s.tolist()})
    labels, count = base[union].astype(np.int64), 3
    for items in sets:
        labels, count = refine(labels, count, np.isin(union, items), 2)
    columns = [membership(sets[i:i + SETS_PER_COLUMN], union, n) for i in range(0, len(sets), SETS_PER_COLUMN)]
    got, got_count = refine_all(base[union], 3, columns)
    assert (got.tolist(), got_count) == (labels.tolist(), count)


@pytest.fixture(scope="module")
def blocks_walk(tmp_path_factory):
    """A generated cluster's matrix, its classes and their pairs walked in the default blocks (built once)."""
    folder = tmp_path_factory.mktemp("blocks")
    generate(ClusterSpec("blocks", 400, 60, 8, seed=4), folder)
    options = Options(pod_cidr=POD_CIDR)
    matrix = compute_matrix(load_cluster([str(folder)], options), options)
    classes = pairs.endpoint_classes(matrix)
    return matrix, classes, [(s.id, d.id, c) for s, d, c in pairs.class_pairs(matrix, classes)]


@pytest.mark.parametrize("block", [1, 7, 1000, 1 << 20])
def test_pair_blocks_do_not_depend_on_block_size(blocks_walk, monkeypatch, block):
    """The same pairs, in the same order (source, then destination), however the walk is cut."""
    matrix, classes, reference = blocks_walk
    monkeypatch.setattr(pairs, "BLOCK_PAIRS", block)
    assert [(s.id, d.id, c) for s, d, c in pairs.class_pairs(matrix, classes)] == reference
    order = {c.id: i for i, c in enumerate(classes)}
    keys = [(order[s], order[d]) for s, d, _ in reference]
    assert keys == sorted(keys)
    assert any(not c.representative.policed for c in classes), "external ranges take part"


def test_progress_is_reported_for_every_stage(tmp_path):
    generate(ClusterSpec("progress", 300, 40, 6, seed=2), tmp_path)
    options = Options(pod_cidr=POD_CIDR)
    seen: list[tuple[str, int, int]] = []

    def record(stage: str, done: int, total: int) -> None:
        seen.append((stage, done, total))

    matrix = compute_matrix(load_cluster([str(tmp_path)], options), options, record)
    classes = pairs.endpoint_classes(matrix)
    listed = sum(len(block.sources) for block in pairs.class_pair_blocks(matrix, classes, record))
    assert listed > 0
    stages = {stage for stage, _, _ in seen}
    assert stages == {"classes of endpoints", "side tables", "class pairs (IPv4)"}
    assert all(0 <= done <= total for _, done, total in seen)
    last_pairs = [done for stage, done, total in seen if stage.startswith("class pairs")][-1]
    assert last_pairs == len(classes)


@pytest.mark.parametrize(("atoms", "ranges", "inside"), [
    ([(1, 79), (80, 80), (81, 442), (443, 443), (444, 65535)], [(80, 80), (443, 443)], [0, 1, 0, 1, 0]),
    ([(1, 79), (80, 90), (91, 65535)], [(80, 90)], [0, 1, 0]),
    ([(1, 79), (80, 90), (91, 65535)], [(1, 65535)], [1, 1, 1]),
    ([(1, 79), (80, 90), (91, 65535)], [], [0, 0, 0]),
    ([(1, 9), (10, 19), (20, 29)], [(1, 9), (20, 29)], [1, 0, 1]),
    # an atom only partly inside a range is not inside (atoms are cut along every range boundary)
    ([(1, 50), (51, 100)], [(40, 60)], [0, 0]),
])
def test_range_mask_takes_atoms_inside_the_ranges(atoms, ranges, inside):
    from netpolicy.engine.atoms import _range_mask
    from netpolicy.model.intervals import IntervalSet

    lo = np.array([a for a, _ in atoms], dtype=np.int64)
    hi = np.array([b for _, b in atoms], dtype=np.int64)
    assert _range_mask(lo, hi, IntervalSet.of(ranges)).astype(int).tolist() == inside


def test_side_tables_shared_by_class_are_each_endpoints_own(tmp_path):
    """A side table shared by peer classes alike (same policies, profiles, families) is the very table
    each class's endpoint gets, on a cluster with Calico rules whose own side tells subjects apart."""
    generate(ClusterSpec("alike", 400, 80, 8, seed=5), tmp_path)
    options = Options(pod_cidr=POD_CIDR)
    matrix = compute_matrix(load_cluster([str(tmp_path)], options), options)
    policed = [c for c in pairs.endpoint_classes(matrix) if c.representative.policed]
    dependent = 0
    for cls in policed:
        families = tuple(sorted(cls.classes))
        peer = matrix.classes[cls.classes[families[0]]]
        for direction in (INGRESS, EGRESS):
            shared = matrix.class_side_table(cls.representative, peer, families, direction)
            steps = matrix.plan(cls.representative, direction).steps
            dependent += any(matrix.terms.self_dependent(s.rule, direction) for s in steps if isinstance(s, RuleStep))
            for member in cls.members:
                assert matrix.side_table(member, direction) is shared
    assert dependent  # the cluster has rules whose own side tells subjects apart


@pytest.mark.parametrize("values", [[], [3], [5, 1, 5, 2, 1], [7, 7, 7], list(range(10, 0, -1))])
def test_sorted_unique_is_numpys_unique(values):
    array = np.array(values, dtype=np.int64)
    assert sorted_unique(array).tolist() == np.unique(array).tolist()
