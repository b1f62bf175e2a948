"""Kubernetes name formats: which values pass, and why the others fail."""

from __future__ import annotations

import pytest

from netpolicy.policies.kubernetes import names


@pytest.mark.parametrize("check, value, reason", [
    (names.dns1123_label_problems, "prod", None),
    (names.dns1123_label_problems, "a-1", None),
    (names.dns1123_label_problems, "a" * 63, None),
    (names.dns1123_label_problems, "a" * 64, "no more than 63"),
    (names.dns1123_label_problems, "a.b", "lower-case letters, digits and '-'"),
    (names.dns1123_label_problems, "Prod", "lower-case"),
    (names.dns1123_label_problems, "-a", "start and end"),
    (names.dns1123_label_problems, "", "start and end"),
    (names.dns1123_subdomain_problems, "allow.web-1", None),
    (names.dns1123_subdomain_problems, "a." * 126 + "a", None),
    (names.dns1123_subdomain_problems, "a" * 254, "no more than 253"),
    (names.dns1123_subdomain_problems, "a..b", "start and end"),
    (names.dns1123_subdomain_problems, "a_b", "lower-case letters, digits, '-' and '.'"),
    (names.qualified_name_problems, "app", None),
    (names.qualified_name_problems, "App_Name.v1", None),
    (names.qualified_name_problems, "example.com/app", None),
    (names.qualified_name_problems, "kubernetes.io/metadata.name", None),
    (names.qualified_name_problems, "/app", "prefix part must be non-empty"),
    (names.qualified_name_problems, "example.com/", "name part must be non-empty"),
    (names.qualified_name_problems, "Example.com/app", "prefix part"),
    (names.qualified_name_problems, "a/b/c", "at most one '/'"),
    (names.qualified_name_problems, "a" * 64, "no more than 63"),
    (names.qualified_name_problems, "app-", "start and end"),
    (names.qualified_name_problems, "", "name part must be non-empty"),
    (names.label_value_problems, "", None),
    (names.label_value_problems, "v1.2_rc-3", None),
    (names.label_value_problems, "a" * 64, "no more than 63"),
    (names.label_value_problems, "web/v1", "start and end"),
    (names.label_value_problems, "_x", "start and end"),
    (names.port_name_problems, "http", None),
    (names.port_name_problems, "h2c-1", None),
    (names.port_name_problems, "a" * 15, None),
    (names.port_name_problems, "a" * 16, "no more than 15"),
    (names.port_name_problems, "80", "at least one letter"),
    (names.port_name_problems, "Http", "only lower-case"),
    (names.port_name_problems, "web_ui", "only lower-case"),
    (names.port_name_problems, "web--ui", "consecutive hyphens"),
    (names.port_name_problems, "web-", "begin or end with a hyphen"),
])
def test_name_formats(check, value, reason):
    problems = check(value)
    if reason is None:
        assert problems == ()
    else:
        assert any(reason in p for p in problems), problems


@pytest.mark.parametrize("value, valid", [(0, False), (1, True), (65535, True), (65536, False), (-1, False)])
def test_port_numbers(value, valid):
    assert (names.port_number_problems(value) == ()) is valid
