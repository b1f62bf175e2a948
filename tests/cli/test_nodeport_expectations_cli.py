"""`test` expectations `via: nodePort` on the trojanwall example: the NodePort entered on each node (or the one
named), answered as `query --to <node>:<nodePort>` answers (docs/semantics.md#service-rows)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from netpolicy.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "trojanwall"
BASE = [str(EXAMPLE / d) for d in ("manifests", "nodes", "fixed-policies")]
NODE_PORT = {"service": "trojanwall/trojanwall-django", "via": "nodePort"}


def _files(office_only: bool) -> list[str]:
    return [a for d in BASE + ([str(EXAMPLE / "nodeport-policies")] if office_only else []) for a in ("-f", d)]


def _run(tmp_path: Path, expectations: list[dict], office_only: bool) -> dict:
    suite = tmp_path / "expect.yaml"
    suite.write_text(yaml.safe_dump({"expectations": expectations}))
    result = CliRunner().invoke(app, ["test", str(suite), *_files(office_only), "-o", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def _query(source: str, office_only: bool) -> str:
    result = CliRunner().invoke(app, ["query", *_files(office_only), "--from", source, "--to",
                                      "trojanwall-node:31000", "-o", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["verdict"]


@pytest.mark.parametrize("office_only", [True, False])
def test_the_internet_cannot_reach_the_nodeport_with_the_prednat_policy(tmp_path: Path, office_only: bool) -> None:
    expectations = [
        {"name": "203.0.113.7/32 cannot reach trojanwall's django NodePort", "from": {"cidr": "203.0.113.7/32"},
         "to": NODE_PORT, "expect": "deny"},
        {"name": "the office reaches it on the named node", "from": {"cidr": "198.51.100.9/32"},
         "to": {**NODE_PORT, "node": "trojanwall-node"}, "ports": [31000], "expect": "allow"}]
    report = _run(tmp_path, expectations, office_only)
    statuses = [o["status"] for o in report["results"]]
    assert statuses == (["pass", "pass"] if office_only else ["fail", "pass"])
    # each agrees with query's answer
    assert _query("203.0.113.7", office_only) == ("deny" if office_only else "allow")
    assert _query("198.51.100.9", office_only) == "allow"


def test_ports_name_the_node_port(tmp_path: Path) -> None:
    """`ports` of a `via: nodePort` expectation are the nodePorts: the Service port 8000 names none."""
    report = _run(tmp_path, [{"name": "x", "from": {"cidr": "203.0.113.7/32"}, "to": NODE_PORT, "ports": [8000],
                              "expect": "deny"}], True)
    (outcome,) = report["results"]
    assert outcome["status"] == "error"
    assert "service trojanwall/trojanwall-django has none of the ports named" in json.dumps(outcome)


@pytest.mark.parametrize(("peer", "note"), [
    ({**NODE_PORT, "node": "elsewhere"}, "node elsewhere is not in the input"),
    ({"service": "trojanwall/postgresql", "via": "nodePort"}, "service trojanwall/postgresql has no nodePort")])
def test_what_cannot_be_entered_is_an_error(tmp_path: Path, peer: dict, note: str) -> None:
    report = _run(tmp_path, [{"name": "x", "from": {"cidr": "203.0.113.7/32"}, "to": peer, "expect": "deny"}], True)
    (outcome,) = report["results"]
    assert outcome["status"] == "error" and note in json.dumps(outcome)


def test_node_needs_via_node_port(tmp_path: Path) -> None:
    suite = tmp_path / "expect.yaml"
    suite.write_text("expectations:\n- name: x\n  from: {cidr: 203.0.113.7/32}\n"
                     "  to: {service: trojanwall/trojanwall-django, node: trojanwall-node}\n  expect: deny\n")
    result = CliRunner().invoke(app, ["test", str(suite), *_files(True)])
    assert result.exit_code == 2
    assert "expect.yaml:4: expectations[0].to.node: 'trojanwall-node' is not a node to enter by" in result.output


def test_diff_reports_the_node_port_reach_the_prednat_policy_takes_away() -> None:
    """`diff` compares the matrix's nodePort rows: adding the preDNAT office-only policy takes the NodePort
    away from every outside range but the office's, on the one node (JSON `node`, `node_port`; text and
    Markdown say "through nodePort … on node …")."""
    before = [a for d in BASE for a in ("--before", d)]
    after = [a for d in BASE + [str(EXAMPLE / "nodeport-policies")] for a in ("--after", d)]
    result = CliRunner().invoke(app, ["diff", *before, *after, "-o", "json"])
    assert result.exit_code in (0, 1), result.output
    rows = [c for c in json.loads(result.output)["services"] if c.get("node_port")]
    assert [(c["service"], c["node"], c["node_port"], c["before"], c["after"]) for c in rows] == [
        ("trojanwall/trojanwall-django", "trojanwall-node", 31000, "allow", "none")]
    lost = rows[0]["from"]
    assert "external:203.0.113.0-203.0.113.255" in lost or any(
        p.startswith("external:") and _holds(p, "203.0.113.7") for p in lost)
    assert not any(_holds(p, "198.51.100.7") for p in lost)  # the office keeps it
    for output in ("text", "md"):
        shown = CliRunner().invoke(app, ["diff", *before, *after, "-o", output]).output
        assert "through nodePort 31000 on node trojanwall-node" in shown


def _holds(place: str, address: str) -> bool:
    import ipaddress

    if not place.startswith("external:"):
        return False
    low, high = place.removeprefix("external:").split("-")
    return ipaddress.ip_address(low) <= ipaddress.ip_address(address) <= ipaddress.ip_address(high)


@pytest.mark.parametrize("office_only", [True, False])
def test_matrix_text_lists_the_node_port_reach(office_only: bool) -> None:
    """The matrix's Services section names who reaches the NodePort on each node: the office range alone
    (as an outside source) with the preDNAT policy, every outside address without it."""
    text = CliRunner().invoke(app, ["matrix", *_files(office_only)]).output
    line = next(ln for ln in text.splitlines() if "through nodePort 31000 on node trojanwall-node" in ln)
    outside = [p for p in line.split("reached from ")[1].split(", ") if "/" in p or "-" in p]
    assert outside == (["198.51.100.0/24"] if office_only else ["0.0.0.0/0"]), line


def test_rows_over_the_evaluation_budget_name_their_sources_as_not_judged(monkeypatch) -> None:
    """Sources the side tables cannot judge (here: through the node's host endpoint) go to the flow evaluator
    within a budget; past it a row judges none of them and says so, rather than guessing or stalling."""
    from netpolicy.engine import service_lb_rows

    monkeypatch.setattr(service_lb_rows, "EVALUATED_LEGS", 1)
    text = CliRunner().invoke(app, ["matrix", *_files(True)]).output
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if "through nodePort 31000 on node trojanwall-node" in ln)
    assert "reached from no endpoint" in lines[at]
    assert "not judged" in lines[at + 1] and "budget of 1 evaluated legs" in lines[at + 1]
