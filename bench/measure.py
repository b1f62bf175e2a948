"""Running a command as a child process with a time limit, measuring its wall time and peak resident memory."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.02


@dataclass
class Measured:
    """What a child run cost and how it ended (`ok`, `timeout`, or `exit N`)."""

    status: str
    seconds: float
    peak_rss_mb: float | None
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Whether the child finished in time with status 0."""
        return self.status == "ok"


def run_measured(argv: Sequence[str], timeout: float, *, stdout_path: Path | None = None,
                 keep_stdout: bool = True, cwd: Path | None = None) -> Measured:
    """Run `argv`; kill its process group past `timeout` seconds. Peak RSS comes from the child's own rusage."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err, \
            _stdout_sink(stdout_path, keep_stdout) as out:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd,
                                   start_new_session=True)
        status, usage = _wait(process, started + timeout)
        seconds = time.perf_counter() - started
        err.seek(0)
        stderr = err.read()
        stdout = ""
        if keep_stdout and stdout_path is None:
            out.seek(0)
            stdout = out.read()
    peak = usage.ru_maxrss / 1024 if usage is not None else None
    return Measured(status, seconds, peak, stdout, stderr)


def _stdout_sink(path: Path | None, keep: bool):
    if path is not None:
        return path.open("w", encoding="utf-8")
    if keep:
        return tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
    return open(os.devnull, "w", encoding="utf-8")


def _wait(process: subprocess.Popen, deadline: float):
    """Reap the child with wait4 (for its rusage), killing its process group at the deadline."""
    timed_out = False
    while True:
        pid, wait_status, usage = os.wait4(process.pid, 0 if timed_out else os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(wait_status)
            break
        if time.perf_counter() >= deadline:
            os.killpg(process.pid, signal.SIGKILL)
            timed_out = True
            continue
        time.sleep(POLL_SECONDS)
    if timed_out:
        return "timeout", usage
    return ("ok" if process.returncode == 0 else f"exit {process.returncode}"), usage
