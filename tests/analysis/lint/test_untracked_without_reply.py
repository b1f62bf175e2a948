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


NODE_PORTS_IN = {"action": "Allow", "protocol": "TCP", "destination": {"ports": ["30000:32767"]}}


@pytest.mark.parametrize("egress", [
    None,  # NodePort requests let in untracked, their replies not let out (docs/semantics.md#host-endpoint-hooks)
    [{"action": "Allow", "protocol": "TCP", "source": {"ports": [31000]}}],  # one NodePort's replies only
    [{"action": "Allow", "protocol": "UDP", "source": {"ports": ["30000:32767"]}}],  # another protocol
    [{"action": "Deny", "protocol": "TCP", "source": {"ports": ["30000:32767"]}}],  # a Deny lets nothing out
])
def test_node_port_requests_without_their_replies(egress):
    findings = [f for f in lint(shop(untracked("nodeports", ingress=[NODE_PORTS_IN], egress=egress)), RULE)
                if "ingress[0]" in f.message]
    assert len(findings) == 1 and "TCP port 30000-32767" in findings[0].message, findings


@pytest.mark.parametrize("egress", [
    [{"action": "Allow", "protocol": "TCP", "source": {"ports": ["30000:32767"]}}],
    [{"action": "Allow", "protocol": "TCP", "source": {"ports": ["30000:32000", "32001:32767"]}}],
])
def test_node_port_requests_with_their_replies(egress):
    assert lint(shop(untracked("nodeports", ingress=[NODE_PORTS_IN], egress=egress)), RULE) == []
