"""The cluster generator: deterministic per seed, the counts asked for, and input the loader reads cleanly."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from bench.generate import ensure_generated, generate, stamp_path
from bench.sizes import POD_CIDR, SIZES, ClusterSpec, parse_sizes

TINY = ClusterSpec("tiny", 50, 12, 5, seed=7)
POLICY_KINDS = {"NetworkPolicy", "GlobalNetworkPolicy"}


def read_objects(directory: Path) -> list[dict]:
    """Every object in a generated directory, parsed independently of netpolicy."""
    objects = []
    for path in sorted(directory.iterdir()):
        if path.suffix == ".yaml":
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
        else:
            objects.extend(json.loads(path.read_text())["items"])
    return objects


def file_bytes(directory: Path) -> dict[str, bytes]:
    """Each file's content by name."""
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.mark.parametrize("file_format", ["yaml", "json"])
@pytest.mark.parametrize("calico", [True, False])
def test_same_seed_writes_identical_files(tmp_path, file_format, calico):
    spec = replace(TINY, file_format=file_format, calico=calico)
    generate(spec, tmp_path / "a")
    generate(spec, tmp_path / "b")
    assert file_bytes(tmp_path / "a") == file_bytes(tmp_path / "b")


def test_another_seed_writes_another_cluster(tmp_path):
    generate(TINY, tmp_path / "a")
    generate(replace(TINY, seed=8), tmp_path / "b")
    first, second = file_bytes(tmp_path / "a"), file_bytes(tmp_path / "b")
    assert first.keys() == second.keys()
    assert first != second


@pytest.mark.parametrize("calico", [True, False])
def test_counts_are_the_ones_asked_for(tmp_path, calico):
    spec = replace(TINY, calico=calico)
    generated = generate(spec, tmp_path / "c")
    objects = read_objects(tmp_path / "c")
    kinds = [obj["kind"] for obj in objects]
    assert kinds.count("Pod") == spec.pods == generated.pods
    assert kinds.count("Namespace") == spec.namespaces == generated.namespaces
    assert sum(kind in POLICY_KINDS for kind in kinds) == spec.policies == generated.policies
    calico_objects = [obj for obj in objects if obj["apiVersion"].startswith("projectcalico.org/")]
    assert bool(calico_objects) is calico
    assert generated.calico_policies == sum(obj["kind"] in POLICY_KINDS for obj in calico_objects)


def test_pods_carry_addresses_in_the_pod_network_and_unique_names(tmp_path):
    import ipaddress

    generate(TINY, tmp_path / "c")
    pods = [obj for obj in read_objects(tmp_path / "c") if obj["kind"] == "Pod"]
    network = ipaddress.ip_network(POD_CIDR)
    addresses = [pod["status"]["podIP"] for pod in pods]
    assert len(set(addresses)) == len(pods)
    assert all(ipaddress.ip_address(a) in network for a in addresses)
    assert len({(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods}) == len(pods)


def test_kubernetes_only_variant_keeps_the_same_cluster(tmp_path):
    generate(TINY, tmp_path / "calico")
    generate(TINY.kubernetes_only(), tmp_path / "k8s")
    calico, k8s = file_bytes(tmp_path / "calico"), file_bytes(tmp_path / "k8s")
    assert "calico.yaml" in calico and "calico.yaml" not in k8s
    for name in ("namespaces.yaml", "pods.yaml", "services.yaml"):
        assert calico[name] == k8s[name]
    objects = read_objects(tmp_path / "k8s")
    assert sum(obj["kind"] == "NetworkPolicy" for obj in objects) == TINY.policies


def test_workloads_form_writes_deployments_and_statefulsets_with_the_replicas(tmp_path):
    generated = generate(replace(TINY, form="workloads"), tmp_path / "w")
    workloads = [obj for obj in read_objects(tmp_path / "w") if obj["kind"] in ("Deployment", "StatefulSet")]
    assert {w["kind"] for w in workloads} == {"Deployment", "StatefulSet"}
    assert sum(w["spec"]["replicas"] for w in workloads) == TINY.pods
    assert generated.endpoints == len(workloads)


def test_json_lists_hold_one_object_per_line(tmp_path):
    generate(replace(TINY, file_format="json"), tmp_path / "j")
    text = (tmp_path / "j" / "pods.json").read_text()
    document = json.loads(text)
    assert document["kind"] == "List"
    assert len(text.splitlines()) == len(document["items"]) + 2


def test_cache_is_reused_until_the_spec_changes(tmp_path):
    first = ensure_generated(TINY, tmp_path)
    pods_file = Path(first.directory) / "pods.yaml"
    written = pods_file.stat().st_mtime_ns
    assert ensure_generated(TINY, tmp_path) == first
    assert pods_file.stat().st_mtime_ns == written
    other = replace(TINY, seed=9)
    assert ensure_generated(other, tmp_path).directory == first.directory
    assert json.loads(stamp_path(other, tmp_path).read_text())["spec"]["seed"] == 9


@pytest.mark.parametrize("spec", [
    TINY,
    TINY.kubernetes_only(),
    replace(TINY, file_format="json"),
    replace(TINY, form="workloads"),
    replace(TINY, profile="scale-test"),
    replace(TINY, profile="scale-test", calico=False),
    replace(TINY, profile="scale-test", calico=False, file_format="json"),
    replace(TINY, profile="scale-test", calico=False, form="workloads"),
], ids=["calico-yaml", "k8s-yaml", "calico-json", "workloads", "scale-test-calico-yaml", "scale-test-k8s-yaml",
        "scale-test-k8s-json", "scale-test-workloads"])
def test_loader_reads_generated_clusters_without_problems(tmp_path, spec):
    from netpolicy.api import load_cluster
    from netpolicy.options import Options

    generated = generate(spec, tmp_path / "c")
    cluster = load_cluster([generated.directory], Options(pod_cidr=POD_CIDR))
    assert cluster.warnings == ()
    assert len(cluster.policies) == spec.policies
    policed = [e for e in cluster.endpoints if e.policed]
    assert len(policed) == generated.endpoints


def test_named_sizes_and_custom_sizes():
    assert [s.name for s in parse_sizes("500, 1k,150k")] == ["500", "1k", "150k"]
    assert SIZES["150k"].namespaces == 10_000 and SIZES["150k"].policies == 10_000
    custom = parse_sizes("2000/300/40")[0]
    assert (custom.pods, custom.policies, custom.namespaces) == (2000, 300, 40)
    with pytest.raises(ValueError, match="unknown size"):
        parse_sizes("2k")


@pytest.mark.parametrize(("pods", "expected"), [(500, "yaml"), (2000, "yaml"), (10_000, "json")])
def test_small_sizes_are_yaml_and_large_ones_json(pods, expected):
    assert ClusterSpec("x", pods, 10, 5).format == expected


def test_too_few_namespaces_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 3 namespaces"):
        generate(ClusterSpec("x", 10, 2, 2), tmp_path / "x")
