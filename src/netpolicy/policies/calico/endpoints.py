"""NetworkSets, GlobalNetworkSets and HostEndpoints as endpoints (docs/semantics.md#ip-owners).

Network sets are IP owners that selectors see but policy never applies to (`policed=False`); a
namespaced set carries `projectcalico.org/namespace` and inherits its namespace's `pcns.*` labels. Host
endpoints are policed; selectors see them only at their `expectedIPs`, with their own labels winning
over the `labelsToApply` of their profiles, in profile order.
"""

from __future__ import annotations

from collections.abc import Mapping

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import (
    GLOBAL_NETWORK_SET,
    HOST_ENDPOINT,
    NAMESPACE_LABEL,
    NETWORK_SET,
    Cluster,
    Endpoint,
    NamedPort,
    calico_labels,
)
from netpolicy.policies.calico.models import HostEndpointSpec, NetworkSetSpec, load_spec
from netpolicy.policies.calico.names import INTERFACE_RE, check_labels, is_port_name, is_subdomain
from netpolicy.policies.calico.profiles import namespace_labels, namespace_profile_name
from netpolicy.policies.calico.values import (
    ValueProblem,
    check_protocol,
    has_host_bits,
    parse_ip,
    parse_net,
    supports_ports,
)
from netpolicy.sources.raw import RawObject


def compile_network_set(raw: RawObject, diags: Diagnostics, cluster: Cluster, taken: set[str]) -> Endpoint | None:
    """A NetworkSet (namespaced) or GlobalNetworkSet; None if invalid. `taken` holds ids in use."""
    errors_before = len(diags.errors)
    namespaced = raw.kind == NETWORK_SET
    _check_name(raw, diags, "network set")
    labels = check_labels(raw, diags, raw.metadata.get("labels"))
    if NAMESPACE_LABEL in labels:
        diags.error(f"{NAMESPACE_LABEL} is not a valid label name", raw.at(f"metadata.labels.{NAMESPACE_LABEL}"),
                    f"metadata.labels.{NAMESPACE_LABEL}",
                    suggestion="Calico sets this label itself from the set's namespace")
    spec = load_spec(NetworkSetSpec, raw, diags)
    if spec is None:
        return None
    nets = []
    for i, text in enumerate(spec.nets or []):
        path = f"spec.nets[{i}]"
        try:
            network = parse_net(text)
        except ValueProblem as problem:
            diags.error(problem.message, raw.at(path), path, problem.expected)
            continue
        if has_host_bits(text, network):
            diags.warn(f"{text} has host bits set; Calico uses {network}", raw.at(path), path)
        nets.append(network)
    if len(diags.errors) > errors_before:
        return None
    if namespaced:
        namespace = raw.namespace or "default"
        selector_labels = calico_labels(labels, namespace=namespace,
                                        namespace_labels=namespace_labels(cluster, namespace),
                                        service_account=None, service_account_labels={}, orchestrator=None)
        endpoint_id = _free_id(f"{namespace}/{raw.name}", f"{namespace}/{NETWORK_SET}/{raw.name}", taken)
        profiles: tuple[str, ...] = (namespace_profile_name(namespace),)
    else:
        namespace, selector_labels, profiles = None, dict(labels), ()
        endpoint_id = raw.name
    taken.add(endpoint_id)
    return Endpoint(id=endpoint_id, kind=NETWORK_SET if namespaced else GLOBAL_NETWORK_SET, name=raw.name,
                    namespace=namespace, labels=labels, selector_labels=selector_labels,
                    nets=tuple(nets), profiles=profiles, policed=False, location=raw.location, source=raw)


