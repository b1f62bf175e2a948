"""Calico NetworkPolicy, GlobalNetworkPolicy and their Staged forms: validation and compilation to the IR.

Validation follows `validateNetworkPolicy`, `validateGlobalNetworkPolicy`, the Staged validators and the
CRD/CEL markers (docs/semantics.md#calico-policies, #rule-validation). Compilation follows the update
processors: the applies-to selector is the effective one Felix evaluates (#calico-networkpolicy),
`types` get Calico's defaults (not Kubernetes'), an absent `order` is +inf, and rules are compiled by
`rules`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from netpolicy.errors import Diagnostics
from netpolicy.model import ir
from netpolicy.policies.calico import models as m
from netpolicy.policies.calico.names import (
    GLOBAL_NETWORK_POLICY_NAME_RE,
    NETWORK_POLICY_NAME_RE,
    SUBDOMAIN_MAX,
    check_labels,
)
from netpolicy.policies.calico.rule_checks import RuleScope, check_rule
from netpolicy.policies.calico.rules import compile_rules, rule_notes
from netpolicy.policies.calico.scoping import global_policy_selector, namespaced_policy_selector
from netpolicy.policies.calico.selectors import check_selector
from netpolicy.policies.calico.tiers import DEFAULT_TIER
from netpolicy.selectors import SelectorError, parse
from netpolicy.sources.raw import RawObject
from netpolicy.suggest import case_hint

STAGED_NETWORK_POLICY = "StagedNetworkPolicy"
STAGED_GLOBAL_NETWORK_POLICY = "StagedGlobalNetworkPolicy"
STAGED_KUBERNETES_NETWORK_POLICY = "StagedKubernetesNetworkPolicy"

POLICY_TYPES = {"Ingress": ir.INGRESS, "Egress": ir.EGRESS}
STAGED_ACTIONS = ("Set", "Delete", "Learn", "Ignore")
MAX_RULES = 1024
PERFORMANCE_HINTS = ("AssumeNeededOnEveryNode",)


@dataclass(frozen=True)
class PolicyKind:
    """How one API kind is read and what it becomes in the IR."""

    api_kind: str
    ir_kind: str
    spec_model: type[m.NetworkPolicySpec]
    namespaced: bool
    staged: bool
    enforced_kind: str | None = None   # of a staged kind: the IR kind of its enforced copy


POLICY_KINDS = {
    k.api_kind: k for k in (
        PolicyKind("NetworkPolicy", ir.CALICO_NETWORK_POLICY, m.NetworkPolicySpec, True, False),
        PolicyKind("GlobalNetworkPolicy", ir.GLOBAL_NETWORK_POLICY, m.GlobalNetworkPolicySpec, False, False),
        PolicyKind(STAGED_NETWORK_POLICY, STAGED_NETWORK_POLICY, m.StagedNetworkPolicySpec, True, True,
                   ir.CALICO_NETWORK_POLICY),
        PolicyKind(STAGED_GLOBAL_NETWORK_POLICY, STAGED_GLOBAL_NETWORK_POLICY, m.StagedGlobalNetworkPolicySpec,
                   False, True, ir.GLOBAL_NETWORK_POLICY),
    )
}


@dataclass(frozen=True)
class PolicyContext:
    """What compiling a policy needs beyond the object: known tier names and the target Calico version."""

    diags: Diagnostics
    tiers: frozenset[str]
    calico_version: tuple[int, int]


def compile_policy(raw: RawObject, ctx: PolicyContext) -> ir.Policy | None:
    """One Calico (Global/Staged) policy object; None (with errors reported) if Calico would reject it."""
    kind = POLICY_KINDS[raw.kind]
    diags = ctx.diags
    errors_before = len(diags.errors)
    spec = m.load_spec(kind.spec_model, raw, diags)
    namespace = (raw.namespace or "default") if kind.namespaced else ""
    _check_name(raw, kind, diags)
    check_labels(raw, diags, raw.metadata.get("labels"))
    if spec is None:
        return None
    tier = spec.tier or DEFAULT_TIER
    _check_tier(raw, tier, ctx)
    _check_spec(raw, spec, kind, namespace, diags)
    if len(diags.errors) > errors_before:
        return None
    return _compile(raw, spec, kind, namespace, tier, diags)


def _check_name(raw: RawObject, kind: PolicyKind, diags: Diagnostics) -> None:
    name = raw.name
    pattern = NETWORK_POLICY_NAME_RE if kind.namespaced else GLOBAL_NETWORK_POLICY_NAME_RE
    if not name:
        diags.error("is required", raw.at("metadata.name"), "metadata.name", "the policy's name")
    elif len(name) > SUBDOMAIN_MAX or not pattern.match(name):
        diags.error(f"{name!r} is not a valid policy name", raw.at("metadata.name"), "metadata.name",
                    "lower-case letters, digits and '-', optionally prefixed by '<tier>.'")


def _check_tier(raw: RawObject, tier: str, ctx: PolicyContext) -> None:
    """The tier must exist; a dotted name must carry its tier's prefix (and before v3.32 must have one)."""
    if tier not in ctx.tiers:
        known = ", ".join(sorted(ctx.tiers))
        ctx.diags.error(f"tier {tier!r} does not exist", raw.at("spec.tier"), "spec.tier",
                        f"a Tier object in the input or a built-in tier ({known})",
                        f"add a Tier named {tier!r}")
    name = raw.name
    if not name or name.startswith(("knp.default.", "ossg.")):
        return
    prefix, dot, _ = name.partition(".")
    if dot and prefix != tier:
        ctx.diags.error(f"policy name {name!r} is prefixed with {prefix!r} but the policy is in tier "
                        f"{tier!r}", raw.at("metadata.name"), "metadata.name",
                        f"'{tier}.<name>' or a name without '.'")
    elif not dot and tier != DEFAULT_TIER and ctx.calico_version < (3, 32):
        ctx.diags.error(f"a policy in tier {tier!r} must be named '{tier}.<name>' before Calico v3.32",
                        raw.at("metadata.name"), "metadata.name", f"'{tier}.{name}'")


