"""Felix's names and mark bits: chain prefixes, policy and profile chain names, the mark layout."""

from __future__ import annotations

import hashlib
import re

from netpolicy.model.ir import (
    ADMIN_NETWORK_POLICY,
    BASELINE_ADMIN_NETWORK_POLICY,
    CALICO_NETWORK_POLICY,
    CLUSTER_NETWORK_POLICY,
    GLOBAL_NETWORK_POLICY,
    K8S_NETWORK_POLICY,
    Policy,
)

# Felix's default mark bits (IptablesMarkMask 0xffff0000): accept, pass, and two scratch bits.
MARK_ACCEPT = 0x10000
MARK_PASS = 0x20000
MARK_SCRATCH = 0x40000
MARK_ALL = 0xF0000

TABLE = "calico"
FORWARD = "cali-FORWARD"
FROM_WL_DISPATCH = "cali-from-wl-dispatch"
TO_WL_DISPATCH = "cali-to-wl-dispatch"
LOG_PREFIX = "calico-packet: "

KIND_SHORT = {
    K8S_NETWORK_POLICY: "knp",
    CALICO_NETWORK_POLICY: "np",
    GLOBAL_NETWORK_POLICY: "gnp",
    ADMIN_NETWORK_POLICY: "anp",
    BASELINE_ADMIN_NETWORK_POLICY: "banp",
    CLUSTER_NETWORK_POLICY: "kcnp",
}
_NAME_LIMIT = 200


def hexmark(value: int) -> str:
    return f"0x{value:08x}"


def clear_bits(bits: int) -> str:
    """`meta mark set meta mark & <mask>`: clear the given bits, keep the others."""
    return f"meta mark set meta mark & {hexmark(0xFFFFFFFF & ~bits)}"


def set_bits(bits: int) -> str:
    return f"meta mark set meta mark | {hexmark(bits)}"


def bits_set(bits: int) -> str:
    return f"meta mark & {hexmark(bits)} == {hexmark(bits)}"


def bits_clear(bits: int) -> str:
    return f"meta mark & {hexmark(bits)} == 0"


def safe_name(name: str) -> str:
    """An nft identifier: `[A-Za-z0-9_./-]`, starting with a letter, bounded in length."""
    cleaned = re.sub(r"[^A-Za-z0-9_./-]", "_", name)
    if len(cleaned) > _NAME_LIMIT:
        digest = hashlib.sha1(name.encode()).hexdigest()[:10]
        cleaned = cleaned[:_NAME_LIMIT - 11] + "-" + digest
    return cleaned


def policy_chain(policy: Policy, direction: str) -> str:
    """`cali-pi-<tier>/<kind>/<namespace>/<name>` (ingress) or `cali-po-…` (egress)."""
    prefix = "cali-pi-" if direction == "ingress" else "cali-po-"
    kind = KIND_SHORT.get(policy.kind, policy.kind.lower())
    parts = [policy.tier or "default", kind] + ([policy.namespace] if policy.namespace else []) + [policy.name]
    return safe_name(prefix + "/".join(parts))


def profile_chain(name: str, direction: str) -> str:
    """`cali-pri-<profile>` (ingress) or `cali-pro-<profile>` (egress), as Felix names them."""
    return safe_name(("cali-pri-" if direction == "ingress" else "cali-pro-") + name)


def endpoint_chain(iface: str, direction: str) -> str:
    """`cali-tw-<iface>` (to the workload: ingress) or `cali-fw-<iface>` (from it: egress)."""
    return ("cali-tw-" if direction == "ingress" else "cali-fw-") + iface
