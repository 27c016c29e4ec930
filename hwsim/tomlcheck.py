"""Reading and checking TOML inputs (recipes, pipeline configs, sweeps) with clear errors.

One reader (:func:`read_toml`) and one checker (:func:`check_sections`, :func:`check_table`) for
every TOML file hwsim reads. Key lists and types come from the dataclasses the tables become
(:func:`fields_of`), so a field added to ``LatticeSpec`` or ``Conditions`` is accepted
everywhere at once. Type vocabulary: a Python type (``int`` excludes ``bool``; ``float``
accepts ``int``), ``(list, T)`` for a list of ``T``, :class:`OneOrList` for ``T`` or a list of
``T`` (a sweepable value).
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path

from hwsim.errors import InputError

__all__ = ["read_toml", "type_ok", "type_name", "OneOrList", "check_table", "check_sections", "fields_of"]


#: Largest TOML input hwsim reads (bytes).
MAX_TOML_BYTES = 4 * 2**20


def read_toml(source: Path, what: str, hint: str) -> tuple[dict, bytes]:
    """The parsed tables and raw bytes of ``source``; :class:`InputError` naming ``what`` it is
    (and ``hint``, where to find one) when it is missing or not valid TOML."""
    if source.is_dir():
        raise InputError(f"{what} {source} is a folder; give a TOML file ({hint})")
    if not source.is_file():
        raise InputError(f"{what} {source} not found ({hint})")
    if source.stat().st_size > MAX_TOML_BYTES:
        raise InputError(f"{what} {source} is {source.stat().st_size:,} bytes, more than {MAX_TOML_BYTES:,}; "
                         f"is it a {what}?")
    raw = source.read_bytes()
    try:
        return tomllib.loads(raw.decode()), raw
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"{source}: not valid TOML for hwsim: it nests too deeply") from None


@dataclasses.dataclass(frozen=True)
class OneOrList:
    """A value of ``kind`` or a list of them (e.g. a recipe's swept conditions)."""

    kind: type


def type_ok(value: object, kind: object) -> bool:
    """Whether ``value`` is a ``kind`` (see the module docstring for the vocabulary)."""
    if isinstance(kind, OneOrList):
        return type_ok(value, kind.kind) or type_ok(value, (list, kind.kind))
    if isinstance(kind, tuple):
        return isinstance(value, list) and all(type_ok(v, kind[1]) for v in value)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def type_name(kind: object) -> str:
    """``kind`` in words, for error messages."""
    if isinstance(kind, OneOrList):
        return f"{type_name(kind.kind)} or a list of them"
    if isinstance(kind, tuple):
        return f"a list of {kind[1].__name__}"
    return {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
            "dict": "a table", "list": "a list"}.get(kind.__name__, kind.__name__)


def check_table(table: Mapping, schema: Mapping[str, object], source: Path, where: str = "") -> None:
    """Every key of ``table`` is in ``schema`` and of its type; :class:`InputError` naming the key
    path (``where`` + key), what was found and what is expected."""
    prefix = f"{where}." if where else ""
    for name, value in table.items():
        if name not in schema:
            place = f"[{where}]" if where else "the top level"
            raise InputError(f"{source}: unknown key {prefix}{name} in {place}; expected one of "
                             f"{', '.join(schema)}")
        if not type_ok(value, schema[name]):
            raise InputError(f"{source}: {prefix}{name} = {value!r} must be {type_name(schema[name])}")


def check_sections(data: Mapping, schema: Mapping[str, Mapping[str, object]], source: Path) -> None:
    """Check a file of sections: ``schema[section]`` for each table, ``schema[""]`` for the keys
    at the top level (absent: none allowed)."""
    top = {k: v for k, v in data.items() if not isinstance(v, Mapping)}
    for key, value in data.items():
        if isinstance(value, Mapping) and (key not in schema or key == ""):
            raise InputError(f"{source}: unknown section [{key}]; expected one of "
                             f"{', '.join(s for s in schema if s)}")
        if isinstance(value, Mapping):
            check_table(value, schema[key], source, key)
        elif key in schema and key != "":
            raise InputError(f"{source}: [{key}] must be a table")
    check_table(top, schema.get("", {}), source)


def _toml_kind(hint: object) -> object:
    """The TOML type vocabulary for a dataclass field's type hint."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _toml_kind(args[0]) if len(args) == 1 else object
    if typing.get_origin(hint) in (tuple, list):
        return (list, typing.get_args(hint)[0])
    return hint if hint in (int, float, str, bool) else object


def fields_of(cls: type, exclude: tuple[str, ...] = ()) -> dict[str, object]:
    """``{field: TOML kind}`` of dataclass ``cls`` in declaration order, leaving out ``exclude``
    (``float | None`` -> float, ``tuple[int, ...]`` -> a list of int)."""
    hints = typing.get_type_hints(cls)
    return {f.name: _toml_kind(hints[f.name]) for f in dataclasses.fields(cls) if f.name not in exclude}
