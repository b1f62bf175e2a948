"""A flow is judged in the lowest address family both ends have (the matrix does the same)."""

from __future__ import annotations

import ipaddress

import pytest

from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.matrix import compute_matrix
from netpolicy.errors import InputError
from netpolicy.model.cluster import Cluster, Endpoint, Namespace, calico_labels
from netpolicy.model.ir import ALLOW, INGRESS, EntityMatch, Policy, Rule, Tier
from netpolicy.selectors.ast import AllNode, Selector

STACKS = {"ipv4": ("10.0.0.{n}",), "dual": ("10.0.0.{n}", "fd00::{n}"), "ipv6": ("fd00::{n}",),
          "dual-ipv6-first": ("fd00::{n}", "10.0.0.{n}")}


def _cluster(src_stack: str, dst_stack: str) -> Cluster:
    namespace = Namespace("x", {"kubernetes.io/metadata.name": "x"})
    endpoints = []
    for n, (name, stack) in enumerate((("a", src_stack), ("b", dst_stack)), start=1):
        endpoints.append(Endpoint(
            id=f"x/{name}", kind="Pod", name=name, namespace="x", labels={},
            selector_labels=calico_labels({}, namespace="x", namespace_labels=namespace.labels,
                                          service_account="default", service_account_labels={}),
            ips=tuple(ipaddress.ip_address(a.format(n=n)) for a in STACKS[stack])))
    # b admits IPv6 sources only: the verdict tells which family the flow was judged in
    only_ipv6 = Rule(action=ALLOW, direction=INGRESS, index=0, name="ingress[0]",
                     source=EntityMatch(nets=(ipaddress.ip_network("fd00::/64"),)))
    policy = Policy(name="ipv6-only", kind="GlobalNetworkPolicy", namespace=None, tier="default", order=1.0,
                    selector=Selector(AllNode()), types=frozenset({INGRESS}), ingress=(only_ipv6,), egress=())
    return Cluster(namespaces={"x": namespace}, endpoints=endpoints, policies=[policy],
                   tiers={"default": Tier("default", 1_000_000.0)})


@pytest.mark.parametrize(("src", "dst", "family"), [
    ("ipv4", "ipv4", 4),
    ("dual", "dual", 4),
    ("dual", "ipv6", 6),
    ("ipv6", "dual", 6),
    ("dual-ipv6-first", "dual", 4),
    ("ipv6", "ipv6", 6),
])
def test_flow_family_is_the_lowest_common(src, dst, family):
    cluster = _cluster(src, dst)
    result = FlowEvaluator(cluster).evaluate("x/a", "x/b", 6, 80)
    assert result.verdict == ("allow" if family == 6 else "deny")
    matrix = compute_matrix(cluster)
    assert matrix.common_family(cluster.endpoints[0], cluster.endpoints[1]) == family
    assert matrix.connections("x/a", "x/b").allows(6, 80, 40000) == (family == 6)


def test_no_common_family_is_a_clear_error():
    with pytest.raises(InputError, match="share no address family"):
        FlowEvaluator(_cluster("ipv4", "ipv6")).evaluate("x/a", "x/b", 6, 80)
