"""Regenerates this folder (issue 16, item 4): domains in transistors. A periodic N x N square
lattice of 6-rings sharing one neuron per side (uniform orientation), shared neurons behind AND2
gates, sky130 tt, from a random start (one private neuron per ring kicked at a random time in the
first ring period), 20 ring periods in ngspice and in the exact behavioural engine (gate rule);
phase maps at the end side by side and the fraction of bonds in the same lock class.

Usage (from the repository root): .venv/bin/python reports/example_gate_domains/run.py [SEED] [N] [CARD]
(sky130_tt, N = 4: 31 minutes of ngspice beside other jobs on the 2-core machine; N = 6 reached 88 of
235 us in 90 minutes. CARD = generic_tt, the fast generic model the issue allows: N = 6 fits.)
"""

import json
import sys
import time
from pathlib import Path

from hwsim.app.writers import write_domain_check
from hwsim.checks.spice_domains import domain_check
from hwsim.lattice.topology import LatticeSpec
from hwsim.model.card import load_card

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
n = int(sys.argv[2]) if len(sys.argv) > 2 else 4
card = sys.argv[3] if len(sys.argv) > 3 else "sky130_tt"
folder = Path(__file__).resolve().parent / (f"{n}x{n}_seed{seed}" + ("" if card == "sky130_tt" else f"_{card}"))
start = time.time()
dc = domain_check(load_card(card), LatticeSpec(nx=n, ny=n, shared=1, orientation="uniform",
                                                      boundary="periodic", rule="gate"),
                  n_periods=20, seed=seed, timeout_s=7200)
write_domain_check(dc, folder)
print(json.dumps({**dc.summary(), "wall_s": time.time() - start}, indent=1))
