"""ipblock-covers-pods: address blocks that match pods, and excluded ranges that cut the pod network."""

from __future__ import annotations

import pytest

from netpolicy.options import Options

from .support import calico_policy, k8s_policy, lint, only, shop

RULE = "ipblock-covers-pods"


def _from_block(cidr: str, *excepts: str) -> dict:
    block = {"cidr": cidr, **({"except": list(excepts)} if excepts else {})}
    return k8s_policy("p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": block}]}]})


@pytest.mark.parametrize("document, severities", [
    (_from_block("0.0.0.0/0"), ["info"]),                                   # covers every pod
    (_from_block("10.244.0.0/24"), ["info"]),                               # covers pods of the input
    (_from_block("192.168.0.0/16", "192.168.163.0/24"), ["info", "warning"]),  # and cuts the default pool
    (_from_block("0.0.0.0/0", "10.244.7.0/24"), ["info", "warning"]),       # cuts the pod CIDR
    (calico_policy("c", {"selector": "all()", "egress": [
        {"action": "Allow", "destination": {"nets": ["10.0.0.0/8"], "notNets": ["10.244.1.0/24"]}}]}),
     ["info", "warning"]),
])
def test_hit(document, severities):
    assert sorted(f.severity for f in lint(shop(document), RULE)) == severities


@pytest.mark.parametrize("document", [
    _from_block("203.0.113.0/24"),
    _from_block("198.51.100.0/24", "198.51.100.128/25"),
    calico_policy("c", {"selector": "all()", "egress": [{"action": "Allow", "destination": {"nets": ["8.8.8.8/32"]}}]}),
])
def test_miss(document):
    assert lint(shop(document), RULE) == []


def test_an_except_covering_the_whole_pod_network_does_not_cut_it():
    findings = lint(shop(_from_block("0.0.0.0/0", "10.0.0.0/8", "192.168.0.0/16")), RULE)
    assert [f.severity for f in findings] == ["info"]


def test_pod_cidr_follows_the_option_and_the_configuration():
    document = _from_block("172.16.0.0/12", "172.20.0.0/24")
    assert lint(shop(document), RULE) == []
    options = Options(pod_cidr="172.20.0.0/16")
    assert sorted(f.severity for f in lint(shop(document), RULE, options=options)) == ["info", "warning"]
    configured = only(RULE, **{"pod-cidrs": ["172.16.0.0/16"]})
    assert sorted(f.severity for f in lint(shop(document), RULE, config=configured)) == ["info"]


def test_the_pod_cidr_is_the_one_addresses_were_given_from(monkeypatch):
    """Lint judges blocks against the pod CIDR the loader chose (the default widened for a large input),
    not the default as written: the choice is made once, in `ip_pool.pod_networks`."""
    from netpolicy.sources import ip_pool

    document = _from_block("0.0.0.0/0", "10.245.0.0/24")       # cuts 10.244.0.0/15, not 10.244.0.0/16
    assert sorted(f.severity for f in lint(shop(document), RULE)) == ["info"]
    widened = ip_pool.sized_default
    monkeypatch.setattr(ip_pool, "sized_default", lambda network, needed, used: widened(network, 70_000, used))
    assert sorted(f.severity for f in lint(shop(document), RULE)) == ["info", "warning"]


def test_the_cluster_records_the_pod_cidr_in_effect():
    import ipaddress

    from netpolicy.api import load_documents
    from netpolicy.sources.ip_pool import pod_networks

    assert load_documents(shop()).pod_networks == (ipaddress.ip_network("10.244.0.0/16"),)
    assert load_documents(shop(), Options(pod_cidr="10.9.0.0/16")).pod_networks == (ipaddress.ip_network("10.9.0.0/16"),)
    assert [str(n) for n in pod_networks("10.244.0.0/16", 70_000, [])] == ["10.244.0.0/15"]
    assert [str(n) for n in pod_networks("10.244.0.0/16,fd00::/64", 70_000, [])] == ["10.244.0.0/16", "fd00::/64"]
