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
            share = "none" if len(open_) == len(endpoints) else f"{len(endpoints) - len(open_)}"
            message = (f"namespace {namespace}: {share} of its {len(endpoints)} workloads isolated for {direction}; "
                       f"{shown} {'accepts' if direction == INGRESS else 'may open'} any "
                       f"{'incoming' if direction == INGRESS else 'outgoing'} connection")
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
