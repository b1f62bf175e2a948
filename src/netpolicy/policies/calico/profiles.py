"""Calico profiles: the built-in ones (kns.*, ksa.*, projectcalico-default-allow) and Profile objects.

Profiles are evaluated after every tier (docs/semantics.md#profiles). In the IR they are policies
of kind `Profile` with tier None, selector `all()` (a profile is attached by name, never by selector)
and both directions governed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import (
    HOST_ENDPOINT,
    K8S_NAMESPACE_NAME_LABEL,
    NAME_LABEL,
    Cluster,
)
from netpolicy.model.ir import ALLOW, EGRESS, INGRESS, PASS, PROFILE, Policy, Rule
from netpolicy.selectors.ast import ALL
from netpolicy.sources.raw import RawObject

DEFAULT_ALLOW_PROFILE = "projectcalico-default-allow"
NAMESPACE_PROFILE_PREFIX = "kns."
SERVICE_ACCOUNT_PROFILE_PREFIX = "ksa."
BOTH = frozenset({INGRESS, EGRESS})


@dataclass(frozen=True)
class CompiledProfile:
    """A profile in the IR and the labels it gives to the endpoints that use it."""

    policy: Policy
    labels_to_apply: Mapping[str, str] = field(default_factory=dict)


def namespace_labels(cluster: Cluster, namespace: str) -> Mapping[str, str]:
    """A namespace's labels; a namespace not in the input has only its name label."""
    known = cluster.namespaces.get(namespace)
    return known.labels if known is not None else {K8S_NAMESPACE_NAME_LABEL: namespace}


def namespace_profile_name(namespace: str) -> str:
    """`kns.<namespace>`."""
    return f"{NAMESPACE_PROFILE_PREFIX}{namespace}"


def service_account_profile_name(namespace: str, service_account: str) -> str:
    """`ksa.<namespace>.<service account>`."""
    return f"{SERVICE_ACCOUNT_PROFILE_PREFIX}{namespace}.{service_account}"


def builtin_profiles(cluster: Cluster) -> dict[str, Policy]:
    """`kns.<ns>` for every namespace (allow all), `ksa.<ns>.<sa>` for every service account known or
    used by an endpoint (no rules), and `projectcalico-default-allow` (allow all)."""
    return _builtin_policies(*_builtin_owners(cluster))


def builtin_compiled_profiles(cluster: Cluster) -> dict[str, CompiledProfile]:
    """The built-in profiles with the `pcns.*` / `pcsa.*` labels they apply."""
    namespaces, accounts = _builtin_owners(cluster)
    policies = _builtin_policies(namespaces, accounts)
    profiles: dict[str, CompiledProfile] = {}
    for namespace in namespaces:
        labels = {f"pcns.{k}": v for k, v in namespace_labels(cluster, namespace).items()}
        labels[f"pcns.{NAME_LABEL}"] = namespace
        name = namespace_profile_name(namespace)
        profiles[name] = CompiledProfile(policies[name], labels)
    for (namespace, account), account_labels in accounts.items():
        labels = {f"pcsa.{k}": v for k, v in account_labels.items()}
        labels[f"pcsa.{NAME_LABEL}"] = account
        name = service_account_profile_name(namespace, account)
        profiles[name] = CompiledProfile(policies[name], labels)
    profiles[DEFAULT_ALLOW_PROFILE] = CompiledProfile(policies[DEFAULT_ALLOW_PROFILE])
    return profiles


def _builtin_owners(cluster: Cluster) -> tuple[list[str], dict[tuple[str, str], Mapping[str, str]]]:
    """The namespaces and the (namespace, service account) pairs with a built-in profile, sorted; each
    account with its labels (none for an account only named by an endpoint)."""
    namespaces = set(cluster.namespaces)
    accounts: dict[tuple[str, str], Mapping[str, str]] = {
        key: account.labels for key, account in cluster.service_accounts.items()}
    for endpoint in cluster.endpoints:
        namespace = endpoint.namespace
        if namespace:
            namespaces.add(namespace)
            if endpoint.kind != HOST_ENDPOINT:
                accounts.setdefault((namespace, endpoint.service_account or "default"), {})
    return sorted(namespaces), dict(sorted(accounts.items()))


def _builtin_policies(namespaces: list[str], accounts: Mapping[tuple[str, str], object]) -> dict[str, Policy]:
    """The built-in profiles of these namespaces and service accounts, in that order, then default-allow."""
    profiles: dict[str, Policy] = {}
    for namespace in namespaces:
        name = namespace_profile_name(namespace)
        profiles[name] = _allow_all(name, "namespace profile: allow all")
    for namespace, account in accounts:
        name = service_account_profile_name(namespace, account)
        profiles[name] = _profile(name)
    profiles[DEFAULT_ALLOW_PROFILE] = _allow_all(DEFAULT_ALLOW_PROFILE, "default-allow profile: allow all")
    return profiles


def compile_profile(raw: RawObject, diags: Diagnostics) -> CompiledProfile | None:
    """A Profile object; None if invalid. Rules are scoped like a GlobalNetworkPolicy's."""
    # Only Profile objects need the rule checks (and the selector parser they load).
    from netpolicy.policies.calico.names import check_labels, is_subdomain
    from netpolicy.policies.calico.rule_checks import RuleScope, check_rule
    from netpolicy.policies.calico.rules import compile_rules

    errors_before = len(diags.errors)
    name = raw.name
    if not name:
        diags.error("is required", raw.at("metadata.name"), "metadata.name", "the profile's name")
    elif not is_subdomain(name):
        diags.error(f"{name!r} is not a valid profile name", raw.at("metadata.name"), "metadata.name",
                    "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'")
    check_labels(raw, diags, raw.metadata.get("labels"))
    from netpolicy.policies.calico.models import ProfileSpec, load_spec  # pydantic: loaded on first use

    spec = load_spec(ProfileSpec, raw, diags)
    if spec is None:
        return None
    labels = check_labels(raw, diags, spec.labels_to_apply, "spec.labelsToApply")
    scope = RuleScope(raw, diags, namespace="", policy_checks=False)
    for direction in (INGRESS, EGRESS):
        for i, rule in enumerate(getattr(spec, direction) or []):
            path = f"spec.{direction}[{i}]"
            check_rule(rule, direction, path, scope)
            if rule.action == PASS:
                scope.warn(f"{path}.action", "Pass in a Profile has no next tier: Felix ends this "
                           "profile's evaluation and continues with the endpoint's next profile",
                           suggestion="use Allow or Deny in profiles")
    if len(diags.errors) > errors_before:
        return None
    policy = _profile(name, compile_rules(spec.ingress, INGRESS, "", raw),
                      compile_rules(spec.egress, EGRESS, "", raw), raw)
    return CompiledProfile(policy, labels)


def _allow_all(name: str, detail: str) -> Policy:
    return _profile(name, (Rule(ALLOW, INGRESS, 0, "ingress[0]", detail=detail),),
                    (Rule(ALLOW, EGRESS, 0, "egress[0]", detail=detail),))


def _profile(name: str, ingress: tuple[Rule, ...] = (), egress: tuple[Rule, ...] = (),
             raw: RawObject | None = None) -> Policy:
    return Policy(name=name, kind=PROFILE, namespace=None, tier=None, order=math.inf, selector=ALL,
                  types=BOTH, ingress=ingress, egress=egress,
                  location=raw.location if raw is not None else None, source=raw)
