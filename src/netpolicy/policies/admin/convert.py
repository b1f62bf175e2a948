"""Calico's conversion of admin policy rules into GlobalNetworkPolicy rules, before selector scoping.

v1alpha2 ClusterNetworkPolicy: `conversion/clusternetworkpolicy.go` (Calico 3.32); v1alpha1
Admin/BaselineAdminNetworkPolicy: `conversion/conversion.go` of Calico 3.29-3.31. One Calico rule per
(protocol group × peer), groups sorted `""` < SCTP < TCP < UDP. A rule that fails conversion (a `nodes`
or `domainNames` peer, a bad named port or range, an unparseable CIDR) fails closed: a Deny or Pass rule
becomes a bare Deny, an Accept/Allow rule is dropped (docs/semantics.md#admin-fail-closed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netpolicy.model import ir
from netpolicy.model.addresses import IPNetwork
from netpolicy.policies.admin.models import AdminPort, Peer, Protocol, Rule
from netpolicy.policies.kubernetes.cidr import parse_cidr
from netpolicy.policies.kubernetes.convert import CalicoPort, simplify_ports
from netpolicy.selectors import k8s as k8s_selectors

ACTIONS = {"Accept": ir.ALLOW, "Allow": ir.ALLOW, "Deny": ir.DENY, "Pass": ir.PASS}
NAMED_PORT_RE = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")  # numorstring.NamedPort
DEFAULT_PROTOCOL = "TCP"


class ConversionError(Exception):
    """Calico's converter rejects the rule (the message is Calico's reason, in our words)."""


@dataclass(frozen=True, slots=True)
class AdminPeer:
    """The EntityRule fields Calico writes for one peer: selector texts as `k8sSelectorToCalico` prints them."""

    selector: str = ""
    namespace_selector: str = ""
    nets: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, slots=True)
class ConvertedRule:
    """One Calico rule; `peer` None is the bare rule a failed Deny/Pass rule becomes."""

    action: str
    protocol: str | None
    ports: tuple[CalicoPort, ...]
    peer: AdminPeer | None
    peer_index: int | None


@dataclass(frozen=True)
class Conversion:
    """The Calico rules of one admin rule; `failure` says why Calico could not convert it."""

    rules: tuple[ConvertedRule, ...]
    failure: str = ""
    notes: tuple[str, ...] = ()


def convert_rule(rule: Rule, ingress: bool, v1alpha2: bool) -> Conversion:
    """Convert one validated rule; a conversion failure fails closed as Calico's converter does."""
    action = ACTIONS[rule.action]
    notes: list[str] = []
    try:
        groups = protocol_groups(rule.protocols) if v1alpha2 else port_groups(rule.ports, notes)
        peers = [peer_fields(peer, ingress) for peer in (rule.from_ if ingress else rule.to) or ()]
    except ConversionError as error:
        kept = (ConvertedRule(ir.DENY, None, (), None, None),) if action in (ir.DENY, ir.PASS) else ()
        return Conversion(kept, str(error), tuple(notes))
    rules = tuple(ConvertedRule(action, protocol or None, simplify_ports(ports) if ports else (), peer, j)
                  for protocol, ports in sorted(groups.items()) for j, peer in enumerate(peers))
    return Conversion(rules, "", tuple(notes))


def peer_fields(peer: Peer, ingress: bool) -> AdminPeer:
    """`combinePortsWith…Peers`: namespaces, pods (and, egress, networks); anything else fails the rule."""
    if peer.namespaces is not None:
        return AdminPeer(namespace_selector=_namespaces(peer.namespaces.as_mapping()))
    if peer.pods is not None:
        return AdminPeer(selector=str(k8s_selectors.pod_selector(peer.pods.pod_selector.as_mapping())),
                         namespace_selector=_namespaces(peer.pods.namespace_selector.as_mapping()))
    if peer.networks and not ingress:
        nets = []
        for text in peer.networks:
            network = parse_cidr(text)
            if network is None:
                raise ConversionError(f"CIDR {text!r} does not parse")
            nets.append(network)
        return AdminPeer(nets=tuple(nets))
    unsupported = "nodes" if peer.nodes is not None else "domainNames" if peer.domain_names else "this"
    raise ConversionError(f"Calico does not implement {unsupported} peers "
                          f"(\"none of supported fields in '{'From' if ingress else 'To'}' is set\")")


def _namespaces(mapping: dict) -> str:
    return str(k8s_selectors.namespace_selector(mapping))


Groups = dict[str, list[CalicoPort] | None]


def protocol_groups(protocols: list[Protocol] | None) -> Groups:
    """`unpackCNPProtocols`: ports by protocol (`""` for named ports); None means every port."""
    groups: Groups = {}
    for entry in protocols or [Protocol()]:
        protocol, port = _cnp_port(entry)
        if protocol is None and port is None:
            return {"": None}  # no protocol entry (or an empty named port): everything
        _add(groups, protocol or "", port)
    return groups


def _cnp_port(entry: Protocol) -> tuple[str | None, CalicoPort | None]:
    for protocol in ("tcp", "udp", "sctp"):
        value = getattr(entry, protocol)
        if value is not None:
            port = value.destination_port
            if port is None or (not port.number and port.range is None):
                return protocol.upper(), None
            if port.number:
                return protocol.upper(), (port.number, port.number)
            return protocol.upper(), _range(port.range.start, port.range.end)
    if entry.destination_named_port:
        if not NAMED_PORT_RE.match(entry.destination_named_port):
            raise ConversionError(f"invalid name for named port ({entry.destination_named_port})")
        return None, entry.destination_named_port
    return None, None


def port_groups(ports: list[AdminPort] | None, notes: list[str]) -> Groups:
    """`unpackANPPorts` (Calico 3.29-3.31): as for CNPs, but a named port converts to "every port"."""
    groups: Groups = {}
    for entry in ports or [AdminPort()]:
        if entry.port_number is not None:
            number = entry.port_number.port
            _add(groups, entry.port_number.protocol or DEFAULT_PROTOCOL, (number, number))
        elif entry.port_range is not None:
            span = entry.port_range
            _add(groups, span.protocol or DEFAULT_PROTOCOL, _range(span.start, span.end))
        else:
            if entry.named_port is not None:
                notes.append(f"named port {entry.named_port!r}: Calico 3.29-3.31 do not convert named ports "
                             "(\"TODO: Add support for NamedPorts\") and read the entry as every protocol and "
                             "port, so the rule matches all traffic to its peers")
            return {"": None}
    return groups


def _range(start: int, end: int) -> CalicoPort:
    if start > end:
        raise ConversionError(f"port range {start}-{end}: the minimum is greater than the maximum")
    return (start, end)


def _add(groups: Groups, protocol: str, port: CalicoPort | None) -> None:
    """A port into its protocol's group; None (every port) wins and is never narrowed again."""
    if port is None:
        groups[protocol] = None
    elif protocol not in groups:
        groups[protocol] = [port]
    elif groups[protocol] is not None:
        groups[protocol].append(port)
