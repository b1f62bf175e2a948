"""Class pairs (the fast path behind `matrix` output) equal the pair-by-pair matrix on a generated cluster."""

from __future__ import annotations

import random

import pytest
from bench.generate import generate
from bench.sizes import POD_CIDR, ClusterSpec

from netpolicy.api import load_cluster
from netpolicy.engine.matrix import compute_matrix
from netpolicy.engine.pairs import class_pairs, endpoint_classes
from netpolicy.options import Options


@pytest.mark.parametrize("seed", [3, 11, 17])
def test_class_pairs_equal_pairwise_connections(tmp_path, seed):
    generate(ClusterSpec("pairs", 3000, 300, 60, seed=seed), tmp_path)
    options = Options(pod_cidr=POD_CIDR)
    matrix = compute_matrix(load_cluster([str(tmp_path)], options), options)
    classes = endpoint_classes(matrix)
    found = {}
    for src, dst, conns in class_pairs(matrix, classes):
        assert (src.id, dst.id) not in found, "a pair was reported twice"
        found[(src.id, dst.id)] = conns
    rng = random.Random(seed)
    externals = [c for c in classes if not c.representative.policed]
    for src in externals + rng.sample(classes, min(200, len(classes))):
        for dst in classes:
            if not (src.representative.policed or dst.representative.policed):
                continue
            expected = matrix.connections(src.representative, dst.representative)
            assert found.get((src.id, dst.id), expected if not expected else None) == expected, (src.id, dst.id)


@pytest.mark.parametrize("seed", [5, 23])
def test_matrix_equals_flow_evaluator_on_a_generated_cluster(tmp_path, seed):
    """Large enough for the engine's shared (broad) and per-table (narrow) grouping to both be used."""
    from netpolicy.engine.flow import FlowEvaluator

    generate(ClusterSpec("flows", 1200, 150, 24, seed=seed), tmp_path)
    options = Options(pod_cidr=POD_CIDR)
    cluster = load_cluster([str(tmp_path)], options)
    matrix = compute_matrix(cluster, options)
    flows = FlowEvaluator(cluster, options)
    rng = random.Random(seed)
    endpoints = matrix.endpoints
    packets = [(6, 80, 40000), (6, 443, 40000), (6, 8080, 40000), (6, 5432, 40000), (17, 53, 40000),
               (6, 3306, 40000), (6, 30500, 40000), (132, 9899, 40000)]
    for _ in range(600):
        src, dst = rng.choice(endpoints), rng.choice(endpoints)
        if not (src.policed or dst.policed) or matrix.common_family(src, dst) is None:
            continue
        conns = matrix.connections(src, dst)
        for protocol, port, sport in packets:
            expected = flows.evaluate(src, dst, protocol, port, sport).verdict == "allow"
            assert conns.allows(protocol, port, sport) == expected, (src.id, dst.id, protocol, port)
