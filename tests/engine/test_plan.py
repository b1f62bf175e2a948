"""Felix's evaluation order, one table: tier order, order and tie-break in a tier, first match, Pass to
the next tier, Log, end of tier (Deny, or Pass for tiers that say so), profiles and their fall-through.

Each case is the ingress side of `x/server` for a TCP packet from `x/client`; the flow evaluator (which
interprets the plan) and the matrix (which vectorizes it) must both give the expected verdict, and the
flow's trace the expected actions. The plan itself lives in `netpolicy/engine/plan.py`.
"""

from __future__ import annotations

import ipaddress

import pytest

from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.matrix import compute_matrix
from netpolicy.engine.plan import (
    PolicyStart,
    ProfilesEnd,
    ProfileStart,
    RuleStep,
    TierEnd,
    TierStart,
    common_family,
)
from netpolicy.model.cluster import Cluster, Endpoint
from netpolicy.model.ir import (
    ALLOW,
    DENY,
    EGRESS,
    INGRESS,
    LOG,
    PASS,
    PROFILE,
    EntityMatch,
    Policy,
    Rule,
    Tier,
)
from netpolicy.selectors.ast import ALL, HasNode, Selector

NOTHING = EntityMatch(selector=Selector(HasNode("no-such-label")))   # a rule side that matches no peer


def rule(action: str, matches: bool = True, direction: str = INGRESS, index: int = 0) -> Rule:
    return Rule(action, direction, index, f"{direction}[{index}]", source=EntityMatch() if matches else NOTHING)


def policy(name: str, *rules: Rule, tier: str = "default", order: float = 1000.0,
           types: tuple[str, ...] = (INGRESS,), selects: bool = True) -> Policy:
    selector = ALL if selects else Selector(HasNode("no-such-label"))
    return Policy(name=name, kind="GlobalNetworkPolicy", namespace=None, tier=tier, order=order,
                  selector=selector, types=frozenset(types),
                  ingress=tuple(r for r in rules if r.direction == INGRESS),
                  egress=tuple(r for r in rules if r.direction == EGRESS))


def profile(name: str, *rules: Rule) -> Policy:
    return Policy(name=name, kind=PROFILE, namespace=None, tier=None, order=0.0, selector=ALL,
                  types=frozenset((INGRESS, EGRESS)), ingress=rules)


SECURITY = Tier("security", 100.0)
SECURITY_PASSES = Tier("security", 100.0, PASS)
DEFAULT = Tier("default", 1_000_000.0)

# (name, tiers, policies, server profiles (None: Calico's kns./ksa. ones), profiles in the input,
#  expected verdict, expected actions of the trace)
CASES = [
    ("no policy: the namespace profile allows", [], [], None, {}, "allow", ["NoPolicy", ALLOW]),
    ("a policy without rules: end of tier drops", [DEFAULT], [policy("p")], None, {}, "deny", ["EndOfTier"]),
    ("first matching rule decides", [DEFAULT], [policy("p", rule(DENY), rule(ALLOW, index=1))], None, {},
     "deny", [DENY]),
    ("a rule that does not match is skipped", [DEFAULT], [policy("p", rule(DENY, False), rule(ALLOW, index=1))],
     None, {}, "allow", [ALLOW]),
    ("lower order first", [DEFAULT], [policy("b", rule(ALLOW), order=20), policy("a", rule(DENY), order=10)],
     None, {}, "deny", [DENY]),
    ("equal order: name tie-break", [DEFAULT], [policy("b", rule(ALLOW)), policy("a", rule(DENY))],
     None, {}, "deny", [DENY]),
    ("no order sorts last", [DEFAULT], [policy("a", rule(DENY), order=float("inf")), policy("b", rule(ALLOW))],
     None, {}, "allow", [ALLOW]),
    ("tiers in order", [SECURITY, DEFAULT], [policy("d", rule(DENY)), policy("s", rule(ALLOW), tier="security")],
     None, {}, "allow", [ALLOW]),
    ("Pass goes to the next tier", [SECURITY, DEFAULT],
     [policy("s", rule(PASS), rule(DENY, index=1), tier="security"), policy("d", rule(ALLOW))],
     None, {}, "allow", [PASS, ALLOW]),
    ("Pass skips the rest of its tier, other policies too", [SECURITY, DEFAULT],
     [policy("s1", rule(PASS), tier="security", order=1), policy("s2", rule(DENY), tier="security", order=2),
      policy("d", rule(DENY, False))], None, {}, "deny", [PASS, "EndOfTier"]),
    ("Pass in the last tier: on to the profiles", [DEFAULT], [policy("p", rule(PASS))], None, {},
     "allow", [PASS, ALLOW]),
    ("end of a tier that passes: next tier", [SECURITY_PASSES, DEFAULT],
     [policy("s", rule(DENY, False), tier="security"), policy("d", rule(ALLOW))], None, {},
     "allow", ["EndOfTier", ALLOW]),
    ("end of a tier that denies: dropped", [SECURITY, DEFAULT],
     [policy("s", rule(DENY, False), tier="security"), policy("d", rule(ALLOW))], None, {},
     "deny", ["EndOfTier"]),
    ("a tier with no applying policy is skipped", [SECURITY, DEFAULT],
     [policy("s", tier="security", selects=False), policy("d", rule(ALLOW))], None, {}, "allow", [ALLOW]),
    ("a policy of the other direction does not apply", [DEFAULT], [policy("p", types=(EGRESS,))], None, {},
     "allow", ["NoPolicy", ALLOW]),
    ("Log goes on", [DEFAULT], [policy("p", rule(LOG), rule(DENY, index=1))], None, {}, "deny", [LOG, DENY]),
    ("profiles in order: the first verdict", [], [], ("p1", "p2"),
     {"p1": profile("p1", rule(DENY)), "p2": profile("p2", rule(ALLOW))}, "deny", ["NoPolicy", DENY]),
    ("a profile's Pass: on to the next profile", [], [], ("p1", "p2"),
     {"p1": profile("p1", rule(PASS), rule(DENY, index=1)), "p2": profile("p2", rule(ALLOW))},
     "allow", ["NoPolicy", ALLOW]),
    ("a missing profile is skipped", [], [], ("gone", "p2"), {"p2": profile("p2", rule(ALLOW))},
     "allow", ["NoPolicy", "Default", ALLOW]),
    ("no profile decides: dropped", [], [], ("p1",), {"p1": profile("p1", rule(ALLOW, False))},
     "deny", ["NoPolicy", "Default"]),
    ("no profile at all: dropped", [], [], ("gone",), {}, "deny", ["NoPolicy", "Default", "Default"]),
]


