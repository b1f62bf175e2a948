"""`matrix -o json` and `query -o json` keep the shapes scripts rely on (INTERFACES.md)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from netpolicy.cli import app
from tests.conftest import EXAMPLE

RUNNER = CliRunner()
K8S = ["-f", str(EXAMPLE / "manifests"), "-f", str(EXAMPLE / "k8s-policies")]
CALICO = ["-f", str(EXAMPLE / "manifests"), "-f", str(EXAMPLE / "calico-policies")]


def run(*args: str) -> dict:
    result = RUNNER.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_matrix_json_endpoints_and_flows():
    out = run("matrix", *K8S, "-o", "json")
    by_id = {e["id"]: e for e in out["endpoints"]}
    assert by_id["trojanwall/trojanwall-django"]["kind"] == "Deployment"
    assert by_id["trojanwall/trojanwall-django"]["labels"] == {"app": "django"}
    assert by_id["trojanwall/trojanwall-db-migrate-job"]["kind"] == "Job"
    assert by_id["external:0.0.0.0-192.168.162.255"]["cidrs"][0] == "0.0.0.0/1"
    flows = {(f["from"], f["to"]): f["allowed"] for f in out["flows"]}
    assert flows[("trojanwall/trojanwall-django", "trojanwall/postgresql")] == [{"protocol": "TCP", "ports": "5432"}]
    assert ("trojanwall/postgresql", "external:192.168.163.0-192.168.163.255") not in flows
    assert all(set(f) == {"from", "to", "allowed"} for f in out["flows"])


def test_source_port_dependence_is_reported():
    out = run("matrix", *CALICO, "-o", "json")
    flows = {(f["from"], f["to"]): f["allowed"] for f in out["flows"]}
    assert flows[("trojanwall/postgresql", "trojanwall/trojanwall-django")] == [
        {"protocol": "TCP", "ports": "1-65535", "src_ports": "5432"}]


def test_class_grouping_shape():
    out = run("matrix", *K8S, "-o", "json", "--group-by", "class", "--max-members", "1")
    classes = {c["id"]: c for c in out["endpoints"]}
    assert all(c["kind"] == "Class" and c["size"] >= len(c["members"]) for c in classes.values())
    assert any(c.get("members_truncated") for c in classes.values() if c["size"] > 1)
    assert {f["from"] for f in out["flows"]} <= set(classes)


def test_query_json_denied_with_allowed_source_ports():
    out = run("query", *CALICO, "--from", "trojanwall/postgresql", "--to", "trojanwall/trojanwall-django",
              "--port", "8000", "-o", "json", "--findings", "never")
    assert out["verdict"] == "deny" and out["allowed_src_ports"] == "5432" and out["src_port"] is None
    assert out["egress"]["trace"][-1]["action"] == "EndOfTier"
    assert out["ingress"]["verdict"] == "allow"
    assert set(out["egress"]["trace"][-1]) >= {"tier", "policy", "kind", "rule", "action", "reason"}


def test_query_json_to_a_node_port_adds_the_service_and_its_backends():
    """A Service destination keeps every INTERFACES.md field and adds `service` and `backends`."""
    out = run("query", *K8S, "-f", str(EXAMPLE / "nodes"), "--from", "203.0.113.7",
              "--to", "trojanwall-node:31000", "-o", "json")
    assert {"from", "to", "protocol", "port", "src_port", "verdict", "egress", "ingress"} <= set(out)
    assert (out["to"], out["port"], out["verdict"]) == ("trojanwall-node:31000", 31000, "allow")
    assert out["service"] == {"id": "trojanwall/trojanwall-django", "via": "NodePort", "address": "192.168.49.2",
                              "node": "trojanwall-node", "port": 31000, "external_traffic_policy": "Cluster"}
    backends = {b["to"]: (b["port"], b["verdict"]) for b in out["backends"]}
    assert backends == {"trojanwall/trojanwall-django": (8000, "allow"),
                        "trojanwall/trojanwall-db-migrate-job": (8000, "allow")}


def test_query_json_to_a_cluster_ip_port_the_service_lacks():
    out = run("query", *K8S, "--from", "trojanwall/trojanwall-django", "--to", "10.107.194.222", "--port", "5433",
              "-o", "json")
    assert out["verdict"] == "deny" and out["backends"] == [] and "rejects" in out["dropped"]


def test_query_json_node_port_restricted_by_a_pre_dnat_policy():
    """The example's preDNAT policy: the office reaches the NodePort, the internet does not."""
    paths = [*K8S, "-f", str(EXAMPLE / "nodes"), "-f", str(EXAMPLE / "nodeport-policies")]
    outside = run("query", *paths, "--from", "203.0.113.7", "--to", "trojanwall-node:31000", "-o", "json")
    office = run("query", *paths, "--from", "198.51.100.7", "--to", "trojanwall-node:31000", "-o", "json")
    assert (outside["verdict"], office["verdict"]) == ("deny", "allow")
    assert outside["ingress"]["trace"][0]["policy"] == "nodeport-office-only"
