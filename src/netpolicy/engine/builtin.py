"""Calico's built-in profiles, as the engine falls back on them when the input has none."""

from __future__ import annotations

from functools import cache

from netpolicy.model.ir import ALLOW, EGRESS, INGRESS, PROFILE, Policy, Rule
from netpolicy.selectors.ast import ALL


@cache
def namespace_profile(namespace: str) -> Policy:
    """`kns.<ns>`: allow everything in and out (the Kubernetes default for pods)."""
    return allow_all_profile(f"kns.{namespace}")


@cache
def allow_all_profile(name: str) -> Policy:
    """A profile with one Allow rule per direction."""
    return Policy(
        name=name, kind=PROFILE, namespace=None, tier=None, order=0.0, selector=ALL,
        types=frozenset({INGRESS, EGRESS}),
        ingress=(Rule(ALLOW, INGRESS, 0, "ingress[0]", detail="allow all"),),
        egress=(Rule(ALLOW, EGRESS, 0, "egress[0]", detail="allow all"),),
    )
