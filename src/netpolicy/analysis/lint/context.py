"""What every lint rule reads: the cluster, the engine's matrix, and the input objects behind the IR."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from netpolicy.analysis.lint.finding import ObjectKey, raw_key
from netpolicy.analysis.lint.objects import is_admin_policy, is_calico_policy, is_k8s_policy
from netpolicy.model.cluster import HOST_ENDPOINT, K8S_NAMESPACE_NAME_LABEL, NAME_LABEL, Cluster, Endpoint
from netpolicy.model.ir import K8S_NETWORK_POLICY, PROFILE, Policy
from netpolicy.options import Options
from netpolicy.selectors.ast import Selector
from netpolicy.sources.raw import RawObject


class LintContext:
    """One lint run's view of the input; expensive parts (the matrix) are computed once, on first use."""

    def __init__(self, cluster: Cluster, options: Options | None = None) -> None:
        self.cluster = cluster
        self.options = options or Options()

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value several rules share, computed by the first that asks."""
        cache = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    # ---- the engine -------------------------------------------------------------------------------
    @cached_property
    def matrix(self):
        """The connectivity matrix of the input (`netpolicy.engine.matrix.Matrix`)."""
        from netpolicy.engine.matrix import Matrix

        return Matrix(self.cluster, self.options)

    @cached_property
    def decisions(self):
        """Which rules ever decide a flow (`netpolicy.analysis.lint.decisions.Decisions`)."""
        from netpolicy.analysis.lint.decisions import Decisions

        return Decisions(self.matrix)

    @cached_property
    def policed(self) -> list[Endpoint]:
        """Pods and workloads (the endpoints policies select), sorted by id; host endpoints excluded."""
        return sorted((e for e in self.cluster.endpoints if e.policed and e.kind != HOST_ENDPOINT),
                      key=lambda e: e.id)

    @cached_property
    def ip_owners(self) -> list[Endpoint]:
        """Every endpoint a rule selector can match: pods, workloads, host endpoints, network sets."""
        return list(self.cluster.endpoints)

    @cached_property
    def owner_index(self):
        """Which IP owners hold an address (the engine's `OwnerIndex`)."""
        from netpolicy.engine.context import OwnerIndex

        return OwnerIndex(list(self.cluster.endpoints))

    @cached_property
    def _owners(self) -> dict[str, list[Endpoint]]:
        return {}

    def owners_of(self, endpoint: Endpoint) -> list[Endpoint]:
        """The IP owners at the endpoint's addresses (itself first), whose labels rule selectors see there."""
        found = self._owners.get(endpoint.id)
        if found is None:
            found = [endpoint]
            for owner in (o for ip in endpoint.ips for o in self.owner_index.owners(ip)):
                if all(owner is not known for known in found):
                    found.append(owner)
            self._owners[endpoint.id] = found
        return found

    @cached_property
    def _label_index(self):
        """The engine's index of distinct label sets over every IP owner, and the owners of each set."""
        from netpolicy.engine.labelindex import LabelIndex

        index = LabelIndex()
        owners: list[list[Endpoint]] = []
        for endpoint in self.ip_owners:
            number = index.add(endpoint.selector_labels)
            if number == len(owners):
                owners.append([])
            owners[number].append(endpoint)
        return index, owners

    def matching(self, selector: Selector) -> list[Endpoint]:
        """The endpoints whose labels (as selectors see them) match, found through the label index."""
        index, owners = self._label_index
        return [e for number in index.matching(selector) for e in owners[number]]

    def selected(self, policy: Policy) -> list[Endpoint]:
        """The policed endpoints (host endpoints included) the policy applies to."""
        return [e for e in self.matching(policy.selector) if e.policed]

    def governing(self, endpoint: Endpoint, direction: str) -> list[Policy]:
        """The enforced policies that apply to the endpoint in this direction, in evaluation order."""
        return self.matrix.governing(endpoint, direction)

    # ---- the input objects ----------------------------------------------------------------------------
    def endpoint_key(self, endpoint: Endpoint) -> ObjectKey | None:
        """The key of the pod or workload object an endpoint stands for (None when made up)."""
        return raw_key(endpoint.source) if endpoint.source is not None else None

    @cached_property
    def policies(self) -> list[tuple[Policy, RawObject]]:
        """Enforced policies (no profiles, no staged ones) with the objects they came from, in input order."""
        out = []
        for policy in self.cluster.policies:
            if policy.staged or policy.kind == PROFILE:
                continue
            if policy.source is not None:
                out.append((policy, policy.source))
        return out

    @cached_property
    def k8s_policies(self) -> list[tuple[Policy, RawObject]]:
        """The Kubernetes NetworkPolicies among `policies`."""
        return [(p, r) for p, r in self.policies if p.kind == K8S_NETWORK_POLICY and is_k8s_policy(r)]

    @cached_property
    def calico_policies(self) -> list[tuple[Policy, RawObject]]:
        """The Calico NetworkPolicies and GlobalNetworkPolicies among `policies`."""
        return [(p, r) for p, r in self.policies if is_calico_policy(r)]

    @cached_property
    def admin_policies(self) -> list[tuple[Policy, RawObject]]:
        """The admin policies (ClusterNetworkPolicy, Admin/BaselineAdminNetworkPolicy) among `policies`."""
        return [(p, r) for p, r in self.policies if is_admin_policy(r)]

    @cached_property
    def known_namespaces(self) -> set[str]:
        """Namespaces the input defines or deploys into."""
        return {n for n, ns in self.cluster.namespaces.items() if ns.defined} | {
            e.namespace for e in self.cluster.endpoints if e.namespace}

    @cached_property
    def populated_namespaces(self) -> set[str]:
        """Namespaces holding pods or workloads of the input."""
        return {e.namespace for e in self.policed if e.namespace}

    def namespaces_matching(self, selector: Selector) -> list[str]:
        """Known namespaces whose labels (with their name labels) match, sorted."""
        cache = self.__dict__.setdefault("_namespaces_matching", {})
        found = cache.get(selector.canonical)
        if found is None:
            found = cache[selector.canonical] = [n for n in sorted(self.known_namespaces)
                                                 if selector.matches(self.namespace_labels(n))]
        return found

    def namespace_labels(self, name: str) -> dict[str, str]:
        """A namespace's labels, with the name labels Kubernetes and Calico add."""
        known = self.cluster.namespaces.get(name)
        labels = dict(known.labels) if known is not None else {}
        labels.setdefault(K8S_NAMESPACE_NAME_LABEL, name)
        labels[NAME_LABEL] = name
        return labels

    @cached_property
    def _policed_by_namespace(self) -> dict[str | None, list[Endpoint]]:
        out: dict[str | None, list[Endpoint]] = {}
        for endpoint in self.policed:
            out.setdefault(endpoint.namespace, []).append(endpoint)
        return out

    def endpoints_in(self, namespace: str | None) -> list[Endpoint]:
        """Policed endpoints of a namespace (every namespace for None)."""
        return self.policed if namespace is None else self._policed_by_namespace.get(namespace, [])
