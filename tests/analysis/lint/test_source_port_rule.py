"""source-port-rule: Calico rules that match on the source port."""

from __future__ import annotations

import pytest

from .support import calico_policy, lint, shop

RULE = "source-port-rule"


@pytest.mark.parametrize("rule, direction, field, says", [
    ({"action": "Allow", "protocol": "TCP", "source": {"ports": [5432]}}, "egress", "ports", "replies"),
    ({"action": "Allow", "protocol": "TCP", "source": {"ports": [5432]}}, "ingress", "ports", "ephemeral"),
    ({"action": "Allow", "protocol": "TCP", "source": {"notPorts": ["1:1023"]}}, "egress", "notPorts", "ephemeral"),
])
def test_hit(rule, direction, field, says):
    findings = lint(shop(calico_policy("db", {"selector": "app == 'db'", direction: [rule]})), RULE)
    assert len(findings) == 1
    assert says in findings[0].message


@pytest.mark.parametrize("rule", [
    {"action": "Allow", "protocol": "TCP", "destination": {"ports": [5432]}},
    {"action": "Allow", "protocol": "TCP", "source": {"selector": "app == 'web'"}},
])
def test_miss(rule):
    assert lint(shop(calico_policy("db", {"selector": "app == 'db'", "ingress": [rule]})), RULE) == []
