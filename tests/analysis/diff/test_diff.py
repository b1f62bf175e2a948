"""Semantic diff: known differences, each checked flow by flow against both matrices."""

from __future__ import annotations

import ipaddress

import pytest

from netpolicy.analysis.diff.compute import DiffResult, semantic_diff
from netpolicy.api import load_documents
from netpolicy.engine.matrix import Matrix
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import TCP, UDP

ALL = ConnectionSet.all()


def namespace(name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(ns: str, name: str, ip: str | None = None, **labels: str) -> dict:
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
           "spec": {"containers": [{"name": "main", "ports": [{"containerPort": 80, "name": "http"}]}]}}
    if ip:
        doc["status"] = {"podIP": ip}
    return doc


def k8s_policy(ns: str, name: str, spec: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def calico_policy(ns: str, name: str, spec: dict) -> dict:
    return {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def tier(name: str, order: int | None) -> dict:
    spec = {"order": order} if order is not None else {}
    return {"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": name}, "spec": spec}


BASE = [namespace("x"), namespace("y"),
        pod("x", "a", "10.0.0.1", app="a"), pod("x", "b", "10.0.0.2", app="b"), pod("y", "c", "10.0.1.3", app="c")]

ISOLATE_B = k8s_policy("x", "b-from-a", {
    "podSelector": {"matchLabels": {"app": "b"}}, "policyTypes": ["Ingress"],
    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}],
                 "ports": [{"protocol": "TCP", "port": 80}]}]})

EGRESS_A_TO_NET = k8s_policy("x", "a-egress", {
    "podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Egress"],
    "egress": [{"to": [{"ipBlock": {"cidr": "192.0.2.0/24", "except": ["192.0.2.128/25"]}}],
                "ports": [{"protocol": "UDP", "port": 53}]}]})

DENY_80 = {"order": 10, "selector": "app == 'b'", "types": ["Ingress"],
           "ingress": [{"action": "Deny", "protocol": "TCP", "source": {"selector": "app == 'a'"},
                        "destination": {"ports": [80]}}]}
DENY_80_THEN_PASS = {**DENY_80, "ingress": DENY_80["ingress"] + [{"action": "Pass"}]}
ALLOW_ALL = {"order": 100, "selector": "app == 'b'", "types": ["Ingress"], "ingress": [{"action": "Allow"}]}


def with_order(spec: dict, order: int) -> dict:
    return {**spec, "order": order}


def in_tier(spec: dict, name: str) -> dict:
    return {**spec, "tier": name}


TCP80 = ConnectionSet.of(TCP, IntervalSet.span(80, 80))
UDP53 = ConnectionSet.of(UDP, IntervalSet.span(53, 53))

# (name, before, after, {(src, dst): (newly allowed, newly blocked)} for known pairs)
SCENARIOS = [
    ("added policy", BASE, BASE + [ISOLATE_B], {
        ("x/a", "x/b"): (ConnectionSet.empty(), ALL - TCP80),
        ("y/c", "x/b"): (ConnectionSet.empty(), ALL),
        ("x/b", "x/a"): (ConnectionSet.empty(), ConnectionSet.empty()),
    }),
    ("removed policy", BASE + [ISOLATE_B], BASE, {
        ("x/a", "x/b"): (ALL - TCP80, ConnectionSet.empty()),
        ("y/c", "x/b"): (ALL, ConnectionSet.empty()),
    }),
    ("egress to an address range", BASE, BASE + [EGRESS_A_TO_NET], {
        ("x/a", "x/b"): (ConnectionSet.empty(), ALL),
        ("x/b", "x/a"): (ConnectionSet.empty(), ConnectionSet.empty()),
    }),
    ("calico order changed", BASE + [calico_policy("x", "deny-80", DENY_80), calico_policy("x", "allow", ALLOW_ALL)],
     BASE + [calico_policy("x", "deny-80", with_order(DENY_80, 200)), calico_policy("x", "allow", ALLOW_ALL)], {
         ("x/a", "x/b"): (TCP80, ConnectionSet.empty()),
         ("y/c", "x/b"): (ConnectionSet.empty(), ConnectionSet.empty()),
     }),
    ("calico tier reordered",
     BASE + [tier("security", 100), calico_policy("x", "security.deny-80", in_tier(DENY_80_THEN_PASS, "security")),
             calico_policy("x", "allow", ALLOW_ALL)],
     BASE + [tier("security", 2_000_000),
             calico_policy("x", "security.deny-80", in_tier(DENY_80_THEN_PASS, "security")),
             calico_policy("x", "allow", ALLOW_ALL)], {
         ("x/a", "x/b"): (TCP80, ConnectionSet.empty()),
         ("y/c", "x/b"): (ConnectionSet.empty(), ConnectionSet.empty()),
     }),
    ("calico tier without a pass rule", BASE + [tier("security", 100), calico_policy(
        "x", "security.deny-80", in_tier(DENY_80, "security")), calico_policy("x", "allow", ALLOW_ALL)],
     BASE + [tier("security", 2_000_000), calico_policy("x", "security.deny-80", in_tier(DENY_80, "security")),
             calico_policy("x", "allow", ALLOW_ALL)], {
         ("x/a", "x/b"): (ALL, ConnectionSet.empty()),
         ("y/c", "x/b"): (ALL, ConnectionSet.empty()),
     }),
    ("calico policy moved to another tier", BASE + [tier("late", 2_000_000), calico_policy("x", "deny-80", DENY_80),
                                                   calico_policy("x", "allow", with_order(ALLOW_ALL, 5))],
     BASE + [tier("late", 2_000_000), calico_policy("x", "late.deny-80", in_tier(DENY_80, "late")),
             calico_policy("x", "allow", with_order(ALLOW_ALL, 5))], {
         ("x/a", "x/b"): (ConnectionSet.empty(), ConnectionSet.empty()),
     }),
    ("endpoint added", BASE, BASE + [pod("y", "d", "10.0.1.4", app="d")], {
        ("y/d", "x/a"): (ALL, ConnectionSet.empty()),
        ("x/a", "y/d"): (ALL, ConnectionSet.empty()),
    }),
]


