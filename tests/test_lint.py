"""House style: ruff (installed by ./quickstart.sh with the dev extra) passes on the package and tests."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_passes():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "hwsim", "tests", "benchmarks"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
