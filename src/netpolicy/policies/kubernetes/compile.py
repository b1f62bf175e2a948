"""Kubernetes `networking.k8s.io/v1` NetworkPolicy: validated as the API server does, compiled as Calico does.

A policy becomes an IR policy in tier `default` at order 1000 whose selector is scoped to its
namespace; each Kubernetes rule becomes one Allow rule per (protocol, peer) with effective
(namespace-scoped) selectors (docs/semantics.md#k8s-networkpolicy, #rule-scoping).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from netpolicy.errors import Diagnostics
from netpolicy.model import ir
from netpolicy.model.cluster import NAMESPACE_LABEL, ORCHESTRATOR_LABEL
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import NUMBER_BY_NAME
from netpolicy.options import Options
from netpolicy.policies.kubernetes.convert import (
    CalicoPeer,
    CalicoPort,
    CalicoRule,
    calico_pod_selector,
    calico_rules,
)
from netpolicy.policies.kubernetes.describe import peer_text, ports_text
from netpolicy.policies.kubernetes.validation import POLICY_TYPES, validate_network_policy
from netpolicy.selectors.ast import CompareNode, HasNode, Node, Selector
from netpolicy.sources.raw import RawObject

if TYPE_CHECKING:
    from netpolicy.policies.kubernetes.models import (
        NetworkPolicy,
        NetworkPolicyEgressRule,
        NetworkPolicyIngressRule,
    )

DEFAULT_NAMESPACE = "default"
TIER = "default"
ORDER = 1000.0
NAMESPACE_PREFIX = "pcns."
#: The `notSelector` that keeps pods out of ipBlock peers when `ipblock_matches_pods` is off.
POD_ADDRESSES = Selector(HasNode(ORCHESTRATOR_LABEL))

_DIRECTION_OF = {"Ingress": ir.INGRESS, "Egress": ir.EGRESS}


def compile_network_policy(obj: RawObject, options: Options, diags: Diagnostics) -> ir.Policy | None:
    """Validate `obj` (problems into `diags`) and compile it into an IR policy; None if it is invalid."""
    from netpolicy.policies.kubernetes.models import parse_network_policy

    model = parse_network_policy(obj, diags)
    if model is None or validate_network_policy(model, obj, diags):
        return None
    return build_policy(model, obj, options)


def build_policy(model: NetworkPolicy, obj: RawObject, options: Options) -> ir.Policy:
    """The IR policy of an already validated NetworkPolicy."""
    spec = model.spec
    namespace = model.metadata.namespace or DEFAULT_NAMESPACE
    types = default_policy_types(spec.policy_types or [], bool(spec.egress))
    notes = () if spec.policy_types else (f"policyTypes not set: Kubernetes defaults them to {', '.join(types)}",)
    return ir.Policy(
        name=model.metadata.name or model.metadata.generate_name or "",
        kind=ir.K8S_NETWORK_POLICY,
        namespace=namespace,
        tier=TIER,
        order=ORDER,
        selector=applies_to(calico_pod_selector(spec.pod_selector), namespace),
        types=frozenset(_DIRECTION_OF[t] for t in types),
        ingress=compile_rules(ir.INGRESS, spec.ingress or [], namespace, obj, options),
        egress=compile_rules(ir.EGRESS, spec.egress or [], namespace, obj, options),
        location=obj.at(""),
        source=obj,
        notes=notes,
        describes_peers=True,
    )


def policy_types(spec: Mapping | None) -> list[str]:
    """A raw spec's policyTypes as the API server defaults them: as written, else Ingress (+ Egress if egress rules)."""
    spec = spec if isinstance(spec, Mapping) else {}
    declared = spec.get("policyTypes")
    declared = [t for t in declared if isinstance(t, str)] if isinstance(declared, list) else []
    return default_policy_types(declared, bool(spec.get("egress")))


def default_policy_types(declared: list[str], has_egress_rules: bool) -> list[str]:
    """`SetDefaults_NetworkPolicy`: the known types written (in Ingress, Egress order), else the default."""
    if declared:
        return [t for t in POLICY_TYPES if t in declared]
    return ["Ingress", "Egress"] if has_egress_rules else ["Ingress"]


@lru_cache(maxsize=16384)
def applies_to(pod_selector: Selector, namespace: str) -> Selector:
    """The effective policy selector: `(podSelector as Calico writes it) && projectcalico.org/namespace == ns`."""
    return pod_selector & Selector(own_namespace(namespace))


