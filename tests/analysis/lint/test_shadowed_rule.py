"""shadowed-rule: rules that never apply because something earlier decides their flows otherwise."""

from __future__ import annotations

import pytest

from .support import calico_policy, lint, shop

RULE = "shadowed-rule"
ALLOW_ALL = {"action": "Allow"}
DENY_SSH = {"action": "Deny", "protocol": "TCP", "destination": {"ports": [22]}}


def _two_policies(first_rules, second_rules, first_order=10, second_order=20):
    return shop(calico_policy("first", {"selector": "app == 'db'", "order": first_order, "ingress": first_rules}),
                calico_policy("second", {"selector": "app == 'db'", "order": second_order, "ingress": second_rules}))


@pytest.mark.parametrize("documents, shadowed", [
    (shop(calico_policy("p", {"selector": "app == 'db'", "ingress": [ALLOW_ALL, DENY_SSH]})), "shop/p ingress[1]"),
    (_two_policies([ALLOW_ALL], [DENY_SSH]), "shop/second ingress[0]"),
])
def test_hit(documents, shadowed):
    findings = lint(documents, RULE)
    assert len(findings) == 1
    assert findings[0].message.startswith(f"{shadowed} (Deny) never applies")


@pytest.mark.parametrize("documents", [
    shop(calico_policy("p", {"selector": "app == 'db'", "ingress": [DENY_SSH, ALLOW_ALL]})),
    _two_policies([DENY_SSH], [ALLOW_ALL]),
    _two_policies([ALLOW_ALL], [DENY_SSH], first_order=30),        # order, not position, decides
    _two_policies([ALLOW_ALL], [ALLOW_ALL]),                        # redundant, not shadowed
])
def test_miss(documents):
    assert lint(documents, RULE) == []
