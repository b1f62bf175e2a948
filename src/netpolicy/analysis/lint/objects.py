"""Which input objects are which: Kubernetes or Calico policies, and where each lists its directions."""

from __future__ import annotations

from netpolicy.sources.raw import RawObject

K8S_POLICY_GROUP = "networking.k8s.io"
CALICO_GROUPS = ("projectcalico.org", "crd.projectcalico.org")
CALICO_POLICY_KINDS = ("NetworkPolicy", "GlobalNetworkPolicy")
ADMIN_GROUP = "policy.networking.k8s.io"


def is_k8s_policy(raw: RawObject) -> bool:
    """A `networking.k8s.io` NetworkPolicy."""
    return raw.kind == "NetworkPolicy" and raw.group == K8S_POLICY_GROUP


def types_field(raw: RawObject) -> str:
    """Where the policy lists its directions: `policyTypes` (Kubernetes) or `types` (Calico)."""
    return "policyTypes" if is_k8s_policy(raw) else "types"


def is_calico_policy(raw: RawObject) -> bool:
    """An enforced Calico policy: `NetworkPolicy` or `GlobalNetworkPolicy` of a Calico API group."""
    return raw.kind in CALICO_POLICY_KINDS and raw.group in CALICO_GROUPS


def is_admin_policy(raw: RawObject) -> bool:
    """A ClusterNetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy."""
    return raw.group == ADMIN_GROUP
