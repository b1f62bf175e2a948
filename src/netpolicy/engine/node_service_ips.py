"""LoadBalancer IPs and external IPs that are a node's own address: kube-proxy's `service-ips` map takes that
address's traffic on the Service's ports to its backends before any host INPUT (docs/semantics.md#nodes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netpolicy.model.protocols import protocol_name

if TYPE_CHECKING:
    from netpolicy.model.cluster import Cluster


def node_service_ips(cluster: Cluster) -> list[tuple[str, str, str, str]]:
    """Per node address that is a Service's LoadBalancer or external IP: the node, the address, the Service's
    id and its ports (`80/TCP, 443/TCP`), in input order."""
    owner = {str(a): node for node, found in cluster.node_addresses.items() for a in found}
    out = []
    for service in cluster.services:
        ports = ", ".join(f"{sp.port}/{protocol_name(sp.protocol)}" for sp in service.ports)
        for address in dict.fromkeys((*service.load_balancer_ips, *service.external_ips)):
            if address in owner and ports:
                out.append((owner[address], address, service.id, ports))
    return out


def matrix_notes(cluster: Cluster) -> list[str]:
    """What the matrix's column of a node's host endpoint leaves out: a Service IP on its address."""
    heps = cluster.governing_host_endpoints
    return [f"note: {address} is node {node}'s address and an external or LoadBalancer IP of service {service}: "
            f"kube-proxy sends its {ports} to the Service's backends before the node sees them, which the matrix's "
            f"column of {heps[node].id} does not show (ask `query --to node/{node} --port <port>`)"
            for node, address, service, ports in node_service_ips(cluster) if node in heps]
