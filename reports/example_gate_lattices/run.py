"""Regenerates table.md here (issue 16): do shared lattices that hwsim can build show the summing
rule's phenomena? Design 1: AND gates in front of shared neurons (gate rule, sky130_tt card);
design 2: capacitive inputs with the re-sized Schmitt (capacitive rule, sky130_lowvt_tt card);
beside the paper's summing rule (sky130_tt). 32 x 32 lattices sharing one neuron per side, 600 tau,
numba engine, seeds 1 and 2; in-phase xi/R and the pattern-aware xi/wall density at the plateau
(hwsim.analysis.study.analyse), and the orbit-class counts (rings with 0, 1, 2, ... pulses).

Usage (from the repository root): OMP_NUM_THREADS=1 .venv/bin/python reports/example_gate_lattices/run.py
(about 1 minute on one core).
"""

import time
from pathlib import Path

from hwsim.analysis.study import analyse
from hwsim.lattice.simulate import SimConfig, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.card import load_card

SCHEMES = [("square", "alternating", 6), ("square", "uniform", 6), ("square", "uniform", 8),
           ("honeycomb", "uniform", 6), ("triangular", "uniform", 6)]
RUNS = [("summing", "sky130_tt"), ("gate", "sky130_tt"), ("capacitive", "sky130_lowvt_tt")]
lines = ["| geometry | orientation | N | rule (card) | seed | xi_ss (rings) | R_ss | xi_ss pattern "
         "| wall density pattern | orbit classes (rings with 0,1,2,.. pulses) |", "|" + "---|" * 10]
for geometry, orientation, n in SCHEMES:
    for rule, card_name in RUNS:
        card = load_card(card_name)
        for seed in (1, 2):
            spec = LatticeSpec(geometry=geometry, nx=32, ny=32, ring_size=n, shared=1, orientation=orientation,
                               rule=rule)
            lattice = build_lattice(spec)
            t = time.time()
            s = analyse(simulate(card, lattice, SimConfig(duration_tau=600, seed=seed, engine="numba")),
                        lattice, n_times=16).summary
            lines.append(f"| {geometry} | {orientation} | {n} | {rule} ({card_name}) | {seed} | {s['xi_ss']:.2f} | "
                         f"{s['R_ss']:.2f} | "
                         f"{s.get('xi_ss_pattern', float('nan')):.2f} | "
                         f"{s.get('wall_density_ss_pattern', float('nan')):.2f} | {s['orbit_counts']} |")
            print(lines[-1], f"({time.time() - t:.0f} s)", flush=True)
(Path(__file__).resolve().parent / "table.md").write_text("\n".join(lines) + "\n")
