"""`netpolicy endpoints`: what `--from`/`--to` can name, with labels, addresses, ports and isolation."""

from __future__ import annotations

import json

from netpolicy.cli.shared import (
    CalicoVersion,
    Files,
    IpBlockPods,
    Output,
    PodCidr,
    TextOrJson,
    console,
    input_errors,
    load,
    make_options,
)
from netpolicy.options import DEFAULT_POD_CIDR


def endpoints(
    files: Files = [],  # noqa: B006
    output: Output = TextOrJson.text,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """List the endpoints: id, kind, namespace, labels, IPs, ports, and which policies isolate them."""
    with input_errors():
        options = make_options(pod_cidr, ipblock_matches_pods, calico_version)
        cluster = load(files, options)
        from netpolicy.analysis.endpoint_list import list_endpoints, list_host_network

        rows, on_host = list_endpoints(cluster, options), list_host_network(cluster, options)
        if output is TextOrJson.json:
            out = {"endpoints": [row.to_json() for row in rows]}
            if on_host:
                out["host_network_pods"] = [row.to_json() for row in on_host]
            print(json.dumps(out, indent=2))
        else:
            from netpolicy.render.endpoints_text import render_endpoints_text, render_host_network_text

            render_endpoints_text(rows, console())
            if on_host:
                render_host_network_text(on_host, console())
