"""Reading and type-checking TOML inputs (recipes, pipeline configs, sweeps) with clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

from hwsim.errors import InputError

__all__ = ["read_toml", "type_ok", "type_name"]


def read_toml(source: Path, what: str, hint: str) -> tuple[dict, bytes]:
    """The parsed tables and raw bytes of ``source``; :class:`InputError` naming ``what`` it is
    (and ``hint``, where to find one) when it is missing or not valid TOML."""
    if not source.is_file():
        raise InputError(f"{what} {source} not found ({hint})")
    raw = source.read_bytes()
    try:
        return tomllib.loads(raw.decode()), raw
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: not valid TOML: {exc}") from None


def type_ok(value: object, kind: object) -> bool:
    """Whether ``value`` is a ``kind``: a type (int excludes bool; float accepts int) or
    ``(list, type)`` for a list of them."""
    if isinstance(kind, tuple):
        return isinstance(value, list) and all(type_ok(v, kind[1]) for v in value)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def type_name(kind: object) -> str:
    """``kind`` in words, for error messages."""
    if isinstance(kind, tuple):
        return f"a list of {kind[1].__name__}"
    return {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}.get(
        kind.__name__, kind.__name__)
