"""The runner: child measurement, tables, the results file, the peer comparison's arithmetic, a tiny run."""

from __future__ import annotations

import argparse
import io
import sys

import pytest
from bench.__main__ import main
from bench.compare import CompareResult, compare_rows
from bench.measure import Measured, run_measured
from bench.run import QueryResult, SizeResult, run_benchmark
from bench.sizes import ClusterSpec
from bench.tables import QUERY_HEADERS, SIZE_HEADERS, query_rows, size_rows
from rich.console import Console

from bench import report

TINY = ClusterSpec("tiny", 40, 10, 4, seed=3)


def python(code: str) -> list[str]:
    """A command running `code` in this interpreter."""
    return [sys.executable, "-c", code]


def test_measure_keeps_output_and_peak_memory_of_the_child():
    measured = run_measured(python("block = bytearray(80_000_000); block[::4096] = b'x' * len(block[::4096]); "
                                   "print('done')"), 120)
    assert measured.ok
    assert measured.stdout.strip() == "done"
    assert measured.peak_rss_mb >= 80


@pytest.mark.parametrize(("code", "status"), [
    ("import sys; sys.exit(3)", "exit 3"),
    ("import sys; print('bad', file=sys.stderr); sys.exit(1)", "exit 1"),
    ("pass", "ok"),
])
def test_measure_reports_how_the_child_ended(code, status):
    assert run_measured(python(code), 120).status == status


def test_measure_kills_a_child_past_its_time_limit():
    measured = run_measured(python("import time; time.sleep(120)"), 0.5)
    assert measured.status == "timeout"


def test_measure_writes_stdout_to_a_file_when_asked(tmp_path):
    target = tmp_path / "out.txt"
    measured = run_measured(python("print('x' * 10)"), 120, stdout_path=target)
    assert measured.ok and measured.stdout == ""
    assert target.read_text().strip() == "x" * 10


SIZES = [
    SizeResult("500", 500, 100, 10, "matrix -o json --group-by class", "ok", 0.5, 0.25, 1.5, 210.4, 3.04, 120,
               14_400),
    SizeResult("150k", 150_000, 10_000, 10_000, "matrix -o json --group-by class",
               "timeout after 60 s (analysis)", 20.0),
]


def test_size_rows_format_every_column():
    rows = size_rows(SIZES)
    assert len(rows[0]) == len(SIZE_HEADERS)
    assert rows[0] == ("500", "500", "100", "10", "120", "14,400", "0.500", "0.250", "1.50", "210", "3.0", "ok")
    assert rows[1][1:6] == ("150,000", "10,000", "10,000", "—", "—")
    assert rows[1][6:11] == ("20.00", "—", "—", "—", "—")


def test_rich_and_markdown_tables_hold_the_same_cells():
    rows = size_rows(SIZES)
    console = Console(file=io.StringIO(), width=200, record=True)
    report.print_table("bench", SIZE_HEADERS, rows, console)
    text = console.export_text()
    markdown = report.markdown_table(SIZE_HEADERS, rows)
    for cell in ("150,000", "timeout after 60 s (analysis)", "210", "peak RSS MB"):
        assert cell in text
        assert cell in markdown
    lines = markdown.strip().splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[1].startswith("| --- | ---: |")


def test_query_row_names_the_flow():
    result = QueryResult("150k", "a/x", "b/y", 5432, "TCP", "ok", "allow", 12.0, 0.02, 13.5, 900.0)
    row = query_rows(result)[0]
    assert len(row) == len(QUERY_HEADERS)
    assert row[1] == "a/x → b/y TCP 5432"
    assert row[2:5] == ("allow", "12.00", "0.020")


def test_results_file_sections_are_replaced_and_kept(tmp_path):
    path = tmp_path / "RESULTS.md"
    report.write_section("bench", "first bench", path)
    report.write_section("compare", "first compare", path)
    report.write_section("bench", "second bench", path)
    text = path.read_text()
    assert text.startswith("# netpolicy benchmark results")
    assert "second bench" in text and "first compare" in text and "first bench" not in text
    assert text.index("second bench") < text.index("first compare")


def test_new_results_section_goes_after_the_others_and_before_notes(tmp_path):
    path = tmp_path / "RESULTS.md"
    report.write_section("bench", "bench table", path)
    path.write_text(path.read_text() + "\n## Reading the figures\n\nnotes\n")
    report.write_section("compare-scale-test", "scale table", path)
    report.write_section("compare-scale-test", "scale table again", path)
    text = path.read_text()
    assert text.index("bench table") < text.index("scale table again") < text.index("## Reading the figures")
    assert "scale table\n" not in text and text.endswith("notes\n")