def _check_spec(raw: RawObject, spec: m.NetworkPolicySpec, kind: PolicyKind, namespace: str,
                diags: Diagnostics) -> None:
    if spec.order is not None and not math.isfinite(spec.order):
        diags.error(f"{spec.order} is not a finite number", raw.at("spec.order"), "spec.order", "a number")
    for key, text in (("selector", spec.selector), ("serviceAccountSelector", spec.service_account_selector),
                      ("namespaceSelector", getattr(spec, "namespace_selector", ""))):
        if text:
            check_selector(text, raw, diags, f"spec.{key}")
    _check_types(raw, spec, diags)
    for i, hint in enumerate(spec.performance_hints or []):
        if hint not in PERFORMANCE_HINTS:
            diags.error(f"{hint!r} is not a performance hint", raw.at(f"spec.performanceHints[{i}]"),
                        f"spec.performanceHints[{i}]", " or ".join(PERFORMANCE_HINTS))
    is_global = isinstance(spec, m.GlobalNetworkPolicySpec)
    if is_global:
        _check_host_flags(raw, spec, diags)
    if kind.staged:
        _check_staged(raw, spec, diags)
    scope = RuleScope(raw, diags, namespace, services_need_namespace=is_global)
    for direction in (ir.INGRESS, ir.EGRESS):
        rules = getattr(spec, direction) or []
        if len(rules) > MAX_RULES:
            diags.error(f"{len(rules)} rules", raw.at(f"spec.{direction}"), f"spec.{direction}",
                        f"at most {MAX_RULES}")
        for i, rule in enumerate(rules):
            check_rule(rule, direction, f"spec.{direction}[{i}]", scope)


def _check_types(raw: RawObject, spec: m.NetworkPolicySpec, diags: Diagnostics) -> None:
    seen: set[str] = set()
    for i, value in enumerate(spec.types or []):
        path = f"spec.types[{i}]"
        if value not in POLICY_TYPES:
            diags.error(f"{value!r} is not a policy type", raw.at(path), path, "Ingress or Egress",
                        case_hint(value, tuple(POLICY_TYPES)))
        elif value in seen:
            diags.error(f"{value!r} type specified more than once", raw.at(path), path,
                        "each of Ingress and Egress at most once")
        seen.add(value)


def _check_host_flags(raw: RawObject, spec: m.GlobalNetworkPolicySpec, diags: Diagnostics) -> None:
    """CEL and `validateGlobalNetworkPolicySpec` rules for doNotTrack, preDNAT and applyOnForward."""
    if spec.do_not_track and spec.pre_dnat:
        diags.error("PreDNAT and DoNotTrack cannot both be true", raw.at("spec.preDNAT"), "spec.preDNAT")
    if spec.pre_dnat and spec.egress:
        diags.error("PreDNAT policy cannot have any egress rules", raw.at("spec.egress"), "spec.egress",
                    suggestion="preDNAT policy applies only to traffic entering a host endpoint")
    if spec.pre_dnat and "Egress" in (spec.types or []):
        diags.error("PreDNAT policy cannot have 'Egress' type", raw.at("spec.types"), "spec.types",
                    "types: [Ingress]")
    if not spec.apply_on_forward and (spec.do_not_track or spec.pre_dnat):
        diags.error("ApplyOnForward must be true if either PreDNAT or DoNotTrack is true",
                    raw.at("spec.applyOnForward"), "spec.applyOnForward", "applyOnForward: true")


