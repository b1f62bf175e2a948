"""The scale-test profile: the OpenShift scale test's 5/5/5/5/5 policy shape on labels the cluster really has."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import replace

import pytest
from bench.__main__ import main, results_section
from bench.generate import ensure_generated, generate, stamp_path
from bench.sizes import ClusterSpec, parse_sizes

from tests.bench.test_generate import file_bytes, read_objects

SCALE = ClusterSpec("tiny", 60, 16, 6, seed=5, calico=False, profile="scale-test")
NAMESPACE_NAME = "kubernetes.io/metadata.name"


def in_values(selector: dict, key: str) -> list[str]:
    """The values of the selector's single `key In (...)` expression."""
    (expression,) = selector["matchExpressions"]
    assert (expression["key"], expression["operator"]) == (key, "In")
    return expression["values"]


@pytest.fixture(scope="module")
def scale_cluster(tmp_path_factory) -> list[dict]:
    directory = tmp_path_factory.mktemp("scale")
    generate(SCALE, directory)
    return read_objects(directory)


def policies_of(objects: list[dict]) -> list[dict]:
    return [obj for obj in objects if obj["kind"] == "NetworkPolicy"]


def test_every_policy_has_five_ports_ranges_namespaces_pod_labels_and_cidrs(scale_cluster):
    policies = policies_of(scale_cluster)
    assert len(policies) == SCALE.policies
    for policy in policies:
        spec = policy["spec"]
        (direction,) = spec["policyTypes"]
        rules = spec[direction.lower()]
        peer_key = "from" if direction == "Ingress" else "to"
        selector_rules = [r for r in rules if "ipBlock" not in r[peer_key][0]]
        cidr_rules = [r for r in rules if "ipBlock" in r[peer_key][0]]
        (selector_rule,) = selector_rules
        (peer,) = selector_rule[peer_key]
        assert len(set(in_values(peer["namespaceSelector"], NAMESPACE_NAME))) == 5
        assert len(set(in_values(peer["podSelector"], "app"))) == 5
        assert len({r[peer_key][0]["ipBlock"]["cidr"] for r in cidr_rules}) == len(cidr_rules) == 5
        for rule in rules:
            singles = [p["port"] for p in rule["ports"] if "endPort" not in p]
            ranges = [(p["port"], p["endPort"]) for p in rule["ports"] if "endPort" in p]
            assert len(set(singles)) == 5 and len(set(ranges)) == 5
            assert all(start < end <= 65535 for start, end in ranges)
            assert {p["protocol"] for p in rule["ports"]} == {"TCP"}


def test_policies_alternate_directions_and_some_cidrs_have_exceptions(scale_cluster):
    policies = policies_of(scale_cluster)
    assert {p["spec"]["policyTypes"][0] for p in policies} == {"Ingress", "Egress"}
    blocks = [peer["ipBlock"] for p in policies for rule in p["spec"].get("ingress", []) + p["spec"].get("egress", [])
              for peer in rule.get("from", rule.get("to")) if "ipBlock" in peer]
    with_holes = [b for b in blocks if b.get("except")]
    assert 0 < len(with_holes) < len(blocks)
    for block in with_holes:
        net = ipaddress.ip_network(block["cidr"])
        assert all(ipaddress.ip_network(hole).subnet_of(net) and hole != block["cidr"] for hole in block["except"])


def test_selectors_name_namespaces_and_labels_that_exist(scale_cluster):
    namespaces = {obj["metadata"]["name"] for obj in scale_cluster if obj["kind"] == "Namespace"}
    pods = [obj for obj in scale_cluster if obj["kind"] == "Pod"]
    apps_by_namespace: dict[str, set[str]] = {}
    for pod in pods:
        if "app" in pod["metadata"]["labels"]:
            apps_by_namespace.setdefault(pod["metadata"]["namespace"], set()).add(pod["metadata"]["labels"]["app"])
    every_app = set().union(*apps_by_namespace.values())
    for policy in policies_of(scale_cluster):
        spec, namespace = policy["spec"], policy["metadata"]["namespace"]
        assert set(in_values(spec["podSelector"], "app")) <= apps_by_namespace[namespace]
        rules = spec.get("ingress", []) + spec.get("egress", [])
        (peer,) = rules[0].get("from", rules[0].get("to"))
        peer_namespaces = set(in_values(peer["namespaceSelector"], NAMESPACE_NAME))
        peer_apps = set(in_values(peer["podSelector"], "app"))
        assert peer_namespaces <= namespaces
        assert peer_apps <= every_app
        assert any(peer_apps & apps_by_namespace.get(ns, set()) for ns in peer_namespaces)


