"""Frozen dataclasses that are quick to build, for model objects made by the hundred thousand."""

from __future__ import annotations

import dataclasses
from typing import TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Give the frozen dataclass `cls` an `__init__` that stores every field in one step.

    A frozen dataclass's own `__init__` sets each field through `object.__setattr__`, which is most
    of the cost of building an object with many fields. This one takes the same parameters with the
    same defaults and stores the same attributes; the object stays frozen afterwards. Classes with
    slots, default factories, init-only or keyword-only fields, or `__post_init__` are refused.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" in cls.__dict__ or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} is not a frozen dataclass without slots or __post_init__")
    fields = dataclasses.fields(cls)
    if any(f.default_factory is not dataclasses.MISSING or not f.init or f.kw_only for f in fields):
        raise TypeError(f"{cls.__name__} has a field quick_init cannot build")
    defaults = {f"_default_{f.name}": f.default for f in fields if f.default is not dataclasses.MISSING}
    signature = ", ".join(f.name if f.default is dataclasses.MISSING else f"{f.name}=_default_{f.name}"
                          for f in fields)
    stored = ", ".join(f"{f.name!r}: {f.name}" for f in fields)
    namespace = dict(defaults)
    exec(f"def __init__(self, {signature}):\n    self.__dict__.update({{{stored}}})\n", namespace)
    init = namespace["__init__"]
    init.__module__ = cls.__module__
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[misc]
    return cls
