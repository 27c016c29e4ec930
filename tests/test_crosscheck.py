"""Behavioural vs transistor-level cross-check of a small sky130 lattice (real ngspice)."""

import subprocess
import sys

import numpy as np
import pytest

from hwsim.checks.crosscheck import TOLERANCES, _match, crosscheck, firing_offsets, mean_period
from hwsim.lattice.topology import LatticeSpec
from hwsim.model.card import load_card

pytestmark = [pytest.mark.sky130, pytest.mark.ngspice]


SCHEMES = {"eps0.3-links": dict(shared=0, coupling_weight=0.3), "share1": dict(shared=1)}


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_2x2_lattice_matches_transistors(scheme):
    """2 x 2 open square lattice of 6-rings, sky130 tt, 60 us: linked by eps = 0.3 capacitors (keeps
    oscillating) or sharing one neuron per side (falls silent after a few hops, in both)."""
    cc = crosscheck(load_card("sky130_tt"), LatticeSpec(nx=2, ny=2, boundary="open", **SCHEMES[scheme]), 60e-6)
    rows = {r["metric"]: r for r in cc.rows}
    print("\n" + "\n".join(f"{k}: {r['value']:.4g} (tol {r['tolerance']:.4g})" for k, r in rows.items()))
    if scheme == "eps0.3-links":
        assert rows["ring_period_rel"]["value"] <= TOLERANCES["ring_period_rel"][0]
        assert rows["rings_firing_at_end_spice"]["value"] == 4
    else:
        assert rows["rings_firing_at_end_spice"]["value"] == 0 and rows["rings_firing_at_end_spice"]["ok"]
    assert rows["orbit_class_diff"]["value"] == 0
    assert rows["energy_rel"]["value"] <= TOLERANCES["energy_rel"][0]
    assert cc.passed
    # the transistor circuit combines inputs capacitively: with shared neurons the summing rule
    # misses most firings (with weak eps links both rules fire alike once times are aligned)
    assert cc.rule == "capacitive"
    scores = cc.rule_scores
    if scheme == "share1":
        assert scores["summing"]["unmatched_firings_frac"] > 3 * scores["capacitive"]["unmatched_firings_frac"]
    assert cc.spice_wall_s > 10 * cc.behavioural_wall_s


@pytest.mark.parametrize("engine", ["numpy", "event"])
def test_gate_rule_lattice_keeps_firing_and_matches_transistors(engine):
    """Issue 16: the same 2 x 2 lattice sharing one neuron per side (uniform orientation), with an
    AND2 gate in front of each shared neuron (netlists/cells/and_gate.sp): every ring still fires
    at the end in ngspice (the capacitive version above falls silent), and the behavioural gate
    rule matches it within every tolerance of TOLERANCES, far better than the summing rule. (The
    alternating orientation fails: a cell-level glitch, see the header of and_gate.sp.) With the
    exact event engine and the shared neurons' own card (sky130_tt_and2, measured behind the gate)
    the ring periods agree within 0.1 % (measured 0.008 % over 180 us; the clock engine's 0.01 tau
    steps make it 0.5 %)."""
    shared = load_card("sky130_tt_and2") if engine == "event" else None
    cc = crosscheck(load_card("sky130_tt"), LatticeSpec(nx=2, ny=2, boundary="open", shared=1, rule="gate"), 60e-6,
                    shared_card=shared, engine=engine)
    rows = {r["metric"]: r for r in cc.rows}
    print("\n" + "\n".join(f"{k}: {r['value']:.4g} (tol {r['tolerance']:.4g})" for k, r in rows.items()))
    assert rows["rings_firing_at_end_spice"]["value"] == 4 and cc.passed
    assert cc.rule == "gate"
    assert cc.rule_scores["summing"]["unmatched_firings_frac"] > 0.3 > cc.rule_scores["gate"]["unmatched_firings_frac"]
    _, _, offsets = cc.traces["offsets"]  # what firing_offsets.csv and offsets.png show is what the row measured
    median = np.median(np.abs(offsets)) / cc.traces["period_s"]
    assert median == pytest.approx(rows["firing_offset_over_period"]["value"])
    if engine == "event":
        assert rows["ring_period_rel"]["value"] < 1e-3
        assert cc.traces["run"].shared_card.name == "sky130_tt_and2"


