"""`python -m bench [run|compare|generate] …`: the benchmark's command line (`run` when none is named)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from bench.sizes import DEFAULT_PROFILE, OPEN_PROFILES, PROFILES, SIZES, parse_sizes

ALL_SIZES = ",".join(SIZES)
#: The open profiles' default sizes: 15 pods and one policy per namespace, as in the issue that asked for them.
OPEN_SIZES = "2000/133/133,10000/666/666,150k"
#: Sizes `compare` runs by default, per profile.
COMPARE_SIZES = {"mixed": "500,1k,10k", "scale-test": "500,1k", "varied": "500", "statefulsets": "500"}
#: Profiles `compare` runs by default (the open ones on request).
COMPARE_PROFILES = ("mixed", "scale-test")


def _sizes(parser: argparse.ArgumentParser, text: str, profile: str):
    try:
        return parse_sizes(text, profile)
    except ValueError as error:
        parser.error(str(error))


def _add_profile(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=list(PROFILES), default=DEFAULT_PROFILE,
                        help="policy profile: mixed (default), scale-test (the OpenShift scale test's shape), "
                             "varied or statefulsets (open clusters, about one class per pod)")


def _profiles(parser: argparse.ArgumentParser, text: str) -> list[str]:
    """A comma-separated list of profiles, each known."""
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PROFILES]
    if unknown or not chosen:
        parser.error(f"unknown profile {', '.join(unknown) or repr(text)} (expected {', '.join(PROFILES)})")
    return chosen


def results_section(command: str, profile: str) -> tuple[str, str]:
    """The results-file section of `command` on `profile` (plain for the default profile) and its heading."""
    name = command if profile == DEFAULT_PROFILE else f"{command}-{profile}"
    invocation = "make bench" if command == "bench" else "make bench-compare"
    if profile != DEFAULT_PROFILE:
        invocation += f' BENCH_ARGS="--profile {profile}"'
    return name, f"## `{invocation}`: profile `{profile}`\n\nPolicies: {PROFILES[profile]}."


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_main(argv: list[str]) -> int:
    """Time every size end to end, print the table and write it to bench/RESULTS.md."""
    from bench import report
    from bench.run import run_benchmark
    from bench.tables import QUERY_HEADERS, SIZE_HEADERS, query_rows, size_rows

    parser = argparse.ArgumentParser(prog="python -m bench run", description=run_main.__doc__)
    parser.add_argument("--sizes", help=f"comma-separated: {ALL_SIZES}, or PODS/POLICIES/NAMESPACES (default: all for "
                                         f"mixed and scale-test, {OPEN_SIZES} for the open profiles)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed per size and step (default 300)")
    parser.add_argument("--keep-going", action="store_true", help="run larger sizes even after one timed out")
    parser.add_argument("--no-query", action="store_true", help="skip `netpolicy query` on the largest size")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    _add_profile(parser)
    args = parser.parse_args(argv)
    specs = _sizes(parser, args.sizes or (OPEN_SIZES if args.profile in OPEN_PROFILES else ALL_SIZES), args.profile)
    info = report.machine()
    results, query = run_benchmark(specs, args.timeout, keep_going=args.keep_going, query=not args.no_query, log=_log)
    command = results[0].command if results else "matrix"
    title = (f"netpolicy {command}, profile {args.profile}: load and analysis in-process, "
             f"total and peak RSS end to end")
    report.print_table(title, SIZE_HEADERS, size_rows(results))
    section, heading = results_section("bench", args.profile)
    body = [f"{heading}\n\n{report.machine_line(info)}\n\nTime limit {args.timeout:g} s per size and step. "
            f"Load and analysis: `netpolicy.api.load_cluster` and `netpolicy.engine.matrix.compute_matrix` timed "
            f"in one process; total and peak RSS: `netpolicy {command}` as a child process, output included.\n",
            report.markdown_table(SIZE_HEADERS, size_rows(results))]
    if query is not None:
        report.print_table("netpolicy query on the largest size (answer = beyond loading)", QUERY_HEADERS,
                           query_rows(query))
        body += ["`netpolicy query -o json` (answer: `FlowEvaluator.evaluate` after loading):\n",
                 report.markdown_table(QUERY_HEADERS, query_rows(query))]
    if not args.no_write:
        report.write_section(section, "\n".join(body))
        _log(f"written to {report.RESULTS}")
    return 0


def compare_main(argv: list[str]) -> int:
    """Install network-config-analyzer in its own venv and time both tools on the same Kubernetes-only files."""
    from bench import report
    from bench.compare import (
        COMPARE_HEADERS,
        NCA_OUTPUT,
        NCA_VERSION,
        REPEAT_UNDER,
        compare_rows,
        ensure_nca,
        our_matrix_args,
        run_compare,
    )
    from bench.run import supports_group_by

    parser = argparse.ArgumentParser(prog="python -m bench compare", description=compare_main.__doc__)
    parser.add_argument("--sizes", help="comma-separated sizes (default: 500,1k,10k for mixed, 500,1k for "
                                        "scale-test, where the peer needs minutes already at 1k)")
    parser.add_argument("--peer-timeout", type=float, default=400, help="seconds NCA may take per size (default 400)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds netpolicy may take per size (default 300)")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    parser.add_argument("--repeat", type=int, default=3,
                        help="best of this many runs for each tool, for runs under 120 s (default 3)")
    parser.add_argument("--profile", default=",".join(COMPARE_PROFILES),
                        help=f"comma-separated policy profiles (default: {', '.join(COMPARE_PROFILES)})")
    args = parser.parse_args(argv)
    profiles = _profiles(parser, args.profile)
    plans = [(profile, _sizes(parser, args.sizes or COMPARE_SIZES[profile], profile)) for profile in profiles]
    try:
        ensure_nca(log=_log)
    except (OSError, subprocess.CalledProcessError) as error:
        _log(f"could not install network-config-analyzer {NCA_VERSION}: {error}")
        return 1
    group_by = supports_group_by()
    ours = "netpolicy " + " ".join(our_matrix_args(group_by))
    for profile, specs in plans:
        info = report.machine()
        results = run_compare(specs, args.timeout, args.peer_timeout, group_by=group_by, repeat=max(args.repeat, 1),
                              log=_log)
        rows = compare_rows(results)
        report.print_table(f"profile {profile}: {ours} vs NCA {NCA_VERSION} --connectivity -o {NCA_OUTPUT}",
                           COMPARE_HEADERS, rows)
        section, heading = results_section("compare", profile)
        body = (f"{heading}\n\n{report.machine_line(info)}\n\nSame Kubernetes-only files for both: "
                f"`{ours}` and network-config-analyzer {NCA_VERSION} "
                f"`nca --connectivity -r DIR -o {NCA_OUTPUT}`, each as a child process, best of "
                f"{max(args.repeat, 1)} runs for runs under {REPEAT_UNDER:g} s; NCA limited to "
                f"{args.peer_timeout:g} s per size. Speed-up = NCA time / netpolicy time.\n\n"
                + report.markdown_table(COMPARE_HEADERS, rows))
        if not args.no_write:
            report.write_section(section, body)
            _log(f"written to {report.RESULTS}")
    return 0


def generate_main(argv: list[str]) -> int:
    """Only generate clusters (see `python -m bench generate --help`)."""
    from bench.generate import main

    return main(argv)


COMMANDS = {"run": run_main, "compare": compare_main, "generate": generate_main}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a sub-command; options alone mean `run`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: python -m bench [{'|'.join(COMMANDS)}] [options]  (run when none is named;"
              " `python -m bench COMMAND --help` for its options)")
        return 0
    command = argv.pop(0) if argv and argv[0] in COMMANDS else "run"
    return COMMANDS[command](argv)


if __name__ == "__main__":
    sys.exit(main())
