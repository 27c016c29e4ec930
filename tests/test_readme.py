"""Every Python code block of README.md runs as written (the docs cannot rot)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), flags=re.S | re.M)


def test_readme_has_a_python_example():
    assert BLOCKS, "README.md lost its Python example"


@pytest.mark.ngspice
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index):
    out = subprocess.run([sys.executable, "-c", BLOCKS[index]], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, f"README block {index} failed:\n{out.stdout}\n{out.stderr[-3000:]}"
