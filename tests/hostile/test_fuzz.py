"""Bounded, deterministic fuzzing: loaders, selector parser, expectations files and CLI options never raise
anything but the project's own errors (the CLI: exit 0, 1 or 2 with no exception)."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from netpolicy.errors import NetpolicyError

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30) | st.sampled_from(
    ["", "x", "a/b", "\x1b[31m", "=1+1", "9" * 30, "-1", "0x" + "f" * 40, "fe80::1%eth0", "::ffff:1.2.3.4"])
SCALAR = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | TEXT
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                     max_leaves=12)
KINDS = [("v1", "Pod"), ("v1", "Namespace"), ("v1", "Service"), ("apps/v1", "Deployment"),
         ("networking.k8s.io/v1", "NetworkPolicy"), ("projectcalico.org/v3", "GlobalNetworkPolicy"),
         ("projectcalico.org/v3", "NetworkPolicy"), ("projectcalico.org/v3", "NetworkSet")]


@st.composite
def k8s_object(draw) -> dict:
    api_version, kind = draw(st.sampled_from(KINDS))
    metadata = draw(st.fixed_dictionaries({"name": TEXT}, optional={
        "namespace": TEXT, "labels": st.dictionaries(TEXT, SCALAR, max_size=3), "annotations": VALUE}))
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata,
            "spec": draw(st.dictionaries(st.sampled_from(
                ["podSelector", "selector", "ingress", "egress", "policyTypes", "types", "replicas", "ports",
                 "template", "order", "nets"]), VALUE, max_size=4)),
            "status": draw(st.fixed_dictionaries({}, optional={"podIP": TEXT, "podIPs": VALUE}))}


@FUZZ
@given(st.lists(k8s_object(), max_size=4))
def test_loader_on_structured_objects(documents):
    from netpolicy.api import load_documents
    from netpolicy.engine.matrix import compute_matrix

    try:
        cluster = load_documents(documents)
    except NetpolicyError:
        return
    compute_matrix(cluster)


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_reader_on_arbitrary_bytes(tmp_path_factory, data):
    from netpolicy.api import load_cluster

    path = tmp_path_factory.mktemp("fuzz") / "in.yaml"
    path.write_bytes(data)
    try:
        load_cluster([str(path)])
    except NetpolicyError:
        pass


@FUZZ
@given(TEXT | st.text(alphabet="()!&|=<>'\"abc/. ,inotsalh", max_size=40))
def test_selector_parser(text):
    from netpolicy.selectors import SelectorError, parse

    try:
        parse(text)
    except SelectorError:
        pass


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(
    ["name", "from", "to", "expect", "ports", "protocol", "quantifier"]), VALUE, max_size=6), max_size=3))
def test_expectations_file(tmp_path_factory, items):
    from netpolicy.analysis.expectations.load import load_suites

    path = tmp_path_factory.mktemp("fuzz") / "e.yaml"
    path.write_text(json.dumps({"expectations": items}, default=str))
    try:
        load_suites([str(path)])
    except NetpolicyError:
        pass


OPTION_VALUES = st.sampled_from(["-1", "0", "1", "65536", "300", "nan", "inf", "-1.-1", "3.32", "tcp/0", "udp/53",
                                 "", "x", "\x1b", "1e400", "ICMP", "class"])


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([
    ["matrix", "--max-members"], ["matrix", "--calico-version"], ["matrix", "--group-by"], ["matrix", "--pod-cidr"],
    ["query", "--from", "x/a", "--to", "x/a", "--port"], ["query", "--from", "x/a", "--to", "x/a", "--protocol"],
    ["query", "--from", "x/a", "--to", "x/a", "--protocol", "ICMP", "--src-port"], ["lint", "--fail-on"],
    ["lab", "verify", "--timeout"], ["lab", "verify", "--ports"]]), OPTION_VALUES)
def test_cli_options(tmp_path_factory, command, value):
    from netpolicy.cli import app

    folder = tmp_path_factory.mktemp("cli")
    (folder / "c.yaml").write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x"},
        "status": {"podIP": "10.0.0.1"}}))
    if command[:2] == ["lab", "verify"] and value in ("1", "udp/53", "0", "x"):
        return  # valid values would build a real lab; the unit of interest is the rejection
    result = CliRunner().invoke(app, [*command, value, "-f", str(folder / "c.yaml")])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
