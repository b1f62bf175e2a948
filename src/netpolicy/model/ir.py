"""The policy IR, Calico's model for every policy kind: tiers → ordered policies → ordered rules.

Kubernetes NetworkPolicies compile into tier `default` at order 1000 (as Calico converts them), Calico
policies map one to one, admin policies (ClusterNetworkPolicy, AdminNetworkPolicy,
BaselineAdminNetworkPolicy) become GlobalNetworkPolicy-like policies of their own tiers, and profiles are policies of kind `Profile` evaluated after every tier. The
engine only ever sees these objects. Selectors here are *effective*: namespace and service-account
scoping (docs/semantics.md#calico-networkpolicy, #calico-globalnetworkpolicy, #rule-scoping) is
already applied by the compiler.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netpolicy.errors import Location
from netpolicy.model.addresses import IPNetwork
from netpolicy.model.intervals import IntervalSet
from netpolicy.selectors.ast import Selector

if TYPE_CHECKING:
    from netpolicy.sources.raw import RawObject

ALLOW, DENY, PASS, LOG = "Allow", "Deny", "Pass", "Log"
ACTIONS = (ALLOW, DENY, PASS, LOG)
INGRESS, EGRESS = "ingress", "egress"
#: Where a host-endpoint policy is evaluated: the filter chains, before DNAT (mangle), untracked (raw).
NORMAL, PRE_DNAT, UNTRACKED = "normal", "preDNAT", "untracked"

# Kinds as they appear in explanations (INTERFACES.md TraceStep.kind).
K8S_NETWORK_POLICY = "NetworkPolicy"
CALICO_NETWORK_POLICY = "CalicoNetworkPolicy"
GLOBAL_NETWORK_POLICY = "GlobalNetworkPolicy"
ADMIN_NETWORK_POLICY = "AdminNetworkPolicy"
BASELINE_ADMIN_NETWORK_POLICY = "BaselineAdminNetworkPolicy"
CLUSTER_NETWORK_POLICY = "ClusterNetworkPolicy"
PROFILE = "Profile"


@dataclass(frozen=True, slots=True)
class PortMatch:
    """A list of ports: numeric ranges and named ports (ORed). Named ports resolve per endpoint."""

    numbers: IntervalSet = IntervalSet()
    names: tuple[str, ...] = ()

    def format(self) -> str:
        parts = [self.numbers.format()] if self.numbers else []
        return ",".join(parts + list(self.names))


@dataclass(frozen=True, slots=True)
class IcmpMatch:
    """ICMP type, and optionally code (code requires type)."""

    type: int
    code: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceRef:
    """A Kubernetes Service named in a Calico rule (`services: {name, namespace}`)."""

    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """One side of a rule (Calico's EntityRule after scoping). Unset fields match everything.

    `selector` is the positive selector after scoping; `not_selector` is never scoped. An address
    matches `selector` when some IP owner at that address (endpoint, network set, host endpoint)
    matches it, and `not_selector` when some owner there matches it.
    """

    nets: tuple[IPNetwork, ...] = ()
    not_nets: tuple[IPNetwork, ...] = ()
    selector: Selector | None = None
    not_selector: Selector | None = None
    ports: PortMatch | None = None
    not_ports: PortMatch | None = None
    services: tuple[ServiceRef, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self == EMPTY_ENTITY


EMPTY_ENTITY = EntityMatch()


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule. `index` is its position in the policy's direction list; `name` is what users see.

    A Kubernetes rule compiles to several IR rules (one per protocol × peer, as Calico does); they all
    carry the Kubernetes rule's `name` (`ingress[0]`) and a `detail` naming the peer and ports.
    """

    action: str
    direction: str
    index: int
    name: str
    protocol: int | None = None
    not_protocol: int | None = None
    icmp: IcmpMatch | None = None
    not_icmp: IcmpMatch | None = None
    ip_version: int | None = None
    source: EntityMatch = EMPTY_ENTITY
    destination: EntityMatch = EMPTY_ENTITY
    http: dict | None = None
    detail: str = ""
    location: Location | None = None
    path: str = ""


@dataclass(frozen=True, slots=True)
class Tier:
    """A tier: `order` None sorts after every ordered tier; `default_action` Deny or Pass."""

    name: str
    order: float | None = None
    default_action: str = DENY
    defined: bool = True
    location: Location | None = None


@dataclass(frozen=True)
class Policy:
    """A policy (or profile) in the IR.

    `selector` is the effective selector of the endpoints it applies to; `namespace` is None for
    cluster-scoped kinds. `order` is +inf when absent. `kind` is for display; what the engine needs is
    typed: `describes_peers` (rules name their peers in `detail`, as Kubernetes rules do), for a
    staged policy (kept, never enforced) its `staged_action` and the kind of its enforced copy, and for
    a host-endpoint policy its `hook` (preDNAT and untracked ones govern no filter-chain direction:
    their directions are `hook_types`) and `apply_on_forward`.
    """

    name: str
    kind: str
    namespace: str | None
    tier: str | None
    order: float
    selector: Selector
    types: frozenset[str]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    staged: bool = False
    location: Location | None = None
    notes: tuple[str, ...] = field(default=())
    describes_peers: bool = False
    staged_action: str | None = None
    enforced_kind: str | None = None
    hook: str = NORMAL
    hook_types: frozenset[str] = frozenset()
    apply_on_forward: bool = False
    #: The input object compiled into this policy (None for built-in profiles); not part of equality.
    source: RawObject | None = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        """`namespace/name` or `name`, as explanations show it."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def rules(self, direction: str) -> tuple[Rule, ...]:
        return self.ingress if direction == INGRESS else self.egress

    def governs(self, direction: str) -> bool:
        return direction in self.types

    def sort_key(self, calico_version: tuple[int, int] = (3, 32)) -> tuple:
        """Felix's order inside a tier (policy_sorter.go PolKVLess): order, then the version's tie-break."""
        order = self.order if not math.isnan(self.order) else math.inf
        return (order, self.tie_break_name(calico_version))

    def tie_break_name(self, calico_version: tuple[int, int] = (3, 32)) -> str:
        backend_kind = {
            K8S_NETWORK_POLICY: "KubernetesNetworkPolicy",
            CALICO_NETWORK_POLICY: "NetworkPolicy",
            GLOBAL_NETWORK_POLICY: "GlobalNetworkPolicy",
            CLUSTER_NETWORK_POLICY: "KubernetesClusterNetworkPolicy",
        }.get(self.kind, self.kind)
        if calico_version >= (3, 32):
            return f"{self.name}/{self.namespace or ''}/{backend_kind}"
        tier = self.tier or "default"
        if self.kind == K8S_NETWORK_POLICY:
            return f"{self.namespace}/knp.default.{self.name}"
        if self.kind in (ADMIN_NETWORK_POLICY, BASELINE_ADMIN_NETWORK_POLICY):  # kanp.<tier>.<name>, kbanp.…
            return f"k{'b' if self.kind == BASELINE_ADMIN_NETWORK_POLICY else ''}anp.{tier}.{self.name}"
        base = self.name if self.name.startswith(tier + ".") else f"{tier}.{self.name}"
        return f"{self.namespace}/{base}" if self.namespace else base


def ordered_tiers(tiers: dict[str, Tier]) -> list[Tier]:
    """Felix's tier order (policy_sorter.go TierLess): defined first, ordered before unordered,
    ascending order, ties by name (byte order)."""
    return sorted(tiers.values(), key=lambda t: (not t.defined, t.order is None,
                                                  t.order if t.order is not None else 0.0,
                                                  t.name.encode("utf-8", "surrogatepass")))
