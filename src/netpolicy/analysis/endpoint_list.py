"""The endpoints of a cluster as `netpolicy endpoints` lists them: id, kind, labels, addresses, ports, isolation."""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.engine.context import EngineContext
from netpolicy.model.cluster import Cluster, Endpoint, HostNetworkPod
from netpolicy.model.ir import EGRESS, INGRESS
from netpolicy.options import Options


@dataclass(frozen=True)
class EndpointRow:
    """One endpoint and the policies that isolate it in each direction (empty: not isolated)."""

    endpoint: Endpoint
    ingress: tuple[str, ...]
    egress: tuple[str, ...]


def list_endpoints(cluster: Cluster, options: Options | None = None) -> list[EndpointRow]:
    """Every endpoint with the ids of the policies selecting it for ingress and for egress."""
    ctx = EngineContext(cluster, options or Options())
    policies = [p for tier in ctx.tiers for p in tier.policies]
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


def list_host_network(cluster: Cluster, options: Options | None = None) -> list[HostNetworkRow]:
    """Every hostNetwork pod and workload with the policies whose selector picks it: they have no workload
    endpoint, so those policies do not apply to it (docs/semantics.md#nodes)."""
    ctx = EngineContext(cluster, options or Options())
    policies = [p for tier in ctx.tiers for p in tier.policies]
    return [HostNetworkRow(pod, tuple(p.id for p in policies if p.selector.matches(pod.selector_labels)))
            for pod in cluster.host_network_pods]


@dataclass(frozen=True)
class EndpointListing:
    """What `netpolicy endpoints` shows: the endpoints, then the hostNetwork pods (which are none)."""

    endpoints: list[EndpointRow]
    host_network: list[HostNetworkRow]


def endpoint_listing(cluster: Cluster, options: Options | None = None) -> EndpointListing:
    """The endpoints and the hostNetwork pods of the cluster."""
    return EndpointListing(list_endpoints(cluster, options), list_host_network(cluster, options))
