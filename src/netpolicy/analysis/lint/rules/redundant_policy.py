"""redundant-policy: a policy whose removal would change no verdict."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.dead_rules import redundant_policies
from netpolicy.analysis.lint.finding import INFO, Finding, finding_at

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "redundant-policy"
SEVERITY = INFO
DOC = ("A policy with rules none of which ever decides a flow (earlier rules and policies decide everything "
       "they match), whose endpoints other policies of its tier isolate anyway, changes nothing: removing it "
       "changes no verdict for the input. Policies without rules are not reported: they exist to isolate, "
       "and a default-deny policy that others make redundant today still protects tomorrow's workloads.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Policies that change nothing."""
    for policy, raw in redundant_policies(ctx):
        yield finding_at(
            ID, raw, "metadata.name",
            f"{policy.id} changes nothing: none of its rules decides a flow, and every endpoint it selects is "
            f"isolated by other policies of tier {policy.tier or 'default'} anyway",
            "remove it, or check the rules and policies evaluated before it")
