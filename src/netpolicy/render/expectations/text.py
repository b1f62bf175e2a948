"""Expectation results as text: one line per expectation, and for failures the offending flows with traces."""

from __future__ import annotations

from netpolicy.analysis.expectations.check import ERROR, FAIL, PASS, ExpectationReport, Outcome, PairResult
from netpolicy.analysis.expectations.model import ALLOW, DENY, Expectation
from netpolicy.render.ranges import display_id
from netpolicy.render.steps import flow_lines
from netpolicy.render.words import describe

MARKS = {PASS: ("✔", "green"), FAIL: ("✘", "red"), ERROR: ("!", "yellow")}


def expectation_text(expectation: Expectation) -> str:
    """`allow TCP 5432 from podSelector app=django in namespace trojanwall to endpoint ns/db, for every pair`."""
    sources = ", ".join(p.describe() for p in expectation.sources)
    destinations = ", ".join(p.describe() for p in expectation.destinations)
    return (f"{expectation.expect} {describe(expectation.connections)} from {sources} to {destinations}, "
            f"for {expectation.quantifier} pair")


def pair_text(pair: PairResult, expect: str) -> str:
    """What is wrong with one pair, in the words of the verdict asked for."""
    head = f"{display_id(pair.source.id)} → {display_id(pair.destination.id)}"
    if expect == ALLOW:
        return f"{head}: {describe(pair.missing)} not allowed (allowed: {describe(pair.allowed)})"
    if expect == DENY:
        return f"{head}: {describe(pair.extra)} allowed, expected denied"
    parts = []
    if pair.missing:
        parts.append(f"{describe(pair.missing)} not allowed")
    if pair.extra:
        parts.append(f"{describe(pair.extra)} allowed too")
    return f"{head}: " + "; ".join(parts)


def outcome_lines(outcome: Outcome) -> list[str]:
    """Plain lines saying where the expectation is, what it asks, and (failing) which pairs and why."""
    lines = [f"{outcome.expectation.location}: {expectation_text(outcome.expectation)}"]
    if outcome.status == ERROR:
        lines += [f"could not be checked: {note}" for note in outcome.notes]
        return lines
    if outcome.status == PASS:
        lines.append(f"holds for {outcome.pairs} pair{_s(outcome.pairs)}")
        return lines
    lines.append(failing_text(outcome))
    for pair in outcome.failures:
        lines.append(pair_text(pair, outcome.expectation.expect))
        if pair.flow is not None:
            trace = flow_lines(pair.flow)
            lines.append(f"  flow {trace[0]}")
            lines.extend(f"    {line}" for line in trace[1:])
    hidden = outcome.failing_pairs - len(outcome.failures)
    if hidden > 0:
        lines.append(f"… and {hidden} more failing pair{_s(hidden)}")
    return lines


def failing_text(outcome: Outcome) -> str:
    """`2 of 6 pairs fail`, `1 of 1 pair fails`."""
    return (f"{outcome.failing_pairs} of {outcome.pairs} pair{_s(outcome.pairs)} "
            f"fail{'s' if outcome.failing_pairs == 1 else ''}")


def summary(report: ExpectationReport) -> str:
    """`6 of 8 expectations hold; 2 fail.`"""
    total = len(report.outcomes)
    text = f"{report.count(PASS)} of {total} expectation{_s(total)} hold"
    if report.count(FAIL):
        text += f"; {report.count(FAIL)} fail"
    if report.count(ERROR):
        text += f"; {report.count(ERROR)} could not be checked"
    return text + "."


def render_report_text(report: ExpectationReport, console, verbose: bool = False) -> None:
    """Each expectation with a mark; failures (and, with `verbose`, passes) with their details."""
    current_file = None
    for outcome in report.outcomes:
        if outcome.file != current_file:
            current_file = outcome.file
            console.print(f"[bold]{_esc(current_file)}[/bold]")
        mark, style = MARKS[outcome.status]
        count = (failing_text(outcome) if outcome.status == FAIL
                 else f"{outcome.pairs} pair{_s(outcome.pairs)}" if outcome.status == PASS else "not checked")
        console.print(f"  [{style}]{mark}[/{style}] {_esc(outcome.expectation.name)}  [dim]({count})[/dim]")
        if outcome.status != PASS or verbose:
            for line in outcome_lines(outcome):
                console.print(f"      {_esc(line)}", style="dim" if outcome.status == PASS else None)
    style = "green" if report.ok else "red"
    console.print(f"\n[bold {style}]{_esc(summary(report))}[/bold {style}]")


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _esc(text: str) -> str:
    return text.replace("[", r"\[")
