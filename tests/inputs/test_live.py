"""Live clusters, read-only, against a fake API server on 127.0.0.1 (no cluster needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netpolicy.cli import app
from netpolicy.errors import Diagnostics, InputError
from netpolicy.sources.live import LiveSource, read_cluster, resources

from .fake_api import FakeApi, forbidden, kubeconfig, listing

# The objects of the Kubernetes docs' NetworkPolicy walkthrough (kubernetes.io/docs/concepts/services-networking/
# network-policies/, content/en/examples/service/networking/networkpolicy.yaml), as `kubectl get -o json` lists them.
NAMESPACES = [{"metadata": {"name": "default", "labels": {"kubernetes.io/metadata.name": "default"}}}]
PODS = [
    {"metadata": {"name": "db-0", "namespace": "default", "labels": {"role": "db"}},
     "spec": {"containers": [{"name": "db", "ports": [{"containerPort": 6379, "name": "redis"}]}]},
     "status": {"podIP": "10.244.0.5"}},
    {"metadata": {"name": "frontend-5d4f-aaaaa", "namespace": "default", "labels": {"role": "frontend"}},
     "spec": {"containers": [{"name": "web"}]}, "status": {"podIP": "10.244.0.6"}},
]
POLICIES = [{"metadata": {"name": "test-network-policy", "namespace": "default"},
             "spec": {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "frontend"}}}],
                                   "ports": [{"protocol": "TCP", "port": 6379}]}]}}]


def routes(namespace: str | None = None, **override: tuple[int, dict]) -> dict[str, tuple[int, dict]]:
    table = {
        "/api/v1/namespaces": listing("Namespace", NAMESPACES),
        "/api/v1/pods": listing("Pod", PODS),
        "/apis/networking.k8s.io/v1/networkpolicies": listing("NetworkPolicy", POLICIES),
    }
    for resource in resources():  # every other core kind answers with an empty list
        if resource.info.family not in ("calico", "admin"):
            table.setdefault(resource.path(namespace), listing(resource.info.kind, []))
    table.update(override)
    return table


def test_a_live_cluster_reads_like_files_with_cluster_locations(tmp_path: Path) -> None:
    with FakeApi(routes()) as api:
        diags = Diagnostics()
        objects = read_cluster(LiveSource(str(kubeconfig(tmp_path / "kc", api.url))), diags)
    assert {o.location.file for o in objects if o.kind == "NetworkPolicy"} == {
        "cluster:kind-dev/NetworkPolicy/default/test-network-policy"}
    assert {m for m, _ in api.requests} == {"GET"}  # read-only
    assert all("limit=500" in path for _, path in api.requests)
    [note] = [str(p) for p in diags.warnings]
    assert note.startswith("cluster:kind-dev: not served by this cluster (CRD not installed), skipped: "
                           "NetworkPolicy (crd.projectcalico.org/v1), GlobalNetworkPolicy")


def test_query_on_a_live_cluster_through_the_cli(tmp_path: Path) -> None:
    with FakeApi(routes()) as api:
        config = str(kubeconfig(tmp_path / "kc", api.url))
        args = ["query", "--kubeconfig", config, "--from", "default/frontend-5d4f-aaaaa", "--to", "default/db-0",
                "--port", "6379", "-o", "json"]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "allow"


def test_a_namespace_scopes_the_lists(tmp_path: Path) -> None:
    scoped = {"/api/v1/namespaces/default/pods": listing("Pod", PODS),
              "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies": listing("NetworkPolicy", POLICIES)}
    with FakeApi(routes("default", **scoped)) as api:
        objects = read_cluster(LiveSource(str(kubeconfig(tmp_path / "kc", api.url)), namespace="default"),
                               Diagnostics())
    assert sorted(o.name for o in objects if o.kind in ("Pod", "NetworkPolicy")) == [
        "db-0", "frontend-5d4f-aaaaa", "test-network-policy"]
    assert ("GET", "/api/v1/namespaces/default/pods?limit=500") in api.requests


def test_forbidden_names_the_verb_and_resource(tmp_path: Path) -> None:
    denied = {"/apis/networking.k8s.io/v1/networkpolicies": forbidden("networkpolicies")}
    with FakeApi(routes(**denied)) as api, pytest.raises(InputError) as caught:
        read_cluster(LiveSource(str(kubeconfig(tmp_path / "kc", api.url))), Diagnostics())
    assert str(caught.value) == (
        "cluster:kind-dev: forbidden: list networkpolicies.networking.k8s.io in all namespaces (HTTP 403); "
        "netpolicy only lists, so the account needs the list verb on networkpolicies; "
        "check with `kubectl auth can-i list networkpolicies.networking.k8s.io -A`")


def test_a_forbidden_cluster_scoped_kind_under_a_namespace_is_a_warning(tmp_path: Path) -> None:
    denied = {"/api/v1/namespaces": forbidden("namespaces"),
              "/api/v1/namespaces/default/pods": listing("Pod", PODS)}
    with FakeApi(routes("default", **denied)) as api:
        diags = Diagnostics()
        read_cluster(LiveSource(str(kubeconfig(tmp_path / "kc", api.url)), namespace="default"), diags)
    assert "cluster:kind-dev: forbidden: list namespaces (cluster-scoped); read without it" in map(str, diags.warnings)


def test_an_unreachable_cluster_is_one_clear_error(tmp_path: Path) -> None:
    with FakeApi({}) as api:
        url = api.url  # the port is free once the server is gone
    config = str(kubeconfig(tmp_path / "kc", url))
    result = CliRunner().invoke(app, ["matrix", "--kubeconfig", config])
    assert result.exit_code == 2
    assert "cannot reach the cluster of context 'kind-dev'" in result.output


def test_an_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    config = str(kubeconfig(tmp_path / "kc", "http://127.0.0.1:9"))
    result = CliRunner().invoke(app, ["matrix", "--kubeconfig", config, "--context", "prod"])
    assert result.exit_code == 2
    assert "--context: no context 'prod' in the kubeconfig (expected kind-dev)" in result.output
