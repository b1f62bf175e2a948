"""What `lab up` leaves for later commands: one JSON file per lab under /run/netpolicy-lab."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from netpolicy.lab.topology import Topology

STATE_DIR = Path("/run/netpolicy-lab")


@dataclass
class LabRecord:
    """A lab as recorded on disk: its namespaces and, per endpoint, its namespace and addresses."""

    lab_id: str
    namespaces: list[str]
    node: str
    endpoints: dict[str, dict] = field(default_factory=dict)
    created: float = 0.0
    pid: int = 0

    @classmethod
    def of(cls, topology: Topology) -> LabRecord:
        endpoints = {h.endpoint_id: {"netns": h.netns, "interface": h.node_iface,
                                     "addresses": [str(a) for a in h.addresses], "workload": h.workload}
                     for h in topology.hosts}
        return cls(topology.lab_id, topology.namespaces, topology.node, endpoints, time.time(), os.getpid())

    def to_json(self) -> dict:
        return {"id": self.lab_id, "namespaces": self.namespaces, "node": self.node,
                "endpoints": self.endpoints, "created": self.created, "pid": self.pid}


def path_of(lab_id: str) -> Path:
    return STATE_DIR / f"{lab_id}.json"


def save(record: LabRecord) -> None:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    path_of(record.lab_id).write_text(json.dumps(record.to_json(), indent=1))


def load(lab_id: str) -> LabRecord | None:
    try:
        data = json.loads(path_of(lab_id).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return LabRecord(data["id"], data["namespaces"], data["node"], data.get("endpoints", {}),
                     data.get("created", 0.0), data.get("pid", 0))


def remove(lab_id: str) -> None:
    path_of(lab_id).unlink(missing_ok=True)


def recorded() -> list[str]:
    """Ids of every lab with a state file."""
    if not STATE_DIR.is_dir():
        return []
    return sorted(p.stem for p in STATE_DIR.glob("*.json"))
