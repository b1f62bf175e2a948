"""Admin policies into the IR: one GlobalNetworkPolicy-like IR policy per object, in its own tier.

Calico 3.32: a ClusterNetworkPolicy goes to tier `kube-admin` (spec.tier Admin) or `kube-baseline`
(Baseline) at order `spec.priority`. Calico 3.29-3.31: an AdminNetworkPolicy goes to tier
`adminnetworkpolicy` at order `spec.priority`, the BaselineAdminNetworkPolicy to
`baselineadminnetworkpolicy` at order 1000. Selectors are made effective as for any GlobalNetworkPolicy
(docs/semantics.md#admin-policies, #admin-tiers, #admin-subjects-peers).
"""

from __future__ import annotations

from netpolicy.model import ir
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import NUMBER_BY_NAME
from netpolicy.policies.admin.convert import AdminPeer, Conversion, ConvertedRule, convert_rule
from netpolicy.policies.admin.models import AdminPolicySpec, Peer, Rule
from netpolicy.policies.admin.validation import AdminApi
from netpolicy.policies.calico.scoping import effective, endpoint_selector, global_policy_selector
from netpolicy.policies.kubernetes.compile import port_match
from netpolicy.policies.kubernetes.convert import CalicoPort
from netpolicy.selectors import k8s as k8s_selectors
from netpolicy.sources.raw import RawObject

BASELINE_ORDER = 1000.0  # Calico 3.30-3.31 give the BaselineAdminNetworkPolicy order 1000
TIER_BY_KIND = {
    ir.ADMIN_NETWORK_POLICY: "adminnetworkpolicy",
    ir.BASELINE_ADMIN_NETWORK_POLICY: "baselineadminnetworkpolicy",
}
CNP_TIERS = {"Admin": "kube-admin", "Baseline": "kube-baseline"}


def build_admin_policy(api: AdminApi, spec: AdminPolicySpec, raw: RawObject,
                       version: str) -> tuple[ir.Policy, list[tuple[str, str]]]:
    """The IR policy of a validated admin policy, and Calico's conversion notes as (field path, note)."""
    if api.kind == ir.CLUSTER_NETWORK_POLICY:
        tier, order = CNP_TIERS[spec.tier], float(spec.priority)
    else:
        tier = TIER_BY_KIND[api.kind]
        order = BASELINE_ORDER if api.kind == ir.BASELINE_ADMIN_NETWORK_POLICY else float(spec.priority)
    notes: list[tuple[str, str]] = []
    ingress = _direction(ir.INGRESS, spec.ingress or [], api, raw, version, notes)
    egress = _direction(ir.EGRESS, spec.egress or [], api, raw, version, notes)
    types = frozenset(d for d, rules in ((ir.INGRESS, ingress), (ir.EGRESS, egress)) if rules)
    policy = ir.Policy(name=raw.name, kind=api.kind, namespace=None, tier=tier, order=order,
                       selector=subject_selector(spec), types=types, ingress=ingress, egress=egress,
                       location=raw.at(""), notes=tuple(f"{path}: {note}" for path, note in notes), source=raw)
    return policy, notes


def subject_selector(spec: AdminPolicySpec):
    """The effective applies-to selector: `(orchestrator && pods) && pcns.<namespaces>` (all() → has(ns))."""
    subject = spec.subject
    if subject.namespaces is not None:
        pods, namespaces = {}, subject.namespaces.as_mapping()
    else:
        pods, namespaces = subject.pods.pod_selector.as_mapping(), subject.pods.namespace_selector.as_mapping()
    pod_text = str(k8s_selectors.pod_selector(pods))
    namespace_text = str(k8s_selectors.namespace_selector(namespaces))
    return effective(global_policy_selector(pod_text, namespace_text, ""))


