"""Sweeps on Dask (`hwsim sweep`): resume after a kill, failed points recorded, config errors,
sky130 mismatch, lattice tau mismatch. Real ngspice, real dask.distributed local clusters."""

import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from hwsim.app.sweep import (
    adopt_stale,
    gather,
    lattice_series,
    load_sweep,
    run_point,
    run_sweep,
    sweep_points,
    write_sweep_report,
)
from hwsim.errors import InputError, NetlistError
from hwsim.lattice.simulate import SimConfig, simulate, tau_mismatch
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.behavior import ring_hop_law
from hwsim.model.card import load_card

from tolerances import MISMATCH_PERIOD_REL

pytestmark = pytest.mark.ngspice

RING = """
name = "{name}"
kind = "ring"
[base]
library = "generic"
ring_size = 3
{base}
[axes]
{axes}
"""


def _write(tmp_path, name="t", base="", axes='vdd_v = [1.8]'):
    path = tmp_path / f"{name}.toml"
    path.write_text(RING.format(name=name, base=base, axes=axes))
    return path


def _results(points_dir):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(points_dir.glob("*.json"))}


def _wait_session_gone(sid: int, timeout_s: float = 15.0) -> bool:
    """True once no live (non-zombie) process of session ``sid`` is left."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        ps = subprocess.run(["ps", "-o", "stat=", "-s", str(sid)], capture_output=True, text=True).stdout.split()
        if not [st for st in ps if not st.startswith("Z")]:
            return True
        time.sleep(0.2)
    return False


def test_killed_sweep_resumes_without_loss_or_recomputation(tmp_path):
    """8 generic ring points (about 2 s each) on 2 workers; SIGKILL to the whole process group
    once 2 results exist; the rerun computes exactly the missing points and keeps the others."""
    path = _write(tmp_path, "resume", base="periods = 40",
                  axes="vdd_v = [1.6, 1.7, 1.8, 1.9]\ntemp_c = [27.0, 85.0]")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "hwsim.app.cli", "sweep", str(path), "--output", str(out), "--workers", "2", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    while len(list((out / "points").glob("*.json"))) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    # kill the sweep's whole process group (driver, scheduler, workers) at once, as an OOM killer
    # would; ngspice runs live in sessions of their own and end with their short, bounded runs
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _wait_session_gone(proc.pid), "processes of the killed sweep still running"
    before = _results(out / "points")
    assert 2 <= len(before) < 8, f"kill came too late or too early: {len(before)} results"
    for content, _ in before.values():
        assert json.loads(content)["status"] == "ok"  # atomic: no half-written result
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    counts = json.loads(rerun.stdout)
    assert counts["cached"] == len(before) and counts["done"] == 8 - len(before) and counts["ok"] == 8
    after = _results(out / "points")
    assert all(after[name] == value for name, value in before.items())  # not rewritten: same bytes and mtime
    table = gather(load_sweep(path), out)
    assert (table["status"] == "ok").all() and len(table) == 8
    # a third run has nothing to do
    again = json.loads(subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout)
    assert again["cached"] == 8 and again["done"] == 0


def test_failed_points_are_recorded_and_the_rest_complete(tmp_path):
    """Points whose ngspice run exceeds a 1 s timeout fail (SimulationTimeout, log kept); the
    others finish; the failures are retried only on request."""
    path = _write(tmp_path, "fail", base="periods = 60", axes="timeout_s = [1.0, 120.0]\ntemp_c = [27.0, 85.0]")
    sweep = load_sweep(path)
    counts = run_sweep(sweep, tmp_path / "out", workers=2)
    assert counts["done"] == 2 and counts["failed"] == 2 and counts["remaining"] == 0
    table = gather(sweep, tmp_path / "out")
    failed = table[table["status"] == "failed"]
    assert sorted(failed["timeout_s"]) == [1.0, 1.0]
    assert failed["error"].str.startswith("SimulationTimeout").all()
    ok = table[table["status"] == "ok"]
    assert (ok["frequency_hz"] > 1e5).all() and (ok["energy_per_period_j"] > 0).all()
    assert (ok["mode"] == "travelling").all()  # neighbour lag about 1/3 of the period in a ring of 3
    assert np.allclose(ok["neighbour_lag_frac"], 1 / 3, atol=0.05)
    record = json.loads(next((tmp_path / "out" / "points").glob("*.failed.json")).read_text())
    assert record["error_type"] == "SimulationTimeout" and "timeout" in record["error"]
    assert run_sweep(sweep, tmp_path / "out", workers=1)["cached"] == 4  # failures count as finished
    retry = run_sweep(sweep, tmp_path / "out", workers=1, retry_failed=True)
    assert retry["cached"] == 2 and retry["failed"] == 2


BAD = {
    "scheme and axis": ('kind = "lattice"\n[schemes.a]\nshared = 0\n[axes]\nshared = [0, 1]\n',
                        "shared is both in [schemes.a] and [axes]"),
    "scheme unknown key": ('kind = "lattice"\n[schemes.a]\nsharing = 0\n', "schemes.a"),
    "scheme unsafe name": ('kind = "lattice"\n[schemes."../x"]\nshared = 0\n', "scheme name"),
    "scheme name with a dot": ('kind = "lattice"\n[schemes.eps0.3]\nshared = 0\n',
                               'must be quoted, e.g. [schemes."eps0.3"]'),
    "scheme not a table": ('kind = "lattice"\n[schemes]\na = 1\n', "[schemes.a] must be a table"),
    "schemes on rings": ('kind = "ring"\n[schemes.a]\nvdd_v = 1.8\n', "[schemes] apply to lattice and"),
    "kind": ('name = "x"\nkind = "chip"\n', "kind = 'chip'"),
    "unknown axis": ('kind = "ring"\n[axes]\nvoltage = [1.8]\n', "unknown axis axes.voltage"),
    "axis not a list": ('kind = "ring"\n[axes]\nvdd_v = 1.8\n', "axes.vdd_v must be a non-empty list"),
    "wrong type": ('kind = "ring"\n[axes]\nvdd_v = ["high"]\n', "every value must be a number"),
    "base and axis": ('kind = "ring"\n[base]\nvdd_v = 1.8\n[axes]\nvdd_v = [1.8]\n', "both in [base] and [axes]"),
    "impossible value": ('kind = "ring"\n[axes]\nvdd_v = [9.0]\n', "vdd_v: 9.0 is outside"),
    "mismatch on generic": ('kind = "ring"\n[base]\nlibrary = "generic"\n[montecarlo]\nsamples = 2\n',
                            "Monte Carlo mismatch needs library = sky130"),
    "lattice montecarlo": ('kind = "lattice"\n[montecarlo]\nsamples = 2\n', "sweep tau_spread and seed"),
    "lattice spread": ('kind = "lattice"\n[axes]\ntau_spread = [0.5]\n', "tau_spread"),
    "missing card": ('kind = "lattice"\n[base]\ncard = "nope"\n', "model card 'nope' not found"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_sweep_errors_name_the_key(case, tmp_path):
    text, message = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_sweep(path)
    assert message in str(info.value)


def test_sweep_keys_follow_the_inputs(tmp_path):
    a = sweep_points(load_sweep(_write(tmp_path, "a", axes="vdd_v = [1.7, 1.8]")))
    b = sweep_points(load_sweep(_write(tmp_path, "b", axes="vdd_v = [1.8, 1.9]")))
    assert a[1][0] == b[0][0]  # the same point in two sweeps has one key: its result is shared
    assert len({k for k, _ in a + b}) == 3


@pytest.mark.sky130
def test_sky130_mismatch_is_real_and_reproducible():
    """Ring of 5 at tt with sky130's mismatch models: the same seed gives the same period, other
    seeds move it by about a percent or more, and all stay near the nominal 9.76 us."""
    from hwsim.circuit.characterize import Conditions, measure_ring, run_ring

    cond = Conditions(backend="batch")
    periods = {s: measure_ring(cond, 5, periods=6, result=run_ring(cond, 5, periods=6, mismatch_seed=s)).period_s
               for s in (1, 2)}
    again = measure_ring(cond, 5, periods=6, result=run_ring(cond, 5, periods=6, mismatch_seed=1)).period_s
    assert again == periods[1]
    assert abs(periods[2] / periods[1] - 1) > 0.002
    nominal = 5 * ring_hop_law(load_card("sky130_tt"), 5)  # the card's period law, ~9.76 us
    assert all(abs(p / nominal - 1) < MISMATCH_PERIOD_REL for p in periods.values())


def test_with_mismatch_needs_sky130():
    from hwsim.circuit.characterize import Conditions
    from hwsim.circuit.netlist import BENCH_DIR, ring_netlist, with_mismatch

    deck = Conditions(library="generic").render(BENCH_DIR, text=ring_netlist(3, library="generic"), name="r3",
                                                 params={"t_stop": 1e-6, "t_step": 1e-9, "kick_q": 1e-12,
                                                         "kick_t": 1e-7, "kick_at": 1e-7})
    with pytest.raises(NetlistError, match="needs the sky130 library"):
        with_mismatch(deck, 1)


@pytest.mark.brian2_compiled
def test_tau_mismatch_same_in_brian_and_numpy():
    """Per-neuron tau spread: statistics as specified, and Brian2 (cython) and the numpy
    reference give identical events with it."""
    scale = tau_mismatch(20000, 0.05, 3)
    assert abs(scale.std() - 0.05) < 0.002 and abs(scale.mean() - 1) < 0.002
    assert tau_mismatch(10, 0.0, 3) is None
    card = load_card("paper")
    lattice = build_lattice(LatticeSpec(nx=6, ny=6, shared=1, orientation="alternating", rule="summing"))
    runs = [simulate(card, lattice, SimConfig(duration_tau=60.0, seed=2, engine=e, tau_spread=0.05))
            for e in ("numpy", "brian")]
    assert len(runs[0].events.step) > 500
    for field in ("step", "neuron", "kind"):
        assert np.array_equal(getattr(runs[0].events, field), getattr(runs[1].events, field))
    nominal = simulate(card, lattice, SimConfig(duration_tau=60.0, seed=2, engine="numpy"))
    assert not np.array_equal(nominal.events.step, runs[0].events.step)


def test_lattice_sweep_points(tmp_path):
    path = tmp_path / "lat.toml"
    path.write_text('name = "lat"\nkind = "lattice"\n[base]\ncard = "paper"\nnx = 8\nny = 8\nduration_tau = 120.0\n'
                    '[axes]\ntau_spread = [0.0, 0.05]\n')
    sweep = load_sweep(path)
    counts = run_sweep(sweep, tmp_path / "out", workers=1)
    assert counts["done"] == 2 and counts["failed"] == 0
    table = gather(sweep, tmp_path / "out")
    assert table["xi_ss"].notna().all() and (table["events"] > 100).all()


def test_adopt_stale_moves_results_of_other_code_to_the_new_key(tmp_path):
    """A point file whose key no longer matches (as after a code change) but whose parameters do is
    moved to the current key, recording the old one, results and recorded failures alike; files
    with other parameters and unreadable files are never adopted."""
    path = tmp_path / "lat.toml"
    path.write_text('kind = "lattice"\n[base]\ncard = "paper"\nnx = 4\nny = 4\nduration_tau = 30.0\n'
                    'engine = "numpy"\n[axes]\nseed = [1, 2]\n')
    sweep = load_sweep(path)
    points = tmp_path / "out" / "points"
    points.mkdir(parents=True)
    (key1, p1), (key2, p2) = sweep_points(sweep)
    assert run_point(sweep.kind, p1, key1, str(points))["status"] == "ok"
    data = json.loads((points / f"{key1}.json").read_text())
    (points / f"{key1}.json").rename(points / "00000000000000000001.json")  # "computed by other code"
    (points / "00000000000000000000.json").write_text("{not json")
    no_result = {"key": "y", "status": "ok", "params": {**data["params"], "seed": 2}}  # would break the report
    (points / "0000000000000000000a.json").write_text(json.dumps(no_result))
    other = {**data, "params": {**data["params"], "seed": 7}}  # another point: adopted by none
    (points / "00000000000000000002.json").write_text(json.dumps(other))
    assert gather(sweep, tmp_path / "out")["status"].tolist() == ["missing", "missing"]
    assert adopt_stale(sweep, tmp_path / "out") == 1
    moved = json.loads((points / f"{key1}.json").read_text())
    assert moved["key"] == key1 and moved["computed_with_key"] == "00000000000000000001"
    assert moved["result"] == data["result"] and not (points / "00000000000000000001.json").exists()
    assert adopt_stale(sweep, tmp_path / "out") == 0 and (points / "00000000000000000002.json").exists()
    failed = {"key": "x", "status": "failed", "params": {**data["params"], "seed": 2}, "error_type": "SimulatorError",
              "error": "activity died", "wall_s": 1.0}
    (points / "00000000000000000003.failed.json").write_text(json.dumps(failed))
    assert adopt_stale(sweep, tmp_path / "out") == 1
    assert json.loads((points / f"{key2}.failed.json").read_text())["computed_with_key"] == "00000000000000000003"
    assert gather(sweep, tmp_path / "out")["status"].tolist() == ["ok", "failed"]


def _busy_worker(psutil, pid: int):
    """A Dask worker process (child of ``pid``) that is running ngspice, or None. Processes come and
    go while we look (a finished ngspice, a restarted worker): one that vanished is skipped."""
    for p in psutil.Process(pid).children():
        try:
            if "spawn_main" in " ".join(p.cmdline()) and p.children():
                return p
        except psutil.NoSuchProcess:
            continue
    return None


def test_sweep_survives_a_dead_worker(tmp_path):
    """SIGKILL one Dask worker process while it computes: the nanny restarts it, the scheduler
    reruns its task elsewhere, and every point ends with a result."""
    import psutil

    path = _write(tmp_path, "dead", base="periods = 40", axes="vdd_v = [1.6, 1.7, 1.8, 1.9]\ntemp_c = [27.0, 85.0]")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "hwsim.app.cli", "sweep", str(path), "--output", str(out), "--workers", "2", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.time() + 120
        victim = None
        while victim is None and time.time() < deadline:
            victim = _busy_worker(psutil, proc.pid)
            time.sleep(0.1)
        assert victim is not None, "no busy worker found"
        victim.kill()
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr[-2000:]
    counts = json.loads(stdout)
    assert counts["ok"] == 8 and counts["failed_total"] == 0
    assert _wait_session_gone(proc.pid)


def test_schemes_times_axes_with_one_size_for_both_sides(tmp_path):
    """[schemes.NAME] x [axes]: one point per scheme and axis combination; size sets nx = ny; the
    scheme's own keys override [base]; the scheme is part of each point (and its key)."""
    path = tmp_path / "study.toml"
    path.write_text('kind = "lattice"\n[base]\nring_size = 6\nduration_tau = 60.0\nengine = "numpy"\n'
                    '[schemes.links]\nshared = 0\ncoupling_weight = 0.3\n'
                    '[schemes.wide]\nshared = 1\nring_size = 8\norientation = "uniform"\n'
                    '[axes]\nsize = [6, 8]\nseed = [1, 2, 3]\n')
    sweep = load_sweep(path)
    assert len(sweep.points) == 2 * 2 * 3
    assert {(p["scheme"], p["nx"], p["ny"], p["ring_size"]) for p in sweep.points} == {
        ("links", 6, 6, 6), ("links", 8, 8, 6), ("wide", 6, 6, 8), ("wide", 8, 8, 8)}
    assert len({k for k, _ in sweep_points(sweep)}) == 12


