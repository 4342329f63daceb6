"""Field types checked at the door: a value read from a file is the type its dataclass says.

A log or results file edited by hand, or damaged, can carry `"val_r2": "x"`; Python's dataclasses
do not check, so the string would travel to the screen and fail there as a TypeError far from
the line that caused it. `check_fields` walks a dataclass instance against its own annotations
(no schema to keep in step, no dependency) and names the first field that is wrong. Pure stdlib.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any


class FieldTypeError(ValueError):
    """A field whose value is not of its declared type; `field` is its dotted path."""

    def __init__(self, field: str, value: Any, expected: str, *, missing: bool = False) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 24 else shown[:23] + "…"
        text = f"is {shown}, not {expected}" if not missing else "is missing"
        super().__init__(f"field {field} {text}")
        self.field = field


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _name(hint: Any) -> str:
    if hint is float:
        return "a number"
    if hint is int:
        return "a whole number"
    if hint is bool:
        return "true or false"
    if hint is str:
        return "a string"
    if hint is type(None):
        return "null"
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_name(arg) for arg in typing.get_args(hint))
    if origin in (tuple, list):
        return "a list"
    if origin is dict or hint is dict:
        return "an object"
    if dataclasses.is_dataclass(hint):
        return "an object"
    return getattr(hint, "__name__", str(hint))


def _matches(value: Any, hint: Any, path: str) -> bool:
    """Whether `value` is a `hint`; nested dataclasses and containers raise with their path."""
    if hint is Any:
        return True
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (str, bool):
        return isinstance(value, hint)
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg, path) for arg in args)
    if origin in (tuple, list):
        if not isinstance(value, origin):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            items = [(item, args[0]) for item in value]
        elif origin is list:
            items = [(item, args[0]) for item in value] if args else []
        else:
            if len(value) != len(args):
                return False
            items = list(zip(value, args, strict=True))
        for index, (item, item_hint) in enumerate(items):
            _check(item, item_hint, f"{path}[{index}]")
        return True
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            return False
        if args:
            for key, item in value.items():
                _check(key, args[0], f"{path} key")
                _check(item, args[1], f"{path}.{key}")
        return True
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):
            return False
        check_fields(value, prefix=f"{path}.")
        return True
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # a hint this checker does not know: trusted


def _check(value: Any, hint: Any, path: str) -> None:
    if not _matches(value, hint, path):
        raise FieldTypeError(path, value, _name(hint))


def check_fields(instance: Any, prefix: str = "") -> None:
    """Raise FieldTypeError naming the first field of `instance` (a dataclass) whose value is
    not of its annotated type; nested dataclasses, tuples, lists and dicts are walked."""
    hints = _hints(type(instance))
    for spec in dataclasses.fields(instance):
        _check(getattr(instance, spec.name), hints[spec.name], prefix + spec.name)