def _cluster(tiers, policies, profiles, known) -> Cluster:
    def pod(name: str, ip: str, own_profiles=None) -> Endpoint:
        return Endpoint(id=f"x/{name}", kind="Pod", name=name, namespace="x", labels={},
                        selector_labels={"projectcalico.org/namespace": "x"},
                        ips=(ipaddress.ip_address(ip),), profiles=own_profiles or ())
    return Cluster(endpoints=[pod("client", "10.0.0.1"), pod("server", "10.0.0.2", profiles)],
                   policies=list(policies), tiers={t.name: t for t in tiers}, profiles=dict(known))


@pytest.mark.parametrize(("tiers", "policies", "profiles", "known", "verdict", "actions"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_evaluation_order(tiers, policies, profiles, known, verdict, actions):
    cluster = _cluster(tiers, policies, profiles, known)
    result = FlowEvaluator(cluster).evaluate("x/client", "x/server", 6, 80, 40000)
    assert result.ingress.verdict == verdict
    assert [step.action for step in result.ingress.trace] == actions
    matrix = compute_matrix(cluster)
    row = matrix.side_table(cluster.endpoints[1], INGRESS).row(matrix.peer_class[("x/client", 4)])
    assert bool(row[matrix.atoms.point_mask(6, 80)].all()) == (verdict == "allow")


def test_plan_steps():
    """The plan's steps: tiers in order, each with its applying policies and rules, then the profiles."""
    cluster = _cluster([SECURITY_PASSES, DEFAULT], [policy("d", rule(ALLOW)), policy("s", rule(PASS), tier="security")],
                       ("p1", "gone"), {"p1": profile("p1", rule(ALLOW))})
    plan = FlowEvaluator(cluster).ctx.plan(cluster.endpoints[1], INGRESS)
    shape = [(type(s).__name__, getattr(s, "outcome", None)) for s in plan.steps]
    assert shape == [("TierStart", None), ("PolicyStart", None), ("RuleStep", "next"), ("TierEnd", "next"),
                     ("TierStart", None), ("PolicyStart", None), ("RuleStep", "allow"), ("TierEnd", "deny"),
                     ("ProfileStart", None), ("RuleStep", "allow"), ("ProfileStart", None), ("ProfilesEnd", None)]
    assert [p.name for p in plan.policies] == ["s", "d"]
    assert isinstance(plan.tier_steps[-1], TierEnd) and len(plan.tier_steps) == 8
    assert {TierStart, PolicyStart, RuleStep, TierEnd, ProfileStart, ProfilesEnd} == {type(s) for s in plan.steps}


@pytest.mark.parametrize(("a", "b", "family"), [
    ({4}, {4}, 4), ({4, 6}, {6}, 6), ({4, 6}, {4, 6}, 4), ({4}, {6}, None), (set(), {4}, None),
])
def test_common_family(a, b, family):
    """A pair is judged in the lowest address family both ends have."""
    assert common_family(a, b) == family
