"""hwsim.files: the data locator, the atomic writers, the input and source hashes."""

import os
import shutil
from pathlib import Path

import pytest

from hwsim.app.pipeline import BASE_CODE, STAGE_CODE
from hwsim.files import (
    PACKAGE_DIR,
    atomic_path,
    cache_dir,
    data_dir,
    input_key,
    source_checkout,
    source_hash,
    write_json_atomic,
)

ROOT = Path(__file__).resolve().parent.parent


def test_data_dirs_of_a_checkout_and_their_overrides(tmp_path, monkeypatch):
    assert source_checkout() == ROOT
    for kind in ("netlists", "models", "calibration"):
        assert data_dir(kind) == ROOT / kind
    monkeypatch.setenv("HWSIM_MODELS", str(tmp_path))
    assert data_dir("models") == tmp_path.resolve()
    with pytest.raises(ValueError, match="unknown data folder 'tables'"):
        data_dir("tables")


def test_cache_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("HWSIM_CACHE", raising=False)
    assert cache_dir() == ROOT / ".hwsim-cache"
    monkeypatch.setenv("HWSIM_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "sub" / "r.json"
    write_json_atomic(target, {"b": 1, "a": [1.5]})
    assert target.read_text() == '{\n  "a": [\n    1.5\n  ],\n  "b": 1\n}'
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text().startswith("{") and os.listdir(target.parent) == ["r.json"]


def test_input_key_is_order_independent():
    assert input_key({"a": 1, "b": [2, 3]}) == input_key({"b": [2, 3], "a": 1}) != input_key({"a": 1, "b": [3, 2]})
    assert len(input_key({})) == 20


def _stage_keys(root: Path) -> dict:
    return {stage: source_hash(*BASE_CODE, *code, root=root) for stage, code in STAGE_CODE.items()}


def test_editing_code_invalidates_exactly_the_stages_that_run_it(tmp_path):
    root = tmp_path / "hwsim"
    shutil.copytree(PACKAGE_DIR, root, ignore=shutil.ignore_patterns("__pycache__", "_data"))
    before = _stage_keys(root)
    assert before == _stage_keys(PACKAGE_DIR)  # the hash depends on content and relative paths only
    engine = root / "lattice" / "engine.py"
    engine.write_text(engine.read_text() + "\n# edited\n")
    after = _stage_keys(root)
    assert {s for s in before if before[s] != after[s]} == {"lattice", "analysis", "crosscheck"}
    measure = root / "circuit" / "measure.py"
    measure.write_text(measure.read_text() + "\n# edited\n")
    again = _stage_keys(root)
    assert {s for s in after if after[s] != again[s]} == {"card", "crosscheck"}
    (root / "errors.py").write_text((root / "errors.py").read_text() + "\n# edited\n")
    assert all(v != again[s] for s, v in _stage_keys(root).items())


def test_source_hash_rejects_unknown_names():
    with pytest.raises(ValueError, match="no hwsim module or subpackage 'nothing'"):
        source_hash("nothing")
