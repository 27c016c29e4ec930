"""Robustness of a shared-neuron design (hwsim.checks.robustness): real ngspice, sky130, the gate
design's kicked 2 x 2 lattice at the nominal point and at VDD -10 %; and the table/figure writer."""

import json

import pytest

from hwsim.app.writers import write_robustness
from hwsim.checks.robustness import Variant, robustness
from hwsim.lattice.topology import LatticeSpec
from hwsim.model.card import load_card
from tests.tolerances import ROBUST_ENERGY_RATIO_LOW_VDD


@pytest.mark.sky130
@pytest.mark.ngspice
def test_gate_lattice_survives_low_vdd_and_its_energy_scales(tmp_path):
    spec = LatticeSpec(nx=2, ny=2, shared=1, orientation="uniform", boundary="open", rule="gate")
    rows = robustness(load_card("sky130_tt"), spec, n_periods=5,
                      variants=(Variant("nominal"), Variant("VDD -10 %", vdd_rel=0.9)))
    nominal, low = rows
    assert low["vdd_v"] == pytest.approx(0.9 * nominal["vdd_v"], rel=1e-9)
    for row in rows:  # kicked in phase, one pulse per ring, every ring still firing
        assert row["rings_alive"] == row["rings"] == 4 and row["pulses_per_ring"] == [1]
        assert row["classes"] == [0, 0, 0, 0] and row["bonds_same_class"] == 1.0
    assert nominal["period_change"] == 0.0 and abs(low["period_change"]) < 0.1  # tau = RC does not move with VDD
    lo, hi = ROBUST_ENERGY_RATIO_LOW_VDD
    assert lo < low["energy_per_firing_j"] / nominal["energy_per_firing_j"] < hi
    write_robustness({"gate": {"about": "test", "transistors": "16", "rows": rows}}, tmp_path)
    table = (tmp_path / "table.md").read_text().splitlines()
    assert len([line for line in table if line.startswith("| gate |")]) == 2 and "| VDD -10 % | 1.62 |" in table[3]
    assert json.loads((tmp_path / "robustness.json").read_text())["gate"]["rows"][1]["variant"] == "VDD -10 %"
    assert (tmp_path / "robustness.png").stat().st_size > 10_000
