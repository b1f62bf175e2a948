"""kube-proxy's Service fields end to end through the commands: `query` says why backends are not tried
(internalTrafficPolicy Local), why a LoadBalancer IP drops a client (loadBalancerSourceRanges) and that a
partial client keeps its backend (sessionAffinity ClientIP); `matrix` rows group sources by node; `test`
and `diff` follow them; a hostNetwork backend is its node (docs/semantics.md#service-fields,
#node-backends)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from netpolicy.cli import app
from tests.engine.test_node_backends import GUARDED
from tests.engine.test_service_fields import EXTRA, NOT_TO_A0
from tests.engine.test_service_path import OBJECTS


def write(tmp_path: Path, name: str, documents: list) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(documents))
    return str(path)


def run(*args: str, code: int = 0):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout


def test_query_says_what_kube_proxy_does(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.yaml", [*OBJECTS, *EXTRA, NOT_TO_A0])
    local = json.loads(run("query", "-f", path, "--from", "web/client", "--to", "svc/web/web-itl", "-o", "json"))
    assert local["verdict"] == "allow"
    assert any("not tried: web/app-0" in n for n in local["notes"])
    text = run("query", "-f", path, "--from", "web/client-c", "--to", "svc/web/web-itl")
    assert "DENY" in text and "no ready endpoint of web/web-itl on node node-c" in text
    ranges = run("query", "-f", path, "--from", "198.51.100.99", "--to", "198.51.100.30", "--port", "80")
    assert "DENY" in ranges and "outside the loadBalancerSourceRanges" in ranges
    sticky = run("query", "-f", path, "--from", "web/client", "--to", "svc/web/web-sticky")
    assert "sessionAffinity ClientIP (600 s)" in sticky


def test_matrix_rows_and_expectations_under_internal_traffic_policy_local(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.yaml", [*OBJECTS, *EXTRA])
    data = json.loads(run("matrix", "-f", path, "-o", "json"))
    (row,) = [s for s in data["services"] if s["id"] == "web/web-itl"]
    assert row["internal_traffic_policy"] == "Local" and row["sources_on_unknown_node"] == ["web/client-x"]
    assert {"from": "web/client", "reached": 1, "verdict": "allow", "backends_on_its_node": 1} in row["from"]
    assert "web/client-c" not in {f["from"] for f in row["from"]}
    suite = tmp_path / "expect.yaml"
    suite.write_text(yaml.safe_dump({"expectations": [
        {"name": "client reaches its node's backend", "from": {"endpoint": "web/client"},
         "to": {"service": "web/web-itl"}, "expect": "allow"},
        {"name": "node-c has no backend", "from": {"endpoint": "web/client-c"}, "to": {"service": "web/web-itl"},
         "expect": "deny"}]}))
    report = json.loads(run("test", str(suite), "-f", path, "-o", "json"))
    assert [o["status"] for o in report["results"]] == ["pass", "pass"]


def test_diff_of_internal_traffic_policy(tmp_path: Path) -> None:
    cluster = [o for o in [*OBJECTS, *EXTRA] if o["metadata"]["name"] != "web-itl"]
    (local,) = [o for o in EXTRA if o["metadata"]["name"] == "web-itl"]
    open_ = {**local, "spec": {**local["spec"], "internalTrafficPolicy": "Cluster"}}
    before, after = write(tmp_path, "before.yaml", [*cluster, open_]), write(tmp_path, "after.yaml", [*cluster, local])
    data = json.loads(run("diff", "--before", before, "--after", after, "-o", "json"))
    changes = {(c["before"], c["after"]): c["from"] for c in data["services"] if c["service"] == "web/web-itl"}
    assert "web/client-c" in changes[("allow", "none")]


def test_host_network_backend_through_the_commands(tmp_path: Path) -> None:
    path = write(tmp_path, "cluster.yaml", GUARDED)
    flow = json.loads(run("query", "-f", path, "--from", "web/client-c", "--to", "svc/web/agent", "-o", "json"))
    assert flow["verdict"] == "deny"
    data = json.loads(run("matrix", "-f", path, "-o", "json"))
    (row,) = [s for s in data["services"] if s["id"] == "web/agent"]
    assert row["backends"] == 1 and "backends_outside_input" not in row
    assert {f["from"] for f in row["from"]} >= {"web/client", "web/app-0"}
    assert "web/client-c" not in {f["from"] for f in row["from"]}


def test_bad_fields_are_located_errors(tmp_path: Path) -> None:
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "web"},
           "spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/33"]}}
    path = write(tmp_path, "bad.yaml", [bad])
    result = CliRunner().invoke(app, ["matrix", "-f", path])
    assert result.exit_code == 2
    assert 'bad.yaml:8: spec.loadBalancerSourceRanges[0]: "10.0.0.0/33" is not a CIDR' in result.output
