"""What the ClusterNetworkPolicy / AdminNetworkPolicy CRDs reject, reported with file, line and field path."""

from __future__ import annotations

import pytest

from tests.policies.admin.support import admin_yaml, compile_admin
from tests.policies.kubernetes.support import messages

SUBJECT = "subject: {namespaces: {}}"
CNP = "tier: Admin\npriority: 10\n" + SUBJECT


def cnp(extra: str = "", head: str = CNP) -> str:
    return admin_yaml(head + ("\n" + extra if extra else ""))


def rules(direction: str, count: int, rule: str) -> str:
    return f"{direction}:\n" + "".join(f"- {rule}\n" for _ in range(count))


def peers(count: int) -> str:
    return "[" + ", ".join(["{namespaces: {}}"] * count) + "]"


@pytest.mark.parametrize("text, path, message", [
    (cnp(head="priority: 10\n" + SUBJECT), "spec.tier", "required value"),
    (cnp(head="tier: Admn\npriority: 10\n" + SUBJECT), "spec.tier", "'Admn' is not a tier"),
    (cnp(head="tier: Admin\n" + SUBJECT), "spec.priority", "required value"),
    (cnp(head="tier: Admin\npriority: 1001\n" + SUBJECT), "spec.priority", "1001 is out of range"),
    (cnp(head="tier: Admin\npriority: -1\n" + SUBJECT), "spec.priority", "-1 is out of range"),
    (cnp(head="tier: Admin\npriority: 1"), "spec.subject", "required value"),
    (cnp(head="tier: Admin\npriority: 1\nsubject: {}"), "spec.subject", "must set one field"),
    (cnp(head="tier: Admin\npriority: 1\nsubject: {namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}"),
     "spec.subject", "only one is allowed"),
    (cnp(head="tier: Admin\npriority: 1\nsubject: {pods: {podSelector: {}}}"),
     "spec.subject.pods.namespaceSelector", "required value"),
    (cnp(rules("ingress", 26, "{action: Deny, from: [{namespaces: {}}]}")), "spec.ingress", "26 rules: too many"),
    (cnp(rules("egress", 1, f"{{action: Deny, to: {peers(26)}}}")), "spec.egress[0].to", "26 peers: too many"),
    (cnp(rules("egress", 1, "{action: Deny, to: []}")), "spec.egress[0].to", "must have at least 1 item"),
    (cnp(rules("egress", 1, "{action: Deny}")), "spec.egress[0].to", "required value"),
    (cnp(rules("egress", 1, "{action: Allow, to: [{namespaces: {}}]}")), "spec.egress[0].action",
     "'Allow' is not an action of ClusterNetworkPolicy"),
    (cnp(rules("egress", 1, f"{{name: {'n' * 101}, action: Deny, to: [{{namespaces: {{}}}}]}}")),
     "spec.egress[0].name", "101 characters: too long"),
    (cnp(rules("ingress", 1, "{action: Deny, from: [{networks: [10.0.0.0/8]}]}")),
     "spec.ingress[0].from[0].networks", "not a field of an ingress peer"),
    (cnp(rules("egress", 1, "{action: Deny, to: [{networks: [10.0.0.0/33]}]}")),
     "spec.egress[0].to[0].networks[0]", "'10.0.0.0/33' is not a valid CIDR"),
    (cnp(rules("egress", 1, "{action: Deny, to: [{domainNames: ['bad domain']}]}")),
     "spec.egress[0].to[0].domainNames[0]", "is not a domain name"),
    (cnp(rules("egress", 1, "{action: Deny, to: [{namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}]}")),
     "spec.egress[0].to[0]", "only one is allowed"),
    (cnp(rules("egress", 1, "{action: Deny, to: [{namespaces: {}}], protocols: [{tcp: {destinationPort: "
                            "{range: {start: 90, end: 80}}}}]}")),
     "spec.egress[0].protocols[0].tcp.destinationPort.range", "start 90 must be less than end 80"),
    (cnp(rules("egress", 1, "{action: Deny, to: [{namespaces: {}}], protocols: [{tcp: {destinationPort: "
                            "{number: 70000}}}]}")),
     "spec.egress[0].protocols[0].tcp.destinationPort.number", "70000 is not a port"),
    (cnp(rules("egress", 1, "{action: Deny, to: [{namespaces: {}}], protocols: []}")),
     "spec.egress[0].protocols", "must have at least 1 item"),
    (cnp(rules("egress", 1, "{action: Deny, to: [{networks: [10.0.0.0/8]}], protocols: [{destinationNamedPort: web}]}")),
     "spec.egress[0]", "cannot be set with named ports"),
    (cnp(rules("egress", 1, "{action: Deny, to: [{namespaces: {matchLabels: {'bad key!': x}}}]}")),
     "spec.egress[0].to[0].namespaces.matchLabels.bad key!", "is not a valid label key"),
    (cnp(rules("egress", 1, "{action: Deny, to: [{namespaces: {}}], ports: [{portNumber: {port: 80}}]}")),
     "spec.egress[0].ports", "have `protocols`, not `ports`"),
    (admin_yaml("priority: 1\n" + SUBJECT, name="Platform"), "metadata.name", "'Platform' is not a valid name"),
    (admin_yaml(SUBJECT, "BaselineAdminNetworkPolicy", name="other"), "metadata.name",
     "only one BaselineAdminNetworkPolicy, named 'default'"),
    (admin_yaml("priority: 1\n" + SUBJECT, "BaselineAdminNetworkPolicy", name="default"), "spec.priority",
     "has no priority"),
    (admin_yaml("priority: 1\n" + SUBJECT + "\n" + rules("egress", 101, "{action: Deny, to: [{namespaces: {}}]}"),
                "AdminNetworkPolicy"), "spec.egress", "101 rules: too many"),
    (admin_yaml("priority: 1\n" + SUBJECT + "\n" + rules("egress", 1, "{action: Accept, to: [{namespaces: {}}]}"),
                "AdminNetworkPolicy"), "spec.egress[0].action", "did you mean 'Allow'"),
    (admin_yaml(SUBJECT + "\n" + rules("egress", 1, "{action: Pass, to: [{namespaces: {}}]}"),
                "BaselineAdminNetworkPolicy", name="default"), "spec.egress[0].action", "'Pass' is not an action"),
    (admin_yaml("priority: 1\n" + SUBJECT + "\n" + rules("egress", 1, "{action: Deny, to: [{networks: [10.0.0.0]}, "
                "{networks: ['1.2.3.4::/8']}]}"), "AdminNetworkPolicy"),
     "spec.egress[0].to[1].networks[0]", "either an IPv4 or an IPv6 address"),
    (admin_yaml("priority: 1\n" + SUBJECT + "\n" + rules("egress", 1, "{action: Deny, to: [{namespaces: {}}], "
                "ports: [{portNumber: {protocol: ICMP, port: 1}}]}"), "AdminNetworkPolicy"),
     "spec.egress[0].ports[0].portNumber.protocol", "'ICMP' is not a supported protocol"),
    (admin_yaml("priority: 1\n" + SUBJECT + "\n" + rules("egress", 1, "{action: Deny, to: [{domainNames: [a.com]}]}"),
                "AdminNetworkPolicy"), "spec.egress[0].to[0].domainNames", "not a field of an egress peer"),
])
def test_invalid_admin_policy_is_a_located_error(text, path, message):
    policy, diags = compile_admin(text, (3, 31) if "v1alpha1" in text else (3, 32))
    assert policy is None
    found = [e for e in diags.errors if e.path == path]
    assert found, messages(diags)
    assert any(message in str(e) for e in found), messages(diags)
    assert all(e.location is not None and e.location.file == "admin.yaml" and e.location.line for e in found)


