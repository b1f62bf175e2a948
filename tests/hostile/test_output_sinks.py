"""Hostile names reaching every table, document and script: escaped, never raw, never a crash."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import replace

from netpolicy.api import load_documents
from netpolicy.engine.matrix import compute_matrix
from netpolicy.render import matrix_tables
from netpolicy.render.console import make_console
from tests.hostile.strings import HOSTILE, control_free

DOCS = [
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x", "labels": {"app": "a"}},
     "status": {"podIP": "10.0.0.1"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b", "namespace": "x", "labels": {"app": "b"}},
     "status": {"podIP": "10.0.0.2"}},
]


def hostile_matrix():
    cluster = load_documents(DOCS)
    cluster = replace(cluster, endpoints=[replace(e, id=f"{HOSTILE}{e.name}", name=f"{HOSTILE}{e.name}")
                                          for e in cluster.endpoints])
    return compute_matrix(cluster)


def written(write) -> str:
    stream = io.StringIO()
    write(hostile_matrix(), stream)
    text = stream.getvalue()
    text.encode("utf-8")  # no lone surrogate left
    return text


def test_matrix_text_has_no_control_characters():
    text = written(matrix_tables.write_text)
    assert control_free(text) and "\\x1b[31m" in text


def test_matrix_csv_cells_are_not_formulas():
    rows = list(csv.reader(io.StringIO(written(matrix_tables.write_csv))))
    assert len(rows) >= 5 and all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert all(control_free(cell) for row in rows for cell in row)


def test_matrix_markdown_rows_keep_three_columns_and_no_html():
    lines = written(matrix_tables.write_markdown).splitlines()[2:]
    assert len(lines) >= 4
    for line in lines:
        assert line.replace("\\|", "").count("|") == 4 and "<script>" not in line and control_free(line)


def test_rich_console_escapes_segments_after_layout():
    console = make_console()
    console.file = io.StringIO()
    console.print(HOSTILE, markup=False)
    assert control_free(console.file.getvalue())


def test_diff_markdown_code_spans_hold_backticks():
    from netpolicy.analysis.diff.compute import semantic_diff
    from netpolicy.render.diff.markdown import diff_markdown

    before = load_documents(DOCS[:1])
    after = load_documents(DOCS)
    after = replace(after, endpoints=[replace(e, id=f"`<img src=x onerror=alert(1)>`{e.name}")
                                      for e in after.endpoints])
    from markdown_it import MarkdownIt

    text = diff_markdown(semantic_diff(before, after))
    rendered = MarkdownIt("commonmark").enable("table").render(text)
    assert "<img" not in rendered and "&lt;img" in rendered


def test_junit_is_well_formed_with_control_characters(tmp_path):
    from typer.testing import CliRunner

    from netpolicy.cli import app

    (tmp_path / "in.yaml").write_text("\n---\n".join(
        __import__("yaml").safe_dump(d) for d in DOCS))
    (tmp_path / "exp.yaml").write_text(
        'expectations:\n- name: "bad\\x01name\\x1b[31m"\n  from: x/a\n  to: x/b\n  expect: allow\n  ports: [80]\n')
    junit = tmp_path / "out.xml"
    result = CliRunner().invoke(app, ["test", str(tmp_path / "exp.yaml"), "-f", str(tmp_path / "in.yaml"),
                                      "--junit", str(junit)])
    assert result.exit_code in (0, 1), result.output
    ET.fromstring(junit.read_bytes())
    assert "\x1b" not in result.output


def test_github_annotations_escape_the_message():
    from netpolicy.analysis.lint.finding import Finding
    from netpolicy.render.lint.github import github_annotations

    finding = Finding.__new__(Finding)
    for name, value in (("rule", "r"), ("severity", "error"), ("object", HOSTILE), ("message", HOSTILE),
                        ("suggestion", ""), ("file", "a,b:c"), ("line", 3)):
        object.__setattr__(finding, name, value)
    text = github_annotations([finding])
    assert text.count("\n") == 1 and control_free(text)
