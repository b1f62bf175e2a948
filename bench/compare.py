"""Side by side with network-config-analyzer (NCA) on the same Kubernetes-only files, in NCA's own venv."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.generate import OUT, ensure_generated
from bench.measure import Measured, run_measured
from bench.report import count, megabytes, seconds
from bench.run import netpolicy_command
from bench.sizes import POD_CIDR, ClusterSpec

HERE = Path(__file__).resolve().parent
NCA_PACKAGE = "network-config-analyzer"
NCA_VERSION = "2.1.0"
NCA_VENV = HERE / ".venv-nca"
#: Runs shorter than this many seconds are repeated (best of `--repeat`).
REPEAT_UNDER = 120.0
#: NCA's fastest output: the connectivity map as text, without firewall-rule minimisation.
NCA_OUTPUT = "txt_no_fw_rules"

COMPARE_HEADERS = ("size", "pods", "policies", "namespaces", "netpolicy s", "netpolicy RSS MB", "NCA s",
                   "NCA RSS MB", "speed-up", "status")


@dataclass
class CompareResult:
    """Both tools on one size."""

    name: str
    pods: int
    policies: int
    namespaces: int
    ours: Measured
    peer: Measured | None

    @property
    def ratio(self) -> str:
        """How many times faster netpolicy was (a lower bound when the peer ran out of time)."""
        if self.peer is None or not self.ours.ok or self.ours.seconds <= 0:
            return "—"
        if self.peer.status == "timeout":
            return f"≥{self.peer.seconds / self.ours.seconds:.0f}×"
        if not self.peer.ok:
            return "—"
        return f"{self.peer.seconds / self.ours.seconds:.1f}×"

    @property
    def status(self) -> str:
        """`ok`, or which tool did not finish and why."""
        if self.peer is None:
            return f"netpolicy {self.ours.status}; NCA not run" if not self.ours.ok else "NCA not run"
        if self.ours.ok and self.peer.ok:
            return "ok"
        return f"netpolicy {self.ours.status}, NCA {self.peer.status}"


def nca_path() -> Path:
    """The `nca` script in its venv."""
    return NCA_VENV / "bin" / "nca"


def installed_version() -> str | None:
    """The NCA version in its venv, or None."""
    python = NCA_VENV / "bin" / "python"
    if not python.exists():
        return None
    done = subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version({NCA_PACKAGE!r}))"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_nca(log=print) -> Path:
    """Install NCA into bench/.venv-nca with pip unless that exact version is already there."""
    if installed_version() == NCA_VERSION and nca_path().exists():
        return nca_path()
    log(f"installing {NCA_PACKAGE}=={NCA_VERSION} into {NCA_VENV} (takes a few minutes the first time)")
    subprocess.run([sys.executable, "-m", "venv", str(NCA_VENV)], check=True)
    pip = [str(NCA_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, f"{NCA_PACKAGE}=={NCA_VERSION}"], check=True)
    return nca_path()


def our_matrix_args(group_by: bool) -> list[str]:
    """netpolicy's side: the whole matrix as JSON, by class when the CLI can (NCA too groups pods by owner)."""
    return ["matrix", "-o", "json", *(["--group-by", "class"] if group_by else [])]


def compare_size(spec: ClusterSpec, ours_timeout: float, peer_timeout: float, *, root: Path = OUT,
                 run_peer: bool = True, group_by: bool = True, repeat: int = 1) -> CompareResult:
    """Both tools' whole connectivity on one Kubernetes-only cluster, outputs kept in the scratch folder."""
    generated = ensure_generated(spec.kubernetes_only(), root)
    scratch = root / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    ours = best_of(lambda: run_measured(netpolicy_command(*our_matrix_args(group_by), "-f", generated.directory,
                                                          "--pod-cidr", POD_CIDR),
                                        ours_timeout, stdout_path=scratch / f"{spec.label}-netpolicy.json"),
                   repeat)
    peer = None
    if run_peer:
        peer = best_of(lambda: run_measured([str(nca_path()), "--connectivity", "-r", generated.directory,
                                             "-o", NCA_OUTPUT], peer_timeout,
                                            stdout_path=scratch / f"{spec.label}-nca.txt", cwd=scratch),
                       repeat)
    return CompareResult(spec.name, generated.pods, generated.policies, generated.namespaces, ours, peer)


def best_of(run: Callable[[], Measured], repeat: int) -> Measured:
    """The fastest of up to `repeat` runs; a run that fails or takes REPEAT_UNDER seconds or more is not
    repeated (a long run evens out the machine's noise by itself)."""
    best = run()
    for _ in range(repeat - 1):
        if not best.ok or best.seconds >= REPEAT_UNDER:
            break
        again = run()
        if again.ok and again.seconds < best.seconds:
            best = again
    return best


def compare_rows(results: list[CompareResult]) -> list[tuple[str, ...]]:
    """One row per size."""
    rows = []
    for r in results:
        peer_s = "—" if r.peer is None else (f">{r.peer.seconds:.0f}" if r.peer.status == "timeout"
                                             else seconds(r.peer.seconds))
        rows.append((r.name, count(r.pods), count(r.policies), count(r.namespaces), seconds(r.ours.seconds),
                     megabytes(r.ours.peak_rss_mb), peer_s, megabytes(r.peer.peak_rss_mb if r.peer else None),
                     r.ratio, r.status))
    return rows


def run_compare(specs: list[ClusterSpec], ours_timeout: float, peer_timeout: float, *, root: Path = OUT,
                group_by: bool = True, repeat: int = 1, log=print) -> list[CompareResult]:
    """Every size smallest first; once the peer runs out of time, larger sizes run netpolicy alone."""
    results: list[CompareResult] = []
    run_peer = True
    for spec in sorted(specs, key=lambda s: (s.pods, s.policies)):
        log(f"{spec.name}: netpolicy{' and NCA' if run_peer else ' (NCA skipped: a smaller size timed out)'}")
        result = compare_size(spec, ours_timeout, peer_timeout, root=root, run_peer=run_peer, group_by=group_by,
                              repeat=repeat)
        log(f"{spec.name}: {result.status} {result.ratio}")
        results.append(result)
        if result.peer is not None and result.peer.status == "timeout":
            run_peer = False
    return results