def _diff(before: list[dict], after: list[dict]):
    old, new = load_documents(before), load_documents(after)
    return old, new, semantic_diff(old, new)


def _reported(result: DiffResult) -> dict[tuple[str, str], object]:
    pairs = {}
    for change in result.changes:
        for src in change.sources.members:
            for dst in change.destinations.members:
                assert (src.id, dst.id) not in pairs, f"{src.id} → {dst.id} reported twice"
                pairs[(src.id, dst.id)] = change
    return pairs


def _external_at(matrix: Matrix, address) -> object | None:
    for external in matrix.externals:
        if any(address in net for net in external.nets):
            return external
    return None


def _sample_addresses(old_matrix: Matrix, new_matrix: Matrix, owned: set) -> list:
    """Both ends and both neighbours of every external cell of either side, skipping owned addresses."""
    values = set()
    for matrix in (old_matrix, new_matrix):
        for external in matrix.externals:
            nets = external.nets
            lo, hi = int(nets[0].network_address), int(nets[-1].broadcast_address)
            values.update({lo, min(lo + 1, hi), hi, max(hi - 1, lo)})
    addresses = [ipaddress.IPv4Address(v) for v in sorted(values) if v < 2 ** 32]
    return [a for a in addresses if a not in owned]


def _side(matrix: Matrix, ids: set[str], endpoint_id: str, external, forward: bool) -> ConnectionSet:
    if endpoint_id not in ids or external is None:
        return ConnectionSet.empty()
    endpoint = matrix.endpoint(endpoint_id)
    return matrix.connections(endpoint, external) if forward else matrix.connections(external, endpoint)


def assert_exact(old, new, result: DiffResult) -> None:
    """Every endpoint pair and every sampled external address: the diff equals the matrices' difference."""
    old_m, new_m = Matrix(old), Matrix(new)
    reported = _reported(result)
    old_ids = {e.id for e in old_m.policed}
    new_ids = {e.id for e in new_m.policed}
    ids = sorted(old_ids | new_ids)
    checked = set()
    for src in ids:
        for dst in ids:
            before = old_m.connections(src, dst) if {src, dst} <= old_ids else ConnectionSet.empty()
            after = new_m.connections(src, dst) if {src, dst} <= new_ids else ConnectionSet.empty()
            change = reported.get((src, dst))
            if before == after:
                assert change is None, f"{src} → {dst} reported without a change"
            else:
                assert change is not None, f"{src} → {dst} changed but not reported"
                assert (change.before, change.after) == (before, after)
                checked.add((src, dst))
    owned = {ip for m in (old_m, new_m) for e in m.policed for ip in e.ips}
    places = {p.id: p for c in result.changes for p in c.sources.members + c.destinations.members if p.external}
    for address in _sample_addresses(old_m, new_m, owned):
        old_ext, new_ext = _external_at(old_m, address), _external_at(new_m, address)
        place = next((p for p in places.values() if any(address in n for n in p.nets)), None)
        for endpoint_id in ids:
            for forward in (True, False):
                before = _side(old_m, old_ids, endpoint_id, old_ext, forward)
                after = _side(new_m, new_ids, endpoint_id, new_ext, forward)
                key = None if place is None else (endpoint_id, place.id) if forward else (place.id, endpoint_id)
                change = reported.get(key) if key else None
                if before == after:
                    assert change is None, f"{address}: {key} reported without a change"
                else:
                    assert change is not None, f"{address} ({'to' if forward else 'from'} {endpoint_id}) not reported"
                    assert (change.before, change.after) == (before, after)
    for change in result.changes:
        _assert_explained(change)


