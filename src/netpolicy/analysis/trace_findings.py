"""Lint findings attached to the steps of a flow's trace: the rules a flow passed through that look wrong."""

from __future__ import annotations

import dataclasses
import re

from netpolicy.engine.flow import FlowResult, SideResult, TraceStep

#: Above this many endpoints, `query` skips lint unless asked (lint reasons over the whole cluster).
FINDINGS_LIMIT = 2000


FindingIndex = dict[tuple[str, str | None], list[str]]


def index_findings(findings: list) -> FindingIndex:
    """Findings as text by (policy, rule they are about), for attaching to many flows."""
    index: FindingIndex = {}
    for f in findings:
        index.setdefault((_policy_of(f.object), _subject_rule(f.message)), []).append(
            f"{f.severity} {f.rule}: {f.message}")
    return index


def attach_findings(result: FlowResult, findings: list | FindingIndex) -> FlowResult:
    """The result with each rule step carrying the findings about that rule of that policy."""
    index = findings if isinstance(findings, dict) else index_findings(findings)

    def side(result_side: SideResult) -> SideResult:
        return dataclasses.replace(result_side, trace=tuple(_step(step, index) for step in result_side.trace))

    return dataclasses.replace(result, egress=side(result.egress), ingress=side(result.ingress))


def _policy_of(obj: str) -> str:
    """`ns/Kind/name` → `ns/name`; `Kind/name` → `name`."""
    parts = obj.split("/")
    return f"{parts[0]}/{parts[-1]}" if len(parts) == 3 else parts[-1]


RULE_NAME = re.compile(r"(?:ingress|egress)\[\d+\]")


def _subject_rule(message: str) -> str | None:
    """The rule a finding is about: the first rule its message names."""
    found = RULE_NAME.search(message)
    return found.group(0) if found else None


def _step(step: TraceStep, index: FindingIndex) -> TraceStep:
    """Findings on the step's rule; for an end-of-tier drop, on the rules that did not match."""
    texts: list[str] = []
    if step.policy and step.rule:
        texts = list(index.get((step.policy, step.rule), ()))
    for policy, label, _ in step.unmatched:
        for text in index.get((policy, label.split(" ", 1)[0]), ()):
            if text not in texts:
                texts.append(text)
    return dataclasses.replace(step, findings=tuple(texts)) if texts else step