def test_error_reads_like_the_house_style():
    policy, diags = compile_admin(cnp(head="tier: Admin\npriority: 1001\n" + SUBJECT))
    assert messages(diags) == ["admin.yaml:7: spec.priority: 1001 is out of range (expected an integer 0-1000)"]


def test_a_wrong_type_and_an_unknown_field():
    policy, diags = compile_admin(cnp(head="tier: Admin\npriority: high\n" + SUBJECT))
    assert policy is None
    assert [str(e) for e in diags.errors] == ["admin.yaml:7: spec.priority: 'high' is not an integer "
                                              "(expected an integer)"]
    policy, diags = compile_admin(cnp(head=CNP + "\nprioirty: 3"))
    assert policy is not None
    assert [w.path for w in diags.warnings] == ["spec.prioirty"]
    assert "ClusterNetworkPolicy API" in diags.warnings[0].suggestion


@pytest.mark.parametrize("kind, name, version, enforced", [
    ("ClusterNetworkPolicy", "platform", (3, 32), True),
    ("ClusterNetworkPolicy", "platform", (3, 31), False),
    ("AdminNetworkPolicy", "platform", (3, 32), False),
    ("AdminNetworkPolicy", "platform", (3, 29), True),
    ("AdminNetworkPolicy", "platform", (3, 28), False),
    ("BaselineAdminNetworkPolicy", "default", (3, 29), False),
    ("BaselineAdminNetworkPolicy", "default", (3, 30), True),
    ("BaselineAdminNetworkPolicy", "default", (3, 32), False),
])
def test_calico_version_decides_which_kinds_exist(kind, name, version, enforced):
    head = {"ClusterNetworkPolicy": CNP, "AdminNetworkPolicy": "priority: 3\n" + SUBJECT,
            "BaselineAdminNetworkPolicy": SUBJECT}[kind]
    policy, diags = compile_admin(admin_yaml(head, kind, name), version)
    assert not diags.errors
    assert (policy is not None) is enforced
    if not enforced:
        (warning,) = diags.warnings
        assert f"not enforced by Calico {version[0]}.{version[1]}" in str(warning)
        assert warning.location.line == 1
