"""A semantic diff as readable text: counts, then each newly allowed and newly blocked flow with its rules."""

from __future__ import annotations

from netpolicy.analysis.diff.compute import DiffResult, Explanation
from netpolicy.engine.flow import FlowResult
from netpolicy.model.protocols import protocol_name
from netpolicy.render.diff.rows import Row, explanations, layout, places_text
from netpolicy.render.steps import side_brief
from netpolicy.render.words import describe


def entered(change) -> str:
    """How a Service change's sources enter it, when not through the ClusterIP (text and Markdown)."""
    if change.node:
        return f" through nodePort {change.node_port} on node {change.node}"
    return f" through LoadBalancer IP {change.via}" if change.via else ""


def headline(result: DiffResult) -> str:
    """`2 endpoint pairs newly allowed, 3 newly blocked` or `no change in connectivity`."""
    if result.empty:
        return "no change in connectivity"
    services = f", {len(result.services)} Service reach change{_s(len(result.services))}" if result.services else ""
    return (f"{result.pairs_newly_allowed} endpoint pair{_s(result.pairs_newly_allowed)} newly allowed, "
            f"{result.pairs_newly_blocked} newly blocked{services}")


def render_diff_text(result: DiffResult, console, group_by: str = "auto") -> None:
    """Print the counts, added and removed endpoints, then every change with the rules behind it."""
    console.print(f"[bold]Connectivity diff[/bold]: {_esc(headline(result))} "
                  f"({result.endpoints} endpoint{_s(result.endpoints)} and {result.externals} external "
                  f"range{_s(result.externals)} compared)")
    for label, places in (("added", result.added), ("removed", result.removed)):
        if places:
            console.print(f"Endpoints {label}: {_esc(', '.join(p.id for p in places))}")
    if result.empty:
        return
    if result.services:
        console.print("\n[bold]Services[/bold] (through the ClusterIP: allow = every ready backend, partial = some)")
        for change in result.services:
            shown = ", ".join(change.sources[:8]) + (f" and {len(change.sources) - 8} more" if len(change.sources) > 8 else "")
            via = entered(change)
            console.print(_esc(f"  {change.service} {protocol_name(change.protocol)} {change.port}{via}: "
                               f"{change.before} → {change.after} from {shown}"))
    chosen, rows = layout(result, group_by)
    for allowed, title, style in ((True, "Newly allowed", "green"), (False, "Newly blocked", "red")):
        selected = [r for r in rows if (r.change.newly_allowed if allowed else r.change.newly_blocked)]
        if not selected:
            continue
        pairs = sum(r.pairs for r in selected)
        console.print(f"\n[bold {style}]{title}[/bold {style}] ({pairs} pair{_s(pairs)}"
                      f"{', grouped by class' if chosen == 'class' else ''})")
        for row in selected:
            _row(console, row, allowed, style)


def _row(console, row: Row, allowed: bool, style: str) -> None:
    change = row.change
    conns = change.newly_allowed if allowed else change.newly_blocked
    sign = "+" if allowed else "-"
    console.print(f"[{style}]{sign}[/{style}] [cyan]{_esc(places_text(row.sources))}[/cyan] → "
                  f"[magenta]{_esc(places_text(row.destinations))}[/magenta]: {_esc(describe(conns))}")
    for explanation in explanations(change, allowed):
        _explanation(console, explanation)
    untraced = change.untraced_allowed if allowed else change.untraced_blocked
    if untraced:
        console.print(f"    [dim]not traced: {_esc(describe(untraced))}[/dim]")


def _explanation(console, explanation: Explanation) -> None:
    console.print(f"    {_esc(describe(explanation.connections))}:")
    for when, result in (("now", explanation.after), ("before", explanation.before)):
        for number, line in enumerate(_sides(result)):
            lead = f"{when}:" if number == 0 else ""
            console.print(f"      {lead:<8}{_esc(line)}")


def _sides(result: FlowResult | None) -> list[str]:
    if result is None:
        return ["an end of this flow did not exist"]
    return [side_brief("egress", result.egress), side_brief("ingress", result.ingress)]


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _esc(text: str) -> str:
    return text.replace("[", r"\[")
