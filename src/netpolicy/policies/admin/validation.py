"""The CRD validation of ClusterNetworkPolicy and Admin/BaselineAdminNetworkPolicy, with located errors.

Limits are those of `sigs.k8s.io/network-policy-api`: v0.2.0 `apis/v1alpha2` (priority 0-1000, 25
rules a direction, 25 peers, 25 protocols, 25 networks, 25 domain names, rule names up to 100
characters, exactly one field per subject, peer, protocol and port, range start < end, `isCIDR`) and
v0.1.5 `apis/v1alpha1` (100 rules, 100 peers, 100 ports, 25 networks, BANP named `default`, a CIDR
with either ':' or '.'). The experimental CRDs are assumed (node peers, domain names, named ports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netpolicy.errors import Diagnostics
from netpolicy.model.ir import ADMIN_NETWORK_POLICY, BASELINE_ADMIN_NETWORK_POLICY, CLUSTER_NETWORK_POLICY
from netpolicy.policies.admin.models import AdminPolicySpec, LabelSelector, Peer, Rule
from netpolicy.policies.kubernetes import names
from netpolicy.policies.kubernetes.cidr import parse_cidr
from netpolicy.policies.kubernetes.validation import closest
from netpolicy.sources.raw import RawObject

TIERS = ("Admin", "Baseline")
PROTOCOLS = ("TCP", "UDP", "SCTP")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
PRIORITY_MAX = 1000
RULE_NAME_MAX = 100
CIDR_MAX = 43
NETWORKS_MAX = 25
DOMAIN_NAME_RE = re.compile(r"^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$")


@dataclass(frozen=True)
class AdminApi:
    """What one kind's CRD allows."""

    kind: str
    v1alpha2: bool
    actions: tuple[str, ...]
    max_items: int  # rules a direction, peers a rule, ports a rule
    has_priority: bool = True

    @property
    def egress_peers(self) -> tuple[str, ...]:
        extra = ("domainNames",) if self.v1alpha2 else ()
        return ("namespaces", "pods", "nodes", "networks") + extra


APIS = {
    CLUSTER_NETWORK_POLICY: AdminApi(CLUSTER_NETWORK_POLICY, True, ("Accept", "Deny", "Pass"), 25),
    ADMIN_NETWORK_POLICY: AdminApi(ADMIN_NETWORK_POLICY, False, ("Allow", "Deny", "Pass"), 100),
    BASELINE_ADMIN_NETWORK_POLICY: AdminApi(BASELINE_ADMIN_NETWORK_POLICY, False, ("Allow", "Deny"), 100,
                                            has_priority=False),
}
INGRESS_PEERS = ("namespaces", "pods")


def validate_admin_policy(api: AdminApi, spec: AdminPolicySpec, raw: RawObject, diags: Diagnostics) -> int:
    """Check one object as its CRD does; problems go into `diags`. Returns the number of errors."""
    checker = _Checker(api, raw, diags)
    checker.metadata(raw.name)
    checker.spec(spec)
    return checker.errors


