"""`matrix -o dot|mermaid` and `diff -o mermaid`: golden files of the example, merged edges, escaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from netpolicy.analysis.diff.compute import semantic_diff
from netpolicy.api import load_cluster
from netpolicy.engine.matrix import compute_matrix
from netpolicy.render.graph_dot import dot_string, graph_dot
from netpolicy.render.graph_mermaid import diff_mermaid, graph_mermaid, mermaid_text
from netpolicy.render.graph_model import Graph, _merge, matrix_graph
from tests.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parents[2]
BEFORE = ["examples/trojanwall/manifests", "examples/trojanwall/k8s-policies"]
AFTER = ["examples/trojanwall/manifests", "examples/trojanwall/fixed-policies"]


@pytest.fixture
def example(monkeypatch):
    monkeypatch.chdir(REPO)
    return load_cluster(BEFORE)


def test_dot_of_the_example(example):
    assert_golden(GOLDEN / "trojanwall.dot", graph_dot(matrix_graph(compute_matrix(example))))


def test_mermaid_of_the_example(example):
    assert_golden(GOLDEN / "trojanwall.mmd", graph_mermaid(matrix_graph(compute_matrix(example))))


def test_diff_mermaid_of_the_fix(example):
    text = diff_mermaid(semantic_diff(example, load_cluster(AFTER)))
    assert_golden(GOLDEN / "trojanwall-fix.mmd", text)
    assert "stroke:#d64545" in text and "-.->" in text   # removed: red, dashed


@pytest.mark.parametrize(("edges", "expected"), [
    # a source reaching every member of a namespace alike: one edge to the namespace
    ([(("x", "a"), "TCP 80"), (("x", "b"), "TCP 80")], [(("x", "cluster:ns"), "TCP 80")]),
    # different labels: kept apart
    ([(("x", "a"), "TCP 80"), (("x", "b"), "TCP 81")], [(("x", "a"), "TCP 80"), (("x", "b"), "TCP 81")]),
    # not every member reached: kept apart
    ([(("x", "a"), "TCP 80")], [(("x", "a"), "TCP 80")]),
])
def test_edges_to_a_whole_namespace_are_merged(edges, expected):
    assert _merge(edges, {"ns": ["a", "b"], "other": ["x"]}, 1) == expected


@pytest.mark.parametrize("hostile", ['a"b', "x\\\"] ; evil -> n0 [label=\"", "<script>alert(1)</script>",
                                     "line\nbreak", "end]; click n0 call alert(1)"])
def test_labels_are_escaped(hostile):
    graph = Graph(nodes={"n0": hostile}, clusters={hostile: ["n0"]}, edges=[("n0", "n0", hostile)])
    dot = graph_dot(graph)
    quoted = dot_string(hostile)
    assert quoted.startswith('"') and quoted.endswith('"')
    inner = quoted[1:-1]
    assert '"' not in inner.replace('\\"', "") and "\n" not in inner
    assert dot.count(quoted) == 3
    mermaid = graph_mermaid(graph)
    text = mermaid_text(hostile)
    assert not any(ch in text[1:-1] for ch in '"<>\n|`')
    assert mermaid.count(text) == 3
