"""``import hwsim`` (the public API and every module but the adapters' workers) must not load
PySpice, Brian2, matplotlib or Dask: heavy packages load inside the functions that need them."""

import subprocess
import sys
from pathlib import Path

import hwsim

HEAVY = ("PySpice", "brian2", "matplotlib", "dask", "distributed")
PACKAGE = Path(hwsim.__file__).resolve().parent
MODULES = sorted(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts) for p in PACKAGE.rglob("*.py")
                 if p.name not in ("__main__.py", "_ngspice_worker.py"))


def _loaded(code: str) -> str:
    probe = code + f"\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", "import sys\n" + probe], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_import_hwsim_and_every_module_is_light():
    assert len(MODULES) > 30
    code = "\n".join(f"import {m}" for m in MODULES)
    assert _loaded(code) == "", "importing hwsim's modules loaded heavy packages"


def test_every_public_name_resolves_and_stays_light():
    code = "import hwsim\nfor name in hwsim.__all__:\n    getattr(hwsim, name)"
    assert _loaded(code) == ""
    assert {"characterize", "calibrate", "build_lattice", "simulate", "analyse", "estimate_power", "crosscheck",
            "run_pipeline"} <= set(hwsim.__all__)


def test_heavy_detection_works():
    """The checks above can fail: importing PySpice's shared module is seen."""
    assert _loaded("import PySpice.Spice.NgSpice.Shared") == "PySpice"
