"""Calibration recipes, fits and the shipped cards against SPICE."""

import json
from pathlib import Path

import numpy as np
import pytest

from hwsim.circuit.characterize import Conditions, measure_ring
from hwsim.circuit.netlist import netlist_hashes
from hwsim.errors import InputError
from hwsim.model.behavior import behavioural_ring_period
from hwsim.model.calibrate import CalibrationError, calibrate, load_recipe
from hwsim.model.card import load_card

pytestmark = pytest.mark.ngspice

REPO = Path(__file__).resolve().parent.parent
SMALL = """
[card]
name = "{{library}}_{{corner}}_test"
output = "{output}"
[conditions]
library = "generic"
corner = "tt"
[spice]
periods = 6
[fit]
parameters = ["vt_minus_v"]
ring_sizes = [3, 5]
validate_ring_sizes = [3, 4, 5]
[tolerance]
period_rel = {period_rel}
threshold_vdd = 0.02
"""


def _recipe(tmp_path, period_rel=0.02, body=SMALL):
    path = tmp_path / "r.toml"
    path.write_text(body.format(output="cards/{name}.json", period_rel=period_rel))
    return load_recipe(path)


def test_generic_calibration_writes_a_card_within_tolerance(tmp_path):
    (cal,) = calibrate(_recipe(tmp_path), output_dir=tmp_path)
    assert cal.path == tmp_path / "cards" / "generic_tt_test.json" and cal.path.exists()
    card = load_card(cal.path)
    assert card.within_tolerance and card.parameters["vt_minus_v"].source == "fitted"
    assert card.parameters["vt_minus_v"].stderr is not None
    roles = {r["quantity"]: r["role"] for r in card.fit["residuals"]}
    assert roles["period N=4"] == "validate" and roles["period N=3"] == "fit"
    for row in card.fit["residuals"]:
        assert abs(row["error"]) <= row["tolerance"], row
    assert card.energy["e_event_j"] > 0 and card.energy["p_static_w"] > 0
    assert card.provenance["ngspice"].startswith("ngspice-") and card.provenance["pyspice"] == "1.5"
    assert set(card.provenance["netlists_sha256"]) == set(netlist_hashes())


def test_out_of_tolerance_is_not_written_silently(tmp_path):
    recipe = _recipe(tmp_path, period_rel=1e-9)
    with pytest.raises(CalibrationError) as info:
        calibrate(recipe, output_dir=tmp_path)
    text = str(info.value)
    assert "OUT OF TOLERANCE" in text and "period N=4" in text and "--allow-out-of-tolerance" in text
    assert not list((tmp_path / "cards").glob("*.json"))  # (the folder was checked writable before the runs)
    (cal,) = calibrate(recipe, allow_out_of_tolerance=True, output_dir=tmp_path)
    assert json.loads(cal.path.read_text())["within_tolerance"] is False


@pytest.mark.parametrize("edit,needle", [
    (lambda s: s.replace("[spice]", "[spice]\nturbo = true"), "unknown key spice.turbo"),
    (lambda s: s.replace("[tolerance]", "[extras]\nx = 1\n[tolerance]"), "unknown section [extras]"),
    (lambda s: s.replace('parameters = ["vt_minus_v"]', 'parameters = ["c_f"]'), "'c_f' cannot be fitted"),
    (lambda s: s.replace("ring_sizes = [3, 5]", "ring_sizes = [1, 2]"), "fit.ring_sizes must be"),
    (lambda s: s.replace('corner = "tt"', 'corner = "zz"'), "unknown corner 'zz'"),
    (lambda s: s.replace("periods = 6", 'periods = "many"'), "must be an integer"),
    (lambda s: s.replace('output = ', 'outfile = '), "unknown key card.outfile"),
    (lambda s: s + "\n[[", "not valid TOML"),
])
def test_bad_recipes_name_the_key(tmp_path, edit, needle):
    with pytest.raises(InputError) as info:
        _recipe(tmp_path, body=edit(SMALL))
    assert needle in str(info.value)


def test_shipped_recipes_parse():
    for path in sorted((REPO / "calibration").glob("*.toml")):
        recipe = load_recipe(path)
        assert recipe.output.startswith("models/")


SKY130_CARDS = ["sky130_tt", "sky130_ff", "sky130_ss"]


@pytest.mark.parametrize("name", SKY130_CARDS)
def test_shipped_sky130_cards_meet_the_issue_tolerances(name):
    """Golden check: the behavioural ring period of the shipped card, recomputed now, against the
    SPICE periods recorded in the card at calibration (N = 3..10), within 2 %; thresholds within
    2 % of VDD. The netlists must be those the card was calibrated on: every file recorded in the
    card unchanged (a file added since, e.g. cells/and_gate.sp, is used by no recorded bench: a
    bench that included it would have changed its own hash)."""
    card = load_card(name)
    recorded, now = card.provenance["netlists_sha256"], netlist_hashes()
    assert {k: now.get(k) for k in recorded} == recorded, (
        f"netlists changed since {name} was calibrated: run `hwsim calibrate calibration/sky130.toml`")
    rows = {r["quantity"]: r for r in card.fit["residuals"]}
    for n in range(3, 11):
        spice = rows[f"period N={n}"]["spice"]
        assert behavioural_ring_period(card, n) == pytest.approx(spice, rel=0.02)
    for key in ("vt_plus_v", "vt_minus_v"):
        assert abs(card.value(key) - rows[key]["spice"]) <= 0.02 * card.conditions["vdd_v"]


