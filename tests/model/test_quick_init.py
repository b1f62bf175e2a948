"""Frozen dataclasses built by `quick_init` behave as the dataclass would, only faster to make."""

from __future__ import annotations

import dataclasses
import inspect
import math
import pickle
from typing import Any

import pytest

from netpolicy.errors import Location
from netpolicy.model.cluster import Endpoint, Service, ServicePort
from netpolicy.model.ir import PROFILE, Policy
from netpolicy.model.quick_init import quick_init
from netpolicy.selectors.ast import ALL


@dataclasses.dataclass(frozen=True)
class Plain:
    name: str
    labels: dict
    count: int = 1
    notes: tuple = ()


Quick = quick_init(dataclasses.make_dataclass(
    "Quick", [("name", str), ("labels", dict), ("count", int, dataclasses.field(default=1)),
              ("notes", tuple, dataclasses.field(default=()))], frozen=True))


@pytest.mark.parametrize("args, kwargs", [
    (("a", {}), {}),
    (("a", {"x": "1"}, 3), {}),
    ((), {"name": "a", "labels": {}, "notes": ("n",)}),
    (("a",), {"labels": {}, "count": 0}),
])
def test_same_fields_and_defaults_as_the_dataclass(args: tuple, kwargs: dict[str, Any]) -> None:
    quick, plain = Quick(*args, **kwargs), Plain(*args, **kwargs)
    assert dataclasses.asdict(quick) == dataclasses.asdict(plain)
    assert repr(quick).removeprefix("Quick") == repr(plain).removeprefix("Plain")


@pytest.mark.parametrize("args, kwargs", [
    (("a",), {}),
    (("a", {}), {"colour": "red"}),
    (("a", {}, 1, (), 5), {}),
    (("a", {}), {"name": "b"}),
])
def test_wrong_arguments_are_refused_as_by_the_dataclass(args: tuple, kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        Plain(*args, **kwargs)
    with pytest.raises(TypeError):
        Quick(*args, **kwargs)


def test_still_frozen_comparable_replaceable_and_picklable() -> None:
    quick = Quick("a", {"x": "1"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.name = "b"  # type: ignore[misc]
    assert quick == Quick("a", {"x": "1"}) != Quick("b", {"x": "1"})
    assert dataclasses.replace(quick, count=2) == Quick("a", {"x": "1"}, 2)
    assert pickle.loads(pickle.dumps(Endpoint("n/a", "Pod", "a", "n", {}, {}))) == Endpoint("n/a", "Pod", "a", "n", {}, {})


@pytest.mark.parametrize("cls", [Endpoint, Service, ServicePort, Policy])
def test_model_classes_keep_their_signature(cls: type) -> None:
    generated = [(f.name, f.default) for f in dataclasses.fields(cls)]
    assert [(p.name, p.default if p.default is not inspect.Parameter.empty else dataclasses.MISSING)
            for p in inspect.signature(cls).parameters.values()] == generated


def test_a_policy_built_quickly_equals_itself_built_by_keyword() -> None:
    policy = Policy("p", PROFILE, None, None, math.inf, ALL, frozenset({"ingress"}), location=Location("f", 1))
    assert policy == dataclasses.replace(policy)
    assert (policy.ingress, policy.staged, policy.notes, policy.location) == ((), False, (), Location("f", 1))


@dataclasses.dataclass(frozen=True, slots=True)
class Slotted:
    name: str


@dataclasses.dataclass(frozen=True)
class WithFactory:
    labels: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Mutable:
    name: str


@dataclasses.dataclass(frozen=True)
class WithPostInit:
    name: str

    def __post_init__(self) -> None:
        pass


@pytest.mark.parametrize("cls", [Slotted, WithFactory, Mutable, WithPostInit, str])
def test_classes_it_cannot_build_are_refused(cls: type) -> None:
    with pytest.raises(TypeError):
        quick_init(cls)