def test_crosscheck_cli_rejects_big_lattices_and_normalised_cards(tmp_path):
    out = subprocess.run([sys.executable, "-m", "hwsim", "crosscheck", "--nx", "10", "--ny", "10"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "too many for a transistor-level run" in out.stderr
    out = subprocess.run([sys.executable, "-m", "hwsim", "crosscheck", "--card", "paper"], capture_output=True,
                         text=True)
    assert out.returncode == 2 and "normalised" in out.stderr
    # every tolerance is a finite non-negative number with a reason of its own (no blank, no copy)
    for name, (value, reason) in TOLERANCES.items():
        assert isinstance(value, (int, float)) and 0 <= value < 10, name
        assert isinstance(reason, str) and len(reason) > 20, name
    assert len({reason for _, reason in TOLERANCES.values()}) == len(TOLERANCES)


def test_design2_low_vt_schmitt_keeps_the_kicked_2x2_alive_but_not_random_lattices():
    """Issue 16, design 2: capacitive inputs with the re-sized Schmitt (sky130_lowvt_tt card from
    calibration/sky130_lowvt.toml). Analytic premise: one predecessor's half step C/(2C + C_in) VDD
    exceeds the card's VT+. ngspice and the capacitive rule agree on the kicked 2 x 2 uniform lattice
    within every tolerance over 180 us (11 periods of these slower rings; at 60 us the periods have
    not settled: 2.9 % off) and every ring still fires; but behaviourally a 16 x 16 lattice from a
    random start falls silent (out-of-phase inputs cancel on the shared capacitor), which is why
    hwsim recommends the AND-gate design."""
    from hwsim.lattice.simulate import SimConfig, simulate

    card = load_card("sky130_lowvt_tt")
    c, c_in, vdd = card.value("c_couple_f"), card.value("c_in_f"), card.value("vdd_v")
    assert c / (2 * c + c_in) * vdd > card.value("vt_plus_v") + 0.05  # 50 mV margin
    cc = crosscheck(card, LatticeSpec(nx=2, ny=2, boundary="open", shared=1, rule="capacitive"), 180e-6)
    rows = {r["metric"]: r for r in cc.rows}
    assert cc.passed and rows["rings_firing_at_end_spice"]["value"] == 4
    run = simulate(card, LatticeSpec(nx=16, ny=16, shared=1, rule="capacitive"),
                   SimConfig(duration_tau=300, seed=1, engine="numba"))
    assert run.events.step.max() < run.n_steps / 2  # every neuron quiet for the second half


def test_firing_offsets_are_signed_distances_to_the_nearest_model_firing():
    """Hand-computed (times exact in binary): neuron 0's SPICE firings at 1, 2.25, 3.5 s against model
    firings 1.125, 2, 3, 4 s are -0.125, +0.25 and -0.5 s off (3.5 is as far from 3 as from 4: the later
    one is taken); neuron 1 has no model firing (+inf); neuron 2 no SPICE firing; a SPICE firing
    within one period of t_max is left out. With a 4 s period the match window is 0.4 s: the median
    distance is 0.375 s and half of the four firings are unmatched."""
    spice = [np.array([1.0, 2.25, 3.5, 7.0]), np.array([0.5]), np.array([])]
    model = [np.array([1.125, 2.0, 3.0, 4.0]), np.array([]), np.array([1.0])]
    t, neuron, off = firing_offsets(spice, model, t_max=10.0, period=4.0)
    assert t.tolist() == [1.0, 2.25, 3.5, 0.5] and neuron.tolist() == [0, 0, 0, 1]
    assert off.tolist() == [-0.125, 0.25, -0.5, np.inf]
    assert _match(spice, model, 10.0, 4.0) == (0.375, 0.5)


def test_kicked_neurons_fire_alike_in_spice():
    """The kicked start (``kick_neurons``) at transistor level, generic model, triangular 2 x 2
    alternating (gate rule): every kicked neuron returns to rest at the same time (the behavioural
    start assumes one firing length), within 1 % of the longest. Control: the rings' first neurons,
    which that lattice puts one right after another, give two groups (measured 2026-12-05: 0.027 us
    and 3.128 us after the kick): a kicked predecessor's fall pulls its kicked successor down."""
    from hwsim.checks.spice_lattice import run_spice_lattice
    from hwsim.circuit.measure import crossings
    from hwsim.lattice.topology import build_lattice

    lat = build_lattice(LatticeSpec(geometry="triangular", nx=2, ny=2, boundary="open", shared=1,
                                    orientation="alternating", rule="gate"))
    firsts = tuple((int(k), 0.0) for k in np.unique(lat.rings[:, 0]))
    returns = {}
    for name, kicks in (("kick_neurons", None), ("ring firsts", firsts)):
        sp = run_spice_lattice(load_card("generic_tt"), lat, 6e-6, name="kicks", kicks=kicks)
        vdd = sp.conditions.vdd_v
        returns[name] = np.array([crossings(sp.result.time, sp.result[f"o{k}"], vdd / 2, "rising")[0] - sp.kick_at_s
                                  for k in sp.kicks])
    new, old = returns["kick_neurons"], returns["ring firsts"]
    assert new.min() > 0.99 * new.max() and new.max() > 2e-6
    assert old.min() < 0.1 * old.max()


def test_mean_period_of_unequal_intervals():
    """Intervals repeating 1.0, 1.0, 1.3 s: the period is their mean, 1.1 s (the median, 1.0 s, lets
    a 10 % period error pile up into firing offsets); a missed firing (one interval of 2.0) or an
    extra one (1.0 split into 0.4 + 0.6) leaves it within 1 % (hand-computed: 1.1 and 1.1)."""
    t = np.concatenate([[0.0], np.cumsum(np.tile([1.0, 1.0, 1.3], 10))])  # 30 intervals over 33 s
    assert mean_period(t) == pytest.approx(1.1, rel=1e-12)
    assert mean_period(np.delete(t, 7)) == pytest.approx(1.1, rel=1e-12)
    assert mean_period(np.sort(np.append(t, t[4] + 0.4))) == pytest.approx(1.1, rel=1e-12)
    assert np.median(np.diff(t)) == pytest.approx(1.0)


def test_rescore_script_reproduces_a_recorded_crosscheck():
    """reports/example_gate_crosscheck/rescore.py re-scores recorded SPICE firings (no ngspice): on a case
    run with the current period estimate it must give the recorded metrics back. Tolerances: the per-firing
    file omits the last period's firings, which moved the rings' mean periods and so the offsets by at most
    0.0002 period on the three triangular cases (measured); 0.001 period and 0.001 in period_rel leave room
    for that, and an unchanged unmatched fraction. The old median period gave 0.032 on the square case."""
    import importlib.util
    import json
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "reports" / "example_gate_crosscheck"
    spec = importlib.util.spec_from_file_location("rescore", folder / "rescore.py")
    rescore = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rescore)
    cases = rescore.run_lines()
    name = "keeper_tt_triangular2_open_alternating_event"
    got = rescore.rescore(name, cases[name])
    rec = {r["metric"]: r["value"] for r in json.loads((folder / name / "crosscheck.json").read_text())["rows"]}
    assert got["offset_over_period"] == pytest.approx(rec["firing_offset_over_period"], abs=1e-3)
    assert got["period_rel"] == pytest.approx(rec["ring_period_rel"], abs=1e-3)
    assert got["unmatched"] == rec["unmatched_firings_frac"]
    # lags one period before the end (where the file stops): the recorded end-of-run lag error was 0.029 rad,
    # every bond's lock class equal; 0.1 rad leaves room for the earlier instant
    assert got["lag_rad"] < 0.1 and got["class_diff"] == 0.0
    square = rescore.rescore("keeper_tt_square2_open_alternating", cases["keeper_tt_square2_open_alternating"])
    assert square["offset_over_period"] < 0.01  # recorded with the median period: 0.032


def test_final_lags_count_bonds_whose_lock_class_differs():
    """Hand-made last firings (periods 1 s): bond 0-1 lags 0.12 vs 0.13 period (0.754 rad in phase vs 0.817
    rad "other": a 0.063 rad error that crosses the pi/4 boundary), bond 1-2 0.50 vs 0.49 period (both
    anti-phase), bond 2-3 left out (ring 3 silent). Expected: error 2 pi 0.01 rad, half the bonds differ."""
    from hwsim.checks.crosscheck import _final_lags

    pairs = np.array([[0, 1], [1, 2], [2, 3]])
    per = np.array([1.0, 1.0, 1.0, np.nan])
    err, differ = _final_lags(pairs, (np.array([0.0, 0.12, 0.62, 0.0]), per), (np.array([0.0, 0.13, 0.62, 0.0]), per))
    assert err == pytest.approx(2 * np.pi * 0.01, abs=1e-12) and differ == 0.5
    assert _final_lags(pairs, (np.zeros(4), np.full(4, np.nan)), (np.zeros(4), np.full(4, np.nan))) == (0.0, 0.0)
