"""Validation of Calico rules: everything the API rejects (docs/semantics.md#rule-validation).

Sources: `validateRule`, `validateEntityRule`, `validatePort`, `validateProtocol`,
`validateNetworkPolicySpec`, `validateGlobalNetworkPolicySpec` (libcalico-go/lib/validator/v3) and the
CEL rules on `Rule`, `EntityRule` and `ICMPFields` (api/pkg/apis/projectcalico/v3/policy_common.go).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netpolicy.errors import Diagnostics
from netpolicy.model.ir import ACTIONS, ALLOW, EGRESS, INGRESS
from netpolicy.model.protocols import ICMP, ICMP_PROTOCOLS, ICMPV6, TCP
from netpolicy.policies.calico.names import is_subdomain
from netpolicy.policies.calico.scoping import entity_rule_selectors
from netpolicy.policies.calico.selectors import GlobalUse, check_selector
from netpolicy.policies.calico.values import (
    ValueProblem,
    check_protocol,
    has_host_bits,
    parse_net,
    parse_port,
    supports_ports,
)
from netpolicy.selectors import SelectorError, parse
from netpolicy.sources.raw import RawObject
from netpolicy.suggest import case_hint

if TYPE_CHECKING:
    from netpolicy.policies.calico import models as m

MAX_NETS = 256
MAX_PORTS = 50
MAX_HTTP_ITEMS = 20
MAX_HTTP_PATH = 1024
PORTS_NEED_PROTOCOL = "rules that specify ports must set protocol to TCP or UDP or SCTP"
NUMERIC_PORTS_NEED_PROTOCOL = "rules with numeric port or port range must set protocol to TCP or UDP or SCTP"
SIDES = ("source", "destination")
NET_FIELDS = (("source", "nets"), ("source", "notNets"), ("destination", "nets"), ("destination", "notNets"))


@dataclass(frozen=True)
class RuleScope:
    """Where rules sit: the object they came from, the policy's namespace (`""` for global policies
    and profiles), and which spec-level checks apply."""

    raw: RawObject
    diags: Diagnostics
    namespace: str
    policy_checks: bool = True  # (Global)NetworkPolicySpec checks; Profiles have none
    services_need_namespace: bool = False  # GlobalNetworkPolicy

    def error(self, path: str, message: str, expected: str = "", suggestion: str = "") -> None:
        """Report an error at the field `path` of the object."""
        self.diags.error(message, self.raw.at(path), path, expected, suggestion)

    def warn(self, path: str, message: str, expected: str = "", suggestion: str = "") -> None:
        """Report a warning at the field `path` of the object."""
        self.diags.warn(message, self.raw.at(path), path, expected, suggestion)


def check_rule(rule: m.Rule, direction: str, path: str, scope: RuleScope) -> None:
    """Report every problem Calico's API would reject this rule for."""
    _check_action(rule, path, scope)
    if rule.ip_version is not None and rule.ip_version not in (4, 6):
        scope.error(f"{path}.ipVersion", f"{rule.ip_version} is not an IP version", "4 or 6")
    protocol = _checked_protocol(rule.protocol, f"{path}.protocol", scope)
    not_protocol = _checked_protocol(rule.not_protocol, f"{path}.notProtocol", scope)
    _check_icmp(rule, path, scope, protocol, not_protocol)
    _check_nets(rule, path, scope)
    selectors_ok = all([_check_entity(getattr(rule, side), f"{path}.{side}", scope) for side in SIDES])
    if selectors_ok:
        _check_composed_selectors(rule, path, scope)
    _check_ports(rule, path, scope, protocol)
    _check_http(rule, path, scope, protocol)
    if scope.policy_checks:
        _check_direction(rule, direction, path, scope)


def _check_action(rule: m.Rule, path: str, scope: RuleScope) -> None:
    expected = "Allow, Deny, Log or Pass"
    if rule.action is None:
        scope.error(f"{path}.action", "is required", expected)
    elif rule.action not in ACTIONS:
        scope.error(f"{path}.action", f"{rule.action!r} is not an action", expected,
                    case_hint(rule.action, ACTIONS))


def _checked_protocol(value: object, path: str, scope: RuleScope) -> int | None:
    if value is None:
        return None
    try:
        return check_protocol(value)
    except ValueProblem as problem:
        scope.error(path, problem.message, problem.expected, problem.suggestion)
        return None