def test_finite_size_verdict():
    """Two sizes per scheme: means within the larger seed std -> finite; apart, or capped -> spans."""
    import pandas as pd

    from hwsim.app.sweep import finite_size

    rows = [("a", 64, 5.0), ("a", 64, 6.0), ("a", 128, 5.6), ("a", 128, 5.2),   # |5.4 - 5.5| = 0.1 <= std 0.71
            ("b", 64, 5.0), ("b", 64, 5.2), ("b", 128, 9.0), ("b", 128, 9.4)]   # 4.1 apart, std 0.28
    ok = pd.DataFrame(rows, columns=["scheme", "size", "xi_ss_pattern"])
    ok["xi_ss_pattern_capped"] = False
    table = finite_size(ok, ["scheme"]).set_index("scheme")
    assert table.loc["a", "verdict"] == "finite" and table.loc["b", "verdict"] == "spans the lattice"
    assert table.loc["a", "xi_ss_pattern_large"] == pytest.approx(5.4)
    ok.loc[ok["scheme"] == "a", "xi_ss_pattern_capped"] = True
    assert finite_size(ok, ["scheme"]).set_index("scheme").loc["a", "verdict"] == "spans the lattice"


def test_plateau_time_is_the_first_time_inside_the_band():
    """xi = 1, 2, 4, 8, 9, 10, 10, 10: late mean (last quarter) 10, band +-20 % = [8, 12]: the
    plateau starts at the first time from which every value is inside (t = 4, the 8); a value
    leaving the band later moves it; xi = t (late mean 7.5, band [6, 9]) "settles" at t = 6."""
    from hwsim.app.sweep import plateau_time

    t = [1, 2, 3, 4, 5, 6, 7, 8]
    assert plateau_time(t, [1, 2, 4, 8, 9, 10, 10, 10]) == 4
    assert plateau_time(t, [1, 2, 4, 8, 5, 10, 10, 10]) == 6
    assert plateau_time(t, [1, 2, 3, 4, 5, 6, 7, 8]) == 6
    assert math.isnan(plateau_time(t, [float("nan")] * 8))


