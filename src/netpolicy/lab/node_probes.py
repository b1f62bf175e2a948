"""Probes with a node at one end: every named node with an address to and from every pod, outside
range and other node, on the probed ports plus the ports its host endpoint's policies name (and ssh, a failsafe
port), each compared with the engine's answer for that flow (`query --from/--to node/<name>`).
NodePorts are left to the Service probes: a node serves none itself (an untracked packet to one,
never DNATed, must find nothing there).

A node's own traffic to its pods is never policed; a pod's to its own node passes its egress and
DefaultEndpointToHostAction (cali-wl-to-host); everything else crosses the host endpoint on `eth0`:
raw (doNotTrack), mangle (preDNAT), filter INPUT/OUTPUT (normal policy, failsafe ports).
"""

from __future__ import annotations

from collections.abc import Sequence

from netpolicy.engine.host_path import node_host_endpoint
from netpolicy.engine.node_flow import NODE_PREFIX, evaluate_node_flow
from netpolicy.lab.plan import Probe, ProbePlan, SourcePorts, engine_answer
from netpolicy.lab.topology import Host, Topology
from netpolicy.model.cluster import Cluster
from netpolicy.model.protocols import PORT_PROTOCOLS, SCTP, TCP

MAX_NAMED_PORTS = 8  # ports a host endpoint's policies name that are probed, at most, per node


def host_ports(cluster: Cluster, node: str) -> set[tuple[int, int]]:
    """TCP 22 and the single ports the policies of the node's host endpoint name as destinations."""
    out = {(TCP, 22)}
    hep = node_host_endpoint(cluster, node)
    if hep is None:
        return out
    named = set()
    for policy in cluster.policies:
        if not policy.selector.matches(hep.selector_labels):
            continue
        for rule in [*policy.ingress, *policy.egress]:
            numbers = rule.destination.ports.numbers if rule.destination.ports else ()
            protocols = [rule.protocol] if rule.protocol in PORT_PROTOCOLS else [TCP]
            named |= {(p, lo) for lo, hi in numbers for p in protocols if lo == hi}
    return out | set(sorted(named)[:MAX_NAMED_PORTS])


def plan_node_probes(plan: ProbePlan, topology: Topology, cluster: Cluster, evaluator,
                     ports: Sequence[tuple[int, int]], sources: SourcePorts) -> None:
    """Add a probe per node end, peer, direction and port, with the engine's verdict."""
    peers = [h for h in topology.hosts if h.address(4) is not None]
    node_ports = {(sp.protocol, sp.node_port) for s in cluster.services for sp in s.ports if sp.node_port}
    for end in topology.node_ends:
        if end.address(4) is None:
            continue
        wanted = sorted((set(ports) | host_ports(cluster, end.endpoint_id.removeprefix(NODE_PREFIX)))
                        - {(SCTP, p) for _, p in ports} - node_ports)
        plan.listen |= set(wanted)
        plan.node_listen |= set(wanted)
        for peer in peers:
            for src, dst in ((end, peer), (peer, end)):
                for protocol, port in wanted:
                    _probe(plan, evaluator, src, dst, protocol, port, sources.take(src.endpoint_id, protocol))


def plan_node_pairs(plan: ProbePlan, topology: Topology, cluster: Cluster, evaluator,
                    ports: Sequence[tuple[int, int]], sources: SourcePorts) -> None:
    """Add a probe per ordered pair of named nodes and port (host to host: the sender's raw and filter
    OUTPUT, the receiver's raw, preDNAT and filter INPUT), on the probed ports plus both nodes' `host_ports`."""
    ends = [end for end in topology.node_ends if end.address(4) is not None]
    node_ports = {(sp.protocol, sp.node_port) for s in cluster.services for sp in s.ports if sp.node_port}
    named = {end.endpoint_id: host_ports(cluster, end.endpoint_id.removeprefix(NODE_PREFIX)) for end in ends}
    for src in ends:
        for dst in ends:
            if src is dst:
                continue
            wanted = sorted((set(ports) | named[src.endpoint_id] | named[dst.endpoint_id])
                            - {(SCTP, p) for _, p in ports} - node_ports)
            plan.node_listen |= set(wanted)
            for protocol, port in wanted:
                _probe(plan, evaluator, src, dst, protocol, port, sources.take(src.endpoint_id, protocol))


def engine_ref(host: Host) -> str:
    """How the engine names a lab host: a workload or node end by its id, anything else by its address."""
    return host.endpoint_id if host.workload or host.endpoint_id.startswith(NODE_PREFIX) else str(host.address(4))


def _probe(plan: ProbePlan, evaluator, src: Host, dst: Host, protocol: int, port: int, sport: int) -> None:
    def ask():
        return evaluate_node_flow(evaluator, engine_ref(src), engine_ref(dst), protocol, port, sport)

    answered, result = engine_answer(plan, src.endpoint_id, dst.endpoint_id, protocol, port, ask)
    if not answered:
        return
    plan.probes.append(Probe(src=src.endpoint_id, dst=dst.endpoint_id, family=4, protocol=protocol, port=port,
                             sport=sport, src_address=str(src.address(4)), dst_address=str(dst.address(4)),
                             expected=result is not None and result.verdict == "allow"))
