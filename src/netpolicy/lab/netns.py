"""Network namespaces: create and delete named ones, and run code or commands inside one.

Named namespaces live as bind mounts under `/run/netns`, exactly as `ip netns add` makes them, so
`ip netns exec` and every other tool can find them. Switching namespace is per thread (`setns(2)`):
a socket created while a thread is inside a namespace stays in it, and a child process started
from that thread starts in it.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from netpolicy.lab.errors import LabSetupError, LabToolMissingError

NETNS_DIR = "/run/netns"
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


@contextmanager
def inside(name: str) -> Iterator[None]:
    """Run the body with this thread inside the named network namespace, then switch back."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(home)


def existing(prefix: str = "") -> list[str]:
    """Names of the named network namespaces that start with `prefix`, sorted."""
    try:
        names = os.listdir(NETNS_DIR)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if n.startswith(prefix))


def run(argv: Sequence[str], *, netns: str | None = None, stdin: str | None = None,
        what: str = "") -> str:
    """Run a command (inside `netns` when given); return its output or raise LabSetupError."""
    def call() -> subprocess.CompletedProcess:
        return subprocess.run(list(argv), input=stdin, capture_output=True, text=True)

    if netns is None:
        done = call()
    else:
        with inside(netns):
            done = call()
    if done.returncode != 0:
        where = f" in network namespace {netns}" if netns else ""
        detail = (done.stderr or done.stdout).strip()
        raise LabSetupError(f"{what or ' '.join(argv[:3])} failed{where}: {detail}")
    return done.stdout


def ip_batch(lines: Sequence[str], *, netns: str | None = None, what: str = "ip configuration") -> None:
    """Run many `ip` commands in one process (`ip -batch -`)."""
    if lines:
        run(["ip", "-batch", "-"], netns=netns, stdin="\n".join(lines) + "\n", what=what)


def create(names: Sequence[str]) -> None:
    """Create named network namespaces (like `ip netns add`)."""
    ip_batch([f"netns add {n}" for n in names], what="creating network namespaces")


def delete(names: Sequence[str]) -> None:
    """Delete named network namespaces, going on past any that are already gone."""
    present = set(existing())
    lines = [f"netns del {n}" for n in names if n in present]
    if lines:
        subprocess.run(["ip", "-force", "-batch", "-"], input="\n".join(lines) + "\n",
                       capture_output=True, text=True)


def write_sysctl(key: str, value: object) -> None:
    """Set a sysctl of the namespace this thread is in (`net.ipv4.ip_forward` style key)."""
    path = "/proc/sys/" + key.replace(".", "/")
    with open(path, "w") as handle:
        handle.write(str(value))


def flush_conntrack(name: str) -> None:
    """Forget every tracked connection of a namespace (so a 4-tuple can be probed afresh)."""
    try:
        from pyroute2 import Conntrack
    except ImportError:
        raise LabToolMissingError("the lab needs pyroute2: pip install 'netpolicy[lab]'") from None
    with inside(name):
        table = Conntrack()
        try:
            table.flush()
        finally:
            table.close()
