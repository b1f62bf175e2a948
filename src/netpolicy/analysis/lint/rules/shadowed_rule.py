"""shadowed-rule: a rule that never applies because earlier rules or policies decide its flows otherwise."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.dead_rules import dead_rules
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "shadowed-rule"
SEVERITY = WARNING
DOC = ("Calico evaluates tiers, policies (by order) and rules in sequence, and the first rule that matches "
       "decides. A rule every one of whose flows is decided earlier — by a rule with a different action, or by "
       "the end of an earlier tier — never takes effect: a Deny behind a broader Allow denies nothing. Computed "
       "with the engine over every endpoint the policy selects, not by comparing YAML.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Dead rules whose flows something else decides differently."""
    for dead in dead_rules(ctx):
        if dead.same_action:
            continue
        first = dead.deciders[0].describe()
        yield finding_at(
            ID, dead.raw, dead.rules[0].path,
            f"{dead.policy.id} {dead.name} ({dead.action}) never applies: every flow it matches is decided "
            f"first by {dead.deciders_text()}",
            f"move it before {first} (a lower policy order, or earlier in the rule list), or narrow the earlier "
            "rule")
