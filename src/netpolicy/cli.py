"""Command-line interface: options → library call → renderer, and exit codes (0 ok, 1 findings, 2 bad input)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from netpolicy.errors import InputError, NetpolicyError
from netpolicy.options import DEFAULT_POD_CIDR, Options

LARGE_MATRIX = 5000  # endpoints above which `matrix` suggests --group-by class

app = typer.Typer(
    name="netpolicy",
    help="What your Kubernetes and Calico network policies really allow, and why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Files = Annotated[list[str], typer.Option("-f", "--file", help="YAML/JSON file, directory, or - for stdin (repeatable).")]
PodCidr = Annotated[str, typer.Option("--pod-cidr", help="Where endpoints without an IP get a stable address.")]
IpBlockPods = Annotated[str, typer.Option(
    "--ipblock-matches-pods", help="true: Kubernetes ipBlock matches pod IPs (Calico); false: it does not (Cilium).")]
CalicoVersion = Annotated[str, typer.Option("--calico-version", help="Calico version whose tie-break rules apply.")]


class MatrixFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"
    md = "md"


class MatrixForm(StrEnum):
    auto = "auto"
    pairs = "pairs"
    compact = "compact"


class QueryFormat(StrEnum):
    text = "text"
    json = "json"


def _console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 140
    return Console(stderr=stderr, highlight=False, width=width)


def _options(pod_cidr: str, ipblock_matches_pods: str, calico_version: str) -> Options:
    value = ipblock_matches_pods.strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise InputError(f"--ipblock-matches-pods: {ipblock_matches_pods!r} is not a boolean", expected="true or false")
    try:
        major, minor = (int(x) for x in calico_version.split(".")[:2])
    except ValueError:
        raise InputError(f"--calico-version: {calico_version!r} is not a version", expected="e.g. 3.32") from None
    import ipaddress

    try:
        ipaddress.ip_network(pod_cidr)
    except ValueError:
        raise InputError(f"--pod-cidr: {pod_cidr!r} is not a CIDR", expected="e.g. 10.244.0.0/16") from None
    return Options(pod_cidr=pod_cidr, ipblock_matches_pods=value in ("true", "1", "yes"),
                   calico_version=(major, minor))


def _load(files: list[str], options: Options):
    from netpolicy.api import load_cluster

    if not files:
        raise InputError("no input: give at least one -f PATH", suggestion="e.g. -f manifests/ -f policies/")
    cluster = load_cluster(files, options, stdin=sys.stdin)
    for warning in cluster.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return cluster


def _fail(error: NetpolicyError) -> None:
    problems = getattr(error, "problems", None)
    lines = [str(p) for p in problems] if problems else [str(error)]
    for line in lines:
        print(line, file=sys.stderr)
    raise typer.Exit(2)


def _parse_protocol(text: str) -> int:
    from netpolicy.model.protocols import NUMBER_BY_NAME, parse_protocol

    canonical = {k.lower(): k for k in NUMBER_BY_NAME}.get(text.lower(), text)
    number = parse_protocol(canonical)
    if number is None:
        raise InputError(f"--protocol: {text!r} is not a protocol", expected="TCP, UDP, SCTP, ICMP, ICMPv6 or 1-255")
    return number


@app.command()
def matrix(
    files: Files = [],  # noqa: B006 - typer reads the default
    output: Annotated[MatrixFormat, typer.Option("-o", "--output", help="Output format.")] = MatrixFormat.text,
    group_by: Annotated[str, typer.Option("--group-by", help="endpoint, or class: endpoints that behave identically.")] = "endpoint",
    max_members: Annotated[int, typer.Option("--max-members", help="With --group-by class: members listed per class.")] = 50,
    form: Annotated[MatrixForm, typer.Option("--form", help=(
        "pairs: every allowed pair; compact: per class what its policies allow, pairs left implicit "
        "(-o json); auto: compact JSON or a text summary above 200,000 pairs."))] = MatrixForm.auto,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Who can reach whom, on which protocols and ports."""
    try:
        options = _options(pod_cidr, ipblock_matches_pods, calico_version)
        if group_by not in ("endpoint", "class"):
            raise InputError(f"--group-by: {group_by!r} is not a grouping", expected="endpoint or class")
        if group_by == "class" and output not in (MatrixFormat.json, MatrixFormat.text):
            raise InputError("--group-by class supports -o json and -o text")
        if form is MatrixForm.compact and output is not MatrixFormat.json:
            raise InputError("--form compact is a JSON document", suggestion="-o json --form compact")
        cluster = _load(files, options)
        from netpolicy.engine.matrix import compute_matrix
        from netpolicy.progress import Progress
        from netpolicy.render import matrix_out
        from netpolicy.render.matrix_forms import write_compact_or_summary

        with Progress() as progress:
            result = compute_matrix(cluster, options, progress.stage)
            if form != "pairs" and write_compact_or_summary(result, output, form, group_by, sys.stdout,
                                                            progress.stage):
                return
            if group_by == "class" and output is MatrixFormat.json:
                matrix_out.stream_matrix_json(result, sys.stdout, group_by_class=True, max_members=max_members,
                                              progress=progress.stage)
                return
        if group_by == "endpoint" and len(result.endpoints) > LARGE_MATRIX:
            print(f"warning: {len(result.endpoints):,} endpoints: listing every pair is slow and large; "
                  "--group-by class lists classes of endpoints that behave identically", file=sys.stderr)
        if group_by == "class":
            matrix_out.render_classes_text(result, _console())
        elif output is MatrixFormat.json:
            matrix_out.stream_matrix_json(result, sys.stdout)
        elif output is MatrixFormat.csv:
            sys.stdout.write(matrix_out.matrix_csv(result))
        elif output is MatrixFormat.md:
            sys.stdout.write(matrix_out.matrix_markdown(result))
        else:
            matrix_out.render_matrix_text(result, _console())
    except NetpolicyError as error:
        _fail(error)


