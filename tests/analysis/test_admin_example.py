"""The trojanwall example with the platform team's ClusterNetworkPolicies, through every command."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from netpolicy.cli import app
from tests.conftest import EXAMPLE

ADMIN = EXAMPLE / "admin-policies"
FILES = ["-f", str(EXAMPLE / "manifests"), "-f", str(EXAMPLE / "k8s-policies"), "-f", str(ADMIN)]

pytestmark = pytest.mark.skipif(not ADMIN.is_dir(), reason="the trojanwall admin example is not present")


def run(*args: str, code: int = 0):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout


def test_matrix_admits_dns_and_monitoring_and_keeps_others_from_the_database():
    data = json.loads(run("matrix", *FILES, "-o", "json"))
    text = json.dumps(data)
    assert "shop/storefront" in text
    out = run("matrix", *FILES)
    assert re.search(r"kube-system/coredns +│ TCP 53, UDP 53", out)  # column widths follow the longest name


def test_query_traces_the_admin_tier_in_flow_log_words():
    out = json.loads(run("query", *FILES, "--from", "trojanwall/postgresql", "--to", "kube-system/coredns",
                         "--port", "53", "--protocol", "UDP", "-o", "json"))
    assert out["verdict"] == "allow"
    (step,) = out["egress"]["trace"]
    assert (step["tier"], step["policy"], step["kind"], step["rule"], step["action"]) == (
        "kube-admin", "platform-allow-dns", "ClusterNetworkPolicy", "cluster-dns", "Allow")
    assert step["location"].endswith("cluster-network-policies.yaml:13")
    denied = json.loads(run("query", *FILES, "--from", "shop/storefront", "--to", "trojanwall/postgresql",
                            "--port", "5432", "-o", "json"))
    assert denied["verdict"] == "deny"
    assert denied["ingress"]["trace"][-1]["rule"] == "nobody-else"


def test_policies_lists_admin_policies_first_and_says_they_isolate_nothing():
    policies = json.loads(run("policies", *FILES, "-o", "json"))["policies"]
    first = policies[0]
    assert (first["policy"], first["kind"], first["tier"], first["order"]) == (
        "platform-allow-dns", "ClusterNetworkPolicy", "kube-admin", 10)
    assert first["isolates"] == [] and first["governs"] == ["egress"]
    assert "isolates nothing" in run("policies", *FILES)


def test_lint_finds_nothing_wrong_with_the_admin_policies():
    findings = json.loads(run("lint", *FILES, "-o", "json"))["findings"]
    assert not [f for f in findings if "ClusterNetworkPolicy" in f["object"]]
    assert not [f for f in findings if f["rule"] == "dns-egress-blocked"]


def test_diff_shows_what_the_admin_policies_newly_allow():
    before = ["--before", str(EXAMPLE / "manifests"), "--before", str(EXAMPLE / "k8s-policies"),
              "--before", str(ADMIN / "platform.yaml")]
    after = ["--after", str(EXAMPLE / "manifests"), "--after", str(EXAMPLE / "k8s-policies"), "--after", str(ADMIN)]
    data = json.loads(run("diff", *before, *after, "-o", "json"))
    pairs = {(c["from"], c["to"]) for c in data["changes"]}
    assert ("monitoring/prometheus", "trojanwall/postgresql") in pairs
    assert data["summary"]["pairs_newly_blocked"] == 0


def test_expectations_hold():
    out = run("test", str(EXAMPLE / "admin-expectations.yaml"), *FILES)
    assert "3 of 3 expectations hold" in out


def test_on_calico_3_31_the_cluster_network_policies_are_left_out_with_a_warning():
    out = json.loads(run("query", *FILES, "--calico-version", "3.31", "--from", "shop/storefront",
                         "--to", "trojanwall/postgresql", "--port", "5432", "-o", "json"))
    assert all(step["tier"] != "kube-admin" for step in out["ingress"]["trace"])
    result = CliRunner().invoke(app, ["matrix", *FILES, "--calico-version", "3.31"])
    assert "is not enforced by Calico 3.31" in result.output


def test_a_bad_admin_policy_is_a_located_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
                   "metadata: {name: x}\nspec:\n  tier: Admin\n  priority: 5000\n  subject: {namespaces: {}}\n")
    result = CliRunner().invoke(app, ["matrix", "-f", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:6: spec.priority: 5000 is out of range (expected an integer 0-1000)" in result.output