@pytest.mark.sky130
def test_sky130_tt_card_predicts_a_fresh_spice_ring():
    """Independent of the stored numbers: a new ngspice run of a ring of 7 (a size the card was
    not fitted on) against the card's behavioural period."""
    card = load_card("sky130_tt")
    ring = measure_ring(Conditions(library="sky130", corner="tt"), 7, periods=6)
    assert behavioural_ring_period(card, 7) == pytest.approx(ring.period_s, rel=0.02)


ST6_RING_VT = """
[card]
name = "st6_ring_vt"
output = "cards/{{name}}.json"
[conditions]
cell = "{cell}"
[spice]
periods = 6
[fit]
parameters = ["v_clamp_v"]
vt_minus = "ring"
ring_sizes = [3, 5]
validate_ring_sizes = [3, 4, 5]
"""


def _x_where_firings_end(result, n, vdd, after_s):
    """Independent of the implementation: x at the first sample after each output crossing of
    VDD/2 upwards (no interpolation), over all neurons, after ``after_s``; mean."""
    t, values = result.time, []
    for k in range(n):
        o, x = result[f"o{k}"], result[f"x{k}"]
        up = np.flatnonzero((o[:-1] < vdd / 2) & (o[1:] >= vdd / 2)) + 1
        values.extend(x[up[t[up] > after_s]])
    return float(np.mean(values))


def test_vt_minus_from_the_ring_and_a_fitted_clamp_fix_the_st6_energy(tmp_path):
    """The textbook 6T cell (soft clamp): with VT- measured where the SPICE rings' firings end and
    the clamp fitted, (1) VT- is that ring value (within 5 mV: the independent estimate takes the
    next sample, and x falls ~0.6 V/us over a <= 5 ns step, i.e. < 3 mV), (2) ring periods are
    within the 2 % tolerance, (3) the behavioural energy per ring period is within 10 % of SPICE
    for N = 3 (measured 1.07x). Control, same SPICE data: refitting VT- alone with the step
    bench's clamp (the default recipe) gives > 1.3x (measured 1.52x in the committed report)."""
    from dataclasses import replace

    from hwsim.checks.energy import ring_energy_check
    from hwsim.model import calibrate as cal_mod

    cell = REPO / "netlists" / "cells" / "examples" / "st6_sky130.sp"
    path = tmp_path / "r.toml"
    path.write_text(ST6_RING_VT.format(cell=cell))
    recipe = load_recipe(path)
    traces = {}
    result = cal_mod.calibrate_point(recipe, recipe.conditions[0], traces=traces)
    card = result.card
    vdd = card.conditions["vdd_v"]
    ring_vt = np.median([_x_where_firings_end(traces[f"ring{n}"], n, vdd, 10e-6) for n in (3, 4, 5)])
    assert card.parameters["vt_minus_v"].source == "measured"
    assert card.value("vt_minus_v") == pytest.approx(ring_vt, abs=5e-3)
    assert card.parameters["v_clamp_v"].source == "fitted"
    for row in result.residuals:
        if row["quantity"].startswith("period"):
            assert abs(row["error"]) <= 0.02, row
    (row,) = ring_energy_check(card, sizes=[3], periods=10)
    assert row["ratio"] == pytest.approx(1.0, abs=0.10)
    step_clamp = replace(card.parameters["v_clamp_v"], value=card.fit["initial"]["v_clamp_v"], source="measured")
    default = replace(card, parameters={**card.parameters, "v_clamp_v": step_clamp})
    spice = {int(r["quantity"].split("=")[1]): r["spice"] for r in result.residuals if r["quantity"].startswith("per")}
    old, _ = cal_mod._fit(default, replace(recipe, fit_parameters=("vt_minus_v",), vt_minus="step"), spice)
    (row_old,) = ring_energy_check(old, sizes=[3], periods=10)
    assert row_old["ratio"] > 1.3


@pytest.mark.parametrize("fit,needle", [
    ('parameters = ["vt_minus_v"]\nvt_minus = "ring"', "cannot also be in fit.parameters"),
    ('parameters = ["v_clamp_v"]\nvt_minus = "scope"', "fit.vt_minus: 'scope' unknown"),
])
def test_bad_vt_minus_settings_are_refused(tmp_path, fit, needle):
    body = SMALL.replace('parameters = ["vt_minus_v"]', fit)
    with pytest.raises(InputError) as info:
        _recipe(tmp_path, body=body)
    assert needle in str(info.value)


def test_fitting_the_clamp_of_an_unclamped_neuron_is_refused(tmp_path):
    body = SMALL.replace('parameters = ["vt_minus_v"]', 'parameters = ["v_clamp_v"]').replace(
        'corner = "tt"', 'corner = "tt"\nclamp = false')
    with pytest.raises(InputError) as info:
        _recipe(tmp_path, body=body)
    assert "conditions.clamp is false" in str(info.value)
