"""Directories that are not plain manifests (Helm charts, kustomizations) and the command that reads each."""

from __future__ import annotations

import os
import shlex

CHART_FILE = "Chart.yaml"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: Files of a chart's or kustomization's own that are not Kubernetes objects.
_HINTS = {
    "chart.yaml": "a Helm chart's description; render the chart with --helm DIR",
    "values.yaml": "Helm values, not objects; render the chart with --helm DIR --values FILE",
    "kustomization.yaml": "a kustomization; read its output with -k DIR",
    "kustomization.yml": "a kustomization; read its output with -k DIR",
}


def is_chart(directory: str) -> bool:
    """Whether `directory` is a Helm chart (it holds Chart.yaml)."""
    return os.path.isfile(os.path.join(directory, CHART_FILE))


def kustomization_file(directory: str) -> str | None:
    """The kustomization file at the top of `directory`, if there is one."""
    for name in KUSTOMIZATION_FILES:
        if os.path.isfile(os.path.join(directory, name)):
            return name
    return None


def refusal(directory: str) -> str | None:
    """Why `directory` cannot be read as plain manifests, naming the option that reads it; None if it can."""
    quoted = shlex.quote(directory.rstrip("/") or "/")
    if is_chart(directory):
        return (f"a Helm chart: its templates are not plain YAML; give it as --helm {quoted} instead of -f "
                f"(with --values FILE as for helm template)")
    if kustomization_file(directory) is not None:
        return (f"a kustomization: reading its files as they are would miss its patches and namespaces; "
                f"give it as -k {quoted} instead of -f")
    return None


def hint_for_file(path: str) -> str:
    """What a skipped file probably is, for the warning (empty when nothing specific is known)."""
    return _HINTS.get(os.path.basename(path).lower(), "")
