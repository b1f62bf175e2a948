"""`netpolicy endpoints`: what `--from`/`--to` can name, with labels, addresses, ports and isolation."""

from __future__ import annotations

from netpolicy.cli.engine_options import ENGINE_DEFAULTS, EngineFlags, with_engine_options
from netpolicy.cli.shared import Files, Output, TextOrJson, load_and_show


@with_engine_options
def endpoints(
    files: Files = [],  # noqa: B006
    output: Output = TextOrJson.text,
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """List the endpoints: id, kind, namespace, labels, IPs, ports, and which policies isolate them."""
    from netpolicy.analysis.endpoint_list import list_endpoints, list_host_network
    from netpolicy.render.endpoints_json import endpoints_json
    from netpolicy.render.endpoints_text import render_endpoints_text, render_host_network_text

    def compute(cluster, options):
        return list_endpoints(cluster, options), list_host_network(cluster, options)

    def encode(found) -> dict:
        rows, on_host = found
        out = endpoints_json(rows)
        if on_host:
            out["host_network_pods"] = [row.to_json() for row in on_host]
        return out

    def draw(found, console) -> None:
        rows, on_host = found
        render_endpoints_text(rows, console)
        if on_host:
            render_host_network_text(on_host, console)

    load_and_show(files, output, engine, compute, encode, draw)
