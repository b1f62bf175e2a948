"""The endpoint listing as a table."""

from __future__ import annotations

from netpolicy.model.protocols import protocol_name


def render_endpoints_text(rows, console) -> None:
    """One row per endpoint; isolation shows `in`/`eg` when some policy selects it in that direction."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Endpoints", title_justify="left")
    for column in ("id", "kind", "labels", "ips", "ports", "isolated"):
        table.add_column(column)
    for row in rows:
        e = row.endpoint
        ports = ", ".join(f"{p.name + '=' if p.name else ''}{protocol_name(p.protocol)}/{p.port}" for p in e.ports)
        isolated = " ".join(x for x in ("in" if row.ingress else "", "eg" if row.egress else "") if x) or "-"
        table.add_row(*(escape(text) for text in (
            e.id, e.kind, ", ".join(f"{k}={v}" for k, v in sorted(e.labels.items())),
            ", ".join(map(str, e.ips)) or ", ".join(map(str, e.nets)), ports, isolated)))
    console.print(table)
    console.print(f"{len(rows)} endpoint{'s' if len(rows) != 1 else ''}; `isolated`: selected by a policy for "
                  "ingress (in) or egress (eg). Use an id with query --from/--to.")


def render_host_network_text(rows, console) -> None:
    """hostNetwork pods and workloads: their node, and the policies that select them without effect."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Host-network pods (no workload endpoint: their traffic is their node's)",
                  title_justify="left")
    for column in ("id", "kind", "labels", "node", "selected by (no effect)"):
        table.add_column(column)
    for row in rows:
        p = row.pod
        table.add_row(*(escape(text) for text in (
            p.id, p.kind, ", ".join(f"{k}={v}" for k, v in sorted(p.labels.items())),
            f"host-network on {p.node}" if p.node else "host-network (node unknown)",
            ", ".join(row.selected_by) or "-")))
    console.print(table)
    console.print("query --from/--to takes their ids and answers for their node, whose host endpoint policy "
                  "governs their traffic.")


def render_listing_text(listing, console) -> None:
    """The endpoints table, then the hostNetwork pods' table when there are any."""
    render_endpoints_text(listing.endpoints, console)
    if listing.host_network:
        render_host_network_text(listing.host_network, console)
