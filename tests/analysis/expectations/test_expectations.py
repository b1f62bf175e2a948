"""Expectations: every kind of peer, every verdict and quantifier, passing and failing, and stand-in pods."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from netpolicy.analysis.expectations.check import ERROR, FAIL, PASS, check_expectations
from netpolicy.analysis.expectations.load import load_suites
from netpolicy.analysis.expectations.pods import load_with_pods
from netpolicy.api import load_documents
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import TCP
from netpolicy.options import Options
from tests.analysis.diff.test_diff import k8s_policy, namespace, pod

CLUSTER = [
    namespace("x"), namespace("y"),
    pod("x", "web", "10.0.0.1", app="web"), pod("x", "db", "10.0.0.2", app="db"), pod("y", "web2", "10.1.0.1", app="web"),
    k8s_policy("x", "db", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
                           "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                        "ports": [{"protocol": "TCP", "port": 5432}]}]}),
]

WEB_X = {"namespace": "x", "podSelector": {"matchLabels": {"app": "web"}}}
DB = {"endpoint": "x/db"}

# (id, from, to, connection fields, expect, quantifier, status)
CASES = [
    ("endpoint id, allowed", {"endpoint": "x/web"}, DB, {"ports": 5432}, "allow", "every", PASS),
    ("endpoint id, other namespace", {"endpoint": "y/web2"}, DB, {"ports": 5432}, "allow", "every", FAIL),
    ("endpoint id as a plain string", "x/web", "x/db", {"ports": 5432}, "allow", "every", PASS),
    ("podSelector in a namespace", WEB_X, DB, {"ports": 5432}, "allow", "every", PASS),
    ("podSelector in every namespace, every pair", {"podSelector": {"matchLabels": {"app": "web"}}}, DB,
     {"ports": 5432}, "allow", "every", FAIL),
    ("podSelector in every namespace, any pair", {"podSelector": {"matchLabels": {"app": "web"}}}, DB,
     {"ports": 5432}, "allow", "any", PASS),
    ("podSelector with an expression",
     {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "other"]}]},
      "namespace": "y"}, DB, {}, "deny", "every", PASS),
    ("calico selector", {"selector": "app == 'web' && projectcalico.org/namespace == 'y'"}, DB, {}, "deny",
     "every", PASS),
    ("calico selector, failing", {"selector": "app == 'web'"}, DB, {"ports": 5432}, "deny", "every", FAIL),
    ("calico selector with a namespace", {"selector": "has(app)", "namespace": "y"}, DB, {}, "deny", "every", PASS),
    ("namespace", {"namespace": "y"}, DB, {}, "deny", "every", PASS),
    ("namespace, failing", {"namespace": "x"}, DB, {"ports": 5432}, "allow", "every", FAIL),
    ("cidr with pods and outside addresses", {"cidr": "10.1.0.0/16"}, DB, {}, "deny", "every", PASS),
    ("cidr, failing", {"cidr": "10.0.0.0/16"}, DB, {"ports": 5432}, "allow", "every", FAIL),
    ("cidr with an exception", {"cidr": "10.0.0.0/16", "except": ["10.0.0.1/32"]}, DB, {"ports": 5432}, "deny",
     "every", PASS),
    ("cidr naming a pod's address", {"cidr": "10.0.0.1/32"}, DB, {"ports": 5432}, "allow", "every", PASS),
    ("external", {"external": "0.0.0.0/0"}, DB, {}, "deny", "every", PASS),
    ("external naming only a pod's address", {"external": "10.0.0.1/32"}, DB, {}, "deny", "every", ERROR),
    ("external, failing", {"external": "0.0.0.0/0"}, DB, {"ports": 5432}, "allow", "any", FAIL),
    ("external destination", {"endpoint": "x/web"}, {"external": "192.0.2.0/24"}, {"protocol": "UDP", "ports": 53},
     "allow", "every", PASS),
    ("list of peers", [{"endpoint": "y/web2"}, {"external": "0.0.0.0/0"}], DB, {}, "deny", "every", PASS),
    ("only, exact", {"endpoint": "x/web"}, DB, {"protocol": "TCP", "ports": "5432"}, "only", "every", PASS),
    ("only, a port too many", {"endpoint": "x/web"}, DB, {"ports": "5432-5433"}, "only", "every", FAIL),
    ("only, fewer ports than allowed", {"endpoint": "x/web"}, {"endpoint": "y/web2"}, {"ports": [80, 443]}, "only",
     "every", FAIL),
    ("icmp", {"endpoint": "x/web"}, DB, {"protocol": "ICMP"}, "deny", "every", PASS),
    ("several protocols", {"endpoint": "x/web"}, {"endpoint": "y/web2"}, {"protocol": ["udp", "TCP"], "ports": 53},
     "allow", "every", PASS),
    ("protocol number", {"endpoint": "x/web"}, DB, {"protocol": 47}, "deny", "every", PASS),
]


def _write(tmp_path: Path, data: dict, name: str = "expect.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _expectation(source, destination, conns: dict, expect: str, quantifier: str) -> dict:
    return {"name": "check", "from": source, "to": destination, **conns, "expect": expect, "quantifier": quantifier}


def _check(tmp_path: Path, expectations: list[dict], documents: list[dict] = CLUSTER, pods: list | None = None):
    data: dict = {"expectations": expectations}
    if pods:
        data["pods"] = pods
    suites = load_suites([_write(tmp_path, data)])
    cluster = load_documents(documents + [p for s in suites for p in _pod_docs(s)])
    return check_expectations(cluster, suites)


def _pod_docs(suite) -> list[dict]:
    from netpolicy.analysis.expectations.pods import pod_document

    return [pod_document(p) for p in suite.pods]


@pytest.mark.parametrize(("case", "source", "destination", "conns", "expect", "quantifier", "status"), CASES,
                         ids=[c[0] for c in CASES])
def test_expectation(tmp_path, case, source, destination, conns, expect, quantifier, status):
    report = _check(tmp_path, [_expectation(source, destination, conns, expect, quantifier)])
    (outcome,) = report.outcomes
    assert outcome.status == status, outcome
    assert report.ok == (status == PASS)
    if status == FAIL:
        assert outcome.failures and outcome.failing_pairs >= len(outcome.failures)
        first = outcome.failures[0]
        assert first.offending
        assert first.flow is not None
        if expect == "deny":
            assert first.flow.verdict == "allow"
            assert first.extra == (first.allowed if not conns else first.extra & first.allowed)
        elif expect == "allow":
            assert first.flow.verdict == "deny"


def test_every_counts_each_pair_and_any_needs_one(tmp_path):
    source = {"podSelector": {"matchLabels": {"app": "web"}}}
    every, any_ = _check(tmp_path, [_expectation(source, DB, {"ports": 5432}, "allow", "every"),
                                    _expectation(source, DB, {"ports": 5432}, "allow", "any")]).outcomes
    assert (every.pairs, every.failing_pairs) == (2, 1)
    assert [(f.source.id, f.destination.id) for f in every.failures] == [("y/web2", "x/db")]
    assert every.failures[0].missing == ConnectionSet.of(TCP, IntervalSet.span(5432, 5432))
    assert (any_.status, any_.failing_pairs) == (PASS, 1)
    none = _check(tmp_path, [_expectation(source, DB, {"ports": 9999}, "allow", "any")]).outcomes[0]
    assert (none.status, none.failing_pairs, none.pairs) == (FAIL, 2, 2)


def test_failure_trace_names_the_deciding_rule(tmp_path):
    (outcome,) = _check(tmp_path, [_expectation({"endpoint": "y/web2"}, DB, {"ports": 5432}, "allow",
                                                "every")]).outcomes
    flow = outcome.failures[0].flow
    assert (flow.src, flow.dst, flow.port) == ("y/web2", "x/db", 5432)
    assert flow.ingress.trace[-1].action == "EndOfTier"
    assert "x/db" in flow.ingress.trace[-1].reason


def test_only_reports_missing_and_extra(tmp_path):
    (outcome,) = _check(tmp_path, [_expectation({"endpoint": "x/web"}, DB, {"ports": "5432-5433"}, "only",
                                                "every")]).outcomes
    pair = outcome.failures[0]
    assert pair.missing == ConnectionSet.of(TCP, IntervalSet.span(5433, 5433))
    assert pair.extra.is_empty


@pytest.mark.parametrize(("source", "note"), [
    ({"endpoint": "x/wbe"}, "no endpoint x/wbe; did you mean x/web"),
    ({"namespace": "z"}, "no endpoint in namespace z"),
    ({"podSelector": {"matchLabels": {"app": "nothing"}}}, "matches no endpoint"),
    ({"selector": "app == 'web'", "namespace": "xx"}, "did you mean x?"),
])
def test_a_peer_that_names_nothing_is_an_error(tmp_path, source, note):
    (outcome,) = _check(tmp_path, [_expectation(source, DB, {}, "deny", "every")]).outcomes
    assert outcome.status == ERROR
    assert any(note in n for n in outcome.notes), outcome.notes
    assert outcome.notes[0].startswith("expectations[0].from")


def test_pairs_no_policy_governs_are_an_error(tmp_path):
    (outcome,) = _check(tmp_path, [_expectation({"external": "192.0.2.0/24"}, {"external": "198.51.100.0/24"},
                                                {}, "deny", "every")]).outcomes
    assert outcome.status == ERROR and "no pair to check" in outcome.notes[0]


STAND_IN = [{"id": "kube-system/coredns", "labels": {"k8s-app": "kube-dns"},
             "ports": [{"port": 53, "protocol": "UDP", "name": "dns"}]}]
DNS = {"namespace": "kube-system", "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}


def test_stand_in_pods_can_be_named(tmp_path):
    deny_egress = k8s_policy("x", "web-egress", {"podSelector": {"matchLabels": {"app": "web"}},
                                                 "policyTypes": ["Egress"]})
    checks = [_expectation({"endpoint": "x/web"}, DNS, {"protocol": "UDP", "ports": 53}, "allow", "every")]
    assert _check(tmp_path, checks, pods=STAND_IN).outcomes[0].status == PASS
    assert _check(tmp_path, checks, CLUSTER + [deny_egress], pods=STAND_IN).outcomes[0].status == FAIL


def test_load_with_pods_adds_only_missing_stand_ins(tmp_path):
    manifests = tmp_path / "cluster.yaml"
    real_dns = pod("kube-system", "coredns", "10.9.0.9", **{"k8s-app": "kube-dns", "real": "yes"})
    manifests.write_text(yaml.safe_dump_all(CLUSTER + [real_dns]))
    suites = load_suites([_write(tmp_path, {"pods": STAND_IN + [{"id": "kube-system/extra", "labels": {}}],
                                            "expectations": [_expectation("x/web", DNS, {}, "allow", "every")]})])
    cluster = load_with_pods([str(manifests)], suites[0].pods, Options())
    dns = cluster.endpoint("kube-system/coredns")
    assert dns.labels.get("real") == "yes"
    assert cluster.endpoint("kube-system/extra") is not None
    assert len([e for e in cluster.endpoints if e.id == "kube-system/coredns"]) == 1


def test_stand_ins_join_stdin_in_memory(tmp_path, monkeypatch):
    """Stand-ins are added as objects (located in their expectations file); stdin read twice stays in memory."""
    import io
    import tempfile

    def no_temporary_files(*args, **kwargs):
        raise AssertionError("a temporary file was written")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", no_temporary_files)
    monkeypatch.setattr(tempfile, "mkstemp", no_temporary_files)
    written = _write(tmp_path, {"pods": STAND_IN, "expectations": [_expectation("x/web", DNS, {}, "allow", "every")]})
    suites = load_suites([written])
    stdin = io.StringIO(yaml.safe_dump_all(CLUSTER))
    cluster = load_with_pods(["-"], suites[0].pods, Options(), stdin=stdin)
    dns = cluster.endpoint("kube-system/coredns")
    assert dns is not None and cluster.endpoint("x/web") is not None
    assert dns.source.location.file == written and dns.source.location.line > 1


def test_multiple_files_keep_their_order(tmp_path):
    first = _write(tmp_path, {"expectations": [_expectation("x/web", DB, {"ports": 5432}, "allow", "every")]}, "a.yaml")
    second = _write(tmp_path, {"expectations": [_expectation("y/web2", DB, {}, "deny", "every")]}, "b.yaml")
    suites = load_suites([first, second])
    report = check_expectations(load_documents(CLUSTER), suites)
    assert [o.file for o in report.outcomes] == [first, second]
    assert report.ok and report.count(PASS) == 2


LOAD_ERRORS = [
    ("expectations:\n- name: a\n  form: x/web\n  to: x/db\n  expect: allow\n",
     ":3: expectations[0].form: unknown field", "did you mean from?"),
    ("expectations:\n- name: a\n  from: x/web\n  to: x/db\n  ports: 70000\n  expect: allow\n",
     ":5: expectations[0].ports: 70000 is not a port or port range", "1-65535"),
    ("expectations:\n- name: a\n  from: {selector: \"app == \"}\n  to: x/db\n  expect: allow\n",
     ":3: expectations[0].from.selector:", "Calico selector"),
    ("expectations:\n- name: a\n  from: {cidr: 10.0.0.0/33}\n  to: x/db\n  expect: allow\n",
     ":3: expectations[0].from.cidr: '10.0.0.0/33' is not a CIDR", ""),
    ("expectations:\n- name: a\n  from: x/web\n  to: x/db\n", ":2: expectations[0].expect: missing",
     "allow, deny or only"),
    ("expectations:\n- name: a\n  from: {endpoint: x/web, cidr: 10.0.0.0/8}\n  to: x/db\n  expect: deny\n",
     ":3: expectations[0].from: endpoint and cidr together", "give a list of peers"),
    ("expectations:\n- name: a\n  from: x/web\n  to: x/db\n  protocol: ICMP\n  ports: 8\n  expect: deny\n",
     ":6: expectations[0].ports: ports are given for a protocol without ports", ""),
    ("expectations:\n- name: a\n  from: x/web\n  to: x/db\n  expect: allow\n  quantifier: most\n",
     ":6: expectations[0].quantifier: 'most' is not a quantifier", ""),
    ("expectations:\n- name: a\n  from: web\n  to: x/db\n  expect: allow\n",
     ":3: expectations[0].from.endpoint: 'web' is not an endpoint id", "namespace/name"),
    ("expectations:\n- name: a\n  from: {podSelector: {matchExpressions: [{key: a, operator: In}]}}\n"
     "  to: x/db\n  expect: allow\n", ":3: expectations[0].from.podSelector.matchExpressions[0].values:",
     "In needs"),
    ("expectations:\n- name: a\n  from: {namespace: x, except: [10.0.0.0/8]}\n  to: x/db\n  expect: deny\n",
     ":3: expectations[0].from.except: only a cidr or external peer has exceptions", ""),
    ("pods:\n- id: coredns\nexpectations:\n- {name: a, from: x/web, to: x/db, expect: deny}\n",
     ":2: pods[0].id: 'coredns' is not a pod id", "namespace/name"),
    ("expectations: [\n", ":", "not valid YAML"),
    ("- name: a\n", ":1: the file is not a mapping", ""),
    ("expectations: []\n", ":1: expectations: missing or empty", ""),
]


@pytest.mark.parametrize(("text", "where", "hint"), LOAD_ERRORS, ids=[e[1] for e in LOAD_ERRORS])
def test_load_errors_point_at_file_line_and_field(tmp_path, text, where, hint):
    from netpolicy.errors import InputError

    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_suites([str(path)])
    message = str(caught.value.problems[0])
    assert message.startswith(str(path) + where), message
    assert hint in message


def test_unreadable_file(tmp_path):
    from netpolicy.errors import InputError

    with pytest.raises(InputError, match="cannot read the expectations file"):
        load_suites([str(tmp_path / "missing.yaml")])


DB_SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "x"},
              "spec": {"selector": {"app": "db"}, "clusterIP": "10.96.0.9",
                       "ports": [{"port": 15432, "targetPort": 5432}, {"port": 9000, "protocol": "UDP"}]}}
SERVICE_CASES = [
    ("to a Service, its port translated", "x/web", {"ports": 15432}, "allow", PASS),
    ("to a Service, from another namespace", "y/web2", {"ports": 15432}, "deny", PASS),
    ("to a Service, every port", "x/web", {}, "allow", FAIL),
    ("to a Service, only the allowed port", "x/web", {"protocol": "TCP"}, "only", PASS),
    ("to a Service, from outside", {"external": "0.0.0.0/0"}, {}, "deny", PASS),
    ("to a Service, a port it lacks", "x/web", {"ports": 5432}, "allow", ERROR),
]


@pytest.mark.parametrize(("case", "source", "conns", "expect", "status"), SERVICE_CASES,
                         ids=[c[0] for c in SERVICE_CASES])
def test_expectation_to_a_service(tmp_path, case, source, conns, expect, status):
    """`to: {service: ns/name}`: each Service port through kube-proxy's translation (every backend)."""
    report = _check(tmp_path, [_expectation(source, {"service": "x/db"}, conns, expect, "every")],
                    CLUSTER + [DB_SERVICE])
    (outcome,) = report.outcomes
    assert outcome.status == status, outcome
    if status == FAIL:
        assert outcome.failures[0].flow is not None and outcome.failures[0].destination.name == "svc/x/db"


@pytest.mark.parametrize("source, destination, message", [
    ({"service": "x/db"}, "x/web", "a service is a destination only"),
    ("x/web", [{"service": "x/db"}, "x/db"], "services and other peers together"),
    ("x/web", {"service": "db"}, "is not a service"),
])
def test_bad_service_peers(tmp_path, source, destination, message):
    from netpolicy.errors import InputError

    with pytest.raises(InputError, match=message):
        _check(tmp_path, [_expectation(source, destination, {}, "allow", "every")])
