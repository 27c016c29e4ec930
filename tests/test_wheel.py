"""The built wheel works on its own: data folders shipped inside it, nothing written into it.

Builds the wheel from this checkout (no build isolation: setuptools and wheel come from the dev
extras), installs it with ``--no-deps`` into a fresh venv that borrows this environment's
dependencies (a .pth line, which does not bring the editable hwsim along), and runs
``hwsim card paper`` and a small ``hwsim lattice`` from an unrelated folder.
"""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(cmd, **kwargs):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out


def _files(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
          "-w", str(base / "dist")])
    [wheel] = (base / "dist").glob("hwsim-*.whl")
    _run([sys.executable, "-m", "venv", str(base / "venv")])
    python = base / "venv" / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "hwsim_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)])
    return python, site


def test_the_wheel_carries_its_data_and_runs_from_anywhere(venv, tmp_path):
    python, site = venv
    env = {k: v for k, v in os.environ.items() if not k.startswith("HWSIM_")}
    where = _run([python, "-c", "import hwsim, hwsim.files as f; print(hwsim.__file__); "
                  "print(f.data_dir('netlists')); print(f.source_checkout())"], cwd=tmp_path, env=env).stdout.split()
    assert where[0].startswith(str(site)) and where[1].startswith(str(site / "hwsim" / "_data")) and where[2] == "None"
    for kind, probe in [("netlists", "cells/nv_neuron.sp"), ("models", "paper/paper.json"),
                        ("calibration", "sky130.toml")]:
        assert (site / "hwsim" / "_data" / kind / probe).is_file()
    assert not (site / "hwsim" / "_data" / "netlists" / "devices" / "sky130_fd_pr").exists()

    before = _files(site / "hwsim")
    hwsim = python.parent / "hwsim"
    card = json.loads(_run([hwsim, "card", "paper", "--json"], cwd=tmp_path, env=env).stdout)
    assert card["name"] == "paper" and card["parameters"]["vt_plus_v"]["value"] == 0.49
    out = _run([hwsim, "lattice", "--nx", "4", "--ny", "4", "--duration", "20", "--engine", "numpy",
                "--output", "run.npz", "--json", "--quiet"], cwd=tmp_path, env=env)
    summary = json.loads(out.stdout)
    assert summary["events"] > 0 and (tmp_path / "run.npz").is_file()
    assert _files(site / "hwsim") == before, "running the installed hwsim wrote into site-packages"
