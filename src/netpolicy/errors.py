"""Errors and warnings a user's input can cause, each pointing at file, line and field path.

Hierarchy::

    NetpolicyError
    └── InputError            one problem in the input (file, line, field path, message)
        └── InputErrors       several problems found together (raised once, listing all)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """Where an object or field came from: a file (or `<stdin>`) and a 1-based line, if known."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class NetpolicyError(Exception):
    """Base class of every error netpolicy raises on purpose."""


@dataclass
class Problem:
    """One problem or warning: `FILE:LINE: FIELD.PATH: message (expected …)`."""

    message: str
    location: Location | None = None
    path: str = ""
    expected: str = ""
    suggestion: str = ""
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        parts = [str(self.location)] if self.location else []
        if self.path:
            parts.append(self.path)
        text = self.message
        if self.expected:
            text += f" (expected {self.expected})"
        if self.suggestion:
            text += f"; {self.suggestion}"
        parts.append(text)
        return ": ".join(parts)


class InputError(NetpolicyError):
    """A user's input is unreadable or invalid."""

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        path: str = "",
        expected: str = "",
        suggestion: str = "",
    ) -> None:
        self.problem = Problem(message, location, path, expected, suggestion)
        super().__init__(str(self.problem))

    @property
    def problems(self) -> list[Problem]:
        return [self.problem]


class InputErrors(InputError):
    """Several input problems reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self._problems = list(problems)
        NetpolicyError.__init__(self, "\n".join(str(p) for p in self._problems))
        self.problem = self._problems[0]

    @property
    def problems(self) -> list[Problem]:
        return self._problems


@dataclass
class Diagnostics:
    """Collects problems while reading input; errors stop the run, warnings are shown and kept."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, message: str, location: Location | None = None, path: str = "",
              expected: str = "", suggestion: str = "") -> None:
        self.problems.append(Problem(message, location, path, expected, suggestion, "error"))

    def warn(self, message: str, location: Location | None = None, path: str = "",
             expected: str = "", suggestion: str = "") -> None:
        self.problems.append(Problem(message, location, path, expected, suggestion, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        """Raise `InputErrors` listing every error collected so far."""
        if self.errors:
            raise InputErrors(self.errors)
