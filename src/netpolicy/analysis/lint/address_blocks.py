"""The address blocks policies write: Kubernetes ipBlock `cidr`s and Calico `nets`, with where they are."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netpolicy.analysis.lint import k8s_fields
from netpolicy.analysis.lint.calico_fields import sides
from netpolicy.model.addresses import IPNetwork
from netpolicy.model.ir import EGRESS, INGRESS, Policy
from netpolicy.sources.raw import RawObject

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext


@dataclass(frozen=True)
class Block:
    """One block on the peer side of a rule: the policy, its object, the direction, the field and the network."""

    policy: Policy
    raw: RawObject
    direction: str
    rule: str
    path: str
    network: IPNetwork


def peer_blocks(ctx: LintContext) -> Iterator[Block]:
    """Every valid block on a rule's peer side (the source of ingress, the destination of egress)."""
    for policy, raw in ctx.k8s_policies:
        for peer in k8s_fields.peers(raw):
            block = peer.ip_block
            network = _network(block.get("cidr")) if block is not None else None
            if network is not None:
                yield Block(policy, raw, peer.direction, f"{peer.direction}[{peer.rule_index}]",
                            f"{peer.path}.ipBlock.cidr", network)
    for policy, raw in ctx.calico_policies:
        for direction, i, side_name, entity in sides(raw):
            if side_name != {INGRESS: "source", EGRESS: "destination"}[direction]:
                continue
            for k, cidr in enumerate(entity.get("nets") or []):
                network = _network(cidr)
                if network is not None:
                    yield Block(policy, raw, direction, f"{direction}[{i}]",
                                f"spec.{direction}[{i}].{side_name}.nets[{k}]", network)


def _network(text: object) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(text, strict=False) if isinstance(text, str) else None
    except ValueError:
        return None
