"""The labels Calico selectors see on a workload endpoint: inherited, own, then assigned, in that order."""

from __future__ import annotations

import pytest

from netpolicy.model.cluster import assigned_labels, calico_labels, profile_labels

CASES = [
    # own labels, namespace, service account, expected labels in order
    ({"app": "web"}, "shop", "api",
     [("pcns.team", "a"), ("pcns.projectcalico.org/name", "shop"), ("pcsa.role", "b"),
      ("pcsa.projectcalico.org/name", "api"), ("app", "web"), ("projectcalico.org/namespace", "shop"),
      ("projectcalico.org/orchestrator", "k8s"), ("projectcalico.org/serviceaccount", "api")]),
    ({"pcns.team": "own", "projectcalico.org/namespace": "spoofed"}, "shop", None,
     [("pcns.team", "own"), ("pcns.projectcalico.org/name", "shop"), ("projectcalico.org/namespace", "shop"),
      ("projectcalico.org/orchestrator", "k8s")]),
    ({}, None, "x" * 63,
     [("pcsa.role", "b"), ("pcsa.projectcalico.org/name", "x" * 63), ("projectcalico.org/orchestrator", "k8s")]),
]


@pytest.mark.parametrize("own, namespace, account, expected", CASES)
def test_labels_and_their_order(own: dict[str, str], namespace: str | None, account: str | None,
                                expected: list[tuple[str, str]]) -> None:
    labels = calico_labels(own, namespace=namespace, namespace_labels={"team": "a"}, service_account=account,
                           service_account_labels={"role": "b"})
    assert list(labels.items()) == expected


@pytest.mark.parametrize("own, namespace, account, expected", CASES)
def test_the_parts_make_the_whole(own: dict[str, str], namespace: str | None, account: str | None,
                                  expected: list[tuple[str, str]]) -> None:
    inherited = profile_labels(namespace=namespace, namespace_labels={"team": "a"}, service_account=account,
                               service_account_labels={"role": "b"})
    assigned = assigned_labels(namespace=namespace, service_account=account)
    assert list({**inherited, **own, **assigned}.items()) == expected
    assert not set(inherited) & set(assigned)
