"""Staged policies as Calico previews them: the cluster as it would be if they were enforced."""

from __future__ import annotations

import dataclasses

from netpolicy.model.cluster import Cluster


def with_staged(cluster: Cluster) -> Cluster | None:
    """The cluster with its staged policies applied (Set replaces or adds, Delete removes); None if none."""
    staged = [p for p in cluster.policies if p.staged]
    if not staged:
        return None
    enforced = [p for p in cluster.policies if not p.staged]
    for policy in staged:
        action = policy.staged_action or "Set"
        if action not in ("Set", "Delete"):
            continue
        kind = policy.enforced_kind or policy.kind
        enforced = [p for p in enforced if (p.kind, p.namespace, p.name) != (kind, policy.namespace, policy.name)]
        if action == "Set":
            enforced.append(dataclasses.replace(policy, kind=kind, staged=False, staged_action=None,
                                                enforced_kind=None))
    return dataclasses.replace(cluster, policies=enforced)
