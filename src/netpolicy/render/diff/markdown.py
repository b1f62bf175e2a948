"""A semantic diff as Markdown for a pull-request comment: counts first, details in collapsible sections."""

from __future__ import annotations

from netpolicy.analysis.diff.compute import DiffResult
from netpolicy.engine.flow import FlowResult
from netpolicy.escape import markdown, markdown_code
from netpolicy.model.protocols import protocol_name
from netpolicy.render.diff.rows import Row, explanations, layout, places_text
from netpolicy.render.diff.text import entered, headline
from netpolicy.render.steps import side_brief
from netpolicy.render.words import describe

MARKER = "<!-- netpolicy-diff -->"   # lets a CI job find and update its earlier comment
MAX_ROWS = 150                      # table rows per section; GitHub comments are limited in size
OPEN_UP_TO = 20                     # sections with at most this many rows start expanded


def diff_markdown(result: DiffResult, group_by: str = "auto", title: str = "Connectivity diff") -> str:
    """The whole comment."""
    lines = [MARKER, f"### {title}", ""]
    counts = [f"**{result.pairs_newly_allowed}** endpoint pair{_s(result.pairs_newly_allowed)} newly allowed",
              f"**{result.pairs_newly_blocked}** newly blocked"]
    if result.services:
        counts.append(f"**{len(result.services)}** Service reach change{_s(len(result.services))}")
    if result.added:
        counts.append(f"{len(result.added)} endpoint{_s(len(result.added))} added")
    if result.removed:
        counts.append(f"{len(result.removed)} removed")
    lines.append(" · ".join(counts) if not result.empty else f"{headline(result).capitalize()}.")
    lines.append("")
    for label, places in (("Added", result.added), ("Removed", result.removed)):
        if places:
            lines.append(f"{label}: " + ", ".join(markdown_code(p.id) for p in places))
            lines.append("")
    if result.services:
        lines += ["| Service port | from | before | after |", "|---|---|---|---|"]
        lines += [f"| {markdown(f'{c.service} {protocol_name(c.protocol)} {c.port}' + entered(c))} | "
                  f"{', '.join(markdown_code(s) for s in c.sources[:20])}{' …' if len(c.sources) > 20 else ''} | "
                  f"{c.before} | {c.after} |" for c in result.services[:MAX_ROWS]]
        lines.append("")
    chosen, rows = layout(result, group_by)
    for allowed, title_text in ((True, "Newly allowed"), (False, "Newly blocked")):
        selected = [r for r in rows if (r.change.newly_allowed if allowed else r.change.newly_blocked)]
        if selected:
            lines.extend(_section(title_text, selected, allowed, chosen))
    lines.append(f"<sub>Computed by netpolicy from both connectivity matrices; "
                 f"{result.endpoints} endpoint{_s(result.endpoints)} and {result.externals} external address "
                 f"range{_s(result.externals)} compared.</sub>")
    return "\n".join(lines) + "\n"


def _section(title: str, rows: list[Row], allowed: bool, chosen: str) -> list[str]:
    pairs = sum(r.pairs for r in rows)
    grouped = ", grouped by class" if chosen == "class" else ""
    now_label, before_label = ("allowed now by", "denied before by") if allowed else ("blocked now by",
                                                                                     "allowed before by")
    lines = [f"<details{' open' if len(rows) <= OPEN_UP_TO else ''}>",
             f"<summary><b>{title}</b>: {pairs} pair{_s(pairs)}{grouped}</summary>", "",
             f"| from | to | connections | {now_label} | {before_label} |", "|---|---|---|---|---|"]
    for row in rows[:MAX_ROWS]:
        lines.extend(_rows(row, allowed))
    if len(rows) > MAX_ROWS:
        lines.append(f"\n… and {len(rows) - MAX_ROWS} more; run `netpolicy diff -o json` for all of them.")
    lines += ["", "</details>", ""]
    return lines


def _rows(row: Row, allowed: bool) -> list[str]:
    change = row.change
    source, destination = markdown_code(places_text(row.sources)), markdown_code(places_text(row.destinations))
    items: list[tuple[str, str, str]] = [
        (markdown(describe(e.connections)), _sides(e.after), _sides(e.before)) for e in explanations(change, allowed)]
    untraced = change.untraced_allowed if allowed else change.untraced_blocked
    if untraced:
        items.append((markdown(describe(untraced)), "not traced", "not traced"))
    if not items:
        conns = change.newly_allowed if allowed else change.newly_blocked
        items.append((markdown(describe(conns)), "", ""))
    out = []
    for number, (conns, now, before) in enumerate(items):
        first = number == 0
        out.append(f"| {source if first else ''} | {destination if first else ''} | {conns} | {now} | {before} |")
    return out


def _sides(result: FlowResult | None) -> str:
    if result is None:
        return "an end did not exist"
    return "<br>".join(markdown(side_brief(d, s)) for d, s in (("egress", result.egress),
                                                              ("ingress", result.ingress)))


def _s(count: int) -> str:
    return "" if count == 1 else "s"
