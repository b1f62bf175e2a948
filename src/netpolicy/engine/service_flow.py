"""A flow to a Service: each backend kube-proxy may pick, judged by both sides' plans on the packets they see."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

from netpolicy.engine.flow import FlowEvaluator, FlowResult, SideResult
from netpolicy.engine.host_path import entry_hops, node_host_endpoint
from netpolicy.engine.path import CLUSTER_IP, Entry, Leg, ServicePaths
from netpolicy.engine.plan import RuleStep
from netpolicy.model.ir import EGRESS


@dataclass(frozen=True)
class ServiceFlow:
    """The verdict of a flow to a Service: `allow` when every backend it may reach allows it."""

    src: str
    dst: str
    entry: Entry
    protocol: int
    src_port: int | None
    legs: tuple[tuple[Leg, FlowResult], ...]
    dropped: str
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        return "allow" if self.legs and all(r.verdict == "allow" for _, r in self.legs) else "deny"

    @property
    def shown(self) -> FlowResult | None:
        """The leg whose trace stands for the flow: the first denied one, else the first."""
        denied = [r for _, r in self.legs if r.verdict != "allow"]
        return denied[0] if denied else (self.legs[0][1] if self.legs else None)


def evaluate_service(evaluator: FlowEvaluator, paths: ServicePaths, src: str, dst: str, entry: Entry,
                     protocol: int, src_port: int | None = None) -> ServiceFlow:
    """Translate src → entry as kube-proxy does and judge every leg."""
    client = evaluator.ctx.cluster.endpoint(src)
    source = evaluator.peer(src)
    translation = paths.translate(entry, client, str(source.address))
    entry = translation.entry
    arriving = entry.kind != CLUSTER_IP and entry.node is not None and entry.address is not None and not (
        client is not None and client.policed and client.node == entry.node)
    hep = node_host_endpoint(evaluator.ctx.cluster, entry.node) if arriving else None
    legs = []
    for leg in translation.legs:
        backend = leg.backend.endpoint or str(leg.backend.address)
        result = evaluator.evaluate(src, backend, protocol, leg.target.port, src_port, leg.rewrite)
        if hep is not None:
            hops = entry_hops(evaluator, hep, source, entry.address, entry.port, evaluator.peer(backend),
                              leg.target.port, protocol)
            verdict = result.ingress.verdict if hops.verdict == "allow" else "deny"
            ingress = SideResult(verdict, hops.trace + (result.ingress.trace if hops.verdict == "allow" else ()))
            overall = "allow" if result.egress.verdict == "allow" and verdict == "allow" else "deny"
            result = replace(result, ingress=ingress, verdict=overall,
                             allowed_src_ports=result.allowed_src_ports if hops.verdict == "allow" else None)
        legs.append((leg, result))
    notes = _address_rules(evaluator, client, entry) if client is not None and client.policed else ()
    return ServiceFlow(source.display, dst, entry, protocol, src_port, tuple(legs), translation.dropped, notes)


def _address_rules(evaluator: FlowEvaluator, client, entry: Entry) -> tuple[str, ...]:
    """Egress rules of the client naming the Service's virtual address: after DNAT they match nothing."""
    if entry.kind != CLUSTER_IP or entry.address is None:
        return ()
    address = ipaddress.ip_address(entry.address)
    out = []
    for step in evaluator.ctx.plan(client, EGRESS).steps:
        if isinstance(step, RuleStep) and any(address in n for n in step.rule.destination.nets
                                              if n.version == address.version):
            out.append(f"{step.policy.id} {step.rule.name} names {entry.address} ({entry.service.id}'s ClusterIP) "
                       "in its destination: kube-proxy rewrites that address to a backend before policy, so "
                       "the rule never matches it")
    return tuple(out)