def test_machine_description_names_cpus_memory_and_python():
    info = report.machine()
    line = report.machine_line(info)
    assert info["nproc"].isdigit()
    assert info["python"] in line and "CPUs" in line and "RAM" in line


def measured(status: str, seconds: float) -> Measured:
    """A child run that ended with `status` after `seconds`."""
    return Measured(status, seconds, 100.0, "", "")


@pytest.mark.parametrize(("ours", "peer", "ratio", "status"), [
    (measured("ok", 0.5), measured("ok", 27.0), "54.0×", "ok"),
    (measured("ok", 2.0), measured("timeout", 300.0), "≥150×", "netpolicy ok, NCA timeout"),
    (measured("ok", 2.0), measured("exit 1", 3.0), "—", "netpolicy ok, NCA exit 1"),
    (measured("timeout", 300.0), measured("ok", 30.0), "—", "netpolicy timeout, NCA ok"),
    (measured("ok", 2.0), None, "—", "NCA not run"),
])
def test_comparison_ratio_and_status(ours, peer, ratio, status):
    result = CompareResult("500", 500, 100, 10, ours, peer)
    assert result.ratio == ratio
    assert result.status == status
    row = compare_rows([result])[0]
    assert row[-2:] == (ratio, status)


def test_generate_command_writes_the_sizes_asked_for(tmp_path):
    assert main(["generate", "--sizes", "30/6/4", "--out", str(tmp_path), "--k8s-only"]) == 0
    assert (tmp_path / "30p6n4-k8s" / "pods.yaml").is_file()
    assert (tmp_path / "30p6n4-k8s.spec.json").is_file()


def test_tiny_run_end_to_end_fills_every_figure(tmp_path):
    results, query = run_benchmark([TINY], 300, root=tmp_path, log=lambda _: None)
    (result,) = results
    assert result.status == "ok", result.status
    assert (result.pods, result.policies, result.namespaces) == (40, 10, 4)
    assert None not in (result.load_s, result.analysis_s, result.total_s, result.peak_rss_mb, result.classes,
                        result.class_flows)
    assert result.output_mb > 0
    assert query is not None and query.status == "ok", query.status
    assert query.verdict in ("allow", "deny")
    row = size_rows(results)[0]
    assert row[:4] == ("tiny", "40", "10", "4")


@pytest.mark.parametrize(("text", "expected"), [
    ("mixed", ["mixed"]),
    ("scale-test,mixed", ["scale-test", "mixed"]),
    (" mixed , scale-test ", ["mixed", "scale-test"]),
])
def test_compare_takes_a_list_of_profiles(text, expected):
    from bench.__main__ import _profiles

    assert _profiles(argparse.ArgumentParser(), text) == expected


@pytest.mark.parametrize("text", ["nope", "mixed,nope", ""])
def test_compare_refuses_unknown_profiles(text):
    from bench.__main__ import _profiles

    with pytest.raises(SystemExit):
        _profiles(argparse.ArgumentParser(), text)


def test_compare_has_default_sizes_for_every_profile():
    from bench.__main__ import COMPARE_SIZES
    from bench.sizes import PROFILES

    assert set(COMPARE_SIZES) == set(PROFILES)


@pytest.mark.parametrize(("runs", "repeat", "calls", "best"), [
    ([2.0, 1.0, 3.0], 3, 3, 1.0),
    ([2.0, 1.0, 3.0], 1, 1, 2.0),
    ([200.0, 1.0], 3, 1, 200.0),        # a long run is not repeated
    ([2.0, 500.0, 1.5], 3, 3, 1.5),
])
def test_best_of_keeps_the_fastest_short_run(runs, repeat, calls, best):
    from bench.compare import best_of

    made = iter(runs)
    taken = []

    def run() -> Measured:
        taken.append(1)
        return Measured("ok", next(made), 10.0, "", "")

    assert best_of(run, repeat).seconds == best
    assert len(taken) == calls


def test_best_of_does_not_repeat_a_failure():
    from bench.compare import best_of

    taken = []

    def run() -> Measured:
        taken.append(1)
        return Measured("timeout", 5.0, None, "", "")

    assert best_of(run, 3).status == "timeout"
    assert len(taken) == 1
