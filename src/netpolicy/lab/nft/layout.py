"""The whole ruleset, laid out as Felix lays out its chains (felix/rules/endpoints.go, static.go).

    cali-FORWARD (forward hook)
      ├─ from a workload interface → cali-from-wl-dispatch → cali-fw-<iface>   (the endpoint's egress)
      ├─ to a workload interface   → cali-to-wl-dispatch   → cali-tw-<iface>   (the endpoint's ingress)
      └─ accept if a chain set the accept mark
    cali-tw-/cali-fw-<iface>: conntrack, then per applicable tier its policies in order
      (cali-pi-/cali-po-<tier>/<kind>/<policy>), end-of-tier drop, then profiles (cali-pri-/cali-pro-), drop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from netpolicy.engine.backends import ServiceBackends
from netpolicy.engine.context import EngineContext
from netpolicy.engine.host_path import node_host_endpoint
from netpolicy.engine.plan import NEXT, Plan, PolicyStart, ProfileStart, TierEnd, TierStart
from netpolicy.escape import nft
from netpolicy.lab.nft.hostchains import FABRIC_IFACE, HostChains
from netpolicy.lab.nft.model import NftChain, NftRule, NftTable
from netpolicy.lab.nft.names import (
    FORWARD,
    FROM_WL_DISPATCH,
    MARK_ACCEPT,
    MARK_ALL,
    MARK_PASS,
    TABLE,
    TO_WL_DISPATCH,
    bits_clear,
    bits_set,
    clear_bits,
    endpoint_chain,
    policy_chain,
    profile_chain,
    set_bits,
)
from netpolicy.lab.nft.natout import nat_outgoing_chain
from netpolicy.lab.nft.rules import FAMILY_NAME, render_rule
from netpolicy.lab.nft.sets import SetRegistry
from netpolicy.lab.topology import LabNode, Topology
from netpolicy.model.cluster import Cluster, Endpoint
from netpolicy.model.ir import EGRESS, INGRESS, Policy, Rule
from netpolicy.options import Options

DIRECTIONS = (INGRESS, EGRESS)


class _Compiler:
    def __init__(self, cluster: Cluster, topology: Topology, options: Options, families: Sequence[int],
                 node: LabNode | None = None):
        self.cluster = cluster
        self.topology = topology
        self.node = node or topology.nodes[0]
        self.families = sorted(families)
        self.sets = SetRegistry(cluster.endpoints, ServiceBackends(cluster))
        self.policy_chains: dict[str, NftChain] = {}
        self.profile_chains: dict[str, NftChain] = {}
        self.engine = EngineContext(cluster, options)

    # ---- rule chains -----------------------------------------------------------------------------
    def _rules_into(self, chain: NftChain, owner: Policy, rules: Sequence[Rule]) -> None:
        for rule in rules:
            rendered, dropped = render_rule(rule, self.families, self.sets)
            head = f"{rule.name}: {rule.action}" + (f" — {rule.detail}" if rule.detail else "")
            notes = [head] + [f"  {d}" for d in dropped]
            if rule.http:
                notes.append("  its HTTP match is not enforced by the L3/L4 dataplane (Felix renders none)")
            if not rendered:
                chain.rules.append(NftRule(f"# {nft(rule.name)} has no nft rule here", "", tuple(notes)))
                continue
            for index, item in enumerate(rendered):
                for number, statement in enumerate(item.statements):
                    family = f" ({FAMILY_NAME[item.family]})" if item.family and len(self.families) > 1 else ""
                    comment = f"{owner.id} {rule.name} {rule.action}{family}"
                    first = index == 0 and number == 0
                    chain.rules.append(NftRule(statement, comment, tuple(notes) if first else ()))

    def policy(self, policy: Policy, direction: str) -> str:
        name = policy_chain(policy, direction)
        if name not in self.policy_chains:
            order = "none" if math.isinf(policy.order) else f"{policy.order:g}"
            chain = NftChain(name, notes=(
                f"{policy.kind} {policy.id} — tier {policy.tier or 'default'}, order {order}: {direction} rules",
            ))
            self.policy_chains[name] = chain
            self._rules_into(chain, policy, policy.rules(direction))
            if not chain.rules:
                chain.notes += (f"no {direction} rules: this policy decides nothing, so unless another policy of "
                                "its tier does, the end of the tier drops the packet",)
        return name

    def profile(self, step: ProfileStart, direction: str) -> str:
        chain_name = profile_chain(step.name, direction)
        if chain_name not in self.profile_chains:
            note = f"Profile {step.name}: {direction} rules"
            if step.profile is not None and step.name not in self.cluster.profiles:
                note += " (Calico's namespace profile: allow all)"
            elif step.profile is None:
                note += " (not in the input: no rules)"
            chain = NftChain(chain_name, notes=(note,))
            self.profile_chains[chain_name] = chain
            if step.profile is not None:
                self._rules_into(chain, step.profile, step.profile.rules(direction))
        return chain_name

    # ---- endpoint chains -------------------------------------------------------------------------
    def plan_rules(self, chain: NftChain, plan: Plan, direction: str, accepted: str = "return") -> None:
        """The tiers of a plan (each policy's chain, then the end of the tier), then its profiles;
        `accepted`: what follows a policy's Allow (raw: `notrack return`)."""
        first_profile = True
        for step in plan.steps:
            if isinstance(step, TierStart):
                chain.add(clear_bits(MARK_PASS), f"Start of tier {step.tier.name}")
            elif isinstance(step, PolicyStart):
                chain.add(f"{bits_clear(MARK_PASS)} jump {self.policy(step.policy, direction)}")
                chain.add(f"{bits_set(MARK_ACCEPT)} {accepted}", "Return if policy accepted")
            elif isinstance(step, TierEnd) and step.outcome == NEXT:
                chain.rules[-1].notes += (f"tier {step.tier.name} passes by default: no end-of-tier drop",)
            elif isinstance(step, TierEnd):
                chain.add(f"{bits_clear(MARK_PASS)} drop",
                          f"End of tier {step.tier.name}. Drop if no policies passed packet")
            elif isinstance(step, ProfileStart):
                note = ("no policy applies in this direction: straight to the profiles",) \
                    if not plan.isolated and first_profile else ()
                first_profile = False
                chain.add(f"jump {self.profile(step, direction)}", "", *note)
                chain.add(f"{bits_set(MARK_ACCEPT)} return", "Return if profile accepted")

    def endpoint(self, endpoint: Endpoint, iface: str, direction: str) -> NftChain:
        what = "ingress: traffic to the workload" if direction == INGRESS else "egress: traffic from the workload"
        addresses = ", ".join(str(a) for a in endpoint.ips)
        chain = NftChain(endpoint_chain(iface, direction), notes=(f"{endpoint.id} ({endpoint.kind}, {addresses}) — {what}",))
        chain.add("ct state established,related accept", "", "connections already accepted, and their replies")
        chain.add("ct state invalid drop")
        chain.add(clear_bits(MARK_ACCEPT | MARK_PASS), "", "policy chains report their verdict in these mark bits")
        self.plan_rules(chain, self.engine.plan(endpoint, direction), direction)
        chain.add("drop", "Drop if no profiles matched")
        return chain

    # ---- the table -------------------------------------------------------------------------------
    def table(self) -> NftTable:
        table = NftTable("inet", TABLE, header=_header(self.families))
        forward = NftChain(FORWARD, hook="type filter hook forward priority filter; policy accept;", notes=(
            "Every forwarded packet: from a workload → its egress chain; to a workload → its ingress chain.",
        ))
        hep = node_host_endpoint(self.cluster, self.node.name) if self.node.name else None
        star = self.cluster.star_host_endpoints.get(self.node.name) if self.node.name else None
        node_chains = HostChains(self, hep, star=star) if self.node.name else None
        hep_chains = node_chains if hep is not None else None
        forward.add(clear_bits(MARK_ALL & ~MARK_ACCEPT), "clear Calico's mark bits but accept (set by preDNAT policy)")
        if hep_chains is not None:
            forward.add(f'{bits_clear(MARK_ACCEPT)} iifname "{FABRIC_IFACE}" jump {hep_chains.forward(INGRESS).name}',
                        "from the host endpoint: its applyOnForward ingress policy")
        if star is not None and hep_chains is not None:
            forward.add(f'{bits_clear(MARK_ACCEPT)} iifname "cali*" jump {hep_chains.forward(INGRESS, star=True).name}',
                        f"from a workload: {star.id}'s applyOnForward ingress policy (interfaceName \"*\")")
        forward.add(f'iifname "cali*" jump {FROM_WL_DISPATCH}', "from a workload: its egress policy")
        forward.add(f'oifname "cali*" jump {TO_WL_DISPATCH}', "to a workload: its ingress policy")
        if star is not None and hep_chains is not None:
            forward.add(f'oifname "cali*" jump {hep_chains.forward(EGRESS, star=True).name}',
                        f"to a workload: {star.id}'s applyOnForward egress policy (interfaceName \"*\")")
        if hep_chains is not None:
            forward.add(f'oifname "{FABRIC_IFACE}" jump {hep_chains.forward(EGRESS).name}',
                        "to the host endpoint: its applyOnForward egress policy")
        forward.add(f"{bits_set(MARK_ACCEPT)} accept", "Policy explicitly accepted packet.")
        if hep_chains is not None:
            forward.add(set_bits(MARK_ACCEPT), "forwarded: mangle POSTROUTING applies no host endpoint policy")
        endpoints = {e.id: e for e in self.cluster.endpoints}
        chains: list[NftChain] = []
        from_map: list[str] = []
        to_map: list[str] = []
        for host in [h for h in self.topology.hosts_of(self.node.netns) if h.workload]:
            endpoint = endpoints.get(host.endpoint_id)
            if endpoint is None:
                continue
            for direction in DIRECTIONS:
                chains.append(self.endpoint(endpoint, host.node_iface, direction))
            from_map.append(f'"{host.node_iface}" : goto {endpoint_chain(host.node_iface, EGRESS)},  # {nft(host.endpoint_id)}')
            to_map.append(f'"{host.node_iface}" : goto {endpoint_chain(host.node_iface, INGRESS)},  # {nft(host.endpoint_id)}')
        dispatch = []
        for name, mapping, word in ((FROM_WL_DISPATCH, from_map, "iifname"), (TO_WL_DISPATCH, to_map, "oifname")):
            chain = NftChain(name, notes=(f"{word}: each workload interface to its endpoint chain",))
            if mapping:
                chain.add(f"{word} vmap {{\n" + "\n".join(mapping) + "\n}")
            chain.add("drop", "Unknown interface")
            dispatch.append(chain)
        hooks = [forward] if node_chains is None else [*node_chains.raw(), *node_chains.mangle(),
                                                       *node_chains.filter(), forward, *node_chains.postrouting()]
        masquerade = nat_outgoing_chain(self.cluster, self.engine.options, self.families) if self.node.name else None
        if masquerade is not None:
            hooks.append(masquerade)
        table.chains = [*hooks, *dispatch, *chains, *(node_chains.chains if node_chains else ()),
                        *self.policy_chains.values(),
                        *self.profile_chains.values()]
        table.sets = self.sets.sets
        return table


def _header(families: Sequence[int]) -> list[str]:
    shown = " and ".join(FAMILY_NAME[f] for f in families)
    return [
        "netpolicy lab: the policies as Calico's Felix programs them into nftables.",
        "",
        "Read it from cali-FORWARD down. A packet leaving a workload runs that workload's egress chain",
        "(cali-fw-<interface>); a packet entering one runs its ingress chain (cali-tw-<interface>). Each",
        "endpoint chain accepts established connections, then walks the tiers that have a policy for the",
        "endpoint in that direction. A policy chain (cali-pi-/cali-po-<tier>/<kind>/<namespace>/<name>)",
        "returns with the accept mark (0x00010000) on Allow, the pass mark (0x00020000) on Pass, drops on",
        "Deny, and logs and goes on on Log. A tier where no policy decided ends in a drop, unless the tier",
        "passes by default; after the tiers come the profiles (cali-pri-/cali-pro-<profile>), then a drop.",
        "Selectors are sets of addresses (cali40s-N / cali60s-N), named ports are sets of",
        "address . protocol . port (cali40n-N), Services are sets of their backends (cali40v-N, cali40a-N).",
        f"Rules are shown for {shown}, the address families present in this cluster.",
        "",
    ]


def compile_ruleset(cluster: Cluster, topology: Topology, options: Options | None = None,
                    families: Sequence[int] | None = None, node: LabNode | None = None) -> NftTable:
    """The nftables table enforcing the cluster's policies on one node's (default: the first's) workload
    interfaces and host endpoint."""
    fams = families if families is not None else sorted(topology.families)
    return _Compiler(cluster, topology, options or Options(), fams, node).table()
