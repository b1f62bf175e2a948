"""The report in a real browser: views render without errors, a click shows the trace, nothing is fetched,
hostile labels stay text."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from netpolicy.cli import app

from .browser import launched, open_page

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = ["-f", "examples/trojanwall/manifests", "-f", "examples/trojanwall/k8s-policies"]
HOSTILE_LABEL = "<script>alert(1)</script>"
HOSTILE_NAME = '"><img src=x onerror=alert(2)>'


def _report(tmp_path, args, name="report.html") -> Path:
    out = tmp_path / name
    result = CliRunner().invoke(app, ["report", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def chromium():
    """One browser for the module (launching one per test cost more than the tests themselves)."""
    with launched() as browser:
        yield browser


@pytest.fixture(scope="module")
def example_page(chromium, tmp_path_factory):
    import os

    old = os.getcwd()
    os.chdir(REPO)
    try:
        return _report(tmp_path_factory.mktemp("report"), [*EXAMPLE, "--expect", "examples/trojanwall/expectations.yaml"])
    finally:
        os.chdir(old)


def test_views_render_without_errors_or_requests(chromium, example_page):
    with open_page(chromium, example_page) as (page, errors, outside):
        assert page.locator("#graph canvas").count() > 0
        for key, view in (("m", "matrix"), ("f", "findings"), ("e", "expectations"), ("p", "policies"), ("g", "graph")):
            page.keyboard.press(key)
            assert page.locator(f"#view-{view}").is_visible()
        page.keyboard.press("f")
        assert page.locator("#view-findings tbody tr").count() > 0
        page.keyboard.press("e")
        assert page.locator("#view-expectations .st.fail").count() > 0
        assert errors == [] and outside == []


def test_clicking_a_flow_shows_its_trace(chromium, example_page):
    django, postgres = "trojanwall/trojanwall-django", "trojanwall/postgresql"
    with open_page(chromium, example_page) as (page, errors, _):
        index = page.evaluate(f"[memberNode.get('{django}'), memberNode.get('{postgres}')]")
        page.evaluate(f"showPair({index[0]}, {index[1]})")
        text = page.locator("#details").inner_text()
        assert "TCP 5432" in text and "Egress of trojanwall/trojanwall-" in text and "Ingress of trojanwall/postgresql" in text
        assert "app-db-default-deny.yaml:" in text   # file:line of the deciding rule
        # the same from the matrix, with the keyboard: the cell under the cursor is explained on Enter
        page.keyboard.press("m")
        page.locator("#matrix-scroll").focus()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        assert page.locator("#details h2").count() == 1
        assert errors == []


def test_clicking_an_edge_in_the_graph(chromium, example_page):
    with open_page(chromium, example_page) as (page, errors, _):
        # emit() returns the whole cytoscape collection, which playwright would spend a minute serializing
        page.evaluate("() => { cy.edges()[0].emit('tap'); }")
        assert "→" in page.locator("#details").inner_text()
        assert errors == []


def test_permalink_restores_view_and_filters(chromium, example_page):
    with open_page(chromium, example_page, "#v=matrix&p=TCP&port=5432") as (page, errors, _):
        assert page.locator("#view-matrix").is_visible()
        assert page.locator("#protocol").input_value() == "TCP"
        edges = page.evaluate("model.edges.map(e => e.label)")
        assert edges and all("5432" in label or "all" in label or "TCP" in label for label in edges)
        assert errors == []


HOSTILE = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: evil}}
---
apiVersion: v1
kind: Pod
metadata:
  name: x
  namespace: evil
  labels: {{app: x}}
spec: {{containers: [{{name: c, image: i, ports: [{{containerPort: 80}}]}}]}}
status: {{podIP: 10.0.0.5}}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: deny, namespace: evil}}
spec:
  selector: "app == '{HOSTILE_LABEL}' || role == '{HOSTILE_NAME.replace('"', '')}' || app == 'x'"
  types: [Ingress]
  ingress: [{{action: Allow, source: {{selector: "app == '{HOSTILE_LABEL}'"}}}}]
"""


def test_hostile_labels_are_rejected_before_any_report(tmp_path):
    manifest = tmp_path / "evil.yaml"
    manifest.write_text(HOSTILE.replace("labels: {app: x}", f"labels: {{app: '{HOSTILE_LABEL}'}}"))
    result = CliRunner().invoke(app, ["report", "-f", str(manifest), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "metadata.labels.app" in result.output


def test_hostile_selectors_are_shown_as_text(chromium, tmp_path):
    manifest = tmp_path / "evil.yaml"
    manifest.write_text(HOSTILE)
    out = _report(tmp_path, ["-f", str(manifest)])
    html = out.read_text()
    assert HOSTILE_LABEL not in html and "<img src=x" not in html
    with open_page(chromium, out) as (page, errors, outside):
        page.evaluate("showNode(0)")
        assert page.locator("img").count() == 0 and page.locator("#details script").count() == 0
        page.fill("#search", "script")
        page.wait_for_timeout(400)
        assert page.evaluate("window.__alerts") == []   # no injected handler or script ran
        assert errors == [] and outside == []


def test_diff_page_colours_the_change(chromium, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    out = _report(tmp_path, ["--diff", "--before", "examples/trojanwall/manifests", "--before",
                             "examples/trojanwall/k8s-policies", "-f", "examples/trojanwall/manifests",
                             "-f", "examples/trojanwall/fixed-policies"])
    with open_page(chromium, out) as (page, errors, outside):
        assert "removed" in page.locator("#summary").inner_text()
        statuses = set(page.evaluate("model.edges.map(e => e.status)"))
        assert statuses and statuses <= {"added", "removed", "changed", "mixed"}   # changes only by default
        assert "added: newly allowed" in page.locator("#legend").inner_text()
        page.evaluate("showPair(model.edges[0].pairs[0].s, model.edges[0].pairs[0].d)")
        assert "Before the change" in page.locator("#details").inner_text()
        assert errors == [] and outside == []
