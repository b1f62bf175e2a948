"""What both evaluators need, computed once per cluster: ordered tiers and policies, profiles, owners."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property

from netpolicy.engine.plan import Plan, TierPolicies, applying, build_plan
from netpolicy.model.addresses import IPAddress
from netpolicy.model.cluster import HOST_ENDPOINT, Cluster, Endpoint, Service, default_profiles
from netpolicy.model.ir import DENY, Policy, ServiceRef, Tier, ordered_tiers
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
        tiers = dict(self.cluster.tiers)
        by_tier: dict[str, list[Policy]] = {}
        for policy in self.active_policies:
            name = policy.tier or "default"
            by_tier.setdefault(name, []).append(policy)
            if name not in tiers:
                tiers[name] = Tier(name, None, DENY, defined=False)
        version = self.options.calico_version
        return [TierPolicies(t, tuple(sorted(by_tier.get(t.name, []), key=lambda p: p.sort_key(version))))
                for t in ordered_tiers(tiers) if t.name in by_tier]

    def plan(self, endpoint: Endpoint, direction: str) -> Plan:
        """The endpoint's evaluation plan in one direction (policies found by matching their selectors)."""
        cache = self.__dict__.setdefault("plans", {})
        key = (endpoint.id, direction)
        found = cache.get(key)
        if found is None:
            tiers = applying(self.tiers, endpoint.selector_labels, direction)
            found = cache[key] = build_plan(direction, tiers, self.profiles_of(endpoint))
        return found

    @cached_property
    def active_policies(self) -> list[Policy]:
        return [p for p in self.cluster.policies if not p.staged]

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
    def owners(self) -> OwnerIndex:
        return OwnerIndex(self.cluster.endpoints)

    @cached_property
    def services(self) -> dict[tuple[str, str], Service]:
        return {(s.namespace, s.name): s for s in self.cluster.services}

    def service_backends(self, ref: ServiceRef) -> list[Endpoint]:
        """Policed endpoints of the service's namespace matching its selector."""
        service = self.services.get((ref.namespace, ref.name))
        if service is None or not service.selector:
            return []
        wanted = service.selector.items()
        return [e for e in self.cluster.endpoints
                if e.namespace == ref.namespace and e.policed and e.kind != HOST_ENDPOINT
                and all(e.labels.get(k) == v for k, v in wanted)]

    def service_target_ports(self, ref: ServiceRef, backend: Endpoint) -> list[tuple[int, int]]:
        """(protocol, port) pairs the service forwards to on this backend (target ports resolved)."""
        service = self.services.get((ref.namespace, ref.name))
        out = []
        for sp in service.ports if service else ():
            target = sp.target_port if sp.target_port is not None else sp.port
            if isinstance(target, str) and not target.isdigit():
                out += [(np.protocol, np.port) for np in backend.ports
                        if np.name == target and np.protocol == sp.protocol]
            else:
                out.append((sp.protocol, int(target)))
        return out


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
