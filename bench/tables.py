"""Benchmark results as table rows (shared by the terminal and the Markdown file)."""

from __future__ import annotations

from bench.report import count, megabytes, seconds
from bench.run import QueryResult, SizeResult

SIZE_HEADERS = ("size", "pods", "policies", "namespaces", "classes", "class flows", "load s", "analysis s",
                "total s", "peak RSS MB", "output MB", "status")
QUERY_HEADERS = ("size", "flow", "verdict", "load s", "answer s", "total s", "peak RSS MB", "status")


def size_rows(results: list[SizeResult]) -> list[tuple[str, ...]]:
    """One row per size: load and analysis in-process, total and peak RSS of the CLI end to end."""
    return [(r.name, count(r.pods), count(r.policies), count(r.namespaces),
             _count(r.classes), _count(r.class_flows), seconds(r.load_s),
             seconds(r.analysis_s), seconds(r.total_s), megabytes(r.peak_rss_mb), _output(r.output_mb), r.status)
            for r in results]


def _count(value: int | None) -> str:
    return "—" if value is None else count(value)


def _output(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def query_rows(result: QueryResult) -> list[tuple[str, ...]]:
    """The query's row: answer time beyond loading, and the CLI end to end."""
    flow = f"{result.source} → {result.target} {result.protocol} {result.port}"
    return [(result.name, flow, result.verdict or "—", seconds(result.load_s), seconds(result.answer_s),
             seconds(result.total_s), megabytes(result.peak_rss_mb), result.status)]
