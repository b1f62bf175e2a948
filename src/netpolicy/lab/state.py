"""What `lab up` leaves for later commands: one JSON file per lab under /run/netpolicy-lab, and a lock per id.

Ids come from a strict alphabet, so a state file is always `STATE_DIR/<id>.json` and never a path
elsewhere; a record only ever names namespaces that carry its own id's prefix.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from netpolicy.lab.errors import LabError
from netpolicy.lab.topology import LAB_ID_RE, Topology, lab_prefix

STATE_DIR = Path("/run/netpolicy-lab")
MAX_STATE = 64 << 20  # bytes of a state file read at most


class LabBusyError(LabError):
    """Another process holds the lab's lock (it is being built, probed or removed)."""


def check_id(lab_id: str) -> str:
    """`lab_id` if it is a lab id (1-12 lower-case letters or digits); a LabError otherwise."""
    if not isinstance(lab_id, str) or not LAB_ID_RE.fullmatch(lab_id):
        raise LabError(f"{lab_id!r} is not a lab id (expected 1-12 lower-case letters or digits)")
    return lab_id


@dataclass
class LabRecord:
    """A lab as recorded on disk: its namespaces and, per endpoint, its namespace and addresses."""

    lab_id: str
    namespaces: list[str]
    node: str
    endpoints: dict[str, dict] = field(default_factory=dict)
    created: float = 0.0
    pid: int = 0
    corrupt: bool = False

    @classmethod
    def of(cls, topology: Topology) -> LabRecord:
        endpoints = {h.endpoint_id: {"netns": h.netns, "interface": h.node_iface,
                                     "addresses": [str(a) for a in h.addresses], "workload": h.workload}
                     for h in topology.hosts}
        return cls(topology.lab_id, topology.namespaces, topology.node, endpoints, time.time(), os.getpid())

    def to_json(self) -> dict:
        """The lab's own on-disk state record (not an output of netpolicy: no renderer reads it)."""
        return {"id": self.lab_id, "namespaces": self.namespaces, "node": self.node,
                "endpoints": self.endpoints, "created": self.created, "pid": self.pid}


def path_of(lab_id: str) -> Path:
    return STATE_DIR / f"{check_id(lab_id)}.json"


def save(record: LabRecord) -> None:
    """Write the record atomically (a partial file is never seen under the final name)."""
    STATE_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = path_of(record.lab_id)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record.to_json(), indent=1))
    os.replace(temporary, path)


def load(lab_id: str) -> LabRecord | None:
    """The lab's record; None if there is none; a `corrupt` record (no namespaces) if it cannot be read."""
    path = path_of(lab_id)
    try:
        if not path.is_file() or path.is_symlink():
            return LabRecord(lab_id, [], "", corrupt=True) if path.exists() or path.is_symlink() else None
        with open(path, "rb") as handle:
            data = json.loads(handle.read(MAX_STATE).decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return LabRecord(lab_id, [], "", corrupt=True)
    return record_of(lab_id, data)


def record_of(lab_id: str, data: object) -> LabRecord:
    """A record from parsed JSON, keeping only well-typed fields and namespaces with the lab's prefix."""
    if not isinstance(data, dict) or data.get("id") != lab_id:
        return LabRecord(lab_id, [], "", corrupt=True)
    prefix = lab_prefix(lab_id)
    names = data.get("namespaces")
    namespaces = [n for n in names if isinstance(n, str) and n.startswith(prefix) and "/" not in n] \
        if isinstance(names, list) else []
    endpoints = data.get("endpoints")
    endpoints = {k: v for k, v in endpoints.items() if isinstance(v, dict) and isinstance(v.get("netns"), str)
                 and v["netns"].startswith(prefix)} if isinstance(endpoints, dict) else {}
    created, pid = data.get("created"), data.get("pid")
    return LabRecord(lab_id, namespaces, str(data.get("node", "")), endpoints,
                     created if isinstance(created, (int, float)) and created == created else 0.0,
                     pid if isinstance(pid, int) and 0 < pid < 1 << 22 else 0,
                     corrupt=not isinstance(names, list))


def remove(lab_id: str) -> None:
    path_of(lab_id).unlink(missing_ok=True)


def recorded() -> list[str]:
    """Ids of every lab with a state file (files whose name is not a lab id are not the lab's)."""
    if not STATE_DIR.is_dir():
        return []
    return sorted(p.stem for p in STATE_DIR.glob("*.json") if LAB_ID_RE.fullmatch(p.stem))


class Lock:
    """An exclusive lock on one lab id, held while a process builds, uses or removes that lab."""

    def __init__(self, lab_id: str) -> None:
        self.lab_id = check_id(lab_id)
        self.fd: int | None = None

    def acquire(self) -> Lock:
        STATE_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(STATE_DIR / f"{self.lab_id}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LabBusyError(f"lab {self.lab_id!r} is in use by another netpolicy process "
                               "(it already exists or is being built or removed)") from None
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> Lock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
