"""services-without-namespace: a namespaced Calico policy names a Service without its namespace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.calico_fields import sides
from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "services-without-namespace"
SEVERITY = WARNING
DOC = ("Felix passes a `services` match's namespace through as written and looks the Service up as "
       "`<namespace>/<name>` (`felix/calc/rule_scanner.go`): without a namespace the key is `/<name>`, which "
       "names no Service, so the rule matches nothing — although the API documentation says the policy's own "
       "namespace is meant. Name the namespace explicitly. (A GlobalNetworkPolicy without one is rejected.)")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """`services` without `namespace` in namespaced Calico policies."""
    for policy, raw in ctx.calico_policies:
        if policy.namespace is None:
            continue
        for direction, i, side_name, entity in sides(raw):
            services = entity.get("services")
            if isinstance(services, dict) and services.get("name") and not services.get("namespace"):
                yield finding_at(
                    ID, raw, f"spec.{direction}[{i}].{side_name}.services",
                    f"{policy.id} {direction}[{i}] {side_name}.services names {services['name']!r} without a "
                    f"namespace: Felix looks up '/{services['name']}', which matches no Service",
                    f"add namespace: {policy.namespace}")
