"""A whole-cluster dump: every pod folds into its Deployment through its ReplicaSet."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from netpolicy.errors import Diagnostics
from netpolicy.options import Options
from netpolicy.sources import build_cluster, read_objects

from .synthetic import deployment_dump, dump_text

NAMESPACES, DEPLOYMENTS, REPLICAS = 4, 25, 6


def check(cluster, diags: Diagnostics) -> None:  # type: ignore[no-untyped-def]
    assert diags.problems == []
    assert len(cluster.endpoints) == NAMESPACES * DEPLOYMENTS
    assert {e.kind for e in cluster.endpoints} == {"Deployment"}
    assert all(len(e.ips) == REPLICAS and e.ip_assigned and e.replicas == REPLICAS for e in cluster.endpoints)
    addresses = [ip for e in cluster.endpoints for ip in e.ips]
    assert len(set(addresses)) == NAMESPACES * DEPLOYMENTS * REPLICAS
    assert all(e.env_refs_services is False for e in cluster.endpoints)  # no Services in the dump
    web = cluster.endpoint("ns-2/app-3")
    assert web is not None and web.selector_labels["pcns.team"] == "t2"


def test_json_dump() -> None:
    diags = Diagnostics()
    objects = read_objects(["-"], diags, stdin=io.StringIO(dump_text(NAMESPACES, DEPLOYMENTS, REPLICAS)))
    assert len(objects) == NAMESPACES * (1 + DEPLOYMENTS * (2 + REPLICAS))
    check(build_cluster(objects, Options(), diags), diags)


def test_yaml_dump(tmp_path: Path) -> None:
    path = tmp_path / "dump.yaml"
    path.write_text(yaml.safe_dump(deployment_dump(NAMESPACES, DEPLOYMENTS, REPLICAS)))
    diags = Diagnostics()
    objects = read_objects([str(path)], diags)
    check(build_cluster(objects, Options(), diags), diags)
    pod = next(o for o in objects if o.kind == "Pod")
    assert pod.line("status.podIPs[0].ip") > pod.location.line
