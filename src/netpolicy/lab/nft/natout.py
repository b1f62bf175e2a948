"""Felix's natOutgoing on a lab node: nat POSTROUTING `cali-nat-outgoing` masquerades a packet from a
natOutgoing pool to an address in no pool (`felix/rules/nat.go` NATOutgoingChain, makeNATOutgoingRuleIPTables;
`felix/dataplane/linux/masq_mgr.go` for the masq-ipam-pools and all-ipam-pools sets; docs/semantics.md#nat-outgoing).
"""

from __future__ import annotations

from collections.abc import Sequence

from netpolicy.engine.nat_outgoing import IPPOOLS_AND_HOST_IPS
from netpolicy.lab.nft.model import NftChain
from netpolicy.model.cluster import Cluster
from netpolicy.options import Options

CHAIN = "cali-nat-outgoing"
_MATCH = {4: "ip", 6: "ip6"}


def nat_outgoing_chain(cluster: Cluster, options: Options, families: Sequence[int]) -> NftChain | None:
    """The node's `cali-nat-outgoing` base chain (nat POSTROUTING), None without a natOutgoing pool."""
    rules = []
    for family in families:
        masq = [str(p.cidr) for p in cluster.ip_pools if p.nat_outgoing and p.cidr.version == family]
        if not masq:
            continue
        excluded = [str(p.cidr) for p in cluster.ip_pools if p.cidr.version == family
                    and p.allowed_uses != ("LoadBalancer",)]
        if options.nat_outgoing_exclusions == IPPOOLS_AND_HOST_IPS:
            excluded += sorted({str(a) for addresses in cluster.node_addresses.values() for a in addresses
                                if a.version == family})
        word = _MATCH[family]
        rules.append(f"{word} saddr {{ {', '.join(masq)} }} {word} daddr != {{ {', '.join(excluded)} }} masquerade")
    if not rules:
        return None
    chain = NftChain(CHAIN, hook="type nat hook postrouting priority srcnat; policy accept;",
                     notes=("natOutgoing: from a natOutgoing pool (masq-ipam-pools) to an address in no pool "
                            "(all-ipam-pools): masquerade to the node's address",))
    for rule in rules:
        chain.add(rule)
    return chain
