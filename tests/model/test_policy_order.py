"""Felix's order of policies inside a tier and of tiers (docs/semantics.md#policy-order, #tier-order).

Policies: `PolKVLess` in felix/calc/policy_sorter.go: ascending `order` (absent = +inf), ties by the
string `<name>/<namespace>/<kind>` since v3.32.0, by the backend name before (v3.30.0 and v3.31.1:
`<namespace>/<tier>.<name>` for NetworkPolicy, `<tier>.<name>` for GlobalNetworkPolicy,
`<namespace>/knp.default.<name>` for Kubernetes NetworkPolicy; libcalico-go/lib/names/policy.go
`TieredPolicyName`, `K8sNetworkPolicyNamePrefix`). Tiers: `TierLess` in the same file.
"""

from __future__ import annotations

import math

import pytest

from netpolicy.model.ir import (
    CALICO_NETWORK_POLICY,
    GLOBAL_NETWORK_POLICY,
    INGRESS,
    K8S_NETWORK_POLICY,
    Policy,
    Tier,
    ordered_tiers,
)
from netpolicy.selectors import parse

K8S, CALICO, GLOBAL = K8S_NETWORK_POLICY, CALICO_NETWORK_POLICY, GLOBAL_NETWORK_POLICY
NEW, OLD = (3, 32), (3, 31)
ABSENT = math.inf


def policy(kind: str, namespace: str | None, name: str, order: float = 1000.0, tier: str = "default") -> Policy:
    return Policy(name=name, kind=kind, namespace=namespace, tier=tier, order=order,
                  selector=parse("all()"), types=frozenset({INGRESS}))


POLICY_ORDER = [
    # (why, Calico version, policies, expected ids in Felix's order)
    ("lower order first, whatever the names", NEW,
     [policy(CALICO, "ns", "aaa", 20.0), policy(CALICO, "ns", "zzz", 10.0)], ["ns/zzz", "ns/aaa"]),
    ("orders compare as numbers, not text", NEW,
     [policy(CALICO, "ns", "ten", 10.0), policy(CALICO, "ns", "nine", 9.0), policy(CALICO, "ns", "half", 9.5)],
     ["ns/nine", "ns/half", "ns/ten"]),
    ("absent order (+inf) after every order", NEW,
     [policy(CALICO, "ns", "a", ABSENT), policy(CALICO, "ns", "b", 1e9)], ["ns/b", "ns/a"]),
    ("absent orders tie and fall to the names", NEW,
     [policy(CALICO, "ns", "b", ABSENT), policy(CALICO, "ns", "a", ABSENT)], ["ns/a", "ns/b"]),
    ("3.32: the name decides before the namespace", NEW,
     [policy(CALICO, "alpha", "web"), policy(CALICO, "zulu", "api")], ["zulu/api", "alpha/web"]),
    ("3.32: same name, the namespace decides", NEW,
     [policy(CALICO, "beta", "web"), policy(CALICO, "alpha", "web")], ["alpha/web", "beta/web"]),
    ("3.32: same name and namespace, the kind decides (Kubernetes... < Network...)", NEW,
     [policy(CALICO, "ns", "web"), policy(K8S, "ns", "web")], ["ns/web@" + K8S, "ns/web@" + CALICO]),
    ("3.32: a global policy's empty namespace sorts first ('/' < letters)", NEW,
     [policy(CALICO, "ns", "web"), policy(GLOBAL, None, "web")], ["web", "ns/web"]),
    ("3.32: byte order with '/' as separator: '-' and '.' sort before the end of a name", NEW,
     [policy(CALICO, "ns", "a"), policy(CALICO, "ns", "a0"), policy(CALICO, "ns", "a.b"),
      policy(CALICO, "ns", "a-b")], ["ns/a-b", "ns/a.b", "ns/a", "ns/a0"]),
    ("before 3.32: the namespace decides first", OLD,
     [policy(CALICO, "alpha", "web"), policy(CALICO, "zulu", "api")], ["alpha/web", "zulu/api"]),
    ("before 3.32: Calico `default.web` before Kubernetes `knp.default.web`", OLD,
     [policy(K8S, "ns", "web"), policy(CALICO, "ns", "web")], ["ns/web@" + CALICO, "ns/web@" + K8S]),
    ("before 3.32: a namespaced `alpha/default.zed` before a global `default.abc`", OLD,
     [policy(GLOBAL, None, "abc"), policy(CALICO, "alpha", "zed")], ["alpha/zed", "abc"]),
    ("3.32 reverses the previous row: `abc//...` before `zed/alpha/...`", NEW,
     [policy(CALICO, "alpha", "zed"), policy(GLOBAL, None, "abc")], ["abc", "alpha/zed"]),
    ("before 3.32: a tier prefix already in the name is not added twice", OLD,
     [policy(GLOBAL, None, "sec.b", tier="sec"), policy(GLOBAL, None, "a", tier="sec")], ["a", "sec.b"]),
]


