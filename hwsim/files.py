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
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from hwsim.errors import InputError

__all__ = ["PACKAGE_DIR", "DATA_KINDS", "source_checkout", "data_dir", "cache_dir", "canonical_json",
           "input_key", "atomic_path", "write_text_atomic", "write_json_atomic", "source_hash",
           "SAFE_NAME_RULE", "check_name", "inside", "check_output_dir", "fill_placeholders", "mark_owner",
           "remove_stale", "OWNER_FILE"]

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


#: The one rule for every name hwsim turns into a file or folder name (pipeline, sweep, card).
SAFE_NAME_RULE = ("1 to 100 characters from letters, digits, '_', '.' and '-', starting with a letter or digit, "
                  "without '..'")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
#: Free space an output folder must have before work starts (bytes).
MIN_FREE_BYTES = 20 * 2**20


def check_name(name: object, what: str) -> str:
    """``name`` if it follows :data:`SAFE_NAME_RULE`, else :class:`InputError` naming ``what``
    (e.g. ``"config.toml: name"``)."""
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise InputError(f"{what} = {name!r} is not a safe name: use {SAFE_NAME_RULE}")
    return name


def inside(path: str | Path, root: str | Path, what: str) -> Path:
    """``path`` resolved (links followed), after checking that it lies in folder ``root``;
    :class:`InputError` naming ``what`` otherwise."""
    resolved, base = Path(path).resolve(), Path(root).resolve()
    if resolved != base and base not in resolved.parents:
        raise InputError(f"{what}: {path} resolves to {resolved}, outside {base}; hwsim writes only there "
                         "(use a relative path without '..', or choose that folder explicitly)")
    return resolved


def check_output_dir(path: str | Path, what: str) -> Path:
    """Before any work: make folder ``path`` (and parents) and check that it is a folder hwsim
    can write, with at least :data:`MIN_FREE_BYTES` free; :class:`InputError` naming ``what``
    and the fix otherwise. Returns the path."""
    path = Path(path)
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            raise InputError(f"{what} {path}: {part} is a file, not a folder; choose another folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise InputError(f"{what} {path} is not writable ({exc.strerror}); choose a folder you can write") from None
    free = shutil.disk_usage(path).free
    if free < MIN_FREE_BYTES:
        raise InputError(f"{what} {path}: only {free / 2**20:.1f} MiB free on its disk; free some space or "
                         "choose another folder")
    return path


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def fill_placeholders(template: str, values: Mapping[str, object], what: str) -> str:
    """``template`` with each ``{key}`` replaced by ``str(values[key])``; no other braces and no
    other syntax (no attribute access or format specs: user strings never reach ``str.format``).
    :class:`InputError` naming ``what`` and the allowed keys otherwise."""
    def sub(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            raise InputError(f"{what} = {template!r}: unknown placeholder {{{key}}}; allowed: "
                             + ", ".join(f"{{{k}}}" for k in values))
        return str(values[key])

    filled = _PLACEHOLDER.sub(sub, template)
    if "{" in filled or "}" in filled:
        raise InputError(f"{what} = {template!r}: unmatched brace; placeholders look like {{corner}}")
    return filled


#: The file in a work folder that names the process using it (see :func:`mark_owner`).
OWNER_FILE = ".hwsim-owner"


def mark_owner(folder: Path) -> None:
    """Write this process's id into work folder ``folder``, so that a later run can tell a
    folder left by a killed process (:func:`remove_stale`) from one in use."""
    (Path(folder) / OWNER_FILE).write_text(f"{os.getpid()}\n")


def _owner_alive(folder: Path) -> bool:
    try:
        pid = int((folder / OWNER_FILE).read_text().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale(parent: Path, pattern: str, min_age_s: float = 60.0) -> list[Path]:
    """Remove the folders ``parent/pattern`` left by killed runs: those whose owner process
    (:func:`mark_owner`) is gone, or that have no owner file and are older than ``min_age_s``
    seconds (a folder being created right now has none yet). Returns what was removed."""
    import time

    removed = []
    with contextlib.suppress(OSError):
        for folder in Path(parent).glob(pattern):
            with contextlib.suppress(OSError):
                if not folder.is_dir() or folder.is_symlink():
                    continue
                has_owner = (folder / OWNER_FILE).exists()
                if (has_owner and not _owner_alive(folder)) or \
                        (not has_owner and time.time() - folder.stat().st_mtime > min_age_s):
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(folder)
    return removed


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
