"""The benchmark run: for each size, the library's phases and the CLI end to end, plus a query on the largest."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.generate import OUT, Generated, ensure_generated
from bench.measure import Measured, run_measured
from bench.sizes import OPEN_PROFILES, POD_CIDR, ClusterSpec

#: Without `--group-by class`, only sizes up to this many pods print a full pod-level matrix.
PLAIN_MATRIX_LIMIT = 1_000


@dataclass
class SizeResult:
    """One size's figures; times in seconds, memory in MB, None where not measured."""

    name: str
    pods: int
    policies: int
    namespaces: int
    command: str
    status: str
    load_s: float | None = None
    analysis_s: float | None = None
    total_s: float | None = None
    peak_rss_mb: float | None = None
    output_mb: float | None = None
    classes: int | None = None
    class_flows: int | None = None


@dataclass
class QueryResult:
    """`netpolicy query` on one size: the answer beyond loading, and the CLI end to end."""

    name: str
    source: str
    target: str
    port: int
    protocol: str
    status: str
    verdict: str | None = None
    load_s: float | None = None
    answer_s: float | None = None
    total_s: float | None = None
    peak_rss_mb: float | None = None


def netpolicy_command(*args: str) -> list[str]:
    """The CLI as a child process, run by this interpreter."""
    return [sys.executable, "-m", "netpolicy", *args]


def supports_group_by() -> bool:
    """Whether this netpolicy's `matrix` has `--group-by` and `--form`."""
    help_run = run_measured(netpolicy_command("matrix", "--help"), 60)
    return "--group-by" in help_run.stdout and "--form" in help_run.stdout


def phase_records(measured: Measured) -> dict[str, dict]:
    """The JSON lines `bench.phases` printed before it ended, by phase."""
    records = {}
    for line in measured.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            records[record["phase"]] = record
    return records


def _failure(measured: Measured, what: str, timeout: float) -> str:
    if measured.status == "timeout":
        return f"timeout after {timeout:g} s ({what})"
    last = (measured.stderr.strip().splitlines() or [""])[-1]
    return f"failed ({what}, {measured.status}): {last[:200]}"


def run_phases(directory: str, timeout: float, *extra: str) -> Measured:
    """`bench.phases` on a cluster directory in a child process."""
    return run_measured([sys.executable, "-m", "bench.phases", directory, "--pod-cidr", POD_CIDR, *extra], timeout,
                        cwd=Path(__file__).resolve().parent.parent)


def matrix_form(profile: str) -> str:
    """The JSON form timed: compact for the open profiles (their pairs number in the billions), every
    class pair for the others (comparable with earlier figures)."""
    return "compact" if profile in OPEN_PROFILES else "pairs"


def run_size(generated: Generated, name: str, timeout: float, group_by: bool, scratch: Path,
             form: str = "pairs") -> SizeResult:
    """Load and analysis times in-process, then `netpolicy matrix -o json` end to end with its peak RSS."""
    args = ["matrix", "-f", generated.directory, "-o", "json", "--pod-cidr", POD_CIDR]
    if group_by:
        args += ["--group-by", "class", "--form", form]
    command = "matrix -o json" + (f" --group-by class --form {form}" if group_by else "")
    result = SizeResult(name, generated.pods, generated.policies, generated.namespaces, command, "ok")
    phases = run_phases(generated.directory, timeout, *(["--compact"] if form == "compact" else []))
    records = phase_records(phases)
    result.load_s = records.get("load", {}).get("seconds")
    if "classes" in records:
        result.analysis_s = records["matrix"]["seconds"] + records["classes"]["seconds"]
        result.classes = records["classes"]["classes"]
        result.class_flows = records["classes"].get("flows")
    if not phases.ok:
        result.status = _failure(phases, "analysis" if "load" in records else "load", timeout)
        return result
    if not group_by and generated.pods > PLAIN_MATRIX_LIMIT:
        result.status = "skipped: needs --group-by"
        return result
    output = scratch / f"{name}-matrix.json"
    cli = run_measured(netpolicy_command(*args), timeout, stdout_path=output)
    result.total_s, result.peak_rss_mb = cli.seconds, cli.peak_rss_mb
    if output.exists():
        result.output_mb = output.stat().st_size / 1e6
        output.unlink()
    if not cli.ok:
        result.status = _failure(cli, "matrix", timeout)
    return result


def run_query(generated: Generated, name: str, timeout: float) -> QueryResult:
    """One flow of `generated`: answer time after loading (in-process) and the CLI end to end."""
    query = generated.query
    result = QueryResult(name, query["from"], query["to"], query["port"], query["protocol"], "ok")
    phases = run_phases(generated.directory, timeout, "--no-matrix", "--query", query["from"], query["to"],
                        query["protocol"], str(query["port"]))
    records = phase_records(phases)
    result.load_s = records.get("load", {}).get("seconds")
    result.answer_s = records.get("query", {}).get("seconds")
    result.verdict = records.get("query", {}).get("verdict")
    if not phases.ok:
        result.status = _failure(phases, "query", timeout)
        return result
    cli = run_measured(netpolicy_command("query", "-f", generated.directory, "--from", query["from"], "--to",
                                         query["to"], "--protocol", query["protocol"], "--port", str(query["port"]),
                                         "--pod-cidr", POD_CIDR, "-o", "json"), timeout)
    result.total_s, result.peak_rss_mb = cli.seconds, cli.peak_rss_mb
    if not cli.ok:
        result.status = _failure(cli, "query", timeout)
    return result


def run_benchmark(specs: list[ClusterSpec], timeout: float, *, root: Path = OUT, keep_going: bool = False,
                  query: bool = True, log=print) -> tuple[list[SizeResult], QueryResult | None]:
    """Every size smallest first; after a time-out, larger sizes are skipped unless `keep_going`."""
    group_by = supports_group_by()
    if not group_by:
        log(f"netpolicy matrix has no --group-by: sizes above {PLAIN_MATRIX_LIMIT} pods run the analysis only")
    scratch = root / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    results: list[SizeResult] = []
    generated_by_name: dict[str, Generated] = {}
    stop = None
    for spec in sorted(specs, key=lambda s: (s.pods, s.policies)):
        log(f"{spec.name}: generating (cached in {root / spec.variant})")
        generated = ensure_generated(spec, root)
        generated_by_name[spec.name] = generated
        if stop is not None:
            results.append(SizeResult(spec.name, generated.pods, generated.policies, generated.namespaces, "",
                                      f"skipped: {stop} timed out"))
            continue
        log(f"{spec.name}: {generated.pods} pods, {generated.policies} policies, {generated.namespaces} namespaces")
        result = run_size(generated, spec.name, timeout, group_by, scratch, matrix_form(spec.profile))
        log(f"{spec.name}: {result.status}")
        results.append(result)
        if result.status.startswith("timeout") and not keep_going:
            stop = spec.name
    query_result = None
    if query and results:
        largest = results[-1].name
        log(f"{largest}: query {generated_by_name[largest].query['from']} → {generated_by_name[largest].query['to']}")
        query_result = run_query(generated_by_name[largest], largest, timeout)
    return results, query_result
