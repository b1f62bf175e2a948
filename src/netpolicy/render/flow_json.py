"""One flow's verdict and traces as JSON (INTERFACES.md `query -o json`): steps, sides, flows, Service flows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netpolicy.model.protocols import protocol_name

if TYPE_CHECKING:
    from netpolicy.engine.flow import FlowResult, SideResult, TraceStep
    from netpolicy.engine.service_flow import ServiceFlow


def step_json(step: TraceStep) -> dict:
    """A TraceStep: tier, policy, kind, rule, action, reason; location, unmatched rules, findings when known."""
    out = {"tier": step.tier, "policy": step.policy, "kind": step.kind, "rule": step.rule,
           "action": step.action, "reason": step.reason}
    if step.location:
        out["location"] = step.location
    if step.unmatched:
        out["unmatched"] = [{"policy": p, "rule": r, "reason": why} for p, r, why in step.unmatched]
    if step.findings:
        out["findings"] = list(step.findings)
    return out


def side_json(side: SideResult) -> dict:
    """One side's verdict and its trace."""
    return {"verdict": side.verdict, "trace": [step_json(s) for s in side.trace]}


def sides_json(result: FlowResult) -> dict:
    """The `egress` and `ingress` entries of a flow."""
    return {"egress": side_json(result.egress), "ingress": side_json(result.ingress)}


def flow_json(result: FlowResult) -> dict:
    """The flow: ends, protocol, ports, verdict, both sides; allowed source ports, notes and the staged
    (`pending`) verdict when there are any."""
    out = {"from": result.src, "to": result.dst, "protocol": protocol_name(result.protocol),
           "port": result.port, "src_port": result.src_port, "verdict": result.verdict, **sides_json(result)}
    if result.allowed_src_ports is not None:
        out["allowed_src_ports"] = result.allowed_src_ports.format()
    if result.notes:
        out["notes"] = list(result.notes)
    if result.pending is not None:
        out["pending"] = {"verdict": result.pending.verdict, **sides_json(result.pending)}
    return out


def service_flow_json(flow: ServiceFlow) -> dict:
    """A flow to a Service: the query form for the leg shown, the Service entry, and every backend's leg."""
    shown = flow.shown
    if shown is None:
        from netpolicy.engine.flow import SideResult, TraceStep

        empty = side_json(SideResult("deny", (TraceStep(None, None, None, None, "Default", flow.dropped),)))
        sides = {"egress": empty, "ingress": empty}
    else:
        sides = sides_json(shown)
    entry = flow.entry
    out = {"from": flow.src, "to": flow.dst, "protocol": protocol_name(flow.protocol), "port": entry.port,
           "src_port": flow.src_port, "verdict": flow.verdict, **sides,
           "service": {"id": entry.service.id, "via": entry.kind, "address": entry.address,
                       "node": entry.node, "port": entry.port,
                       "external_traffic_policy": entry.service.external_traffic_policy},
           "backends": [{"to": leg.name, "address": str(leg.backend.address), "port": leg.target.port,
                         "node": leg.backend.node, "path": leg.why, "verdict": result.verdict,
                         **sides_json(result)}
                        for leg, result in flow.legs]}
    if flow.dropped:
        out["dropped"] = flow.dropped
    if flow.notes:
        out["notes"] = list(flow.notes)
    return out
