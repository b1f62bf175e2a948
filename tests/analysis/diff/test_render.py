"""Diff renderers: JSON shape and layouts, Markdown for pull requests (golden), and text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from netpolicy.analysis.diff.compute import semantic_diff
from netpolicy.api import load_cluster, load_documents
from netpolicy.cli import app
from netpolicy.render.diff.json_out import diff_json
from netpolicy.render.diff.markdown import MARKER, diff_markdown
from netpolicy.render.diff.rows import PAIR_LIMIT
from netpolicy.render.diff.text import render_diff_text
from tests.analysis.diff.test_diff import BASE, ISOLATE_B, k8s_policy, namespace, pod
from tests.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parents[3]
BEFORE = ["examples/trojanwall/manifests", "examples/trojanwall/k8s-policies"]
AFTER = ["examples/trojanwall/manifests", "examples/trojanwall/fixed-policies"]


@pytest.fixture
def trojanwall_diff(monkeypatch):
    monkeypatch.chdir(REPO)
    if not Path(AFTER[1]).is_dir():
        pytest.skip("the trojanwall example is not present")
    return semantic_diff(load_cluster(BEFORE), load_cluster(AFTER))


def test_markdown_of_the_trojanwall_fix(trojanwall_diff):
    text = diff_markdown(trojanwall_diff)
    assert_golden(GOLDEN / "trojanwall-fix.md", text)


def test_markdown_puts_counts_first_and_details_collapsible(trojanwall_diff):
    lines = diff_markdown(trojanwall_diff).splitlines()
    assert lines[0] == MARKER
    counts = lines[3]
    assert counts.startswith(f"**{trojanwall_diff.pairs_newly_allowed}** endpoint pair")
    assert f"**{trojanwall_diff.pairs_newly_blocked}** newly blocked" in counts
    assert lines.count("</details>") == sum(1 for line in lines if line.startswith("<details"))
    assert any(line.startswith("<summary><b>Newly blocked</b>") for line in lines)


def test_json_pair_layout(trojanwall_diff):
    data = diff_json(trojanwall_diff)
    assert data["summary"]["layout"] == "pair"
    assert data["summary"]["pairs_newly_blocked"] == trojanwall_diff.pairs_newly_blocked
    row = next(c for c in data["changes"]
               if (c["from"], c["to"]) == ("trojanwall/postgresql", "trojanwall/trojanwall-django"))
    assert row["newly_blocked"] == [{"protocol": "TCP", "ports": "8000"}]
    (explanation,) = row["explanations"]
    assert explanation["change"] == "blocked"
    assert explanation["example"] == {"protocol": "TCP", "port": 8000, "src_port": None}
    assert explanation["before"]["egress"]["trace"][-1]["policy"] == "trojanwall/trojanwall-db-traffic-network-policy"
    assert explanation["after"]["egress"]["verdict"] == "deny"


def _many_pods_diff():
    pods = [pod("x", f"web-{i}", f"10.0.2.{i + 1}", app="web") for i in range(11)]
    deny = k8s_policy("x", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
    return semantic_diff(load_documents([namespace("x"), *pods]), load_documents([namespace("x"), *pods, deny]))


def test_auto_layout_switches_to_classes_past_the_pair_limit():
    result = _many_pods_diff()
    assert result.pairs_changed > PAIR_LIMIT
    data = diff_json(result)
    assert data["summary"]["layout"] == "class"
    web = next(c for c in data["changes"] if c["from"]["size"] == 11 and c["to"]["size"] == 11)
    assert web["pairs"] == 121 and len(web["from"]["members"]) == 11
    truncated = diff_json(result, "class", max_members=3)
    assert truncated["changes"][0]["to"]["members_truncated"] is True
    pairs = diff_json(result, "pair")
    assert pairs["summary"]["layout"] == "pair" and sum(c["pairs"] for c in pairs["changes"]) == result.pairs_changed


def test_text_lists_both_sides():
    old, new = load_documents(BASE), load_documents(BASE + [ISOLATE_B])
    console = Console(record=True, width=240)
    render_diff_text(semantic_diff(old, new), console)
    text = console.export_text()
    assert "0 endpoint pairs newly allowed" in text
    assert "- x/a → x/b: TCP 1-79, 81-65535" in text
    lines = [line.strip() for line in text.splitlines()]
    now = lines.index("now:    egress allow: Allow by Profile kns.x egress[0]")
    assert lines[now + 1] == "ingress deny: isolated by x/b-from-a (tier default); no rule admits it"
    assert lines[now + 2] == "before: egress allow: Allow by Profile kns.x egress[0]"
    assert lines[now + 3] == "ingress allow: Allow by Profile kns.x ingress[0]"


@pytest.mark.parametrize(("args", "message"), [
    (["diff", "--before", "a.yaml"], "no after side"),
    (["diff", "-f", "a.yaml"], "no before side"),
    (["diff", "--before", "a.yaml", "--git", "HEAD", "-f", "b.yaml"], "--before and --git"),
])
def test_cli_diff_argument_errors(args, message):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_diff_markdown(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(app, ["diff", *sum((["--before", p] for p in BEFORE), []),
                                      *sum((["--after", p] for p in AFTER), []), "-o", "md"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(MARKER)
    json_result = CliRunner().invoke(app, ["diff", "--before", BEFORE[0], "--before", BEFORE[1], "-f", AFTER[0],
                                           "-f", AFTER[1], "-o", "json"])
    assert json.loads(json_result.stdout)["summary"]["pairs_newly_allowed"] == 0
