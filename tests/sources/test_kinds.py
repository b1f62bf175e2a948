"""The registry of kinds read: every kind of INTERFACES.md "Inputs", its scope and family."""

from __future__ import annotations

import pytest

from netpolicy.errors import Location
from netpolicy.sources import kinds
from netpolicy.sources.raw import RawObject

CALICO_KINDS = [
    ("NetworkPolicy", True), ("GlobalNetworkPolicy", False), ("NetworkSet", True), ("GlobalNetworkSet", False),
    ("Tier", False), ("Profile", False), ("HostEndpoint", False), ("IPPool", False), ("StagedNetworkPolicy", True),
    ("StagedGlobalNetworkPolicy", False), ("StagedKubernetesNetworkPolicy", True),
]

EXPECTED = [
    ("v1", "Namespace", False, kinds.CORE),
    ("v1", "Service", True, kinds.CORE),
    ("v1", "ServiceAccount", True, kinds.CORE),
    ("v1", "Node", False, kinds.CORE),
    ("discovery.k8s.io/v1", "EndpointSlice", True, kinds.CORE),
    ("v1", "Pod", True, kinds.WORKLOAD),
    ("v1", "ReplicationController", True, kinds.WORKLOAD),
    ("apps/v1", "Deployment", True, kinds.WORKLOAD),
    ("apps/v1", "StatefulSet", True, kinds.WORKLOAD),
    ("apps/v1", "DaemonSet", True, kinds.WORKLOAD),
    ("apps/v1", "ReplicaSet", True, kinds.WORKLOAD),
    ("batch/v1", "Job", True, kinds.WORKLOAD),
    ("batch/v1", "CronJob", True, kinds.WORKLOAD),
    ("networking.k8s.io/v1", "NetworkPolicy", True, kinds.K8S_POLICY),
    *[(version, kind, namespaced, kinds.CALICO)
      for version in ("projectcalico.org/v3", "crd.projectcalico.org/v1") for kind, namespaced in CALICO_KINDS],
    ("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy", False, kinds.ADMIN),
    ("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy", False, kinds.ADMIN),
    ("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy", False, kinds.ADMIN),
]


def raw(api_version: str, kind: str, namespace: str | None = None) -> RawObject:
    metadata = {"name": "x", **({"namespace": namespace} if namespace else {})}
    return RawObject({"apiVersion": api_version, "kind": kind, "metadata": metadata}, Location("f.yaml", 1))


@pytest.mark.parametrize("api_version, kind, namespaced, family", EXPECTED)
def test_every_kind_read(api_version: str, kind: str, namespaced: bool, family: str) -> None:
    info = kinds.lookup(api_version, kind)
    assert info is not None
    assert (info.kind, info.namespaced, info.family) == (kind, namespaced, family)
    assert kinds.classify(raw(api_version, kind)) == family


def test_no_other_kind_is_registered() -> None:
    registered = {(v, info.kind) for info in kinds.KINDS for v in info.api_versions}
    assert registered == {(v, k) for v, k, _, _ in EXPECTED}


@pytest.mark.parametrize("api_version, kind", [
    ("v1", "ConfigMap"), ("extensions/v1beta1", "Deployment"), ("batch/v1beta1", "CronJob"),
    ("networking.k8s.io/v1beta1", "NetworkPolicy"), ("v1", "List"), ("apps/v1", "Pod"), ("", ""),
])
def test_unknown(api_version: str, kind: str) -> None:
    assert kinds.lookup(api_version, kind) is None
    assert kinds.classify(raw(api_version, kind)) is None


def test_calico_v3_and_crd_objects_are_the_same_objects() -> None:
    v3 = kinds.lookup("projectcalico.org/v3", "NetworkPolicy")
    crd = kinds.lookup("crd.projectcalico.org/v1", "NetworkPolicy")
    k8s = kinds.lookup("networking.k8s.io/v1", "NetworkPolicy")
    assert v3 is crd
    assert v3 and k8s and v3.identity_group != k8s.identity_group


@pytest.mark.parametrize("api_version, kind, namespace, expected", [
    ("v1", "Pod", None, "default"),
    ("v1", "Pod", "web", "web"),
    ("projectcalico.org/v3", "GlobalNetworkPolicy", "web", None),
    ("v1", "Namespace", None, None),
    ("v1", "ConfigMap", "web", None),
])
def test_effective_namespace(api_version: str, kind: str, namespace: str | None, expected: str | None) -> None:
    assert kinds.effective_namespace(raw(api_version, kind, namespace)) == expected


def test_known_versions() -> None:
    assert kinds.known_versions("NetworkPolicy") == (
        "networking.k8s.io/v1", "projectcalico.org/v3", "crd.projectcalico.org/v1")
    assert kinds.known_versions("ConfigMap") == ()
