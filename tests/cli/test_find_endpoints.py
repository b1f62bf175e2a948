"""Naming the ends of a query: pod names, Services, label selectors, named ports; `netpolicy endpoints`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netpolicy.cli import app

from .docs_example import write_example


def run(tmp_path: Path, *args: str):
    return CliRunner().invoke(app, [args[0], "-f", *map(str, write_example(tmp_path)), *args[1:]])


@pytest.mark.parametrize("source, destination, note", [
    # a pod name as `kubectl get pods` shows it (Deployment web -> ReplicaSet hash -> random suffix)
    ("web-5d4f8c7b9-aaaaa", "default/redis",
     "note: --from web-5d4f8c7b9-aaaaa: the pod name of Deployment default/web; answering for it"),
    ("default/web-5d4f8c7b9-aaaaa", "default/redis", "the pod name of Deployment default/web"),
    ("web", "redis", "note: --from web: default/web"),
])
def test_ends_by_pod_name_service_or_bare_name(tmp_path: Path, source: str, destination: str, note: str) -> None:
    result = run(tmp_path, "query", "--from", source, "--to", destination, "--port", "6379", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "allow"
    assert note in result.stderr


def test_a_service_destination_goes_through_its_translation(tmp_path: Path) -> None:
    """`--to svc/ns/name` is reached as kube-proxy translates it (docs/semantics.md#service-paths)."""
    result = run(tmp_path, "query", "--from", "default/web", "--to", "svc/default/redis", "--port", "6379", "-o", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["verdict"], out["service"]["id"]) == ("allow", "default/redis")
    assert [b["to"] for b in out["backends"]] == ["default/redis"]


def test_ends_by_label_selector_and_namespace(tmp_path: Path) -> None:
    result = run(tmp_path, "query", "--from-selector", "role=frontend", "--to-selector", "role=db,!canary",
                 "--to-namespace", "default", "--port", "6379", "-o", "json")
    assert result.exit_code == 0, result.output
    assert (json.loads(result.stdout)["from"], json.loads(result.stdout)["to"]) == (
        "default/web", "default/redis")


def test_a_selector_matching_several_lists_them(tmp_path: Path) -> None:
    result = run(tmp_path, "query", "--from-namespace", "default", "--to", "default/redis")
    assert result.exit_code == 2
    assert "--from: namespace default matches default/redis, default/web; narrow it to one endpoint" in result.stderr


def test_a_named_port_resolves_on_the_destination(tmp_path: Path) -> None:
    result = run(tmp_path, "query", "--from", "default/web", "--to", "default/redis", "--port", "redis", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["port"] == 6379


def test_an_unknown_named_port_lists_the_names(tmp_path: Path) -> None:
    result = run(tmp_path, "query", "--from", "default/redis", "--to", "default/web", "--port", "redis")
    assert result.exit_code == 2
    assert "--port: default/web has no port named 'redis' for this protocol (expected http)" in result.stderr


def test_an_unknown_name_suggests_the_endpoints_command(tmp_path: Path) -> None:
    result = run(tmp_path, "query", "--from", "default/wbe", "--to", "default/redis")
    assert result.exit_code == 2
    assert "did you mean default/web? (`netpolicy endpoints` lists them)" in result.stderr


def test_the_endpoints_command_lists_isolation(tmp_path: Path) -> None:
    result = run(tmp_path, "endpoints", "-o", "json")
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)["endpoints"]}
    assert rows["default/redis"]["isolation"] == {"ingress": ["default/test-network-policy"],
                                                  "egress": ["default/test-network-policy"]}
    assert rows["default/web"]["ports"] == [{"name": "http", "protocol": "TCP", "port": 8080}]
    text = run(tmp_path, "endpoints").stdout
    assert "default/redis" in text and "in eg" in text and "redis=TCP/6379" in text


def test_f_takes_several_paths_and_globs(tmp_path: Path) -> None:
    write_example(tmp_path)
    result = CliRunner().invoke(app, ["endpoints", "-f", *sorted(map(str, tmp_path.glob("*.yaml")))])
    assert result.exit_code == 0, result.output
    assert "2 endpoints" in result.stdout


def test_a_pod_name_to_a_service(tmp_path: Path) -> None:
    """The source is found as usual (pod names too) before the Service path is taken."""
    result = run(tmp_path, "query", "--from", "web-5d4f8c7b9-aaaaa", "--to", "svc/default/redis", "--port", "6379",
                 "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["from"] == "default/web"
