"""The verdict of `lab verify` as JSON: counts, every disagreement, what was not probed, the summary, each
Service probe per backend, each node-end probe, timings."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from netpolicy.model.protocols import ICMP, ICMPV6, protocol_name

if TYPE_CHECKING:
    from netpolicy.lab.plan import NotProbed
    from netpolicy.lab.report import Disagreement, VerifyReport


def disagreement_json(disagreement: Disagreement) -> dict:
    """A probe where the kernel and the engine differ: its ends, addresses, ports (ICMP: type and code)."""
    p = disagreement.probe
    out = {"from": p.src, "to": p.dst, "protocol": protocol_name(p.protocol), "src_address": p.src_address,
           "dst_address": p.dst_address, "kernel": disagreement.kernel, "engine": "allow" if p.expected else "deny"}
    if p.protocol in (ICMP, ICMPV6):
        out.update(icmp_type=p.port, icmp_code=p.sport)
    else:
        out.update(port=p.port, src_port=p.sport)
    if p.via:
        out.update(via=p.via, path=p.note)
    if disagreement.detail:
        out["detail"] = disagreement.detail
    if disagreement.trace:
        out["trace"] = disagreement.trace
    return out


def verify_json(report: VerifyReport) -> dict:
    """The whole report: pass or fail, counts, disagreements, flows not probed (by reason), summary, timings."""
    reasons = Counter(n.reason for n in report.not_probed)
    return {
        "lab": report.lab_id, "result": "pass" if report.ok else "fail", "endpoints": report.endpoints,
        "probes": report.probes, "agreements": report.agreements,
        "disagreements": [disagreement_json(d) for d in report.disagreements],
        "not_probed": {"count": len(report.not_probed), "reasons": dict(sorted(reasons.items())),
                       "flows": [_not_probed_json(n) for n in report.not_probed]},
        "summary": [vars(row) for row in report.summary],
        "services": report.services,
        "nodes": report.nodes,
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
    }


def _not_probed_json(item: NotProbed) -> dict:
    out = {"from": item.src, "to": item.dst, "reason": item.reason}
    if item.protocol is not None:
        out["protocol"] = protocol_name(item.protocol)
    if item.port is not None:
        out["port"] = item.port
    return out
