"""IPPool objects, validated as Calico's API does (`libcalico-go/lib/validator/v3/validator.go`
validateIPPoolSpec; the IPPoolSpec CEL rules and kubebuilder ranges in `api/pkg/apis/projectcalico/v3/ippool.go`)
and defaulted as its IPAM does (docs/semantics.md#nat-outgoing)."""

from __future__ import annotations

import ipaddress

import pytest

from .support import compile_yaml, messages


def _pool(spec: str, name: str = "pool") -> str:
    return f"apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: {name}\nspec:\n{spec}"


def test_a_pool_and_its_defaults():
    result, diags = compile_yaml(_pool("  cidr: 10.244.0.0/16\n  natOutgoing: true\n"))
    assert not diags.problems
    (pool,) = result.ip_pools
    assert (pool.name, pool.cidr, pool.nat_outgoing, pool.disabled) == \
        ("pool", ipaddress.ip_network("10.244.0.0/16"), True, False)
    assert (pool.block_size, pool.ipip_mode, pool.vxlan_mode, pool.node_selector, pool.allowed_uses) == \
        (26, "Never", "Never", "all()", ("Workload", "Tunnel"))


def test_ipv6_default_block_size():
    result, _ = compile_yaml(_pool("  cidr: fd00:10:244::/64\n"))
    assert result.ip_pools[0].block_size == 122


# (case, spec, error fragment: FILE:LINE: field.path: problem)
ERRORS = [
    ("no cidr", "  natOutgoing: true\n", "<stdin>:5: spec.cidr: is required"),
    ("not a CIDR", "  cidr: ten\n", "<stdin>:6: spec.cidr: 'ten' is not a CIDR"),
    ("host bits", "  cidr: 10.244.0.1/16\n", "<stdin>:6: spec.cidr: 10.244.0.1/16 has host bits set"),
    ("natOutgoing not a bool", "  cidr: 10.0.0.0/8\n  natOutgoing: 'yes'\n",
     "<stdin>:7: spec.natOutgoing: 'yes' is not true or false"),
    ("bad ipipMode", "  cidr: 10.0.0.0/8\n  ipipMode: Sometimes\n",
     "<stdin>:7: spec.ipipMode: 'Sometimes' is not an encapsulation mode"),
    ("IPIP and VXLAN", "  cidr: 10.0.0.0/8\n  ipipMode: Always\n  vxlanMode: Always\n",
     "spec.vxlanMode: IPIP and VXLAN cannot both be enabled"),
    ("block size out of range", "  cidr: 10.0.0.0/8\n  blockSize: 40\n",
     "<stdin>:7: spec.blockSize: 40 is not a block size for an IPv4 pool (expected 20-32)"),
    ("unknown use", "  cidr: 10.0.0.0/8\n  allowedUses: [Workload, Foo]\n",
     "spec.allowedUses[1]: unknown use 'Foo'"),
    ("bad nodeSelector", "  cidr: 10.0.0.0/8\n  nodeSelector: 'a =='\n", "spec.nodeSelector"),
]


@pytest.mark.parametrize("case, spec, fragment", ERRORS, ids=[e[0] for e in ERRORS])
def test_rejected_pools(case, spec, fragment):
    result, diags = compile_yaml(_pool(spec))
    assert result.ip_pools == []
    assert any(fragment in m for m in messages(diags)), messages(diags)


def test_unknown_field_warned():
    result, diags = compile_yaml(_pool("  cidr: 10.0.0.0/8\n  natOutgong: true\n"))
    assert len(result.ip_pools) == 1
    assert any("spec.natOutgong: unknown field" in m for m in messages(diags, "warning"))


def test_no_longer_an_unknown_kind(tmp_path):
    from netpolicy.api import load_cluster

    path = tmp_path / "pool.yaml"
    path.write_text(_pool("  cidr: 10.0.0.0/8\n"))
    cluster = load_cluster([str(path)])
    assert [p.name for p in cluster.ip_pools] == ["pool"]
    assert not any("unknown kind" in str(w) for w in cluster.warnings)
