"""Random clusters with Kubernetes-style and Calico policies: the kernel must agree with the engine (root only)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netpolicy.lab import api
from netpolicy.lab.report import render_text
from netpolicy.model.cluster import Cluster
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.ir import (
    ALLOW,
    CALICO_NETWORK_POLICY,
    DENY,
    EGRESS,
    GLOBAL_NETWORK_POLICY,
    INGRESS,
    LOG,
    PASS,
    EntityMatch,
    PortMatch,
    Rule,
    Tier,
)
from netpolicy.model.protocols import TCP, UDP
from tests.lab.lab_clusters import in_namespace, pod, policy, sel
from tests.lab.probing import PROBE_TIMEOUT

pytestmark = pytest.mark.usefixtures("lab_ready")
matrix_module = pytest.importorskip("netpolicy.engine.matrix", reason="the engine's matrix is not available")

NAMESPACES = ("x", "y")
ROLES = ("web", "db")
PORTS = (80, 81)


def pods():
    out = []
    for n, ns in enumerate(NAMESPACES):
        for i, role in enumerate(ROLES):
            out.append(pod(ns, f"{role}", f"10.0.{n + 1}.{10 + i}", labels={"role": role},
                           ports=(("serve", TCP, PORTS[i]), (None, UDP, 80))))
    return out


entities = st.builds(
    lambda role, ns, port, named, net, not_net: EntityMatch(
        selector=sel(("role", role)) if role else None,
        not_selector=sel(("pcns.ns", ns)) if ns else None,
        ports=PortMatch(IntervalSet.of([port]) if port else IntervalSet(), ("serve",) if named else ()) or None,
        nets=(ipaddress.ip_network(net),) if net else (),
        not_nets=(ipaddress.ip_network(not_net),) if not_net else ()),
    st.sampled_from((None, *ROLES)), st.sampled_from((None, *NAMESPACES)), st.sampled_from((None, *PORTS)),
    st.booleans(), st.sampled_from((None, "10.0.1.0/24", "10.0.0.0/16")),
    st.sampled_from((None, "10.0.2.10/32", "10.0.1.0/28")))


def _rule(direction, index, action, protocol, entity, src_port):
    ports_given = entity.ports is not None and (entity.ports.numbers or entity.ports.names)
    if ports_given and protocol is None:
        protocol = TCP
    peer = EntityMatch(nets=entity.nets, not_nets=entity.not_nets, selector=entity.selector,
                       not_selector=entity.not_selector, ports=PortMatch(IntervalSet.span(src_port, src_port))
                       if src_port and protocol else None)
    own = EntityMatch(ports=entity.ports if ports_given else None)
    source, destination = (peer, own) if direction == INGRESS else (own, peer)
    return Rule(action, direction, index, f"{direction}[{index}]", protocol=protocol, source=source,
                destination=destination)


rules = st.tuples(st.sampled_from((ALLOW, ALLOW, DENY, PASS, LOG)), st.sampled_from((None, TCP, UDP)), entities,
                  st.sampled_from((None, None, None, 33333)))


@st.composite
def clusters(draw):
    policies = []
    for number in range(draw(st.integers(1, 4))):
        direction = draw(st.sampled_from((INGRESS, EGRESS)))
        made = [_rule(direction, i, *draw(rules)) for i in range(draw(st.integers(0, 3)))]
        kind = draw(st.sampled_from((CALICO_NETWORK_POLICY, GLOBAL_NETWORK_POLICY, "NetworkPolicy")))
        ns = draw(st.sampled_from(NAMESPACES))
        role = draw(st.sampled_from((None, *ROLES)))
        selector = (sel(("role", role)) if role else sel()) if kind == GLOBAL_NETWORK_POLICY \
            else (in_namespace(ns, ("role", role)) if role else in_namespace(ns))
        if kind == "NetworkPolicy":
            made = [r for r in made if r.action == ALLOW]
        policies.append(policy(f"p{number}", ns=ns, kind=kind, tier=draw(st.sampled_from(("default", "security"))),
                               order=draw(st.sampled_from((10.0, 1000.0, float("inf")))), selector=selector,
                               types=(direction,), **{direction: made}))
    tiers = {"default": Tier("default", 1_000_000.0),
             "security": Tier("security", 100.0, draw(st.sampled_from((DENY, PASS))))}
    return Cluster(endpoints=pods(), policies=policies, tiers=tiers)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(clusters())
def test_kernel_agrees_with_engine_on_random_clusters(cluster):
    report = api.verify(cluster, matrix_module.compute_matrix(cluster), ports=["tcp/80", "tcp/81", "udp/80"],
                        timeout=PROBE_TIMEOUT)
    assert report.ok, render_text(report)
