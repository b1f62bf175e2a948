"""service-port-confusion: a rule port equal to a Service's `port` but to no container port behind it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint import calico_fields, k8s_fields
from netpolicy.analysis.lint.endpoints import listening, ports_text, side_endpoints
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at
from netpolicy.analysis.lint.objects import is_k8s_policy
from netpolicy.model.cluster import Endpoint, Service, ServicePort
from netpolicy.model.ir import ServiceRef
from netpolicy.model.protocols import protocol_name

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "service-port-confusion"
SEVERITY = WARNING
DOC = ("Policies see connections after the Service's address translation: the destination is a backend pod "
       "on the Service's `targetPort`, never the Service's own `port`. A rule port that equals a Service's "
       "`port` where that differs from the target port, and that no container of the backends listens on, "
       "admits nothing the Service sends there. Use the target port (or its name).")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Rule ports that name a Service port instead of the port its backends listen on."""
    confusing = _confusing_ports(ctx)
    if not confusing:
        return
    reported: set[tuple] = set()
    for policy, raw in ctx.policies:
        for rule in policy.ingress + policy.egress:
            ports = rule.destination.ports
            if ports is None or not ports.numbers:
                continue
            candidates = [(key, entries) for key, entries in confusing.items()
                          if key[1] in ports.numbers and rule.protocol in (None, key[0])]
            if not candidates:
                continue
            destinations = {e.id for e in side_endpoints(ctx, policy, rule, "destination")}
            for (protocol, port), entries in candidates:
                for service, service_port, backends in entries:
                    reached = [b for b in backends if b.id in destinations]
                    targets = target_ports(service_port, reached)
                    if not reached or (protocol, port) in targets or any(
                            (protocol, port) in listening(b) for b in reached):
                        continue
                    if is_k8s_policy(raw):
                        path = k8s_fields.port_path(raw, rule.path, port)
                    else:
                        path = calico_fields.port_path(raw, rule.path, "destination", "ports", port)
                    if (id(raw), path) in reported:
                        continue
                    reported.add((id(raw), path))
                    target_text = ports_text(targets) if targets else "its target port"
                    yield finding_at(
                        ID, raw, path,
                        f"{policy.id} {rule.name}: {protocol_name(protocol)} {port} is the port of Service "
                        f"{service.id}, but policies see the target port it forwards to ({target_text}); no "
                        f"container of its backends ({', '.join(b.id for b in reached[:3])}) listens on {port}",
                        f"use {target_text}" + (f" (or the named port {service_port.target_port!r})"
                                               if isinstance(service_port.target_port, str) else ""))


def _confusing_ports(ctx: LintContext) -> dict[tuple[int, int], list[tuple[Service, ServicePort, list[Endpoint]]]]:
    """(protocol, Service port) → the Services whose port forwards elsewhere, with their backends."""
    engine = ctx.matrix
    out: dict[tuple[int, int], list] = {}
    for service in ctx.cluster.services:
        backends = engine.service_backends(ServiceRef(service.namespace, service.name))
        if not backends:
            continue
        for service_port in service.ports:
            key = (service_port.protocol, service_port.port)
            if target_ports(service_port, backends) != {key}:
                out.setdefault(key, []).append((service, service_port, backends))
    return out


def target_ports(service_port: ServicePort, backends: list[Endpoint]) -> set[tuple[int, int]]:
    """(protocol, port) the Service port forwards to on these backends, named target ports resolved."""
    target = service_port.target_port if service_port.target_port is not None else service_port.port
    if isinstance(target, int) or str(target).isdigit():
        return {(service_port.protocol, int(target))}
    return {(p.protocol, p.port) for b in backends for p in b.ports
            if p.name == target and p.protocol == service_port.protocol}
