"""What both evaluators need, computed once per cluster: ordered tiers and policies, profiles, owners."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from netpolicy.engine.backends import ServiceBackends
from netpolicy.engine.plan import Plan, TierPolicies, applying, build_plan
from netpolicy.model.addresses import IPAddress
from netpolicy.model.cluster import Cluster, Endpoint, Service, default_profiles
from netpolicy.model.ir import (
    DENY,
    NORMAL,
    PASS,
    PRE_DNAT,
    UNTRACKED,
    Policy,
    ServiceRef,
    Tier,
    ordered_tiers,
)
from netpolicy.options import Options
from netpolicy.selectors.ast import Selector


@dataclass
class EngineContext:
    """Indexes over a cluster shared by the one-flow evaluator and the matrix engine."""

    cluster: Cluster
    options: Options = field(default_factory=Options)

    @cached_property
    def tiers(self) -> list[TierPolicies]:
        """Tiers in Felix's order, each with its (non-staged) policies sorted by order and tie-break."""
        return self._all_tiers(self.active_policies)

    def plan(self, endpoint: Endpoint, direction: str) -> Plan:
        """The endpoint's evaluation plan in one direction (policies found by matching their selectors)."""
        cache = self.__dict__.setdefault("plans", {})
        key = (endpoint.id, direction)
        found = cache.get(key)
        if found is None:
            tiers = applying(self.tiers, endpoint.selector_labels, direction)
            found = cache[key] = build_plan(direction, tiers, self.profiles_of(endpoint))
        return found

    def host_plan(self, endpoint: Endpoint, hook: str, direction: str) -> Plan:
        """A host endpoint's plan on another hook than the filter INPUT/OUTPUT chains: preDNAT (ingress)
        or untracked (doNotTrack, both directions): tiers default to Pass, no profiles, what none decides
        goes on (`event_sequencer.go`); forward (applyOnForward policies, end of tier drops, no profiles,
        `plan.isolated` False when none applies: forwarded traffic is allowed). Built once per endpoint,
        hook and direction, as `plan` is."""
        cache = self.__dict__.setdefault("host_plans", {})
        key = (endpoint.id, hook, direction)
        found = cache.get(key)
        if found is None:
            found = cache[key] = self._host_plan(endpoint, hook, direction)
        return found

    def _host_plan(self, endpoint: Endpoint, hook: str, direction: str) -> Plan:
        if hook in (PRE_DNAT, UNTRACKED):
            policies = [p for p in self.cluster.policies if not p.staged and p.hook == hook]
            tiers = [TierPolicies(replace(t.tier, default_action=PASS), found) for t in self._tiers_of(policies)
                     if (found := tuple(p for p in t.policies if direction in p.hook_types
                                        and p.selector.matches(endpoint.selector_labels)))]
            return build_plan(direction, tiers, (), final=False)
        policies = [p for p in self.active_policies if p.hook == NORMAL and p.apply_on_forward]
        return build_plan(direction, applying(self._tiers_of(policies), endpoint.selector_labels, direction), (),
                          final=False)

    def _tiers_of(self, policies: list[Policy]) -> list[TierPolicies]:
        names = {p.tier or "default" for p in policies}
        return [TierPolicies(t.tier, tuple(p for p in t.policies if p in policies))
                for t in self._all_tiers(policies) if t.tier.name in names]

    def _all_tiers(self, policies: list[Policy]) -> list[TierPolicies]:
        tiers = dict(self.cluster.tiers)
        by_tier: dict[str, list[Policy]] = {}
        for policy in policies:
            name = policy.tier or "default"
            by_tier.setdefault(name, []).append(policy)
            tiers.setdefault(name, Tier(name, None, DENY, defined=False))
        version = self.options.calico_version
        return [TierPolicies(t, tuple(sorted(by_tier.get(t.name, []), key=lambda p: p.sort_key(version))))
                for t in ordered_tiers(tiers) if t.name in by_tier]

    @cached_property
    def active_policies(self) -> list[Policy]:
        """The enforced policies of the filter chains (staged ones and preDNAT/untracked ones left out)."""
        return [p for p in self.cluster.policies if not p.staged and p.hook == NORMAL]

    def profiles_of(self, endpoint: Endpoint) -> list[Policy | str]:
        """The endpoint's profiles in order; a name stands for a profile that was not found."""
        out: list[Policy | str] = []
        for name in default_profiles(endpoint):
            profile = self.cluster.profiles.get(name)
            if profile is None and name.startswith("kns."):
                from netpolicy.engine.builtin import namespace_profile

                profile = namespace_profile(name[4:])
            out.append(profile if profile is not None else name)
        return out

    @cached_property
    def host_endpoints(self) -> Mapping[str, Endpoint]:
        """Node → the host endpoint governing its fabric interface (`Cluster.governing_host_endpoints`)."""
        return self.cluster.governing_host_endpoints

    @cached_property
    def owners(self) -> OwnerIndex:
        return OwnerIndex(self.cluster.endpoints)

    @cached_property
    def backends(self) -> ServiceBackends:
        """Backends of every Service (EndpointSlices, else selectors)."""
        return ServiceBackends(self.cluster)

    @property
    def services(self) -> dict[tuple[str, str], Service]:
        return self.backends.services

    def service_backends(self, ref: ServiceRef) -> list[Endpoint]:
        """The endpoints (pods) behind a Service a rule names."""
        return self.backends.endpoints(ref.namespace, ref.name)

    def service_target_ports(self, ref: ServiceRef, backend: Endpoint) -> list[tuple[int, int]]:
        """(protocol, port) pairs the Service's backends at this endpoint serve (target ports resolved)."""
        found = [p for b in self.backends.of(ref.namespace, ref.name) if b.endpoint is backend for p in b.ports]
        return list(dict.fromkeys(found))


class OwnerIndex:
    """Which IP owners hold an address: endpoints by exact IP, network sets by CIDR."""

    def __init__(self, endpoints: list[Endpoint]) -> None:
        self.by_ip: dict[IPAddress, list[Endpoint]] = {}
        spans: list[tuple[int, int, int, Endpoint]] = []
        for endpoint in endpoints:
            for ip in endpoint.ips:
                self.by_ip.setdefault(ip, []).append(endpoint)
            for net in endpoint.nets:
                spans.append((net.version, int(net.network_address), int(net.broadcast_address), endpoint))
        self.spans = sorted(spans, key=lambda s: (s[0], s[1]))
        self._starts = [(s[0], s[1]) for s in self.spans]

    def owners(self, address: IPAddress) -> list[Endpoint]:
        """Every owner at the address: endpoints with that IP, then network sets containing it."""
        found = list(self.by_ip.get(address, ()))
        value, version = int(address), address.version
        stop = bisect.bisect_right(self._starts, (version, value))
        for fam, lo, hi, endpoint in self.spans[:stop]:
            if fam == version and lo <= value <= hi and endpoint not in found:
                found.append(endpoint)
        return found


def selector_matches_any(selector: Selector, owners: list[Endpoint]) -> bool:
    """An address matches a rule selector when some owner at it matches (Calico IP sets)."""
    return any(selector.matches(o.selector_labels) for o in owners)
