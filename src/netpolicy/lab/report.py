"""The verdict of `lab verify`: agreements, every disagreement, what could not be probed, and timings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from netpolicy.lab.plan import NotProbed, Probe, ProbePlan
from netpolicy.lab.prober import ALLOWED, Outcome
from netpolicy.model.protocols import ICMP, ICMPV6, protocol_name


@dataclass(frozen=True)
class Disagreement:
    """A probe where the kernel and the engine differ."""

    probe: Probe
    kernel: str
    detail: str = ""
    trace: str = ""


@dataclass
class SummaryRow:
    protocol: str
    port: int | None
    probes: int = 0
    allowed: int = 0
    denied: int = 0
    agree: int = 0
    disagree: int = 0


@dataclass
class VerifyReport:
    """Kernel versus engine for every probe of one lab run."""

    lab_id: str
    endpoints: int
    probes: int = 0
    agreements: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    not_probed: list[NotProbed] = field(default_factory=list)
    summary: list[SummaryRow] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    services: list[dict] = field(default_factory=list)
    nodes: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.disagreements

    @property
    def exit_code(self) -> int:
        """1 when the kernel and the engine disagree anywhere, else 0."""
        return 0 if self.ok else 1


def compare(lab_id: str, endpoints: int, plan: ProbePlan, outcomes: dict[Probe, Outcome],
            explain: Callable[[Probe], str] | None = None) -> VerifyReport:
    """Set each kernel outcome beside the engine's verdict."""
    report = VerifyReport(lab_id, endpoints, probes=len(plan.probes), not_probed=list(plan.not_probed))
    rows: dict[tuple[int, int | None], SummaryRow] = {}
    for probe in plan.probes:
        outcome = outcomes[probe]
        port = None if probe.protocol in (ICMP, ICMPV6) else probe.port
        row = rows.setdefault((probe.protocol, port), SummaryRow(protocol_name(probe.protocol), port))
        row.probes += 1
        kernel_allowed = outcome.result == ALLOWED
        if probe.src.startswith("node/") or probe.dst.startswith("node/"):
            report.nodes.append({"from": probe.src, "to": probe.dst, "protocol": protocol_name(probe.protocol),
                                 "port": probe.port, "src_port": probe.sport, "kernel": outcome.result,
                                 "engine": "allow" if probe.expected else "deny", "family": probe.family})
        if probe.via:
            report.services.append({"from": probe.src, "via": probe.via, "to": probe.dst,
                                    "protocol": protocol_name(probe.protocol), "port": probe.port,
                                    "src_port": probe.sport, "kernel": outcome.result,
                                    "engine": "allow" if probe.expected else "deny", "path": probe.note})
        row.allowed += kernel_allowed
        row.denied += not kernel_allowed
        if kernel_allowed == probe.expected and outcome.result in (ALLOWED, "denied"):
            report.agreements += 1
            row.agree += 1
        else:
            row.disagree += 1
            trace = explain(probe) if explain and not probe.via else ""
            report.disagreements.append(Disagreement(probe, outcome.result, outcome.detail, trace))
    report.summary = [rows[key] for key in sorted(rows, key=lambda k: (k[0], k[1] or 0))]
    return report


def render_text(report: VerifyReport) -> str:
    """The report as a person reads it: the verdict, a table per protocol and port, then every problem."""
    t = report.timings
    lines = [
        f"lab verify: {report.probes} probes between {report.endpoints} endpoints: "
        f"{report.agreements} agree with the engine, {len(report.disagreements)} disagree"
        + (f", {len(report.not_probed)} flows not probed" if report.not_probed else ""),
        f"(lab {report.lab_id}: up {t.get('up', 0):.1f} s, probes {t.get('probe', 0):.1f} s, "
        f"down {t.get('down', 0):.1f} s, total {t.get('total', 0):.1f} s)",
        "",
        f"{'protocol':<9}{'port':>6}{'probes':>8}{'allowed':>9}{'denied':>8}{'agree':>7}{'disagree':>10}",
    ]
    for row in report.summary:
        port = "-" if row.port is None else str(row.port)
        lines.append(f"{row.protocol:<9}{port:>6}{row.probes:>8}{row.allowed:>9}{row.denied:>8}"
                     f"{row.agree:>7}{row.disagree:>10}")
    if report.services:
        lines += ["", "Services (each backend kube-proxy may pick):"]
        for item in report.services:
            mark = "" if (item["kernel"] == ALLOWED) == (item["engine"] == "allow") else "   ← DISAGREE"
            lines.append(f"  {item['from']} → {item['via']} → {item['to']}: kernel {item['kernel']}, "
                         f"engine {item['engine']}{mark}")
    if report.disagreements:
        lines += ["", "Disagreements (kernel vs engine):"]
        for d in report.disagreements:
            p = d.probe
            what = (f"{protocol_name(p.protocol)} echo" if p.protocol in (ICMP, ICMPV6)
                    else f"{protocol_name(p.protocol)} {p.port} from source port {p.sport}")
            engine = "allows" if p.expected else "denies"
            detail = f" ({d.detail})" if d.detail else ""
            via = f" via {p.via}" if p.via else ""
            lines.append(f"  {p.src} → {p.dst}{via}  {what}: kernel {d.kernel}{detail}, engine {engine}")
            if p.note:
                lines.append(f"      {p.note}")
            lines += [f"      {line}" for line in d.trace.splitlines()]
    if report.not_probed:
        lines += ["", "Not probed:"]
        for reason, number in sorted(Counter(n.reason for n in report.not_probed).items()):
            examples = [n for n in report.not_probed if n.reason == reason][:3]
            shown = ", ".join(n.src if n.dst == "*" else f"{n.src} → {n.dst}" for n in examples)
            lines.append(f"  {number} × {reason} (e.g. {shown})")
    lines += ["", "PASS: the kernel agrees with the engine on every probe." if report.ok
              else f"FAIL: {len(report.disagreements)} disagreements."]
    return "\n".join(lines) + "\n"
