"""A flow query as the CLI and the library ask it: a Service destination or a node end takes its path
before policy, a named port is resolved on the destination, and without a port every port is swept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netpolicy.analysis.find_endpoint import resolve_port
from netpolicy.analysis.port_sweep import PortSweep, sweep_ports
from netpolicy.engine.flow import FlowEvaluator, FlowResult
from netpolicy.errors import InputError
from netpolicy.model.protocols import ICMP_PROTOCOLS, PORT_PROTOCOLS, protocol_number

if TYPE_CHECKING:
    from netpolicy.engine.service_flow import ServiceFlow
    from netpolicy.model.cluster import Cluster
    from netpolicy.options import Options

def protocol_of(protocol: int | str, option: str | None = None) -> int:
    """A protocol as a number: a name in any case, or the number itself; `option` names where it was given."""
    number = protocol_number(protocol) if isinstance(protocol, str) else protocol
    if number is None:
        where = f"{option}: " if option else ""
        raise InputError(f"{where}{protocol!r} is not a protocol", expected="TCP, UDP, SCTP, ICMP, ICMPv6 or 1-255")
    return number


def check_ports(protocol: int, port: int | None, src_port: int | None) -> None:
    """Ports 1-65535 for TCP, UDP and SCTP; ICMP type and code 0-255; nothing for other protocols."""
    if protocol in ICMP_PROTOCOLS:
        checks = (("--port", port, 0, 255, "an ICMP type 0-255"), ("--src-port", src_port, 0, 255, "an ICMP code 0-255"))
    elif protocol in PORT_PROTOCOLS:
        checks = (("--port", port, 1, 65535, "a port 1-65535"), ("--src-port", src_port, 1, 65535, "a port 1-65535"))
    else:
        checks = (("--port", port, 1, 0, "no port: this protocol has none"),
                  ("--src-port", src_port, 1, 0, "no port: this protocol has none"))
    for name, value, lo, hi, expected in checks:
        if value is not None and not lo <= value <= hi:
            raise InputError(f"{name}: {value} is out of range", expected=expected)


class FlowQuery:
    """Queries about one cluster; its evaluation context is built once and kept for every call."""

    def __init__(self, cluster: Cluster, options: Options | None = None) -> None:
        self.cluster = cluster
        self.evaluator = FlowEvaluator(cluster, options)

    def __call__(self, source: str, destination: str, protocol: int | str = "TCP", port: int | str | None = None,
                 src_port: int | None = None) -> FlowResult | ServiceFlow | PortSweep:
        """A Service destination: a `ServiceFlow`, judged per backend; a node end: a `FlowResult` as Felix
        treats hosts; otherwise a `FlowResult`, or without `port` (TCP, UDP, SCTP) a `PortSweep`."""
        number = protocol_of(protocol)
        text = None if port is None else str(port)
        routed = self.path_flow(source, destination, number, text, src_port)
        if routed is not None:
            return routed
        resolved = resolve_port(text, self.cluster, destination, number)
        check_ports(number, resolved, src_port)
        from netpolicy.engine.pod_entry import entering_pod

        def judge(src, dst, protocol, port, sport):
            return entering_pod(self.evaluator, src, dst, protocol, port, sport)

        if resolved is None and number in PORT_PROTOCOLS:
            return sweep_ports(self.evaluator, source, destination, number, src_port, judge)
        return judge(source, destination, number, resolved, src_port)

    def flow(self, source: str, destination: str, protocol: int | str = "TCP", port: int | None = None,
             src_port: int | None = None) -> FlowResult:
        """One packet between two endpoints or addresses as policy sees it, with no path in front."""
        return self.evaluator.evaluate(source, destination, protocol_of(protocol), port, src_port)

    def names_node(self, source: str, destination: str) -> bool:
        """Whether an end is a node (`node/<name>` or a node's address)."""
        from netpolicy.engine.node_flow import node_named

        return any(node_named(self.cluster, end) is not None for end in (source, destination))

    def path_flow(self, source: str, destination: str, protocol: int, port: str | None,
                  src_port: int | None) -> FlowResult | ServiceFlow | None:
        """A flow whose path matters before policy (docs/semantics.md#services-and-host-endpoints): to a
        Service (kube-proxy's translation, per backend) or between a node and a pod. None: neither."""
        from netpolicy.engine.node_flow import evaluate_node_flow
        from netpolicy.engine.path import ServicePaths

        number = int(port) if port is not None and port.isdigit() else None
        if self.cluster.endpoint(destination) is None:
            paths = ServicePaths(self.cluster, self.evaluator.ctx.backends)
            entry = paths.entry(destination, protocol, number, port if number is None else None)
            if entry is not None:
                from netpolicy.engine.service_flow import evaluate_service

                return evaluate_service(self.evaluator, paths, source, destination, entry, protocol, src_port)
        if port is not None and number is None:
            return None
        return evaluate_node_flow(self.evaluator, source, destination, protocol, number, src_port)
