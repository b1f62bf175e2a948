"""The lab's operations as library calls: up, down, status, show_rules, exec_in, verify.

    handle = up(cluster, matrix, options)        # build it; it stays until down()
    print(show_rules(cluster, matrix))           # the nftables ruleset, commented
    exec_in(handle.id, "x/a", ["ip", "addr"])    # run a command inside an endpoint
    down(handle.id)  /  down(all_labs=True)
    report = verify(cluster, matrix, options)    # up, probe, compare, down; report.exit_code
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from netpolicy.engine.path import ServicePaths
from netpolicy.escape import nft
from netpolicy.lab import netns, state
from netpolicy.lab.build import build, destroy
from netpolicy.lab.environment import raise_open_file_limit, require_lab_environment, sctp_supported
from netpolicy.lab.errors import LabError, LabNotFoundError
from netpolicy.lab.nft import compile_ruleset
from netpolicy.lab.nft.kubeproxy import ServicePicks, kube_proxy_tables, vip_routes
from netpolicy.lab.plan import (
    Probe,
    ProbePlan,
    SourcePorts,
    auto_ports,
    mentions_icmp,
    parse_ports,
    plan_probes,
)
from netpolicy.lab.prober import ALLOWED, Prober
from netpolicy.lab.report import VerifyReport, compare
from netpolicy.lab.topology import CLIENT_PREFIX, LAB_ID_RE, PREFIX, Topology, lab_prefix, plan_topology
from netpolicy.model.cluster import EXTERNAL, Cluster, Endpoint
from netpolicy.options import Options


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """Make SIGTERM (and SIGHUP) raise KeyboardInterrupt like Ctrl-C does, so `finally` blocks run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class LabHandle:
    """A running lab: its topology, its ruleset, and the means to run commands in it or remove it."""

    def __init__(self, topology: Topology, ruleset: str, paths: ServicePaths, picks: ServicePicks,
                 lock: state.Lock | None = None) -> None:
        self.topology = topology
        self.ruleset = ruleset
        self.paths = paths  # how the engine translates Services, and which source port picks which
        self.picks = picks  # backend: the rules, the uplink's routes and the probes share them
        self.lock = lock
        self.closed = False

    @property
    def id(self) -> str:
        return self.topology.lab_id

    def namespace(self, endpoint_id: str) -> str:
        host = self.topology.host(endpoint_id)
        if host is None:
            raise LabNotFoundError(_unknown_endpoint(endpoint_id, [h.endpoint_id for h in self.topology.hosts]))
        return host.netns

    def exec(self, endpoint_id: str, argv: Sequence[str]) -> int:
        """Run a command inside an endpoint's namespace; its exit status."""
        return _run_inside(self.namespace(endpoint_id), argv)

    def down(self) -> None:
        if not self.closed:
            destroy(_ours(self.id, self.topology.namespaces))
            state.remove(self.id)
            self.closed = True
            if self.lock is not None:
                self.lock.release()

    def __enter__(self) -> LabHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.down()


def _unknown_endpoint(endpoint_id: str, known: Sequence[str]) -> str:
    shown = ", ".join(sorted(known)[:10]) + (" …" if len(known) > 10 else "")
    return f"no endpoint {endpoint_id!r} in this lab (endpoints: {shown or 'none'})"


def _run_inside(namespace: str, argv: Sequence[str]) -> int:
    if not argv:
        raise LabError("no command given (expected: lab exec EP -- COMMAND ARGS…)")
    with netns.inside(namespace):
        try:
            return subprocess.call(list(argv))
        except FileNotFoundError:
            raise LabError(f"command not found: {argv[0]}") from None


def _new_id() -> tuple[str, state.Lock]:
    while True:
        lab_id = secrets.token_hex(3)
        try:
            lock = state.Lock(lab_id).acquire()
        except state.LabBusyError:
            continue
        if not netns.existing(lab_prefix(lab_id)) and state.load(lab_id) is None:
            return lab_id, lock
        lock.release()


def _ours(lab_id: str, names) -> list[str]:
    """The namespaces among `names` that exist and carry the lab's prefix: the only ones it may delete."""
    prefix = lab_prefix(lab_id)
    present = set(netns.existing(prefix))
    return sorted(n for n in names if n.startswith(prefix) and n in present)


def _endpoints(cluster: Cluster, matrix, clients: Sequence[str] = ()) -> list:
    """The matrix's endpoints (the cluster's without one), then one outside host per client address."""
    found = list(matrix.endpoints) if matrix is not None else list(cluster.endpoints)
    return found + [client_endpoint(c) for c in clients]


def client_endpoint(address: str) -> Endpoint:
    """An outside host at this address that only probes Services (`lab verify --client`)."""
    try:
        network = ipaddress.ip_network(str(address).strip())
    except ValueError:
        raise LabError(f"client {address!r} is not an IP address") from None
    if network.num_addresses != 1:
        raise LabError(f"client {address!r} is not one address (expected e.g. 203.0.113.7)")
    ident = f"{CLIENT_PREFIX}{network.network_address}"
    return Endpoint(id=ident, kind=EXTERNAL, name=ident, namespace=None, labels={}, selector_labels={},
                    nets=(network,), policed=False)


