"""Lint: what is wrong with a set of policies, as a senior network engineer would say it.

`run_lint(cluster, options, config)` runs every rule of `RULES` (one module per rule, see `rules/`)
and returns `Finding`s sorted by file and line. `load_config` reads `.netpolicy.yaml` or a given file.
"""

from __future__ import annotations

from pathlib import Path

from netpolicy.analysis.lint.config import LintConfig, read_config
from netpolicy.analysis.lint.finding import SEVERITIES, Finding, at_or_above
from netpolicy.analysis.lint.rules import RULES
from netpolicy.analysis.lint.runner import IGNORE_ANNOTATION, run_lint

__all__ = ["IGNORE_ANNOTATION", "RULES", "SEVERITIES", "Finding", "LintConfig", "at_or_above", "load_config",
           "run_lint"]


def load_config(path: str | None = None, cwd: Path | None = None) -> LintConfig:
    """`path` if given (it must exist), else `.netpolicy.yaml` in `cwd` if present, else the defaults;
    rule ids and options are checked against `RULES`."""
    return read_config(path, RULES, cwd)
