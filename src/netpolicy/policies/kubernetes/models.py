"""The shape of a `networking.k8s.io/v1` NetworkPolicy as pydantic models, and decoding raw objects into them.

Only types and required fields are checked here (what the API server's JSON decoding rejects); the
API server's validation rules live in `validation`. Unknown fields are reported as warnings and
dropped, as the API server's field validation does.
"""

from __future__ import annotations

import copy
import typing
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from netpolicy.errors import Diagnostics
from netpolicy.sources.raw import RawObject
from netpolicy.suggest import closest, did_you_mean


def _int_or_string(value: object) -> int | str:
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise PydanticCustomError("int_or_string", "not an integer or a string")


IntOrString = Annotated[int | str, PlainValidator(_int_or_string)]


def _null_items_are_empty(value: object) -> object:
    return [{} if item is None else item for item in value] if isinstance(value, list) else value


Item = TypeVar("Item")
#: A list of structs; a null item decodes to an empty struct, as in Go (`ingress: [null]` is `[{}]`).
StructList = Annotated[list[Item], BeforeValidator(_null_items_are_empty)]


class K8sModel(BaseModel):
    """Base of every model: strict JSON types; unknown fields are found by pydantic and reported as warnings."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LabelSelectorRequirement(K8sModel):
    key: StrictStr
    operator: StrictStr
    values: list[StrictStr] | None = None


class LabelSelector(K8sModel):
    """A `metav1.LabelSelector`; a null label value stands for the empty string, as Go decodes it."""

    match_labels: dict[StrictStr, StrictStr | None] | None = Field(None, alias="matchLabels")
    match_expressions: StructList[LabelSelectorRequirement] | None = Field(None, alias="matchExpressions")

    @property
    def labels(self) -> dict[str, str]:
        """matchLabels with null values read as `""`."""
        return {k: v or "" for k, v in (self.match_labels or {}).items()}

    @property
    def is_empty(self) -> bool:
        """No terms at all: selects everything."""
        return not self.match_labels and not self.match_expressions

    def key(self) -> tuple:
        """A hashable value equal for selectors with the same meaning as written (for caching)."""
        return (
            tuple(sorted((k, v or "") for k, v in (self.match_labels or {}).items())),
            tuple((e.key, e.operator, tuple(e.values or ())) for e in self.match_expressions or ()),
        )


class IPBlock(K8sModel):
    cidr: StrictStr
    except_: list[StrictStr] | None = Field(None, alias="except")


class NetworkPolicyPeer(K8sModel):
    pod_selector: LabelSelector | None = Field(None, alias="podSelector")
    namespace_selector: LabelSelector | None = Field(None, alias="namespaceSelector")
    ip_block: IPBlock | None = Field(None, alias="ipBlock")


class NetworkPolicyPort(K8sModel):
    protocol: StrictStr | None = None
    port: IntOrString | None = None
    end_port: StrictInt | None = Field(None, alias="endPort")


class NetworkPolicyIngressRule(K8sModel):
    ports: StructList[NetworkPolicyPort] | None = None
    from_: StructList[NetworkPolicyPeer] | None = Field(None, alias="from")

    @property
    def peers(self) -> list[NetworkPolicyPeer]:
        return self.from_ or []


class NetworkPolicyEgressRule(K8sModel):
    ports: StructList[NetworkPolicyPort] | None = None
    to: StructList[NetworkPolicyPeer] | None = None

    @property
    def peers(self) -> list[NetworkPolicyPeer]:
        return self.to or []


class NetworkPolicySpec(K8sModel):
    pod_selector: LabelSelector | None = Field(None, alias="podSelector")
    ingress: StructList[NetworkPolicyIngressRule] | None = None
    egress: StructList[NetworkPolicyEgressRule] | None = None
    policy_types: list[StrictStr] | None = Field(None, alias="policyTypes")


class ObjectMeta(K8sModel):
    """The metadata fields that matter here; the other standard ones are accepted unchecked."""

    name: StrictStr | None = None
    generate_name: StrictStr | None = Field(None, alias="generateName")
    namespace: StrictStr | None = None
    labels: dict[StrictStr, StrictStr | None] | None = None
    annotations: dict[StrictStr, StrictStr | None] | None = None
    uid: Any = None
    resource_version: Any = Field(None, alias="resourceVersion")
    generation: Any = None
    creation_timestamp: Any = Field(None, alias="creationTimestamp")
    deletion_timestamp: Any = Field(None, alias="deletionTimestamp")
    deletion_grace_period_seconds: Any = Field(None, alias="deletionGracePeriodSeconds")
    owner_references: Any = Field(None, alias="ownerReferences")
    finalizers: Any = None
    managed_fields: Any = Field(None, alias="managedFields")
    self_link: Any = Field(None, alias="selfLink")


class NetworkPolicy(K8sModel):
    api_version: StrictStr | None = Field(None, alias="apiVersion")
    kind: StrictStr | None = None
    metadata: ObjectMeta = ObjectMeta()
    spec: NetworkPolicySpec = NetworkPolicySpec()
    status: Any = None

    @field_validator("metadata", "spec", mode="before")
    @classmethod
    def _null_is_empty(cls, value: object) -> object:
        """`metadata: null` and `spec: null` decode to empty structs, as in Go."""
        return {} if value is None else value


def parse_network_policy(obj: RawObject, diags: Diagnostics) -> NetworkPolicy | None:
    """Decode `obj` into the model: type errors into `diags` (None if any), unknown fields as warnings."""
    try:
        return NetworkPolicy.model_validate(obj.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    unknown = [error["loc"] for error in errors if error["type"] == "extra_forbidden"]
    for loc in unknown:
        path = field_path(loc)
        name = str(loc[-1])
        diags.warn(f"unknown field {name!r} (ignored by Kubernetes)", obj.at(path), path,
                   suggestion=_unknown_field_hint(name, known_fields(loc[:-1])))
    invalid = [error for error in errors if error["type"] != "extra_forbidden"]
    for error in invalid:
        path = field_path(error["loc"])
        message, expected, suggestion = _describe(error)
        diags.error(message, obj.at(path), path, expected, suggestion)
    if invalid:
        return None
    return NetworkPolicy.model_validate(_without(obj.data, unknown))


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a field path: `('spec', 'ingress', 0, 'ports')` → `spec.ingress[0].ports`."""
    out = ""
    for i, part in enumerate(loc):
        is_key = i + 1 < len(loc) and loc[i + 1] == "[key]"
        if isinstance(part, int) and not is_key:
            out += f"[{part}]"
        elif part != "[key]":
            out += f".{part}" if out else str(part)
    return out


