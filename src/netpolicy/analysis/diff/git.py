"""The before side of a diff from a git revision: the same paths, as they were at REF.

The files are copied from git into a temporary tree that mirrors the repository; loading happens with
that tree's copy of the working directory as the current directory, so the before side's files and
lines read exactly as the user wrote the paths.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from netpolicy.errors import InputError, InputErrors, Location, Problem

INPUT_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class GitSnapshot:
    """Files of `requested` paths at `ref`, copied out of git; use as a context manager.

    `paths` are the requested paths that existed at `ref` (relative to the working directory, for use
    inside `inside()`); `missing` the ones that did not.
    """

    ref: str
    requested: Sequence[str]
    cwd: str | None = None

    def __enter__(self) -> GitSnapshot:
        self._tmp = tempfile.TemporaryDirectory(prefix="netpolicy-git-")
        self.root = Path(self._tmp.name)
        self.paths: list[str] = []
        self.missing: list[str] = []
        try:
            self._copy()
        except BaseException:
            self._tmp.cleanup()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._tmp.cleanup()

    @contextmanager
    def inside(self) -> Iterator[None]:
        """Make the snapshot's copy of the working directory the current directory for a while."""
        previous = os.getcwd()
        os.chdir(self.base)
        try:
            yield
        finally:
            os.chdir(previous)

    def relabel(self, error: InputError) -> InputError:
        """The same problems, with files named `REF:path`."""
        return InputErrors([self._relabel(p) for p in error.problems])

    def _relabel(self, problem: Problem) -> Problem:
        if problem.location is None:
            return problem
        location = Location(f"{self.ref}:{problem.location.file}", problem.location.line)
        return Problem(problem.message, location, problem.path, problem.expected, problem.suggestion,
                       problem.severity)

    def _copy(self) -> None:
        self._git("rev-parse", "--verify", "--quiet", f"{self.ref}^{{commit}}",
                  failure=f"--git: {self.ref!r} is not a revision of this repository")
        top = self._top()
        working = os.path.realpath(self.cwd or os.getcwd())
        self.base = self.root / os.path.relpath(working, top)
        self.base.mkdir(parents=True, exist_ok=True)
        for path in self.requested:
            if path == "-":
                raise InputError("--git: standard input has no earlier revision", path="-f",
                                 suggestion="give files or directories")
            name = self._name(path, working, top)
            files = self._files(name)
            if not files:
                self.missing.append(path)
                continue
            for file in files:
                target = self.root / file
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self._git("show", f"{self.ref}:{file}", cwd=top))
            self.paths.append(os.path.relpath(os.path.realpath(path), working) if os.path.isabs(path) else path)

    def _files(self, name: str) -> list[str]:
        """Repository-relative names of the files at `ref` that `name` (a file or directory) holds."""
        out = self._git("ls-tree", "-r", "--name-only", "--full-name", self.ref, "--", name,
                        cwd=self._top()).decode()
        names = [line for line in out.splitlines() if line]
        if names == [name]:
            return names
        return [n for n in names if n.endswith(INPUT_SUFFIXES)]

    def _name(self, path: str, working: str, top: str) -> str:
        """`path` relative to the repository's top directory."""
        name = os.path.relpath(os.path.realpath(os.path.join(working, path)), top)
        if name == ".." or name.startswith(".." + os.sep):
            raise InputError(f"--git: {path} is outside the repository at {top}", path="-f")
        return name.replace(os.sep, "/")

    def _top(self) -> str:
        cached = self.__dict__.get("_top_value")
        if cached is None:
            top = self._git("rev-parse", "--show-toplevel").decode().strip()
            cached = self.__dict__["_top_value"] = os.path.realpath(top)
        return cached

    def _git(self, *args: str, failure: str = "", cwd: str | None = None) -> bytes:
        try:
            done = subprocess.run(["git", *args], cwd=cwd or self.cwd, capture_output=True, check=False)
        except FileNotFoundError:
            raise InputError("--git: the git command is not installed") from None
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip().splitlines()
            reason = detail[-1] if detail else f"exit status {done.returncode}"
            raise InputError(failure or f"--git: git {' '.join(args[:2])} failed: {reason}")
        return done.stdout
