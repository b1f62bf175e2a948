"""Seeded synthetic clusters written as manifest files, cached under bench/out/ until the generator changes."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from bench.calico_policies import calico_objects
from bench.cluster_gen import (
    World,
    build_world,
    namespace_objects,
    pod_objects,
    service_objects,
    workload_objects,
)
from bench.k8s_policies import kubernetes_policies
from bench.scale_policies import scale_test_policies
from bench.shapes import open_policies, shape_pods, shape_world
from bench.sizes import DEFAULT_PROFILE, PROFILES, ClusterSpec, parse_sizes
from bench.writer import write_objects

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
GENERATOR_FILES = ("vocab.py", "sizes.py", "cluster_gen.py", "k8s_policies.py", "scale_policies.py",
                   "calico_policies.py", "writer.py", "generate.py", "shapes.py")
#: Share of the policy budget written as Calico policies in the Calico flavour (the same templates in every profile).
CALICO_SHARE = 0.3
#: What writes the Kubernetes NetworkPolicies of each profile.
KUBERNETES_POLICIES = {"mixed": kubernetes_policies, "scale-test": scale_test_policies,
                       "varied": open_policies("varied"), "statefulsets": open_policies("statefulsets")}


@dataclass
class Generated:
    """A cluster on disk and what it holds."""

    directory: str
    pods: int
    namespaces: int
    policies: int
    k8s_policies: int
    calico_policies: int
    services: int
    workloads: int
    endpoints: int
    files: list[str]
    bytes: int
    seconds: float
    query: dict = field(default_factory=dict)


def fingerprint() -> str:
    """A digest of the generator's own source: a changed generator invalidates every cached cluster."""
    digest = hashlib.sha256()
    for name in GENERATOR_FILES:
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()[:16]


def generate(spec: ClusterSpec, directory: Path) -> Generated:
    """Generate `spec` into `directory` (created; existing manifests there are replaced)."""
    if spec.profile not in KUBERNETES_POLICIES:
        raise ValueError(f"unknown profile {spec.profile!r} (expected one of {', '.join(PROFILES)})")
    started = time.perf_counter()
    world = build_world(spec, random.Random(f"{spec.seed}:cluster"))
    shape_world(world, spec.profile)
    calico_budget = round(spec.policies * CALICO_SHARE) if spec.calico else 0
    calico, calico_count = (calico_objects(random.Random(f"{spec.seed}:calico"), world, calico_budget)
                            if spec.calico else ([], 0))
    policies = KUBERNETES_POLICIES[spec.profile](random.Random(f"{spec.seed}:k8s"), world,
                                                 spec.policies - calico_count)
    if spec.form == "pods":
        endpoints = pod_objects(world, random.Random(f"{spec.seed}:pods"))
        shape_pods(endpoints, spec.profile, random.Random(f"{spec.seed}:labels"))
    elif spec.form == "workloads":
        endpoints = workload_objects(world)
    else:
        raise ValueError(f"unknown form {spec.form!r} (expected pods or workloads)")
    services = service_objects(world)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        if old.suffix in (".yaml", ".json"):
            old.unlink()
    parts = [("namespaces", namespace_objects(world)), (spec.form, endpoints), ("services", services),
             ("networkpolicies", policies)]
    if calico:
        parts.append(("calico", calico))
    files = [write_objects(directory / stem, objects, spec.format) for stem, objects in parts]
    workloads = sum(len(ns.workloads) for ns in world.namespaces)
    return Generated(
        directory=str(directory), pods=world.pod_count, namespaces=len(world.namespaces),
        policies=len(policies) + calico_count, k8s_policies=len(policies), calico_policies=calico_count,
        services=len(services), workloads=workloads,
        endpoints=world.pod_count if spec.form == "pods" else workloads,
        files=[f.name for f in files], bytes=sum(f.stat().st_size for f in files),
        seconds=round(time.perf_counter() - started, 2), query=sample_query(world, spec.form))


def sample_query(world: World, form: str) -> dict:
    """A flow worth asking about: a web (else any) workload to a database (else any other) workload."""
    workloads = [w for ns in world.user_namespaces for w in ns.workloads]
    source = next((w for w in workloads if w.app.tier == "web"), workloads[0])
    target = next((w for w in workloads if w.app.tier == "db" and w.namespace == source.namespace),
                  next((w for w in workloads if w.app.tier == "db"), workloads[-1]))

    def endpoint_id(workload) -> str:
        name = workload.pod_names[0] if form == "pods" else workload.name
        return f"{workload.namespace}/{name}"

    return {"from": endpoint_id(source), "to": endpoint_id(target), "port": target.app.ports[0].port,
            "protocol": target.app.ports[0].protocol}


def stamp_path(spec: ClusterSpec, root: Path) -> Path:
    """Where the description of a cached cluster lives (beside its directory, not inside it)."""
    return root / f"{spec.variant}.spec.json"


def ensure_generated(spec: ClusterSpec, root: Path = OUT) -> Generated:
    """The cached cluster for `spec`, generating it first when missing or stale."""
    directory = root / spec.variant
    stamp = stamp_path(spec, root)
    wanted = {"spec": spec.as_dict(), "generator": fingerprint()}
    if stamp.is_file() and directory.is_dir():
        recorded = json.loads(stamp.read_text())
        if {k: recorded.get(k) for k in wanted} == wanted:
            return Generated(**recorded["cluster"])
    if directory.exists():
        shutil.rmtree(directory)
    generated = generate(spec, directory)
    stamp.write_text(json.dumps({**wanted, "cluster": asdict(generated)}, indent=2) + "\n")
    return generated


def main(argv: list[str] | None = None) -> int:
    """`python -m bench generate`: write clusters and print what each holds."""
    parser = argparse.ArgumentParser(prog="python -m bench generate", description=__doc__)
    parser.add_argument("--sizes", default="500,1k", help="sizes: names (500,1k,10k,50k,150k) or PODS/POLICIES/NAMESPACES")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--k8s-only", action="store_true", help="only Kubernetes NetworkPolicies (for peer tools)")
    parser.add_argument("--form", choices=("pods", "workloads"), default="pods")
    parser.add_argument("--format", choices=("auto", "yaml", "json"), default="auto")
    parser.add_argument("--profile", choices=list(PROFILES), default=DEFAULT_PROFILE,
                        help="policy profile (default mixed)")
    parser.add_argument("--out", type=Path, default=OUT, help="cache directory (default bench/out)")
    args = parser.parse_args(argv)
    try:
        specs = parse_sizes(args.sizes, args.profile)
    except ValueError as error:
        parser.error(str(error))
    for base in specs:
        spec = replace(base, seed=args.seed, calico=base.calico and not args.k8s_only, form=args.form, file_format=args.format)
        generated = ensure_generated(spec, args.out)
        print(f"{generated.directory}: {generated.pods} pods, {generated.policies} policies "
              f"({generated.calico_policies} Calico), {generated.namespaces} namespaces, "
              f"{generated.bytes / 1e6:.1f} MB, generated in {generated.seconds} s", file=sys.stderr)
    return 0
