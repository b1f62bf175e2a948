"""What an expectations file says: peers, connections, the verdict wanted and for which pairs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from netpolicy.errors import Location
from netpolicy.model.addresses import AddressSet
from netpolicy.model.cluster import NamedPort
from netpolicy.model.connections import ConnectionSet
from netpolicy.selectors.ast import Selector

# Verdicts an expectation may ask for.
ALLOW, DENY, ONLY = "allow", "deny", "only"
EXPECTS = (ALLOW, DENY, ONLY)
# Quantifiers over the (source, destination) pairs the peers match.
EVERY, ANY = "every", "any"
QUANTIFIERS = (EVERY, ANY)

# Peer kinds.
ENDPOINT, POD_SELECTOR, SELECTOR, NAMESPACE, CIDR, EXTERNAL, SERVICE = (
    "endpoint", "podSelector", "selector", "namespace", "cidr", "external", "service")
# How a `service` peer is entered: its ClusterIP, each of its LoadBalancer ingress IPs, or its nodePort on
# each node with an address (or on the one `node` names).
VIA = ("clusterIP", "loadBalancer", "nodePort")


@dataclass(frozen=True)
class PeerSpec:
    """One way of naming peers.

    - `endpoint`: one endpoint by id (`text`);
    - `podSelector`/`selector`: endpoints whose labels match (`selector`, Kubernetes labels or Calico's
      view of them), in `namespace` when given;
    - `namespace`: every endpoint of a namespace;
    - `cidr`: every address of `addresses` (endpoints and outside addresses);
    - `external`: the addresses of `addresses` that no endpoint owns;
    - `service`: a Service (`namespace/name`, destinations only), reached as kube-proxy translates it,
      through its ClusterIP, (`via` loadBalancer) each of its LoadBalancer ingress IPs or (`via` nodePort)
      its nodePort on every node with an address, or on `node` alone.
    """

    kind: str
    text: str
    namespace: str | None = None
    selector: Selector | None = None
    addresses: AddressSet | None = None
    path: str = ""
    via: str = "clusterIP"
    node: str | None = None

    def describe(self) -> str:
        """Readable: `podSelector app=django in trojanwall`, `external 0.0.0.0/0`."""
        where = f" in namespace {self.namespace}" if self.namespace and self.kind != NAMESPACE else ""
        return f"{self.kind} {self.text}{where}"


@dataclass(frozen=True)
class Expectation:
    """One check: every (or any) pair of `sources` × `destinations` must satisfy `expect` for `connections`."""

    name: str
    sources: tuple[PeerSpec, ...]
    destinations: tuple[PeerSpec, ...]
    connections: ConnectionSet
    expect: str
    quantifier: str
    location: Location
    index: int


@dataclass(frozen=True)
class StandInPod:
    """A pod the cluster runs that the checked files may lack (such as the cluster DNS)."""

    namespace: str
    name: str
    labels: Mapping[str, str]
    ports: tuple[NamedPort, ...] = ()
    ip: str | None = None
    location: Location | None = None

    @property
    def id(self) -> str:
        """`namespace/name`, the endpoint id the pod gets."""
        return f"{self.namespace}/{self.name}"


@dataclass
class ExpectationSuite:
    """The contents of one expectations file."""

    file: str
    expectations: list[Expectation] = field(default_factory=list)
    pods: list[StandInPod] = field(default_factory=list)
