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

from netpolicy.engine.host_hooks import governing_rules
from netpolicy.engine.host_path import node_host_endpoint
from netpolicy.engine.node_flow import NODE_PREFIX, evaluate_node_flow
from netpolicy.lab.plan import Probe, ProbePlan, SourcePorts, engine_answer
from netpolicy.lab.topology import Host, Topology
from netpolicy.model.cluster import Cluster
from netpolicy.model.protocols import PORT_PROTOCOLS, SCTP, TCP

MAX_NAMED_PORTS = 8  # ports a host endpoint's policies name that are probed, at most, per node


def host_ports(ctx, node: str) -> set[tuple[int, int]]:
    """TCP 22 and the single ports named as destinations by the policies the engine's plans say govern
    the node's host endpoint (`host_hooks.governing_rules`)."""
    out = {(TCP, 22)}
    hep = node_host_endpoint(ctx.cluster, node)
    if hep is None:
        return out
    named = set()
    for rule in governing_rules(ctx, hep):
        numbers = rule.destination.ports.numbers if rule.destination.ports else ()
        protocols = [rule.protocol] if rule.protocol in PORT_PROTOCOLS else [TCP]
        named |= {(p, lo) for lo, hi in numbers for p in protocols if lo == hi}
    return out | set(sorted(named)[:MAX_NAMED_PORTS])


def plan_node_probes(plan: ProbePlan, topology: Topology, cluster: Cluster, evaluator,
                     ports: Sequence[tuple[int, int]], sources: SourcePorts) -> None:
    """Add a probe per node end, peer, direction and port, with the engine's verdict."""
    peers = list(topology.hosts)
    node_ports = {(sp.protocol, sp.node_port) for s in cluster.services for sp in s.ports if sp.node_port}
    for end in topology.node_ends:
        wanted = sorted((set(ports) | host_ports(evaluator.ctx, end.endpoint_id.removeprefix(NODE_PREFIX)))
                        - {(SCTP, p) for _, p in ports} - node_ports)
        plan.listen |= set(wanted)
        plan.node_listen |= set(wanted)
        for peer in peers:
            _probe_both_ways(plan, evaluator, end, peer, wanted, sources)


def plan_node_pairs(plan: ProbePlan, topology: Topology, cluster: Cluster, evaluator,
                    ports: Sequence[tuple[int, int]], sources: SourcePorts) -> None:
    """Add a probe per ordered pair of named nodes and port (host to host: the sender's raw and filter
    OUTPUT, the receiver's raw, preDNAT and filter INPUT; a node with a `*` host endpoint to its own address
    too, by `lo`), on the probed ports plus both nodes' `host_ports`."""
    ends = topology.node_ends
    node_ports = {(sp.protocol, sp.node_port) for s in cluster.services for sp in s.ports if sp.node_port}
    named = {end.endpoint_id: host_ports(evaluator.ctx, end.endpoint_id.removeprefix(NODE_PREFIX)) for end in ends}
    for src in ends:
        for dst in ends:
            if src is dst and src.endpoint_id.removeprefix(NODE_PREFIX) not in cluster.star_host_endpoints:
                continue
            wanted = sorted((set(ports) | named[src.endpoint_id] | named[dst.endpoint_id])
                            - {(SCTP, p) for _, p in ports} - node_ports)
            plan.node_listen |= set(wanted)
            for family in sorted(src.families & dst.families):
                for protocol, port in wanted:
                    _probe(plan, evaluator, src, dst, protocol, port, sources.take(src.endpoint_id, protocol), family)


def _probe_both_ways(plan: ProbePlan, evaluator, end: Host, peer: Host, wanted: list[tuple[int, int]],
                     sources: SourcePorts) -> None:
    """A node end and a peer, both ways, in each address family they share."""
    for family in sorted(end.families & peer.families):
        for src, dst in ((end, peer), (peer, end)):
            for protocol, port in wanted:
                _probe(plan, evaluator, src, dst, protocol, port, sources.take(src.endpoint_id, protocol), family)


def engine_ref(host: Host, family: int | None = None) -> str:
    """How the engine names a lab host: a workload by its id, a node end by its id (with `family`: by its
    address of that family), anything else by its address."""
    if host.endpoint_id.startswith(NODE_PREFIX) and family is not None:
        return str(host.address(family))
    return host.endpoint_id if host.workload or host.endpoint_id.startswith(NODE_PREFIX) else \
        str(host.address(family or 4))


def _probe(plan: ProbePlan, evaluator, src: Host, dst: Host, protocol: int, port: int, sport: int,
           family: int) -> None:
    def ask():
        return evaluate_node_flow(evaluator, engine_ref(src, family), engine_ref(dst, family), protocol, port, sport)

    answered, result = engine_answer(plan, src.endpoint_id, dst.endpoint_id, protocol, port, ask)
    if not answered:
        return
    plan.probes.append(Probe(src=src.endpoint_id, dst=dst.endpoint_id, family=family, protocol=protocol, port=port,
                             sport=sport, src_address=str(src.address(family)), dst_address=str(dst.address(family)),
                             expected=result is not None and result.verdict == "allow"))
