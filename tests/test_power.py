"""Behavioural power estimates: analytic cases, and the shipped cards' rings against SPICE."""

import math

import numpy as np
import pytest

from hwsim.analysis.power import estimate_power
from hwsim.checks.energy import ring_energy_check
from hwsim.errors import InputError
from hwsim.lattice.simulate import LatticeRun, SimConfig, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.card import load_card
from hwsim.model.events import Events

from tolerances import LATTICE_ENERGY_REL, RING_ENERGY_REL

TT = load_card("sky130_tt")


def _run(card, lattice, events, n_steps, dt, x0=None, firing0=None):
    n = lattice.n_neurons
    x0 = np.zeros(n) if x0 is None else x0
    firing0 = np.zeros(n) if firing0 is None else firing0
    return LatticeRun(events=events, dt=dt, n_steps=n_steps, spec=lattice.spec, config=SimConfig(engine="numpy"),
                      card=card, x0=x0, firing0=firing0, final_x=x0, final_firing=firing0, wall_s=0.0)


def test_silent_lattice_costs_exactly_its_leakage():
    lattice = build_lattice(LatticeSpec(nx=3, ny=3, shared=1, rule="capacitive"))
    empty = Events.from_parts([], 1e-8)
    report = estimate_power(_run(TT, lattice, empty, 1000, 1e-8), lattice)
    leak = TT.supply["i_leak_a"] * TT.value("vdd_v")
    assert report.total_j == pytest.approx(lattice.n_neurons * leak * 1e-5, rel=1e-12)
    assert report.breakdown()["coupling"] == 0 and report.breakdown()["crowbar"] == 0


def test_coupling_charge_of_one_firing_is_kcl():
    """Neuron 0 fires at 1 us and rests at 3 us; its successor's x jumps by -g dV then +g dV. The
    supply charges C from the rise until the window end: C (dV - (x_end - x_before_rise))."""
    lattice = build_lattice(LatticeSpec(geometry="square", nx=3, ny=3, ring_size=3, shared=0, rule="capacitive"))
    dt = 1e-8
    events = Events.from_steps(np.array([99, 299]), np.array([0, 0]), np.array([1, -1]), dt)
    report = estimate_power(_run(TT, lattice, events, 2000, dt), lattice, 0.0, 20e-6)
    tau, g, vdd = TT.value("tau_s"), 1 / (1 + TT.value("c_in_f") / TT.value("c_couple_f")), TT.value("vdd_v")
    dv = vdd - TT.value("v_ol_v")
    succ = int(lattice.network.dst[lattice.network.src == 0][0])
    x_fall = max(-g * dv, -TT.value("v_clamp_v"))
    x_before_rise = x_fall * math.exp(-2e-6 / tau)
    x_end = (x_before_rise + g * dv) * math.exp(-(20e-6 - 3e-6) / tau)
    expected = vdd * TT.value("c_couple_f") * (dv - (x_end - x_before_rise))
    # before the fall (at rest since t = 0, no rise seen): -C (x_fall_time - x0) = 0 as x stayed 0
    assert report.neurons.loc[0, "coupling_j"] == pytest.approx(expected, rel=1e-9)
    assert report.neurons.loc[0, "firings"] == 1
    assert report.neurons.loc[0, "edges_j"] == pytest.approx(TT.energy["e_edges_j"])
    assert succ != 0


@pytest.mark.parametrize("name", ["sky130_tt", "sky130_ff", "sky130_ss", "generic_tt", "sky130_tt_1.62V_27.0C",
                                  "sky130_tt_1.98V_27.0C", "sky130_tt_1.98V_85.0C"])
@pytest.mark.ngspice
def test_ring_energy_within_10_percent_of_spice(name):
    """Behavioural energy per ring period (no fitted energy parameter) against the SPICE energy
    per period recorded in the card at calibration, N = 3..8. Tolerance from the issue: 10 %.
    (Measured 2026-12-05: ratios 0.93-1.06 over these seven cards; the two 1.98 V cards were 8-12 %
    high, a strict xfail, until the crowbar stopped counting rest-branch time above VT+.)"""
    rows = ring_energy_check(load_card(name))
    for r in rows:
        print(f"{name} N={r['n']}: model {r['model_j'] * 1e12:.2f} pJ, SPICE {r['spice_j'] * 1e12:.2f} pJ, "
              f"ratio {r['ratio']:.3f}")
        assert r["ratio"] == pytest.approx(1.0, abs=RING_ENERGY_REL)


def test_paper_card_has_no_power_model():
    lattice = build_lattice(LatticeSpec(nx=3, ny=3))
    run = simulate(load_card("paper"), lattice, SimConfig(duration_tau=5, engine="numpy"))
    with pytest.raises(InputError, match="no supply table"):
        estimate_power(run, lattice)


