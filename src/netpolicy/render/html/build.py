"""`netpolicy report`: load, lint, check expectations, gather the page's data and write the page."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from netpolicy.errors import InputError
from netpolicy.model.cluster import Cluster
from netpolicy.options import Options


@dataclass
class ReportArgs:
    """What `netpolicy report` was asked for; `before` is the old side of a change (None: no change)."""

    paths: list[str]
    options: Options
    output: str
    title: str
    expectations: list[str]
    before: Cluster | None = None


def write_report(args: ReportArgs, load: Callable[..., Cluster]) -> str:
    """Write the page to `args.output`; the line to tell the user. `load(paths, options, stdin=, objects=)`
    reads paths (with the command's other inputs); the cluster's warnings are printed here."""
    from netpolicy.analysis.lint import load_config, run_lint
    from netpolicy.render.html.data import ReportInput, report_data
    from netpolicy.render.html.page import render_page

    expectations = None
    if args.expectations:
        cluster, expectations = _with_expectations(args, load)
    else:
        cluster = load(args.paths, args.options)
    for warning in cluster.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    findings = sorted(run_lint(cluster, args.options, load_config(None)), key=lambda f: f.sort_key())
    clusters = [args.before, cluster] if args.before is not None else [cluster]
    title = args.title or ("change to " if args.before is not None else "") + ", ".join(args.paths)
    data = report_data(ReportInput(clusters, args.options, title, args.paths, findings, expectations))
    page = render_page(data)
    try:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError as exc:
        raise InputError(f"-o: cannot write {args.output}: {exc.strerror}") from None
    return (f"wrote {args.output} ({len(page) / 1e6:.1f} MB): {len(data['nodes'])} groups in "
            f"{len(data['namespaces'])} namespaces, {len(data['findings'])} lint findings")


def _with_expectations(args: ReportArgs, load: Callable[..., Cluster]) -> tuple[Cluster, dict]:
    """The cluster with the expectations' own pods, and the expectations' results as `test -o json`."""
    from netpolicy.analysis.expectations.check import check_expectations
    from netpolicy.analysis.expectations.load import load_suites
    from netpolicy.analysis.expectations.pods import load_with_pods
    from netpolicy.render.expectations.json_out import report_json

    suites = load_suites(args.expectations)
    cluster = load_with_pods(args.paths, [p for s in suites for p in s.pods], args.options,
                             read=lambda paths, stdin, extra: load(paths, args.options, stdin=stdin, objects=extra))
    return cluster, report_json(check_expectations(cluster, suites, args.options))
