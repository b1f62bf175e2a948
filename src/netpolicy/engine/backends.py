"""Which addresses and ports stand behind a Service: its EndpointSlices when the input has them, else
the pods its selector picks (targetPort resolved per pod). Shared by `services` rule matches (Felix's
IP sets), kube-proxy's translation in the packet path, lint and the lab."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from netpolicy.model.addresses import IPAddress
from netpolicy.model.cluster import (
    HOST_ENDPOINT,
    Cluster,
    Endpoint,
    EndpointSlice,
    HostNetworkPod,
    Service,
    ServicePort,
)


@dataclass(frozen=True, slots=True)
class Target:
    """A port a backend serves: the Service port it answers for (None: a slice port no Service port
    names), protocol and the backend's port."""

    service_port: ServicePort | None
    protocol: int
    port: int


@dataclass(frozen=True, slots=True)
class Backend:
    """One backend address of a Service, the endpoint that owns it (None: no pod in the input), the
    ports it serves, whether it is ready, and its node."""

    address: IPAddress
    endpoint: Endpoint | None
    targets: tuple[Target, ...]
    ready: bool = True
    node: str | None = None
    #: A backend in its node's network namespace (a hostNetwork pod's id, or `node/<name>` for a slice
    #: address that is a node's): traffic to it is traffic to the node (docs/semantics.md#node-backends).
    host_network: str | None = None
    #: Whether kube-proxy knows its node: an EndpointSlice endpoint without `nodeName` is never local to any
    #: node (`endpointslicecache.go` addEndpoints: `isLocal := endpoint.NodeName != nil && ...`).
    node_named: bool = True

    @property
    def name(self) -> str:
        """The pod (or hostNetwork pod) behind the backend, else its address."""
        return self.endpoint.id if self.endpoint is not None else self.host_network or str(self.address)

    @property
    def ports(self) -> tuple[tuple[int, int], ...]:
        """(protocol, port) pairs served, each once."""
        return tuple(dict.fromkeys((t.protocol, t.port) for t in self.targets))