def test_per_ring_shares_shared_neurons():
    lattice = build_lattice(LatticeSpec(nx=3, ny=3, shared=1, rule="capacitive"))
    run = simulate(TT, lattice, SimConfig(duration_tau=20e-6 / TT.value("tau_s"), init="kick", engine="numpy"))
    report = estimate_power(run, lattice)
    assert report.per_ring(lattice.rings)["total_j"].sum() == pytest.approx(report.total_j, rel=1e-12)
    assert report.power_w == pytest.approx(report.total_j / (report.t1 - report.t0), rel=1e-12)
    assert report.t1 == pytest.approx(run.n_steps * run.dt) and report.t1 == pytest.approx(20e-6, rel=1e-3)


@pytest.mark.sky130
@pytest.mark.parametrize("name", [
    "sky130_tt", "sky130_ff",
    pytest.param("sky130_ss", marks=pytest.mark.xfail(strict=True, reason="known gap: model 10.3 % high at ss")),
])
@pytest.mark.ngspice
def test_coupled_lattice_energy_against_spice(name):
    """2 x 2 open square lattice of 6-rings sharing one neuron per side (4 rings, 20 neurons),
    capacitive rule, one kick per ring; supply energy from 2 us (2 RC, after the kick transient)
    to 40 us, when the activity has died out. Same 10 % as the rings (tolerances.py)."""
    from hwsim.checks.energy import lattice_energy_check

    spec = LatticeSpec(geometry="square", nx=2, ny=2, boundary="open", shared=1, rule="capacitive")
    out = lattice_energy_check(load_card(name), spec, (2e-6, 40e-6))
    print(f"\n2x2 shared lattice, {name}: SPICE {out['spice_j'] * 1e12:.1f} pJ, "
          f"model {out['model_j'] * 1e12:.1f} pJ, ratio {out['ratio']:.3f}; "
          f"firings SPICE {out['spice_firings']} model {out['model_firings']}")
    assert out["spice_firings"] == out["model_firings"]  # the same firings after the kicks
    assert out["ratio"] == pytest.approx(1.0, abs=LATTICE_ENERGY_REL)


def test_power_cli_on_a_saved_run(tmp_path):
    import json
    import subprocess
    import sys

    run_path = tmp_path / "run.npz"
    out = subprocess.run([sys.executable, "-m", "hwsim", "lattice", "--card", "sky130_tt", "--rule", "capacitive",
                          "--nx", "3", "--ny", "3", "--shared", "0", "--duration", "28", "--engine", "numpy",
                          "--init", "kick", "--output", str(run_path), "--quiet"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([sys.executable, "-m", "hwsim", "power", str(run_path), "--json", "--csv",
                          str(tmp_path / "n.csv")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["total_j"] == pytest.approx(sum(data["breakdown_j"].values()), rel=1e-12)
    assert data["breakdown_j"]["coupling"] > data["breakdown_j"]["static"] > 0
    assert (tmp_path / "n.csv").read_text().startswith("neuron,")
    bad = subprocess.run([sys.executable, "-m", "hwsim", "power"], capture_output=True, text=True)
    assert bad.returncode == 2 and "give a saved lattice run" in bad.stderr


def test_power_table_cli(tmp_path):
    import subprocess
    import sys

    import pandas as pd

    out = subprocess.run([sys.executable, "-m", "hwsim", "power", "--table", "sky130_tt", "sky130_ff", "--output",
                          str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    table = pd.read_parquet(tmp_path / "power_table.parquet")
    assert len(table) == 12 and set(table["corner"]) == {"tt", "ff"}
    assert (table["ratio"] - 1).abs().max() <= RING_ENERGY_REL
    assert pd.read_csv(tmp_path / "power_table.csv").shape == table.shape
    for name in ("energy_vs_n.png", "breakdown_n5.png"):
        assert (tmp_path / name).stat().st_size > 1000
    assert "sky130_ff" in out.stdout and "ratio" in out.stdout


@pytest.mark.parametrize("name, orientation", [("sky130_keeper_tt", "alternating"), ("sky130_tt", "uniform")])
def test_clock_and_event_engines_book_the_same_energy(name, orientation):
    """The same kicked 2 x 2 gate lattice (60 us) run by the clock engine (firings at 0.01-tau step
    boundaries, no delay) and by the exact event engine (firings at the threshold, after delay_s):
    the same firings, and supply energies within 1 % (measured 2026-12-05: 0.19 % keeper, 0.015 %
    built-in cell). Until the crowbar stopped counting rest-branch time with x above VT+ the clock
    engine booked up to one step of the input stage's full current per firing: +65 % (keeper cell,
    ~105 uA there) and +7.7 %; the event engine matched SPICE (reports/example_gate_crosscheck)."""
    card = load_card(name)
    lattice = build_lattice(LatticeSpec(nx=2, ny=2, boundary="open", shared=1, orientation=orientation, rule="gate"))
    reports = []
    for engine in ("numpy", "event"):
        run = simulate(card, lattice, SimConfig(duration_tau=60e-6 / card.value("tau_s"), init="kick", engine=engine))
        reports.append(estimate_power(run, lattice, 2e-6, 59e-6))
    clock, exact = reports
    assert clock.neurons["firings"].sum() == exact.neurons["firings"].sum() > 100
    assert clock.total_j == pytest.approx(exact.total_j, rel=0.01)
