"""A port sweep (`query` without `--port`) as JSON: the query form for the protocol, plus one entry per outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netpolicy.render.flow_json import flow_json, sides_json

if TYPE_CHECKING:
    from netpolicy.analysis.port_sweep import PortOutcome, PortSweep


def outcome_json(outcome: PortOutcome) -> dict:
    """Destination ports sharing one verdict, with both sides of the flow that shows it."""
    return {"ports": outcome.ports.format(), "verdict": outcome.verdict, **sides_json(outcome.result)}


def sweep_json(sweep: PortSweep) -> dict:
    """The query JSON (INTERFACES.md) for the protocol as a whole, plus `allowed_ports` and `ports`."""
    out = flow_json(sweep.flow)
    allowed = sweep.allowed
    out["port"] = None
    out["verdict"] = "allow" if allowed else "deny"
    out["allowed_ports"] = allowed.format()
    out["ports"] = [outcome_json(o) for o in sweep.outcomes]
    return out
