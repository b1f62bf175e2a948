"""Helm charts and kustomizations rendered by their own tools (`helm template`, `kubectl kustomize`)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from netpolicy.errors import InputError

TIMEOUT = 300  # seconds a render may take


@dataclass(frozen=True)
class Rendered:
    """The YAML a tool printed, and the command that printed it (the input's name in messages)."""

    name: str
    text: str


def helm_template(chart: str, values: Sequence[str] = (), release: str | None = None,
                  namespace: str | None = None) -> Rendered:
    """`helm template` of a chart directory, archive or reference, with values files and namespace."""
    command = ["helm", "template", release or "release", chart]
    for path in values:
        command += ["--values", path]
    if namespace:
        command += ["--namespace", namespace]
    if shutil.which("helm") is None:
        raise InputError("--helm needs helm, which is not installed (not on PATH)",
                         suggestion="install helm (https://helm.sh/docs/intro/install/), or render elsewhere and "
                                    f"pipe it in: {_show(command)} | netpolicy matrix -f -")
    return _run(command, "--helm")


def kustomize_build(directory: str) -> Rendered:
    """The kustomization in `directory` built by `kubectl kustomize`, or by `kustomize build` without kubectl."""
    if shutil.which("kubectl") is not None:
        command = ["kubectl", "kustomize", directory]
    elif shutil.which("kustomize") is not None:
        command = ["kustomize", "build", directory]
    else:
        raise InputError("-k needs kubectl or kustomize, and neither is installed (not on PATH)",
                         suggestion="install kubectl (https://kubernetes.io/docs/tasks/tools/) or kustomize")
    return _run(command, "-k")


def _run(command: list[str], option: str) -> Rendered:
    shown = _show(command)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(f"{option}: `{shown}` did not finish in {TIMEOUT} s") from None
    except OSError as exc:
        raise InputError(f"{option}: cannot run `{shown}`: {exc.strerror or exc}") from None
    if done.returncode != 0:
        said = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise InputError(f"{option}: `{shown}` failed (exit {done.returncode})"
                         + (f": {said[-1][:300]}" if said else ""))
    return Rendered(shown, done.stdout)


def _show(command: list[str]) -> str:
    return " ".join(shlex.quote(part) for part in command)
