"""Calico's conversion of Kubernetes NetworkPolicy rules (`conversion.go`), before namespace scoping.

`calico_rules` is `k8sRuleToCalico`: one Calico rule per (protocol, peer), protocols sorted by name,
ports merged as `SimplifyPorts` does. `calico_peer` is `k8sPeerToCalicoFields`: a peer's selector,
namespaceSelector (None stands for Calico's `""`, i.e. the policy's own namespace), nets and notNets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from netpolicy.model.addresses import IPNetwork
from netpolicy.model.intervals import IntervalSet
from netpolicy.policies.kubernetes.cidr import parse_cidr
from netpolicy.selectors import k8s as k8s_selectors
from netpolicy.selectors.ast import Selector

if TYPE_CHECKING:
    from netpolicy.policies.kubernetes.models import LabelSelector, NetworkPolicyPeer, NetworkPolicyPort

PortRange = tuple[int, int]
CalicoPort = PortRange | str
"""A Calico port: an inclusive numeric range (a single port is `(p, p)`) or a named port."""

DEFAULT_PROTOCOL = "TCP"


@dataclass(frozen=True, slots=True)
class CalicoPeer:
    """The EntityRule fields Calico writes for one Kubernetes peer (unset = no constraint)."""

    selector: Selector | None = None
    namespace_selector: Selector | None = None
    nets: tuple[IPNetwork, ...] = ()
    not_nets: tuple[IPNetwork, ...] = ()


ANY_PEER = CalicoPeer()


@dataclass(frozen=True, slots=True)
class CalicoRule:
    """One Allow rule Calico makes from a Kubernetes rule.

    `protocol` is None for "every protocol"; `ports` empty means every port of `protocol`;
    `peer_index` is the position of the peer in `from`/`to`, None when the rule has no peers.
    """

    protocol: str | None
    ports: tuple[CalicoPort, ...]
    peer: CalicoPeer
    peer_index: int | None


def calico_rules(ports: list[NetworkPolicyPort] | None, peers: list[NetworkPolicyPeer]) -> list[CalicoRule]:
    """`k8sRuleToCalico`: for each protocol (sorted by name), for each peer, one rule."""
    by_protocol = group_ports(ports or [])
    converted = [(j, calico_peer(peer)) for j, peer in enumerate(peers)] or [(None, ANY_PEER)]
    rules = []
    for protocol in sorted(by_protocol, key=lambda p: p or ""):
        merged = simplify_ports(by_protocol[protocol] or [])
        rules.extend(CalicoRule(protocol, merged, peer, j) for j, peer in converted)
    return rules


def group_ports(ports: list[NetworkPolicyPort]) -> dict[str | None, list[CalicoPort] | None]:
    """Ports by protocol (default TCP); None as a value means all ports, and wins over listed ports.

    No ports at all gives `{None: None}`: every protocol, every port.
    """
    if not ports:
        return {None: None}
    grouped: dict[str | None, list[CalicoPort] | None] = {}
    for port in ports:
        protocol = port.protocol or DEFAULT_PROTOCOL
        value = calico_port(port)
        if value is None:
            grouped[protocol] = None
        elif protocol not in grouped:
            grouped[protocol] = [value]
        elif grouped[protocol] is not None:
            grouped[protocol].append(value)
    return grouped


def calico_port(port: NetworkPolicyPort) -> CalicoPort | None:
    """`port` (+ `endPort`) as a Calico port; None when the entry has no port (every port)."""
    if port.port is None:
        return None
    if isinstance(port.port, int):
        return (port.port, port.end_port if port.end_port is not None else port.port)
    return port.port


def simplify_ports(ports: list[CalicoPort]) -> tuple[CalicoPort, ...]:
    """`SimplifyPorts`: with two or more numeric ports, names in order then merged ranges ascending."""
    ranges = [p for p in ports if isinstance(p, tuple)]
    if len(ports) <= 1 or sum(hi - lo + 1 for lo, hi in ranges) <= 1:
        return tuple(ports)
    names = tuple(p for p in ports if isinstance(p, str))
    return names + IntervalSet.of(ranges).ranges


def calico_peer(peer: NetworkPolicyPeer) -> CalicoPeer:
    """`k8sPeerToCalicoFields`: an ipBlock gives nets/notNets.

    As in Calico, an unparseable `cidr` gives no constraint at all, and an unparseable `except` entry
    ends the notNets list there.
    """
    if peer.ip_block is not None:
        network = parse_cidr(peer.ip_block.cidr)
        if network is None:
            return ANY_PEER
        excluded: list[IPNetwork] = []
        for text in peer.ip_block.except_ or ():
            parsed = parse_cidr(text)
            if parsed is None:
                break
            excluded.append(parsed)
        return CalicoPeer(nets=(network,), not_nets=tuple(excluded))
    return CalicoPeer(selector=calico_pod_selector(peer.pod_selector),
                      namespace_selector=calico_namespace_selector(peer.namespace_selector))


def calico_pod_selector(selector: LabelSelector | None) -> Selector:
    """`k8sSelectorToCalico(s, pod)`: the orchestrator term, then matchLabels and matchExpressions."""
    return _pod_selector(selector.key() if selector is not None else ((), ()))


def calico_namespace_selector(selector: LabelSelector | None) -> Selector | None:
    """`k8sSelectorToCalico(s, namespace)`: None for a nil selector, `all()` for an empty one."""
    return None if selector is None else _namespace_selector(selector.key())


@lru_cache(maxsize=16384)
def _pod_selector(key: tuple) -> Selector:
    return k8s_selectors.pod_selector(_as_mapping(key))


@lru_cache(maxsize=16384)
def _namespace_selector(key: tuple) -> Selector:
    return k8s_selectors.namespace_selector(_as_mapping(key))


def _as_mapping(key: tuple) -> dict:
    labels, expressions = key
    return {
        "matchLabels": dict(labels),
        "matchExpressions": [{"key": k, "operator": op, "values": list(values)} for k, op, values in expressions],
    }
