"""A node's governing host endpoint as a matrix row and column, judged as `query` judges `node/<name>`
(`node_flow.py`, docs/semantics.md#nodes): its traffic to its own pods is never policed, its pods'
traffic to it passes DefaultEndpointToHostAction, anything else crosses its hooks in order.

Out of the node (`host_path.depart`, from the host): raw OUTPUT (doNotTrack; failsafe outbound ports and
the replies of failsafe inbound connections skip it; Allow: untracked, and its reply needs raw
PREROUTING's Allow, or, for UDP, preDNAT and then the normal ingress policy), then filter OUTPUT
(failsafe outbound ports, then the normal egress policy). Into it (`host_path.arrive`, to the host): raw
PREROUTING, preDNAT (Allow skips INPUT), filter INPUT (failsafe inbound ports, then the normal ingress
policy); an untracked request's reply needs raw OUTPUT's Allow or, for UDP, the normal egress policy.

Sources: `felix/rules/static.go` (filterOutputChain "We don't currently police host -> endpoint",
filterWorkloadToHostChain, failsafeInChain/failsafeOutChain), `felix/rules/endpoints.go`,
`felix/config/config_params.go` (DefaultEndpointToHostAction, Failsafe*HostPorts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from netpolicy.engine.tables import SideTable
from netpolicy.model.cluster import Endpoint
from netpolicy.model.ir import EGRESS, INGRESS

if TYPE_CHECKING:
    from netpolicy.engine.hook_tables import HookTables, NodeHooks

#: What a peer class is to a node (`HookTables.kinds`): anything else, off the node (an address range, a
#: pod on another known node, another node's governing host endpoint), one of its pods, its governing
#: host endpoint, a host endpoint of it governing no node (told apart only under `*` host endpoints).
OTHER, OFF, OWN_POD, OWN_HOST, STRAY_HOST = 0, 1, 2, 3, 4
N_KINDS = 5


def node_parts(tables: HookTables, hep: Endpoint, direction: str, hooks: NodeHooks,
               subject: dict[int, int]) -> tuple[dict[str, SideTable], Callable]:
    """The tables a governing host endpoint's side is made of, and how its rows combine."""
    matrix = tables.matrix
    own, other = (EGRESS, INGRESS) if direction == EGRESS else (INGRESS, EGRESS)
    parts: dict[str, SideTable] = {"own": matrix.plain_side_table(hep, own)}
    raw, raw_other = (hooks.raw_out, hooks.raw) if direction == EGRESS else (hooks.raw, hooks.raw_out)
    if raw is not None:
        tables.tri_state(parts, "raw", raw, own, subject)
        if hooks.pre is not None and direction == EGRESS:  # the reply enters the node: preDNAT
            tables.tri_state(parts, "pre_back", hooks.pre, INGRESS, subject)
        parts["back"] = matrix.plain_side_table(hep, other)
    if raw_other is not None:  # every reply, tracked or not, crosses the other direction's raw hook
        tables.tri_state(parts, "raw_back", raw_other, other, subject)
    if hooks.pre is not None and direction == INGRESS:
        tables.tri_state(parts, "pre", hooks.pre, INGRESS, subject)
    star = matrix.ctx.cluster.star_host_endpoints.get(hep.node) if hooks.star is not None else None
    if star is not None:  # the node's traffic to itself, by `lo`: the `*` endpoint's normal policy and preDNAT
        parts["lo"] = matrix.plain_side_table(star, own)
        if hooks.star.pre is not None and direction == INGRESS:
            tables.tri_state(parts, "lo_pre", hooks.star.pre, INGRESS, matrix.subject_classes(star))
    if direction == EGRESS:
        return parts, lambda rows, kinds: _by_lo(tables, rows, kinds, _leaving(tables, rows, kinds), EGRESS)
    accept = matrix.ctx.options.endpoint_to_host_action != "DROP"
    return parts, lambda rows, kinds: _by_lo(tables, rows, kinds, _arriving(tables, rows, kinds, accept), INGRESS)


