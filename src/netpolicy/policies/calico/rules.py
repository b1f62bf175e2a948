"""Compiling validated Calico rules into IR rules, as Calico's `RuleAPIV2ToBackend` converts them.

What an `ir.Rule` carries, field by field:

- `action`: Allow, Deny, Log or Pass as written; `direction`, `index` (position in the list) and
  `name` (`ingress[3]`); `detail` is a one-line summary; `location`/`path` point at the rule.
- `protocol`/`not_protocol`: protocol numbers (names and numbers are equivalent, TCP = 6 …).
- `ip_version`: the rule's `ipVersion` exactly as written (None when absent). The implication that
  `protocol: ICMP` is IPv4-only and `ICMPv6` IPv6-only, and the per-family dropping of rules whose
  net fields have no CIDR of a family (docs/semantics.md#address-families), are left to the
  evaluator.
- `icmp`/`not_icmp`: type and optional code; `icmp: {}` (no type) is no constraint.
- `source`/`destination`: `nets`/`not_nets` as networks (bare IPs → /32 or /128, host bits cleared,
  unparseable entries skipped as Calico skips them); `selector` is the scoped positive selector
  (docs/semantics.md#rule-scoping), `not_selector` the unscoped negative one; `ports`/`not_ports`
  numeric ranges and port names;
  `services` the named Service (its namespace exactly as written, `""` when absent).
- `http`: the HTTP match as a mapping (`methods`, `paths`); Felix's L3/L4 dataplane does not enforce it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netpolicy.model import ir
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import parse_protocol
from netpolicy.policies.calico.scoping import effective, entity_rule_selectors
from netpolicy.policies.calico.values import ValueProblem, parse_net, parse_port
from netpolicy.sources.raw import RawObject

if TYPE_CHECKING:
    from netpolicy.policies.calico import models as m


def compile_rules(rules: list[m.Rule] | None, direction: str, namespace: str,
                  raw: RawObject) -> tuple[ir.Rule, ...]:
    """Every rule of one direction of `raw.spec`, in order."""
    return tuple(compile_rule(rule, direction, i, namespace, raw) for i, rule in enumerate(rules or []))


def compile_rule(rule: m.Rule, direction: str, index: int, namespace: str, raw: RawObject) -> ir.Rule:
    """One rule of a policy in `namespace` (`""` for global policies and profiles).

    The rule must have passed `check_rule`: its selectors are known to parse.
    """
    name = f"{direction}[{index}]"
    path = f"spec.{name}"
    return ir.Rule(
        action=rule.action or ir.ALLOW,
        direction=direction,
        index=index,
        name=name,
        protocol=parse_protocol(rule.protocol) if rule.protocol is not None else None,
        not_protocol=parse_protocol(rule.not_protocol) if rule.not_protocol is not None else None,
        icmp=_icmp(rule.icmp),
        not_icmp=_icmp(rule.not_icmp),
        ip_version=rule.ip_version,
        source=compile_entity(rule.source, namespace),
        destination=compile_entity(rule.destination, namespace),
        http=rule.http.model_dump(by_alias=True, exclude_defaults=True) if rule.http is not None else None,
        detail=describe_rule(rule),
        location=raw.at(path),
        path=path,
    )


def compile_entity(entity: m.EntityRule, namespace: str) -> ir.EntityMatch:
    """One side of a rule, with Calico's namespace and service-account scoping applied."""
    positive, negative = entity_rule_selectors(entity, namespace)
    services = entity.services
    return ir.EntityMatch(
        nets=_networks(entity.nets),
        not_nets=_networks(entity.not_nets),
        selector=effective(positive),
        not_selector=effective(negative),
        ports=compile_ports(entity.ports),
        not_ports=compile_ports(entity.not_ports),
        services=(ir.ServiceRef(services.namespace, services.name),) if services is not None else (),
    )


def compile_ports(ports: list[object] | None) -> ir.PortMatch | None:
    """A port list as numeric ranges plus names; None for an absent or empty list."""
    if not ports:
        return None
    ranges: list[tuple[int, int]] = []
    names: list[str] = []
    for value in ports:
        try:
            port = parse_port(value)
        except ValueProblem:
            continue
        if isinstance(port, str):
            if port not in names:
                names.append(port)
        else:
            ranges.append(port)
    return ir.PortMatch(IntervalSet.of(ranges), tuple(names))


def rule_notes(rule: m.Rule, path: str, namespace: str) -> list[str]:
    """Facts about a rule that explanations and lint should mention."""
    notes = []
    for side in ("source", "destination"):
        services = getattr(rule, side).services
        if services is not None and services.name and not services.namespace:
            where = f"the policy's namespace {namespace!r}" if namespace else "a namespace"
            notes.append(
                f"{path}.{side}.services: no namespace; Calico looks the Service up as "
                f"'/{services.name}', which matches no Service (the API documentation says "
                f"{where} is meant; name it explicitly)")
    return notes


def describe_rule(rule: m.Rule) -> str:
    """A one-line summary: `Allow TCP from selector app == 'web' to ports 8000`."""
    words = [rule.action or "?"]
    if rule.ip_version is not None:
        words.append(f"IPv{rule.ip_version}")
    if rule.protocol is not None:
        words.append(str(rule.protocol))
    if rule.not_protocol is not None:
        words.append(f"not {rule.not_protocol}")
    for key, fields in (("", rule.icmp), ("not ", rule.not_icmp)):
        if fields is not None and fields.type is not None:
            code = f" code {fields.code}" if fields.code is not None else ""
            words.append(f"{key}type {fields.type}{code}")
    for side, label in (("source", "from"), ("destination", "to")):
        text = _describe_entity(getattr(rule, side))
        if text:
            words.append(f"{label} {text}")
    if rule.http is not None:
        words.append("HTTP " + " ".join((rule.http.methods or [])
                                        + [p.exact or p.prefix + "*" for p in rule.http.paths or []]))
    if len(words) == 1:
        words.append("everything")
    return " ".join(words)


def _describe_entity(entity: m.EntityRule) -> str:
    parts: list[str] = []
    if entity.namespace_selector:
        parts.append(f"namespaces {entity.namespace_selector}")
    if entity.selector:
        parts.append(f"selector {entity.selector}")
    if entity.not_selector:
        parts.append(f"not selector {entity.not_selector}")
    accounts = entity.service_accounts
    if accounts is not None:
        names = ", ".join(accounts.names or [])
        matching = f" matching {accounts.selector}" if accounts.selector else ""
        parts.append(f"service accounts {names}{matching}".rstrip())
    if entity.services is not None:
        parts.append(f"service {entity.services.namespace}/{entity.services.name}")
    for key, values in (("nets", entity.nets), ("not nets", entity.not_nets),
                        ("ports", entity.ports), ("not ports", entity.not_ports)):
        if values:
            parts.append(f"{key} " + ", ".join(str(v) for v in values))
    return " ".join(parts)


def _icmp(fields: m.ICMPFields | None) -> ir.IcmpMatch | None:
    if fields is None or fields.type is None:
        return None
    return ir.IcmpMatch(fields.type, fields.code)


def _networks(nets: list[str] | None) -> tuple:
    out = []
    for text in nets or []:
        try:
            out.append(parse_net(text))
        except ValueProblem:
            continue
    return tuple(out)
