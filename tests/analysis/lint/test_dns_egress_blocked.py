"""dns-egress-blocked: isolated egress without UDP and TCP 53 to the cluster DNS."""

from __future__ import annotations

import pytest

from .support import deployment, k8s_policy, lint, namespace, only, shop

RULE = "dns-egress-blocked"
DENY_ALL = k8s_policy("deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
TO_DNS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
          "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}


def _allow_dns(*protocols: str) -> dict:
    return k8s_policy("dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [TO_DNS], "ports": [{"protocol": p, "port": 53} for p in protocols]}]})


def _messages(findings) -> dict[str, str]:
    return {f.message.split(" ")[0]: f.message for f in findings}


def test_hit_on_every_isolated_workload():
    findings = lint(shop(DENY_ALL), RULE)
    assert set(_messages(findings)) == {"shop/web", "shop/db"}
    assert all(f.severity == "warning" and f.object == "shop/NetworkPolicy/deny" for f in findings)
    assert all("UDP 53 or TCP 53" in f.message for f in findings)


@pytest.mark.parametrize("allowed, missing", [(("UDP",), "TCP 53 is not"), (("TCP",), "UDP 53 is not")])
def test_hit_when_one_protocol_is_missing(allowed, missing):
    findings = lint(shop(DENY_ALL, _allow_dns(*allowed)), RULE)
    assert len(findings) == 2
    assert all(missing in f.message for f in findings)


def test_louder_when_the_environment_names_a_service():
    documents = [namespace("shop"), deployment("web", env={"DB_URL": "postgres://u@db:5432/x"}),
                 deployment("db", ports=[(5432, "TCP")]),
                 {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "shop"},
                  "spec": {"selector": {"app": "db"}, "ports": [{"port": 5432}]}}, DENY_ALL]
    severities = {f.message.split(" ")[0]: f.severity for f in lint(documents, RULE)}
    assert severities == {"shop/web": "error", "shop/db": "warning"}


@pytest.mark.parametrize("documents", [
    shop(DENY_ALL, _allow_dns("UDP", "TCP")),
    shop(),                                                           # nothing isolated
    shop(k8s_policy("in", {"podSelector": {}, "policyTypes": ["Ingress"]})),   # only ingress isolated
    shop(DENY_ALL, k8s_policy("out", {"podSelector": {}, "egress": [{}]})),    # all egress allowed
])
def test_miss(documents):
    assert lint(documents, RULE) == []


def test_real_dns_pods_in_the_input_are_used():
    dns_pods = [namespace("kube-system"),
                deployment("coredns", namespace="kube-system", labels={"k8s-app": "kube-dns"},
                           ports=[(53, "UDP", "dns"), (53, "TCP", "dns-tcp")])]
    wrong_labels = k8s_policy("dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "coredns"}}}],
         "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]})
    findings = lint(shop(DENY_ALL, wrong_labels, *dns_pods), RULE)
    assert set(_messages(findings)) == {"shop/web", "shop/db"}
    assert not any("stand-in" in f.message for f in findings)
    assert lint(shop(DENY_ALL, _allow_dns("UDP", "TCP"), *dns_pods), RULE) == []


def test_configured_dns_labels():
    to_coredns = k8s_policy("dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "coredns"}}}],
         "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]})
    documents = shop(DENY_ALL, to_coredns)
    assert len(lint(documents, RULE)) == 2
    assert lint(documents, RULE, config=only(RULE, namespace="dns", labels={"app": "coredns"})) == []


def test_dns_allowed_only_through_an_ipblock_is_not_portable():
    anywhere = k8s_policy("out", {"podSelector": {}, "policyTypes": ["Egress"],
                                  "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})
    findings = lint(shop(DENY_ALL, anywhere), RULE)
    assert len(findings) == 2
    assert all("only because the ipBlock of shop/out egress[0]" in f.message for f in findings)
    from netpolicy.options import Options

    assert len(lint(shop(DENY_ALL, anywhere), RULE, options=Options(ipblock_matches_pods=False))) == 2
