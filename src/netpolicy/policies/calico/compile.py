"""Calico resources (projectcalico.org/v3 and the crd.projectcalico.org/v1 storage form) into the IR.

`compile_calico` validates every Calico object of the input as Calico's API would and compiles it:
policies (enforced and staged) to `ir.Policy` with effective selectors, Tier objects to `ir.Tier`,
Profile objects to profile policies, NetworkSets, GlobalNetworkSets and HostEndpoints to
endpoints, and IPPools to `IPPool`s. An object Calico would reject is reported and left out. preDNAT and
doNotTrack policies are kept for explanations but govern no direction, since only normal host-endpoint
policy is modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import (
    GLOBAL_NETWORK_SET,
    HOST_ENDPOINT,
    NETWORK_SET,
    Cluster,
    Endpoint,
    IPPool,
    default_profiles,
)
from netpolicy.model.ir import Policy, Tier
from netpolicy.options import Options
from netpolicy.policies.calico.profiles import (
    CompiledProfile,
    builtin_compiled_profiles,
    builtin_profiles,
    compile_profile,
)
from netpolicy.policies.calico.tiers import builtin_tiers, compile_tier, tier_order
from netpolicy.sources.raw import RawObject

__all__ = ["CALICO_GROUPS", "CALICO_KINDS", "CalicoResult", "builtin_profiles", "builtin_tiers",
           "compile_calico", "default_profiles", "is_calico_object", "tier_order"]

CALICO_GROUPS = ("projectcalico.org", "crd.projectcalico.org")
TIER, PROFILE, IP_POOL = "Tier", "Profile", "IPPool"
STAGED_KUBERNETES_NETWORK_POLICY = "StagedKubernetesNetworkPolicy"
CALICO_KINDS = frozenset({"NetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy",
                          STAGED_KUBERNETES_NETWORK_POLICY, TIER, PROFILE, NETWORK_SET, GLOBAL_NETWORK_SET,
                          HOST_ENDPOINT, IP_POOL})


@dataclass
class CalicoResult:
    """What the Calico objects of an input compile to.

    `policies` holds enforced and staged policies (staged ones have `staged=True` and their
    stagedAction in `notes`); `tiers` the built-in tiers of the target Calico version plus Tier
    objects; `profiles` the Profile objects (built-in profiles come from `builtin_profiles`);
    `endpoints` the network sets and host endpoints; `ip_pools` the IPPool objects.
    """

    policies: list[Policy] = field(default_factory=list)
    tiers: dict[str, Tier] = field(default_factory=dict)
    profiles: dict[str, Policy] = field(default_factory=dict)
    endpoints: list[Endpoint] = field(default_factory=list)
    ip_pools: list[IPPool] = field(default_factory=list)


def is_calico_object(raw: RawObject) -> bool:
    """Whether `compile_calico` handles this object (a Calico API group and a kind it knows)."""
    return raw.kind in CALICO_KINDS and raw.group in CALICO_GROUPS


def compile_calico(objects: list[RawObject], cluster: Cluster, options: Options,
                   diags: Diagnostics) -> CalicoResult:
    """Validate and compile every Calico object in `objects`; other objects are ignored."""
    by_kind: dict[str, list[RawObject]] = {}
    for raw in _last_of_each(objects, diags):
        by_kind.setdefault(raw.kind, []).append(raw)
    result = CalicoResult(tiers=builtin_tiers(options.calico_version))
    tier_names = set(result.tiers)
    for raw in by_kind.get(TIER, []):
        tier_names.add(raw.name)
        tier = compile_tier(raw, diags, options.calico_version)
        if tier is not None:
            result.tiers[tier.name] = tier
    profiles: dict[str, CompiledProfile] = {}
    for raw in by_kind.get(PROFILE, []):
        compiled = compile_profile(raw, diags)
        if compiled is not None:
            profiles[raw.name] = compiled
            result.profiles[raw.name] = compiled.policy
    result.endpoints = _endpoints(by_kind, cluster, profiles, diags)
    if by_kind.get(IP_POOL):
        from netpolicy.policies.calico.ip_pools import compile_ip_pool

        result.ip_pools = [p for raw in by_kind[IP_POOL] if (p := compile_ip_pool(raw, diags)) is not None]
    if not any(by_kind.get(kind) for kind in CALICO_KINDS - {TIER, PROFILE, NETWORK_SET, GLOBAL_NETWORK_SET,
                                                             HOST_ENDPOINT, IP_POOL}):
        return result
    from netpolicy.policies.calico.policies import (  # pydantic models
        POLICY_KINDS,
        PolicyContext,
        compile_policy,
    )

    ctx = PolicyContext(diags, frozenset(tier_names), options.calico_version)
    for kind in POLICY_KINDS:
        for raw in by_kind.get(kind, []):
            policy = compile_policy(raw, ctx)
            if policy is not None:
                result.policies.append(policy)
    for raw in by_kind.get(STAGED_KUBERNETES_NETWORK_POLICY, []):
        policy = _compile_staged_kubernetes(raw, cluster, options, diags)
        if policy is not None:
            result.policies.append(policy)
    return result


def _last_of_each(objects: list[RawObject], diags: Diagnostics) -> list[RawObject]:
    """Calico objects, one per kind, namespace and name: a later definition replaces an earlier one."""
    latest: dict[tuple[str, str | None, str], RawObject] = {}
    for raw in objects:
        if not is_calico_object(raw):
            continue
        key = (raw.kind, raw.namespace, raw.name)
        earlier = latest.pop(key, None)
        if earlier is not None and raw.name:
            diags.warn(f"{raw.kind} {raw.name!r} is defined again here; this definition replaces the one "
                       f"at {earlier.location}", raw.at("metadata.name"), "metadata.name")
        latest[key] = raw
    return list(latest.values())


def _endpoints(by_kind: dict[str, list[RawObject]], cluster: Cluster,
               profiles: dict[str, CompiledProfile], diags: Diagnostics) -> list[Endpoint]:
    """Network sets and host endpoints; `profiles` are the Profile objects (host endpoints also see the
    built-in profiles)."""
    if not any(by_kind.get(kind) for kind in (NETWORK_SET, GLOBAL_NETWORK_SET, HOST_ENDPOINT)):
        return []
    from netpolicy.policies.calico.endpoints import compile_host_endpoint, compile_network_set

    taken = {e.id for e in cluster.endpoints}
    endpoints: list[Endpoint] = []
    for kind in (NETWORK_SET, GLOBAL_NETWORK_SET):
        for raw in by_kind.get(kind, []):
            endpoint = compile_network_set(raw, diags, cluster, taken)
            if endpoint is not None:
                endpoints.append(endpoint)
    if not by_kind.get(HOST_ENDPOINT):
        return endpoints
    profiles = {**builtin_compiled_profiles(cluster), **profiles}
    labels = {name: compiled.labels_to_apply for name, compiled in profiles.items()}
    for raw in by_kind.get(HOST_ENDPOINT, []):
        endpoint = compile_host_endpoint(raw, diags, labels, taken)
        if endpoint is None:
            continue
        endpoints.append(endpoint)
        for i, name in enumerate(endpoint.profiles):
            if name not in profiles:
                diags.warn(f"profile {name!r} is not defined in the input; it is treated as having no rules",
                           raw.at(f"spec.profiles[{i}]"), f"spec.profiles[{i}]")
    return endpoints


def _compile_staged_kubernetes(raw: RawObject, cluster: Cluster, options: Options,
                               diags: Diagnostics) -> Policy | None:
    """A StagedKubernetesNetworkPolicy: its spec is a Kubernetes NetworkPolicy spec plus stagedAction."""
    from netpolicy.policies.calico.policies import STAGED_ACTIONS
    from netpolicy.policies.kubernetes.compile import compile_network_policy

    spec = dict(raw.data.get("spec") or {})
    action = spec.pop("stagedAction", None) or "Set"
    if action not in STAGED_ACTIONS:
        diags.error(f"{action!r} is not a staged action", raw.at("spec.stagedAction"), "spec.stagedAction",
                    ", ".join(STAGED_ACTIONS))
        return None
    if action == "Delete":
        if spec:
            diags.error("spec fields should all be zero-value if stagedAction is Delete", raw.at("spec"), "spec",
                        "only stagedAction")
            return None
        spec = {"podSelector": {}}  # the zero value Calico converts
    data = {**raw.data, "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": spec}
    policy = compile_network_policy(RawObject(data, raw.location, raw.lines), options, diags)
    if policy is None:
        return None
    return replace(policy, kind=STAGED_KUBERNETES_NETWORK_POLICY, staged=True, source=raw,
                   notes=(*policy.notes, f"stagedAction: {action}"), staged_action=action,
                   enforced_kind=policy.kind)