def service_picks(cluster: Cluster) -> tuple[ServicePaths, ServicePicks]:
    """The Service paths and the pick table (which source port selects which backend), built once per lab."""
    paths = ServicePaths(cluster)
    return paths, ServicePicks(paths.backends, paths.node_of)


def node_rulesets(cluster: Cluster, topology: Topology, options: Options | None = None,
                  picks: ServicePicks | None = None) -> dict[str, str]:
    """Each node's nftables script (by namespace): Calico's table, then kube-proxy's when there are Services."""
    if picks is None:
        picks = service_picks(cluster)[1]
    out = {}
    for node in topology.nodes:
        text = compile_ruleset(cluster, topology, options, node=node).render()
        out[node.netns] = text + "".join("\n" + proxy.render() for proxy in kube_proxy_tables(topology, node, picks))
    return out


def _joined(topology: Topology, rulesets: dict[str, str]) -> str:
    if len(topology.nodes) == 1:
        return rulesets[topology.node]
    return "\n".join(f"# ==== node {nft(n.name or '')} (namespace {n.netns}) ====\n{rulesets[n.netns]}"
                     for n in topology.nodes)


def show_rules(cluster: Cluster, matrix=None, options: Options | None = None, *, lab_id: str = "rules") -> str:
    """The nftables ruleset the lab loads for this cluster, node by node, commented (no root needed)."""
    topology = plan_topology(lab_id, _endpoints(cluster, matrix), cluster.nodes)
    return _joined(topology, node_rulesets(cluster, topology, options))


def up(cluster: Cluster, matrix=None, options: Options | None = None, *, lab_id: str | None = None,
       hold: bool = False, clients: Sequence[str] = ()) -> LabHandle:
    """Build the lab; it stays until `down`. On any failure (or Ctrl-C) nothing is left behind.

    The id's lock is held while the lab is built (and, with `hold`, until the handle's `down`), so no
    other process can build or remove the same lab meanwhile.
    """
    require_lab_environment()
    if lab_id is None:
        lab_id, lock = _new_id()
    else:
        lock = state.Lock(lab_id).acquire()  # a second `up` of the same id stops here, touching nothing
        if netns.existing(lab_prefix(lab_id)) or state.load(lab_id) is not None:
            lock.release()
            raise LabError(f"a lab {lab_id!r} already exists; remove it first with `netpolicy lab down {lab_id}`")
    try:
        topology = plan_topology(lab_id, _endpoints(cluster, matrix, clients), cluster.nodes)
        paths, picks = service_picks(cluster)
        rulesets = node_rulesets(cluster, topology, options, picks)
        ruleset = _joined(topology, rulesets)
        state.save(state.LabRecord.of(topology))
        with interrupts_raise():
            build(topology, rulesets, vip_routes(topology, picks))
    except BaseException:
        destroy(_ours(lab_id, netns.existing(lab_prefix(lab_id))))
        state.remove(lab_id)
        lock.release()
        raise
    if not hold:
        lock.release()
    return LabHandle(topology, ruleset, paths, picks, lock if hold else None)


def _ids_in_use() -> set[str]:
    ids = set(state.recorded())
    for name in netns.existing(PREFIX):
        candidate = name[len(PREFIX):].split("-", 1)[0]
        if LAB_ID_RE.fullmatch(candidate):
            ids.add(candidate)
    return ids


def down(lab_id: str | None = None, *, all_labs: bool = False, busy: list[str] | None = None) -> list[str]:
    """Remove one lab, or every lab and leftover (`all_labs`); returns the ids removed.

    Only namespaces with the lab's own prefix are deleted; a lab another process is using is not
    touched (with `all_labs` its id is added to `busy`, otherwise LabBusyError).
    """
    require_lab_environment()
    if not all_labs and lab_id is None:
        raise LabError("say which lab to remove, or all of them (lab down ID | lab down --all)")
    ids = sorted(_ids_in_use()) if all_labs else [state.check_id(lab_id)]
    removed = []
    for item in ids:
        try:
            lock = state.Lock(item).acquire()
        except state.LabBusyError:
            if not all_labs:
                raise
            if busy is not None:
                busy.append(item)
            continue
        try:
            record = state.load(item)
            names = _ours(item, set(netns.existing(lab_prefix(item))) | set(record.namespaces if record else ()))
            if not names and record is None:
                if not all_labs:
                    raise LabNotFoundError(
                        f"no lab {item!r} (running labs: {', '.join(sorted(_ids_in_use())) or 'none'})")
                continue
            destroy(names)
            state.remove(item)
            removed.append(item)
        finally:
            lock.release()
    return removed