def _by_lo(t: HookTables, rows: dict[str, np.ndarray], kinds: np.ndarray, found: np.ndarray,
           direction: str) -> np.ndarray:
    """The node's cells with itself under a `*` host endpoint, which governs `lo` (`dispatch.go` default):
    leaving, filter OUTPUT (failsafe outbound ports, then its normal egress policy); arriving, preDNAT (failsafe
    inbound ports skip it; Allow skips INPUT), then filter INPUT (failsafe inbound, its normal ingress policy)."""
    if "lo" not in rows:
        return found
    if direction == EGRESS:
        by_lo = t.outbound[None, :] | rows["lo"]
    else:
        allowed, undecided = t.decided(rows, "lo_pre", t.inbound[None, :])
        by_lo = allowed | undecided & (t.inbound[None, :] | rows["lo"])
    return np.where((kinds == OWN_HOST)[:, None], by_lo, found)


def _leaving(t: HookTables, rows: dict[str, np.ndarray], kinds: np.ndarray) -> np.ndarray:
    """The node's packet to a class: to its own pods and itself everything; else raw OUTPUT, then filter
    OUTPUT (failsafe outbound ports first), an untracked packet's reply judged at the swapped atom."""
    normal = t.outbound[None, :] | rows["own"]
    failsafe = (t.outbound | t.inbound_from)[None, :]   # raw: failsafe ports both ways (request and reply)
    allowed, undecided = t.decided(rows, "raw", failsafe)
    # a tracked reply through the other direction's raw hook, at the swapped atom (`static.go` StaticRaw*Chain)
    back_allowed, back_undecided = t.decided(rows, "raw_back", failsafe, t.swapped)
    if "raw" in rows:
        pre_allowed, pre_undecided = t.decided(rows, "pre_back", t.inbound_from[None, :], t.swapped)
        tracked = pre_allowed | pre_undecided & (t.inbound_from[None, :] | rows["back"][:, t.swapped])
        allowed = allowed & (back_allowed | back_undecided & t.udp[None, :] & tracked)
    leaving = allowed | undecided & normal & (back_allowed | back_undecided)
    return leaving | np.isin(kinds, (OWN_POD, OWN_HOST))[:, None]


def _arriving(t: HookTables, rows: dict[str, np.ndarray], kinds: np.ndarray, accept: bool) -> np.ndarray:
    """A class's packet to the node: from itself everything, from its own pods DefaultEndpointToHostAction
    (after the pod's egress); else raw PREROUTING, preDNAT, filter INPUT (failsafe inbound ports first), an
    untracked packet's reply judged at the swapped atom."""
    normal = t.inbound[None, :] | rows["own"]
    pre_allowed, pre_undecided = t.decided(rows, "pre", t.inbound[None, :])
    after_raw = pre_allowed | pre_undecided & normal
    failsafe = (t.inbound | t.outbound_from)[None, :]
    allowed, undecided = t.decided(rows, "raw", failsafe)
    back_allowed, back_undecided = t.decided(rows, "raw_back", failsafe, t.swapped)
    if "raw" in rows:
        tracked = t.outbound_from[None, :] | rows["back"][:, t.swapped]
        allowed = allowed & (back_allowed | back_undecided & t.udp[None, :] & tracked)
    arriving = allowed | undecided & after_raw & (back_allowed | back_undecided)
    arriving = np.where((kinds == OWN_POD)[:, None], accept, arriving)
    return arriving | (kinds == OWN_HOST)[:, None]



def stray_parts(tables: HookTables, table: SideTable, direction: str) -> tuple[dict[str, SideTable], Callable]:
    """A host endpoint governing none on a guarded node: with its node's pods, the node's own traffic (to them
    never policed; from them DefaultEndpointToHostAction), else its own table."""
    if direction == EGRESS:
        return {"own": table}, lambda rows, kinds: rows["own"] | (kinds == OWN_POD)[:, None]
    accept = tables.matrix.ctx.options.endpoint_to_host_action != "DROP"
    return {"own": table}, lambda rows, kinds: np.where((kinds == OWN_POD)[:, None], accept, rows["own"])
