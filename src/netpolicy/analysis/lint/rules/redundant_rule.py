"""redundant-rule: a rule whose every flow earlier rules already decide the same way."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.dead_rules import VERBS, dead_rules, redundant_policies
from netpolicy.analysis.lint.finding import INFO, Finding, finding_at
from netpolicy.model.ir import K8S_NETWORK_POLICY

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "redundant-rule"
SEVERITY = INFO
DOC = ("A rule that matches flows but decides none of them, because earlier rules (of the same or an earlier "
       "policy) already decide every one of them the same way, adds nothing: removing it changes no verdict. "
       "For Kubernetes policies, whose rules add up, it means another rule already allows all it allows. "
       "Computed with the engine; rules of a policy reported as redundant-policy are not repeated.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Dead rules whose flows earlier rules decide the same way."""
    whole = {id(p) for p, _ in redundant_policies(ctx)}
    for dead in dead_rules(ctx):
        if not dead.same_action or id(dead.policy) in whole:
            continue
        verb, done = VERBS[dead.action]
        tail = "; Kubernetes policies add up, so it adds nothing" if dead.policy.kind == K8S_NETWORK_POLICY else ""
        yield finding_at(
            ID, dead.raw, dead.rules[0].path,
            f"{dead.policy.id} {dead.name} never decides a flow: everything it {verb} is already {done} by "
            f"{dead.deciders_text()}{tail}",
            f"remove {dead.name}, or narrow {dead.deciders[0].describe()} if this rule was meant to matter")
