"""Cluster specifications: how many pods, policies and namespaces, and the named benchmark sizes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

#: Where generated pods take their addresses (and what the tools are told the pod network is).
POD_CIDR = "10.128.0.0/10"

#: Policy profiles: the shape of the Kubernetes NetworkPolicies, described for the results file.
PROFILES: dict[str, str] = {
    "mixed": "the shapes teams write: default denies, DNS, tier-to-tier on named ports, namespace selectors, "
             "ipBlocks, port ranges",
    "scale-test": "the OpenShift network-policy scale test's shape: every NetworkPolicy with 5 single ports, "
                  "5 port ranges, 5 remote namespaces, 5 remote pod labels and 5 CIDRs",
    "varied": "an open cluster (Kubernetes policies only): labels drawn per pod (zone, shard, track), one "
              "policy per namespace isolating one app and admitting pods by zone, shard, track and a team's zone; "
              "about one class per pod, most pods not isolated",
    "statefulsets": "an open cluster of StatefulSets (Kubernetes policies only): each namespace's policy singles "
                    "out a primary (`-0`) or its replicas by `statefulset.kubernetes.io/pod-name`",
}
#: Profiles whose clusters carry Kubernetes policies only (a Calico baseline deny would isolate every pod).
OPEN_PROFILES = ("varied", "statefulsets")
DEFAULT_PROFILE = "mixed"


@dataclass(frozen=True)
class ClusterSpec:
    """What to generate. `form` is `pods` (one Pod object per replica) or `workloads`; `profile` is one of
    `PROFILES` and decides the shape of the Kubernetes NetworkPolicies."""

    name: str
    pods: int
    policies: int
    namespaces: int
    seed: int = 1
    calico: bool = True
    form: str = "pods"
    file_format: str = "auto"
    profile: str = DEFAULT_PROFILE

    @property
    def format(self) -> str:
        """`yaml` or `json`: `auto` writes YAML up to a few thousand pods and kubectl JSON lists beyond."""
        if self.file_format != "auto":
            return self.file_format
        return "yaml" if self.pods <= 2000 else "json"

    @property
    def label(self) -> str:
        """The size name, with the profile unless it is the default."""
        return self.name if self.profile == DEFAULT_PROFILE else f"{self.name}-{self.profile}"

    @property
    def variant(self) -> str:
        """Directory name: the size name, the policy flavour, then the profile unless it is the default."""
        flavour = f"{self.name}-{'calico' if self.calico else 'k8s'}"
        return flavour if self.profile == DEFAULT_PROFILE else f"{flavour}-{self.profile}"

    def as_dict(self) -> dict:
        """Plain data, for the cache stamp."""
        return {**asdict(self), "format": self.format}

    def kubernetes_only(self) -> ClusterSpec:
        """The same cluster with every policy a Kubernetes NetworkPolicy."""
        return replace(self, calico=False)


SIZES: dict[str, ClusterSpec] = {
    "500": ClusterSpec("500", 500, 100, 10),
    "1k": ClusterSpec("1k", 1_000, 200, 20),
    "10k": ClusterSpec("10k", 10_000, 1_000, 200),
    "50k": ClusterSpec("50k", 50_000, 5_000, 1_000),
    "150k": ClusterSpec("150k", 150_000, 10_000, 10_000),
}


def parse_sizes(text: str, profile: str = DEFAULT_PROFILE) -> list[ClusterSpec]:
    """`500,1k,10k` → specs with policies of `profile`; a custom size is `PODS/POLICIES/NAMESPACES`
    (e.g. `2000/300/40`)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (expected one of {', '.join(PROFILES)})")
    specs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if item in SIZES:
            specs.append(replace(SIZES[item], profile=profile, calico=profile not in OPEN_PROFILES))
            continue
        fields = item.split("/")
        if len(fields) != 3 or not all(f.isdigit() and int(f) > 0 for f in fields):
            known = ", ".join(SIZES)
            raise ValueError(f"unknown size {item!r} (expected one of {known}, or PODS/POLICIES/NAMESPACES)")
        pods, policies, namespaces = (int(f) for f in fields)
        specs.append(ClusterSpec(f"{pods}p{policies}n{namespaces}", pods, policies, namespaces, profile=profile,
                                 calico=profile not in OPEN_PROFILES))
    return specs
