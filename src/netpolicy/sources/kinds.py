"""The object kinds netpolicy reads: API group, scope and family of each, and how to classify an object."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from netpolicy.sources.raw import RawObject

# Families of kinds.
CORE = "core"  # Namespace, Service, ServiceAccount, Node, EndpointSlice
WORKLOAD = "workload"  # Pod and the controllers that make pods
K8S_POLICY = "k8s-policy"  # networking.k8s.io/v1 NetworkPolicy
CALICO = "calico"  # projectcalico.org/v3 and crd.projectcalico.org/v1 resources
ADMIN = "admin"  # policy.networking.k8s.io ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy

DEFAULT_NAMESPACE = "default"

CALICO_API_VERSIONS = ("projectcalico.org/v3", "crd.projectcalico.org/v1")


@dataclass(frozen=True)
class KindInfo:
    """One kind as read: its API versions, whether objects live in a namespace, and its family."""

    kind: str
    api_versions: tuple[str, ...]
    namespaced: bool
    family: str

    @cached_property
    def identity_group(self) -> str:
        """The group that names the object: Calico's v3 API and its CRDs are the same objects."""
        return CALICO if self.family == CALICO else self.api_versions[0].rpartition("/")[0]


def _kinds(api_versions: tuple[str, ...], family: str, namespaced: dict[str, bool]) -> list[KindInfo]:
    return [KindInfo(kind, api_versions, is_namespaced, family) for kind, is_namespaced in namespaced.items()]


KINDS: tuple[KindInfo, ...] = tuple(
    _kinds(("v1",), CORE, {"Namespace": False, "Service": True, "ServiceAccount": True, "Node": False})
    + _kinds(("discovery.k8s.io/v1",), CORE, {"EndpointSlice": True})
    + _kinds(("v1",), WORKLOAD, {"Pod": True, "ReplicationController": True})
    + _kinds(("apps/v1",), WORKLOAD,
             {"Deployment": True, "StatefulSet": True, "DaemonSet": True, "ReplicaSet": True})
    + _kinds(("batch/v1",), WORKLOAD, {"Job": True, "CronJob": True})
    + _kinds(("networking.k8s.io/v1",), K8S_POLICY, {"NetworkPolicy": True})
    + _kinds(CALICO_API_VERSIONS, CALICO, {
        "NetworkPolicy": True, "GlobalNetworkPolicy": False, "NetworkSet": True,
        "GlobalNetworkSet": False, "Tier": False, "Profile": False, "HostEndpoint": False,
        "IPPool": False, "StagedNetworkPolicy": True, "StagedGlobalNetworkPolicy": False,
        "StagedKubernetesNetworkPolicy": True,
    })
    + _kinds(("policy.networking.k8s.io/v1alpha1",), ADMIN,
             {"AdminNetworkPolicy": False, "BaselineAdminNetworkPolicy": False})
    + _kinds(("policy.networking.k8s.io/v1alpha2",), ADMIN, {"ClusterNetworkPolicy": False})
)

_BY_VERSION_AND_KIND: dict[tuple[str, str], KindInfo] = {
    (api_version, info.kind): info for info in KINDS for api_version in info.api_versions
}
_BY_KIND: dict[str, list[KindInfo]] = {}
for _info in KINDS:
    _BY_KIND.setdefault(_info.kind, []).append(_info)


def lookup(api_version: str, kind: str) -> KindInfo | None:
    """The registered kind for `apiVersion` and `kind`, or None when netpolicy does not read it."""
    return _BY_VERSION_AND_KIND.get((api_version, kind))


def kind_info(obj: RawObject) -> KindInfo | None:
    """The registered kind of `obj`, or None."""
    data = obj.data
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if api_version.__class__ is str and kind.__class__ is str:
        return _BY_VERSION_AND_KIND.get((api_version, kind))
    return _BY_VERSION_AND_KIND.get((obj.api_version, obj.kind))


def classify(obj: RawObject) -> str | None:
    """The family of `obj`: CORE, WORKLOAD, K8S_POLICY, CALICO, ADMIN, or None for an unknown kind."""
    info = kind_info(obj)
    return info.family if info else None


def known_versions(kind: str) -> tuple[str, ...]:
    """The API versions under which netpolicy reads a kind of this name (empty if none)."""
    return tuple(v for info in _BY_KIND.get(kind, ()) for v in info.api_versions)


def effective_namespace(obj: RawObject) -> str | None:
    """The namespace a namespaced object lives in (`default` when unset); None for cluster-scoped kinds."""
    info = kind_info(obj)
    if info is None or not info.namespaced:
        return None
    return obj.namespace or DEFAULT_NAMESPACE
