"""The API server's validation of a NetworkPolicy (`ValidateNetworkPolicy` and the label-selector rules).

Works on the decoded model (`models`) and reports every problem with its field path and line;
what Kubernetes accepts but is probably not meant (a CIDR with host bits, a repeated policy type)
is a warning.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from netpolicy.errors import Diagnostics
from netpolicy.policies.kubernetes import names
from netpolicy.policies.kubernetes.cidr import has_host_bits, is_strict_subnet, parse_cidr
from netpolicy.sources.raw import RawObject
from netpolicy.suggest import closest, did_you_mean

if TYPE_CHECKING:
    from netpolicy.policies.kubernetes.models import (
        IPBlock,
        LabelSelector,
        NetworkPolicy,
        NetworkPolicyPeer,
        NetworkPolicyPort,
        NetworkPolicySpec,
        ObjectMeta,
    )

PROTOCOLS = ("TCP", "UDP", "SCTP")
POLICY_TYPES = ("Ingress", "Egress")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_PORT_RANGE_TEXT = re.compile(r"\s*(\d+)\s*[-:]\s*(\d+)\s*")


def validate_network_policy(model: NetworkPolicy, obj: RawObject, diags: Diagnostics) -> int:
    """Check `model` as the API server would; problems go into `diags`. Returns the number of errors."""
    checker = _Checker(obj, diags)
    checker.metadata(model.metadata)
    checker.spec(model.spec)
    return checker.errors


class _Checker:
    """Walks one policy, reporting into `diags` with locations from `obj`."""

    def __init__(self, obj: RawObject, diags: Diagnostics) -> None:
        self.obj = obj
        self.diags = diags
        self.errors = 0

    def error(self, path: str, message: str, expected: str = "", suggestion: str = "") -> None:
        self.errors += 1
        self.diags.error(message, self.obj.at(path), path, expected, suggestion)

    def warn(self, path: str, message: str, suggestion: str = "") -> None:
        self.diags.warn(message, self.obj.at(path), path, suggestion=suggestion)

    # --- metadata -------------------------------------------------------------------------------

    def metadata(self, meta: ObjectMeta) -> None:
        if meta.generate_name:
            # As the API server does, a trailing '-' of the prefix is checked as if a suffix followed.
            prefix = meta.generate_name
            self.object_name("metadata.generateName", prefix, prefix[:-1] + "a" if prefix.endswith("-") else prefix)
        if meta.name:
            self.object_name("metadata.name", meta.name)
        elif meta.generate_name:
            self.warn("metadata.generateName", f"no name: Kubernetes generates one starting {meta.generate_name!r}")
        else:
            self.error("metadata.name", "required value", names.DNS1123_SUBDOMAIN_FORMAT)
        if meta.namespace is not None:
            reasons = names.dns1123_label_problems(meta.namespace)
            if reasons:
                self.error("metadata.namespace", f"{meta.namespace!r} is not a valid namespace: {'; '.join(reasons)}",
                           names.DNS1123_LABEL_FORMAT, _name_suggestion(meta.namespace, names.dns1123_label_problems))
        self.labels("metadata.labels", meta.labels)
        for key in meta.annotations or {}:
            self.label_key(f"metadata.annotations.{key}", key, "annotation key")

    def object_name(self, path: str, name: str, checked: str | None = None) -> None:
        reasons = names.dns1123_subdomain_problems(name if checked is None else checked)
        if reasons:
            self.error(path, f"{name!r} is not a valid name: {'; '.join(reasons)}", names.DNS1123_SUBDOMAIN_FORMAT,
                       _name_suggestion(name, names.dns1123_subdomain_problems))

    # --- spec -----------------------------------------------------------------------------------

    def spec(self, spec: NetworkPolicySpec) -> None:
        if spec.pod_selector is None:
            self.warn("spec.podSelector", "not set: the policy selects every pod in its namespace",
                      "write `podSelector: {}` to say so")
        else:
            self.label_selector("spec.podSelector", spec.pod_selector)
        for i, rule in enumerate(spec.ingress or ()):
            self.rule(f"spec.ingress[{i}]", rule.ports, rule.peers, "from")
        for i, rule in enumerate(spec.egress or ()):
            self.rule(f"spec.egress[{i}]", rule.ports, rule.peers, "to")
        self.policy_types(spec.policy_types or [])

    def policy_types(self, types: list[str]) -> None:
        if len(types) > len(POLICY_TYPES):
            self.error("spec.policyTypes", "may not specify more than two policyTypes", "Ingress, Egress or both")
            return
        seen: set[str] = set()
        for i, value in enumerate(types):
            path = f"spec.policyTypes[{i}]"
            if value not in POLICY_TYPES:
                self.error(path, f"{value!r} is not a policy type", "Ingress or Egress", did_you_mean(closest(value, POLICY_TYPES), quote=True))
            elif value in seen:
                self.warn(path, f"{value!r} is listed twice", "remove the duplicate")
            seen.add(value)

    def rule(self, path: str, ports: list[NetworkPolicyPort] | None, peers: list[NetworkPolicyPeer],
             peer_field: str) -> None:
        for j, port in enumerate(ports or ()):
            self.port(f"{path}.ports[{j}]", port)
        for j, peer in enumerate(peers):
            self.peer(f"{path}.{peer_field}[{j}]", peer, peer_field)

    # --- ports ----------------------------------------------------------------------------------

    def port(self, path: str, port: NetworkPolicyPort) -> None:
        if port.protocol is not None and port.protocol not in PROTOCOLS:
            hint = did_you_mean(closest(port.protocol, PROTOCOLS), quote=True)
            if not hint and port.protocol.upper().startswith("ICMP"):
                hint = "a NetworkPolicy cannot match ICMP alone; omit `ports` to allow every protocol"
            self.error(f"{path}.protocol", f"{port.protocol!r} is not a supported protocol", "TCP, UDP or SCTP",
                       hint)
        value, end = port.port, port.end_port
        if value is None:
            if end is not None:
                self.error(f"{path}.endPort", "may not be specified when `port` is not specified",
                           suggestion=f"add `port:` as the start of the range ending at {end}")
        elif isinstance(value, int):
            if names.port_number_problems(value):
                self.error(f"{path}.port", f"{value} is not a port", "1-65535")
            if end is not None:
                if end < value:
                    self.error(f"{path}.endPort", f"{end} must be greater than or equal to `port` ({value})",
                               f"a port from {value} to 65535")
                if names.port_number_problems(end):
                    self.error(f"{path}.endPort", f"{end} is not a port", "1-65535")
        else:
            if end is not None:
                self.error(f"{path}.endPort", "may not be specified when `port` is non-numeric",
                           "a numeric `port` as the start of the range")
            reasons = names.port_name_problems(value)
            if reasons:
                self.error(f"{path}.port", f"{value!r} is not a port name: {'; '.join(reasons)}",
                           names.PORT_NAME_FORMAT, _port_text_suggestion(value))

    # --- peers ----------------------------------------------------------------------------------

    def peer(self, path: str, peer: NetworkPolicyPeer, peer_field: str) -> None:
        kinds = 0
        if peer.pod_selector is not None:
            kinds += 1
            self.label_selector(f"{path}.podSelector", peer.pod_selector)
        if peer.namespace_selector is not None:
            kinds += 1
            self.label_selector(f"{path}.namespaceSelector", peer.namespace_selector)
        if peer.ip_block is not None:
            kinds += 1
            self.ip_block(f"{path}.ipBlock", peer.ip_block)
        if kinds == 0:
            everyone = "source" if peer_field == "from" else "destination"
            self.error(path, "must specify a peer", "podSelector, namespaceSelector or ipBlock",
                       f"to allow every {everyone}, omit `{peer_field}`")
        elif kinds > 1 and peer.ip_block is not None:
            self.error(path, "may not specify both ipBlock and another peer",
                       suggestion="write them as separate list items (peers in a list are ORed)")

    def ip_block(self, path: str, block: IPBlock) -> None:
        if not block.cidr:
            self.error(f"{path}.cidr", "required value", "a CIDR such as 10.0.0.0/8")
            return
        network = self.cidr(f"{path}.cidr", block.cidr)
        for k, text in enumerate(block.except_ or ()):
            except_path = f"{path}.except[{k}]"
            excluded = self.cidr(except_path, text)
            if network is not None and excluded is not None and not is_strict_subnet(excluded, network):
                self.error(except_path, f"{text!r} must be a strict subset of `cidr` {block.cidr}",
                           f"a CIDR inside {network} with a prefix longer than /{network.prefixlen}")

    def cidr(self, path: str, text: str):
        network = parse_cidr(text)
        if network is None:
            bare = parse_cidr(f"{text}/{128 if ':' in text else 32}") if "/" not in text else None
            hint = did_you_mean([str(bare)] if bare is not None else [], quote=True)
            self.error(path, f"{text!r} is not a valid CIDR", "an IPv4 or IPv6 CIDR such as 10.0.0.0/8", hint)
        elif has_host_bits(text):
            self.warn(path, f"{text!r} has host bits set: it means {network}", f"write {network}")
        return network

    # --- labels and selectors -------------------------------------------------------------------

    def label_selector(self, path: str, selector: LabelSelector) -> None:
        self.labels(f"{path}.matchLabels", selector.match_labels)
        for i, expr in enumerate(selector.match_expressions or ()):
            expr_path = f"{path}.matchExpressions[{i}]"
            if expr.operator in ("In", "NotIn"):
                if not expr.values:
                    self.error(f"{expr_path}.values", "required value: must be specified when `operator` is "
                               "'In' or 'NotIn'", "a non-empty list of label values")
            elif expr.operator in ("Exists", "DoesNotExist"):
                if expr.values:
                    self.error(f"{expr_path}.values", "may not be specified when `operator` is 'Exists' or "
                               "'DoesNotExist'", suggestion="remove `values`, or use In/NotIn")
            else:
                self.error(f"{expr_path}.operator", f"{expr.operator!r} is not a valid selector operator",
                           "In, NotIn, Exists or DoesNotExist", did_you_mean(closest(expr.operator, OPERATORS), quote=True))
            self.label_key(f"{expr_path}.key", expr.key)
            for k, value in enumerate(expr.values or ()):
                self.label_value(f"{expr_path}.values[{k}]", value)

    def labels(self, path: str, labels: dict[str, str | None] | None) -> None:
        for key, value in (labels or {}).items():
            self.label_key(f"{path}.{key}", key)
            if value is None:
                self.warn(f"{path}.{key}", "null label value: it reads as the empty string",
                          "write '' if the empty value is meant")
            else:
                self.label_value(f"{path}.{key}", value)

    def label_key(self, path: str, key: str, what: str = "label key") -> None:
        reasons = names.qualified_name_problems(key)
        if reasons:
            self.error(path, f"{key!r} is not a valid {what}: {'; '.join(reasons)}", names.LABEL_KEY_FORMAT)

    def label_value(self, path: str, value: str) -> None:
        reasons = names.label_value_problems(value)
        if reasons:
            self.error(path, f"{value!r} is not a valid label value: {'; '.join(reasons)}",
                       names.LABEL_VALUE_FORMAT)


def _port_text_suggestion(value: str) -> str:
    if value.strip().isdigit():
        return f"write the number without quotes: {value.strip()}"
    span = _PORT_RANGE_TEXT.fullmatch(value)
    if span:
        return f"write a range as `port: {span[1]}` and `endPort: {span[2]}`"
    if not names.port_name_problems(value.lower()):
        return did_you_mean([value.lower()], quote=True)
    return ""


def _name_suggestion(value: str, problems) -> str:
    candidate = re.sub(r"[^a-z0-9.-]+", "-", value.lower()).strip("-.")
    if candidate and candidate != value and not problems(candidate):
        return did_you_mean([candidate], quote=True)
    return ""