def compile_host_endpoint(raw: RawObject, diags: Diagnostics, profile_labels: Mapping[str, Mapping[str, str]],
                          taken: set[str]) -> Endpoint | None:
    """A HostEndpoint; None if invalid. `profile_labels` maps profile names to their labelsToApply."""
    errors_before = len(diags.errors)
    _check_name(raw, diags, "host endpoint")
    labels = check_labels(raw, diags, raw.metadata.get("labels"))
    spec = load_spec(HostEndpointSpec, raw, diags)
    if spec is None:
        return None
    if not spec.node:
        diags.error("no node has been specified", raw.at("spec.node"), "spec.node", "the node's name")
    if not spec.interface_name and not spec.expected_ips:
        diags.error("no interface or expected IPs have been specified", raw.at("spec"), "spec",
                    "spec.interfaceName, spec.expectedIPs or both")
    if spec.interface_name and spec.interface_name != "*" and not INTERFACE_RE.match(spec.interface_name):
        diags.error(f"{spec.interface_name!r} is not an interface name", raw.at("spec.interfaceName"),
                    "spec.interfaceName", "'*' or 1-15 letters, digits, '_', '.' or '-'")
    ips = []
    for i, text in enumerate(spec.expected_ips or []):
        try:
            ips.append(parse_ip(text))
        except ValueProblem as problem:
            diags.error(problem.message, raw.at(f"spec.expectedIPs[{i}]"), f"spec.expectedIPs[{i}]",
                        problem.expected)
    for i, name in enumerate(spec.profiles or []):
        if not is_subdomain(name):
            diags.error(f"{name!r} is not a profile name", raw.at(f"spec.profiles[{i}]"),
                        f"spec.profiles[{i}]", "a DNS-1123 subdomain")
    ports = _named_ports(raw, diags, spec)
    if len(diags.errors) > errors_before:
        return None
    profiles = tuple(spec.profiles or [])
    selector_labels: dict[str, str] = {}
    for profile in reversed(profiles):
        selector_labels.update(profile_labels.get(profile, {}))
    selector_labels.update(labels)
    endpoint_id = _free_id(raw.name, f"hostendpoint/{raw.name}", taken)
    taken.add(endpoint_id)
    return Endpoint(id=endpoint_id, kind=HOST_ENDPOINT, name=raw.name, namespace=None, labels=labels,
                    selector_labels=selector_labels, ips=tuple(ips), ports=ports, profiles=profiles,
                    policed=True, node=spec.node, interface=spec.interface_name or None,
                    location=raw.location, source=raw)


def _named_ports(raw: RawObject, diags: Diagnostics, spec: HostEndpointSpec) -> tuple[NamedPort, ...]:
    ports = []
    for i, entry in enumerate(spec.ports or []):
        path = f"spec.ports[{i}]"
        if not is_port_name(entry.name):
            diags.error(f"{entry.name!r} is not a port name", raw.at(f"{path}.name"), f"{path}.name",
                        "at most 15 lower-case letters, digits or '-', with at least one letter")
        protocol = None
        if entry.protocol is None:
            diags.error("is required", raw.at(path), f"{path}.protocol", "TCP, UDP or SCTP")
        else:
            try:
                protocol = check_protocol(entry.protocol)
            except ValueProblem as problem:
                diags.error(problem.message, raw.at(f"{path}.protocol"), f"{path}.protocol",
                            "TCP, UDP or SCTP", problem.suggestion)
        if protocol is not None and not supports_ports(protocol):
            diags.error("EndpointPort protocol does not support ports", raw.at(f"{path}.protocol"),
                        f"{path}.protocol", "TCP, UDP or SCTP")
        if entry.port is None or not 1 <= entry.port <= 65535:
            diags.error(f"{entry.port} is not a port", raw.at(f"{path}.port"), f"{path}.port", "1-65535")
        elif protocol is not None:
            ports.append(NamedPort(entry.name, protocol, entry.port))
    return tuple(ports)


def _check_name(raw: RawObject, diags: Diagnostics, what: str) -> None:
    if not raw.name:
        diags.error("is required", raw.at("metadata.name"), "metadata.name", f"the {what}'s name")
    elif not is_subdomain(raw.name):
        diags.error(f"{raw.name!r} is not a valid name", raw.at("metadata.name"), "metadata.name",
                    "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'")


def _free_id(preferred: str, fallback: str, taken: set[str]) -> str:
    return fallback if preferred in taken else preferred
