"""The policies report as text and JSON."""

from __future__ import annotations

import math

from netpolicy.analysis.policy_report import PolicyReport
from netpolicy.model.ir import INGRESS
from netpolicy.render.words import endpoint_name

MAX_LISTED = 12


def _names(endpoints) -> str:
    names = [endpoint_name(e) for e in endpoints]
    if not names:
        return "nothing"
    more = len(names) - MAX_LISTED
    return ", ".join(names[:MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


def report_json(reports: list[PolicyReport]) -> dict:
    out = []
    for r in reports:
        p = r.policy
        out.append({
            "policy": p.id, "kind": p.kind, "tier": p.tier,
            "order": None if math.isinf(p.order) else p.order, "staged": p.staged,
            "file": p.location.file if p.location else None, "line": p.location.line if p.location else None,
            "selects": [e.id for e in r.selects], "isolates": r.isolates, "governs": r.governs,
            "rules": [{"rule": rr.rule.name, "action": rr.rule.action, "detail": rr.rule.detail,
                       "peers": [e.id for e in rr.peers], "traffic": rr.traffic} for rr in r.rules],
            "notes": list(p.notes),
        })
    return {"policies": out}


def render_report_text(reports: list[PolicyReport], console) -> None:
    for r in reports:
        p = r.policy
        order = "" if math.isinf(p.order) else f", order {p.order:g}"
        staged = " [yellow](staged: not enforced)[/yellow]" if p.staged else ""
        console.print(f"[bold]{p.kind} {p.id}[/bold] (tier {p.tier}{order}){staged}  [dim]{p.location or ''}[/dim]")
        console.print(f"  selects:  {_names(r.selects)}")
        if r.governs and not r.isolates:
            console.print(f"  governs:  {', '.join(r.governs)} (tier {p.tier} passes what no rule decides: "
                          "isolates nothing)")
        else:
            console.print(f"  isolates: {', '.join(r.isolates) or 'nothing'}")
        if not r.rules:
            console.print("  rules:    none (everything in the isolated directions is denied unless another policy allows it)")
        for rr in r.rules:
            side = "from" if rr.rule.direction == INGRESS else "to"
            detail = f" ({rr.rule.detail})" if rr.rule.detail else ""
            console.print(f"  {rr.rule.name}: {rr.rule.action} {rr.traffic} {side} {_names(rr.peers)}"
                          f"[dim]{detail.replace('[', chr(92) + '[')}[/dim]")
        for note in p.notes:
            console.print(f"  [yellow]note:[/yellow] {note}")
        console.print()
