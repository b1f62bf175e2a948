"""selects-host-network: a policy that selects only hostNetwork pods, which no policy of its kind governs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.model.ir import K8S_NETWORK_POLICY

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "selects-host-network"
SEVERITY = WARNING
DOC = ("A pod with `hostNetwork: true` shares its node's network namespace: Calico makes no workload endpoint "
       "for it, so a NetworkPolicy (Kubernetes or Calico) that selects it does not apply — its traffic is the "
       "node's, with the node's address, and only host endpoint policy (a HostEndpoint for the node and "
       "GlobalNetworkPolicies selecting it) governs it. Found when a policy's selector picks hostNetwork pods "
       "or workloads and no pod or workload with a workload endpoint.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Policies whose selector matches hostNetwork pods only."""
    on_host = ctx.cluster.host_network_pods
    if not on_host:
        return
    for policy, raw in ctx.policies:
        if not policy.namespace:
            continue
        picked = [p.id for p in on_host if policy.selector.matches(p.selector_labels)]
        if not picked or ctx.selected(policy):
            continue
        path = "spec.podSelector" if policy.kind == K8S_NETWORK_POLICY else "spec.selector"
        shown = ", ".join(picked[:3]) + (f" and {len(picked) - 3} more" if len(picked) > 3 else "")
        yield finding_at(ID, raw, path,
                         f"{policy.id} selects only hostNetwork pods ({shown}): they have no workload endpoint, "
                         "so the policy has no effect; their traffic is their node's",
                         "police them with a HostEndpoint for their node and a GlobalNetworkPolicy")