def _check_staged(raw: RawObject, spec: m.NetworkPolicySpec, diags: Diagnostics) -> None:
    action = spec.staged_action or "Set"
    if action not in STAGED_ACTIONS:
        diags.error(f"{action!r} is not a staged action", raw.at("spec.stagedAction"), "spec.stagedAction",
                    ", ".join(STAGED_ACTIONS), case_hint(action, STAGED_ACTIONS))
    if action == "Delete":
        extra = sorted(set(spec.model_fields_set) - {"tier", "staged_action"})
        if extra:
            diags.error("spec fields, except tier, should all be zero-value if stagedAction is Delete",
                        raw.at("spec"), "spec", "only tier and stagedAction")


def default_types(spec: m.NetworkPolicySpec) -> frozenset[str]:
    """`types` as written, or Calico's default (docs/semantics.md#calico-types): Ingress unless there
    are egress rules only, both when there are rules of both directions. Differs from Kubernetes'."""
    if spec.types:
        return frozenset(POLICY_TYPES[t] for t in spec.types)
    if spec.egress and spec.ingress:
        return frozenset({ir.INGRESS, ir.EGRESS})
    return frozenset({ir.EGRESS}) if spec.egress else frozenset({ir.INGRESS})


def applies_to_selector(spec: m.NetworkPolicySpec, namespace: str) -> str:
    """The effective applies-to selector text Felix evaluates for this policy."""
    if isinstance(spec, m.GlobalNetworkPolicySpec):
        return global_policy_selector(spec.selector, spec.namespace_selector, spec.service_account_selector)
    return namespaced_policy_selector(spec.selector, spec.service_account_selector, namespace)


def _compile(raw: RawObject, spec: m.NetworkPolicySpec, kind: PolicyKind, namespace: str, tier: str,
             diags: Diagnostics) -> ir.Policy | None:
    text = applies_to_selector(spec, namespace)
    try:
        selector = parse(text)
    except SelectorError as error:
        diags.error(f"the selector Calico builds for this policy cannot be parsed: {error.message}",
                    raw.at("spec.selector"), "spec.selector", suggestion=f"Calico builds {text!r}")
        return None
    types = default_types(spec)
    notes: list[str] = []
    if kind.staged:
        notes.append(f"stagedAction: {spec.staged_action or 'Set'}")
    hook, hook_types = ir.NORMAL, frozenset()
    if isinstance(spec, m.GlobalNetworkPolicySpec):
        hook, hook_types = _host_hook(spec, types, notes)
        types = types if hook == ir.NORMAL else frozenset()
    for direction in (ir.INGRESS, ir.EGRESS):
        for i, rule in enumerate(getattr(spec, direction) or []):
            notes.extend(rule_notes(rule, f"spec.{direction}[{i}]", namespace))
    return ir.Policy(
        name=raw.name,
        kind=kind.ir_kind,
        namespace=namespace or None,
        tier=tier,
        order=spec.order if spec.order is not None else math.inf,
        selector=selector,
        types=types,
        ingress=compile_rules(spec.ingress, ir.INGRESS, namespace, raw),
        egress=compile_rules(spec.egress, ir.EGRESS, namespace, raw),
        staged=kind.staged,
        location=raw.location,
        notes=tuple(notes),
        staged_action=(spec.staged_action or "Set") if kind.staged else None,
        enforced_kind=kind.enforced_kind,
        hook=hook,
        hook_types=hook_types,
        apply_on_forward=bool(getattr(spec, "apply_on_forward", False)),
        source=raw,
    )


def _host_hook(spec: m.GlobalNetworkPolicySpec, types: frozenset[str], notes: list[str]) -> tuple[str, frozenset[str]]:
    """Where a host-endpoint policy is evaluated and in which directions. preDNAT and doNotTrack
    policies live outside the filter chains: the packet path (engine/host_path.py) evaluates them on the
    way into and out of a node; the matrix and pod-to-pod flows do not."""
    declared = ", ".join(sorted(types))
    if spec.pre_dnat:
        notes.append(f"preDNAT: evaluated on the path into a node (query to a NodePort or Service address, before "
                     f"DNAT); not in the matrix or pod-to-pod flows (declared types: {declared})")
        return ir.PRE_DNAT, types & {ir.INGRESS}
    if spec.do_not_track:
        notes.append(f"doNotTrack: evaluated in raw, before conntrack, on the path into and out of a node (query "
                     f"to or from a node, to a NodePort or Service address); replies need their own rule; not "
                     f"in the matrix or pod-to-pod flows (declared types: {declared})")
        return ir.UNTRACKED, types
    if spec.apply_on_forward:
        notes.append("applyOnForward: evaluated on the path through a node (query to a NodePort or Service "
                     "address); not in the matrix or pod-to-pod flows")
    return ir.NORMAL, frozenset()
