"""Cluster-wide admin policies: ClusterNetworkPolicy (v1alpha2, Calico 3.32+) and Admin/BaselineAdminNetworkPolicy
(v1alpha1, Calico 3.29-3.31), validated as their CRDs do and compiled as Calico converts them.

`--calico-version` decides which kinds exist: a kind the chosen Calico does not enforce is reported
with a located warning and left out, as that Calico would leave it out.
"""

from __future__ import annotations

from netpolicy.errors import Diagnostics
from netpolicy.model import ir
from netpolicy.options import Options
from netpolicy.sources.raw import RawObject

#: The Calico versions that enforce each kind: (first, last) minor release; None = still enforced.
SUPPORT = {
    "ClusterNetworkPolicy": ((3, 32), None),
    "AdminNetworkPolicy": ((3, 29), (3, 31)),
    "BaselineAdminNetworkPolicy": ((3, 30), (3, 31)),
}
API_VERSIONS = {
    "ClusterNetworkPolicy": "policy.networking.k8s.io/v1alpha2",
    "AdminNetworkPolicy": "policy.networking.k8s.io/v1alpha1",
    "BaselineAdminNetworkPolicy": "policy.networking.k8s.io/v1alpha1",
}


def version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def enforced_by(kind: str, version: tuple[int, int]) -> bool:
    """Does Calico `version` enforce this kind at all?"""
    first, last = SUPPORT[kind]
    return version >= first and (last is None or version <= last)


def support_text(kind: str) -> str:
    first, last = SUPPORT[kind]
    return f"Calico {version_text(first)}" + (f"-{version_text(last)}" if last else "+")


def compile_admin_policy(obj: RawObject, options: Options, diags: Diagnostics) -> ir.Policy | None:
    """Validate `obj` (problems into `diags`) and compile it; None if invalid or not enforced by the version."""
    from netpolicy.policies.admin.compile import build_admin_policy
    from netpolicy.policies.admin.models import AdminPolicySpec
    from netpolicy.policies.admin.validation import APIS, validate_admin_policy
    from netpolicy.policies.calico.models import load_spec

    kind = obj.kind
    api = APIS[kind]
    spec = load_spec(AdminPolicySpec, obj, diags, reference=f"the {kind} API ({API_VERSIONS[kind]})")
    if spec is None or validate_admin_policy(api, spec, obj, diags):
        return None
    version = options.calico_version
    if not enforced_by(kind, version):
        replacement = ("ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2)" if kind != "ClusterNetworkPolicy"
                       else "AdminNetworkPolicy/BaselineAdminNetworkPolicy (v1alpha1)")
        diags.warn(f"{kind} {obj.name!r} is not enforced by Calico {version_text(version)} (only by "
                   f"{support_text(kind)}): left out of every result", obj.at(""), "kind",
                   f"--calico-version in the range of {support_text(kind)}",
                   f"on Calico {version_text(version)} use {replacement} instead")
        return None
    policy, notes = build_admin_policy(api, spec, obj, version_text(version))
    for path, note in notes:
        diags.warn(note, obj.at(path), path)
    return policy
