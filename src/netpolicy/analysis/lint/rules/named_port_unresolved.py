"""named-port-unresolved: a named port that no endpoint on that side of the rule defines (for that protocol)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint import calico_fields, k8s_fields
from netpolicy.analysis.lint.endpoints import side_endpoints
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.analysis.lint.objects import is_k8s_policy
from netpolicy.model.cluster import Endpoint
from netpolicy.model.protocols import protocol_name
from netpolicy.suggest import closest, did_you_mean

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "named-port-unresolved"
SEVERITY = WARNING
DOC = ("A named port (`port: http`) is resolved on each destination pod — the container port of that name and "
       "protocol — and matches nothing on pods that do not define it. When no endpoint the rule can reach "
       "defines the name, or defines it only for another protocol (a `dns` port on UDP named in a TCP rule), "
       "the rule admits nothing through it. Usually a typo, or a name that lives on the Service rather than "
       "on the containers.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Named ports that resolve on no endpoint."""
    for policy, raw in ctx.policies:
        for rule in policy.ingress + policy.egress:
            for side_name in ("destination", "source"):
                entity = getattr(rule, side_name)
                for field, ports in (("ports", entity.ports), ("notPorts", entity.not_ports)):
                    if ports is None or not ports.names:
                        continue
                    endpoints = side_endpoints(ctx, policy, rule, side_name)
                    if not endpoints:
                        continue
                    for name in ports.names:
                        message = _unresolved(name, rule.protocol, endpoints, side_name)
                        if not message:
                            continue
                        if is_k8s_policy(raw):
                            path = k8s_fields.port_path(raw, rule.path, name)
                        else:
                            path = calico_fields.port_path(raw, rule.path, side_name, field, name)
                        yield finding_at(ID, raw, path, f"{policy.id} {rule.name}: {message}",
                                         _suggestion(name, rule.protocol, endpoints))


def _unresolved(name: str, protocol: int | None, endpoints: list[Endpoint], side: str) -> str:
    """Why the name resolves nowhere, or `""` if some endpoint defines it for the protocol."""
    defined = [e for e in endpoints if any(p.name == name for p in e.ports)]
    if any(p.name == name and (protocol is None or p.protocol == protocol) for e in defined for p in e.ports):
        return ""
    who = (f"the only possible {side} endpoint, {endpoints[0].id}," if len(endpoints) == 1
           else f"the {len(endpoints)} possible {side} endpoints")
    if defined:
        others = sorted({protocol_name(p.protocol) for e in defined for p in e.ports if p.name == name})
        return (f"named port {name!r} is defined only for {', '.join(others)} by {who} not for "
                f"{protocol_name(protocol) if protocol is not None else 'this protocol'}: it matches nothing")
    return f"named port {name!r} is defined by none of {who.rstrip(',')}: it matches nothing"


def _suggestion(name: str, protocol: int | None, endpoints: list[Endpoint]) -> str:
    """The name of the same port number for the rule's protocol, else the nearest name of that protocol."""
    ports = [p for e in endpoints for p in e.ports if protocol is None or p.protocol == protocol]
    numbers = {p.port for e in endpoints for p in e.ports if p.name == name}
    same_number = sorted({p.name for p in ports if p.port in numbers and p.name})
    if same_number:
        return f"port {', '.join(map(str, sorted(numbers)))} is named {same_number[0]!r} for this protocol"
    guess = did_you_mean(closest(name, {p.name for p in ports if p.name}), quote=True)
    if guess:
        return guess
    shown = ", ".join(f"{protocol_name(p)} {n}" for p, n in sorted({(p.protocol, p.port) for p in ports})[:4])
    return "name a containerPort in the pod template, or use the port number" + (f" ({shown})" if shown else "")
