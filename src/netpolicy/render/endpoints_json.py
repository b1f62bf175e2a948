"""`netpolicy endpoints -o json`: each endpoint's id, kind, namespace, labels, addresses, ports and isolation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from netpolicy.model.protocols import protocol_name

if TYPE_CHECKING:
    from netpolicy.analysis.endpoint_list import EndpointListing, EndpointRow, HostNetworkRow


def endpoint_json(row: EndpointRow) -> dict:
    """One endpoint and the policies isolating it for ingress and for egress."""
    e = row.endpoint
    return {"id": e.id, "kind": e.kind, "namespace": e.namespace, "labels": dict(e.labels),
            "ips": [str(ip) for ip in e.ips] + [str(net) for net in e.nets],
            "ports": [{"name": p.name, "protocol": protocol_name(p.protocol), "port": p.port} for p in e.ports],
            "isolation": {"ingress": list(row.ingress), "egress": list(row.egress)}}


def endpoints_json(rows: Sequence[EndpointRow]) -> dict:
    """The whole list: `{"endpoints": [...]}`."""
    return {"endpoints": [endpoint_json(row) for row in rows]}


def host_network_json(row: HostNetworkRow) -> dict:
    """A hostNetwork pod or workload: its node and the policies that select it to no effect."""
    p = row.pod
    return {"id": p.id, "kind": p.kind, "namespace": p.namespace, "labels": dict(p.labels), "node": p.node,
            "selected_by": list(row.selected_by)}


def listing_json(listing: EndpointListing) -> dict:
    """`{"endpoints": [...]}`, with `host_network_pods` when the input has any."""
    out = endpoints_json(listing.endpoints)
    if listing.host_network:
        out["host_network_pods"] = [host_network_json(row) for row in listing.host_network]
    return out