def test_pattern_growth_fits_the_pattern_aware_xi():
    """xi_pattern = 2 t^0.5 (never capped) is fitted from its minimum (the first time) to its maximum
    (the last) with exponent 0.5 and a zero-width interval; a series capped from the third time on
    is fitted only on its first two points (too few: NaN), and without the flag a value at L/2
    counts as capped."""
    from hwsim.app.sweep import pattern_growth

    t = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    xi = [2 * v ** 0.5 for v in t]
    grown = pattern_growth([{"key": "a", "size": 64, "series": {"t_tau": t, "xi_pattern": xi}}]).iloc[0]
    assert grown["growth_exponent_pattern"] == pytest.approx(0.5, rel=1e-12)
    assert grown["growth_ci95_low_pattern"] == pytest.approx(0.5, abs=1e-9)
    assert (grown["growth_fit_from_tau_pattern"], grown["growth_fit_to_tau_pattern"]) == (1.0, 32.0)
    capped = [False, False, True, True, True, True]
    series = {"t_tau": t, "xi_pattern": xi, "xi_pattern_capped": capped}
    assert math.isnan(pattern_growth([{"key": "b", "size": 64, "series": series}]).iloc[0]["growth_exponent_pattern"])
    at_cap = pattern_growth([{"key": "c", "size": 8, "series": {"t_tau": t, "xi_pattern": xi}}]).iloc[0]
    assert at_cap["growth_fit_to_tau_pattern"] == 2.0  # 2 sqrt(4) = 4 >= 8 / 2: capped from t = 4 on


