"""EndpointSlices and Nodes to the cluster model: which addresses and ports back a Service, where nodes are."""

from __future__ import annotations

from typing import Any

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import EndpointSlice, Node, SliceEndpoint, SlicePort
from netpolicy.model.protocols import NUMBER_BY_NAME
from netpolicy.sources import fields
from netpolicy.sources.endpoints import parse_ip
from netpolicy.sources.raw import RawObject

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SLICE_PROTOCOLS = ("TCP", "UDP", "SCTP")
NODE_ADDRESS_TYPES = ("InternalIP", "ExternalIP")


def read_slice(obj: RawObject, namespace: str, labels: dict[str, str], diags: Diagnostics) -> EndpointSlice:
    """The EndpointSlice `obj`: ports (protocol default TCP) and endpoints (ready unless false)."""
    ports = []
    for i, item in fields.mappings(obj.data.get("ports"), obj, "ports", diags):
        protocol = item.get("protocol") or "TCP"
        if protocol not in SLICE_PROTOCOLS:
            fields.report(diags, obj, f"ports[{i}].protocol", f"{fields.show(protocol)} is not a protocol",
                          "TCP, UDP or SCTP")
            continue
        number = item.get("port")
        if number is not None:
            number = fields.port_number(number, obj, f"ports[{i}].port", diags)
            if number is None:
                continue
        name = fields.optional_string(item.get("name"), obj, f"ports[{i}].name", diags)
        ports.append(SlicePort(name, NUMBER_BY_NAME[protocol], number))
    endpoints = [_endpoint(item, obj, f"endpoints[{i}]", diags)
                 for i, item in fields.mappings(obj.data.get("endpoints"), obj, "endpoints", diags)]
    return EndpointSlice(namespace, obj.name, labels.get(SERVICE_NAME_LABEL), tuple(ports), tuple(endpoints),
                         obj.location)


def _endpoint(item: dict[str, Any], obj: RawObject, path: str, diags: Diagnostics) -> SliceEndpoint:
    addresses = []
    raw = item.get("addresses")
    if not isinstance(raw, list):
        fields.report(diags, obj, f"{path}.addresses", f"{fields.show(raw)} is not a list", "a list of addresses")
        raw = []
    for j, text in enumerate(raw):
        try:
            addresses.append(parse_ip(text))
        except ValueError:
            fields.report(diags, obj, f"{path}.addresses[{j}]", f"{fields.show(text)} is not an IP address",
                          "an IPv4 or IPv6 address")
    conditions = fields.mapping(item.get("conditions"), obj, f"{path}.conditions", diags)
    ready = conditions.get("ready") is not False
    node = fields.optional_string(item.get("nodeName"), obj, f"{path}.nodeName", diags)
    target = item.get("targetRef")
    pod = target.get("name") if isinstance(target, dict) and target.get("kind", "Pod") == "Pod" else None
    return SliceEndpoint(tuple(addresses), ready, node, pod if isinstance(pod, str) else None)


def read_node(obj: RawObject, labels: dict[str, str], diags: Diagnostics) -> Node:
    """The Node `obj` with its InternalIP and ExternalIP addresses (host names are skipped)."""
    status = fields.mapping(obj.data.get("status"), obj, "status", diags)
    addresses = []
    for i, item in fields.mappings(status.get("addresses"), obj, "status.addresses", diags):
        if item.get("type") not in NODE_ADDRESS_TYPES:
            continue
        try:
            addresses.append(parse_ip(item.get("address")))
        except ValueError:
            fields.report(diags, obj, f"status.addresses[{i}].address",
                          f"{fields.show(item.get('address'))} is not an IP address", "an IPv4 or IPv6 address")
    return Node(obj.name, tuple(dict.fromkeys(addresses)), labels, obj.location)
