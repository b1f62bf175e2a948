"""The structure of Calico resources (projectcalico.org/v3, crd.projectcalico.org/v1) as pydantic models.

The models check only shapes and JSON types; what Calico's validator adds on top (value ranges,
enums, combinations) lives in the modules that compile each kind. `load_spec` turns a RawObject's
`spec` into a model, reporting type errors with file, line and field path, and unknown fields as
warnings.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from netpolicy.errors import Diagnostics
from netpolicy.sources.raw import RawObject


class CalicoModel(BaseModel):
    """Strict JSON types, camelCase field names, unknown fields kept for a warning."""

    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True, frozen=True)


#: Values that can hold unknown fields: models, and lists of them.
_NESTED = (CalicoModel, list)


class ServiceMatch(CalicoModel):
    name: str = ""
    namespace: str = ""


class ServiceAccountMatch(CalicoModel):
    names: list[str] | None = None
    selector: str = ""


class EntityRule(CalicoModel):
    nets: list[str] | None = None
    not_nets: list[str] | None = Field(None, alias="notNets")
    selector: str = ""
    not_selector: str = Field("", alias="notSelector")
    namespace_selector: str = Field("", alias="namespaceSelector")
    ports: list[Any] | None = None
    not_ports: list[Any] | None = Field(None, alias="notPorts")
    services: ServiceMatch | None = None
    service_accounts: ServiceAccountMatch | None = Field(None, alias="serviceAccounts")


class ICMPFields(CalicoModel):
    type: int | None = None
    code: int | None = None


class HTTPPath(CalicoModel):
    exact: str = ""
    prefix: str = ""


class HTTPMatch(CalicoModel):
    methods: list[str] | None = None
    paths: list[HTTPPath] | None = None


class RuleMetadata(CalicoModel):
    annotations: dict[str, str] | None = None


class Rule(CalicoModel):
    action: str | None = None
    ip_version: int | None = Field(None, alias="ipVersion")
    protocol: Any = None
    not_protocol: Any = Field(None, alias="notProtocol")
    icmp: ICMPFields | None = None
    not_icmp: ICMPFields | None = Field(None, alias="notICMP")
    source: EntityRule = EntityRule()
    destination: EntityRule = EntityRule()
    http: HTTPMatch | None = None
    metadata: RuleMetadata | None = None


class NetworkPolicySpec(CalicoModel):
    tier: str = ""
    order: float | None = None
    selector: str = ""
    service_account_selector: str = Field("", alias="serviceAccountSelector")
    types: list[str] | None = None
    ingress: list[Rule] | None = None
    egress: list[Rule] | None = None
    performance_hints: list[str] | None = Field(None, alias="performanceHints")


class GlobalNetworkPolicySpec(NetworkPolicySpec):
    namespace_selector: str = Field("", alias="namespaceSelector")
    do_not_track: bool = Field(False, alias="doNotTrack")
    pre_dnat: bool = Field(False, alias="preDNAT")
    apply_on_forward: bool = Field(False, alias="applyOnForward")


class StagedNetworkPolicySpec(NetworkPolicySpec):
    staged_action: str = Field("", alias="stagedAction")


class StagedGlobalNetworkPolicySpec(GlobalNetworkPolicySpec):
    staged_action: str = Field("", alias="stagedAction")


class TierSpec(CalicoModel):
    order: float | None = None
    default_action: str | None = Field(None, alias="defaultAction")


class ProfileSpec(CalicoModel):
    ingress: list[Rule] | None = None
    egress: list[Rule] | None = None
    labels_to_apply: dict[str, str] | None = Field(None, alias="labelsToApply")


class NetworkSetSpec(CalicoModel):
    nets: list[str] | None = None


class EndpointPort(CalicoModel):
    name: str = ""
    protocol: Any = None
    port: int | None = None


class HostEndpointSpec(CalicoModel):
    node: str = ""
    interface_name: str = Field("", alias="interfaceName")
    expected_ips: list[str] | None = Field(None, alias="expectedIPs")
    profiles: list[str] | None = None
    ports: list[EndpointPort] | None = None


class IPPoolSpec(CalicoModel):
    cidr: str = ""
    nat_outgoing: bool = Field(False, alias="natOutgoing")
    disabled: bool = False
    ipip_mode: str = Field("", alias="ipipMode")
    vxlan_mode: str = Field("", alias="vxlanMode")
    block_size: int | None = Field(None, alias="blockSize")
    node_selector: str = Field("", alias="nodeSelector")
    allowed_uses: list[str] | None = Field(None, alias="allowedUses")
    disable_bgp_export: bool = Field(False, alias="disableBGPExport")
    namespace_selector: str = Field("", alias="namespaceSelector")
    assignment_mode: str = Field("", alias="assignmentMode")


SpecModel = TypeVar("SpecModel", bound=CalicoModel)

_EXPECTED_BY_ERROR = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def load_spec(model: type[SpecModel], raw: RawObject, diags: Diagnostics,
              field: str = "spec", reference: str = "the Calico API reference") -> SpecModel | None:
    """Validate `raw.data[field]` against `model`; None (with errors reported) if its shape is wrong.

    A missing spec is an empty one. Unknown fields are reported as warnings.
    """
    data = raw.data.get(field)
    if data is None:
        data = {}
    try:
        spec = model.model_validate(data)
    except ValidationError as error:
        for problem in error.errors(include_url=False):
            path = join_path(field, problem["loc"])
            expected = _EXPECTED_BY_ERROR.get(problem["type"], "")
            message = (f"{_show(problem['input'])} is not {expected}" if expected
                       else problem["msg"])
            if problem["type"] == "missing":
                message = "is required"
            diags.error(message, raw.at(path), path, expected)
        return None
    for path in unknown_fields(spec, field):
        diags.warn("unknown field, ignored", raw.at(path), path,
                   suggestion=f"check the spelling against {reference}")
    return spec


def unknown_fields(model: CalicoModel, path: str) -> list[str]:
    """Field paths of every key the models do not know, depth first."""
    found = [join_path(path, (key,)) for key in (model.model_extra or {})]
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, _NESTED):
            found.extend(_unknown_in(value, join_path(path, (info.alias or name,))))
    return found


def _unknown_in(value: Any, path: str) -> list[str]:
    if isinstance(value, CalicoModel):
        return unknown_fields(value, path)
    found: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, _NESTED):
            found.extend(_unknown_in(item, f"{path}[{i}]"))
    return found


def join_path(base: str, loc: tuple) -> str:
    """`spec` + `('ingress', 0, 'action')` → `spec.ingress[0].action`."""
    out = base
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out


def _show(value: Any) -> str:
    """A short rendering of a bad value for a message."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
