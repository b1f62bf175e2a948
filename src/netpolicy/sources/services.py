"""Service objects to the cluster model: selector, ports (target ports defaulted), type, cluster IPs,
external and load-balancer IPs, traffic policies, loadBalancerSourceRanges and session affinity, each
checked as the API server's `ValidateService` checks it."""

from __future__ import annotations

from typing import Any

from netpolicy.errors import Diagnostics
from netpolicy.model.addresses import IPNetwork, parse_network
from netpolicy.model.cluster import Service, ServicePort
from netpolicy.model.protocols import NUMBER_BY_NAME
from netpolicy.sources import fields
from netpolicy.sources.endpoints import parse_ip
from netpolicy.sources.raw import RawObject

SERVICE_PROTOCOLS = ("TCP", "UDP", "SCTP")
#: `spec.clusterIP` values that are not addresses (headless services, unset).
NO_ADDRESS = ("None", "")
TRAFFIC_POLICIES = ("Cluster", "Local")
AFFINITIES = ("None", "ClientIP")
#: The API server's default and most for `sessionAffinityConfig.clientIP.timeoutSeconds`.
AFFINITY_TIMEOUT, AFFINITY_TIMEOUT_MAX = 10800, 86400


def read_service(obj: RawObject, namespace: str, diags: Diagnostics) -> Service:
    """The Service `obj`; an empty selector means none (no endpoints are selected), as in Kubernetes."""
    spec = fields.mapping(obj.data.get("spec"), obj, "spec", diags)
    selector = fields.string_map(spec.get("selector"), obj, "spec.selector", diags) or None
    ports = tuple(port for index, item in fields.mappings(spec.get("ports"), obj, "spec.ports", diags)
                  if (port := _port(item, obj, f"spec.ports[{index}]", diags)) is not None)
    service_type = fields.optional_string(spec.get("type"), obj, "spec.type", diags) or "ClusterIP"
    policy = _traffic_policy(spec, "externalTrafficPolicy", obj, diags)
    status = obj.data.get("status")
    balancer = status.get("loadBalancer") if isinstance(status, dict) else None
    ingress = balancer.get("ingress") if isinstance(balancer, dict) else None
    lb_items = [(f"status.loadBalancer.ingress[{i}].ip", item.get("ip"))
                for i, item in fields.mappings(ingress, obj, "status.loadBalancer.ingress", diags)
                if item.get("ip") is not None]
    external = spec.get("externalIPs")
    ext_items = ([(f"spec.externalIPs[{i}]", v) for i, v in enumerate(external)]
                 if isinstance(external, list) else [])
    if external is not None and not isinstance(external, list):
        fields.report(diags, obj, "spec.externalIPs", f"{fields.show(external)} is not a list",
                      "a list of IP addresses")
    affinity, timeout = _affinity(spec, obj, diags)
    return Service(namespace, obj.name, selector, ports, service_type, _cluster_ips(spec, obj, diags),
                   obj.location, _addresses(ext_items, obj, diags), _addresses(lb_items, obj, diags), policy,
                   source=obj, internal_traffic_policy=_traffic_policy(spec, "internalTrafficPolicy", obj, diags),
                   load_balancer_source_ranges=_source_ranges(spec, service_type, obj, diags),
                   session_affinity=affinity, affinity_timeout=timeout)


def _traffic_policy(spec: dict[str, Any], name: str, obj: RawObject, diags: Diagnostics) -> str:
    """`spec.externalTrafficPolicy` or `spec.internalTrafficPolicy`: Cluster (the default) or Local."""
    policy = fields.optional_string(spec.get(name), obj, f"spec.{name}", diags) or "Cluster"
    if policy in TRAFFIC_POLICIES:
        return policy
    fields.report(diags, obj, f"spec.{name}", f"{fields.show(policy)} is not a traffic policy", "Cluster or Local")
    return "Cluster"


def _source_ranges(spec: dict[str, Any], service_type: str, obj: RawObject,
                   diags: Diagnostics) -> tuple[IPNetwork, ...]:
    """`spec.loadBalancerSourceRanges`: CIDRs (space padding and host bits allowed, as the API server and
    kube-proxy's `newBaseServiceInfo` allow them), only on a LoadBalancer Service."""
    path, values = "spec.loadBalancerSourceRanges", spec.get("loadBalancerSourceRanges")
    if values is None or values == []:
        return ()
    if not isinstance(values, list):
        fields.report(diags, obj, path, f"{fields.show(values)} is not a list", "a list of CIDRs")
        return ()
    if service_type != "LoadBalancer":
        fields.report(diags, obj, path, f"may only be used when type is LoadBalancer (it is {service_type})",
                      "type: LoadBalancer, or no loadBalancerSourceRanges")
    out = []
    for index, value in enumerate(values):
        try:
            if not isinstance(value, str) or "/" not in value:
                raise ValueError(value)
            out.append(parse_network(value))
        except ValueError:
            fields.report(diags, obj, f"{path}[{index}]", f"{fields.show(value)} is not a CIDR",
                          "an IPv4 or IPv6 CIDR such as 203.0.113.0/24")
    return tuple(out)


