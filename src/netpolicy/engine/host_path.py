"""A packet entering a node through its host endpoint on the way to a Service: Calico's hooks in front
of the workload's ingress plan (docs/semantics.md#host-endpoint-hooks).

Order (`felix/rules/static.go`): mangle PREROUTING runs the host endpoint's preDNAT policy on the
original destination (node address and nodePort), inbound failsafe ports first, tiers defaulting to
Pass; Allow sets the accept mark, Deny drops, nothing decided goes on. Then kube-proxy DNATs; in
FORWARD, unless the mark is set, from-hep-forward runs the applyOnForward policies on the translated
packet (none applies: "Allow forwarded traffic by default"); the workload's own ingress always follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from netpolicy.engine.flow import EPHEMERAL, FlowEvaluator, SideResult, TraceStep, evaluate_side
from netpolicy.engine.packet import Packet, Peer
from netpolicy.engine.plan import ACCEPT, DROP
from netpolicy.model.cluster import HOST_ENDPOINT, Cluster, Endpoint
from netpolicy.model.ir import INGRESS, PRE_DNAT
from netpolicy.model.protocols import TCP, UDP

#: Felix's FailsafeInboundHostPorts default (`felix/config/config_params.go`).
FAILSAFE_INBOUND = frozenset({(TCP, 22), (UDP, 68), (TCP, 179), (TCP, 2379), (TCP, 2380), (TCP, 5473),
                              (TCP, 6443), (TCP, 6666), (TCP, 6667)})
FORWARD = "forward"


def node_host_endpoint(cluster: Cluster, node: str) -> Endpoint | None:
    """The host endpoint governing a node's fabric interface: one naming an interface (alphabetically
    first name), else the node's `interfaceName: "*"` endpoint (`endpoint_mgr.go`)."""
    found = sorted((e for e in cluster.endpoints if e.kind == HOST_ENDPOINT and e.node == node),
                   key=lambda e: e.name)
    named = [e for e in found if e.interface and e.interface != "*"]
    return named[0] if named else next((e for e in found if e.interface == "*"), None)


@dataclass(frozen=True)
class EntryHops:
    """What the entry node's host endpoint did: `deny`, `allow` (accepted by preDNAT or let through
    forward), with the trace steps to put before the workload's ingress."""

    verdict: str
    trace: tuple[TraceStep, ...]


def entry_hops(evaluator: FlowEvaluator, hep: Endpoint, client: Peer, node_address: str, node_port: int,
               backend: Peer, target_port: int, protocol: int) -> EntryHops:
    """The preDNAT and forward hooks of `hep` for a packet from `client` to node_address:node_port,
    translated to backend:target_port."""
    ctx = evaluator.ctx
    source_port = EPHEMERAL[0]
    before = Packet(client, evaluator.peer(node_address), protocol, node_port, source_port)
    trace: list[TraceStep] = []
    marked = False
    if (protocol, node_port) in FAILSAFE_INBOUND:
        trace.append(_step(f"{node_port} is a failsafe inbound port of {hep.id}: accepted before its preDNAT policy"))
    else:
        plan = ctx.host_plan(hep, PRE_DNAT, INGRESS)
        if plan.isolated:
            side = evaluate_side(ctx, hep, INGRESS, before, plan)
            trace += [_tag(s, "preDNAT") for s in side.trace]
            if side.verdict == DROP:
                return EntryHops(DROP, tuple(trace))
            marked = side.verdict == ACCEPT
    after = Packet(client, backend, protocol, target_port, source_port)
    if marked:
        trace.append(_step(f"preDNAT allowed it: {hep.id}'s forward policy is skipped (the workload's still applies)"))
        return EntryHops(ACCEPT, tuple(trace))
    plan = ctx.host_plan(hep, FORWARD, INGRESS)
    if not plan.isolated:
        trace.append(_step(f"no applyOnForward policy applies to {hep.id}: forwarded traffic is allowed"))
        return EntryHops(ACCEPT, tuple(trace))
    side: SideResult = evaluate_side(ctx, hep, INGRESS, after, plan)
    trace += [_tag(s, "forward") for s in side.trace]
    return EntryHops(ACCEPT if side.verdict == ACCEPT else DROP, tuple(trace))


def _step(reason: str) -> TraceStep:
    return TraceStep(None, None, None, None, "Default", reason)


def _tag(step: TraceStep, hook: str) -> TraceStep:
    """A host endpoint step, its reason prefixed with the hook it ran in."""
    return TraceStep(step.tier, step.policy, step.kind, step.rule, step.action, f"[{hook}] {step.reason}",
                     step.location, step.unmatched, step.findings)
