"""Calico's own Pod → WorkloadEndpoint and Namespace/ServiceAccount → Profile vectors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from netpolicy.errors import Diagnostics, Location
from netpolicy.model.protocols import NAME_BY_NUMBER
from netpolicy.options import Options
from netpolicy.sources import build_cluster
from netpolicy.sources.raw import RawObject

PROFILE_PREFIXES = ("pcns.", "pcsa.")
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"


def vectors(conformance: Path, section: str) -> list[dict[str, Any]]:
    return json.loads((conformance / "calico-k8s-conversion.json").read_text())[section]


def raw(obj: dict[str, Any]) -> RawObject:
    return RawObject({"apiVersion": "v1", **obj}, Location("vector.json"))


@pytest.mark.parametrize("index", [0, 1])
def test_pod_to_endpoint(conformance: Path, index: int) -> None:
    case = vectors(conformance, "k8s_pod_to_endpoint")[index]
    pod, expected = case["input"], case["expected"]
    # Calico's fixture names the pod `podA`, which the API server rejects (names are DNS-1123 subdomains).
    pod = {**pod, "metadata": {**pod["metadata"], "name": pod["metadata"]["name"].lower()}}
    diags = Diagnostics()
    [endpoint] = build_cluster([raw(pod)], Options(), diags).endpoints
    own_labels = {k: v for k, v in endpoint.selector_labels.items() if not k.startswith(PROFILE_PREFIXES)}
    expected_labels = dict(expected["labels"])
    account = pod["spec"].get("serviceAccountName")
    if account is None:
        # The API server gives every pod `serviceAccountName: default`; Calico's test pod skipped that.
        expected_labels[SERVICE_ACCOUNT_LABEL] = "default"
        assert endpoint.service_account == "default"
    else:
        assert endpoint.service_account == expected["serviceAccountName"]
        assert len(endpoint.profiles) == expected["profilesCount"]
    assert own_labels == expected_labels
    if "ipNetworks" in expected:
        assert [f"{ip}/32" for ip in endpoint.ips] == expected["ipNetworks"]
    if "ports_unordered" in expected:
        ours = Counter((p.name, NAME_BY_NUMBER[p.protocol].lower(), p.port) for p in endpoint.ports if p.name)
        theirs = Counter((p["name"], p["protocol"], p["port"]) for p in expected["ports_unordered"] if "name" in p)
        assert ours == theirs
        # Calico keeps unnamed ports only when they have a hostPort; the model keeps every container port.
        unnamed = {(NAME_BY_NUMBER[p.protocol].lower(), p.port) for p in endpoint.ports if not p.name}
        assert {(p["protocol"], p["port"]) for p in expected["ports_unordered"] if "name" not in p} <= unnamed
        assert [w.path for w in diags.warnings] == ["spec.containers[1].ports[6].protocol"]  # "unknown" dropped


def test_profiles_give_their_labels_to_endpoints(conformance: Path) -> None:
    namespace_case, account_case = vectors(conformance, "k8s_profiles")
    namespace, account = namespace_case["input"], account_case["input"]
    pod = {"kind": "Pod", "metadata": {"name": "p", "namespace": namespace["metadata"]["name"]},
           "spec": {"serviceAccountName": account["metadata"]["name"]}}
    cluster = build_cluster([raw(namespace), raw(account), raw(pod)], Options(), Diagnostics())
    [endpoint] = cluster.endpoints
    for case in (namespace_case, account_case):
        for key, value in case["expected"]["labelsToApply_includes"].items():
            assert endpoint.selector_labels[key] == value
    assert endpoint.profiles == (namespace_case["expected"]["name"], account_case["expected"]["name"])
