"""Lint findings as JSON (INTERFACES.md `lint`)."""

from __future__ import annotations

import json

from netpolicy.render.lint.json_out import findings_json

from .findings import FINDINGS


def test_shape_and_values():
    data = json.loads(json.dumps(findings_json(FINDINGS)))
    assert list(data) == ["findings"]
    first = data["findings"][0]
    assert first == {"rule": "dns-egress-blocked", "severity": "error", "message": FINDINGS[0].message,
                     "object": "shop/NetworkPolicy/deny", "file": "policies/deny.yaml", "line": 9,
                     "suggestion": "allow DNS in deny (or a policy of its own)"}
    assert data["findings"][2]["file"] is None and data["findings"][2]["line"] is None


def test_no_findings():
    assert findings_json([]) == {"findings": []}
