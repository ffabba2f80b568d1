"""The demo's stories as data: ``demo/stories/<name>.toml``, read with ``tomllib`` and built into the engine's records.

A story file holds only plain values; ``build`` turns them into the record types the engine declares (dataclasses
and named tuples, nested as their type hints say). TOML has no ``null``: a key left out takes the field's default,
or ``None`` when the field is optional and has none. Arrays become tuples, as the engine's tables always were.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

STORIES = Path(__file__).resolve().parent.parent / "stories"


@cache
def story(name: str) -> dict[str, Any]:
    """The story file ``demo/stories/<name>.toml``, parsed (once per process)."""
    with (STORIES / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def plain(value: Any) -> Any:
    """``value`` with every array turned into a tuple, all the way down."""
    if isinstance(value, list):
        return tuple(plain(item) for item in value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def _is_record(tp: Any) -> bool:
    return isinstance(tp, type) and (dataclasses.is_dataclass(tp) or hasattr(tp, "_fields"))


def _record(cls: type, data: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    if dataclasses.is_dataclass(cls):
        required = {
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
    else:
        required = set(cls._fields) - set(cls._field_defaults)
    unknown = set(data) - set(hints)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
    values = {name: build(hints[name], value) for name, value in data.items()}
    for name in required - set(data):
        if type(None) not in typing.get_args(hints[name]):
            raise ValueError(f"{cls.__name__}: missing field {name!r}")
        values[name] = None
    return cls(**values)


def build(tp: Any, value: Any) -> Any:
    """``value`` (as read from a story file) as an instance of the type hint ``tp``."""
    if value is None:
        return None
    if _is_record(tp):
        return _record(tp, value)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(build(args[0], item) for item in value)
        return tuple(build(arg, item) for arg, item in zip(args, value, strict=True))
    if origin is dict:
        return {key: build(args[1], item) for key, item in value.items()}
    if origin in (typing.Union, types.UnionType):
        records = [arg for arg in args if _is_record(arg) or typing.get_origin(arg) is not None]
        return build(records[0], value) if records else plain(value)
    return plain(value)