def _assert_explained(change) -> None:
    """Explanations cover the change exactly, and the one-flow evaluator agrees with the matrices."""
    for conns, explanations, untraced, now, then in (
            (change.newly_allowed, change.allowed_because, change.untraced_allowed, "allow", "deny"),
            (change.newly_blocked, change.blocked_because, change.untraced_blocked, "deny", "allow")):
        covered = untraced
        for explanation in explanations:
            assert explanation.connections.issubset(conns)
            assert explanation.probe.cell.issubset(explanation.connections)
            covered = covered | explanation.connections
            assert explanation.after is None or explanation.after.verdict == now
            assert explanation.before is None or explanation.before.verdict == then
        assert covered == conns


@pytest.mark.parametrize(("name", "before", "after", "known"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_diff_matches_the_matrices_flow_by_flow(name, before, after, known):
    old, new, result = _diff(before, after)
    assert_exact(old, new, result)
    reported = _reported(result)
    for (src, dst), (allowed, blocked) in known.items():
        change = reported.get((src, dst))
        if not allowed and not blocked:
            assert change is None
            continue
        assert change is not None, f"{src} → {dst} not reported"
        assert change.newly_allowed == allowed
        assert change.newly_blocked == blocked


def test_added_policy_names_the_rule_now_and_before():
    _, _, result = _diff(BASE, BASE + [ISOLATE_B])
    change = _reported(result)[("x/a", "x/b")]
    (blocked,) = change.blocked_because
    assert blocked.after.ingress.trace[-1].action == "EndOfTier"
    assert "x/b-from-a" in blocked.after.ingress.trace[-1].reason
    assert blocked.before.ingress.trace[-1].action == "Allow"
    assert blocked.before.ingress.trace[-1].policy == "kns.x"


def test_calico_order_change_is_explained_by_both_policies():
    before = BASE + [calico_policy("x", "deny-80", DENY_80), calico_policy("x", "allow", ALLOW_ALL)]
    after = BASE + [calico_policy("x", "deny-80", with_order(DENY_80, 200)), calico_policy("x", "allow", ALLOW_ALL)]
    _, _, result = _diff(before, after)
    (explanation,) = _reported(result)[("x/a", "x/b")].allowed_because
    now, then = explanation.after.ingress.trace[-1], explanation.before.ingress.trace[-1]
    assert (now.policy, now.rule, now.action) == ("x/allow", "ingress[0]", "Allow")
    assert (then.policy, then.rule, then.action) == ("x/deny-80", "ingress[0]", "Deny")
    assert explanation.probe.port == 80


def test_no_change_is_empty():
    _, _, result = _diff(BASE + [ISOLATE_B], BASE + [ISOLATE_B])
    assert result.empty and result.pairs_changed == 0


def test_added_and_removed_endpoints_are_listed():
    _, _, result = _diff(BASE, [namespace("x"), namespace("y"), pod("x", "a", "10.0.0.1", app="a"),
                                pod("x", "b", "10.0.0.2", app="b"), pod("y", "d", "10.0.1.9", app="d")])
    assert [p.id for p in result.added] == ["y/d"]
    assert [p.id for p in result.removed] == ["y/c"]
    change = _reported(result)[("x/a", "y/d")]
    assert change.before.is_empty and change.after == ALL
    assert all(e.before is None for e in change.allowed_because)


def test_many_alike_endpoints_are_compared_as_groups_but_reported_exactly():
    web = [pod("x", f"web-{i}", f"10.0.2.{i + 1}", app="web") for i in range(12)]
    db = [pod("x", f"db-{i}", f"10.0.3.{i + 1}", app="db") for i in range(3)]
    policy = k8s_policy("x", "db", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
                                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                                 "ports": [{"protocol": "TCP", "port": 5432}]}]})
    before = [namespace("x"), *web, *db]
    old, new, result = _diff(before, before + [policy])
    assert_exact(old, new, result)
    web_to_db = [c for c in result.changes if c.sources.representative.id.startswith("x/web")
                 and c.destinations.representative.id.startswith("x/db")]
    assert len(web_to_db) == 1 and web_to_db[0].pairs == 12 * 3
    assert web_to_db[0].newly_blocked == ALL - ConnectionSet.of(TCP, IntervalSet.span(5432, 5432))


def test_changes_past_the_explanation_budget_are_reported_untraced():
    old, new = load_documents(BASE), load_documents(BASE + [ISOLATE_B])
    result = semantic_diff(old, new, explained_changes=1)
    first, *rest = result.changes
    assert first.blocked_because
    assert rest and all(not c.blocked_because and c.untraced_blocked == c.newly_blocked for c in rest)
    for change in result.changes:
        _assert_explained(change)