def test_design_table_reports_the_largest_size_per_scheme():
    """Mean +- std over the seeds of the largest size only; orbit classes above 0.5 %; the rule
    decides 'buildable'."""
    import pandas as pd

    from hwsim.app.sweep import design_table

    base = {"wall_density_ss_pattern": 0.1, "wall_width_ss_pattern": 1.0, "R_ss_pattern": 0.5, "t_plateau_tau": 100.0,
            "growth_exponent": 0.3, "growth_ci95_low": 0.2, "growth_ci95_high": 0.4, "growth_fit_from_tau": 2.0,
            "growth_fit_to_tau": 50.0, "orbit_frac_1": 0.25, "orbit_frac_2": 0.75, "orbit_frac_3": 0.001}
    rows = [{**base, "scheme": "g", "rule": "gate", "size": 32, "xi_ss_pattern": 99.0},
            {**base, "scheme": "g", "rule": "gate", "size": 64, "xi_ss_pattern": 4.0},
            {**base, "scheme": "g", "rule": "gate", "size": 64, "xi_ss_pattern": 6.0},
            {**base, "scheme": "s", "rule": "summing", "size": 64, "xi_ss_pattern": 3.0}]
    table = design_table(pd.DataFrame(rows)).set_index("scheme")
    assert table.loc["g", "xi_ss_pattern"] == "5 +- 1.41" and table.loc["g", "seeds"] == 2
    assert table.loc["g", "orbit classes"] == "1: 0.25, 2: 0.75"
    assert table.loc["g", "buildable"] == "yes (gate cell)" and table.loc["s", "buildable"] == "no circuit in hwsim"
    assert table.loc["g", "growth_ci95"] == "[0.20, 0.40]" and table.loc["g", "fit_window_tau"] == "2-50"


