"""Calico tiers: the built-in tiers of each Calico version, Tier objects, and Felix's tier order."""

from __future__ import annotations

import math

from netpolicy.errors import Diagnostics
from netpolicy.model.ir import DENY, PASS, Tier, ordered_tiers
from netpolicy.policies.calico.names import LABEL_MAX, TIER_NAME_RE, check_labels
from netpolicy.sources.raw import RawObject
from netpolicy.suggest import case_hint

DEFAULT_TIER = "default"
DEFAULT_TIER_ORDER = 1_000_000.0
ADMIN_TIER_ORDER = 1_000.0
BASELINE_TIER_ORDER = 10_000_000.0
TIER_ACTIONS = (DENY, PASS)


def builtin_tiers(calico_version: tuple[int, int]) -> dict[str, Tier]:
    """The tiers Calico creates by itself (docs/semantics.md#builtin-tiers).

    v3.32+: kube-admin (1,000, Pass), default (1,000,000, Deny), kube-baseline (10,000,000, Pass);
    v3.30-3.31: adminnetworkpolicy, default, baselineadminnetworkpolicy; v3.29: adminnetworkpolicy
    and default; earlier releases have one implicit tier, modelled as `default`.
    """
    tiers = [Tier(DEFAULT_TIER, DEFAULT_TIER_ORDER, DENY)]
    if calico_version >= (3, 32):
        tiers += [Tier("kube-admin", ADMIN_TIER_ORDER, PASS), Tier("kube-baseline", BASELINE_TIER_ORDER, PASS)]
    elif calico_version >= (3, 29):
        tiers.append(Tier("adminnetworkpolicy", ADMIN_TIER_ORDER, PASS))
        if calico_version >= (3, 30):
            tiers.append(Tier("baselineadminnetworkpolicy", BASELINE_TIER_ORDER, PASS))
    return {t.name: t for t in tiers}


def tier_order(tiers: dict[str, Tier]) -> list[str]:
    """Tier names in Felix's order (`TierLess`): defined before undefined, ordered before unordered,
    ascending order, ties by name."""
    return [t.name for t in ordered_tiers(tiers)]


def compile_tier(raw: RawObject, diags: Diagnostics, calico_version: tuple[int, int]) -> Tier | None:
    """A Tier object, validated as `validateTier` and the Tier CRD do; None if invalid."""
    errors_before = len(diags.errors)
    name = raw.name
    if not name:
        diags.error("is required", raw.at("metadata.name"), "metadata.name", "the tier's name")
    elif len(name) > LABEL_MAX or not TIER_NAME_RE.match(name):
        diags.error(f"{name!r} is not a valid tier name", raw.at("metadata.name"), "metadata.name",
                    "at most 63 lower-case letters, digits or '-', without dots")
    check_labels(raw, diags, raw.metadata.get("labels"))
    from netpolicy.policies.calico.models import TierSpec, load_spec  # pydantic: loaded on first use

    spec = load_spec(TierSpec, raw, diags)
    if spec is None:
        return None
    if spec.order is not None and not math.isfinite(spec.order):
        diags.error(f"{spec.order} is not a finite number", raw.at("spec.order"), "spec.order")
    action = spec.default_action or DENY
    if action not in TIER_ACTIONS:
        diags.error(f"{action!r} is not a tier default action", raw.at("spec.defaultAction"),
                    "spec.defaultAction", "Deny or Pass", case_hint(action, TIER_ACTIONS))
    builtin = builtin_tiers(calico_version).get(name)
    if builtin is not None and (spec.order, action) != (builtin.order, builtin.default_action):
        order = int(builtin.order)
        diags.error(f"the built-in tier {name!r} must have order {order} and defaultAction "
                    f"{builtin.default_action}", raw.at("spec"), "spec",
                    f"order: {order}, defaultAction: {builtin.default_action}")
    if len(diags.errors) > errors_before:
        return None
    return Tier(name, spec.order, action, defined=True, location=raw.location)
