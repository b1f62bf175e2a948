"""The matrix's Service rows (engine/service_rows.py) as JSON and as a text section."""

from __future__ import annotations

from typing import TextIO

from netpolicy.escape import terminal
from netpolicy.model.protocols import protocol_name


def services_json(rows) -> list[dict]:
    """One entry per Service port: its ready backends and who reaches how many of them."""
    out = []
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
        out.append(entry)
    return out


def write_services_text(rows, stream: TextIO) -> None:
    """`Services` section: per Service port, the sources reaching every ready backend, and those reaching
    only some (partial: the connection depends on the backend kube-proxy picks)."""
    stream.write("\nServices (through the ClusterIP: reached = every ready backend on its target port)\n")
    for row in rows:
        head = (f"  {row.service.id} {protocol_name(row.port.protocol)} {row.port.port}"
                f" ({len(row.backends)} ready backend{'s' if len(row.backends) != 1 else ''})")
        if not row.backends:
            stream.write(terminal(f"{head}: no ready backend, kube-proxy rejects every connection") + "\n")
            continue
        full = [s for s in row.reached if row.verdict(s) == "allow"]
        partial = [f"{s} ({row.reached[s]} of {row.candidates(s)})" for s in row.reached if row.verdict(s) != "allow"]
        stream.write(terminal(f"{head}: reached from {', '.join(full) or 'no endpoint'}") + "\n")
        if partial:
            stream.write(terminal(f"    PARTIAL, some backends only: {', '.join(partial)}") + "\n")
        if row.local is not None:
            unknown = f"; node unknown, left out: {', '.join(row.unknown_node)}" if row.unknown_node else ""
            stream.write(terminal(f"    internalTrafficPolicy Local: each source only to the backends on its node"
                                  f"{unknown}") + "\n")
        if row.service.session_affinity == "ClientIP" and partial:
            stream.write(terminal(f"    sessionAffinity ClientIP: a PARTIAL source keeps the backend of its first "
                                  f"connection ({row.service.affinity_timeout} s)") + "\n")


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