def test_scheme_sweep_writes_the_design_table_and_figure(tmp_path):
    """A small gate-rule scheme sweep over two sizes: every point carries its time series (kept out
    of the table), summary.md has the design-space table and design_space.png is drawn."""
    path = tmp_path / "ds.toml"
    path.write_text('name = "ds"\nkind = "lattice"\n[base]\ncard = "sky130_tt"\nrule = "gate"\nengine = "event"\n'
                    'duration_tau = 150.0\nn_times = 8\nrecord = "reference"\n'
                    '[schemes.sq6]\nshared = 1\nring_size = 6\norientation = "uniform"\n'
                    '[axes]\nsize = [6, 8]\nseed = [1, 2]\n')
    sweep = load_sweep(path)
    assert run_sweep(sweep, tmp_path / "out", workers=1)["failed"] == 0
    series = lattice_series(sweep, tmp_path / "out")
    assert len(series) == 4 and all(len(p["series"]["xi_pattern"]) == 8 for p in series)
    table = gather(sweep, tmp_path / "out")
    assert "series" not in table and (table["orbit_frac_3"] > 0).any()
    write_sweep_report(sweep, table, tmp_path / "out")
    assert "## Design-space table" in (tmp_path / "out" / "summary.md").read_text()
    assert (tmp_path / "out" / "design_space.png").stat().st_size > 10_000


