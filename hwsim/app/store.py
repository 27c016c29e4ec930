"""Content-addressed results: input hashes and atomic writes.

Pipeline stages (:mod:`hwsim.app.pipeline`) and sweep points (:mod:`hwsim.app.sweep`) key their results
by :func:`hwsim.files.input_key`, the SHA-256 of the canonical JSON of everything that determines
them (the hash of the hwsim source that computes them included), and write them atomically: a
result appears complete or not at all, so a run killed at any moment keeps every result it
finished and never leaves a half-written one that looks valid.

:class:`StageStore`: one folder per result, ``<root>/<kind>/<key>/``, filled in a temp folder and
renamed into place with a ``done.json`` marker written last.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from hwsim.files import OWNER_FILE, cache_dir, mark_owner, remove_stale, write_json_atomic

__all__ = ["StageStore", "default_store"]


def default_store() -> StageStore:
    """The pipeline's store under :func:`hwsim.files.cache_dir`."""
    return StageStore(cache_dir() / "pipeline")


class StageStore:
    """Result folders ``<root>/<kind>/<key>/`` that exist only once complete."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def folder(self, kind: str, key: str) -> Path:
        """Where the result ``key`` of ``kind`` lives once complete."""
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
        remove_stale(final.parent, ".*")  # temp folders of killed runs
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
        os.chmod(tmp, 0o755)
        mark_owner(tmp)
        try:
            yield tmp
            (tmp / OWNER_FILE).unlink()
            write_json_atomic(tmp / "done.json", dict(info or {}))
            if final.exists():  # an older incomplete copy or a concurrent writer: keep one
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
