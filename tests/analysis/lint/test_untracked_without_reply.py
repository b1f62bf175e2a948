"""untracked-without-reply: doNotTrack traffic is not tracked, so its replies need their own rule
(Calico's high-connection-workloads guide; docs/semantics.md#host-endpoint-hooks)."""

from __future__ import annotations

import pytest

from .support import calico_policy, lint, shop

RULE = "untracked-without-reply"


def untracked(name: str, ingress: list | None = None, egress: list | None = None) -> dict:
    spec = {"selector": "has(host)", "doNotTrack": True, "applyOnForward": True, "order": 10}
    if ingress:
        spec["ingress"] = ingress
    if egress:
        spec["egress"] = egress
    return calico_policy(name, spec, None)


MEMCACHED_IN = {"action": "Allow", "protocol": "TCP", "destination": {"ports": [11211]}}


@pytest.mark.parametrize("documents", [
    [untracked("in", ingress=[MEMCACHED_IN])],
    [untracked("in", ingress=[MEMCACHED_IN], egress=[{"action": "Allow", "protocol": "TCP",
                                                       "source": {"ports": [80]}}])],
    [untracked("in", ingress=[MEMCACHED_IN], egress=[{"action": "Allow", "protocol": "UDP"}])],
])
def test_hit(documents):
    findings = [f for f in lint(shop(*documents), RULE) if "ingress[0]" in f.message]
    assert len(findings) == 1
    assert "TCP port 11211" in findings[0].message and "no doNotTrack egress rule" in findings[0].message


@pytest.mark.parametrize("documents", [
    [untracked("both", ingress=[MEMCACHED_IN],
               egress=[{"action": "Allow", "protocol": "TCP", "source": {"ports": [11211]}}])],
    [untracked("in", ingress=[MEMCACHED_IN]), untracked("out", egress=[{"action": "Allow", "protocol": "TCP"}])],
    [calico_policy("tracked", {"selector": "has(host)", "ingress": [MEMCACHED_IN]}, None)],
])
def test_miss(documents):
    assert lint(shop(*documents), RULE) == []
