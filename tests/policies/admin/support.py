"""Helpers for the admin policy tests: YAML text in, compiled policy and problems out."""

from __future__ import annotations

import textwrap

from netpolicy.errors import Diagnostics
from netpolicy.model import ir
from netpolicy.options import Options
from netpolicy.policies.admin import compile_admin_policy
from tests.policies.kubernetes.support import load

API_VERSION = {"ClusterNetworkPolicy": "v1alpha2", "AdminNetworkPolicy": "v1alpha1",
               "BaselineAdminNetworkPolicy": "v1alpha1"}


def admin_yaml(spec: str, kind: str = "ClusterNetworkPolicy", name: str = "platform") -> str:
    """An admin policy document around an (unindented) spec body."""
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    return (f"apiVersion: policy.networking.k8s.io/{API_VERSION[kind]}\nkind: {kind}\nmetadata:\n"
            f"  name: {name}\nspec:\n{body}\n")


def compile_admin(text: str, version: tuple[int, int] = (3, 32)) -> tuple[ir.Policy | None, Diagnostics]:
    diags = Diagnostics()
    return compile_admin_policy(load(text, "admin.yaml"), Options(calico_version=version), diags), diags
