"""The layer table holds: arrows point down only (checked on the source, lazy imports included)."""

import shutil
from pathlib import Path

import layercheck
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hwsim"


def test_hwsim_imports_follow_the_layer_table():
    assert layercheck.violations(PACKAGE) == []


def test_every_module_is_in_a_layer_or_the_base():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert folders == set(layercheck.LAYERS)
    assert modules == set(layercheck.BASE)


@pytest.fixture
def tree(tmp_path):
    """A copy of the hwsim package to plant forbidden imports in."""
    copy = tmp_path / "hwsim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "_data"))
    return copy


@pytest.mark.parametrize("module, line, why", [
    ("circuit/measure.py", "from hwsim.app.plot import plot_overlay", "upward: circuit is below app"),
    ("model/card.py", "    import hwsim.lattice.engine", "upward: model is below lattice"),
    ("analysis/sync.py", "from hwsim.checks import crosscheck", "upward: analysis is below checks"),
    ("files.py", "from hwsim.circuit.devices import CORNERS", "a base module may import only base modules"),
    ("lattice/engine.py", "from hwsim import simulate", "from the package root"),
    ("checks/energy.py", "from ..app import store", "upward: checks is below app"),
])
def test_the_check_catches_a_planted_forbidden_import(tree, module, line, why):
    path = tree / module
    path.write_text(path.read_text() + "\n\ndef _planted():\n    " + line.strip() + "\n")
    found = layercheck.violations(tree)
    assert len(found) == 1 and why in found[0] and module in found[0], found


def test_the_check_catches_a_module_outside_the_table(tree):
    (tree / "extras").mkdir()
    (tree / "extras" / "__init__.py").write_text("from hwsim.errors import InputError\n")
    found = layercheck.violations(tree)
    assert len(found) == 1 and "in no layer" in found[0]


def test_downward_and_base_imports_pass(tree):
    path = tree / "app" / "plot.py"
    planted = "\nfrom hwsim.circuit.measure import crossings\nfrom hwsim.files import cache_dir\n"
    path.write_text(path.read_text() + planted)
    assert layercheck.violations(tree) == []
