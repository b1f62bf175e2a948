"""A flow to a Service: each backend kube-proxy may pick, judged by both sides' plans on the packets they see."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

from netpolicy.engine.flow import EPHEMERAL, FlowEvaluator, FlowResult, SideResult, TraceStep, with_sides
from netpolicy.engine.host_hooks import Hop, normal_hook, note, raw_hook
from netpolicy.engine.host_path import (
    Crossing,
    arrival,
    arrive,
    crossing_side,
    depart,
    host_side,
    node_host_endpoint,
    tracked_reply,
)
from netpolicy.engine.nat_outgoing import masquerade_note, masquerades
from netpolicy.engine.node_backend import to_node_backend
from netpolicy.engine.node_flow import evaluate_node_flow, family_of, node_address, node_named
from netpolicy.engine.packet import Packet
from netpolicy.engine.path import CLUSTER_IP, EXTERNAL_IP, LOAD_BALANCER, NODE_PORT, Entry, Leg, ServicePaths
from netpolicy.engine.plan import ACCEPT, DROP, NEXT, RuleStep
from netpolicy.engine.pod_entry import behind, pod_crossings
from netpolicy.engine.star_hooks import from_pod, to_pod
from netpolicy.errors import InputError
from netpolicy.model.cluster import HOST_ENDPOINT
from netpolicy.model.ir import EGRESS


@dataclass(frozen=True)
class ServiceFlow:
    """The verdict of a flow to a Service: `allow` when every backend it may reach allows it."""

    src: str
    dst: str
    entry: Entry
    protocol: int
    src_port: int | None
    legs: tuple[tuple[Leg, FlowResult], ...]
    dropped: str
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        return "allow" if self.legs and all(r.verdict == "allow" for _, r in self.legs) else "deny"

    @property
    def shown(self) -> FlowResult | None:
        """The leg whose trace stands for the flow: the first denied one, else the first."""
        denied = [r for _, r in self.legs if r.verdict != "allow"]
        return denied[0] if denied else (self.legs[0][1] if self.legs else None)


def evaluate_service(evaluator: FlowEvaluator, paths: ServicePaths, src: str, dst: str, entry: Entry,
                     protocol: int, src_port: int | None = None) -> ServiceFlow:
    """Translate src → entry as kube-proxy does and judge every leg."""
    client = evaluator.ctx.cluster.endpoint(src)
    node = _node_source(evaluator, src, client)
    if node is None:
        _same_family(evaluator, src, entry)
        masqueraded = _nat_outgoing_address(evaluator, client, entry)
        if masqueraded is not None:
            return _masqueraded_pod(evaluator, paths, src, client, dst, entry, protocol, src_port, masqueraded)
        return _from_address(evaluator, paths, src, client, dst, entry, protocol, src_port)
    if entry.kind != NODE_PORT or entry.node == node:
        return _from_node(evaluator, paths, src, node, dst, entry, protocol, src_port)
    address = node_address(evaluator.ctx.cluster, node, family_of(entry.address))
    flow = _from_address(evaluator, paths, address, client, dst, entry, protocol, src_port)
    return replace(_sent_by_node(evaluator, flow, node, address), src=src)


def _nat_outgoing_address(evaluator: FlowEvaluator, client, entry: Entry) -> str | None:
    """The address natOutgoing masquerades a pod's packet to another node's NodePort to (its node's: the
    entry node's address is in no IP pool), else None (`nat_outgoing.masquerades`)."""
    cluster = evaluator.ctx.cluster
    if client is None or not client.policed or client.kind == HOST_ENDPOINT or entry.kind != NODE_PORT \
            or entry.address is None or not cluster.ip_pools:
        return None
    node = cluster.node_of(client)
    family = family_of(entry.address)
    source = next((ip for ip in client.ips if ip.version == family), None)
    if node is None or node == entry.node or source is None or not cluster.node_addresses.get(node) or \
            not masquerades(cluster, source, ipaddress.ip_address(entry.address),
                            evaluator.ctx.options.nat_outgoing_exclusions):
        return None
    return node_address(cluster, node, family)


def _masqueraded_pod(evaluator: FlowEvaluator, paths: ServicePaths, src: str, client, dst: str, entry: Entry,
                     protocol: int, src_port: int | None, address: str) -> ServiceFlow:
    """A natOutgoing pod's packet to another node's NodePort: its egress and its node's to-hep-forward judge
    it as sent; it leaves masqueraded to its node's `address`, and the entry node translates it as that
    address's (kube-proxy's pod short-circuit no longer matches: docs/semantics.md#nat-outgoing)."""
    node = evaluator.ctx.cluster.node_of(client)
    flow = _from_address(evaluator, paths, address, None, dst, entry, protocol, src_port)
    pod = evaluator.evaluate(src, entry.address, protocol, entry.port, src_port).egress
    hep = node_host_endpoint(evaluator.ctx.cluster, node)
    if hep is not None:
        sent = Packet(evaluator.peer(src), evaluator.peer(entry.address), protocol, entry.port,
                      src_port if src_port is not None else EPHEMERAL[0])
        pod = crossing_side([depart(evaluator.ctx, hep, sent)], pod)
    egress = SideResult(pod.verdict, (*pod.trace, note(masquerade_note(src, node, address))))
    return replace(flow, src=src, legs=tuple((leg, with_sides(result, egress=egress)) for leg, result in flow.legs))


def _sent_by_node(evaluator: FlowEvaluator, flow: ServiceFlow, node: str, address: str) -> ServiceFlow:
    """A node's connection to another node's NodePort: its nat OUTPUT leaves a foreign address alone
    (NodePorts only on `fib daddr type local`), so the packet leaves as its own plain packet, judged by its
    host endpoint's raw and filter OUTPUT hooks, and is translated on the entry node like any client's."""
    hep = node_host_endpoint(evaluator.ctx.cluster, node)
    entry = flow.entry
    why = (f"node {node}'s kube-proxy does not translate another node's address: its packet leaves as "
           f"{address} → {entry.address}:{entry.port}, translated on {entry.node}")
    legs = []
    for leg, result in flow.legs:
        if hep is None:
            egress = SideResult(result.egress.verdict, (TraceStep(None, None, None, None, "NoPolicy",
                                                                  f"{why}; no host endpoint polices node {node}"),))
        else:
            sent = Packet(evaluator.peer(address), evaluator.peer(entry.address), flow.protocol, entry.port,
                          flow.src_port if flow.src_port is not None else EPHEMERAL[0])
            judged = host_side(evaluator.ctx, hep, sent, arrived=False)
            egress = SideResult(judged.verdict, (TraceStep(None, None, None, None, "Default", why),) + judged.trace)
        legs.append((leg, with_sides(result, egress=egress)))
    return replace(flow, legs=tuple(legs))


def _from_address(evaluator: FlowEvaluator, paths: ServicePaths, src: str, client, dst: str, entry: Entry,
                  protocol: int, src_port: int | None) -> ServiceFlow:
    """A pod's or an outside address's flow to the Service entry, leg by leg."""
    source = evaluator.peer(_in_family(src, client, family_of(entry.address)))
    translation = paths.translate(entry, client, str(source.address))
    entry = translation.entry
    cluster = evaluator.ctx.cluster
    policed = client is not None and client.policed
    own_node = cluster.node_of(client) if policed else None  # a pod's or a host endpoint's
    # a LoadBalancer or external IP from off the cluster enters the backend's node (the load balancer's pick)
    balanced = entry.kind in (LOAD_BALANCER, EXTERNAL_IP) and entry.node is None and not policed
    arriving = entry.kind != CLUSTER_IP and entry.address is not None and (balanced or (
        entry.node is not None and own_node != entry.node))
    client_node = own_node if policed and client.kind != HOST_ENDPOINT else None
    client_hep = node_host_endpoint(cluster, client_node) if arriving and client_node else None
    legs = []
    for leg in translation.legs:
        if leg.backend.host_network:
            result = to_node_backend(evaluator, src, entry, leg, protocol, src_port, client_node)
            legs.append((leg, _failed(result, leg.fails) if leg.fails else result))
            continue
        backend = _in_family(leg.backend.endpoint, leg.backend.endpoint, leg.backend.address.version) \
            if leg.backend.endpoint is not None else str(leg.backend.address)
        result = evaluator.evaluate(src, backend, protocol, leg.target.port, src_port, leg.rewrite)
        sent = Packet(source, evaluator.peer(entry.address), protocol, entry.port,
                      src_port if src_port is not None else EPHEMERAL[0]) if entry.address is not None else None
        if arriving:
            at = paths.node_of(leg.backend) if balanced else entry.node
            hep = node_host_endpoint(cluster, at) if at else None
            crossings = _host_crossings(evaluator, hep, source, entry, leg, backend, protocol, src_port)
            if client_hep is not None:  # a pod's packet to another node's address: its node's to-hep-forward,
                # and the reply, un-NATed on the entry node, enters the pod's node through raw PREROUTING
                sent = Packet(source, evaluator.peer(entry.address), protocol, entry.port,
                              src_port if src_port is not None else EPHEMERAL[0])
                crossings = [depart(evaluator.ctx, client_hep, sent), *crossings,
                             tracked_reply(evaluator.ctx, client_hep, sent, arrived=False, into_pod=True)]
        elif entry.kind == CLUSTER_IP and source.policed:
            # DNATed on the client's node: a pod → backend packet, with the hooks of its nodes (pod_entry)
            crossings = pod_crossings(evaluator, src, backend, protocol, leg.target.port, src_port, translated=True,
                                      sent=sent)
        elif client_node is not None and entry.node == client_node and paths.node_of(leg.backend) not in (
                None, client_node):
            # DNATed on the pod's own node (a LoadBalancer or external IP, its node's NodePort), then forwarded
            crossings = _onward(evaluator, (client_node, paths.node_of(leg.backend)), source, leg, backend,
                                protocol, src_port)
        else:
            crossings = []
        if entry.kind != CLUSTER_IP or not source.policed:
            crossings = _star_crossings(evaluator, source, leg, backend, protocol, src_port, sent, arriving) + crossings
        if crossings:
            result = behind(result, crossings)
        if leg.fails:
            result = _failed(result, leg.fails)
        legs.append((leg, result))
    notes = _address_rules(evaluator, client, entry) if client is not None and client.policed else ()
    notes += tuple(n for n in (translation.note, _affinity(entry, legs)) if n)
    return ServiceFlow(source.display, dst, entry, protocol, src_port, tuple(legs), translation.dropped, notes)


def _same_family(evaluator: FlowEvaluator, src: str, entry: Entry) -> None:
    """A packet keeps its address family: a source with no address of the entry's family cannot reach it (as
    `FlowEvaluator` refuses two ends that share no family), whatever a Service of the other family offers."""
    family = family_of(entry.address)
    families = evaluator.families(src)
    if family is None or family in families:
        return
    kind = {LOAD_BALANCER: "LoadBalancer IP", EXTERNAL_IP: "external IP", NODE_PORT: "NodePort address"}
    what = f"the {kind.get(entry.kind, entry.kind)} {entry.address} of service {entry.service.id}"
    raise InputError(f"--from {src} is IPv{min(families)}, {what} is IPv{family}: a packet keeps its address family",
                     expected=f"a source with an IPv{family} address")


def _in_family(ref, endpoint, family: int | None):
    """`ref`, or the endpoint's address of `family` when its first address is of the other family: a dual-stack
    pod sends to an IPv6 entry, and an IPv6 backend is reached, from and at its IPv6 address."""
    if endpoint is None or family is None or not endpoint.ips or endpoint.ips[0].version == family or \
            family_of(ref if isinstance(ref, str) else None) is not None:
        return ref
    return next((str(ip) for ip in endpoint.ips if ip.version == family), ref)


def _affinity(entry: Entry, legs: list) -> str:
    """sessionAffinity ClientIP when the backends answer differently: kube-proxy keeps a client address on the
    backend of its first connection (`affinity-…` sets, `syncProxyRules`), so this client's connections all
    succeed or all fail, by a pick that cannot be predicted."""
    service = entry.service
    if service.session_affinity != "ClientIP" or len({r.verdict for _, r in legs}) < 2:
        return ""
    return (f"sessionAffinity ClientIP ({service.affinity_timeout} s): kube-proxy sends every connection from one "
            f"client address to the backend of its first one until it has been idle that long, so this client "
            "either always or never gets through, depending on which backend it first lands on (not predictable)")


def _node_source(evaluator: FlowEvaluator, src: str, client) -> str | None:
    """The node a source names (`node/<name>`, a node's address, a hostNetwork pod), else None."""
    if client is not None and client.policed and client.kind != HOST_ENDPOINT:
        return None
    return node_named(evaluator.ctx.cluster, src)


def _from_node(evaluator: FlowEvaluator, paths: ServicePaths, src: str, node: str, dst: str, entry: Entry,
               protocol: int, src_port: int | None) -> ServiceFlow:
    """A node's own connection to a ClusterIP, its own NodePort, a LoadBalancer or an external IP: kube-proxy
    translates it in nat OUTPUT on that node, and each leg is the node's traffic to the backend as `query --from
    node/<name>` judges it, with its host endpoint's OUTPUT hooks as `_sent_translated` says
    (docs/semantics.md#service-fields)."""
    address = node_address(evaluator.ctx.cluster, node, family_of(entry.address))
    translation = paths.translate(entry, None, address, own_node=node)
    legs = []
    for leg in translation.legs:
        target = f"node/{leg.backend.node}" if leg.backend.host_network else (
            leg.backend.endpoint.id if leg.backend.endpoint is not None else str(leg.backend.address))
        result = evaluate_node_flow(evaluator, address, target, protocol, leg.target.port, src_port)
        assert result is not None  # one end is a node
        result = _sent_translated(evaluator, paths, result, node, address, translation.entry, leg, src_port)
        legs.append((leg, _failed(result, leg.fails) if leg.fails else result))
    notes = tuple(n for n in (translation.note, _affinity(entry, legs)) if n)
    return ServiceFlow(src, dst, translation.entry, protocol, src_port, tuple(legs), translation.dropped, notes)


def _sent_translated(evaluator: FlowEvaluator, paths: ServicePaths, result: FlowResult, node: str, address: str,
                     entry: Entry, leg: Leg, src_port: int | None) -> FlowResult:
    """The sending node's host endpoint hooks on a connection its nat OUTPUT translated (`static.go`): raw
    OUTPUT judges the packet as sent on the interface routed to before DNAT (its own NodePort: `lo`, which
    no raw chain dispatches); filter OUTPUT leaves DNATed packets alone (filterOutputChain `notDNATMatch`)
    and mangle POSTROUTING judges them by the normal egress policy of the interface routed to after DNAT
    (StaticManglePostroutingChain): a pod's on the node is skipped ("Skip egress WHEP policy for traffic to
    local workload"), `lo` (a backend in the node's own network) only a `*` endpoint governs, whose normal
    ingress policy then judges it in INPUT, anything else leaves by the fabric interface
    (docs/semantics.md#service-fields). A LoadBalancer or external IP that is one of the node's own addresses
    routes to `lo` before DNAT like its NodePort (`_is_local`)."""
    ctx = evaluator.ctx
    hep, star = node_host_endpoint(ctx.cluster, node), ctx.cluster.star_host_endpoints.get(node)
    if (hep is None and star is None) or entry.address is None:
        return result
    port = src_port if src_port is not None else EPHEMERAL[0]
    source = evaluator.peer(address)
    sent = Packet(source, evaluator.peer(entry.address), result.protocol, entry.port, port)
    translated = Packet(source, evaluator.peer(str(leg.backend.address)), result.protocol, leg.target.port, port)
    hops: list[Hop] = []
    local = entry.kind == NODE_PORT or _is_local(ctx.cluster, node, entry.address)
    if not local and hep is not None:  # routed out the fabric interface before DNAT
        raw = raw_hook(ctx, hep, EGRESS, sent)
        hops.append(raw)
        if raw.verdict == DROP or raw.untracked:
            return with_sides(result, egress=crossing_side([depart(ctx, hep, sent, from_host=True,
                                                                   translated=translated)]))
    elif local:
        hops.append(Hop(NEXT, (note(f"{entry.address}:{entry.port} is node {node}'s own address: routed to lo "
                                    "before DNAT, which no raw chain dispatches"),)))
    here = paths.node_of(leg.backend) == node
    if here and not leg.backend.host_network:
        hops.append(Hop(ACCEPT, (note("DNATed: filter OUTPUT leaves it to mangle POSTROUTING, which skips host "
                                      "endpoint policy toward a workload on the node"),)))
        return with_sides(result, egress=crossing_side([Crossing(tuple(hops), ACCEPT)]))
    if here:
        if star is None:
            return with_sides(result, egress=crossing_side([Crossing(tuple(hops), ACCEPT)]))
        out = normal_hook(ctx, star, EGRESS, translated)
        why = note(f"DNATed to the node itself: out and in by lo, which only {star.id} (interfaceName \"*\") governs")
        egress = crossing_side([Crossing((*hops, Hop(out.verdict, (why, *out.trace))), out.verdict)])
        return with_sides(result, egress=egress, ingress=crossing_side([arrive(ctx, star, translated, to_host=True)]))
    if hep is None:
        return with_sides(result, egress=crossing_side([Crossing(tuple(hops), ACCEPT)]))
    out = normal_hook(ctx, hep, EGRESS, translated)
    why = note("DNATed: filter OUTPUT leaves it to mangle POSTROUTING, which judges it on the interface routed to "
               "after DNAT")
    crossings = [Crossing((*hops, Hop(out.verdict, (why, *out.trace))), out.verdict),
                 tracked_reply(ctx, hep, translated, arrived=False, translated=True)]
    return with_sides(result, egress=crossing_side(crossings))


def _is_local(cluster, node: str, address: str) -> bool:
    """Whether an address is one of the node's own (its Node object's, any of its host endpoints'
    expectedIPs): the kernel routes a local address to `lo`, whichever interface holds it."""
    own = {str(a) for a in cluster.node_addresses.get(node, ())}
    own |= {str(a) for e in cluster.endpoints if e.kind == HOST_ENDPOINT and e.node == node for a in e.ips}
    return address in own


def _host_crossings(evaluator: FlowEvaluator, hep, source, entry: Entry, leg: Leg, backend, protocol: int,
                    src_port: int | None) -> list[Crossing]:
    """The host endpoints a packet from outside the entry node crosses on its way to one backend: the
    entry node's (arriving, then leaving if kube-proxy sends it to another node) and the backend node's;
    then the backend's reply entering the entry node through raw PREROUTING, before conntrack un-NATs it
    (`static.go` StaticRawPreroutingChain; a reply leaving a workload crosses no raw chain)."""
    ctx, port = evaluator.ctx, src_port if src_port is not None else EPHEMERAL[0]
    target = evaluator.peer(backend)
    translated = Packet(source, target, protocol, leg.target.port, port)
    out: list[Crossing] = []
    if hep is not None:
        out.append(arrive(ctx, hep, Packet(source, evaluator.peer(entry.address), protocol, entry.port, port),
                          translated))
    if leg.rewrite.ingress_from is None:
        return out
    if hep is not None:
        out.append(depart(ctx, hep, translated))
    out += _far_arrival(evaluator, source, leg, target, protocol, port, leg.backend.node)
    if hep is not None:
        back = Packet(evaluator.peer(leg.rewrite.ingress_from), target, protocol, leg.target.port, port)
        out.append(tracked_reply(ctx, hep, back, arrived=False, translated=True))
    return out


def _onward(evaluator: FlowEvaluator, nodes: tuple[str, str | None], source, leg: Leg, backend, protocol: int,
            src_port: int | None) -> list[Crossing]:
    """A pod's packet DNATed on its own node (`nodes`: it, the backend's) to a backend on another: its
    node's to-hep-forward (before masquerade), then the backend's node's raw, preDNAT and from-hep-forward
    with the source its ingress sees (`static.go` StaticFilterForwardChains: every forwarded packet)."""
    ctx, port = evaluator.ctx, src_port if src_port is not None else EPHEMERAL[0]
    target = evaluator.peer(backend)
    here, there = nodes
    hep = node_host_endpoint(ctx.cluster, here)
    if hep is None:
        return _far_arrival(evaluator, source, leg, target, protocol, port, there)
    sent = Packet(source, target, protocol, leg.target.port, port)
    # the backend's reply enters the pod's node through raw PREROUTING, to the source its ingress saw
    back = Packet(evaluator.peer(leg.rewrite.ingress_from) if leg.rewrite.ingress_from else source, target,
                  protocol, leg.target.port, port)
    return [depart(ctx, hep, sent), *_far_arrival(evaluator, source, leg, target, protocol, port, there),
            tracked_reply(ctx, hep, back, arrived=False, translated=True)]


def _star_crossings(evaluator: FlowEvaluator, source, leg: Leg, backend, protocol: int, src_port: int | None,
                    sent: Packet | None, arriving: bool) -> list[Crossing]:
    """The `*` host endpoints on the pods' interfaces (star_hooks): a pod client's, on the packet as sent
    (preDNAT) and as forwarded (from-hep-forward: translated on its node unless it goes to another node's
    address), and the backend pod's to-hep-forward with the source its ingress sees."""
    ctx, port = evaluator.ctx, src_port if src_port is not None else EPHEMERAL[0]
    target = evaluator.peer(backend)
    translated = Packet(source, target, protocol, leg.target.port, port)
    seen = evaluator.peer(leg.rewrite.ingress_from) if leg.rewrite.ingress_from else source
    out = from_pod(ctx, sent if arriving and sent is not None else translated, sent)
    return [*out, *to_pod(ctx, replace(translated, src=seen))]


def _far_arrival(evaluator: FlowEvaluator, source, leg: Leg, target, protocol: int, port: int,
                 node: str | None) -> list[Crossing]:
    """The backend's node's hooks on the forwarded leg, with the masqueraded source when there is one."""
    ctx = evaluator.ctx
    far = node_host_endpoint(ctx.cluster, node) if node else None
    if far is None:
        return []
    sender = evaluator.peer(leg.rewrite.ingress_from) if leg.rewrite.ingress_from else source
    return arrival(ctx, far, Packet(sender, target, protocol, leg.target.port, port))


def _failed(result: FlowResult, why: str) -> FlowResult:
    """The leg's result when the path breaks the connection whatever policy says (`Leg.fails`)."""
    ingress = SideResult(DROP, result.ingress.trace + (TraceStep(None, None, None, None, "Default", why),))
    return with_sides(result, ingress=ingress)


def _address_rules(evaluator: FlowEvaluator, client, entry: Entry) -> tuple[str, ...]:
    """Egress rules of the client naming the Service's virtual address: after DNAT they match nothing."""
    if entry.kind != CLUSTER_IP or entry.address is None:
        return ()
    address = ipaddress.ip_address(entry.address)
    out = []
    for step in evaluator.ctx.plan(client, EGRESS).steps:
        if isinstance(step, RuleStep) and any(address in n for n in step.rule.destination.nets
                                              if n.version == address.version):
            out.append(f"{step.policy.id} {step.rule.name} names {entry.address} ({entry.service.id}'s ClusterIP) "
                       "in its destination: kube-proxy rewrites that address to a backend before policy, so "
                       "the rule never matches it")
    return tuple(out)
