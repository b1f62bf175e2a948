"""Staged policies as Calico previews them: the cluster as it would be if they were enforced."""

from __future__ import annotations

import dataclasses

from netpolicy.model.cluster import Cluster
from netpolicy.model.ir import CALICO_NETWORK_POLICY, GLOBAL_NETWORK_POLICY, K8S_NETWORK_POLICY, Policy

# Staged kind → the kind it stands for.
ENFORCED_KIND = {
    "StagedNetworkPolicy": CALICO_NETWORK_POLICY,
    "StagedGlobalNetworkPolicy": GLOBAL_NETWORK_POLICY,
    "StagedKubernetesNetworkPolicy": K8S_NETWORK_POLICY,
}


def staged_action(policy: Policy) -> str:
    """`Set` (default), `Delete`, `Learn` or `Ignore`, from the policy's notes."""
    for note in policy.notes:
        if note.startswith("stagedAction:"):
            return note.split(":", 1)[1].strip()
    return "Set"


def with_staged(cluster: Cluster) -> Cluster | None:
    """The cluster with its staged policies applied (Set replaces or adds, Delete removes); None if none."""
    staged = [p for p in cluster.policies if p.staged]
    if not staged:
        return None
    enforced = [p for p in cluster.policies if not p.staged]
    for policy in staged:
        kind = ENFORCED_KIND.get(policy.kind, policy.kind)
        action = staged_action(policy)
        if action not in ("Set", "Delete"):
            continue
        enforced = [p for p in enforced if (p.kind, p.namespace, p.name) != (kind, policy.namespace, policy.name)]
        if action == "Set":
            enforced.append(dataclasses.replace(policy, kind=kind, staged=False))
    return dataclasses.replace(cluster, policies=enforced)
