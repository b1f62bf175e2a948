"""ipblock-covers-pods: an ipBlock or `nets` that also matches pods, and `except` ranges that cut the pod network."""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netpolicy.analysis.lint import k8s_fields
from netpolicy.analysis.lint.calico_fields import sides
from netpolicy.analysis.lint.finding import INFO, WARNING, Finding, enumeration, finding_at
from netpolicy.errors import InputError
from netpolicy.model.addresses import IPNetwork
from netpolicy.model.cluster import Endpoint
from netpolicy.sources.raw import RawObject

if TYPE_CHECKING:
    from netpolicy.analysis.lint.context import LintContext

ID = "ipblock-covers-pods"
SEVERITY = WARNING
DOC = ("Kubernetes meant ipBlock for addresses outside the cluster and leaves it to the CNI whether it matches "
       "pods: Calico matches pod addresses with ipBlocks and `nets`, Cilium does not. A block that covers the "
       "pod network (`--pod-cidr`, Calico's default pool 192.168.0.0/16, and the pods' own addresses) therefore "
       "admits pods on one CNI and not on another (reported as info). An `except` (or `notNets`) range that "
       "cuts into the pod network excludes some pods and not others, depending on which node's address block "
       "they got (a warning). Option `pod-cidrs` replaces the assumed pod networks.")
OPTIONS: dict = {"pod-cidrs": []}
CALICO_DEFAULT_POOL = ipaddress.ip_network("192.168.0.0/16")


@dataclass(frozen=True)
class PodRange:
    """A network where pods get addresses, and how to call it."""

    network: IPNetwork
    name: str


def check(ctx: LintContext, settings: Mapping[str, Any]) -> Iterator[Finding]:
    """Address blocks that overlap the pod network."""
    ranges = _pod_ranges(ctx, settings["pod-cidrs"])
    pods = PodAddresses(ctx.policed)
    for policy, raw in ctx.k8s_policies:
        for peer in k8s_fields.peers(raw):
            block = peer.ip_block
            if block is None:
                continue
            field = f"{policy.id} {peer.direction}[{peer.rule_index}] ipBlock"
            yield from _block(raw, f"{peer.path}.ipBlock", field, block.get("cidr"), block.get("except") or [],
                              "except", ranges, pods)
    for policy, raw in ctx.calico_policies:
        for direction, i, side_name, entity in sides(raw):
            nets, not_nets = entity.get("nets") or [], entity.get("notNets") or []
            base = f"spec.{direction}[{i}].{side_name}"
            field = f"{policy.id} {direction}[{i}] {side_name}"
            for k, cidr in enumerate(nets):
                yield from _block(raw, base, f"{field} nets", cidr, [], "", ranges, pods, f"{base}.nets[{k}]")
            for k, cidr in enumerate(not_nets):
                yield from _cuts(raw, f"{base}.notNets[{k}]", field, "notNets", _network(cidr), ranges)


def _block(raw: RawObject, base: str, field: str, cidr: object, excepts: list, except_field: str,
           ranges: list[PodRange], pods: PodAddresses, cidr_path: str = "") -> Iterator[Finding]:
    network = _network(cidr)
    if network is None:
        return
    excluded = [n for n in (_network(e) for e in excepts) if n is not None]
    covered = [r for r in ranges if r.network.version == network.version and r.network.overlaps(network)]
    inside = pods.inside(network, excluded)
    if covered or inside:
        what = enumeration([f"{r.name} {r.network}" for r in covered]) if covered else ""
        if inside:
            shown = ", ".join(inside[:3]) + (f" and {len(inside) - 3} more" if len(inside) > 3 else "")
            what = f"{what}; pods {shown}" if what else f"pods {shown}"
        if cidr_path:
            consequence = "Calico nets match any address, so this rule admits those pods too, not only the world outside"
            suggestion = ("select pods with a selector; if only the outside world is meant, add the pod network "
                          "to notNets")
        else:
            consequence = ("Calico matches pods through it, so this rule admits them; Cilium and other CNIs "
                           "that keep ipBlock for traffic from outside the cluster do not: the result depends "
                           "on the CNI")
            suggestion = ("select pods with podSelector/namespaceSelector peers; if only the outside world is "
                          "meant, add the pod network to except")
        yield finding_at(ID, raw, cidr_path or f"{base}.cidr",
                         f"{field} {network} also covers pod addresses ({what}). {consequence}", suggestion,
                         severity=INFO)
    for k, net in enumerate(excluded):
        yield from _cuts(raw, f"{base}.{except_field}[{k}]", field, except_field, net, ranges)


def _cuts(raw: RawObject, path: str, field: str, what: str, network: IPNetwork | None,
          ranges: list[PodRange]) -> Iterator[Finding]:
    """An excluded range that overlaps a pod network without covering it."""
    if network is None:
        return
    for pod_range in ranges:
        pool = pod_range.network
        if pool.version != network.version or not pool.overlaps(network) or network.supernet_of(pool):
            continue
        yield finding_at(
            ID, raw, path,
            f"{field} {what} {network} cuts into {pod_range.name} {pool}: pods that get addresses in {network} "
            "are excluded and the others are not, and which pods that is depends on the node whose address "
            "block they come from",
            "to shut out an outside network, use a range outside the pod network; to shut out pods, select "
            "them (a Calico Deny rule with a selector, or peers that leave them out)")
        return


class PodAddresses:
    """Pod and workload addresses, sorted per family, to find those inside a network quickly."""

    def __init__(self, endpoints: list[Endpoint]) -> None:
        pairs = sorted((ip.version, int(ip), e.id) for e in endpoints for ip in e.ips)
        self._keys = [(version, value) for version, value, _ in pairs]
        self._pairs = pairs

    def inside(self, network: IPNetwork, excluded: list[IPNetwork]) -> list[str]:
        """Ids of the endpoints with an address in `network` and in none of `excluded`, in order."""
        version = network.version
        start = bisect.bisect_left(self._keys, (version, int(network.network_address)))
        stop = bisect.bisect_right(self._keys, (version, int(network.broadcast_address)))
        out: dict[str, None] = {}
        for _, value, endpoint_id in self._pairs[start:stop]:
            if not any(e.version == version and int(e.network_address) <= value <= int(e.broadcast_address)
                       for e in excluded):
                out.setdefault(endpoint_id)
        return list(out)


def _network(value: object) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return None


def _pod_ranges(ctx: LintContext, configured: list[str]) -> list[PodRange]:
    if configured:
        out = []
        for text in configured:
            network = _network(text)
            if network is None:
                raise InputError(f"lint.rules.{ID}.pod-cidrs: {text!r} is not a CIDR", expected="e.g. 10.244.0.0/16")
            out.append(PodRange(network, "the pod network"))
        return out
    from netpolicy.sources.ip_pool import cluster_pod_networks

    ranges = [PodRange(n, "the pod CIDR") for n in cluster_pod_networks(ctx.cluster, ctx.options.pod_cidr)]
    if not any(r.network == CALICO_DEFAULT_POOL for r in ranges):
        ranges.append(PodRange(CALICO_DEFAULT_POOL, "Calico's default IP pool"))
    return ranges
