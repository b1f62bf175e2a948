"""Which input objects are which: Kubernetes or Calico policies, and the object a policy was compiled from."""

from __future__ import annotations

from netpolicy.analysis.lint.finding import DEFAULT_NAMESPACE
from netpolicy.model.ir import CALICO_NETWORK_POLICY, GLOBAL_NETWORK_POLICY, K8S_NETWORK_POLICY, Policy
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


def compiled_from(policy: Policy, raw: RawObject) -> bool:
    """Whether `raw` (of the policy's name and place) is the object the policy was compiled from."""
    if policy.namespace is not None and (raw.namespace or DEFAULT_NAMESPACE) != policy.namespace:
        return False
    if policy.kind == K8S_NETWORK_POLICY:
        return is_k8s_policy(raw)
    if policy.kind == CALICO_NETWORK_POLICY:
        return raw.kind == "NetworkPolicy" and raw.group in CALICO_GROUPS
    if policy.kind == GLOBAL_NETWORK_POLICY:
        return raw.kind == "GlobalNetworkPolicy" and raw.group in CALICO_GROUPS
    return raw.kind == policy.kind
