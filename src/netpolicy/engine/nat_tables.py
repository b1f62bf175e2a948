"""natOutgoing in the matrix: a governing host endpoint's ingress table reads, for a pod class on another
node that Felix masquerades toward it (`nat_outgoing.masquerades`), the row of that pod's node's address,
as `query` judges the masqueraded packet (`node_flow._masqueraded`, docs/semantics.md#nat-outgoing)."""

from __future__ import annotations

import numpy as np

from netpolicy.engine.nat_outgoing import masquerades, pool_networks
from netpolicy.engine.node_flow import node_address
from netpolicy.engine.node_tables import OFF
from netpolicy.engine.tables import SideTable
from netpolicy.model.cluster import HOST_ENDPOINT


def masqueraded_table(matrix, node: str, kinds: np.ndarray, table: SideTable) -> SideTable:
    """`table` (the node's governing host endpoint's ingress) with each masqueraded pod class's row taken
    from its node's address class; `table` itself when no class is masqueraded."""
    cluster = matrix.ctx.cluster
    if not pool_networks(cluster):
        return table
    exclusions = matrix.ctx.options.nat_outgoing_exclusions
    local = table.local
    changed = False
    for c in matrix.classes:
        pod = c.endpoint
        if kinds[c.index] != OFF or pod is None or pod.kind == HOST_ENDPOINT or not c.node \
                or not cluster.node_addresses.get(c.node) or c.node not in cluster.node_names:
            continue
        source = next((ip for ip in pod.ips if ip.version == c.family), None)
        here = node_address(cluster, node, c.family)
        if source is None or not masquerades(cluster, source, _ip(here), exclusions):
            continue
        sender = _ip(node_address(cluster, c.node, c.family))
        hep = cluster.governing_host_endpoints.get(c.node)
        owner = hep if hep is not None and sender in hep.ips else None
        target = matrix.peers.address_class(sender, owner)
        if target is not None:
            local[c.index] = local[target]
            changed = True
    if not changed:
        return table
    positions = np.nonzero(local != table.base)[0].astype(np.int64)
    return SideTable(table.base, positions, local[positions].astype(np.int32), table.table)


def _ip(text: str):
    import ipaddress

    return ipaddress.ip_address(text)
