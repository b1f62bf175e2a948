"""A named node's host-side chains as Felix programs them (felix/rules/static.go, endpoints.go), rendered
from the engine's plans for the host endpoint governing the node's `eth0` (`node_host_endpoint`).
Felix keeps raw, mangle and filter chains in separate tables; here they share the lab's one table,
so the raw and mangle chains carry the table as a prefix.

    raw-cali-PREROUTING / raw-cali-OUTPUT (raw priority, before conntrack): eth0 → raw-cali-fh-eth0 /
      raw-cali-th-eth0: failsafe ports (and their replies) accept, then the doNotTrack tiers (default
      Pass); Allow marks accept and untracks the packet (notrack); accept mark → accept
    mangle-cali-PREROUTING (before kube-proxy's DNAT): established → accept; accept mark → accept;
      eth0 → mangle-cali-fh-eth0: failsafe inbound accept, then the preDNAT tiers (default Pass)
    cali-INPUT: accept mark → accept; from a workload → cali-wl-to-host (its egress, then
      DefaultEndpointToHostAction); from eth0 → cali-fh-eth0 (normal policy: failsafe, tiers, profiles, drop)
    cali-OUTPUT: accept mark → accept; to a workload → return (never policed); to eth0 → cali-th-eth0
      (to lo → the `*` host endpoint's cali-th-any; cali-INPUT from lo → cali-fh-any)
    cali-FORWARD: unless the accept mark is set, from eth0 → cali-fhfw-eth0; to eth0 → cali-thfw-eth0
      (applyOnForward policy; none → "Allow forwarded traffic by default")

A node's `interfaceName: "*"` host endpoint is the default of Felix's dispatch chains (dispatch.go
hostDispatchChains): its preDNAT chain mangle-cali-fh-any polices the pods' interfaces (and eth0 when
eth0's own host endpoint has no preDNAT policy), its forward chains cali-fhfw-any / cali-thfw-any the
packets forwarded from and to the pods' interfaces.
"""

from __future__ import annotations

from netpolicy.engine.host_path import FAILSAFE_INBOUND, FAILSAFE_OUTBOUND, FORWARD
from netpolicy.lab.nft.model import NftChain
from netpolicy.lab.nft.names import (
    FROM_WL_DISPATCH,
    MARK_ACCEPT,
    MARK_ALL,
    MARK_PASS,
    bits_set,
    clear_bits,
    set_bits,
)
from netpolicy.lab.nft.sets import proto_text
from netpolicy.lab.topology import FABRIC_IFACE
from netpolicy.model.cluster import Endpoint
from netpolicy.model.ir import EGRESS, INGRESS, PRE_DNAT, UNTRACKED

__all__ = ["FABRIC_IFACE", "HostChains"]

TO_HOST_VERDICT = {"ACCEPT": "accept", "DROP": "drop", "RETURN": "return"}
#: The `*` host endpoint's chains' suffix (Felix's is "any-interface-at-all", `endpoint_mgr.go` allInterfaces).
STAR_IFACE = "any"


def _ports(pairs) -> str:
    return ", ".join(f"{proto_text(p)} . {port}" for p, port in sorted(pairs))


