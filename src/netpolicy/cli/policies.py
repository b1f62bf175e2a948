"""`netpolicy policies`: every policy, what it selects and isolates, and what each rule admits."""

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


def policies(
    files: Files = [],  # noqa: B006
    output: Output = TextOrJson.text,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Every policy: what it selects, which directions it isolates, and what each rule admits."""
    with input_errors():
        options = make_options(pod_cidr, ipblock_matches_pods, calico_version)
        cluster = load(files, options)
        from netpolicy.analysis.policy_report import policy_report
        from netpolicy.render import policies_out

        report = policy_report(cluster, options)
        if output is TextOrJson.json:
            print(json.dumps(policies_out.report_json(report), indent=2))
        else:
            policies_out.render_report_text(report, console())
