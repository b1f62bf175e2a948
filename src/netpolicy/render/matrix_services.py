"""The matrix's Service rows (engine/service_rows.py) as JSON and as a text section."""

from __future__ import annotations

from typing import TextIO

from netpolicy.escape import terminal
from netpolicy.model.protocols import protocol_name
from netpolicy.render.ranges import display_id


def services_json(rows, load_balancer=(), backends=None, node_ports=()) -> list[dict]:
    """One entry per Service port: its ready backends and who reaches how many of them (`load_balancer`,
    `node_ports`: the rows through its LoadBalancer IPs and its nodePort on each node, engine/service_lb_rows.py;
    `backends`: the ServiceBackends that name hostNetwork workloads on unknown nodes)."""
    out = []
    through, entered = _by_port(load_balancer), _by_port(node_ports)
    for row in rows:
        service, port = row.service, row.port
        entry = {"id": service.id, "port": port.port, "protocol": protocol_name(port.protocol), "name": port.name,
                 "cluster_ip": service.cluster_ips[0] if service.cluster_ips else None,
                 "backends": len(row.backends),
                 "from": [{"from": source, "reached": count, "verdict": row.verdict(source)}
                          for source, count in row.reached.items()]}
        if row.unknown:
            entry["backends_outside_input"] = row.unknown
        if row.local is not None:
            entry["internal_traffic_policy"] = "Local"
            for item in entry["from"]:
                item["backends_on_its_node"] = row.candidates(item["from"])
            entry["sources_on_unknown_node"] = list(row.unknown_node)
        if service.session_affinity == "ClientIP":
            entry["session_affinity"] = {"type": "ClientIP", "timeout_seconds": service.affinity_timeout}
        if backends is not None and (unplaced := backends.unplaced(service.namespace, service.name)):
            entry["host_network_on_unknown_nodes"] = [p.id for p in unplaced]
        if found := through.get((service.id, port.port, port.protocol)):
            entry["load_balancer"] = [_load_balancer_json(lb) for lb in found]
        if found := entered.get((service.id, port.port, port.protocol)):
            entry["node_ports"] = [_node_port_json(row) for row in found]
        out.append(entry)
    return out


def _write_reach(row, candidates, head: str, stream: TextIO, indent: str = "    ") -> None:
    """`head: reached from …` (every backend), then the PARTIAL sources with `k of n`."""
    full = [display_id(s) for s in row.reached if row.verdict(s) == "allow"]
    partial = [f"{display_id(s)} ({row.reached[s]} of {candidates(s)})" for s in row.reached
               if row.verdict(s) != "allow"]
    stream.write(terminal(f"{head}: reached from {', '.join(full) or 'no endpoint'}") + "\n")
    if partial:
        stream.write(terminal(f"{indent}PARTIAL, some backends only: {', '.join(partial)}") + "\n")


def _by_port(load_balancer) -> dict[tuple, list]:
    out: dict[tuple, list] = {}
    for lb in load_balancer:
        out.setdefault((lb.service.id, lb.port.port, lb.port.protocol), []).append(lb)
    return out


def _load_balancer_json(lb) -> dict:
    """One LoadBalancer IP of a Service port with loadBalancerSourceRanges: who reaches how many backends."""
    out = {"ip": lb.address, "source_ranges": [str(n) for n in lb.service.load_balancer_source_ranges],
           "backends": lb.backends, "sources_outside_ranges": lb.outside,
           "from": [{"from": source, "reached": count, "verdict": lb.verdict(source)}
                    for source, count in lb.reached.items()]}
    if lb.not_judged:
        out["sources_not_judged"] = {"sources": list(lb.not_judged), "why": lb.why_not}
    return out


def _node_port_json(row) -> dict:
    """The nodePort of a Service port on one node: who reaches how many backends."""
    out = {"node": row.node, "ip": row.address, "node_port": row.port.node_port, "backends": row.backends,
           "from": [{"from": source, "reached": count, "verdict": row.verdict(source)}
                    for source, count in row.reached.items()]}
    if row.not_judged:
        out["sources_not_judged"] = {"sources": list(row.not_judged), "why": row.why_not}
    return out


