"""A node's host endpoint as Felix programs it (felix/rules/static.go, endpoints.go): preDNAT policy in
mangle PREROUTING, applyOnForward policy in cali-FORWARD, both rendered from the engine's host plans.

    cali-PREROUTING (prerouting hook, mangle priority: before kube-proxy's DNAT)
      established → accept; accept mark already set → accept
      iifname eth0 → cali-fh-eth0: failsafe inbound ports accept, then the preDNAT tiers (default Pass)
      accept mark set (a preDNAT Allow) → accept
    cali-FORWARD: unless the accept mark is set, iifname eth0 → cali-fhfw-eth0 (ingress applyOnForward
      policy; none → "Allow forwarded traffic by default"); oifname eth0 → cali-thfw-eth0 (egress).
"""

from __future__ import annotations

from netpolicy.engine.host_path import FAILSAFE_INBOUND, FORWARD
from netpolicy.lab.nft.model import NftChain
from netpolicy.lab.nft.names import MARK_ACCEPT, MARK_PASS, bits_set, clear_bits, set_bits
from netpolicy.lab.nft.sets import proto_text
from netpolicy.lab.topology import FABRIC_IFACE
from netpolicy.model.cluster import Endpoint
from netpolicy.model.ir import EGRESS, INGRESS, PRE_DNAT

PREROUTING = "cali-PREROUTING"

__all__ = ["FABRIC_IFACE", "HostChains"]


class HostChains:
    """The chains of one host endpoint on its node's fabric interface; `chains` collects the non-base ones."""

    def __init__(self, compiler, hep: Endpoint, iface: str) -> None:
        self.compiler = compiler
        self.hep = hep
        self.iface = iface
        self.chains: list[NftChain] = []
        self._forward: dict[str, NftChain] = {}

    def prerouting(self) -> NftChain:
        """The mangle PREROUTING base chain, dispatching to the preDNAT chain when policy applies."""
        chain = NftChain(PREROUTING, hook="type filter hook prerouting priority mangle; policy accept;", notes=(
            "Before kube-proxy's DNAT: the host endpoint's preDNAT policy sees the original destination.",))
        chain.add("ct state established,related accept")
        chain.add(f"{bits_set(MARK_ACCEPT)} accept", "Packet already accepted (raw)")
        plan = self.compiler.engine.host_plan(self.hep, PRE_DNAT, INGRESS)
        if not plan.isolated:
            chain.rules[-1].notes += (f"no preDNAT policy applies to {self.hep.id}: no dispatch",)
            return chain
        name = f"cali-fh-{self.iface}"
        inner = NftChain(name, notes=(f"host endpoint {self.hep.id}: preDNAT ingress policy",))
        inner.add(clear_bits(MARK_ACCEPT | MARK_PASS))
        failsafe = ", ".join(f"{proto_text(p)} . {port}" for p, port in sorted(FAILSAFE_INBOUND))
        inner.add(f"meta l4proto . th dport {{ {failsafe} }} accept", "failsafe inbound host ports",
                  "FailsafeInboundHostPorts: accepted before any preDNAT policy")
        self.compiler.plan_rules(inner, plan, INGRESS)
        self.chains.append(inner)
        chain.add(f'iifname "{self.iface}" jump {name}', "from the host endpoint")
        chain.add(f"{bits_set(MARK_ACCEPT)} accept", "Accept if policy allowed packet")
        return chain

    def forward(self, direction: str) -> NftChain:
        """cali-fhfw-<iface> (ingress) or cali-thfw-<iface> (egress): applyOnForward policy."""
        if direction in self._forward:
            return self._forward[direction]
        name = f"cali-{'fh' if direction == INGRESS else 'th'}fw-{self.iface}"
        chain = NftChain(name, notes=(f"host endpoint {self.hep.id}: applyOnForward {direction} policy",))
        chain.add("ct state established,related accept")
        chain.add("ct state invalid drop")
        chain.add(clear_bits(MARK_ACCEPT | MARK_PASS))
        plan = self.compiler.engine.host_plan(self.hep, FORWARD, INGRESS if direction == INGRESS else EGRESS)
        if plan.isolated:
            self.compiler.plan_rules(chain, plan, direction)
        else:
            chain.add(set_bits(MARK_ACCEPT), "Allow forwarded traffic by default")
            chain.add("return", "Return for accepted forward traffic")
        self.chains.append(chain)
        self._forward[direction] = chain
        return chain