def _check_icmp(rule: m.Rule, path: str, scope: RuleScope, protocol: int | None,
                not_protocol: int | None) -> None:
    for key, fields in (("icmp", rule.icmp), ("notICMP", rule.not_icmp)):
        if fields is None:
            continue
        if fields.type is not None and not 0 <= fields.type <= 254:
            scope.error(f"{path}.{key}.type", f"{fields.type} is not an ICMP type", "0-254")
        if fields.code is not None and not 0 <= fields.code <= 255:
            scope.error(f"{path}.{key}.code", f"{fields.code} is not an ICMP code", "0-255")
        if fields.code is not None and fields.type is None:
            scope.error(f"{path}.{key}.code", "ICMP code specified without an ICMP type",
                        "icmp.type as well")
    if rule.icmp is not None and protocol not in ICMP_PROTOCOLS:
        scope.error(f"{path}.icmp", "ICMP fields require protocol to be ICMP or ICMPv6",
                    suggestion="add protocol: ICMP (or ICMPv6) to the rule")
    for number, family in ((ICMP, 4), (ICMPV6, 6)):
        if number in (protocol, not_protocol) and rule.ip_version not in (None, family):
            name = "ICMP" if number == ICMP else "ICMPv6"
            scope.error(f"{path}.ipVersion", f"protocol {name} requires ipVersion {family}",
                        str(family))


def _check_nets(rule: m.Rule, path: str, scope: RuleScope) -> None:
    """CIDR syntax, one address family per rule, agreement with ipVersion, no catch-all negation."""
    seen: set[int] = set()
    for side, key in NET_FIELDS:
        nets = getattr(getattr(rule, side), "nets" if key == "nets" else "not_nets") or []
        field = f"{path}.{side}.{key}"
        if len(nets) > MAX_NETS:
            scope.error(field, f"{len(nets)} entries", f"at most {MAX_NETS}")
        families: set[int] = set()
        for i, text in enumerate(nets):
            try:
                network = parse_net(text)
            except ValueProblem as problem:
                scope.error(f"{field}[{i}]", problem.message, problem.expected)
                continue
            families.add(network.version)
            if has_host_bits(text, network):
                scope.warn(f"{field}[{i}]", f"{text} has host bits set; Calico matches {network}")
            if key == "notNets" and network.prefixlen == 0:
                scope.error(f"{field}[{i}]", "catch-all CIDR in negation creates logical contradiction",
                            suggestion="remove it: notNets with /0 excludes every address")
        if rule.ip_version in (4, 6) and families - {rule.ip_version}:
            scope.error(field, "rule IP version doesn't match CIDR version",
                        f"IPv{rule.ip_version} CIDRs, as ipVersion says")
        if len(families | seen) > 1:
            scope.error(field, "rule contains both IPv4 and IPv6 CIDRs", "CIDRs of one address family",
                        "split the rule into an IPv4 and an IPv6 rule")
        seen |= families


def _check_entity(entity: m.EntityRule, path: str, scope: RuleScope) -> bool:
    """Selectors, service accounts and services of one side; True when every selector is valid."""
    valid = True
    for key, text, use in (("selector", entity.selector, GlobalUse.FORBIDDEN),
                           ("notSelector", entity.not_selector, GlobalUse.UNCHECKED),
                           ("namespaceSelector", entity.namespace_selector, GlobalUse.ALONE)):
        if text:
            valid &= check_selector(text, scope.raw, scope.diags, f"{path}.{key}", use)
    accounts = entity.service_accounts
    if accounts is not None:
        if accounts.selector:
            valid &= check_selector(accounts.selector, scope.raw, scope.diags,
                                    f"{path}.serviceAccounts.selector", GlobalUse.UNCHECKED)
        for i, name in enumerate(accounts.names or []):
            if not is_subdomain(name):
                scope.warn(f"{path}.serviceAccounts.names[{i}]",
                           f"{name!r} is not a valid service account name, so it never matches")
    if entity.services is not None:
        _check_services(entity, path, scope)
    return valid


def _check_services(entity: m.EntityRule, path: str, scope: RuleScope) -> None:
    services = entity.services
    field = f"{path}.services"
    if not services.name:
        scope.error(f"{field}.name", "services must specify a service name", "a Service name")
    for key, value in (("name", services.name), ("namespace", services.namespace)):
        if value and not is_subdomain(value):
            scope.error(f"{field}.{key}", f"{value!r} is not a valid name", "a DNS-1123 subdomain")
    combined = [key for key, present in (
        ("selector", entity.selector), ("notSelector", entity.not_selector),
        ("namespaceSelector", entity.namespace_selector), ("nets", entity.nets),
        ("notNets", entity.not_nets), ("serviceAccounts", entity.service_accounts is not None)) if present]
    for key in combined:
        scope.error(field, f"cannot specify {key} and services on the same rule",
                    suggestion="a services match selects the Service's endpoints by itself")