def _direction(direction: str, rules: list[Rule], api: AdminApi, raw: RawObject, version: str,
               notes: list[tuple[str, str]]) -> tuple[ir.Rule, ...]:
    ingress = direction == ir.INGRESS
    field = "from" if ingress else "to"
    out: list[ir.Rule] = []
    for i, rule in enumerate(rules):
        path = f"spec.{direction}[{i}]"
        name = rule.name or f"{direction}[{i}]"
        conversion = convert_rule(rule, ingress, api.v1alpha2)
        notes.extend((path, note) for note in conversion.notes)
        if conversion.failure:
            notes.append((path, failure_text(conversion, rule.action, direction, version)))
        peers = (rule.from_ if ingress else rule.to) or []
        for converted in conversion.rules:
            out.append(_ir_rule(converted, direction, len(out), name, path, raw, field, peers, conversion))
    return tuple(out)


def failure_text(conversion: Conversion, action: str, direction: str, version: str) -> str:
    """What Calico does with a rule it cannot convert (Accept/Allow dropped, Deny/Pass deny all)."""
    what = (f"Calico {version} drops this {action} rule" if not conversion.rules else
            f"Calico {version} replaces this {action} rule with a bare Deny: every {direction} packet of "
            "the subject that reaches it is denied")
    return f"{conversion.failure}; the rule fails closed: {what}"


def _ir_rule(converted: ConvertedRule, direction: str, index: int, name: str, path: str, raw: RawObject,
             field: str, peers: list[Peer], conversion: Conversion) -> ir.Rule:
    location = raw.at(path)
    if converted.peer is None:
        return ir.Rule(action=ir.DENY, direction=direction, index=index, name=name,
                       detail=f"fails closed: {conversion.failure}", location=location, path=path)
    j = converted.peer_index
    entity = peer_entity(converted.peer)
    ports = port_match(converted.ports)
    if direction == ir.INGRESS:
        source, destination = entity, (ir.EntityMatch(ports=ports) if ports else ir.EMPTY_ENTITY)
    else:
        source = ir.EMPTY_ENTITY
        destination = ir.EntityMatch(nets=entity.nets, selector=entity.selector, ports=ports)
    detail = f"{field}[{j}] {peer_text(peers[j])}, {ports_text(converted.protocol, converted.ports)}"
    return ir.Rule(action=converted.action, direction=direction, index=index, name=name,
                   protocol=NUMBER_BY_NAME[converted.protocol] if converted.protocol else None,
                   source=source, destination=destination, detail=detail, location=location,
                   path=f"{path}.{field}[{j}]")


def peer_entity(peer: AdminPeer) -> ir.EntityMatch:
    """One peer as an IR side: nets, or the GlobalNetworkPolicy-scoped selector (`getEndpointSelector`)."""
    text = endpoint_selector(peer.namespace_selector, peer.selector, "", "", "")
    return ir.EntityMatch(nets=peer.nets, selector=effective(text))


def peer_text(peer: Peer) -> str:
    """`namespaces team=db`, `pods app=web in namespaces all`, `networks 10.0.0.0/8`, `nodes role=x`."""
    if peer.namespaces is not None:
        return f"namespaces {_selector_text(peer.namespaces.as_mapping())}"
    if peer.pods is not None:
        return (f"pods {_selector_text(peer.pods.pod_selector.as_mapping())} in namespaces "
                f"{_selector_text(peer.pods.namespace_selector.as_mapping())}")
    if peer.networks:
        return "networks " + ", ".join(peer.networks)
    if peer.nodes is not None:
        return f"nodes {_selector_text(peer.nodes.as_mapping())}"
    return "domainNames " + ", ".join(peer.domain_names or ())


def _selector_text(mapping: dict) -> str:
    node = k8s_selectors.namespace_selector(mapping)
    return "all" if node.is_all else str(node)


def ports_text(protocol: str | None, ports: tuple[CalicoPort, ...]) -> str:
    """`TCP 80,8080-8090`, `UDP all ports`, `named port dns (its own protocol)`, `all protocols and ports`."""
    names = [p for p in ports if isinstance(p, str)]
    numbers = IntervalSet.of([p for p in ports if isinstance(p, tuple)]).format()
    if protocol is None:
        return f"named port {', '.join(names)} (the protocol the pod declares)" if names else "all protocols and ports"
    if not ports:
        return f"{protocol} all ports"
    return f"{protocol} " + ",".join(([numbers] if numbers else []) + names)
