"""missing-policy-types: a policy without policyTypes (Kubernetes) or types (Calico), left to defaulting."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint import k8s_fields
from netpolicy.analysis.lint.finding import INFO, WARNING, Finding, finding_at
from netpolicy.analysis.lint.objects import is_admin_policy, is_k8s_policy, types_field

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "missing-policy-types"
SEVERITY = INFO
DOC = ("Without `policyTypes`, Kubernetes isolates ingress always and egress only when the policy has egress "
       "rules; without `types`, Calico isolates ingress unless there are egress rules only. The two defaults "
       "differ, and neither is visible in the file. A Kubernetes policy with only egress rules and no "
       "policyTypes isolates ingress too, so every incoming connection to its pods is denied — that case is "
       "a warning. Writing the directions out says what is meant.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Policies whose isolated directions come from defaulting."""
    for policy, raw in ctx.policies:
        if is_admin_policy(raw):  # admin policies have no types: their rules say the directions
            continue
        spec = k8s_fields.spec(raw)
        field = types_field(raw)
        if spec.get(field):
            continue
        directions = [d.capitalize() for d in ("ingress", "egress") if d in policy.types]
        shown = ", ".join(directions)
        severity = ""
        message = f"{policy.id} has no {field}: it defaults to [{shown}]"
        if is_k8s_policy(raw) and spec.get("egress") and not spec.get("ingress"):
            severity = WARNING
            message += (", so it also isolates ingress: with no ingress rules, every incoming connection to its "
                        "pods is denied")
        elif "egress" not in policy.types and not spec.get("egress"):
            message += ", so it does not restrict egress"
        yield finding_at(ID, raw, "spec", message, f"write `{field}: [{shown}]` (or the directions you mean)",
                         severity=severity)
