"""Calico IPPool objects, validated as Calico's API does (`libcalico-go/lib/validator/v3/validator.go`
validateIPPoolSpec, the IPPoolSpec CEL rules) and defaulted as its IPAM does (docs/semantics.md#nat-outgoing)."""

from __future__ import annotations

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import IPPool
from netpolicy.policies.calico.models import IPPoolSpec, load_spec
from netpolicy.policies.calico.names import is_subdomain
from netpolicy.policies.calico.selectors import check_selector
from netpolicy.policies.calico.values import ValueProblem, has_host_bits, parse_net
from netpolicy.sources.raw import RawObject

ENCAP_MODES = ("Never", "Always", "CrossSubnet")
ALLOWED_USES = ("Workload", "Tunnel", "LoadBalancer")
#: Block sizes Calico accepts (`blockSize` kubebuilder ranges) and its defaults, by address family.
BLOCK_SIZES = {4: (20, 32, 26), 6: (116, 128, 122)}


def compile_ip_pool(raw: RawObject, diags: Diagnostics) -> IPPool | None:
    """An IPPool; None (errors reported) if Calico would reject it."""
    errors_before = len(diags.errors)
    if not raw.name or not is_subdomain(raw.name):
        diags.error(f"{raw.name!r} is not a valid name" if raw.name else "is required", raw.at("metadata.name"),
                    "metadata.name", "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'")
    spec = load_spec(IPPoolSpec, raw, diags)
    if spec is None:
        return None
    cidr = _cidr(raw, diags, spec.cidr)
    for field, value in (("ipipMode", spec.ipip_mode), ("vxlanMode", spec.vxlan_mode)):
        if value and value not in ENCAP_MODES:
            diags.error(f"{value!r} is not an encapsulation mode", raw.at(f"spec.{field}"), f"spec.{field}",
                        ", ".join(ENCAP_MODES))
    if spec.ipip_mode not in ("", "Never") and spec.vxlan_mode not in ("", "Never"):
        diags.error("IPIP and VXLAN cannot both be enabled", raw.at("spec.vxlanMode"), "spec.vxlanMode",
                    "ipipMode or vxlanMode Never")
    uses = tuple(spec.allowed_uses or ("Workload", "Tunnel"))
    for i, use in enumerate(uses):
        if use not in ALLOWED_USES:
            diags.error(f"unknown use {use!r}", raw.at(f"spec.allowedUses[{i}]"), f"spec.allowedUses[{i}]",
                        ", ".join(ALLOWED_USES))
    if spec.node_selector:
        check_selector(spec.node_selector, raw, diags, "spec.nodeSelector")
    block = spec.block_size
    if cidr is not None:
        low, high, default = BLOCK_SIZES[cidr.version]
        if block is not None and not low <= block <= high:
            diags.error(f"{block} is not a block size for an IPv{cidr.version} pool", raw.at("spec.blockSize"),
                        "spec.blockSize", f"{low}-{high}")
        block = default if block is None else block
    if len(diags.errors) > errors_before or cidr is None:
        return None
    return IPPool(raw.name, cidr, spec.nat_outgoing, spec.disabled, spec.ipip_mode or "Never",
                  spec.vxlan_mode or "Never", block, spec.node_selector or "all()", uses, spec.disable_bgp_export,
                  raw.location)


def _cidr(raw: RawObject, diags: Diagnostics, text: str):
    """spec.cidr: required, a subnet without host bits (validateIPPoolSpec)."""
    if not text:
        diags.error("is required", raw.at("spec.cidr"), "spec.cidr", "the pool's CIDR, e.g. 10.244.0.0/16")
        return None
    try:
        network = parse_net(text)
    except ValueProblem as problem:
        diags.error(problem.message, raw.at("spec.cidr"), "spec.cidr", problem.expected)
        return None
    if has_host_bits(text, network):
        diags.error(f"{text} has host bits set", raw.at("spec.cidr"), "spec.cidr", f"the network itself: {network}")
        return None
    return network
