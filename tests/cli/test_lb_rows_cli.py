"""loadBalancerSourceRanges through the commands: `matrix` rows per LoadBalancer IP, `diff` changes of them,
`test` expectations `via: loadBalancer`, each agreeing with `query` (docs/semantics.md#service-rows)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from netpolicy.cli import app
from tests.cli.test_service_fields_cli import run, write
from tests.engine.test_lb_rows import INPUTS
from tests.engine.test_service_fields import RANGES, with_spec

CLUSTER = INPUTS[0][1]


def test_matrix_lists_the_rows_through_the_load_balancer_ip(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.yaml", CLUSTER)
    text = run("matrix", "-f", path)
    assert ("    through LoadBalancer IP 198.51.100.30 (loadBalancerSourceRanges 203.0.113.0/24: 5 sources outside, "
            "dropped): reached from web/roaming, 203.0.113.0/24\n"
            "      PARTIAL, some backends only: web/office-a (1 of 2), web/office-b (1 of 2)\n") in text
    data = json.loads(run("matrix", "-f", path, "-o", "json"))
    (row,) = [s for s in data["services"] if "load_balancer" in s]
    assert row["id"] == "web/web-lb" and row["load_balancer"][0]["sources_outside_ranges"] == 5
    flow = json.loads(run("query", "-f", path, "--from", "web/office-b", "--to", "198.51.100.30", "--port", "80",
                          "-o", "json"))
    assert flow["verdict"] == "deny"  # partial: app-0 allows, app-1 sees node-b's address


def test_diff_reports_a_change_of_the_ranges(tmp_path: Path) -> None:
    narrowed = with_spec(RANGES, loadBalancerSourceRanges=["203.0.113.0/28"])
    before = write(tmp_path, "before.yaml", CLUSTER)
    after = write(tmp_path, "after.yaml", [narrowed if o is RANGES else o for o in CLUSTER])
    data = json.loads(run("diff", "--before", before, "--after", after, "-o", "json"))
    changes = {(c["before"], c["after"]): c["from"] for c in data["services"] if c.get("load_balancer_ip")}
    assert changes[("allow", "none")] == ["external:203.0.113.16-203.0.113.255"]  # now outside 203.0.113.0/28
    text = run("diff", "--before", before, "--after", after)
    assert "web/web-lb TCP 80 through LoadBalancer IP 198.51.100.30:" in text


def test_expectations_via_load_balancer(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.yaml", CLUSTER)
    suite = tmp_path / "expect.yaml"
    lb = {"service": "web/web-lb", "via": "loadBalancer"}
    suite.write_text(yaml.safe_dump({"expectations": [
        {"name": "the office reaches the LoadBalancer", "from": {"cidr": "203.0.113.128/25"}, "to": lb,
         "expect": "allow"},
        {"name": "the internet does not", "from": {"cidr": "198.51.100.0/24"}, "to": lb, "expect": "deny"},
        {"name": "a pod outside the ranges neither", "from": {"endpoint": "web/client"}, "to": lb, "expect": "deny"},
        {"name": "it reaches the ClusterIP", "from": {"endpoint": "web/client"}, "to": {"service": "web/web-lb"},
         "expect": "allow"}]}))
    report = json.loads(run("test", str(suite), "-f", path, "-o", "json"))
    assert [o["status"] for o in report["results"]] == ["pass", "pass", "pass", "pass"]


def test_via_is_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.yaml", CLUSTER)
    suite = tmp_path / "expect.yaml"
    suite.write_text("expectations:\n- name: x\n  from: {endpoint: web/client}\n"
                     "  to: {service: web/web-lb, via: hostPort}\n  expect: allow\n")
    result = CliRunner().invoke(app, ["test", str(suite), "-f", path])
    assert result.exit_code == 2
    assert "expect.yaml:4: expectations[0].to.via: 'hostPort' is not a way into a Service" in result.output


def test_expectations_via_load_balancer_of_both_families(tmp_path: Path) -> None:
    """A source of one family is judged through the LoadBalancer IPs of its family only: a packet keeps its
    family (the matrix's rows leave it out of the others, `query` refuses it)."""
    path = write(tmp_path, "cluster.yaml", INPUTS[5][1])
    suite = tmp_path / "expect.yaml"
    lb = {"service": "web/dual-lb", "via": "loadBalancer"}
    suite.write_text(yaml.safe_dump({"expectations": [
        {"name": "the IPv6 office", "from": {"cidr": "2001:db8:7:1::/64"}, "to": lb, "expect": "allow"},
        {"name": "the IPv4 office", "from": {"cidr": "203.0.113.128/25"}, "to": lb, "expect": "allow"},
        {"name": "the IPv6 internet", "from": {"cidr": "2001:db8:9::/64"}, "to": lb, "expect": "deny"}]}))
    report = json.loads(run("test", str(suite), "-f", path, "-o", "json"))
    assert [o["status"] for o in report["results"]] == ["pass", "pass", "pass"]
