"""Regenerates this folder (issue 16, item 1: robustness of the two shared-neuron designs).

Both designs run the same kicked lattice (square 2 x 2, open, one shared neuron per side, uniform
orientation) in ngspice with sky130 for N_PERIODS ring periods, at the nominal point, VDD -10 % and
+10 %, the ss and ff corners and three sky130 mismatch draws (hwsim.checks.robustness):

- ``gate``: the AND-gate input stage (netlists/cells/and_gate.sp) in front of every shared neuron,
  built-in Schmitt cell, card sky130_tt, rule gate;
- ``lowvt``: capacitive inputs into a re-sized low-VT+ Schmitt
  (netlists/cells/examples/schmitt_lowvt_sky130.sp), card sky130_lowvt_tt, rule capacitive;
- ``keeper``: the AND-gate input stage in front of the keeper Schmitt cell
  (netlists/cells/examples/schmitt_keeper_sky130.sp), card sky130_keeper_tt, rule gate, with the
  **alternating** orientation it was made for (the others: uniform).

Usage (from the repository root; one design per process, so two cores run both at once):
    .venv/bin/python reports/example_robustness/run.py gate [N_PERIODS]
    .venv/bin/python reports/example_robustness/run.py lowvt [N_PERIODS]
    .venv/bin/python reports/example_robustness/run.py keeper [N_PERIODS]
    .venv/bin/python reports/example_robustness/run.py table
"""

import json
import re
import sys
import time
from pathlib import Path

from hwsim.app.writers import write_robustness
from hwsim.checks.robustness import robustness
from hwsim.files import data_dir
from hwsim.lattice.topology import LatticeSpec
from hwsim.model.card import load_card

HERE = Path(__file__).resolve().parent
DESIGNS = {
    "gate": ("sky130_tt", "gate", "AND2 (NAND2 + inverter) into one 1 pF capacitor, built-in Schmitt cell",
             ("cells/schmitt.sp", "schmitt_inv"), ("cells/and_gate.sp", "and2"), "uniform"),
    "lowvt": ("sky130_lowvt_tt", "capacitive", "two 1 pF capacitors into a low-VT+ Schmitt (VT+ 0.42 VDD)",
              ("cells/examples/schmitt_lowvt_sky130.sp", "schmitt_lowvt"), None, "uniform"),
    "keeper": ("sky130_keeper_tt", "gate", "AND2 into one 1 pF capacitor, keeper Schmitt cell (VT+ 1.37 V), "
               "alternating orientation", ("cells/examples/schmitt_keeper_sky130.sp", "schmitt_keeper"),
               ("cells/and_gate.sp", "and2"), "alternating"),
}


def transistors(path: str, subckt: str) -> int:
    """Device instances (X lines) inside ``.subckt subckt`` of netlists/``path``."""
    text = (data_dir("netlists") / path).read_text()
    body = re.search(rf"^\.subckt {subckt}\b.*?^\.ends", text, re.M | re.S | re.I).group(0)
    return sum(1 for line in body.splitlines() if line[:1] in "Xx")


def run(name: str, n_periods: float) -> None:
    card, rule, about, cell, gate, orientation = DESIGNS[name]
    spec = LatticeSpec(nx=2, ny=2, shared=1, orientation=orientation, boundary="open", rule=rule)
    start = time.time()
    rows = robustness(load_card(card), spec, n_periods=n_periods, progress=lambda v: print(name, v, flush=True))
    n_cell, n_gate = transistors(*cell), (transistors(*gate) if gate else 0)
    count = f"{n_cell + n_gate} transistors per shared neuron ({n_cell} Schmitt + {n_gate} gate)"
    payload = {"about": f"{about}; card {card}, rule {rule}, {n_periods:g} ring periods",
               "transistors": count, "rows": rows, "wall_s": time.time() - start}
    (HERE / f"{name}.json").write_text(json.dumps(payload, indent=1))


if sys.argv[1] == "table":
    write_robustness({n: json.loads((HERE / f"{n}.json").read_text()) for n in DESIGNS if (HERE / f"{n}.json").exists()},
                     HERE)
else:
    run(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 20.0)