def _affinity(spec: dict[str, Any], obj: RawObject, diags: Diagnostics) -> tuple[str, int | None]:
    """`spec.sessionAffinity` (None or ClientIP) and, for ClientIP, `sessionAffinityConfig.clientIP.timeoutSeconds`
    (1-86400, default 10800), as `validateClientIPAffinityConfig` checks them."""
    affinity = fields.optional_string(spec.get("sessionAffinity"), obj, "spec.sessionAffinity", diags) or "None"
    config = spec.get("sessionAffinityConfig")
    if affinity not in AFFINITIES:
        fields.report(diags, obj, "spec.sessionAffinity", f"{fields.show(affinity)} is not a session affinity",
                      "None or ClientIP")
        return "None", None
    if affinity == "None":
        if config is not None:
            fields.report(diags, obj, "spec.sessionAffinityConfig", "must not be set when session affinity is None",
                          "sessionAffinity: ClientIP, or no sessionAffinityConfig")
        return "None", None
    path = "spec.sessionAffinityConfig.clientIP.timeoutSeconds"
    client = fields.mapping(fields.mapping(config, obj, "spec.sessionAffinityConfig", diags).get("clientIP"), obj,
                            "spec.sessionAffinityConfig.clientIP", diags)
    timeout = client.get("timeoutSeconds", AFFINITY_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 0 < timeout <= AFFINITY_TIMEOUT_MAX:
        fields.report(diags, obj, path, f"{fields.show(timeout)} is not a timeout",
                      f"whole seconds 1-{AFFINITY_TIMEOUT_MAX}")
        timeout = AFFINITY_TIMEOUT
    return "ClientIP", timeout


def _port(item: dict[str, Any], obj: RawObject, path: str, diags: Diagnostics) -> ServicePort | None:
    number = fields.port_number(item.get("port"), obj, f"{path}.port", diags)
    protocol = item.get("protocol", "TCP")
    if protocol not in SERVICE_PROTOCOLS:
        fields.report(diags, obj, f"{path}.protocol", f"{fields.show(protocol)} is not a service protocol",
                      "TCP, UDP or SCTP")
        return None
    target = item.get("targetPort")
    if target is None or target == "":
        target = number
    elif isinstance(target, int) and not isinstance(target, bool):
        target = fields.port_number(target, obj, f"{path}.targetPort", diags)
    elif not isinstance(target, str):
        fields.report(diags, obj, f"{path}.targetPort", f"{fields.show(target)} is not a port",
                      "a port number or a container port name")
        target = None
    node_port = item.get("nodePort")
    if node_port is not None:
        node_port = fields.port_number(node_port, obj, f"{path}.nodePort", diags)
    name = fields.optional_string(item.get("name"), obj, f"{path}.name", diags)
    if number is None or target is None:
        return None
    return ServicePort(number, NUMBER_BY_NAME[protocol], target, name, node_port)


def _cluster_ips(spec: dict[str, Any], obj: RawObject, diags: Diagnostics) -> tuple[str, ...]:
    if spec.get("clusterIPs") is not None:
        path, values = "spec.clusterIPs", spec.get("clusterIPs")
        if not isinstance(values, list):
            fields.report(diags, obj, path, f"{fields.show(values)} is not a list", "a list of IP addresses")
            return ()
        items = [(f"{path}[{i}]", v) for i, v in enumerate(values)]
    else:
        items = [("spec.clusterIP", spec.get("clusterIP"))]
    return _addresses(items, obj, diags, 'an IPv4 or IPv6 address, or "None" for a headless service')


def _addresses(items: list[tuple[str, Any]], obj: RawObject, diags: Diagnostics,
               expected: str = "an IPv4 or IPv6 address") -> tuple[str, ...]:
    """The addresses of (path, value) items as text; an error for each value that is not one."""
    out = []
    for path, value in items:
        if value is None or value in NO_ADDRESS:
            continue
        try:
            out.append(str(parse_ip(value)))
        except ValueError:
            fields.report(diags, obj, path, f"{fields.show(value)} is not an IP address", expected)
    return tuple(out)
