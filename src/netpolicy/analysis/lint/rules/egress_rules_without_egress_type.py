"""egress-rules-without-egress-type: rules of a direction the policy's explicit types leave out, which never apply."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint import k8s_fields
from netpolicy.analysis.lint.finding import ERROR, Finding, finding_at
from netpolicy.analysis.lint.objects import is_admin_policy, types_field

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "egress-rules-without-egress-type"
SEVERITY = ERROR
DOC = ("When `policyTypes` (Calico: `types`) is written and leaves out Egress, the policy's egress rules are "
       "ignored: they allow nothing and isolate nothing. The same holds for ingress rules without Ingress. "
       "The API accepts such a policy without a word, so the rules look effective in review.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Policies with rules in a direction their declared types do not include."""
    for policy, raw in ctx.policies:
        if is_admin_policy(raw):  # admin policies have no types: their rules say the directions
            continue
        spec = k8s_fields.spec(raw)
        field = types_field(raw)
        declared = spec.get(field)
        if not isinstance(declared, list) or not declared:
            continue
        for direction, name in (("egress", "Egress"), ("ingress", "Ingress")):
            rules = spec.get(direction)
            if name in declared or not isinstance(rules, list) or not rules:
                continue
            count = f"{len(rules)} {direction} rule{'s' if len(rules) > 1 else ''}"
            yield finding_at(
                ID, raw, f"spec.{direction}",
                f"{policy.id} has {count}, but its {field} [{', '.join(map(str, declared))}] leaves out {name}: "
                "the rules are ignored",
                f"add {name} to {field} (it then isolates {direction} too), or remove the {direction} rules")
