"""What happens to a packet before policy sees it: kube-proxy's Service translation, modelled once.

A destination that is a Service (`svc/<ns>/<name>`, a ClusterIP, a LoadBalancer ingress IP, an
external IP, `<node>:<nodePort>` or a node address with a nodePort) becomes one leg per ready backend:
the destination and port the client's egress sees (the backend after DNAT, or the node's address
and nodePort when the client's own node does not translate), and the source the backend's ingress
sees (the client, or the entry node's address after masquerade). Each leg is then judged by the plan
of each side (`flow.FlowEvaluator` with a `Rewrite`). Source: kube-proxy's nftables `syncProxyRules`
(docs/semantics.md#service-paths).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

from netpolicy.engine.backends import Backend, ServiceBackends, Target
from netpolicy.engine.flow import Rewrite
from netpolicy.errors import InputError
from netpolicy.model.cluster import HOST_ENDPOINT, Cluster, Endpoint, Service, ServicePort
from netpolicy.model.protocols import protocol_name

CLUSTER_IP, NODE_PORT, LOAD_BALANCER, EXTERNAL_IP = "ClusterIP", "NodePort", "LoadBalancer", "externalIP"


@dataclass(frozen=True)
class Entry:
    """Where a packet enters a Service: how (`kind`), the address and port it was sent to, the node
    (NodePort) and the Service port."""

    service: Service
    kind: str
    address: str | None
    port: int
    service_port: ServicePort | None
    node: str | None = None

    def describe(self) -> str:
        where = f"{self.node}:{self.port}" if self.kind == NODE_PORT and self.node else (
            f"{self.address}:{self.port}" if self.address else f"port {self.port}")
        return f"{self.kind} {where} of service {self.service.id}"


@dataclass(frozen=True)
class Leg:
    """One backend the Service leads to: its target port, what each side sees, and why; `fails` says why
    the connection fails whatever policy says (empty: it works if policy allows it)."""

    backend: Backend
    target: Target
    rewrite: Rewrite
    why: str
    fails: str = ""

    @property
    def name(self) -> str:
        return self.backend.name


@dataclass(frozen=True)
class Client:
    """Who sends: its name, address, node (pods) and whether it is a pod."""

    name: str
    address: str
    node: str | None
    is_pod: bool


@dataclass(frozen=True)
class Translation:
    """The entry and the legs kube-proxy makes of it; `dropped` says why none when there is none."""

    entry: Entry
    legs: tuple[Leg, ...]
    dropped: str = ""
    #: Why some ready backends are not tried (internalTrafficPolicy Local: those off the client's node).
    note: str = ""


class ServicePaths:
    """Recognises Service destinations and translates them as kube-proxy does."""

    def __init__(self, cluster: Cluster, backends: ServiceBackends | None = None) -> None:
        self.cluster = cluster
        self.backends = backends or ServiceBackends(cluster)
        self.node_addresses = {name: [str(a) for a in found] for name, found in cluster.node_addresses.items()}
        self.node_names = cluster.node_names

    def entry(self, text: str, protocol: int, port: int | None, port_name: str | None = None) -> Entry | None:
        """The Service entry `text` names (`port_name`: a Service port by name), or None when it is no
        Service destination."""
        if text.startswith("svc/"):
            parts = text[4:].split("/")
            service = self.backends.services.get((parts[0], parts[1])) if len(parts) == 2 else None
            if service is None:
                raise InputError(f"--to: {text!r} names no Service in the input", expected="svc/<namespace>/<name>")
            chosen = _service_port(service, protocol, port, name=port_name)
            return Entry(service, CLUSTER_IP, service.cluster_ips[0] if service.cluster_ips else None,
                         chosen.port if chosen else port or 0, chosen)
        node, _, node_port = text.rpartition(":")
        if node in self.node_names and node_port.isdigit():
            return self._node_port(node, None, protocol, int(node_port))
        if text.startswith("node/") and text[5:] in self.node_names and port is not None:
            # as each of its addresses with that port: a Service IP there, else its NodePort
            name = text[5:]
            found = (self._service_ip(a, protocol, port, port_name, True) for a in self.node_addresses.get(name, ()))
            return next(filter(None, found), None) or self._node_port(name, self._address_of(name), protocol, port)
        try:
            address = str(ipaddress.ip_address(text))
        except ValueError:
            return None
        found = self._service_ip(address, protocol, port, port_name, False)
        if found is not None:
            return found
        for node, addresses in self.node_addresses.items():
            if address in addresses and port is not None:
                return self._node_port(node, address, protocol, port)
        return None

    def _service_ip(self, address: str, protocol: int, port: int | None, port_name: str | None,
                    on_node: bool) -> Entry | None:
        """The ClusterIP, LoadBalancer IP or external IP entry at `address` (kube-proxy's `service-ips` map, in
        nat PREROUTING and OUTPUT before any host INPUT). A LoadBalancer or external IP that is a node's address
        captures only its Service's ports (`on_node`, or it is one): other ports stay the node's."""
        local = on_node or any(address in found for found in self.node_addresses.values())
        for service in self.backends.services.values():
            for kind, addresses in ((CLUSTER_IP, service.cluster_ips), (LOAD_BALANCER, service.load_balancer_ips),
                                    (EXTERNAL_IP, service.external_ips)):
                if address in addresses and not (on_node and kind == CLUSTER_IP):
                    chosen = _service_port(service, protocol, port, strict=False, name=port_name)
                    if chosen is None and local and kind != CLUSTER_IP:
                        continue
                    return Entry(service, kind, address, chosen.port if chosen else port or 0, chosen)
        return None

    def _node_port(self, node: str, address: str | None, protocol: int, port: int) -> Entry | None:
        for service in self.backends.services.values():
            if service.type not in ("NodePort", "LoadBalancer"):
                continue
            for sp in service.ports:
                if sp.node_port == port and sp.protocol == protocol:
                    return Entry(service, NODE_PORT, address or self._address_of(node), port, sp, node)
        if address is None:
            raise InputError(f"--to: no NodePort or LoadBalancer Service has {protocol_name(protocol)} nodePort {port}")
        return None

    def node_of(self, backend: Backend) -> str | None:
        """The backend's node: as given, else its pod's (`Cluster.node_of`: the only node of a one-node input)."""
        if backend.node or backend.endpoint is not None:
            return backend.node or self.cluster.node_of(backend.endpoint)
        return next(iter(self.node_names)) if len(self.node_names) == 1 else None

    def local_node(self, backend: Backend) -> str | None:
        """The node whose kube-proxy counts the backend as local (externalTrafficPolicy and
        internalTrafficPolicy Local): its node, unless an EndpointSlice lists it without `nodeName`."""
        return self.node_of(backend) if backend.node_named else None

    def _address_of(self, node: str, family: int | None = None) -> str | None:
        """The node's first address (of that address family when given)."""
        found = [a for a in self.node_addresses.get(node, ()) if family is None or ipaddress.ip_address(a).version == family]
        return found[0] if found else None

    def translate(self, entry: Entry, client: Endpoint | None, client_address: str,
                  own_node: str | None = None) -> Translation:
        """The legs of a packet from `client` (an endpoint, or an address outside every endpoint);
        `own_node`: the client is this node's own traffic, translated in its nat OUTPUT."""
        service, sp = entry.service, entry.service_port
        if sp is None:
            return Translation(entry, (), f"{entry.port} is not a port of {entry.kind} {entry.address} of "
                                          f"{service.id}: kube-proxy rejects it")
        serving = [(b, t) for b in self.backends.serving(service.namespace, service.name)
                   for t in b.targets if t.service_port == sp]
        family = ipaddress.ip_address(entry.address).version if entry.address else None
        if family is not None:  # one proxier per address family, fed that family's EndpointSlices
            serving = [(b, t) for b, t in serving if b.address.version == family]
        unplaced = self._unplaced(service)
        if not serving:
            which = f" of IPv{family}" if family else ""
            return Translation(entry, (), f"service {service.id} has no ready endpoint{which} for port {sp.port}"
                                          + (f" netpolicy can place: {unplaced}" if unplaced else
                                             ": kube-proxy rejects the connection"))
        is_pod = client is not None and client.policed and client.kind != HOST_ENDPOINT
        client_node = self.cluster.node_of(client) if is_pod else None
        sender = Client(client.id if is_pod else client_address, client_address, client_node, is_pod)
        if entry.kind in (LOAD_BALANCER, EXTERNAL_IP) and entry.node is None and not is_pod and own_node is None:
            # a node's own address: routing delivers the packet to that node, no load balancer picks one
            entry = replace(entry, node=self.node_at(entry.address))
        note = ""
        if entry.kind == CLUSTER_IP and service.internal_traffic_policy == "Local":
            serving, note, dropped = self._node_local(entry, serving, sender)
            if dropped:
                return Translation(entry, (), dropped)
        if unplaced:
            note = "; ".join(n for n in (note, f"not judged: {unplaced}") if n)
        if own_node is not None and entry.kind != CLUSTER_IP:
            return self._from_own_node(replace(entry, node=own_node), serving, sender)
        local = service.external_traffic_policy == "Local" and entry.kind != CLUSTER_IP
        if local and not is_pod and entry.node is not None:
            serving = [(b, t) for b, t in serving if self.local_node(b) == entry.node]
            if not serving:
                return Translation(entry, (), f"externalTrafficPolicy Local and no endpoint of {service.id} on node "
                                              f"{entry.node}: kube-proxy drops the packet there")
        if entry.kind in (LOAD_BALANCER, EXTERNAL_IP) and client_node:
            entry = Entry(service, entry.kind, entry.address, entry.port, sp, client_node)
        legs = tuple(self._leg(entry, b, t, sender, local) for b, t in serving)
        if entry.kind == LOAD_BALANCER:
            legs = tuple(self._firewalled(entry, leg, sender) for leg in legs)
            if legs and all(leg.fails for leg in legs) and len({leg.fails for leg in legs}) == 1:
                return Translation(entry, (), legs[0].fails)
        return Translation(entry, legs, note=note)

    def _from_own_node(self, entry: Entry, serving: list, client: Client) -> Translation:
        """A node's own connection to its NodePort, a LoadBalancer or an external IP: kube-proxy translates it
        in nat OUTPUT (`services`: `service-ips`, NodePorts on `fib daddr type local`) to every endpoint,
        eTP Local included ("short-circuit local traffic", after "masquerade local traffic"); the source
        stays the node's address (`syncProxyRules` externalTrafficChain). Under eTP Local a node without a
        local endpoint drops its LoadBalancer and external IPs first (filter output's `endpoints-check`)."""
        local = entry.service.external_traffic_policy == "Local"
        if local and entry.kind != NODE_PORT and not any(self.local_node(b) == entry.node for b, _ in serving):
            return Translation(entry, (), (
                f"externalTrafficPolicy Local and no endpoint of {entry.service.id} on node {entry.node}: kube-proxy's "
                f"`endpoints-check` (filter output, before DNAT) drops the node's own connection to {entry.kind} "
                f"{entry.address} (`no-endpoint-services`), ahead of \"short-circuit local traffic\""))
        how = ("externalTrafficPolicy Local: \"short-circuit local traffic\" sends the node's own connection to "
               "every endpoint" if local else "externalTrafficPolicy Cluster: every endpoint")
        legs = tuple(Leg(b, t, Rewrite(), f"kube-proxy on {entry.node} translates its own connection in nat OUTPUT: "
                                          f"DNAT {entry.describe()} to {b.address}:{t.port}; {how}, masqueraded "
                                          "to the node's own address") for b, t in serving)
        if entry.kind == LOAD_BALANCER:
            legs = tuple(self._firewalled(entry, leg, client) for leg in legs)
            if legs and all(leg.fails for leg in legs) and len({leg.fails for leg in legs}) == 1:
                return Translation(entry, (), legs[0].fails)
        return Translation(entry, legs)

    def node_at(self, address: str) -> str | None:
        """The node that has this address (a Node object's), else None."""
        return next((name for name, found in self.node_addresses.items() if address in found), None)

    def _unplaced(self, service: Service) -> str:
        """What to say of the hostNetwork pods and workloads the selector picks on no known node."""
        found = self.backends.unplaced(service.namespace, service.name)
        if not found:
            return ""
        return (f"hostNetwork {', '.join(p.id for p in found)} runs on nodes the input does not "
                "name; kube-proxy sends connections to the addresses of the nodes its pods run on (the EndpointSlice "
                "controller lists a hostNetwork pod at its node's address), which netpolicy cannot tell (give the "
                "EndpointSlices, spec.nodeName or a single Node)")

    def _node_local(self, entry: Entry, serving: list, client: Client) -> tuple[list, str, str]:
        """internalTrafficPolicy Local: kube-proxy on the client's node sends ClusterIP connections only to
        that node's endpoints, and drops them when it has none (`syncProxyRules`: internalPolicyChain is the
        local chain; no local endpoint → `no-endpoint-services` drop). (backends, note, why dropped)."""
        service = entry.service
        node = client.node if client.is_pod else self.node_at(client.address)
        if node is None:
            return [], "", (f"internalTrafficPolicy Local: kube-proxy sends {client.name}'s connections to "
                            f"{service.id} only to endpoints on its own node, and its node is not known "
                            "(give the pod spec.nodeName, or Node objects)")
        here = [(b, t) for b, t in serving if self.local_node(b) == node]
        if not here:
            return [], "", (f"internalTrafficPolicy Local and no ready endpoint of {service.id} on node {node}, "
                            f"{client.name}'s node: kube-proxy drops the connection")
        others = sorted({b.endpoint.id if b.endpoint is not None else str(b.address)
                         for b, _ in serving if self.local_node(b) != node})
        note = (f"internalTrafficPolicy Local: kube-proxy on {node} sends {client.name}'s connections only to "
                f"endpoints on {node}" + (f"; not tried: {', '.join(others)} (on other nodes)" if others else ""))
        return here, note, ""

    def _firewalled(self, entry: Entry, leg: Leg, client: Client) -> Leg:
        """A LoadBalancer leg with loadBalancerSourceRanges: kube-proxy's `firewall-…` chain (filter
        prerouting, before DNAT, on the node the packet enters) drops a source outside the ranges; the
        node's own LoadBalancer IPs pass when kube-proxy's node address is in a range (`syncProxyRules`)."""
        address = ipaddress.ip_address(client.address)
        ranges = [n for n in entry.service.load_balancer_source_ranges if n.version == address.version]
        if not ranges or any(address in n for n in ranges):
            return leg
        node = entry.node or self.node_of(leg.backend)
        vips = [a for a in entry.service.load_balancer_ips if ipaddress.ip_address(a).version == address.version]
        own = self._address_of(node, address.version) if node else None
        if str(address) in vips and own is not None and any(ipaddress.ip_address(own) in n for n in ranges):
            return leg
        where = f" on {entry.node}" if entry.node else " on the node it enters"
        return replace(leg, fails=leg.fails or (
            f"{client.address} is outside the loadBalancerSourceRanges of {entry.service.id} "
            f"({', '.join(map(str, ranges))}): kube-proxy{where} drops its packets to LoadBalancer IP "
            f"{entry.address} before DNAT"))

    def _leg(self, entry: Entry, backend: Backend, target: Target, client: Client, local: bool) -> Leg:
        is_pod, client_address = client.is_pod, client.address
        why = f"kube-proxy DNATs {entry.describe()} to {backend.address}:{target.port}"
        egress_to = egress_port = None
        if entry.kind == NODE_PORT and is_pod and client.node != entry.node:
            egress_to, egress_port = entry.address, entry.port
            why += (f"; the node of {client.name} does not translate another node's address: its egress sees "
                    f"{entry.address}:{entry.port}")
        if entry.kind == CLUSTER_IP:
            return Leg(backend, target, Rewrite(egress_to, egress_port), f"{why}; source kept")
        if local:
            kept = "pod traffic goes to every endpoint unmasqueraded" if is_pod else "node-local endpoints only"
            why = f"{why}; externalTrafficPolicy Local: {kept}, source kept"
            if egress_to is not None:
                return self._short_circuited(entry, backend, target, client, Rewrite(egress_to, egress_port), why)
            return Leg(backend, target, Rewrite(egress_to, egress_port), why)
        if entry.node is None or self.node_of(backend) == entry.node:
            note = ("on the entry node masquerade comes after the filter: source kept" if entry.node else
                    "source kept if the packet enters on the backend's node (via another node: that node's address)")
            return Leg(backend, target, Rewrite(egress_to, egress_port), f"{why}; {note}")
        node_address = entry.address if entry.kind == NODE_PORT and entry.address is not None else \
            self._address_of(entry.node, backend.address.version)
        if node_address is None:
            raise unaddressed(entry.node)
        return Leg(backend, target, Rewrite(egress_to, egress_port, node_address),
                   f"{why}; externalTrafficPolicy Cluster and the backend is on node {backend.node or '(unknown)'}: "
                   f"masqueraded to {node_address}, so its ingress sees {node_address}, not {client_address}")

    def _short_circuited(self, entry: Entry, backend: Backend, target: Target, client: Client, rewrite: Rewrite,
                         why: str) -> Leg:
        """A pod's packet to another node's Local NodePort: that node DNATs it without masquerade ("short-circuit
        pod traffic" to the cluster chain), so only a backend on that node sends its reply back through it;
        a hairpin (the pod itself) is masqueraded by its endpoint chain."""
        node = self.node_of(backend)
        if node == entry.node:
            return Leg(backend, target, rewrite, f"{why}; the backend is on {entry.node}: its reply passes the "
                                                 "translating node")
        if backend.endpoint is not None and backend.endpoint.id == client.name and entry.address is not None:
            return Leg(backend, target, Rewrite(rewrite.egress_to, rewrite.egress_port, entry.address),
                       f"{why}; the backend is {client.name} itself: hairpin, masqueraded to {entry.address}")
        where = f"on node {node}" if node else "on another node (its node is not known)"
        return Leg(backend, target, rewrite, why, fails=(
            f"kube-proxy on {entry.node} DNATs the pod's packet to {backend.address}:{target.port} {where} "
            f"without masquerade (externalTrafficPolicy Local, \"short-circuit pod traffic\"): the backend "
            f"answers {client.address} directly, the reply never passes {entry.node} to be translated back, and "
            "the connection fails"))

def unaddressed(node: str | None) -> InputError:
    """Why a leg masqueraded to a node's address cannot be judged: the node has none in the input."""
    return InputError(f"node {node} has no known address", expected="its Node object with status.addresses")


def _service_port(service: Service, protocol: int, port: int | None, strict: bool = True,
                  name: str | None = None) -> ServicePort | None:
    """The Service port a flow uses: the one with this protocol and port (or name), or the only one of
    the protocol."""
    ports = [sp for sp in service.ports if sp.protocol == protocol]
    if port is not None:
        ports = [sp for sp in ports if sp.port == port]
    if name is not None:
        ports = [sp for sp in ports if sp.name == name]
    if len(ports) == 1:
        return ports[0]
    if not strict or port is not None:
        return None
    listed = ", ".join(f"{protocol_name(sp.protocol)} {sp.port}" for sp in service.ports) or "none"
    raise InputError(f"--port: service {service.id} has ports {listed}", expected="--port with one of them")
