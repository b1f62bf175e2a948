"""selector-never-matches: contradictory selectors, Kubernetes and Calico."""

from __future__ import annotations

import pytest

from .support import calico_policy, k8s_policy, lint, shop

RULE = "selector-never-matches"


@pytest.mark.parametrize("document", [
    k8s_policy("p", {"podSelector": {"matchExpressions": [
        {"key": "app", "operator": "In", "values": ["web"]},
        {"key": "app", "operator": "NotIn", "values": ["web"]}]}}),
    k8s_policy("p", {"podSelector": {"matchLabels": {"app": "web"},
                                     "matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}}),
    k8s_policy("p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [
        {"key": "env", "operator": "Exists"}, {"key": "env", "operator": "DoesNotExist"}]}}]}]}),
    calico_policy("p", {"selector": "app == 'web' && app == 'db'"}),
    calico_policy("p", {"selector": "all()", "ingress": [
        {"action": "Allow", "source": {"selector": "has(tier) && !has(tier)"}}]}),
    calico_policy("p", {"selector": "all()", "ingress": [{"action": "Allow", "source": {"notSelector": "all()"}}]}),
])
def test_hit(document):
    findings = lint(shop(document), RULE)
    assert len(findings) == 1
    assert findings[0].severity == "error"


@pytest.mark.parametrize("document", [
    k8s_policy("p", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "db"]}]}}),
    calico_policy("p", {"selector": "app == 'web' || app == 'db'"}),
    calico_policy("p", {"selector": "all()", "ingress": [{"action": "Allow", "source": {"notSelector": "app == 'x'"}}]}),
])
def test_miss(document):
    assert lint(shop(document), RULE) == []


def test_hit_points_at_the_selector_line(tmp_path):
    from .support import lint_paths

    path = tmp_path / "p.yaml"
    path.write_text("""apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: p
  namespace: shop
spec:
  selector: all()
  ingress:
  - action: Allow
    source:
      selector: a == 'x' && a == 'y'
""")
    findings = lint_paths([path], RULE)
    assert [(f.line, f.object) for f in findings] == [(11, "shop/NetworkPolicy/p")]
