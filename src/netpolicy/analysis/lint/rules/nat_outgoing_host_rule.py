"""nat-outgoing-host-rule: a host endpoint ingress rule on a natOutgoing pool's addresses, which Felix
masquerades to their node's address on the way to another node (docs/semantics.md#nat-outgoing)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.address_blocks import peer_blocks
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.engine.nat_outgoing import IPPOOLS_ONLY
from netpolicy.model.cluster import HOST_ENDPOINT
from netpolicy.model.ir import INGRESS, NORMAL

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "nat-outgoing-host-rule"
SEVERITY = WARNING
DOC = ("A pod of an IPPool with `natOutgoing: true` that sends to an address in no IP pool — another node's "
       "address included, under Felix's default NATOutgoingExclusions IPPoolsOnly — leaves its node masqueraded "
       "to the node's address (Felix's cali-nat-outgoing). A host endpoint's normal ingress rule whose `nets` "
       "lie in such a pool never matches those pods' traffic to the node: their own node's traffic does not "
       "reach host endpoint policy, and from other nodes it arrives from the sending node's address. Name the "
       "nodes' addresses instead, or list the nodes in a disabled IPPool so that natOutgoing leaves them alone.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Calico ingress `nets` inside a natOutgoing pool, in normal policies selecting host endpoints."""
    pools = [p for p in ctx.cluster.ip_pools if p.nat_outgoing]
    if not pools or ctx.options.nat_outgoing_exclusions != IPPOOLS_ONLY:
        return
    for block in peer_blocks(ctx):
        policy = block.policy
        if block.direction != INGRESS or policy.hook != NORMAL or policy.apply_on_forward:
            continue
        pool = next((p for p in pools if p.cidr.version == block.network.version
                     and block.network.subnet_of(p.cidr)), None)
        if pool is None or not any(e.kind == HOST_ENDPOINT for e in ctx.selected(policy)):
            continue
        yield finding_at(
            ID, block.raw, block.path,
            f"{policy.id} {block.rule}: {block.network} lies in IPPool {pool.name} ({pool.cidr}, natOutgoing): "
            "its pods reach another node's host endpoint masqueraded to their node's address, so this rule "
            "never matches them",
            "name the nodes' addresses instead (or put them in a disabled IPPool, which natOutgoing leaves alone)")
