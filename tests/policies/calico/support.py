"""Helpers for the Calico policy tests: YAML text in, compiled result and diagnostics out."""

from __future__ import annotations

import io
import textwrap

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import Cluster
from netpolicy.options import Options
from netpolicy.policies.calico.compile import CalicoResult, compile_calico
from netpolicy.sources.raw import RawObject
from netpolicy.sources.reader import read_objects


def read(text: str) -> list[RawObject]:
    """The objects of a YAML text (dedented), with line numbers, as read from `<stdin>`."""
    diags = Diagnostics()
    objects = read_objects(["-"], diags, stdin=io.StringIO(textwrap.dedent(text)))
    assert not diags.problems, diags.problems
    return objects


def compile_yaml(text: str, cluster: Cluster | None = None,
                 options: Options | None = None) -> tuple[CalicoResult, Diagnostics]:
    """Compile every Calico object of a YAML text."""
    diags = Diagnostics()
    result = compile_calico(read(text), cluster or Cluster(), options or Options(), diags)
    return result, diags


def messages(diags: Diagnostics, severity: str = "error") -> list[str]:
    """Every problem of one severity as the user sees it."""
    return [str(p) for p in diags.problems if p.severity == severity]


def policy_yaml(spec: str, kind: str = "NetworkPolicy", name: str = "p", namespace: str | None = "prod") -> str:
    """A Calico policy document around an (indented) spec body."""
    ns = f"\n  namespace: {namespace}" if namespace else ""
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    return f"apiVersion: projectcalico.org/v3\nkind: {kind}\nmetadata:\n  name: {name}{ns}\nspec:\n{body}\n"


def rule_yaml(rule: str, direction: str = "ingress", kind: str = "NetworkPolicy") -> str:
    """A policy with one rule (given as the YAML of the rule mapping) in one direction."""
    body = textwrap.indent(textwrap.dedent(rule).strip("\n"), "  ")
    body = "- " + body[2:]
    namespace = None if kind.startswith("Global") or kind.startswith("StagedGlobal") else "prod"
    return policy_yaml(f"{direction}:\n{body}", kind=kind, namespace=namespace)
