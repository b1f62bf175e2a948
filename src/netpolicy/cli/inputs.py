"""The input options of every reading command (extra paths, --helm, -k, --context, -n, -A), added by one decorator."""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from netpolicy.inputs import Inputs, running_as_plugin

_CURRENT: contextvars.ContextVar[Inputs | None] = contextvars.ContextVar("netpolicy_inputs", default=None)
_PANEL = "Input"

_OPTIONS: dict[str, tuple[Any, Any]] = {
    "helm": (Annotated[list[str], typer.Option(
        "--helm", help="Helm chart (directory, archive or repo/name) rendered with `helm template` (repeatable).",
        rich_help_panel=_PANEL)], []),
    "values": (Annotated[list[str], typer.Option(
        "--values", help="With --helm: a values file, as for helm template (repeatable).", rich_help_panel=_PANEL)], []),
    "release": (Annotated[str | None, typer.Option(
        "--release", help="With --helm: the release name (default: release).", rich_help_panel=_PANEL)], None),
    "kustomize": (Annotated[list[str], typer.Option(
        "-k", "--kustomize", help="Kustomization directory built with `kubectl kustomize` (repeatable).",
        rich_help_panel=_PANEL)], []),
    "context": (Annotated[str | None, typer.Option(
        "--context", help="Read this kubeconfig context's live cluster (read-only: list requests only).",
        rich_help_panel=_PANEL)], None),
    "kubeconfig": (Annotated[str | None, typer.Option(
        "--kubeconfig", help="Kubeconfig file for the live cluster (default: $KUBECONFIG or ~/.kube/config).",
        rich_help_panel=_PANEL)], None),
    "namespace": (Annotated[str | None, typer.Option(
        "-n", "--namespace", help="Live cluster: read this namespace only (cluster-scoped kinds too); "
        "--helm: the release namespace.", rich_help_panel=_PANEL)], None),
    "all_namespaces": (Annotated[bool, typer.Option(
        "-A", "--all-namespaces", help="Live cluster: read every namespace (the default).",
        rich_help_panel=_PANEL)], False),
}
_PATHS = (Annotated[list[str], typer.Argument(
    help="More files or directories, as after -f (so `-f a.yaml b.yaml` and `-f *.yaml` work).",
    show_default=False)], [])


def with_inputs(command: Callable[..., Any], *, paths: bool = True) -> Callable[..., Any]:
    """`command` with the input options added; its own `files` parameter receives -f and the extra paths."""
    added = dict(_OPTIONS, paths=_PATHS) if paths else dict(_OPTIONS)

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        extra = {name: kwargs.pop(name) for name in added}
        files = [*kwargs.get("files", []), *extra.pop("paths", [])]
        kwargs["files"] = files
        token = _CURRENT.set(Inputs(files=files, as_plugin=running_as_plugin(), **extra))
        try:
            return command(*args, **kwargs)
        finally:
            _CURRENT.reset(token)

    signature = inspect.signature(command, eval_str=True)
    parameters = list(signature.parameters.values())
    parameters += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
                   for name, (annotation, default) in added.items()]
    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {**{p.name: p.annotation for p in parameters}, "return": signature.return_annotation}
    del run.__wrapped__  # typer reads the signature above, not the command's own
    return run


def current_inputs(files: list[str]) -> Inputs:
    """The inputs of the command running now with `files` as its paths (only `files` when it has no input
    options): `diff` and `report` read their after side's paths with the command's other input options."""
    current = _CURRENT.get()
    return Inputs(files=list(files)) if current is None else dataclasses.replace(current, files=list(files))