class ServiceBackends:
    """Backends per Service (namespace, name), from EndpointSlices (label `kubernetes.io/service-name`)
    when the input has one for the Service, else from the Service's selector."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._cache: dict[tuple[str, str], tuple[Backend, ...]] = {}

    @cached_property
    def services(self) -> dict[tuple[str, str], Service]:
        return {(s.namespace, s.name): s for s in self.cluster.services}

    @cached_property
    def _slices(self) -> dict[tuple[str, str], list[EndpointSlice]]:
        found: dict[tuple[str, str], list[EndpointSlice]] = {}
        for item in self.cluster.endpoint_slices:
            if item.service:
                found.setdefault((item.namespace, item.service), []).append(item)
        return found

    @cached_property
    def _pods_by_ip(self) -> dict[IPAddress, Endpoint]:
        return {ip: e for e in self.cluster.endpoints if e.policed and e.kind != HOST_ENDPOINT for ip in e.ips}

    def from_slices(self, namespace: str, name: str) -> bool:
        """Whether the Service's backends come from EndpointSlices."""
        return (namespace, name) in self._slices

    def of(self, namespace: str, name: str) -> tuple[Backend, ...]:
        """Every backend of the Service, ready or not (Felix's `services` match takes them all)."""
        key = (namespace, name)
        found = self._cache.get(key)
        if found is None:
            slices = self._slices.get(key)
            service = self.services.get(key)
            if slices is not None:
                found = self._from_slices(slices, service)
            elif service is not None and service.selector:
                found = self._from_selector(service)
            else:
                found = ()
            self._cache[key] = found
        return found

    def serving(self, namespace: str, name: str) -> tuple[Backend, ...]:
        """The backends kube-proxy sends new connections to: the ready ones (else none)."""
        return tuple(b for b in self.of(namespace, name) if b.ready)

    def endpoints(self, namespace: str, name: str) -> list[Endpoint]:
        """The distinct endpoints (pods) behind the Service's backends."""
        return list({id(b.endpoint): b.endpoint for b in self.of(namespace, name) if b.endpoint is not None}.values())

    def _from_slices(self, slices: Sequence[EndpointSlice], service: Service | None) -> tuple[Backend, ...]:
        """Every address × every numbered port of each slice; a slice port names the Service port it serves."""
        out = []
        by_name = {(p.name or "", p.protocol): p for p in service.ports} if service else {}
        for item in slices:
            targets = tuple(Target(by_name.get((p.name or "", p.protocol)), p.protocol, p.port)
                            for p in item.ports if p.port is not None)
            for ep in item.endpoints:
                for a in ep.addresses:
                    pod, node = self._pods_by_ip.get(a), self._nodes_by_ip.get(a)
                    on_node = f"node/{node}" if pod is None and node is not None else None
                    out.append(Backend(a, pod, targets, ep.ready, ep.node or (pod.node if pod else node), on_node,
                                       ep.node is not None))
        return tuple(out)

    @cached_property
    def _nodes_by_ip(self) -> dict[IPAddress, str]:
        """Node addresses (`Cluster.node_addresses`) → node name."""
        return {a: name for name, found in self.cluster.node_addresses.items() for a in found}

    @cached_property
    def _pods_by_namespace(self) -> dict[str | None, list[Endpoint]]:
        """Pods and workloads (what a Service selector can pick) by namespace, in endpoint order."""
        found: dict[str | None, list[Endpoint]] = {}
        for e in self.cluster.endpoints:
            if e.policed and e.kind != HOST_ENDPOINT:
                found.setdefault(e.namespace, []).append(e)
        return found

    def _from_selector(self, service: Service) -> tuple[Backend, ...]:
        """The selected pods' addresses of the Service's address families (`getAddressTypesForService`: one
        EndpointSlice per family of its ClusterIPs; headless: both)."""
        wanted = service.selector.items()
        families = service_families(service)
        out = []
        for e in self._pods_by_namespace.get(service.namespace, ()):
            if not all(e.labels.get(k) == v for k, v in wanted):
                continue
            targets = tuple(t for sp in service.ports for t in target_ports(sp, e))
            out += [Backend(ip, e, targets, True, e.node) for ip in e.ips if ip.version in families]
        return tuple(out) + self._host_network(service)

    @cached_property
    def _host_network_by_namespace(self) -> dict[str, list[HostNetworkPod]]:
        """hostNetwork pods and workloads by namespace."""
        found: dict[str, list[HostNetworkPod]] = {}
        for pod in self.cluster.host_network_pods:
            found.setdefault(pod.namespace, []).append(pod)
        return found

    def _picked(self, service: Service) -> list[HostNetworkPod]:
        wanted = service.selector.items() if service.selector else ()
        return [p for p in self._host_network_by_namespace.get(service.namespace, ())
                if wanted and all(p.labels.get(k) == v for k, v in wanted)]

    def _host_network(self, service: Service) -> tuple[Backend, ...]:
        """hostNetwork pods and workloads the selector picks: the EndpointSlice controller lists each pod like
        any, with its pod IPs, which are its node's addresses (`reconciler.go` reconcileByAddressType,
        `podToEndpoint`); one on no known node with an address gives none (`unplaced`)."""
        out = []
        for pod in self._picked(service):
            node = self.cluster.node_of(pod)
            if node in self.cluster.node_addresses:
                targets = tuple(t for sp in service.ports for t in target_ports(sp, pod))
                families = service_families(service)
                out += [Backend(a, None, targets, True, node, pod.id)
                        for a in [a for a in self.cluster.node_addresses[node] if a.version in families][:1]]
        return tuple(out)

    def unplaced(self, namespace: str, name: str) -> tuple[HostNetworkPod, ...]:
        """hostNetwork pods and workloads the Service's selector picks on no node with a known address (a
        workload among several nodes): kube-proxy would send connections to their nodes' addresses, which
        the input does not say; none when EndpointSlices list the backends."""
        service = self.services.get((namespace, name))
        if service is None or self.from_slices(namespace, name):
            return ()
        return tuple(p for p in self._picked(service) if self.cluster.node_of(p) not in self.cluster.node_addresses)


def service_families(service: Service) -> set[int]:
    """The address families of a Service's endpoints: its ClusterIPs' (set by the API server from
    `ipFamilies`), both for a headless Service (`getAddressTypesForService`)."""
    return {ipaddress.ip_address(a).version for a in service.cluster_ips} or {4, 6}


def target_ports(port: ServicePort, pod: Endpoint | HostNetworkPod) -> list[Target]:
    """Where a Service port leads on a pod: the number, or the pod's container port of that name and
    protocol (none: the pod is no endpoint for this port)."""
    target = port.target_port if port.target_port is not None else port.port
    if isinstance(target, str) and not target.isdigit():
        return [Target(port, p.protocol, p.port) for p in pod.ports if p.name == target and p.protocol == port.protocol]
    return [Target(port, port.protocol, int(target))]
