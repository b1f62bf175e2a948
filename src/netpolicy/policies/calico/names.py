"""Names and labels of Calico resources as Calico's validator accepts them (validator.go name regexes)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from netpolicy.errors import Diagnostics
from netpolicy.sources.raw import RawObject

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = rf"{_LABEL}(\.{_LABEL})*"
SUBDOMAIN_MAX = 253
LABEL_MAX = 63

SUBDOMAIN_RE = re.compile(rf"^{_SUBDOMAIN}$")
TIER_NAME_RE = re.compile(rf"^{_LABEL}$")
NETWORK_POLICY_NAME_RE = re.compile(rf"^(({_LABEL})(\.{_LABEL})?|((?:knp|ossg)\.default\.({_SUBDOMAIN})))$")
GLOBAL_NETWORK_POLICY_NAME_RE = re.compile(rf"^({_LABEL}\.)?{_LABEL}$")
INTERFACE_RE = re.compile(r"^[a-zA-Z0-9_.-]{1,15}$")

_QUALIFIED_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_PORT_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def is_subdomain(name: str) -> bool:
    """A Kubernetes DNS-1123 subdomain: the name format of most resources."""
    return len(name) <= SUBDOMAIN_MAX and bool(SUBDOMAIN_RE.match(name))


def is_qualified_name(key: str) -> bool:
    """A label key: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters."""
    prefix, slash, name = key.rpartition("/")
    if slash and not (prefix and is_subdomain(prefix)):
        return False
    return len(name) <= LABEL_MAX and bool(_QUALIFIED_NAME_RE.match(name))


def is_label_value(value: str) -> bool:
    """A label value: empty, or at most 63 characters of the qualified-name alphabet."""
    return value == "" or (len(value) <= LABEL_MAX and bool(_QUALIFIED_NAME_RE.match(value)))


def is_port_name(name: str) -> bool:
    """A Kubernetes port name (IANA_SVC_NAME): ≤15 lower-case alphanumerics or '-', with a letter."""
    return (len(name) <= 15 and bool(_PORT_NAME_RE.match(name)) and "--" not in name
            and any(c.isalpha() for c in name))


def check_labels(raw: RawObject, diags: Diagnostics, labels: Mapping[str, object] | None,
                 path: str = "metadata.labels") -> dict[str, str]:
    """Report keys and values Calico's `validateLabels` rejects; return the labels as strings."""
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        diags.error("is not a mapping", raw.at(path), path, "a mapping of label keys to values")
        return {}
    out: dict[str, str] = {}
    for key, value in labels.items():
        field = f"{path}.{key}"
        if not isinstance(key, str) or not is_qualified_name(key):
            diags.error(f"{key!r} is not a valid label key", raw.at(field), field,
                        "an optional DNS subdomain prefix and '/', then at most 63 letters, digits, "
                        "'-', '_' or '.'")
            continue
        if not isinstance(value, str):
            diags.error(f"{value!r} is not a string", raw.at(field), field, "a quoted label value")
            continue
        if not is_label_value(value):
            diags.error(f"{value!r} is not a valid label value", raw.at(field), field,
                        "at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric")
            continue
        out[key] = value
    return out
