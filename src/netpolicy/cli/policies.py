"""`netpolicy policies`: every policy, what it selects and isolates, and what each rule admits."""

from __future__ import annotations

from netpolicy.cli.engine_options import ENGINE_DEFAULTS, EngineFlags, with_engine_options
from netpolicy.cli.shared import Files, Output, TextOrJson, load_and_show


@with_engine_options
def policies(
    files: Files = [],  # noqa: B006
    output: Output = TextOrJson.text,
    engine: EngineFlags = ENGINE_DEFAULTS,
) -> None:
    """Every policy: what it selects, which directions it isolates, and what each rule admits."""
    from netpolicy.analysis.policy_report import policy_report
    from netpolicy.render.policies_out import render_report_text, report_json

    load_and_show(files, output, engine, policy_report, report_json, render_report_text)
