"""Content-addressed results: input hashes and atomic writes.

Pipeline stages (:mod:`hwsim.pipeline`) and sweep points (:mod:`hwsim.sweep`) key their results
by :func:`input_key`, the SHA-256 of the canonical JSON of everything that determines them, and
write them atomically: a result appears complete or not at all, so a run killed at any moment
keeps every result it finished and never leaves a half-written one that looks valid.

- :func:`write_json_atomic`: one JSON file (temp file in the same folder, fsync, ``os.replace``).
- :class:`StageStore`: one folder per result, ``<root>/<kind>/<key>/``, filled in a temp folder
  and renamed into place with a ``done.json`` marker written last.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["input_key", "canonical_json", "write_json_atomic", "StageStore", "DEFAULT_CACHE"]

#: Default cache root: ``HWSIM_CACHE`` or ``.hwsim-cache`` in the repository.
DEFAULT_CACHE = Path(os.environ.get("HWSIM_CACHE", Path(__file__).resolve().parent.parent / ".hwsim-cache"))


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no whitespace variation (floats as repr), for hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def input_key(inputs: Mapping) -> str:
    """20 hex digits of the SHA-256 of ``inputs`` as canonical JSON."""
    return hashlib.sha256(canonical_json(inputs).encode()).hexdigest()[:20]


def write_json_atomic(path: str | Path, payload: object) -> Path:
    """Write ``payload`` as indented JSON to ``path`` atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(payload, fh, indent=2, sort_keys=True, default=float)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


class StageStore:
    """Result folders ``<root>/<kind>/<key>/`` that exist only once complete."""

    def __init__(self, root: str | Path = DEFAULT_CACHE / "pipeline") -> None:
        self.root = Path(root)

    def folder(self, kind: str, key: str) -> Path:
        return self.root / kind / key

    def has(self, kind: str, key: str) -> bool:
        """True when the result exists and was completed (its ``done.json`` is there)."""
        return (self.folder(kind, key) / "done.json").is_file()

    @contextlib.contextmanager
    def writing(self, kind: str, key: str, info: Mapping | None = None) -> Iterator[Path]:
        """Yield a temp folder to fill; on success it becomes :meth:`folder` (with ``done.json``
        holding ``info``); on an exception it is removed and nothing is published."""
        final = self.folder(kind, key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
        os.chmod(tmp, 0o755)
        try:
            yield tmp
            write_json_atomic(tmp / "done.json", dict(info or {}))
            if final.exists():  # an older incomplete copy or a concurrent writer: keep one
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
