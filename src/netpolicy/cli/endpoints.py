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
    from netpolicy.analysis.endpoint_list import endpoint_listing
    from netpolicy.render.endpoints_json import listing_json
    from netpolicy.render.endpoints_text import render_listing_text

    load_and_show(files, output, engine, endpoint_listing, listing_json, render_listing_text)
