"""The objects read to the cluster model: namespaces, endpoints, services, slices, nodes, service accounts."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from netpolicy.errors import Diagnostics
from netpolicy.model.addresses import IPAddress
from netpolicy.model.cluster import K8S_NAMESPACE_NAME_LABEL, Cluster, Namespace, Service, ServiceAccount
from netpolicy.options import Options
from netpolicy.sources.accept import Accepted, accept_objects
from netpolicy.sources.bulk import gc_paused
from netpolicy.sources.discovery import read_node, read_slice
from netpolicy.sources.endpoints import EndpointContext, build_endpoints, parse_ip
from netpolicy.sources.raw import RawObject
from netpolicy.sources.services import read_service


def build_cluster(objects: list[RawObject], options: Options, diags: Diagnostics) -> Cluster:
    """Namespaces, endpoints, services and service accounts of `objects`; policies are left to others.

    `Cluster.objects` holds every object of a known kind (for the policy compilers and lint);
    `Cluster.warnings` holds every warning in `diags` once the cluster is built. Problems go to
    `diags`; nothing is raised for bad input.
    """
    with gc_paused():
        return _build(objects, options, diags)


def _build(objects: list[RawObject], options: Options, diags: Diagnostics) -> Cluster:
    accepted = accept_objects(objects, diags)
    namespaces = _namespaces(accepted)
    service_accounts = {
        (a.namespace or "", a.name): ServiceAccount(a.namespace or "", a.name, a.labels, a.obj.location)
        for a in _of_kind(accepted, "ServiceAccount")
    }
    services = [read_service(a.obj, a.namespace or "", diags) for a in _of_kind(accepted, "Service")]
    services_by_namespace: dict[str, set[str]] = {}
    for service in services:
        services_by_namespace.setdefault(service.namespace, set()).add(service.name)
    context = EndpointContext(namespaces, service_accounts, services_by_namespace,
                              reserved=[*_service_addresses(services), *_host_endpoint_addresses(accepted)])
    host_network: list = []
    endpoints, pod_networks = build_endpoints(accepted, context, options, diags, host_network)
    slices = [read_slice(a.obj, a.namespace or "", a.labels, diags) for a in _of_kind(accepted, "EndpointSlice")]
    nodes = {a.name: read_node(a.obj, a.labels, diags) for a in _of_kind(accepted, "Node")}
    return Cluster(namespaces=namespaces, endpoints=endpoints, services=services, endpoint_slices=slices,
                   nodes=nodes, pod_networks=pod_networks, host_network_pods=host_network,
                   service_accounts=service_accounts, objects=[a.obj for a in accepted],
                   warnings=list(diags.warnings))


def _namespaces(accepted: list[Accepted]) -> dict[str, Namespace]:
    """Defined namespaces, and every namespace an object lives in, sorted by name.

    Each carries `kubernetes.io/metadata.name`, which the API server forces on every namespace.
    """
    found: dict[str, Namespace] = {}
    for a in _of_kind(accepted, "Namespace"):
        name = a.name
        found[name] = Namespace(name, {**a.labels, K8S_NAMESPACE_NAME_LABEL: name}, True, a.obj.location, a.obj)
    for a in accepted:
        if a.namespace is not None and a.namespace not in found:
            found[a.namespace] = Namespace(a.namespace, {K8S_NAMESPACE_NAME_LABEL: a.namespace}, False)
    return dict(sorted(found.items()))


def _of_kind(accepted: list[Accepted], kind: str) -> Iterator[Accepted]:
    return (a for a in accepted if a.info.kind == kind)


def _service_addresses(services: list[Service]) -> Iterator[IPAddress]:
    return (parse_ip(ip) for service in services for ip in service.cluster_ips)


def _host_endpoint_addresses(accepted: list[Accepted]) -> Iterator[IPAddress]:
    """Host endpoints' `expectedIPs`, so that no pod is given one (the policy compiler checks them)."""
    for a in accepted:
        if a.info.kind != "HostEndpoint":
            continue
        spec = a.obj.data.get("spec")
        expected = spec.get("expectedIPs") if isinstance(spec, dict) else None
        for text in expected if isinstance(expected, list) else ():
            try:
                address = ipaddress.ip_address(text) if isinstance(text, str) else None
            except ValueError:
                address = None
            if address is not None:
                yield address