def test_some_cidrs_cover_real_pods(scale_cluster):
    addresses = [ipaddress.ip_address(obj["status"]["podIP"]) for obj in scale_cluster if obj["kind"] == "Pod"]
    cidrs = {peer["ipBlock"]["cidr"] for p in policies_of(scale_cluster)
             for rule in p["spec"].get("ingress", []) + p["spec"].get("egress", [])
             for peer in rule.get("from", rule.get("to")) if "ipBlock" in peer}
    covering = [c for c in cidrs if any(a in ipaddress.ip_network(c) for a in addresses)]
    assert covering and len(covering) < len(cidrs)


def test_same_seed_writes_identical_files_and_another_seed_another_cluster(tmp_path):
    generate(SCALE, tmp_path / "a")
    generate(SCALE, tmp_path / "b")
    generate(replace(SCALE, seed=6), tmp_path / "c")
    assert file_bytes(tmp_path / "a") == file_bytes(tmp_path / "b")
    assert file_bytes(tmp_path / "a")["networkpolicies.yaml"] != file_bytes(tmp_path / "c")["networkpolicies.yaml"]


def test_profile_changes_only_the_policies(tmp_path):
    generate(replace(SCALE, profile="mixed"), tmp_path / "mixed")
    generate(SCALE, tmp_path / "scale")
    mixed, scale = file_bytes(tmp_path / "mixed"), file_bytes(tmp_path / "scale")
    for name in ("namespaces.yaml", "pods.yaml", "services.yaml"):
        assert mixed[name] == scale[name]
    assert mixed["networkpolicies.yaml"] != scale["networkpolicies.yaml"]


@pytest.mark.parametrize(("spec", "variant"), [
    (parse_sizes("500")[0], "500-calico"),
    (parse_sizes("500")[0].kubernetes_only(), "500-k8s"),
    (parse_sizes("500", "scale-test")[0].kubernetes_only(), "500-k8s-scale-test"),
    (parse_sizes("1k", "scale-test")[0], "1k-calico-scale-test"),
    (parse_sizes("30/6/5", "scale-test")[0], "30p6n5-calico-scale-test"),
])
def test_profile_names_the_directory(spec, variant):
    assert spec.variant == variant


def test_each_profile_has_its_own_cache(tmp_path):
    mixed = ensure_generated(replace(SCALE, profile="mixed"), tmp_path)
    scale = ensure_generated(SCALE, tmp_path)
    assert mixed.directory != scale.directory
    assert json.loads(stamp_path(SCALE, tmp_path).read_text())["spec"]["profile"] == "scale-test"
    assert ensure_generated(replace(SCALE, profile="mixed"), tmp_path) == mixed


def test_unknown_profile_and_too_few_namespaces_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown profile"):
        parse_sizes("500", "huge")
    with pytest.raises(ValueError, match="unknown profile"):
        generate(replace(SCALE, profile="huge"), tmp_path / "x")
    with pytest.raises(ValueError, match="at least 5 namespaces"):
        generate(ClusterSpec("x", 20, 4, 4, profile="scale-test"), tmp_path / "y")


def test_generate_command_takes_the_profile(tmp_path):
    assert main(["generate", "--sizes", "30/6/5", "--out", str(tmp_path), "--k8s-only", "--profile", "scale-test"]) == 0
    assert (tmp_path / "30p6n5-k8s-scale-test" / "networkpolicies.yaml").is_file()
    assert not (tmp_path / "30p6n5-k8s").exists()


@pytest.mark.parametrize(("command", "profile", "section", "invocation"), [
    ("bench", "mixed", "bench", "`make bench`"),
    ("compare", "mixed", "compare", "`make bench-compare`"),
    ("bench", "scale-test", "bench-scale-test", '`make bench BENCH_ARGS="--profile scale-test"`'),
    ("compare", "scale-test", "compare-scale-test", '`make bench-compare BENCH_ARGS="--profile scale-test"`'),
])
def test_each_profile_writes_its_own_results_section(command, profile, section, invocation):
    name, heading = results_section(command, profile)
    assert name == section
    assert heading.startswith(f"## {invocation}: profile `{profile}`")