@dataclass(frozen=True)
class LabStatus:
    """A lab found on this machine: recorded by `lab up`, or namespaces left by a crashed run."""

    lab_id: str
    namespaces: int
    endpoints: int
    created: float | None
    pid: int | None
    recorded: bool
    corrupt: bool = False

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created)) if self.created else "unknown"
        alive = ""
        if self.pid:
            alive = " (its process is running)" if _alive(self.pid) else ""
        kind = "" if self.recorded else " — leftover of a crashed run: remove it with `netpolicy lab down --all`"
        if self.corrupt:
            kind = " — its state file is unreadable: `netpolicy lab down` removes it"
        return (f"{self.lab_id}: {self.endpoints} endpoints in {self.namespaces} namespaces, "
                f"created {when}{alive}{kind}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def status() -> list[LabStatus]:
    """Every lab on this machine."""
    out = []
    for lab_id in sorted(_ids_in_use()):
        record = state.load(lab_id)
        present = netns.existing(lab_prefix(lab_id))
        out.append(LabStatus(lab_id, len(present), len(record.endpoints) if record else max(len(present) - 2, 0),
                             record.created if record else None, record.pid if record else None, record is not None,
                             bool(record and record.corrupt)))
    return out


def exec_in(lab_id: str, endpoint_id: str, argv: Sequence[str]) -> int:
    """Run a command inside an endpoint of a running lab (like `kubectl exec`); its exit status."""
    require_lab_environment()
    record = state.load(state.check_id(lab_id))
    if record is None or record.corrupt:
        raise LabNotFoundError(f"no lab {lab_id!r} (running labs: {', '.join(sorted(_ids_in_use())) or 'none'})")
    entry = record.endpoints.get(endpoint_id)
    if entry is None:
        raise LabNotFoundError(_unknown_endpoint(endpoint_id, list(record.endpoints)))
    return _run_inside(entry["netns"], argv)


def _plan_paths(plan: ProbePlan, cluster: Cluster, options: Options | None, handle: LabHandle,
                sources: SourcePorts, ports: Sequence[tuple[int, int]]) -> None:
    """Add a probe per client, Service entry and backend (the lab's own pick table), per node end and
    peer, and per pair of nodes, with the engine's verdict for each."""
    from netpolicy.engine.flow import FlowEvaluator
    from netpolicy.lab.node_probes import plan_node_pairs, plan_node_probes
    from netpolicy.lab.service_probes import ServiceProbePlanner

    evaluator = FlowEvaluator(cluster, options)
    ServiceProbePlanner(handle.topology, evaluator, handle.paths, handle.picks, sources.take).plan(
        plan, sctp_supported())
    plan_node_probes(plan, handle.topology, cluster, evaluator, ports, sources)
    plan_node_pairs(plan, handle.topology, cluster, evaluator, ports, sources)


def verify(cluster: Cluster, matrix, options: Options | None = None, ports: str | Sequence = "auto", *,
           timeout: float = 1.0, concurrency: int = 512, lab_id: str | None = None, icmp: bool | None = None,
           explain: Callable[[Probe], str] | None = None, clients: Sequence[str] = ()) -> VerifyReport:
    """Build the lab, probe every pair, compare each result with the engine, tear the lab down.

    `ports` is "auto" (every declared port plus one no one declares) or a list (`80`, `"udp/53"`);
    `icmp` None probes ICMP echo only when a rule mentions ICMP; `explain(probe)` may return the
    engine's trace for a disagreement; `clients` are outside addresses that probe Services and nodes only.
    """
    require_lab_environment()
    started = time.monotonic()
    port_list = auto_ports(matrix.endpoints) if ports == "auto" else parse_ports(ports)
    if icmp is None:
        icmp = mentions_icmp(list(cluster.policies) + list(cluster.profiles.values()))
    raise_open_file_limit()
    timings: dict[str, float] = {}
    extra = [client_endpoint(c).id for c in clients]
    handle = up(cluster, matrix, options, lab_id=lab_id, hold=True, clients=clients)
    timings["up"] = time.monotonic() - started
    try:
        with interrupts_raise():
            sources = SourcePorts({n for _, n in port_list})
            plan = plan_probes(handle.topology, matrix.connections, port_list, icmp=icmp, sctp=sctp_supported(),
                               sources=sources, service_clients=frozenset(extra))
            if cluster.services or handle.topology.node_ends:
                _plan_paths(plan, cluster, options, handle, sources, port_list)
            probing = time.monotonic()
            with Prober(handle.topology, timeout=timeout, concurrency=concurrency) as prober:
                prober.listen(plan.listen, plan.node_listen)
                outcomes = prober.run(plan.probes)
                suspect = [p for p in plan.probes if (outcomes[p].result == ALLOWED) != p.expected
                           or outcomes[p].result not in (ALLOWED, "denied")]
                if suspect:
                    outcomes.update(prober.run(suspect, timeout=timeout * 2))
            timings["probe"] = time.monotonic() - probing
    finally:
        tearing = time.monotonic()
        handle.down()
        timings["down"] = time.monotonic() - tearing
    timings["total"] = time.monotonic() - started
    report = compare(handle.id, len(handle.topology.hosts), plan, outcomes, explain)
    report.timings = timings
    return report
