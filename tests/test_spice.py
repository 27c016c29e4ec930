"""The ngspice adapter against the real ngspice: analytic benches, backends, error cases."""

import os
import shutil
import subprocess
import time

import numpy as np
import pytest

from hwsim.circuit.measure import fit_exponential_decay, period, supply_energy
from hwsim.circuit.netlist import BENCH_DIR, Deck, render, ring_netlist
from hwsim.circuit.rawfile import read_raw
from hwsim.circuit.spice import run_deck
from hwsim.errors import (
    ConvergenceError,
    MalformedNetlistError,
    ModelLibraryError,
    SimulationTimeout,
    SimulatorNotFoundError,
)

from tolerances import BACKEND_PERIOD_REL, CV2_REL, RC_TAU_REL

pytestmark = pytest.mark.ngspice

BACKENDS = ["shared", "batch"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("r_ohm,c_f", [(1e6, 1e-12), (2.2e6, 0.47e-12)])
def test_rc_step_matches_analytic_tau(backend, r_ohm, c_f):
    tau = r_ohm * c_f
    deck = render("benches/rc_step.sp", params={"rc_r": r_ohm, "rc_c": c_f, "t_stop": 1e-6 + 8 * tau,
                                                "t_step": tau / 500})
    res = run_deck(deck, backend=backend)
    t, x = res.time, res["x"]
    t_start = 1e-6 + 1e-9 + 0.05 * tau
    fit = fit_exponential_decay(t, x, t_start, 1e-6 + 6 * tau)
    assert fit.tau_s == pytest.approx(tau, rel=RC_TAU_REL)
    # the whole decay follows the analytic curve, not only its fitted tau
    mask = t > t_start
    expected = np.interp(t_start, t, x) * np.exp(-(t[mask] - t_start) / tau)
    assert np.max(np.abs(x[mask] - expected)) < 0.01 * 1.8
    assert res.ngspice_version.startswith("ngspice-")
    assert (res.pyspice_version == "1.5") == (backend == "shared")


def test_capacitor_cycle_energy_is_cv2():
    c, vdd, t_per = 1e-12, 1.8, 100e-9
    res = run_deck(render("benches/capacitor_cycle.sp"), backend="shared")
    t = res.time
    cycles = 8
    e = supply_energy(t, vdd, res["i(vdd)"], 1 * t_per, (1 + cycles) * t_per)
    assert e / cycles == pytest.approx(c * vdd ** 2, rel=CV2_REL)


def test_backends_agree_on_a_ring():
    deck = render(BENCH_DIR, text=ring_netlist(4, library="generic"), params={"t_stop": 120e-6})
    periods = [period(r.time, r["o0"], 0.9).median_s for r in (run_deck(deck, backend=b) for b in BACKENDS)]
    assert periods[0] == pytest.approx(periods[1], rel=BACKEND_PERIOD_REL)


def test_raw_reader_binary_and_ascii(tmp_path):
    """The raw-file reader gives the same vectors for binary and ASCII raw files."""
    deck = render("benches/rc_step.sp")
    (tmp_path / "deck.cir").write_text(deck.text)
    (tmp_path / ".spiceinit").write_text("set num_threads=1\n")
    subprocess.run(["ngspice", "-b", "-r", "bin.raw", "deck.cir"], cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / ".spiceinit").write_text("set num_threads=1\nset filetype=ascii\n")
    subprocess.run(["ngspice", "-b", "-r", "asc.raw", "deck.cir"], cwd=tmp_path, check=True, capture_output=True)
    binary, ascii_ = read_raw(str(tmp_path / "bin.raw"))[0], read_raw(str(tmp_path / "asc.raw"))[0]
    assert set(binary.vectors) == {"time", "v(u)", "v(x)"} == set(ascii_.vectors)
    for name in binary.vectors:
        assert np.allclose(binary.vectors[name], ascii_.vectors[name], rtol=1e-12, atol=1e-18)


@pytest.mark.parametrize("name", ["rc_step", "capacitor_cycle", "hysteresis", "step", "static"])
def test_bench_runs_as_is_with_ngspice_b(name, tmp_path):
    """Every hand-written bench runs unmodified with `ngspice -b` (relative paths resolved by ngspice)."""
    (tmp_path / ".spiceinit").write_text("set num_threads=1\nset ngbehavior=hsa\nset ng_nomodcheck\n")
    out = subprocess.run(["ngspice", "-b", "-r", "out.raw", str(BENCH_DIR / f"{name}.sp")], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    log = out.stdout + out.stderr
    assert "error" not in log.lower().replace("error = 7", ""), log[-2000:]
    plot = read_raw(str(tmp_path / "out.raw"))[-1]
    assert len(next(iter(plot.vectors.values()))) >= 1


# ---- error cases -------------------------------------------------------------------------------

def test_malformed_netlist_names_the_line():
    deck = Deck(name="bad", text="* bad\nV1 a 0 1\nX1 a 0 nosuchcell\nR1 a 0 1k\n.tran 1n 10n\n.end\n")
    for backend in BACKENDS:
        with pytest.raises(MalformedNetlistError, match="unknown subckt") as info:
            run_deck(deck, backend=backend)
        assert "nosuchcell" in str(info.value) and info.value.exit_code == 2
        assert "ngspice log" in str(info.value) and info.value.deck == deck.text


def test_missing_model_library_reported_by_ngspice():
    """A deck built by hand (not through render) with a missing .include: ngspice's complaint is typed."""
    deck = Deck(name="nolib", text='* nolib\n.include "/no/such/models.sp"\nV1 a 0 1\nR1 a 0 1k\n.op\n.end\n')
    with pytest.raises(ModelLibraryError, match="/no/such/models.sp") as info:
        run_deck(deck, backend="batch")
    assert info.value.exit_code == 3 and "hwsim pdk link" in str(info.value)


def test_non_convergence_is_typed():
    text = ring_netlist(3, library="generic").replace(
        ".options method=gear", ".options method=gear reltol=1e-9 abstol=1e-18 vntol=1e-12 itl4=3 chgtol=1e-20")
    deck = render(BENCH_DIR, text=text, params={"t_stop": 20e-6})
    for backend in BACKENDS:
        with pytest.raises(ConvergenceError, match="(?i)timestep too small") as info:
            run_deck(deck, backend=backend)
        assert "how to fix" in str(info.value) and "ngspice-39" in str(info.value)


def _processes_using(folder) -> list[int]:
    """PIDs whose working directory or command line is the run folder (this run's processes only)."""
    folder = str(folder)
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().decode(errors="replace")
        except OSError:
            continue
        if cwd == folder or folder in cmdline:
            pids.append(int(entry))
    return pids


@pytest.mark.parametrize("backend", BACKENDS)
def test_timeout_kills_the_run(backend, tmp_path):
    deck = render(BENCH_DIR, text=ring_netlist(8, library="generic"), params={"t_stop": 1.0, "t_step": 1e-6})
    start = time.perf_counter()
    with pytest.raises(SimulationTimeout, match="exceeded its timeout of 2 s") as info:
        run_deck(deck, backend=backend, timeout_s=2, keep_dir=tmp_path / "run")
    assert time.perf_counter() - start < 15
    assert "raise timeout_s" in str(info.value)
    time.sleep(0.2)
    assert _processes_using(tmp_path / "run") == [], "a killed ngspice run left processes behind"


def test_missing_ngspice_program(monkeypatch, tmp_path):
    """With ngspice off PATH the batch backend says how to install it."""
    from hwsim.circuit import spice

    spice.ngspice_version.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        with pytest.raises(SimulatorNotFoundError, match="apt-get install") as info:
            run_deck(render("benches/rc_step.sp"), backend="batch")
        assert info.value.exit_code == 3
    finally:
        spice.ngspice_version.cache_clear()


def test_ngspice_on_path():
    """CI installs ngspice; a missing one must fail here, loudly, not skip."""
    assert shutil.which("ngspice"), "ngspice is not installed: run ./quickstart.sh or apt-get install ngspice"
    assert os.path.exists("/usr/lib/x86_64-linux-gnu/libngspice.so") or os.environ.get("NGSPICE_LIBRARY_PATH")