def _write_load_balancer(lb, stream: TextIO) -> None:
    ranges = ", ".join(str(n) for n in lb.service.load_balancer_source_ranges)
    head = (f"    through LoadBalancer IP {lb.address} (loadBalancerSourceRanges {ranges}: {lb.outside} "
            f"source{'s' if lb.outside != 1 else ''} outside, dropped)")
    _write_reach(lb, lambda s: lb.candidates[s], head, stream, "      ")
    _write_not_judged(lb, stream)


def _write_not_judged(row, stream: TextIO) -> None:
    """The sources of a LoadBalancer or nodePort row that `query` cannot judge, and why."""
    if row.not_judged:
        stream.write(terminal(f"      not judged: {len(row.not_judged)} source{'s' if len(row.not_judged) != 1 else ''} "
                              f"({row.why_not})") + "\n")


def _write_node_port(row, stream: TextIO) -> None:
    head = f"    through nodePort {row.port.node_port} on node {row.node} ({row.address})"
    _write_reach(row, lambda s: row.candidates[s], head, stream, "      ")
    _write_not_judged(row, stream)


def write_services_text(rows, stream: TextIO, load_balancer=(), backends=None, node_ports=()) -> None:
    """`Services` section: per Service port, the sources reaching every ready backend, and those reaching
    only some (partial: the connection depends on the backend kube-proxy picks); then through each
    LoadBalancer IP of a Service with loadBalancerSourceRanges, and through its nodePort on each node."""
    through, entered = _by_port(load_balancer), _by_port(node_ports)
    stream.write("\nServices (through the ClusterIP: reached = every ready backend on its target port)\n")
    for row in rows:
        head = (f"  {row.service.id} {protocol_name(row.port.protocol)} {row.port.port}"
                f" ({len(row.backends)} ready backend{'s' if len(row.backends) != 1 else ''})")
        unplaced = backends.unplaced(row.service.namespace, row.service.name) if backends is not None else ()
        if not row.backends:
            stream.write(terminal(f"{head}: no ready backend" + (" netpolicy can place" if unplaced else
                                                                 ", kube-proxy rejects every connection")) + "\n")
        else:
            _write_reach(row, row.candidates, head, stream)
        if unplaced:
            stream.write(terminal(f"    not counted: hostNetwork {', '.join(p.id for p in unplaced)} on nodes the "
                                  "input does not name (kube-proxy sends to their nodes' addresses)") + "\n")
        if not row.backends:
            continue
        if row.local is not None:
            unknown = f"; node unknown, left out: {', '.join(row.unknown_node)}" if row.unknown_node else ""
            stream.write(terminal(f"    internalTrafficPolicy Local: each source only to the backends on its node"
                                  f"{unknown}") + "\n")
        if row.service.session_affinity == "ClientIP" and any(row.verdict(s) != "allow" for s in row.reached):
            stream.write(terminal(f"    sessionAffinity ClientIP: a PARTIAL source keeps the backend of its first "
                                  f"connection ({row.service.affinity_timeout} s)") + "\n")
        for lb in through.get((row.service.id, row.port.port, row.port.protocol), ()):
            _write_load_balancer(lb, stream)
        for entry in entered.get((row.service.id, row.port.port, row.port.protocol), ()):
            _write_node_port(entry, stream)


HOOKS_NOTE = ("cells between pods on these nodes and anything off their node apply the host endpoint hooks "
              "the packet crosses, as `query` does: the sending pod's node's to-hep-forward (applyOnForward "
              "egress), the receiving pod's node's doNotTrack, preDNAT and from-hep-forward policy (failsafe "
              "ports, untracked replies); each node's governing host endpoint is the node itself, as `query` "
              "judges node/<name>: its hooks and failsafe ports, its traffic to its own pods unpoliced, its "
              "pods' traffic to it by DefaultEndpointToHostAction")


def host_hooks_json(nodes: list[str]) -> dict:
    """`host_endpoint_hooks`: the nodes whose host endpoint hooks the matrix's pod cells apply."""
    return {"applied_to_pod_flows": True, "nodes": nodes, "note": HOOKS_NOTE}


def write_host_hooks_text(nodes: list[str], stream: TextIO) -> None:
    stream.write(terminal(f"note: host endpoints on {', '.join(nodes)}: {HOOKS_NOTE}") + "\n")