def test_pruned_points_name_dead_and_storming_lattices():
    """A point with 60 % silent rings died, one firing 10 times per neuron and tau storms, one with
    orbit data missing is not called dead; counts per rule."""
    import pandas as pd

    from hwsim.app.sweep import pruned_lines

    ok = pd.DataFrame([
        {"scheme": "a", "rule": "capacitive", "orbit_frac_0": 0.6, "firings_per_neuron_per_tau": 0.01},
        {"scheme": "b", "rule": "gate", "orbit_frac_0": 0.0, "firings_per_neuron_per_tau": 10.0},
        {"scheme": "c", "rule": "gate", "orbit_frac_0": float("nan"), "firings_per_neuron_per_tau": 0.3},
        {"scheme": "d", "rule": "gate", "orbit_frac_0": 0.1, "firings_per_neuron_per_tau": 0.3}])
    text = "\n".join(pruned_lines(ok))
    assert "died: scheme=a, rule=capacitive (silent rings 60 %" in text
    assert "storm: scheme=b, rule=gate (silent rings 0 %, 10 firings per neuron and tau)" in text
    assert "scheme=c" not in text and "scheme=d" not in text
    assert "- rule gate: 0 died, 1 storm, of 3" in text
    assert pruned_lines(ok.iloc[2:]) == []
