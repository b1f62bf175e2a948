"""The rule catalogue: one module per rule, each with its constants, a check, and tests of a hit and a miss."""

from __future__ import annotations

from pathlib import Path

import pytest

from netpolicy.analysis.lint import RULES, SEVERITIES
from netpolicy.analysis.lint.rules import get

ISSUE_RULES = {
    "selects-nothing", "selector-never-matches", "dns-egress-blocked", "reply-direction-rule", "source-port-rule",
    "shadowed-rule", "redundant-rule", "redundant-policy", "order-collision", "ipblock-covers-pods",
    "named-port-unresolved", "service-port-confusion", "peer-and-vs-or", "missing-policy-types",
    "egress-rules-without-egress-type", "unknown-namespace", "duplicate-policy", "mergeable-policies",
    "unprotected-namespace", "unreachable-service", "ipblock-on-service-address", "nodeport-source-range",
    "services-without-namespace", "untracked-without-reply", "selects-host-network", "untracked-service-request",
    "nat-outgoing-host-rule",
    # issue 15: admin policies
    "admin-priority-tie", "admin-unenforced-peer", "admin-accept-overridden", "pass-to-nothing", "baseline-overridden",
}
HERE = Path(__file__).parent


def test_catalogue_has_every_rule():
    assert set(RULES) == ISSUE_RULES


@pytest.mark.parametrize("rule_id", sorted(ISSUE_RULES))
def test_rule_module_shape(rule_id):
    module = RULES[rule_id]
    assert module.__name__.rsplit(".", 1)[1] == rule_id.replace("-", "_")
    assert module.SEVERITY in SEVERITIES
    assert module.DOC and "\n\n" not in module.DOC
    assert isinstance(module.OPTIONS, dict)
    assert callable(module.check)


@pytest.mark.parametrize("rule_id", sorted(ISSUE_RULES))
def test_every_rule_has_a_hit_and_a_miss_test(rule_id):
    text = (HERE / f"test_{rule_id.replace('-', '_')}.py").read_text()
    assert "def test_hit" in text and "def test_miss" in text


def test_get_unknown_rule():
    with pytest.raises(ValueError, match="no such rule"):
        get("no-such-rule")


def test_the_documentation_lists_every_rule():
    text = (HERE.parent.parent.parent / "README.md").read_text()
    assert all(f"| `{rule_id}` | {RULES[rule_id].SEVERITY} |" in text for rule_id in RULES)