def _check_composed_selectors(rule: m.Rule, path: str, scope: RuleScope) -> None:
    """Valid parts can still compose into a selector Felix cannot parse (a label too long once prefixed)."""
    for side in SIDES:
        for text in entity_rule_selectors(getattr(rule, side), scope.namespace):
            try:
                parse(text)
            except SelectorError as error:
                scope.error(f"{path}.{side}", f"the selector Calico builds for this side cannot be "
                            f"parsed: {error.message}", suggestion=f"Calico builds {text!r}")


def _check_ports(rule: m.Rule, path: str, scope: RuleScope, protocol: int | None) -> None:
    """Port syntax, list sizes, and the protocol a port list needs (docs/semantics.md#named-ports)."""
    for side in SIDES:
        entity = getattr(rule, side)
        for key, ports in (("ports", entity.ports), ("notPorts", entity.not_ports)):
            field = f"{path}.{side}.{key}"
            if not ports:
                continue
            if len(ports) > MAX_PORTS:
                scope.error(field, f"{len(ports)} entries", f"at most {MAX_PORTS}")
            values = []
            for i, value in enumerate(ports):
                try:
                    values.append(parse_port(value))
                except ValueProblem as problem:
                    scope.error(f"{field}[{i}]", problem.message, problem.expected)
            if supports_ports(protocol):
                continue
            numeric = any(not isinstance(v, str) for v in values)
            if numeric or protocol is not None:
                scope.error(field, NUMERIC_PORTS_NEED_PROTOCOL if numeric else PORTS_NEED_PROTOCOL,
                            suggestion="add protocol: TCP (or UDP or SCTP) to the rule")
    if rule.destination.services is not None:
        for key, ports in (("ports", rule.destination.ports), ("notPorts", rule.destination.not_ports)):
            if ports:
                scope.error(f"{path}.destination.{key}", "ports and notPorts cannot be specified with services",
                            suggestion="a destination services match uses the Service's target ports")


def _check_http(rule: m.Rule, path: str, scope: RuleScope, protocol: int | None) -> None:
    http = rule.http
    if http is None:
        return
    field = f"{path}.http"
    if rule.action is not None and rule.action != ALLOW:
        scope.error(field, "HTTP match is only valid on Allow rules")
    if rule.protocol is not None and protocol != TCP:
        scope.error(field, "rules with HTTP match must have protocol TCP or unset")
    methods = http.methods or []
    if len(methods) > MAX_HTTP_ITEMS:
        scope.error(f"{field}.methods", f"{len(methods)} entries", f"at most {MAX_HTTP_ITEMS}")
    if len(set(methods)) != len(methods):
        scope.error(f"{field}.methods", "duplicate methods", "each method once")
    paths = http.paths or []
    if len(paths) > MAX_HTTP_ITEMS:
        scope.error(f"{field}.paths", f"{len(paths)} entries", f"at most {MAX_HTTP_ITEMS}")
    for i, entry in enumerate(paths):
        where = f"{field}.paths[{i}]"
        if entry.exact and entry.prefix:
            scope.error(where, "both 'exact' and 'prefix' are set", "exactly one of them")
            continue
        value = entry.exact or entry.prefix
        if not value:
            scope.error(where, "neither 'exact' nor 'prefix' is set", "exactly one of them")
        elif len(value) > MAX_HTTP_PATH:
            scope.error(where, f"path is {len(value)} characters long", f"at most {MAX_HTTP_PATH}")
        elif not value.startswith("/") or any(c in value for c in "? #"):
            scope.error(where, f"{value!r} is not a valid path", "a path starting with '/' without '?', '#' or spaces")


def _check_direction(rule: m.Rule, direction: str, path: str, scope: RuleScope) -> None:
    """Spec-level rules: which side may name services, no HTTP in egress, GNP services need a namespace."""
    if direction == EGRESS:
        if rule.source.services is not None:
            scope.error(f"{path}.source.services", "not allowed in egress rule source",
                        suggestion="egress rules may name services only in destination")
        if rule.http is not None:
            scope.error(f"{path}.http", "not allowed in egress rules")
        service_side = rule.destination
        service_path = f"{path}.destination.services"
    elif direction == INGRESS:
        if rule.destination.services is not None:
            scope.error(f"{path}.destination.services", "not allowed in ingress rule destination",
                        suggestion="ingress rules may name services only in source")
        service_side = rule.source
        service_path = f"{path}.source.services"
    else:
        return
    if scope.services_need_namespace and service_side.services is not None and not service_side.services.namespace:
        scope.error(f"{service_path}.namespace", "must specify a namespace",
                    "the Service's namespace (a GlobalNetworkPolicy has none to default to)")
