"""`query` without --port answers for every port of the protocol; trace text wraps at word boundaries."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from netpolicy.cli import app

from .docs_example import write_example


def query(tmp_path: Path, *extra: str):
    policy, manifests = write_example(tmp_path)
    return CliRunner().invoke(app, ["query", "-f", str(policy), str(manifests), *extra])


def test_without_a_port_every_port_is_answered_with_one_trace_per_outcome(tmp_path: Path) -> None:
    result = query(tmp_path, "--from", "default/web", "--to", "default/redis", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["verdict"], data["port"], data["allowed_ports"]) == ("allow", None, "6379")
    assert [(p["ports"], p["verdict"]) for p in data["ports"]] == [("1-6378,6380-65535", "deny"), ("6379", "allow")]
    assert data["ports"][1]["ingress"]["trace"][-1]["rule"] == "ingress[0]"
    assert {"from", "to", "protocol", "port", "src_port", "egress", "ingress"} <= set(data)


def test_without_a_port_nothing_allowed_is_deny_everywhere(tmp_path: Path) -> None:
    result = query(tmp_path, "--from", "default/redis", "--to", "default/web", "--protocol", "udp")
    assert result.exit_code == 0, result.output
    assert "UDP: DENY on every port" in result.stdout
    assert "None" not in result.stdout and "(none)" not in result.stdout


def test_text_names_allowed_ports_and_each_outcome(tmp_path: Path) -> None:
    result = query(tmp_path, "--from", "default/web", "--to", "default/redis")
    assert "default/web → default/redis  TCP: ALLOW on ports 6379" in result.stdout
    assert "TCP 6379: ALLOW (explained for port 6379)" in result.stdout


def test_trace_lines_wrap_at_words_with_a_hanging_indent(tmp_path: Path) -> None:
    from rich.console import Console

    from netpolicy.api import load_cluster
    from netpolicy.engine.flow import FlowEvaluator
    from netpolicy.render.trace_text import render_flow

    cluster = load_cluster([str(p) for p in write_example(tmp_path)])
    result = FlowEvaluator(cluster).evaluate("default/web", "default/redis", 6, 6379)
    console = Console(width=50, record=True, highlight=False, color_system=None)
    render_flow(result, console)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 50
    assert "  1. Allow  tier default NetworkPolicy" in lines and "     default/test-network-policy ingress[0]" in lines
    reason = result.ingress.trace[-1].reason
    start = next(i for i, line in enumerate(lines) if line.strip() and reason.startswith(line.strip()))
    block = []
    for line in lines[start:]:
        if not line.startswith("     ") or line.strip().startswith(str(tmp_path)[:4]):
            break
        block.append(line)
    assert " ".join(line.strip() for line in block) == reason  # no word was cut
    assert len(block) > 1 and all(line.startswith("     ") for line in block)


def test_policies_without_the_apps_manifests_give_a_hint(tmp_path: Path) -> None:
    policy, _ = write_example(tmp_path)
    result = CliRunner().invoke(app, ["matrix", "-f", str(policy)])
    assert result.exit_code == 0
    assert ("warning: 1 policy read but no pods or workloads: there is nothing for them to select" in result.output
            and "add the app's manifests" in result.output)
