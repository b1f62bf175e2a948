"""A rule side with a selector and a notSelector, as Felix matches it (rule_scanner.go
combineMatchesIfPossible): one selector `(selector) && !(notSelector)` matched against each IP owner
at the address; notSelector alone stays a separate negative match; nets and notNets are separate.

They differ from two separate matches when an address has two owners: here the client pod's IP also
lies in a GlobalNetworkSet's CIDR. The flow evaluator, the matrix, lint's view of a rule's endpoints
and the lab's nftables rules must all agree.
"""

from __future__ import annotations

import ipaddress

import pytest

from netpolicy.analysis.lint.context import LintContext
from netpolicy.analysis.lint.endpoints import side_endpoints
from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.match import side_selectors
from netpolicy.engine.matrix import compute_matrix
from netpolicy.lab.nft.rules import render_rule
from netpolicy.lab.nft.sets import SetRegistry
from netpolicy.model.cluster import Cluster, Endpoint
from netpolicy.model.ir import ALLOW, INGRESS, EntityMatch, Policy, Rule, Tier
from netpolicy.selectors import parse

NS = "projectcalico.org/namespace == 'x'"


def _side(selector: str | None = None, not_selector: str | None = None, nets=(), not_nets=()) -> EntityMatch:
    return EntityMatch(nets=tuple(ipaddress.ip_network(n) for n in nets),
                       not_nets=tuple(ipaddress.ip_network(n) for n in not_nets),
                       selector=parse(selector) if selector else None,
                       not_selector=parse(not_selector) if not_selector else None)


# (name, source side of the server's one Allow rule, peer, expected verdict)
CASES = [
    ("namespace implied, notSelector matched by a network set at the pod's IP: combined, the pod is in",
     _side(NS, "!has(x)"), "x/client", "allow"),
    ("the same for an address only the network set holds: not selected",
     _side(NS, "!has(x)"), "10.0.0.9", "deny"),
    ("notSelector alone: any owner matching it excludes the address",
     _side(None, "!has(x)"), "x/client", "deny"),
    ("notSelector alone, an address no owner matches: in", _side(None, "has(nothing)"), "203.0.113.1", "allow"),
    ("the pod itself excluded", _side(NS, "has(x)"), "x/client", "deny"),
    ("combined with nets: nets still apply", _side(NS, "!has(x)", nets=("10.0.0.0/24",)), "x/client", "allow"),
    ("combined with notNets: notNets still apply", _side(NS, "!has(x)", not_nets=("10.0.0.5/32",)),
     "x/client", "deny"),
    ("selector without notSelector", _side("has(x)"), "x/client", "allow"),
]


def _cluster(source: EntityMatch) -> Cluster:
    def pod(name: str, ip: str, labels: dict) -> Endpoint:
        return Endpoint(id=f"x/{name}", kind="Pod", name=name, namespace="x", labels=labels,
                        selector_labels={**labels, "projectcalico.org/namespace": "x"},
                        ips=(ipaddress.ip_address(ip),))
    netset = Endpoint(id="gns", kind="GlobalNetworkSet", name="gns", namespace=None, labels={"kind": "set"},
                      selector_labels={"kind": "set"}, nets=(ipaddress.ip_network("10.0.0.0/24"),), policed=False)
    policy = Policy(name="p", kind="CalicoNetworkPolicy", namespace="x", tier="default", order=1.0,
                    selector=parse(f"{NS} && app == 'db'"), types=frozenset((INGRESS,)),
                    ingress=(Rule(ALLOW, INGRESS, 0, "ingress[0]", source=source),))
    return Cluster(endpoints=[pod("client", "10.0.0.5", {"x": "1"}), pod("server", "10.1.0.2", {"app": "db"}), netset],
                   policies=[policy], tiers={"default": Tier("default", 1_000_000.0)})


@pytest.mark.parametrize(("source", "peer", "verdict"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_selector_and_not_selector(source, peer, verdict):
    cluster = _cluster(source)
    flow = FlowEvaluator(cluster).evaluate(peer, "x/server", 6, 80, 40000)
    assert flow.ingress.verdict == verdict
    matrix = compute_matrix(cluster)
    server = cluster.endpoints[1]
    if peer.startswith("x/"):
        peer_class = matrix.peer_class[(peer, 4)]
        if source.selector is not None and not source.not_nets:   # lint judges the endpoint by its own labels
            rule = cluster.policies[0].ingress[0]
            endpoints = side_endpoints(LintContext(cluster), cluster.policies[0], rule, "source")
            assert (peer in {e.id for e in endpoints}) == (verdict == "allow")
    else:
        address = int(ipaddress.ip_address(peer))
        peer_class = next(matrix.peer_class[(e.id, 4)] for e in matrix.externals
                          if e.nets and any(int(n.network_address) <= address <= int(n.broadcast_address)
                                            for n in e.nets))
    row = matrix.side_table(server, INGRESS).row(peer_class)
    assert bool(row[matrix.atoms.point_mask(6, 80)].all()) == (verdict == "allow")


@pytest.mark.parametrize(("selector", "not_selector", "positive", "negative"), [
    ("has(a)", "has(b)", "(has(a) && !has(b))", None),
    ("has(a)", None, "has(a)", None),
    (None, "has(b)", None, "has(b)"),
    (None, None, None, None),
])
def test_side_selectors(selector, not_selector, positive, negative):
    """Felix folds notSelector into the positive selector when there is one, and only then."""
    got = side_selectors(_side(selector, not_selector))
    assert tuple(str(s) if s is not None else None for s in got) == (positive, negative)


def test_lab_renders_one_combined_set():
    """The lab's nftables rule matches one address set of `(selector) && !(notSelector)` owners, no negative set."""
    cluster = _cluster(_side(NS, "!has(x)"))
    sets = SetRegistry(cluster.endpoints)
    rendered, _ = render_rule(cluster.policies[0].ingress[0], [4], sets)
    statement = rendered[0].statements[0]
    assert "!= @" not in statement and "saddr @" in statement
    (members,) = [s.elements for s in sets.sets]
    assert members == ["10.0.0.5"]