def _ids(policies: list[Policy]) -> list[str]:
    ambiguous = {p.id for p in policies if sum(q.id == p.id for q in policies) > 1}
    return [f"{p.id}@{p.kind}" if p.id in ambiguous else p.id for p in policies]


@pytest.mark.parametrize(("version", "policies", "expected"), [row[1:] for row in POLICY_ORDER],
                         ids=[row[0] for row in POLICY_ORDER])
def test_policy_order_in_a_tier(version, policies, expected):
    for sequence in (policies, policies[::-1]):
        assert _ids(sorted(sequence, key=lambda p: p.sort_key(version))) == expected


@pytest.mark.parametrize(("version", "kind", "namespace", "name", "tier", "expected"), [
    (NEW, K8S, "ns", "web", "default", "web/ns/KubernetesNetworkPolicy"),
    (NEW, CALICO, "ns", "web", "default", "web/ns/NetworkPolicy"),
    (NEW, GLOBAL, None, "web", "default", "web//GlobalNetworkPolicy"),
    (OLD, K8S, "ns", "web", "default", "ns/knp.default.web"),
    (OLD, CALICO, "ns", "web", "default", "ns/default.web"),
    (OLD, CALICO, "ns", "sec.web", "sec", "ns/sec.web"),
    (OLD, GLOBAL, None, "web", "sec", "sec.web"),
])
def test_tie_break_string_is_felixs(version, kind, namespace, name, tier, expected):
    """The exact string Felix compares on equal order (v3.32: PolKVLess; before: the backend key name)."""
    assert policy(kind, namespace, name, tier=tier).tie_break_name(version) == expected


TIER_ORDER = [
    # (why, tiers, expected names in Felix's order)
    ("existing tiers before missing ones, whatever their order",
     [Tier("missing", 1.0, defined=False), Tier("late")], ["late", "missing"]),
    ("ordered tiers before unordered ones", [Tier("a"), Tier("z", 5.0)], ["z", "a"]),
    ("ascending order, compared as numbers", [Tier("ten", 10.0), Tier("nine", 9.0), Tier("frac", 9.5)],
     ["nine", "frac", "ten"]),
    ("equal order: name in byte order", [Tier("b", 100.0), Tier("a-b", 100.0), Tier("a", 100.0)],
     ["a", "a-b", "b"]),
    ("unordered tiers: name in byte order", [Tier("b"), Tier("a")], ["a", "b"]),
    ("missing tiers among themselves: ordered first, then by name",
     [Tier("y", None, defined=False), Tier("x", 2.0, defined=False), Tier("w", 2.0, defined=False)],
     ["w", "x", "y"]),
]


@pytest.mark.parametrize(("tiers", "expected"), [row[1:] for row in TIER_ORDER], ids=[row[0] for row in TIER_ORDER])
def test_tier_order(tiers, expected):
    for sequence in (tiers, tiers[::-1]):
        assert [t.name for t in ordered_tiers({t.name: t for t in sequence})] == expected