def own_namespace(namespace: str) -> Node:
    """`projectcalico.org/namespace == '<namespace>'`."""
    return CompareNode(NAMESPACE_LABEL, "==", namespace)


@lru_cache(maxsize=16384)
def scoped_selector(selector: Selector | None, namespace_selector: Selector | None, namespace: str) -> Selector | None:
    """Rule scoping (docs/semantics.md#rule-scoping) for a peer of a namespaced policy:
    `(namespace part) && (selector)`; None when neither is set.

    The namespace part is the policy's own namespace for a nil namespaceSelector,
    `has(projectcalico.org/namespace)` for `all()`, else the namespace selector over `pcns.` labels.
    """
    if selector is None and namespace_selector is None:
        return None
    if namespace_selector is None:
        scope = Selector(own_namespace(namespace))
    elif namespace_selector.is_all:
        scope = Selector(HasNode(NAMESPACE_LABEL))
    else:
        scope = namespace_selector.prefixed(NAMESPACE_PREFIX)
    return scope if selector is None else scope & selector


def compile_rules(direction: str, rules: list[NetworkPolicyIngressRule] | list[NetworkPolicyEgressRule],
                  namespace: str, obj: RawObject, options: Options) -> tuple[ir.Rule, ...]:
    """The IR rules of one direction: Calico's (protocol × peer) expansion of each Kubernetes rule, in order."""
    field = "from" if direction == ir.INGRESS else "to"
    ingress = direction == ir.INGRESS
    out: list[ir.Rule] = []
    for i, rule in enumerate(rules):
        name = f"{direction}[{i}]"
        path = f"spec.{name}"
        location = obj.at(path)
        peers = rule.peers
        peer_texts: dict[int | None, str] = {}
        for converted in calico_rules(rule.ports, peers):
            j = converted.peer_index
            if j not in peer_texts:
                peer_texts[j] = peer_text(peers[j] if j is not None else None, field, j, namespace)
            protocol, source, destination, ports_detail = rule_match(
                converted, namespace, ingress, options.ipblock_matches_pods)
            out.append(ir.Rule(
                action=ir.ALLOW,
                direction=direction,
                index=len(out),
                name=name,
                protocol=protocol,
                source=source,
                destination=destination,
                detail=f"{peer_texts[j]}, {ports_detail}",
                location=location,
                path=path,
            ))
    return tuple(out)


@lru_cache(maxsize=65536)
def rule_match(converted: CalicoRule, namespace: str, ingress: bool, ipblock_matches_pods: bool = True
               ) -> tuple[int | None, ir.EntityMatch, ir.EntityMatch, str]:
    """(protocol number, source, destination, ports text) of the IR rule for one Calico rule.

    Ingress: the peer is the source and the ports are on the destination; egress: both on the destination.
    """
    ports = port_match(converted.ports)
    peer = peer_entity(converted.peer, namespace, ipblock_matches_pods)
    if ingress:
        source, destination = peer, (ir.EntityMatch(ports=ports) if ports else ir.EMPTY_ENTITY)
    else:
        source, destination = ir.EMPTY_ENTITY, dataclasses.replace(peer, ports=ports)
    protocol = NUMBER_BY_NAME[converted.protocol] if converted.protocol else None
    return protocol, source, destination, ports_text(converted.protocol, converted.ports)


@lru_cache(maxsize=4096)
def port_match(ports: tuple[CalicoPort, ...]) -> ir.PortMatch | None:
    """Calico ports as an IR port match; None (every port) when there are none."""
    if not ports:
        return None
    return ir.PortMatch(IntervalSet.of([p for p in ports if isinstance(p, tuple)]),
                        tuple(p for p in ports if isinstance(p, str)))


def peer_entity(peer: CalicoPeer, namespace: str, ipblock_matches_pods: bool = True) -> ir.EntityMatch:
    """The IR side of a rule for one Calico peer: nets for an ipBlock, else the scoped selector."""
    if peer.nets:
        not_selector = None if ipblock_matches_pods else POD_ADDRESSES
        return ir.EntityMatch(nets=peer.nets, not_nets=peer.not_nets, not_selector=not_selector)
    selector = scoped_selector(peer.selector, peer.namespace_selector, namespace)
    return ir.EMPTY_ENTITY if selector is None else ir.EntityMatch(selector=selector)