@app.command()
def query(
    files: Files = [],  # noqa: B006
    source: Annotated[str, typer.Option("--from", help="Source endpoint id (ns/name) or IP address.")] = "",
    destination: Annotated[str, typer.Option("--to", help="Destination endpoint id or IP address.")] = "",
    protocol: Annotated[str, typer.Option("--protocol", help="TCP, UDP, SCTP, ICMP, ICMPv6 or a number.")] = "TCP",
    port: Annotated[int | None, typer.Option("--port", help="Destination port (ICMP: type).")] = None,  # noqa: UP007
    src_port: Annotated[int | None, typer.Option("--src-port", help="Source port (ICMP: code).")] = None,  # noqa: UP007
    output: Annotated[QueryFormat, typer.Option("-o", "--output", help="Output format.")] = QueryFormat.text,
    findings: Annotated[str, typer.Option(
        "--findings", help="auto (clusters up to 2,000 endpoints), always or never: show lint findings on "
                           "the rules the flow passes through.")] = "auto",
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Explain one flow: the verdict, and why, rule by rule on both ends."""
    try:
        if not source or not destination:
            raise InputError("--from and --to are required", suggestion="e.g. --from ns/app --to ns/db --port 5432")
        for name, value in (("--port", port), ("--src-port", src_port)):
            if value is not None and not 0 <= value <= 65535:
                raise InputError(f"{name}: {value} is not a port", expected="1-65535")
        number = _parse_protocol(protocol)
        options = _options(pod_cidr, ipblock_matches_pods, calico_version)
        cluster = _load(files, options)
        from netpolicy.engine.flow import FlowEvaluator

        result = FlowEvaluator(cluster, options).evaluate(source, destination, number, port, src_port)
        result = _with_findings(result, cluster, options, findings)
        if output is QueryFormat.json:
            print(json.dumps(result.to_json(), indent=2))
        else:
            from netpolicy.render.trace_text import render_flow

            render_flow(result, _console())
    except NetpolicyError as error:
        _fail(error)


def _with_findings(result, cluster, options: Options, mode: str):
    """Attach lint findings to the trace steps whose rules have them (`--findings`)."""
    from netpolicy.analysis.trace_findings import FINDINGS_LIMIT, attach_findings

    if mode not in ("auto", "always", "never"):
        raise InputError(f"--findings: {mode!r} is not a choice", expected="auto, always or never")
    if mode == "never" or (mode == "auto" and len(cluster.endpoints) > FINDINGS_LIMIT):
        return result
    from netpolicy.analysis.lint import load_config, run_lint

    return attach_findings(result, run_lint(cluster, options, load_config(None)))


@app.command()
def policies(
    files: Files = [],  # noqa: B006
    output: Annotated[QueryFormat, typer.Option("-o", "--output", help="Output format.")] = QueryFormat.text,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Every policy: what it selects, which directions it isolates, and what each rule admits."""
    try:
        options = _options(pod_cidr, ipblock_matches_pods, calico_version)
        cluster = _load(files, options)
        from netpolicy.analysis.policy_report import policy_report
        from netpolicy.render import policies_out

        report = policy_report(cluster, options)
        if output is QueryFormat.json:
            print(json.dumps(policies_out.report_json(report), indent=2))
        else:
            policies_out.render_report_text(report, _console())
    except NetpolicyError as error:
        _fail(error)


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    md = "md"


class DiffGrouping(StrEnum):
    auto = "auto"
    pair = "pair"
    klass = "class"


@app.command()
def diff(
    before: Annotated[list[str], typer.Option(
        "--before", help="The configuration before the change: file, directory or - (repeatable).")] = [],  # noqa: B006
    after: Annotated[list[str], typer.Option(
        "--after", help="The configuration after the change (repeatable).")] = [],  # noqa: B006
    files: Annotated[list[str], typer.Option(
        "-f", "--file", help="Paths compared: the after side, and with --git also the before side (repeatable).")] = [],  # noqa: B006
    git: Annotated[str | None, typer.Option(
        "--git", help="Take the before side from this git revision of the same paths (e.g. origin/main).")] = None,
    output: Annotated[DiffFormat, typer.Option("-o", "--output", help="Output format.")] = DiffFormat.text,
    group_by: Annotated[DiffGrouping, typer.Option(
        "--group-by", help="One row per endpoint pair, per class of alike endpoints, or pairs unless there "
        "are more than 100.")] = DiffGrouping.auto,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when connectivity changed.")] = False,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """What a change newly allows and newly blocks, and which rules are responsible on each side."""
    try:
        options = _options(pod_cidr, ipblock_matches_pods, calico_version)
        after_paths = [*after, *files]
        if not after_paths:
            raise InputError("no after side: give --after PATH or -f PATH",
                             suggestion="e.g. --before old/ --after new/, or --git origin/main -f deploy/")
        if git is not None and before:
            raise InputError("--before and --git both give the before side", suggestion="use one of them")
        if git is None and not before:
            raise InputError("no before side: give --before PATH or --git REF")
        from netpolicy.analysis.diff import semantic_diff
        from netpolicy.api import load_cluster

        if git is not None:
            from netpolicy.analysis.diff_git import GitSnapshot

            with GitSnapshot(git, after_paths) as snapshot:
                for path in snapshot.missing:
                    print(f"warning: {path} does not exist at {git}: the before side has nothing from it",
                          file=sys.stderr)
                try:
                    with snapshot.inside():
                        old = load_cluster(snapshot.paths, options)
                except InputError as error:
                    raise snapshot.relabel(error) from None
        else:
            old = load_cluster(before, options, stdin=sys.stdin)
        new = _load(after_paths, options)
        result = semantic_diff(old, new, options)
        grouping = group_by.value
        if output is DiffFormat.json:
            from netpolicy.render.diff_json import diff_json

            print(json.dumps(diff_json(result, grouping), indent=2))
        elif output is DiffFormat.md:
            from netpolicy.render.diff_md import diff_markdown

            sys.stdout.write(diff_markdown(result, grouping))
        else:
            from netpolicy.render.diff_text import render_diff_text

            render_diff_text(result, _console(), grouping)
    except NetpolicyError as error:
        _fail(error)
    if exit_code and not result.empty:
        raise typer.Exit(1)


@app.command("test")
def run_expectations(
    expectations: Annotated[list[str], typer.Argument(help="Expectations files (YAML).", show_default=False)],
    files: Files = [],  # noqa: B006
    output: Annotated[QueryFormat, typer.Option("-o", "--output", help="Output format.")] = QueryFormat.text,
    junit: Annotated[str | None, typer.Option(
        "--junit", help="Also write the results as JUnit XML to this file.")] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Show details of passing expectations too.")] = False,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Check expectations (who must and must not reach whom); exit 1 when any fails."""
    try:
        options = _options(pod_cidr, ipblock_matches_pods, calico_version)
        if not files:
            raise InputError("no input: give at least one -f PATH", suggestion="e.g. -f manifests/ -f policies/")
        from netpolicy.analysis.expectations import check_expectations
        from netpolicy.analysis.expectations_load import load_suites
        from netpolicy.analysis.expectations_pods import load_with_pods

        suites = load_suites(expectations)
        cluster = load_with_pods(files, [p for s in suites for p in s.pods], options, stdin=sys.stdin)
        for warning in cluster.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        report = check_expectations(cluster, suites, options)
        if junit is not None:
            from netpolicy.render.expect_junit import report_junit

            try:
                with open(junit, "w", encoding="utf-8") as handle:
                    handle.write(report_junit(report))
            except OSError as exc:
                raise InputError(f"--junit: cannot write {junit}: {exc.strerror}") from None
        if output is QueryFormat.json:
            from netpolicy.render.expect_json import report_json

            print(json.dumps(report_json(report), indent=2))
        else:
            from netpolicy.render.expect_text import render_report_text

            render_report_text(report, _console(), verbose)
    except NetpolicyError as error:
        _fail(error)
    if not report.ok:
        raise typer.Exit(1)


class LintFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


@app.command()
def lint(
    files: Files = [],  # noqa: B006
    output: Annotated[LintFormat, typer.Option("-o", "--output", help="Output format.")] = LintFormat.text,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", help="Exit 1 when a finding is at or above this severity.")] = FailOn.error,
    config: Annotated[str | None, typer.Option(
        "--config", help="Lint configuration file (default: .netpolicy.yaml in the working directory).")] = None,
    list_rules: Annotated[bool, typer.Option("--list-rules", help="List the rules and exit.")] = False,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Find mistakes: rules that do not do what they seem to, blocked DNS, selectors that select nothing."""
    findings = []
    try:
        from netpolicy.analysis.lint import RULES, at_or_above, load_config, run_lint

        if list_rules:
            from netpolicy.render.lint_text import render_rules_text

            render_rules_text(RULES, _console())
            return
        lint_config = load_config(config)
        options = _options(pod_cidr, ipblock_matches_pods, calico_version)
        cluster = _load(files, options)
        findings = run_lint(cluster, options, lint_config)
        if output is LintFormat.json:
            from netpolicy.render.lint_json import findings_json

            print(json.dumps(findings_json(findings), indent=2))
        elif output is LintFormat.sarif:
            from netpolicy.render.lint_sarif import findings_sarif

            print(json.dumps(findings_sarif(findings, RULES), indent=2))
        elif output is LintFormat.github:
            from netpolicy.render.lint_github import github_annotations

            sys.stdout.write(github_annotations(findings))
        else:
            from netpolicy.render.lint_text import render_findings_text

            render_findings_text(findings, _console())
    except NetpolicyError as error:
        _fail(error)
    if fail_on is not FailOn.never and any(at_or_above(f.severity, fail_on.value) for f in findings):
        raise typer.Exit(1)


lab_app = typer.Typer(help="Build the cluster on this machine's kernel (netns + nftables) and send real packets.",
                      no_args_is_help=True)
app.add_typer(lab_app, name="lab")


def _lab_inputs(files: list[str], pod_cidr: str, ipblock_matches_pods: str, calico_version: str):
    options = _options(pod_cidr, ipblock_matches_pods, calico_version)
    cluster = _load(files, options)
    from netpolicy.engine.matrix import compute_matrix

    return cluster, compute_matrix(cluster, options), options


@lab_app.command("verify")
def lab_verify(
    files: Files = [],  # noqa: B006
    ports: Annotated[str, typer.Option("--ports", help="auto, or a list such as 80,udp/53,tcp:8000-8002.")] = "auto",
    output: Annotated[QueryFormat, typer.Option("-o", "--output", help="Output format.")] = QueryFormat.text,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds a probe waits.")] = 1.0,
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Build the lab, probe every pair on every declared port, compare with the engine, tear down."""
    try:
        cluster, matrix, options = _lab_inputs(files, pod_cidr, ipblock_matches_pods, calico_version)
        from netpolicy.engine.flow import FlowEvaluator
        from netpolicy.lab import api as lab
        from netpolicy.lab.report import render_text

        evaluator = FlowEvaluator(cluster, options)

        def explain(probe) -> str:
            result = evaluator.evaluate(probe.src, probe.dst, probe.protocol, probe.port, probe.sport)
            steps = [s for side in (result.egress, result.ingress) for s in side.trace]
            return "; ".join(f"{s.action}: {s.reason}" for s in steps)

        port_list = "auto" if ports == "auto" else [p.strip() for p in ports.split(",") if p.strip()]
        report = lab.verify(cluster, matrix, options, port_list, timeout=timeout, explain=explain)
        if output is QueryFormat.json:
            print(json.dumps(report.to_json(), indent=2))
        else:
            print(render_text(report))
        raise typer.Exit(report.exit_code)
    except NetpolicyError as error:
        _fail(error)


@lab_app.command("up")
def lab_up(
    files: Files = [],  # noqa: B006
    lab_id: Annotated[str | None, typer.Option("--id", help="Lab id (default: a new one).")] = None,  # noqa: UP007
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Build the lab and leave it running (remove it with `lab down ID`)."""
    try:
        cluster, matrix, options = _lab_inputs(files, pod_cidr, ipblock_matches_pods, calico_version)
        from netpolicy.lab import api as lab

        handle = lab.up(cluster, matrix, options, lab_id=lab_id)
        print(f"lab {handle.id} is up with {len(handle.topology.hosts)} hosts; "
              f"`netpolicy lab exec {handle.id} ENDPOINT -- CMD` runs a command inside one, "
              f"`netpolicy lab down {handle.id}` removes it")
    except NetpolicyError as error:
        _fail(error)


@lab_app.command("down")
def lab_down(
    lab_id: Annotated[str | None, typer.Argument(help="The lab to remove.")] = None,  # noqa: UP007
    all_labs: Annotated[bool, typer.Option("--all", help="Remove every lab and any leftover of a crashed run.")] = False,
) -> None:
    """Remove a lab (or all of them)."""
    try:
        from netpolicy.lab import api as lab

        removed = lab.down(lab_id, all_labs=all_labs)
        print(f"removed: {', '.join(removed)}" if removed else "no lab to remove")
    except NetpolicyError as error:
        _fail(error)


@lab_app.command("status")
def lab_status() -> None:
    """List the labs on this machine."""
    from netpolicy.lab import api as lab

    labs = lab.status()
    print("\n".join(item.describe() for item in labs) if labs else "no lab is running")


@lab_app.command("show-rules")
def lab_show_rules(
    files: Files = [],  # noqa: B006
    pod_cidr: PodCidr = DEFAULT_POD_CIDR,
    ipblock_matches_pods: IpBlockPods = "true",
    calico_version: CalicoVersion = "3.32",
) -> None:
    """Print the nftables ruleset the lab loads: Calico's chain layout, commented (no root needed)."""
    try:
        cluster, matrix, options = _lab_inputs(files, pod_cidr, ipblock_matches_pods, calico_version)
        from netpolicy.lab import api as lab

        print(lab.show_rules(cluster, matrix, options))
    except NetpolicyError as error:
        _fail(error)


@lab_app.command("exec", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lab_exec(
    lab_id: Annotated[str, typer.Argument(help="The lab.")],
    endpoint: Annotated[str, typer.Argument(help="Endpoint id (ns/name).")],
    command: Annotated[list[str], typer.Argument(help="The command, after --.")],
) -> None:
    """Run a command inside an endpoint's network namespace (like `kubectl exec`)."""
    try:
        from netpolicy.lab import api as lab

        raise typer.Exit(lab.exec_in(lab_id, endpoint, command))
    except NetpolicyError as error:
        _fail(error)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
