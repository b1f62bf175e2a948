"""`Matrix.flows()` streams every allowed endpoint pair in endpoint order, the same however the sources
are windowed, and each pair's connections are those `Matrix.connections` gives."""

from __future__ import annotations

import pytest
from bench.generate import generate
from bench.sizes import POD_CIDR, ClusterSpec

from netpolicy.api import load_cluster
from netpolicy.engine import endpoint_pairs
from netpolicy.engine.matrix import compute_matrix
from netpolicy.options import Options


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    directory = tmp_path_factory.mktemp("flows")
    generate(ClusterSpec("flows", 120, 30, 4, seed=7), directory)
    options = Options(pod_cidr=POD_CIDR)
    return compute_matrix(load_cluster([str(directory)], options), options)


def test_flows_are_every_allowed_pair_in_endpoint_order(matrix):
    order = {e.id: i for i, e in enumerate(matrix.endpoints)}
    got = [(s.id, d.id, c) for s, d, c in matrix.flows()]
    keys = [(order[s], order[d]) for s, d, _ in got]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    expected = []
    for src in matrix.endpoints:
        for dst in matrix.endpoints:
            if src.policed or dst.policed:
                conns = matrix.connections(src, dst)
                if not conns.is_empty:
                    expected.append((src.id, dst.id, conns))
    assert got == expected


@pytest.mark.parametrize("window", [1, 3, 1000])
def test_flows_do_not_depend_on_the_window(matrix, monkeypatch, window):
    reference = [(s.id, d.id, c) for s, d, c in matrix.flows()]
    monkeypatch.setattr(endpoint_pairs, "WINDOW_CLASSES", window)
    assert [(s.id, d.id, c) for s, d, c in matrix.flows()] == reference
