"""duplicate-policy: two policies that compile to the same thing: same endpoints, types, order and rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint.finding import WARNING, Finding, finding_at, raw_key
from netpolicy.model.ir import Policy, Rule

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "duplicate-policy"
SEVERITY = WARNING
DOC = ("Two policies of the same kind, tier and order whose selectors and rules are the same (compared after "
       "compilation, so spelling differences such as key order or `TCP` left to its default do not hide a "
       "copy) do the work of one. Usually a policy applied twice under two names; the copy is noise for "
       "readers and for Felix.")
OPTIONS: dict = {}


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Every policy identical to an earlier one."""
    first: dict[tuple, tuple[Policy, object]] = {}
    for policy, raw in ctx.policies:
        key = signature(policy)
        original = first.get(key)
        if original is None:
            first[key] = (policy, raw)
            continue
        other, other_raw = original
        yield finding_at(ID, raw, "metadata.name",
                         f"{policy.id} is a copy of {other.id} ({other_raw.at('')}): same endpoints, types, "
                         "order and rules", f"delete one of {policy.name} and {other.name}",
                         related=(raw_key(other_raw),))


def signature(policy: Policy) -> tuple:
    """What decides a policy's behaviour, without its name and where it was written."""
    return (policy.kind, policy.namespace, policy.tier, policy.order, policy.selector.canonical,
            tuple(sorted(policy.types)), tuple(_rule(r) for r in policy.ingress),
            tuple(_rule(r) for r in policy.egress))


def _rule(rule: Rule) -> tuple:
    return (rule.action, rule.protocol, rule.not_protocol, rule.icmp, rule.not_icmp, rule.ip_version,
            rule.source, rule.destination, repr(rule.http))
