"""Deciding rules in words, for diff and expectation reports: `Allow by ns/policy egress[0] (file:12)`."""

from __future__ import annotations

import re

from netpolicy.engine.flow import FlowResult, SideResult, TraceStep
from netpolicy.model.protocols import PORT_PROTOCOLS, protocol_name

_ISOLATED_BY = re.compile(r"isolated for \w+ by (.+?) \(tier ")


def step_brief(step: TraceStep, *, location: bool = True) -> str:
    """One step in a few words; rule steps name the policy and rule, others keep their reason."""
    if step.policy is not None and step.rule is not None:
        kind = f"{step.kind} " if step.kind else ""
        where = f" ({step.location})" if location and step.location else ""
        return f"{step.action} by {kind}{step.policy} {step.rule}{where}"
    if step.action == "NoPolicy":
        return "no policy applies (not isolated)"
    if step.action == "EndOfTier":
        isolating = _ISOLATED_BY.search(step.reason)
        by = f"isolated by {isolating.group(1)} (tier {step.tier}); " if isolating else f"tier {step.tier}: "
        return by + "no rule admits it"
    if step.action == "Default":
        return "no profile allows it"
    return step.reason


def side_brief(direction: str, side: SideResult, *, location: bool = True) -> str:
    """`egress allow: Allow by NetworkPolicy ns/app egress[0]` — the step that gave the side's verdict."""
    return f"{direction} {side.verdict}: {step_brief(side.trace[-1], location=location)}"


def flow_what(result: FlowResult) -> str:
    """The flow's protocol and ports: `TCP 5432`, `TCP 8000 from source port 5432`, `ICMP type 8`."""
    name = protocol_name(result.protocol)
    if result.protocol in PORT_PROTOCOLS:
        text = f"{name} {result.port}"
        return text + (f" from source port {result.src_port}" if result.src_port is not None else "")
    if result.port is not None:
        return f"{name} type {result.port}" + (f" code {result.src_port}" if result.src_port is not None else "")
    return name if name[0].isalpha() else f"protocol {name}"


def flow_lines(result: FlowResult, *, location: bool = True) -> list[str]:
    """A flow's verdict and both sides' deciding steps, one line each."""
    lines = [f"{result.src} → {result.dst} {flow_what(result)}: {result.verdict}"]
    if result.allowed_src_ports is not None:
        lines.append(f"only from source ports {result.allowed_src_ports.format(', ')}")
    lines.append(side_brief(f"egress of {result.src}", result.egress, location=location))
    lines.append(side_brief(f"ingress of {result.dst}", result.ingress, location=location))
    return lines
