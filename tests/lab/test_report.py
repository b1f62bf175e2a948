"""Kernel versus engine: agreements, disagreements (errors count as disagreements), JSON and text."""

from __future__ import annotations

from netpolicy.lab.plan import NotProbed, Probe, ProbePlan
from netpolicy.lab.prober import ALLOWED, DENIED, ERROR, Outcome
from netpolicy.lab.report import compare, render_text
from netpolicy.model.protocols import ICMP, SCTP, TCP, UDP
from netpolicy.render.lab_json import verify_json


def probe(src, dst, protocol, port, expected, sport=40000):
    return Probe(src, dst, 4, protocol, port, sport, "10.0.0.1", "10.0.0.2", expected)


def make_report():
    probes = [probe("x/a", "x/b", TCP, 80, True), probe("x/a", "x/b", UDP, 80, False),
              probe("x/b", "x/a", TCP, 80, False), probe("x/b", "x/a", TCP, 9, True),
              probe("x/a", "x/b", ICMP, 8, True, sport=0)]
    outcomes = {probes[0]: Outcome(ALLOWED), probes[1]: Outcome(DENIED), probes[2]: Outcome(ALLOWED),
                probes[3]: Outcome(ERROR, "ECONNREFUSED"), probes[4]: Outcome(ALLOWED)}
    plan = ProbePlan(probes, [NotProbed("x/a", "x/b", SCTP, 80, "this kernel has no SCTP support")])
    return compare("lab1", 2, plan, outcomes, explain=lambda p: f"trace of {p.src}")


def test_compare_counts_agreements_and_lists_every_disagreement():
    report = make_report()
    assert report.agreements == 3
    assert [(d.probe.dst, d.probe.port, d.kernel) for d in report.disagreements] == [("x/a", 80, ALLOWED),
                                                                                   ("x/a", 9, ERROR)]
    assert report.exit_code == 1
    rows = {(r.protocol, r.port): (r.probes, r.agree, r.disagree) for r in report.summary}
    assert rows == {("TCP", 9): (1, 0, 1), ("TCP", 80): (2, 1, 1), ("UDP", 80): (1, 1, 0), ("ICMP", None): (1, 1, 0)}


def test_json_shape():
    data = verify_json(make_report())
    assert data["result"] == "fail"
    assert data["disagreements"][0] == {
        "from": "x/b", "to": "x/a", "protocol": "TCP", "src_address": "10.0.0.1", "dst_address": "10.0.0.2",
        "kernel": "allowed", "engine": "deny", "port": 80, "src_port": 40000, "trace": "trace of x/b"}
    assert data["not_probed"]["reasons"] == {"this kernel has no SCTP support": 1}


def test_text_names_each_disagreement_with_its_trace():
    text = render_text(make_report())
    assert "x/b → x/a  TCP 80 from source port 40000: kernel allowed, engine denies" in text
    assert "      trace of x/b" in text
    assert "1 × this kernel has no SCTP support" in text
    assert text.rstrip().endswith("FAIL: 2 disagreements.")


def test_all_agreeing_passes():
    p = probe("x/a", "x/b", TCP, 80, False)
    report = compare("lab1", 2, ProbePlan([p]), {p: Outcome(DENIED)})
    assert report.ok and report.exit_code == 0
    assert "PASS" in render_text(report)
