"""Tiers: Felix's tier order (tier_sort vectors), the built-in tiers per Calico version, Tier objects."""

from __future__ import annotations

import pytest

from netpolicy.model.ir import DENY, PASS, Tier
from netpolicy.options import Options
from netpolicy.policies.calico.compile import builtin_tiers, tier_order
from tests.conformance_data import calico_vectors

from .support import compile_yaml, messages

TIER_SORT = calico_vectors("calico-k8s-conversion", "tier_sort")


@pytest.mark.parametrize("vector", TIER_SORT, ids=[v["name"] for v in TIER_SORT])
def test_tier_sort(vector):
    """Inserted in the given order and in reverse, the tiers sort to Calico's expected order."""
    tiers = [Tier(t["name"], t["order"], DENY, defined=t["valid"]) for t in vector["input"]]
    for sequence in (tiers, tiers[::-1]):
        assert tier_order({t.name: t for t in sequence}) == vector["expected_order"]


def test_unordered_user_tier_sorts_after_kube_baseline():
    tiers = {**builtin_tiers((3, 32)), "late": Tier("late"), "early": Tier("early", 5.0)}
    assert tier_order(tiers) == ["early", "kube-admin", "default", "kube-baseline", "late"]


@pytest.mark.parametrize(("version", "expected"), [
    ((3, 28), [("default", 1_000_000, DENY)]),
    ((3, 29), [("adminnetworkpolicy", 1_000, PASS), ("default", 1_000_000, DENY)]),
    ((3, 30), [("adminnetworkpolicy", 1_000, PASS), ("default", 1_000_000, DENY),
               ("baselineadminnetworkpolicy", 10_000_000, PASS)]),
    ((3, 31), [("adminnetworkpolicy", 1_000, PASS), ("default", 1_000_000, DENY),
               ("baselineadminnetworkpolicy", 10_000_000, PASS)]),
    ((3, 32), [("kube-admin", 1_000, PASS), ("default", 1_000_000, DENY), ("kube-baseline", 10_000_000, PASS)]),
    ((4, 0), [("kube-admin", 1_000, PASS), ("default", 1_000_000, DENY), ("kube-baseline", 10_000_000, PASS)]),
])
def test_builtin_tiers(version, expected):
    tiers = builtin_tiers(version)
    assert [(t.name, t.order, t.default_action) for t in (tiers[n] for n in tier_order(tiers))] == expected


def _tier(name: str, spec: str = "order: 10") -> str:
    return f"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: {name}\nspec:\n  {spec}\n"


TIER_CASES = [
    ("ordered", "security", "order: 10", None),
    ("unordered", "security", "defaultAction: Pass", None),
    ("dotted name", "sec.urity", "order: 10", "metadata.name: 'sec.urity' is not a valid tier name"),
    ("upper case", "Security", "order: 10", "'Security' is not a valid tier name"),
    ("long name", "t" * 64, "order: 10", "is not a valid tier name"),
    ("bad default action", "security", "defaultAction: pass",
     "spec.defaultAction: 'pass' is not a tier default action (expected Deny or Pass); values are "
     "case-sensitive: did you mean 'Pass'?"),
    ("built-in with its values", "default", "order: 1000000", None),
    ("built-in with another order", "default", "order: 5",
     "spec: the built-in tier 'default' must have order 1000000 and defaultAction Deny"),
    ("kube-admin must Pass", "kube-admin", "order: 1000", "the built-in tier 'kube-admin' must have order 1000 "
     "and defaultAction Pass"),
    ("order as string", "security", "order: 'ten'", "spec.order: 'ten' is not a number"),
]


@pytest.mark.parametrize(("name", "spec", "fragment"), [c[1:] for c in TIER_CASES], ids=[c[0] for c in TIER_CASES])
def test_tier_objects(name, spec, fragment):
    result, diags = compile_yaml(_tier(name, spec))
    if fragment is None:
        assert messages(diags) == []
        assert result.tiers[name].location is not None
    else:
        assert any(fragment in m for m in messages(diags)), messages(diags)
        assert name not in result.tiers or result.tiers[name].location is None


def test_tier_object_values():
    result, _ = compile_yaml(_tier("security", "defaultAction: Pass"))
    tier = result.tiers["security"]
    assert (tier.order, tier.default_action, tier.defined) == (None, PASS, True)
    assert set(result.tiers) == {"security", "kube-admin", "default", "kube-baseline"}


def test_builtin_names_of_other_versions_are_ordinary():
    result, diags = compile_yaml(_tier("kube-admin", "order: 7"), options=Options(calico_version=(3, 31)))
    assert messages(diags) == []
    assert result.tiers["kube-admin"].order == 7
