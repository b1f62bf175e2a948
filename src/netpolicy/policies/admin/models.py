"""The shape of ClusterNetworkPolicy (v1alpha2) and Admin/BaselineAdminNetworkPolicy (v1alpha1) as pydantic models.

Only JSON types are checked here; the CRDs' limits (priority range, list sizes, exactly one peer field,
names) are checked in `validation`. Field names follow `sigs.k8s.io/network-policy-api` v0.2.0
(`apis/v1alpha2`) and v0.1.5 (`apis/v1alpha1`, the version Calico 3.29-3.31 built against).
"""

from __future__ import annotations

from pydantic import Field

from netpolicy.policies.calico.models import CalicoModel


class SelectorRequirement(CalicoModel):
    key: str
    operator: str
    values: list[str] | None = None


class LabelSelector(CalicoModel):
    """A `metav1.LabelSelector`."""

    match_labels: dict[str, str] | None = Field(None, alias="matchLabels")
    match_expressions: list[SelectorRequirement] | None = Field(None, alias="matchExpressions")

    def as_mapping(self) -> dict:
        """The selector as the mapping `selectors.k8s` compiles."""
        return {"matchLabels": dict(self.match_labels or {}),
                "matchExpressions": [{"key": e.key, "operator": e.operator, "values": list(e.values or ())}
                                     for e in self.match_expressions or ()]}


class NamespacedPod(CalicoModel):
    namespace_selector: LabelSelector | None = Field(None, alias="namespaceSelector")
    pod_selector: LabelSelector | None = Field(None, alias="podSelector")


class Subject(CalicoModel):
    namespaces: LabelSelector | None = None
    pods: NamespacedPod | None = None


class Peer(CalicoModel):
    """An ingress or egress peer of either API version (the validator says which fields each allows)."""

    namespaces: LabelSelector | None = None
    pods: NamespacedPod | None = None
    nodes: LabelSelector | None = None
    networks: list[str] | None = None
    domain_names: list[str] | None = Field(None, alias="domainNames")


# --- v1alpha2 protocols ---------------------------------------------------------------------------


class PortRange(CalicoModel):
    start: int | None = None
    end: int | None = None
    protocol: str | None = None  # v1alpha1 only


class Port(CalicoModel):
    number: int | None = None
    range: PortRange | None = None


class ProtocolPort(CalicoModel):
    destination_port: Port | None = Field(None, alias="destinationPort")


class Protocol(CalicoModel):
    """One `protocols` entry of a ClusterNetworkPolicy rule."""

    tcp: ProtocolPort | None = None
    udp: ProtocolPort | None = None
    sctp: ProtocolPort | None = None
    destination_named_port: str | None = Field(None, alias="destinationNamedPort")


# --- v1alpha1 ports -------------------------------------------------------------------------------


class PortNumber(CalicoModel):
    protocol: str | None = None
    port: int | None = None


class AdminPort(CalicoModel):
    """One `ports` entry of an Admin/BaselineAdminNetworkPolicy rule."""

    port_number: PortNumber | None = Field(None, alias="portNumber")
    named_port: str | None = Field(None, alias="namedPort")
    port_range: PortRange | None = Field(None, alias="portRange")


class Rule(CalicoModel):
    name: str | None = None
    action: str | None = None
    from_: list[Peer] | None = Field(None, alias="from")
    to: list[Peer] | None = None
    protocols: list[Protocol] | None = None
    ports: list[AdminPort] | None = None


class AdminPolicySpec(CalicoModel):
    """The spec of all three kinds; `tier` is v1alpha2 only, `priority` absent from BANP."""

    tier: str | None = None
    priority: int | None = None
    subject: Subject | None = None
    ingress: list[Rule] | None = None
    egress: list[Rule] | None = None
