"""The engine's verdict for a probe whose packet crosses host endpoint hooks on its way to a pod (from
outside, or from a pod on another node): the matrix leaves those hooks out, so such pairs are judged as
`query` judges them (engine/pod_entry.py, docs/semantics.md#pod-entry)."""

from __future__ import annotations

from collections.abc import Callable

from netpolicy.engine.flow import FlowEvaluator
from netpolicy.engine.pod_entry import crossed, entering_pod
from netpolicy.lab.topology import Topology
from netpolicy.model.cluster import Cluster
from netpolicy.options import Options


class EntryJudged:
    """One pair's connections: the matrix's, with each probe's verdict from the flow through the hooks."""

    def __init__(self, evaluator: FlowEvaluator, src: str, dst: str, base) -> None:
        self.evaluator, self.src, self.dst, self.base = evaluator, src, dst, base

    def allows(self, protocol: int, first: int | None = None, second: int | None = None) -> bool:
        return entering_pod(self.evaluator, self.src, self.dst, protocol, first, second).verdict == "allow"

    def seconds_for(self, protocol: int, first: int):
        """The matrix's allowed source ports (where extra probes are tried; each is judged by `allows`)."""
        return self.base.seconds_for(protocol, first)


def hooked_connections(cluster: Cluster, options: Options | None, topology: Topology,
                       connections: Callable) -> Callable:
    """`connections(src_id, dst_id)`, with pairs crossing a host endpoint on the way to a pod judged by
    the flow through its hooks."""
    evaluator = FlowEvaluator(cluster, options)

    def judged(src_id: str, dst_id: str):
        base = connections(src_id, dst_id)
        host = topology.host(src_id)
        if host is None or topology.host(dst_id) is None or not topology.host(dst_id).workload:
            return base
        address = host.address(4) or host.address(6)
        src = src_id if host.workload or address is None else str(address)
        if crossed(evaluator, src, dst_id) == (None, None):
            return base
        return EntryJudged(evaluator, src, dst_id, base)

    return judged
