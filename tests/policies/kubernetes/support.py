"""Helpers for the Kubernetes NetworkPolicy tests: YAML text in, compiled policy and problems out."""

from __future__ import annotations

import textwrap

from netpolicy.errors import Diagnostics, Location
from netpolicy.model import ir
from netpolicy.options import Options
from netpolicy.policies.kubernetes.compile import compile_network_policy
from netpolicy.selectors import parse
from netpolicy.sources.lines import FieldLines
from netpolicy.sources.raw import RawObject
from netpolicy.sources.yaml_loader import parse_yaml

FILE = "web.yaml"


def load(text: str, file: str = FILE) -> RawObject:
    """The single object of a YAML text (dedented), with the line of every field."""
    (document,) = parse_yaml(textwrap.dedent(text))
    return RawObject(document.data, Location(file, document.line), FieldLines(document.data, document.table))


def compile_yaml(text: str, options: Options | None = None) -> tuple[ir.Policy | None, Diagnostics]:
    """Compile the NetworkPolicy of a YAML text."""
    diags = Diagnostics()
    return compile_network_policy(load(text), options or Options(), diags), diags


def compile_data(data: dict, options: Options | None = None) -> tuple[ir.Policy | None, Diagnostics]:
    """Compile a NetworkPolicy given as data (no line numbers)."""
    diags = Diagnostics()
    return compile_network_policy(RawObject(data, Location(FILE)), options or Options(), diags), diags


def policy_yaml(spec: str, name: str = "web", namespace: str | None = "prod") -> str:
    """A NetworkPolicy document around an (unindented) spec body."""
    ns = f"\n  namespace: {namespace}" if namespace else ""
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    return f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}{ns}\nspec:\n{body}\n"


def canonical(calico_selector: str) -> str:
    """A selector written in Calico syntax, in the shared canonical form."""
    return str(parse(calico_selector))


def messages(diags: Diagnostics, severity: str = "error") -> list[str]:
    """Every problem of one severity as the user sees it."""
    return [str(p) for p in diags.problems if p.severity == severity]