class _Checker:
    def __init__(self, api: AdminApi, raw: RawObject, diags: Diagnostics) -> None:
        self.api, self.raw, self.diags = api, raw, diags
        self.errors = 0

    def error(self, path: str, message: str, expected: str = "", suggestion: str = "") -> None:
        self.errors += 1
        self.diags.error(message, self.raw.at(path), path, expected, suggestion)

    def metadata(self, name: str) -> None:
        if not name:
            self.error("metadata.name", "required value", names.DNS1123_SUBDOMAIN_FORMAT)
            return
        reasons = names.dns1123_subdomain_problems(name)
        if reasons:
            self.error("metadata.name", f"{name!r} is not a valid name: {'; '.join(reasons)}",
                       names.DNS1123_SUBDOMAIN_FORMAT)
        if self.api.kind == BASELINE_ADMIN_NETWORK_POLICY and name != "default":
            self.error("metadata.name", f"{name!r}: only one BaselineAdminNetworkPolicy, named 'default', "
                       "can exist in a cluster", "metadata.name: default")

    def spec(self, spec: AdminPolicySpec) -> None:
        if self.api.v1alpha2:
            if spec.tier is None:
                self.error("spec.tier", "required value", "Admin or Baseline")
            elif spec.tier not in TIERS:
                self.error("spec.tier", f"{spec.tier!r} is not a tier", "Admin or Baseline", closest(spec.tier, TIERS))
        elif spec.tier is not None:
            self.error("spec.tier", f"{self.api.kind} has no tier field", suggestion="remove it")
        if self.api.has_priority:
            if spec.priority is None:
                self.error("spec.priority", "required value", f"an integer 0-{PRIORITY_MAX}")
            elif not 0 <= spec.priority <= PRIORITY_MAX:
                self.error("spec.priority", f"{spec.priority} is out of range", f"an integer 0-{PRIORITY_MAX}")
        elif spec.priority is not None:
            self.error("spec.priority", "a BaselineAdminNetworkPolicy has no priority", suggestion="remove it")
        self.subject(spec)
        for direction in ("ingress", "egress"):
            rules = getattr(spec, direction) or []
            if len(rules) > self.api.max_items:
                self.error(f"spec.{direction}", f"{len(rules)} rules: too many",
                           f"at most {self.api.max_items} {direction} rules")
            for i, rule in enumerate(rules):
                self.rule(f"spec.{direction}[{i}]", rule, direction == "ingress")

    def subject(self, spec: AdminPolicySpec) -> None:
        subject = spec.subject
        if subject is None:
            self.error("spec.subject", "required value", "namespaces or pods")
            return
        if self.one_of("spec.subject", {"namespaces": subject.namespaces, "pods": subject.pods}) is None:
            return
        if subject.namespaces is not None:
            self.selector("spec.subject.namespaces", subject.namespaces)
        else:
            self.pods("spec.subject.pods", subject.pods)

    def one_of(self, path: str, fields: dict[str, object]) -> str | None:
        """Exactly one field set (MinProperties=1, MaxProperties=1): its name, else an error and None."""
        present = [name for name, value in fields.items() if value is not None]
        if len(present) == 1:
            return present[0]
        choices = ", ".join(fields)
        if not present:
            self.error(path, "must set one field", f"exactly one of {choices}")
        else:
            self.error(path, f"sets {', '.join(present)}: only one is allowed", f"exactly one of {choices}",
                       "write each as its own list item")
        return None

    def pods(self, path: str, pods) -> None:
        for field, value in (("namespaceSelector", pods.namespace_selector), ("podSelector", pods.pod_selector)):
            if value is None:
                self.error(f"{path}.{field}", "required value", "a label selector ({} selects all)")
            else:
                self.selector(f"{path}.{field}", value)

    def rule(self, path: str, rule: Rule, ingress: bool) -> None:
        api = self.api
        if rule.name is not None and len(rule.name) > RULE_NAME_MAX:
            self.error(f"{path}.name", f"{len(rule.name)} characters: too long", f"at most {RULE_NAME_MAX}")
        if rule.action is None:
            self.error(f"{path}.action", "required value", " or ".join(api.actions))
        elif rule.action not in api.actions:
            self.error(f"{path}.action", f"{rule.action!r} is not an action of {api.kind}",
                       " or ".join(api.actions), closest(rule.action, api.actions) or _other_api(rule.action))
        field, other = ("from", "to") if ingress else ("to", "from")
        peers = rule.from_ if ingress else rule.to
        if (rule.to if ingress else rule.from_) is not None:
            self.error(f"{path}.{other}", f"an {'ingress' if ingress else 'egress'} rule has no `{other}`",
                       f"`{field}`")
        if peers is None:
            self.error(f"{path}.{field}", "required value", "a list of peers")
        elif not peers:
            self.error(f"{path}.{field}", "must have at least 1 item", "a list of peers")
        elif len(peers) > api.max_items:
            self.error(f"{path}.{field}", f"{len(peers)} peers: too many", f"at most {api.max_items}")
        for j, peer in enumerate(peers or ()):
            self.peer(f"{path}.{field}[{j}]", peer, ingress)
        if api.v1alpha2:
            self.protocols(path, rule)
        else:
            self.ports(path, rule)
        named = any(p.destination_named_port is not None for p in rule.protocols or ()) or any(
            p.named_port is not None for p in rule.ports or ())
        if named and not ingress and any(p.networks is not None or p.nodes is not None or p.domain_names is not None
                                         for p in peers or ()):
            self.error(path, "networks/nodes/domainNames peers cannot be set with named ports since there "
                       "are no named ports for networks/nodes/domainNames", "named ports with pods or namespaces peers")

    def peer(self, path: str, peer: Peer, ingress: bool) -> None:
        allowed = INGRESS_PEERS if ingress else self.api.egress_peers
        fields = {"namespaces": peer.namespaces, "pods": peer.pods, "nodes": peer.nodes,
                  "networks": peer.networks, "domainNames": peer.domain_names}
        for name, value in fields.items():
            if value is not None and name not in allowed:
                self.error(f"{path}.{name}", f"not a field of {'an ingress' if ingress else 'an egress'} peer "
                           f"of {self.api.kind}", ", ".join(allowed))
        kind = self.one_of(path, {name: fields[name] for name in allowed})
        if kind in ("namespaces", "nodes"):
            self.selector(f"{path}.{kind}", fields[kind])
        elif kind == "pods":
            self.pods(f"{path}.pods", peer.pods)
        elif kind == "networks":
            self.networks(f"{path}.networks", peer.networks)
        elif kind == "domainNames":
            self.items(f"{path}.domainNames", peer.domain_names, NETWORKS_MAX, "domain names")
            for k, name in enumerate(peer.domain_names):
                if not DOMAIN_NAME_RE.match(name):
                    self.error(f"{path}.domainNames[{k}]", f"{name!r} is not a domain name", "e.g. example.com or *.example.com")

    def items(self, path: str, values: list, most: int, what: str) -> None:
        if not values:
            self.error(path, "must have at least 1 item", f"1-{most} {what}")
        elif len(values) > most:
            self.error(path, f"{len(values)} {what}: too many", f"at most {most}")

    def networks(self, path: str, networks: list[str]) -> None:
        self.items(path, networks, NETWORKS_MAX, "CIDRs")
        for k, text in enumerate(networks):
            item = f"{path}[{k}]"
            if len(text) > CIDR_MAX:
                self.error(item, f"{len(text)} characters: too long", f"a CIDR of at most {CIDR_MAX} characters")
            elif self.api.v1alpha2 and parse_cidr(text) is None:
                self.error(item, f"{text!r} is not a valid CIDR", "an IPv4 or IPv6 CIDR such as 10.0.0.0/8")
            elif not self.api.v1alpha2 and (":" in text) == ("." in text):
                self.error(item, f"{text!r}: a CIDR must be either an IPv4 or an IPv6 address",
                           "an IPv4 or IPv6 CIDR such as 10.0.0.0/8")

    def protocols(self, path: str, rule: Rule) -> None:
        if rule.ports is not None:
            self.error(f"{path}.ports", "ClusterNetworkPolicy rules have `protocols`, not `ports`",
                       suggestion="write e.g. `protocols: [{tcp: {destinationPort: {number: 80}}}]`")
        if rule.protocols is None:
            return
        self.items(f"{path}.protocols", rule.protocols, self.api.max_items, "protocols")
        for k, entry in enumerate(rule.protocols):
            item = f"{path}.protocols[{k}]"
            kind = self.one_of(item, {"tcp": entry.tcp, "udp": entry.udp, "sctp": entry.sctp,
                                      "destinationNamedPort": entry.destination_named_port})
            if kind in ("tcp", "udp", "sctp"):
                port = getattr(entry, kind).destination_port
                if port is None:
                    self.error(f"{item}.{kind}", "must set destinationPort", "destinationPort: {number: N} or {range: ...}")
                elif self.one_of(f"{item}.{kind}.destinationPort", {"number": port.number, "range": port.range}):
                    if port.number is not None:
                        self.port_number(f"{item}.{kind}.destinationPort.number", port.number)
                    else:
                        self.port_range(f"{item}.{kind}.destinationPort.range", port.range, strict=True)

    def ports(self, path: str, rule: Rule) -> None:
        if rule.protocols is not None:
            self.error(f"{path}.protocols", f"{self.api.kind} rules have `ports`, not `protocols`",
                       suggestion="write e.g. `ports: [{portNumber: {protocol: TCP, port: 80}}]`")
        if rule.ports is None:
            return
        if len(rule.ports) > self.api.max_items:
            self.error(f"{path}.ports", f"{len(rule.ports)} ports: too many", f"at most {self.api.max_items}")
        for k, entry in enumerate(rule.ports):
            item = f"{path}.ports[{k}]"
            kind = self.one_of(item, {"portNumber": entry.port_number, "namedPort": entry.named_port,
                                      "portRange": entry.port_range})
            if kind == "portNumber":
                self.protocol(f"{item}.portNumber.protocol", entry.port_number.protocol)
                if entry.port_number.port is None:
                    self.error(f"{item}.portNumber.port", "required value", "1-65535")
                else:
                    self.port_number(f"{item}.portNumber.port", entry.port_number.port)
            elif kind == "portRange":
                self.protocol(f"{item}.portRange.protocol", entry.port_range.protocol)
                self.port_range(f"{item}.portRange", entry.port_range, strict=False)

    def protocol(self, path: str, value: str | None) -> None:
        if value is not None and value not in PROTOCOLS:
            self.error(path, f"{value!r} is not a supported protocol", "TCP, UDP or SCTP", closest(value, PROTOCOLS))

    def port_number(self, path: str, value: int) -> None:
        if names.port_number_problems(value):
            self.error(path, f"{value} is not a port", "1-65535")

    def port_range(self, path: str, span, strict: bool) -> None:
        for field in ("start", "end"):
            value = getattr(span, field)
            if value is None:
                self.error(f"{path}.{field}", "required value", "1-65535")
            else:
                self.port_number(f"{path}.{field}", value)
        if strict and span.start is not None and span.end is not None and span.start >= span.end:
            self.error(path, f"start {span.start} must be less than end {span.end}", "start < end",
                       f"for one port write `number: {span.start}`" if span.start == span.end else "")

    def selector(self, path: str, selector: LabelSelector) -> None:
        for key, value in (selector.match_labels or {}).items():
            self.label_key(f"{path}.matchLabels.{key}", key)
            self.label_value(f"{path}.matchLabels.{key}", value)
        for i, expr in enumerate(selector.match_expressions or ()):
            expr_path = f"{path}.matchExpressions[{i}]"
            if expr.operator in ("In", "NotIn") and not expr.values:
                self.error(f"{expr_path}.values", "required value: must be specified when `operator` is 'In' or "
                           "'NotIn'", "a non-empty list of label values")
            elif expr.operator in ("Exists", "DoesNotExist") and expr.values:
                self.error(f"{expr_path}.values", "may not be specified when `operator` is 'Exists' or "
                           "'DoesNotExist'", suggestion="remove `values`, or use In/NotIn")
            elif expr.operator not in OPERATORS:
                self.error(f"{expr_path}.operator", f"{expr.operator!r} is not a valid selector operator",
                           "In, NotIn, Exists or DoesNotExist", closest(expr.operator, OPERATORS))
            self.label_key(f"{expr_path}.key", expr.key)
            for k, value in enumerate(expr.values or ()):
                self.label_value(f"{expr_path}.values[{k}]", value)

    def label_key(self, path: str, key: str) -> None:
        reasons = names.qualified_name_problems(key)
        if reasons:
            self.error(path, f"{key!r} is not a valid label key: {'; '.join(reasons)}", names.LABEL_KEY_FORMAT)

    def label_value(self, path: str, value: str) -> None:
        reasons = names.label_value_problems(value)
        if reasons:
            self.error(path, f"{value!r} is not a valid label value: {'; '.join(reasons)}", names.LABEL_VALUE_FORMAT)


def _other_api(action: str) -> str:
    """A hint when an action of the other API version is used (Allow vs Accept)."""
    swap = {"Allow": "'Accept' (ClusterNetworkPolicy says Accept)", "Accept": "'Allow' (v1alpha1 says Allow)"}
    return f"did you mean {swap[action]}?" if action in swap else ""
