"""The cluster as the engine sees it: namespaces, endpoints (IP owners), services, policies, tiers, profiles."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING

from netpolicy.errors import Location, Problem
from netpolicy.model.addresses import IPAddress, IPNetwork
from netpolicy.model.ir import Policy, Tier

if TYPE_CHECKING:
    from netpolicy.sources.raw import RawObject

# Endpoint kinds.
POD = "Pod"
NETWORK_SET = "NetworkSet"
GLOBAL_NETWORK_SET = "GlobalNetworkSet"
HOST_ENDPOINT = "HostEndpoint"
EXTERNAL = "External"

NAMESPACE_LABEL = "projectcalico.org/namespace"
ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
NAME_LABEL = "projectcalico.org/name"
K8S_NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True, slots=True)
class NamedPort:
    """A port an endpoint serves: container port (name may be None) or host endpoint port."""

    name: str | None
    protocol: int
    port: int


@dataclass(frozen=True)
class Namespace:
    name: str
    labels: Mapping[str, str]
    defined: bool = True
    location: Location | None = None
    #: The input object behind it (None when made up, e.g. from a namespace reference); not part of equality.
    source: RawObject | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ServiceAccount:
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    location: Location | None = None


@dataclass(frozen=True)
class ServicePort:
    port: int
    protocol: int
    target_port: int | str | None
    name: str | None = None
    node_port: int | None = None


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    selector: Mapping[str, str] | None
    ports: tuple[ServicePort, ...]
    type: str = "ClusterIP"
    cluster_ips: tuple[str, ...] = ()
    location: Location | None = None
    external_ips: tuple[str, ...] = ()
    load_balancer_ips: tuple[str, ...] = ()
    external_traffic_policy: str = "Cluster"
    #: The input object behind it (None when made up, e.g. from a namespace reference); not part of equality.
    source: RawObject | None = field(default=None, compare=False, repr=False)
    internal_traffic_policy: str = "Cluster"
    #: `spec.loadBalancerSourceRanges` (kube-proxy drops other sources to the LoadBalancer ingress IPs).
    load_balancer_source_ranges: tuple[IPNetwork, ...] = ()
    session_affinity: str = "None"
    #: `sessionAffinityConfig.clientIP.timeoutSeconds` (None unless session affinity is ClientIP).
    affinity_timeout: int | None = None

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class SlicePort:
    """A port of an EndpointSlice; `port` None means "not restricted" (Felix: no member)."""

    name: str | None
    protocol: int
    port: int | None


@dataclass(frozen=True, slots=True)
class SliceEndpoint:
    """One endpoint of an EndpointSlice: its addresses, readiness, node and the pod it names."""

    addresses: tuple[IPAddress, ...]
    ready: bool = True
    node: str | None = None
    pod: str | None = None


@dataclass(frozen=True)
class EndpointSlice:
    """A `discovery.k8s.io/v1` EndpointSlice of Service `service` (label `kubernetes.io/service-name`)."""

    namespace: str
    name: str
    service: str | None
    ports: tuple[SlicePort, ...]
    endpoints: tuple[SliceEndpoint, ...]
    location: Location | None = None


@dataclass(frozen=True)
class Node:
    """A Node: its name and addresses (status.addresses InternalIP/ExternalIP)."""

    name: str
    addresses: tuple[IPAddress, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    location: Location | None = None


@dataclass(frozen=True)
class IPPool:
    """A Calico IPPool: its CIDR and what Felix does with it (natOutgoing masquerade, docs/semantics.md#nat-outgoing)."""

    name: str
    cidr: IPNetwork
    nat_outgoing: bool = False
    disabled: bool = False
    ipip_mode: str = "Never"
    vxlan_mode: str = "Never"
    block_size: int = 26
    node_selector: str = "all()"
    allowed_uses: tuple[str, ...] = ("Workload", "Tunnel")
    disable_bgp_export: bool = False
    location: Location | None = None


@dataclass(frozen=True)
class Endpoint:
    """An IP owner: a pod or workload (all its replicas), a host endpoint, a network set.

    `labels` are the object's own labels; `selector_labels` are the labels Calico selectors see
    (own labels, `projectcalico.org/*`, inherited `pcns.*`/`pcsa.*`). `policed` endpoints have policy
    applied to them (pods, workloads, host endpoints); network sets only give addresses to selectors.
    """

    id: str
    kind: str
    name: str
    namespace: str | None
    labels: Mapping[str, str]
    selector_labels: Mapping[str, str]
    ips: tuple[IPAddress, ...] = ()
    nets: tuple[IPNetwork, ...] = ()
    ports: tuple[NamedPort, ...] = ()
    service_account: str | None = None
    profiles: tuple[str, ...] = ()
    replicas: int = 1
    policed: bool = True
    ip_assigned: bool = False
    node: str | None = None
    interface: str | None = None
    location: Location | None = None
    env_refs_services: bool = False
    #: The input object behind it (None when made up, e.g. from a namespace reference); not part of equality.
    source: RawObject | None = field(default=None, compare=False, repr=False)

    @property
    def display(self) -> str:
        """`ns/name[Kind]`, as explanations show endpoints."""
        return f"{self.id}[{self.kind}]"


@dataclass(frozen=True)
class HostNetworkPod:
    """A pod or workload with `spec.hostNetwork: true`: Calico makes no workload endpoint for it, so no
    NetworkPolicy applies to it; its traffic is its node's (`node`: None when not known, or a workload
    on many nodes). `selector_labels` are those a pod would have, to tell which policies select it."""

    id: str
    kind: str
    namespace: str
    name: str
    labels: Mapping[str, str]
    selector_labels: Mapping[str, str]
    node: str | None = None
    location: Location | None = None
    #: Container ports (a Service's named targetPort resolves against them, as for any pod).
    ports: tuple[NamedPort, ...] = ()


@dataclass(frozen=True)
class Cluster:
    """Everything read from the input, with policies compiled to the IR; immutable once built.

    Sequences become tuples and mappings read-only views when the cluster is made, so no part of
    netpolicy can change a cluster another part holds (`dataclasses.replace` makes a changed copy).
    """

    namespaces: Mapping[str, Namespace] = field(default_factory=dict)
    endpoints: tuple[Endpoint, ...] = ()
    services: tuple[Service, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    nodes: Mapping[str, Node] = field(default_factory=dict)
    host_network_pods: tuple[HostNetworkPod, ...] = ()
    service_accounts: Mapping[tuple[str, str], ServiceAccount] = field(default_factory=dict)
    policies: tuple[Policy, ...] = ()
    tiers: Mapping[str, Tier] = field(default_factory=dict)
    profiles: Mapping[str, Policy] = field(default_factory=dict)
    objects: tuple[RawObject, ...] = ()
    warnings: tuple[Problem, ...] = ()
    #: The pod CIDR(s) in effect: --pod-cidr, or the default widened to fit the input (empty: made by hand).
    pod_networks: tuple[IPNetwork, ...] = ()
    #: Calico IPPool objects (empty: none given, so no natOutgoing).
    ip_pools: tuple[IPPool, ...] = ()

    def __post_init__(self) -> None:
        for name in ("endpoints", "services", "endpoint_slices", "host_network_pods", "policies", "objects",
                     "warnings", "pod_networks", "ip_pools"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for name in ("namespaces", "nodes", "service_accounts", "tiers", "profiles"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        return self.endpoint_index.get(endpoint_id)

    @cached_property
    def endpoint_index(self) -> Mapping[str, Endpoint]:
        """Endpoints by id."""
        return {e.id: e for e in self.endpoints}

    @cached_property
    def node_names(self) -> frozenset[str]:
        """Every node the input names: Node objects and the `node` of its endpoints."""
        return input_nodes(self.nodes, self.endpoints)

    def node_of(self, owner: Endpoint | HostNetworkPod) -> str | None:
        """The node a pod, workload or host endpoint is on (`pod_node`)."""
        return pod_node(owner, self.node_names)

    @cached_property
    def governing_host_endpoints(self) -> Mapping[str, Endpoint]:
        """Node → the host endpoint governing its fabric interface (`governing_host_endpoint`)."""
        return governing_host_endpoints(self.endpoints)

    @cached_property
    def star_host_endpoints(self) -> Mapping[str, Endpoint]:
        """Node → its `interfaceName: "*"` host endpoint (`star_host_endpoints`)."""
        return star_host_endpoints(self.endpoints)

    @cached_property
    def node_addresses(self) -> Mapping[str, tuple[IPAddress, ...]]:
        """Where each node is (`node_addresses`), computed once."""
        return node_addresses(self.nodes, self.endpoints)


def input_nodes(nodes: Mapping[str, Node], endpoints: Iterable[Endpoint]) -> frozenset[str]:
    """The nodes named by Node objects, pods' `spec.nodeName` and host endpoints' `node`."""
    return frozenset(nodes) | {e.node for e in endpoints if e.node}


def governing_host_endpoint(heps: list[Endpoint]) -> Endpoint | None:
    """Of a node's host endpoints, the one governing its fabric interface: one naming an interface
    (alphabetically first name), else its `interfaceName: "*"` endpoint (`endpoint_mgr.go`)."""
    found = sorted(heps, key=lambda e: e.name)
    named = [e for e in found if e.interface and e.interface != "*"]
    return named[0] if named else next((e for e in found if e.interface == "*"), None)


def governing_host_endpoints(endpoints: Iterable[Endpoint]) -> dict[str, Endpoint]:
    """Node → the host endpoint governing its fabric interface, for every node that has one."""
    by_node: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        if endpoint.kind == HOST_ENDPOINT and endpoint.node:
            by_node.setdefault(endpoint.node, []).append(endpoint)
    return {node: found for node, heps in sorted(by_node.items())
            if (found := governing_host_endpoint(heps)) is not None}


def star_host_endpoints(endpoints: Iterable[Endpoint]) -> dict[str, Endpoint]:
    """Node → the `interfaceName: "*"` host endpoint Felix dispatches every interface no other host endpoint
    names to, pod interfaces included: the alphabetically first of the node's (`endpoint_mgr.go`)."""
    out: dict[str, Endpoint] = {}
    for endpoint in sorted(endpoints, key=lambda e: e.name):
        if endpoint.kind == HOST_ENDPOINT and endpoint.node and endpoint.interface == "*":
            out.setdefault(endpoint.node, endpoint)
    return out


def node_addresses(nodes: Mapping[str, Node], endpoints: Iterable[Endpoint]) -> dict[str, tuple[IPAddress, ...]]:
    """Where each node is, the one rule for query, the matrix, Services and the lab (docs/semantics.md#nodes):
    its governing host endpoint's expectedIPs (the addresses Calico knows its interface by, and the matrix's
    row and column of the node), then its Node object's addresses not among them; the first is where its own
    traffic comes from. Nodes without any address are left out."""
    out: dict[str, tuple[IPAddress, ...]] = {}
    heps = governing_host_endpoints(endpoints)
    for name in sorted(set(nodes) | set(heps)):
        found = tuple(dict.fromkeys((*(heps[name].ips if name in heps else ()),
                                     *(nodes[name].addresses if name in nodes else ()))))
        if found:
            out[name] = found
    return out


def pod_node(owner: Endpoint | HostNetworkPod, nodes: Collection[str]) -> str | None:
    """The node `owner` is on: its own `node`, else, for a pod or workload, the only node of a one-node
    input (docs/semantics.md#service-paths); None when unknown or not on a node (an address range)."""
    if owner.node or (isinstance(owner, Endpoint) and (not owner.policed or owner.kind == HOST_ENDPOINT)):
        return owner.node
    return next(iter(nodes)) if len(nodes) == 1 else None


def calico_labels(own: Mapping[str, str], *, namespace: str | None, namespace_labels: Mapping[str, str],
                  service_account: str | None, service_account_labels: Mapping[str, str],
                  orchestrator: str | None = "k8s") -> dict[str, str]:
    """Labels a Calico selector sees on a workload endpoint (docs/semantics.md#label-inheritance).

    Profile labels (`pcns.*` from the namespace, `pcsa.*` from the service account) come first and the
    endpoint's own labels win over them; `projectcalico.org/*` overwrite the pod's labels.
    """
    inherited = profile_labels(namespace=namespace, namespace_labels=namespace_labels,
                               service_account=service_account, service_account_labels=service_account_labels)
    assigned = assigned_labels(namespace=namespace, service_account=service_account, orchestrator=orchestrator)
    return {**inherited, **own, **assigned}


def profile_labels(*, namespace: str | None, namespace_labels: Mapping[str, str], service_account: str | None,
                   service_account_labels: Mapping[str, str]) -> dict[str, str]:
    """The labels a workload endpoint inherits from its profiles: `pcns.*`, then `pcsa.*` (its own labels win)."""
    labels: dict[str, str] = {}
    if namespace is not None:
        labels.update({f"pcns.{k}": v for k, v in namespace_labels.items()})
        labels[f"pcns.{NAME_LABEL}"] = namespace
    if service_account:
        labels.update({f"pcsa.{k}": v for k, v in service_account_labels.items()})
        labels[f"pcsa.{NAME_LABEL}"] = service_account
    return labels


def assigned_labels(*, namespace: str | None, service_account: str | None,
                    orchestrator: str | None = "k8s") -> dict[str, str]:
    """The `projectcalico.org/*` labels Calico sets on a workload endpoint (they win over its own labels)."""
    labels: dict[str, str] = {}
    if namespace is not None:
        labels[NAMESPACE_LABEL] = namespace
    if orchestrator:
        labels[ORCHESTRATOR_LABEL] = orchestrator
    if service_account and len(service_account) < 63:
        labels[SERVICE_ACCOUNT_LABEL] = service_account
    return labels


def default_profiles(endpoint: Endpoint) -> tuple[str, ...]:
    """The profiles Calico gives an endpoint whose `profiles` are empty: `kns.<ns>`, `ksa.<ns>.<sa>` for
    pods and workloads (service account `default` when none is named); nothing for host endpoints and
    cluster-scoped endpoints."""
    if endpoint.profiles or endpoint.kind == HOST_ENDPOINT or endpoint.namespace is None:
        return endpoint.profiles
    account = endpoint.service_account or "default"
    return (f"kns.{endpoint.namespace}", f"ksa.{endpoint.namespace}.{account}")
