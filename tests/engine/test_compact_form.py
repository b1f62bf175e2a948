"""Property: the compact form, expanded by the library's reference expander, equals the pairwise class
output and the one-flow evaluator, on random clusters and on a generated open cluster."""

from __future__ import annotations

import io
import json
import os

from hypothesis import HealthCheck, given, settings

from netpolicy import expand_compact
from netpolicy.engine.compact import compact_connectivity
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.matrix import compute_matrix
from netpolicy.engine.pairs import class_pairs, endpoint_classes
from netpolicy.render.connections_json import connections_json
from netpolicy.render.connections_read import connections_from_json
from netpolicy.render.matrix_compact import write_compact_json
from tests.engine.test_matrix_matches_flow import PACKETS, cluster_st


def compact_document(matrix, classes) -> dict:
    """The compact JSON document as `matrix -o json --form compact` writes it, parsed."""
    buffer = io.StringIO()
    write_compact_json(compact_connectivity(matrix, classes), buffer)
    return json.loads(buffer.getvalue())


def pairwise(matrix, classes) -> dict[tuple[str, str], list]:
    """The pairwise class output (pairs are listed family by family), by pair."""
    return {(s.id, d.id): connections_json(conns) for s, d, conns in class_pairs(matrix, classes)}


def by_pair(entries: list[dict]) -> dict[tuple[str, str], list]:
    found = {(e["from"], e["to"]): e["allowed"] for e in entries}
    assert len(found) == len(entries), "a pair was listed twice"
    return found


@settings(max_examples=int(os.environ.get("NETPOLICY_PROPERTY_EXAMPLES", "50")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(cluster_st())
def test_expanded_compact_form_equals_pairs_and_flow_evaluator(cluster):
    matrix = compute_matrix(cluster)
    classes = endpoint_classes(matrix)
    doc = compact_document(matrix, classes)
    expanded = list(expand_compact(doc))
    assert by_pair(expanded) == pairwise(matrix, classes)
    flows = FlowEvaluator(cluster)
    listed = {(p["from"], p["to"]): connections_from_json(p["allowed"]) for p in expanded}
    for src in classes:
        for dst in classes:
            a, b = src.representative, dst.representative
            if not (a.policed or b.policed) or matrix.common_family(a, b) is None:
                assert (src.id, dst.id) not in listed
                continue
            conns = listed.get((src.id, dst.id))
            for protocol, port, sport in PACKETS:
                expected = flows.evaluate(src.members[-1], dst.members[-1], protocol, port, sport).verdict == "allow"
                assert (conns is not None and conns.allows(protocol, port, sport)) == expected, (src.id, dst.id)


def test_compact_form_on_a_generated_open_cluster(tmp_path):
    """Shared peer sets and tables over a varied-label cluster: expansion equals the pairwise output."""
    from bench.generate import generate
    from bench.sizes import POD_CIDR, ClusterSpec

    from netpolicy.api import load_cluster
    from netpolicy.options import Options

    generate(ClusterSpec("open", 120, 12, 12, seed=5, calico=False, profile="varied"), tmp_path)
    options = Options(pod_cidr=POD_CIDR)
    matrix = compute_matrix(load_cluster([str(tmp_path)], options), options)
    classes = endpoint_classes(matrix)
    doc = compact_document(matrix, classes)
    assert doc["form"] == "compact" and len(doc["tables"]) < len(classes)
    assert by_pair(list(expand_compact(doc))) == pairwise(matrix, classes)


def test_connections_read_back_from_json():
    from netpolicy.model.connections import ConnectionSet
    from netpolicy.model.intervals import IntervalSet

    samples = [ConnectionSet.all(), ConnectionSet.empty(), ConnectionSet.of(6, IntervalSet.of([(80, 81), 443])),
               ConnectionSet.of(17, IntervalSet.span(53, 53), IntervalSet.span(5353, 5353)) | ConnectionSet.of(47),
               ConnectionSet.of(1, IntervalSet.span(8, 8), IntervalSet.span(0, 0)) | ConnectionSet.of(58),
               ConnectionSet.of(132) | ConnectionSet.of(2) | ConnectionSet.of(3)]
    for conns in samples:
        assert connections_from_json(connections_json(conns)) == conns
