"""The bundled example reads cleanly into the cluster the article describes."""

from __future__ import annotations

from pathlib import Path

from netpolicy.errors import Diagnostics
from netpolicy.options import Options
from netpolicy.sources import build_cluster, read_objects


def test_trojanwall(example: Path) -> None:
    diags = Diagnostics()
    paths = [str(example / part) for part in ("manifests", "k8s-policies", "calico-policies")]
    objects = read_objects(paths, diags)
    cluster = build_cluster(objects, Options(), diags)
    assert diags.problems == []
    assert [(o.kind, o.name) for o in objects[:6]] == [
        ("Namespace", "trojanwall"), ("Deployment", "trojanwall-django"), ("Job", "trojanwall-db-migrate-job"),
        ("Deployment", "postgresql"), ("Service", "trojanwall-django"), ("Service", "postgresql")]
    assert sum(o.kind == "NetworkPolicy" for o in cluster.objects) == 7
    assert [(e.id, e.kind, dict(e.labels), e.env_refs_services) for e in cluster.endpoints] == [
        ("trojanwall/postgresql", "Deployment", {"app": "postgres-db", "tier": "postgreSQL"}, False),
        ("trojanwall/trojanwall-db-migrate-job", "Job", {"app": "django"}, True),
        ("trojanwall/trojanwall-django", "Deployment", {"app": "django"}, True),
    ]
    assert [str(ip) for e in cluster.endpoints for ip in e.ips] == ["10.244.0.1", "10.244.0.2", "10.244.0.3"]
    assert [s.id for s in cluster.services] == ["trojanwall/trojanwall-django", "trojanwall/postgresql"]
    deny_all = next(o for o in objects if o.name == "default-deny-all-network-policy")
    assert str(deny_all.at("spec.policyTypes[1]")).endswith("k8s-policies/app-db-default-deny.yaml:81")
