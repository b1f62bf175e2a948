"""Calico's natOutgoing, as Felix programs it in nat POSTROUTING (docs/semantics.md#nat-outgoing).

`felix/rules/nat.go` NATOutgoingChain: MASQUERADE a packet whose source is in the `masq-ipam-pools` IP
set (pools with natOutgoing) and whose destination is not in `all-ipam-pools` (every pool, disabled ones
included, LoadBalancer-only pools excepted: `dataplane/linux/masq_mgr.go`); under
`NATOutgoingExclusions: IPPoolsAndHostIPs` not in `all-hosts-net` either (nodes' addresses). The
default, IPPoolsOnly, masquerades a pod's packet to another node's address too.
"""

from __future__ import annotations

from netpolicy.model.addresses import IPAddress
from netpolicy.model.cluster import Cluster

IPPOOLS_ONLY, IPPOOLS_AND_HOST_IPS = "IPPoolsOnly", "IPPoolsAndHostIPs"


def masquerades(cluster: Cluster, src: IPAddress, dst: IPAddress, exclusions: str = IPPOOLS_ONLY) -> bool:
    """Whether Felix's cali-nat-outgoing masquerades a packet from `src` to `dst` as it leaves the node."""
    pools = cluster.ip_pools
    if not any(p.nat_outgoing and src in p.cidr for p in pools if p.cidr.version == src.version):
        return False
    if any(dst in p.cidr for p in pools if p.cidr.version == dst.version and p.allowed_uses != ("LoadBalancer",)):
        return False
    if exclusions == IPPOOLS_AND_HOST_IPS:
        return not any(dst in addresses for addresses in cluster.node_addresses.values())
    return True


def pool_networks(cluster) -> list:
    """The IP pools' CIDRs as cuts of the matrix's IP cells, so that no peer class straddles a pool (none
    without a natOutgoing pool: the cells stay as they were)."""
    if not any(p.nat_outgoing for p in cluster.ip_pools):
        return []
    return [p.cidr for p in cluster.ip_pools]


def masquerade_note(pod: str, node: str, address: str) -> str:
    """The trace line of a masqueraded packet."""
    return (f"natOutgoing: {pod} is in a natOutgoing IP pool and the destination is in none, so its node {node} "
            f"masquerades it (Felix's cali-nat-outgoing): the receiving side sees {address}")
