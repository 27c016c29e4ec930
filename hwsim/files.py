"""Where hwsim's data lives and how it writes results: one locator, one atomic writer, one hash.

Data folders
    ``netlists/``, ``models/`` and ``calibration/`` sit at the top of the repository (the layout
    the user fixed). In a source checkout (editable install) hwsim reads them there; a built wheel
    carries copies as package data under ``hwsim/_data/`` (see ``setup.py``), found through
    :mod:`importlib.resources`. ``HWSIM_NETLISTS``, ``HWSIM_MODELS`` and ``HWSIM_CALIBRATION``
    override each folder.

Output
    hwsim never writes into its own package: the cache is ``HWSIM_CACHE``, else ``.hwsim-cache``
    in the repository of a source checkout, else ``.hwsim-cache`` in the working directory.

Results
    :func:`write_json_atomic` and :func:`write_text_atomic` write through a temp file in the
    target folder and ``os.replace``: a file appears complete or not at all. :func:`input_key`
    is the SHA-256 of the canonical JSON of a result's inputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["PACKAGE_DIR", "DATA_KINDS", "source_checkout", "data_dir", "cache_dir", "canonical_json",
           "input_key", "atomic_path", "write_text_atomic", "write_json_atomic", "source_hash"]

#: The ``hwsim`` package folder.
PACKAGE_DIR = Path(__file__).resolve().parent
#: The data folders hwsim ships, with the environment variable that overrides each.
DATA_KINDS = {"netlists": "HWSIM_NETLISTS", "models": "HWSIM_MODELS", "calibration": "HWSIM_CALIBRATION"}


def source_checkout() -> Path | None:
    """The repository root when hwsim runs from its source tree (``pyproject.toml`` and
    ``netlists/`` next to the package), else ``None`` (an installed wheel)."""
    root = PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "netlists").is_dir():
        return root
    return None


def data_dir(kind: str) -> Path:
    """The folder of data ``kind`` (``"netlists"``, ``"models"`` or ``"calibration"``).

    Order: the kind's environment variable, the repository of a source checkout, the copy shipped
    in the wheel (``hwsim/_data/<kind>``).
    """
    if kind not in DATA_KINDS:
        raise ValueError(f"unknown data folder {kind!r}; one of {', '.join(DATA_KINDS)}")
    override = os.environ.get(DATA_KINDS[kind])
    if override:
        return Path(override).resolve()
    root = source_checkout()
    if root is not None:
        return root / kind
    return Path(str(importlib.resources.files("hwsim") / "_data" / kind))


def cache_dir() -> Path:
    """Root of hwsim's caches (pipeline stages, Brian2/Cython builds): ``HWSIM_CACHE``, else
    ``.hwsim-cache`` in the source checkout, else in the working directory."""
    override = os.environ.get("HWSIM_CACHE")
    if override:
        return Path(override)
    root = source_checkout()
    return (root if root is not None else Path.cwd()) / ".hwsim-cache"


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no whitespace variation (floats as repr), for hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def input_key(inputs: Mapping) -> str:
    """20 hex digits of the SHA-256 of ``inputs`` as canonical JSON."""
    return hashlib.sha256(canonical_json(inputs).encode()).hexdigest()[:20]


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temp path in ``path``'s folder (created if needed) to write; when the block ends
    without an exception the temp file (made readable, 0644) replaces ``path`` in one
    ``os.replace``; on an exception it is removed and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; results are meant to be shared
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`); returns the path."""
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(path)


def write_json_atomic(path: str | Path, payload: object) -> Path:
    """Write ``payload`` as indented, key-sorted JSON to ``path`` atomically; returns the path."""
    return write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=True, default=float))


def source_hash(*packages: str, root: Path = PACKAGE_DIR) -> str:
    """16 hex digits of the SHA-256 of the source of the named hwsim subpackages or modules
    (e.g. ``"lattice"``, ``"model.card"``; none = all of hwsim): every ``.py`` file, in path
    order, with its relative path. Cache keys include it so that editing the code that computes a
    result invalidates exactly the results it computes. ``root``: the package folder."""
    files: list[Path] = []
    for name in packages or ("",):
        target = root.joinpath(*name.split(".")) if name else root
        if target.with_suffix(".py").is_file():
            files.append(target.with_suffix(".py"))
        elif target.is_dir():
            files.extend(target.rglob("*.py"))
        else:
            raise ValueError(f"no hwsim module or subpackage {name!r}")
    digest = hashlib.sha256()
    for path in sorted(set(files)):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
