"""The chain layout: Felix's forward dispatch, endpoint chains with tiers, end-of-tier drops, profiles."""

from __future__ import annotations

from netpolicy.lab.nft import compile_ruleset
from netpolicy.lab.topology import plan_topology
from netpolicy.model.cluster import Cluster
from netpolicy.model.ir import ALLOW, EGRESS, INGRESS, PASS, PROFILE, Policy, Tier
from netpolicy.selectors.ast import ALL
from tests.lab.lab_clusters import in_namespace, pod, policy, rule, sel, small_cluster


def chain_rules(table, name):
    chain = table.chain(name)
    assert chain is not None, f"no chain {name}"
    return [r.text for r in chain.rules]


def compiled(cluster):
    topology = plan_topology("t", cluster.endpoints)
    return compile_ruleset(cluster, topology), topology


def test_forward_dispatches_workload_interfaces_to_endpoint_chains():
    table, topology = compiled(small_cluster())
    forward = table.chain("cali-FORWARD")
    assert forward.hook.startswith("type filter hook forward")
    assert chain_rules(table, "cali-FORWARD")[1:] == [
        'iifname "cali*" jump cali-from-wl-dispatch', 'oifname "cali*" jump cali-to-wl-dispatch',
        "meta mark & 0x00010000 == 0x00010000 accept"]
    dispatch = chain_rules(table, "cali-to-wl-dispatch")[0]
    for host in topology.workloads:
        assert f'"{host.node_iface}" : goto cali-tw-{host.node_iface}' in dispatch


def test_tiers_in_order_with_end_of_tier_drop_then_profiles():
    table, topology = compiled(small_cluster())
    b = topology.host("x/b").node_iface
    assert chain_rules(table, f"cali-tw-{b}") == [
        "ct state established,related accept",
        "ct state invalid drop",
        "meta mark set meta mark & 0xfffcffff",
        "meta mark set meta mark & 0xfffdffff",
        "meta mark & 0x00020000 == 0 jump cali-pi-security/gnp/deny-c-to-b-udp",
        "meta mark & 0x00010000 == 0x00010000 return",
        "meta mark & 0x00020000 == 0 drop",
        "meta mark set meta mark & 0xfffdffff",
        "meta mark & 0x00020000 == 0 jump cali-pi-default/knp/x/allow-from-y",
        "meta mark & 0x00010000 == 0x00010000 return",
        "meta mark & 0x00020000 == 0 jump cali-pi-default/knp/x/default-deny",
        "meta mark & 0x00010000 == 0x00010000 return",
        "meta mark & 0x00020000 == 0 drop",
        "jump cali-pri-kns.x",
        "meta mark & 0x00010000 == 0x00010000 return",
        "jump cali-pri-ksa.x.default",
        "meta mark & 0x00010000 == 0x00010000 return",
        "drop",
    ]


def test_a_tier_without_an_applicable_policy_is_skipped():
    table, topology = compiled(small_cluster())
    a = topology.host("x/a").node_iface
    assert not any("security" in text for text in chain_rules(table, f"cali-tw-{a}"))
    c = topology.host("y/c").node_iface
    assert chain_rules(table, f"cali-tw-{c}")[3:] == [
        "jump cali-pri-kns.y", "meta mark & 0x00010000 == 0x00010000 return",
        "jump cali-pri-ksa.y.default", "meta mark & 0x00010000 == 0x00010000 return", "drop"]


def test_a_pass_tier_has_no_end_of_tier_drop():
    cluster = Cluster(endpoints=[pod("x", "a", "10.0.1.10")],
                      policies=[policy("p", tier="admin", selector=sel(("pod", "a")))],
                      tiers={"admin": Tier("admin", 10.0, PASS)})
    table, topology = compiled(cluster)
    rules = chain_rules(table, f"cali-tw-{topology.host('x/a').node_iface}")
    assert "meta mark & 0x00020000 == 0 drop" not in rules
    assert "meta mark & 0x00020000 == 0 jump cali-pi-admin/knp/x/p" in rules


def test_policies_follow_order_then_tie_break_and_staged_ones_are_skipped():
    staged = policy("zz-staged", order=1)
    staged = Policy(**{**staged.__dict__, "staged": True})
    cluster = Cluster(endpoints=[pod("x", "a", "10.0.1.10")], policies=[
        policy("b-second", order=200), policy("a-third", order=300), policy("c-first", order=100), staged])
    table, topology = compiled(cluster)
    jumps = [t.split("jump ")[1] for t in chain_rules(table, f"cali-tw-{topology.host('x/a').node_iface}")
             if "jump cali-pi" in t]
    assert jumps == ["cali-pi-default/knp/x/c-first", "cali-pi-default/knp/x/b-second", "cali-pi-default/knp/x/a-third"]


def test_policies_apply_per_direction():
    cluster = Cluster(endpoints=[pod("x", "a", "10.0.1.10")],
                      policies=[policy("egress-only", types=(EGRESS,), egress=[rule(ALLOW, EGRESS)])])
    table, topology = compiled(cluster)
    iface = topology.host("x/a").node_iface
    assert any("cali-po-default/knp/x/egress-only" in t for t in chain_rules(table, f"cali-fw-{iface}"))
    assert not any("egress-only" in t for t in chain_rules(table, f"cali-tw-{iface}"))


def test_profiles_from_the_input_are_used_and_kns_defaults_to_allow():
    deny_profile = Policy(name="ksa.x.default", kind=PROFILE, namespace=None, tier=None, order=0.0, selector=ALL,
                          types=frozenset({INGRESS, EGRESS}), ingress=(rule("Deny"),))
    cluster = Cluster(endpoints=[pod("x", "a", "10.0.1.10")], profiles={"ksa.x.default": deny_profile})
    table, _ = compiled(cluster)
    assert chain_rules(table, "cali-pri-kns.x") == ["meta mark set meta mark | 0x00010000 return"]
    assert chain_rules(table, "cali-pri-ksa.x.default") == ["drop"]


def test_policy_without_rules_is_an_empty_chain_that_says_so():
    table, _ = compiled(small_cluster())
    chain = table.chain("cali-pi-default/knp/x/default-deny")
    assert chain.rules == []
    assert any("decides nothing" in note for note in chain.notes)


def test_rendered_text_is_a_commented_nft_script():
    text = compile_ruleset(small_cluster(), plan_topology("t", small_cluster().endpoints)).render()
    assert text.startswith("# netpolicy lab")
    assert "table inet calico {" in text
    assert "# ingress[0]: Deny" in text
    assert 'comment "End of tier default. Drop if no policies passed packet"' in text
    assert text.count("{") == text.count("}")


def test_policy_selector_matches_endpoint_labels():
    cluster = Cluster(endpoints=[pod("x", "a", "10.0.1.10"), pod("x", "b", "10.0.1.11")],
                      policies=[policy("only-a", selector=in_namespace("x", ("pod", "a")))])
    table, topology = compiled(cluster)
    assert any("only-a" in t for t in chain_rules(table, f"cali-tw-{topology.host('x/a').node_iface}"))
    assert not any("only-a" in t for t in chain_rules(table, f"cali-tw-{topology.host('x/b').node_iface}"))
