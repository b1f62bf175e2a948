"""The input as CNIs that keep Kubernetes ipBlocks for traffic from outside the cluster see it.

Kubernetes leaves it to the CNI whether an ipBlock matches pod addresses: Calico says yes, Cilium no.
Allowances that exist only because an ipBlock covers pods are therefore not portable.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import Cluster
from netpolicy.options import Options

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext


def portable_cluster(ctx: LintContext) -> tuple[Cluster, Options] | None:
    """The cluster with its Kubernetes policies compiled with `ipblock_matches_pods=False`, and those
    options; None when that changes nothing (the option is already off, or no Kubernetes policy has
    an ipBlock)."""
    from netpolicy.policies.kubernetes.compile import compile_network_policy

    if not ctx.options.ipblock_matches_pods:
        return None
    with_blocks = {id(p): raw for p, raw in ctx.k8s_policies
                   if any(r.source.nets or r.destination.nets for r in p.ingress + p.egress)}
    if not with_blocks:
        return None
    options = replace(ctx.options, ipblock_matches_pods=False)
    policies = []
    for policy in ctx.cluster.policies:
        raw = with_blocks.get(id(policy))
        recompiled = compile_network_policy(raw, options, Diagnostics()) if raw is not None else None
        policies.append(recompiled or policy)
    return replace(ctx.cluster, policies=policies), options
