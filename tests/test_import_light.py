"""``import hwsim`` (and its pure modules) must not load PySpice, Brian2 or matplotlib."""

import subprocess
import sys

HEAVY = ("PySpice", "brian2", "matplotlib")


def test_import_hwsim_is_light():
    code = ("import sys, hwsim, hwsim.netlist, hwsim.measure, hwsim.units, hwsim.rawfile, hwsim.spice, "
            "hwsim.characterize, hwsim.cli, hwsim.devices\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing hwsim loaded heavy modules: {out.stdout.strip()}"


def test_heavy_detection_works():
    """The check above can fail: importing PySpice's shared module is seen."""
    code = "import sys, PySpice.Spice.NgSpice.Shared\nprint('PySpice' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