class HostChains:
    """The host-side chains of one node; `chains` collects the regular (non-base) ones."""

    def __init__(self, compiler, hep: Endpoint | None, iface: str = FABRIC_IFACE, star: Endpoint | None = None) -> None:
        self.compiler = compiler
        self.hep = hep
        self.iface = iface
        self.star = star
        self.chains: list[NftChain] = []
        self._cached: dict[tuple[str, str], NftChain] = {}  # forward and normal chains by (kind, iface)

    def _chain(self, name: str, *notes: str) -> NftChain:
        chain = NftChain(name, notes=notes)
        self.chains.append(chain)
        return chain

    # ---- raw: doNotTrack ---------------------------------------------------------------------------
    def raw(self) -> list[NftChain]:
        """raw PREROUTING and OUTPUT, when doNotTrack policy applies to the host endpoint (never to `*`)."""
        if self.hep is None or self.hep.interface == "*":
            return []
        out = []
        for direction, hook, word, pfx in ((INGRESS, "prerouting", "iifname", "fh"),
                                           (EGRESS, "output", "oifname", "th")):
            plan = self.compiler.engine.host_plan(self.hep, UNTRACKED, direction)
            if not plan.isolated:
                continue
            base = NftChain(f"raw-cali-{hook.upper()}", hook=f"type filter hook {hook} priority raw; policy accept;",
                            notes=("Before conntrack: the host endpoint's doNotTrack policy.",))
            base.add(clear_bits(MARK_ALL))
            inner = self._chain(f"raw-cali-{pfx}-{self.iface}",
                                f"host endpoint {self.hep.id}: doNotTrack {direction} policy")
            own, other = (FAILSAFE_INBOUND, FAILSAFE_OUTBOUND) if direction == INGRESS else \
                (FAILSAFE_OUTBOUND, FAILSAFE_INBOUND)
            inner.add(f"meta l4proto . th dport {{ {_ports(own)} }} accept", "failsafe ports")
            inner.add(f"meta l4proto . th sport {{ {_ports(other)} }} accept", "replies of failsafe connections")
            self.compiler.plan_rules(inner, plan, direction, accepted="notrack return")
            base.add(f'{word} "{self.iface}" jump {inner.name}')
            base.add(f"{bits_set(MARK_ACCEPT)} accept", "Untracked policy accepted the packet")
            out.append(base)
        return out

    # ---- mangle: preDNAT ---------------------------------------------------------------------------
    def mangle(self) -> list[NftChain]:
        """mangle PREROUTING, dispatching to the preDNAT chain of the host endpoint that has preDNAT policy
        for the interface: eth0's own, else the `*` one, which also takes the pods' interfaces."""
        if self.hep is None:
            return []
        chain = NftChain("mangle-cali-PREROUTING", hook="type filter hook prerouting priority mangle; policy accept;",
                         notes=("Before kube-proxy's DNAT: preDNAT policy sees the original destination.",))
        if self.star is not None:  # Felix's raw PREROUTING clears them on every packet (here only with doNotTrack)
            chain.add(f'iifname "lo" {clear_bits(MARK_ALL)}', "a packet back by lo keeps the marks it left with")
        chain.add("ct state established,related accept")
        chain.add(f"{bits_set(MARK_ACCEPT)} accept", "Packet already accepted (raw)")
        own = self._pre_dnat(self.hep, self.iface)
        star = None if self.star is None else own if self.star is self.hep else self._pre_dnat(self.star, STAR_IFACE)
        fabric = own or star
        if fabric is None:
            chain.rules[-1].notes += (f"no preDNAT policy applies to {self.hep.id}: no dispatch",)
            return [chain]
        chain.add(f'iifname "{self.iface}" jump {fabric.name}', "from the host endpoint")
        if star is not None and self.star is not None:
            chain.add(f'iifname "cali*" jump {star.name}', f"from a workload: {self.star.id} (interfaceName \"*\") "
                                                           "is the dispatch's default")
            chain.add(f'iifname "lo" jump {star.name}', "by lo: the node's own traffic to itself")
        chain.add(f"{bits_set(MARK_ACCEPT)} accept", "Accept if policy allowed packet")
        return [chain]

    def _pre_dnat(self, hep: Endpoint, iface: str) -> NftChain | None:
        """A host endpoint's preDNAT chain (None: no preDNAT policy applies to it)."""
        plan = self.compiler.engine.host_plan(hep, PRE_DNAT, INGRESS)
        if not plan.isolated:
            return None
        inner = self._chain(f"mangle-cali-fh-{iface}", f"host endpoint {hep.id}: preDNAT ingress policy")
        inner.add(clear_bits(MARK_ACCEPT | MARK_PASS))
        inner.add(f"meta l4proto . th dport {{ {_ports(FAILSAFE_INBOUND)} }} accept", "failsafe inbound host ports")
        self.compiler.plan_rules(inner, plan, INGRESS)
        return inner

    # ---- filter: traffic to and from the node itself ---------------------------------------------
    def filter(self) -> list[NftChain]:
        """cali-INPUT and cali-OUTPUT: workloads to their host, and the host endpoint's normal policy."""
        to_host = self._chain("cali-wl-to-host", "a workload → its own node: its egress policy, then "
                                                 "DefaultEndpointToHostAction")
        to_host.add(f"jump {FROM_WL_DISPATCH}")
        action = self.compiler.engine.options.endpoint_to_host_action
        to_host.add(TO_HOST_VERDICT[action], f"Configured DefaultEndpointToHostAction {action}")
        inp = NftChain("cali-INPUT", hook="type filter hook input priority filter; policy accept;")
        out = NftChain("cali-OUTPUT", hook="type filter hook output priority filter; policy accept;")
        inp.add('iifname "cali*" goto cali-wl-to-host', "from a workload")
        inp.add(f"{bits_set(MARK_ACCEPT)} accept", "Packet already accepted (raw or preDNAT)")
        out.add(f"{bits_set(MARK_ACCEPT)} accept", "Packet already accepted (raw)")
        out.add('oifname "cali*" return', "We don't currently police host -> endpoint")
        if self.hep is not None:
            inp.add(clear_bits(MARK_ALL))
            inp.add(f'iifname "{self.iface}" jump {self.normal(INGRESS).name}', "the host endpoint's normal policy")
            if self.star is not None:  # `lo`: only the `*` endpoint
                inp.add(f'iifname "lo" jump {self.normal(INGRESS, star=True).name}',
                        f"lo: {self.star.id} (interfaceName \"*\") is the dispatch's default")
            inp.add(f"{bits_set(MARK_ACCEPT)} accept", "Host endpoint policy accepted packet.")
            out.add(clear_bits(MARK_ALL))
            # as iptables' `! --ctstate DNAT`: a packet without a conntrack entry is dispatched too (nft's
            # `ct status != dnat` would not match it)
            out.add("ct status dnat accept", "DNATed: judged in mangle POSTROUTING on the interface after DNAT")
            out.add(f'oifname "{self.iface}" jump {self.normal(EGRESS).name}', "the host endpoint's normal policy")
            if self.star is not None:
                out.add(f'oifname "lo" jump {self.normal(EGRESS, star=True).name}',
                        f"lo: {self.star.id} (interfaceName \"*\") is the dispatch's default")
            out.add(f"{bits_set(MARK_ACCEPT)} accept", "Host endpoint policy accepted packet.")
        return [inp, out]

    def postrouting(self) -> list[NftChain]:
        """mangle POSTROUTING: the node's own DNATed packets, by the interface routed to after DNAT
        (`static.go` StaticManglePostroutingChain); forwarded ones carry filter FORWARD's accept mark."""
        if self.hep is None:
            return []
        chain = NftChain("mangle-cali-POSTROUTING", hook="type filter hook postrouting priority mangle; policy accept;",
                         notes=("The node's own DNATed packets: host endpoint policy on the interface after DNAT.",))
        chain.add(f"{bits_set(MARK_ACCEPT)} return", "forwarded: filter FORWARD set the accept mark")
        chain.add(clear_bits(MARK_ALL))
        chain.add('ct status dnat oifname "cali*" return', "Skip egress WHEP policy for traffic to local workload")
        chain.add(f'ct status dnat oifname "{self.iface}" jump {self.normal(EGRESS).name}')
        if self.star is not None:
            chain.add(f'ct status dnat oifname "lo" jump {self.normal(EGRESS, star=True).name}',
                      f"lo: {self.star.id} (interfaceName \"*\") is the dispatch's default")
        chain.add(f"{bits_set(MARK_ACCEPT)} return", "Host endpoint policy accepted packet.")
        return [chain]

    def normal(self, direction: str, star: bool = False) -> NftChain:
        """cali-fh-<iface> (ingress) or cali-th-<iface> (egress): the normal policy (`star`: the `*` host
        endpoint's, for `lo`: cali-fh-any / cali-th-any)."""
        hep, iface = (self.star, STAR_IFACE) if star and self.star is not self.hep else (self.hep, self.iface)
        assert hep is not None
        key = (f"normal-{direction}", iface)
        if key in self._cached:
            return self._cached[key]
        pfx, failsafe = ("fh", FAILSAFE_INBOUND) if direction == INGRESS else ("th", FAILSAFE_OUTBOUND)
        inner = self._chain(f"cali-{pfx}-{iface}", f"host endpoint {hep.id}: normal {direction} policy")
        inner.add("ct state established,related accept")
        inner.add("ct state invalid drop")
        inner.add(f"meta l4proto . th dport {{ {_ports(failsafe)} }} accept", "failsafe ports")
        inner.add(clear_bits(MARK_ACCEPT | MARK_PASS))
        self.compiler.plan_rules(inner, self.compiler.engine.plan(hep, direction), direction)
        inner.add("drop", "Drop if no profiles matched")
        self._cached[key] = inner
        return inner

    # ---- filter FORWARD: applyOnForward --------------------------------------------------------------
    def forward(self, direction: str, star: bool = False) -> NftChain:
        """cali-fhfw-<iface> (ingress) or cali-thfw-<iface> (egress): applyOnForward policy (`star`: the `*`
        host endpoint's, for the pods' interfaces: cali-fhfw-any / cali-thfw-any)."""
        hep, iface = (self.star, STAR_IFACE) if star else (self.hep, self.iface)
        assert hep is not None
        if (direction, iface) in self._cached:
            return self._cached[(direction, iface)]
        pfx = "fh" if direction == INGRESS else "th"
        chain = self._chain(f"cali-{pfx}fw-{iface}", f"host endpoint {hep.id}: applyOnForward {direction} policy")
        chain.add("ct state established,related accept")
        chain.add("ct state invalid drop")
        chain.add(clear_bits(MARK_ACCEPT | MARK_PASS))
        plan = self.compiler.engine.host_plan(hep, FORWARD, direction)
        if plan.isolated:
            self.compiler.plan_rules(chain, plan, direction)
        else:
            chain.add(set_bits(MARK_ACCEPT), "Allow forwarded traffic by default")
            chain.add("return", "Return for accepted forward traffic")
        self._cached[(direction, iface)] = chain
        return chain