def known_fields(loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The field names (as written in YAML) of the model found at `loc`; empty if there is none."""
    model: type[BaseModel] | None = NetworkPolicy
    for part in loc:
        if isinstance(part, int):
            continue
        fields = {info.alias or name: info for name, info in model.model_fields.items()}
        model = _model_in(fields[part].annotation) if part in fields else None
        if model is None:
            return ()
    return tuple(info.alias or name for name, info in model.model_fields.items())


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _without(data: dict, locations: list[tuple[int | str, ...]]) -> dict:
    """A copy of `data` without the fields at `locations`."""
    pruned = copy.deepcopy(data)
    for loc in locations:
        holder: Any = pruned
        for part in loc[:-1]:
            holder = holder[part]
        del holder[loc[-1]]
    return pruned


# Fields users put one level off: where each really belongs.
_BELONGS_TO = {
    "ports": "the rule (beside `from`/`to`), not the peer",
    "from": "an ingress rule (a list item under `ingress`)",
    "to": "an egress rule (a list item under `egress`)",
    "podSelector": "a peer (a list item under `from`/`to`) or the spec",
    "namespaceSelector": "a peer (a list item under `from`/`to`)",
    "ipBlock": "a peer (a list item under `from`/`to`)",
    "policyTypes": "the spec",
    "ingress": "the spec",
    "egress": "the spec",
    "endPort": "a port entry (beside `port`)",
    "matchLabels": "a label selector",
    "matchExpressions": "a label selector",
}


def _unknown_field_hint(name: str, known: tuple[str, ...]) -> str:
    hint = did_you_mean(closest(name, known), quote=True)
    if not hint and name in _BELONGS_TO:
        hint = f"`{name}` belongs to {_BELONGS_TO[name]}; check the indentation"
    return hint


_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "int_or_string": "a port",
}
_TYPE_EXPECTED = {"int_or_string": "a number 1-65535 or a port name"}


def _describe(error: dict) -> tuple[str, str, str]:
    """(message, expected, suggestion) for one pydantic error."""
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return "required value", "", ""
    if kind in _TYPE_NAMES:
        suggestion = ""
        if kind == "string_type" and isinstance(value, bool | int | float):
            suggestion = f'quote it: "{_yaml_scalar(value)}"'
        if kind == "int_type" and isinstance(value, str) and value.strip().isdigit():
            suggestion = f"write it without quotes: {value.strip()}"
        return f"{_show(value)} is not {_TYPE_NAMES[kind]}", _TYPE_EXPECTED.get(kind, ""), suggestion
    return error["msg"], "", ""


def _yaml_scalar(value: bool | int | float) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool | int | float):
        return _yaml_scalar(value)
    return repr(value)
