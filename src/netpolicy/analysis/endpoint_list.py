"""The endpoints of a cluster as `netpolicy endpoints` lists them: id, kind, labels, addresses, ports, isolation."""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.engine.context import EngineContext
from netpolicy.model.cluster import Cluster, Endpoint, HostNetworkPod
from netpolicy.model.ir import EGRESS, INGRESS, Policy
from netpolicy.options import Options


@dataclass(frozen=True)
class EndpointRow:
    """One endpoint and the policies that isolate it in each direction (empty: not isolated)."""

    endpoint: Endpoint
    ingress: tuple[str, ...]
    egress: tuple[str, ...]


def _policies(cluster: Cluster, options: Options | None) -> list[Policy]:
    """The policies of every tier, in tier order."""
    return [p for tier in EngineContext(cluster, options or Options()).tiers for p in tier.policies]


def list_endpoints(cluster: Cluster, policies: list[Policy]) -> list[EndpointRow]:
    """Every endpoint with the ids of these policies selecting it for ingress and for egress."""
    rows = []
    for endpoint in cluster.endpoints:
        if not endpoint.policed:
            continue
        labels = endpoint.selector_labels
        selecting = [p for p in policies if p.selector.matches(labels)]
        rows.append(EndpointRow(endpoint, tuple(p.id for p in selecting if p.governs(INGRESS)),
                                tuple(p.id for p in selecting if p.governs(EGRESS))))
    return rows


@dataclass(frozen=True)
class HostNetworkRow:
    """A hostNetwork pod or workload: its node, and the policies that select it (without effect)."""

    pod: HostNetworkPod
    selected_by: tuple[str, ...]


def list_host_network(cluster: Cluster, policies: list[Policy] | None = None) -> list[HostNetworkRow]:
    """Every hostNetwork pod and workload with the policies (default: every tier's) whose selector picks
    it: they have no workload endpoint, so those policies do not apply to it (docs/semantics.md#nodes)."""
    policies = _policies(cluster, None) if policies is None else policies
    return [HostNetworkRow(pod, tuple(p.id for p in policies if p.selector.matches(pod.selector_labels)))
            for pod in cluster.host_network_pods]


@dataclass(frozen=True)
class EndpointListing:
    """What `netpolicy endpoints` shows: the endpoints, then the hostNetwork pods (which are none)."""

    endpoints: list[EndpointRow]
    host_network: list[HostNetworkRow]


def endpoint_listing(cluster: Cluster, options: Options | None = None) -> EndpointListing:
    """The endpoints and the hostNetwork pods of the cluster."""
    policies = _policies(cluster, options)
    return EndpointListing(list_endpoints(cluster, policies), list_host_network(cluster, policies))
