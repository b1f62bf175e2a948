"""The fields of a Calico policy as written: selector texts and rule sides, with field paths."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from netpolicy.analysis.lint.k8s_fields import rules, spec
from netpolicy.model.ir import EGRESS, INGRESS
from netpolicy.sources.raw import RawObject

SIDES = ("source", "destination")
#: Policy-level selector fields, and the kind of labels each one selects on.
POLICY_SELECTORS = ("selector", "namespaceSelector", "serviceAccountSelector")
RULE_SELECTORS = ("selector", "notSelector", "namespaceSelector")


def side(rule: dict[str, Any], name: str) -> dict[str, Any]:
    value = rule.get(name)
    return value if isinstance(value, dict) else {}


def sides(raw: RawObject) -> Iterator[tuple[str, int, str, dict[str, Any]]]:
    """`(direction, rule index, side name, side)` for both sides of every rule."""
    for direction in (INGRESS, EGRESS):
        for i, rule in rules(raw, direction):
            for name in SIDES:
                yield direction, i, name, side(rule, name)


def selector_fields(raw: RawObject) -> Iterator[tuple[str, str, str]]:
    """`(field path, field name, selector text)` of every non-empty selector the policy writes."""
    for name in POLICY_SELECTORS:
        text = spec(raw).get(name)
        if isinstance(text, str) and text.strip():
            yield f"spec.{name}", name, text
    for direction, i, side_name, entity in sides(raw):
        base = f"spec.{direction}[{i}].{side_name}"
        for name in RULE_SELECTORS:
            text = entity.get(name)
            if isinstance(text, str) and text.strip():
                yield f"{base}.{name}", name, text
        accounts = entity.get("serviceAccounts")
        if isinstance(accounts, dict) and isinstance(accounts.get("selector"), str) and accounts["selector"].strip():
            yield f"{base}.serviceAccounts.selector", "serviceAccounts.selector", accounts["selector"]


def port_path(raw: RawObject, rule_path: str, side_name: str, field: str, port: object) -> str:
    """The path of the first entry of a side's `ports`/`notPorts` that is `port` (or a range holding it)."""
    from netpolicy.analysis.lint.k8s_fields import rule_at

    base = f"{rule_path}.{side_name}.{field}"
    values = side(rule_at(raw, rule_path), side_name).get(field)
    for i, value in enumerate(values if isinstance(values, list) else []):
        text = str(value)
        if text == str(port) or _range_holds(text, port):
            return f"{base}[{i}]"
    return base


def _range_holds(text: str, port: object) -> bool:
    low, sep, high = text.partition(":")
    if not sep or not isinstance(port, int) or not (low.isdigit() and high.isdigit()):
        return False
    return int(low) <= port <= int(high)
