"""selects-host-network: hostNetwork pods have no workload endpoint (Calico's CNI plugin is never called for
them; `docs/semantics.md#nodes`), so a policy that selects only them has no effect."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, shop

RULE = "selects-host-network"


def host_pod(name: str, labels: dict, host_network: bool = True) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop", "labels": labels},
            "spec": {"nodeName": "node-a", "hostNetwork": host_network, "containers": [{"name": "c"}]},
            "status": {"phase": "Running", "podIP": "172.18.0.2"}}


EXPORTER = host_pod("exporter", {"app": "exporter"})
ON_EXPORTER = k8s_policy("exporter", {"podSelector": {"matchLabels": {"app": "exporter"}}, "policyTypes": ["Ingress"]})


@pytest.mark.parametrize("documents", [
    shop(EXPORTER, ON_EXPORTER),
    shop(EXPORTER, calico_policy("c", {"selector": "app == 'exporter'", "ingress": [{"action": "Allow"}]})),
], ids=["NetworkPolicy", "Calico NetworkPolicy"])
def test_hit(documents):
    (finding,) = lint(documents, RULE)
    assert "shop/exporter" in finding.message and "no effect" in finding.message


def test_selects_nothing_leaves_it_to_this_rule():
    assert lint(shop(EXPORTER, ON_EXPORTER), "selects-nothing") == []


@pytest.mark.parametrize("documents", [
    shop(host_pod("exporter", {"app": "exporter"}, host_network=False), ON_EXPORTER),  # a real pod
    shop(EXPORTER, k8s_policy("all", {"podSelector": {}, "policyTypes": ["Ingress"]})),  # selects web and db too
    shop(ON_EXPORTER),                                                                   # no hostNetwork pod
], ids=["not hostNetwork", "selects workload endpoints too", "no hostNetwork pod"])
def test_miss(documents):
    assert lint(documents, RULE) == []
