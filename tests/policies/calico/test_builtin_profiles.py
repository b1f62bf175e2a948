"""Built-in profiles: one per namespace and per service account in use, in name order, with their labels."""

from __future__ import annotations

import pytest

from netpolicy.api import load_documents
from netpolicy.model.cluster import HOST_ENDPOINT, NETWORK_SET, Cluster, Endpoint, Namespace, ServiceAccount
from netpolicy.policies.calico.profiles import builtin_compiled_profiles, builtin_profiles


def endpoint(namespace: str | None, kind: str = "Pod", account: str | None = None) -> Endpoint:
    return Endpoint(f"{namespace}/x", kind, "x", namespace, {}, {}, service_account=account)


@pytest.mark.parametrize("cluster, names", [
    (Cluster(), ["projectcalico-default-allow"]),
    (Cluster(namespaces={"b": Namespace("b", {}), "a": Namespace("a", {})}),
     ["kns.a", "kns.b", "projectcalico-default-allow"]),
    (Cluster(endpoints=[endpoint("z", account="web"), endpoint("y")]),
     ["kns.y", "kns.z", "ksa.y.default", "ksa.z.web", "projectcalico-default-allow"]),
    (Cluster(endpoints=[endpoint(None, HOST_ENDPOINT), endpoint("n", NETWORK_SET)]),
     ["kns.n", "ksa.n.default", "projectcalico-default-allow"]),
    (Cluster(service_accounts={("q", "bot"): ServiceAccount("q", "bot", {"r": "1"})},
             endpoints=[endpoint("q", HOST_ENDPOINT, "ignored")]),
     ["kns.q", "ksa.q.bot", "projectcalico-default-allow"]),
])
def test_names_in_order(cluster: Cluster, names: list[str]) -> None:
    assert list(builtin_profiles(cluster)) == names
    compiled = builtin_compiled_profiles(cluster)
    assert list(compiled) == names
    assert {name: c.policy for name, c in compiled.items()} == builtin_profiles(cluster)


def test_labels_they_apply() -> None:
    cluster = Cluster(namespaces={"a": Namespace("a", {"team": "t"})},
                      service_accounts={("a", "bot"): ServiceAccount("a", "bot", {"r": "1"})},
                      endpoints=[endpoint("other")])
    labels = {name: dict(c.labels_to_apply) for name, c in builtin_compiled_profiles(cluster).items()}
    assert labels == {
        "kns.a": {"pcns.team": "t", "pcns.projectcalico.org/name": "a"},
        "kns.other": {"pcns.kubernetes.io/metadata.name": "other", "pcns.projectcalico.org/name": "other"},
        "ksa.a.bot": {"pcsa.r": "1", "pcsa.projectcalico.org/name": "bot"},
        "ksa.other.default": {"pcsa.projectcalico.org/name": "default"},
        "projectcalico-default-allow": {},
    }


def test_every_profile_has_rules_of_its_own() -> None:
    """Rules are told apart by identity (lint counts their uses), so no two profiles share one."""
    cluster = Cluster(namespaces={n: Namespace(n, {}) for n in ("a", "b", "c")})
    rules = [rule for policy in builtin_profiles(cluster).values() for rule in policy.ingress + policy.egress]
    assert len(rules) == len({id(rule) for rule in rules}) == 8


def test_a_loaded_cluster_has_the_profiles_of_its_network_sets_namespaces() -> None:
    cluster = load_documents([
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"}},
        {"apiVersion": "projectcalico.org/v3", "kind": "NetworkSet", "metadata": {"name": "s", "namespace": "b"},
         "spec": {"nets": ["10.0.0.0/8"]}},
    ])
    assert list(cluster.profiles) == ["kns.a", "kns.b", "ksa.a.default", "ksa.b.default",
                                      "projectcalico-default-allow"]
