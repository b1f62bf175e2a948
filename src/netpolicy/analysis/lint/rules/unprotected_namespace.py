"""unprotected-namespace: a namespace with workloads that no policy isolates in a direction."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.finding import INFO, Finding, finding_at, finding_on, object_id
from netpolicy.model.ir import EGRESS, INGRESS

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "unprotected-namespace"
SEVERITY = INFO
DOC = ("A pod that no policy selects for a direction is not isolated: everything may reach it (ingress) or "
       "it may reach everything (egress). A namespace whose workloads are not all isolated in a direction has "
       "no default-deny there. Namespaces in the option `ignore-namespaces` (default: kube-system, kube-public, "
       "kube-node-lease) are skipped.")
OPTIONS: dict = {"ignore-namespaces": ["kube-system", "kube-public", "kube-node-lease"]}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Per namespace and direction, the workloads left unisolated."""
    skipped = set(settings["ignore-namespaces"])
    namespaces = sorted({e.namespace for e in ctx.policed if e.namespace and e.namespace not in skipped})
    for namespace in namespaces:
        endpoints = ctx.endpoints_in(namespace)
        for direction in (INGRESS, EGRESS):
            open_ = [e.id for e in endpoints if not ctx.governing(e, direction)]
            if not open_:
                continue
            shown = ", ".join(open_[:4]) + (f" and {len(open_) - 4} more" if len(open_) > 4 else "")
            message = f"namespace {namespace}: " + _isolation_text(len(endpoints), open_, shown, direction)
            kind = "Ingress" if direction == INGRESS else "Egress"
            suggestion = (f"add a default-deny for {direction} in {namespace} (`podSelector: {{}}`, "
                          f"`policyTypes: [{kind}]`) and allow what each workload needs")
            info = ctx.cluster.namespaces.get(namespace)
            raw = info.source if info is not None else None
            if raw is not None:
                yield finding_at(ID, raw, "", message, suggestion)
            else:
                first = endpoints[0]
                yield finding_on(ID, object_id("Namespace", namespace, None), first.location, message, suggestion)


def _isolation_text(total: int, open_: list[str], shown: str, direction: str) -> str:
    """How many workloads are isolated, in plain English (`its only workload`, `none of its 3`, `1 of its 3`)."""
    isolated = total - len(open_)
    if total == 1:
        head = f"its only workload is not isolated for {direction}"
    elif not isolated:
        head = f"none of its {total} workloads is isolated for {direction}"
    else:
        head = f"{isolated} of its {total} workloads {'is' if isolated == 1 else 'are'} isolated for {direction}"
    several = len(open_) > 1
    verb = ("accept" if several else "accepts") if direction == INGRESS else "may open"
    return (f"{head}; {shown} {verb} any {'incoming' if direction == INGRESS else 'outgoing'} "
            f"connection{'s' if several and direction == INGRESS else ''}")
