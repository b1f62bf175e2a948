"""nat-outgoing-host-rule: `felix/rules/nat.go` NATOutgoingChain masquerades a natOutgoing pool's pods to
their node's address toward addresses in no pool, nodes included under NATOutgoingExclusions IPPoolsOnly
(docs/semantics.md#nat-outgoing)."""

from __future__ import annotations

import copy

import pytest

from netpolicy.options import Options
from tests.engine import test_host_path as host_path
from tests.engine import test_nat_outgoing as nat
from tests.engine.test_pod_entry import HEPS
from tests.engine.test_service_path import OBJECTS

from .support import lint

RULE = "nat-outgoing-host-rule"
FORWARD_PODS = host_path.gnp("fwd-from-pods", {"order": 1, "selector": "has(host-endpoint)", "applyOnForward": True,
                                               "types": ["Ingress"],
                                               "ingress": [{"action": "Allow", "source": {"nets": ["10.244.1.0/24"]}}]})
POD_SUBNET = host_path.gnp("from-node-a-pods", {"order": 1, "selector": "has(host-endpoint)", "types": ["Ingress"],
                                                "ingress": [{"action": "Allow", "source": {"nets": ["10.244.1.0/24"]}}]})


def findings(objects, options=None):
    return lint(copy.deepcopy([*OBJECTS, *HEPS, *objects]), RULE, options)


@pytest.mark.parametrize("objects", [[nat.NAT_POOL, nat.PODS_ONLY], [nat.NAT_POOL, POD_SUBNET]])
def test_hit(objects):
    (finding,) = findings(objects)
    assert "IPPool pods" in finding.message and "never matches" in finding.message


@pytest.mark.parametrize("objects, options", [
    ([nat.PODS_ONLY], None),                                 # no IPPool: nothing masqueraded
    ([nat.PLAIN_POOL, nat.PODS_ONLY], None),                 # a pool without natOutgoing
    ([nat.NAT_POOL, nat.NODES_ONLY], None),                  # the nodes' range: matches
    ([nat.NAT_POOL, FORWARD_PODS], None),                    # applyOnForward: forwarded pod traffic matches
    ([nat.NAT_POOL, nat.PODS_ONLY], Options(nat_outgoing_exclusions="IPPoolsAndHostIPs")),
])
def test_miss(objects, options):
    assert findings(objects, options) == []
