"""Kubernetes name formats (apimachinery `util/validation`): each check returns the reasons a value fails."""

from __future__ import annotations

import re
from functools import lru_cache

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_RE = re.compile(_DNS1123_LABEL)
_DNS1123_SUBDOMAIN_RE = re.compile(rf"{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*")
_QUALIFIED_NAME_RE = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_PORT_NAME_CHARSET_RE = re.compile(r"[-a-z0-9]+")
_HAS_LETTER_RE = re.compile(r"[a-z]")

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_MAX = 63
PORT_NAME_MAX = 15

DNS1123_LABEL_FORMAT = "a DNS-1123 label such as my-namespace"
DNS1123_SUBDOMAIN_FORMAT = "a DNS-1123 subdomain such as my-policy"
LABEL_KEY_FORMAT = "a label key such as app or example.com/app"
LABEL_VALUE_FORMAT = "a label value: empty, or up to 63 letters, digits, '-', '_' and '.'"
PORT_NAME_FORMAT = "a number 1-65535 or a port name such as http"


@lru_cache(maxsize=4096)
def dns1123_label_problems(value: str) -> tuple[str, ...]:
    """Why `value` is not a DNS-1123 label (namespace names); empty if it is one."""
    reasons = []
    if len(value) > DNS1123_LABEL_MAX:
        reasons.append(f"must be no more than {DNS1123_LABEL_MAX} characters")
    if not _DNS1123_LABEL_RE.fullmatch(value):
        reasons.append("must consist of lower-case letters, digits and '-', "
                       "and start and end with a letter or digit")
    return tuple(reasons)


@lru_cache(maxsize=4096)
def dns1123_subdomain_problems(value: str) -> tuple[str, ...]:
    """Why `value` is not a DNS-1123 subdomain (object names, label key prefixes); empty if it is one."""
    reasons = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        reasons.append(f"must be no more than {DNS1123_SUBDOMAIN_MAX} characters")
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(value):
        reasons.append("must consist of lower-case letters, digits, '-' and '.', "
                       "and start and end with a letter or digit")
    return tuple(reasons)


@lru_cache(maxsize=16384)
def qualified_name_problems(value: str) -> tuple[str, ...]:
    """Why `value` is not a qualified name (`[prefix/]name`, label and annotation keys); empty if it is one."""
    parts = value.split("/")
    if len(parts) > 2:
        return ("may contain at most one '/' (between a DNS subdomain prefix and the name)",)
    reasons: list[str] = []
    if len(parts) == 2:
        prefix, name = parts
        if not prefix:
            reasons.append("prefix part must be non-empty")
        else:
            reasons.extend(f"prefix part {r}" for r in dns1123_subdomain_problems(prefix))
    else:
        name = parts[0]
    if not name:
        reasons.append("name part must be non-empty")
        return tuple(reasons)
    if len(name) > QUALIFIED_NAME_MAX:
        reasons.append(f"name part must be no more than {QUALIFIED_NAME_MAX} characters")
    if not _QUALIFIED_NAME_RE.fullmatch(name):
        reasons.append("name part must consist of letters, digits, '-', '_' or '.', "
                       "and start and end with a letter or digit")
    return tuple(reasons)


@lru_cache(maxsize=16384)
def label_value_problems(value: str) -> tuple[str, ...]:
    """Why `value` is not a valid label value; empty if it is one (the empty string is valid)."""
    reasons = []
    if len(value) > LABEL_VALUE_MAX:
        reasons.append(f"must be no more than {LABEL_VALUE_MAX} characters")
    if value and not _QUALIFIED_NAME_RE.fullmatch(value):
        reasons.append("must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit")
    return tuple(reasons)


@lru_cache(maxsize=4096)
def port_name_problems(value: str) -> tuple[str, ...]:
    """Why `value` is not an IANA_SVC_NAME (a named container port); empty if it is one."""
    reasons = []
    if len(value) > PORT_NAME_MAX:
        reasons.append(f"must be no more than {PORT_NAME_MAX} characters")
    if not _PORT_NAME_CHARSET_RE.fullmatch(value):
        reasons.append("must contain only lower-case letters, digits and '-'")
    if not _HAS_LETTER_RE.search(value):
        reasons.append("must contain at least one letter (a-z)")
    if "--" in value:
        reasons.append("must not contain consecutive hyphens (--)")
    if value.startswith("-") or value.endswith("-"):
        reasons.append("must not begin or end with a hyphen (-)")
    return tuple(reasons)


def port_number_problems(value: int) -> tuple[str, ...]:
    """Why `value` is not a port number; empty if it is 1-65535."""
    return () if 1 <= value <= 65535 else ("must be between 1 and 65535, inclusive",)
