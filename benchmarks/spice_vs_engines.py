"""Benchmark: the cost of a behavioural lattice run vs ngspice on the cross-check lattices, with
the ring-period error of each engine against the transistor-level run.

For each lattice (open square lattices of 6-rings with eps links, sky130 tt card, capacitive
rule, the rings' reference neurons kicked at t = 0, ``--duration`` seconds after the kick): one
ngspice run (shared-library backend, one thread, model loading included) and, side by side, the
numpy, numba and exact event engines on the same lattice (median of ``--repeat`` warm runs,
lattice build excluded). Ring period: the median over rings of each ring's median interval
between its reference neuron's firing onsets after 2 RC; error = |model / SPICE - 1|.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/spice_vs_engines.py --sizes 2,3
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from hwsim.checks.crosscheck import _ring_stats, _spice_onsets
from hwsim.checks.spice_lattice import run_spice_lattice
from hwsim.lattice.simulate import SimConfig, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.card import load_card


def _period(onsets, rings, t_from: float) -> float:
    return float(np.nanmedian(_ring_stats(onsets, rings, t_from)[0]))


def bench(size: int, duration: float, repeat: int) -> dict:
    """One row: ngspice wall time and period, each engine's median wall time and period error."""
    card = load_card("sky130_tt")
    spec = LatticeSpec(geometry="square", nx=size, ny=size, ring_size=6, shared=0, coupling_weight=0.3,
                       boundary="open", rule="capacitive")
    lattice = build_lattice(spec)
    n = lattice.n_neurons
    spice = run_spice_lattice(card, lattice, duration, name=f"bench{size}")
    rc = spice.conditions.rc_s
    spice_on = [t[t >= 0.5 * rc] for t in _spice_onsets(spice.result, n, spice.conditions.vdd_v, spice.kick_at_s)]
    p_spice = _period(spice_on, lattice.rings, 2 * rc)
    row = {"lattice": f"{size} x {size}", "neurons": n, "ngspice_s": spice.result.elapsed_s, "period_s": p_spice}
    for engine in ("numpy", "numba", "event"):
        config = SimConfig(duration_tau=duration / card.value("tau_s"), init="kick", engine=engine)
        simulate(card, lattice, config)  # warm (compile)
        walls, run = [], None
        for _ in range(repeat):
            start = time.perf_counter()
            run = simulate(card, lattice, config)
            walls.append(time.perf_counter() - start)
        p = _period(run.events.onsets_of(range(n)), lattice.rings, 2 * rc)
        row[engine] = (statistics.median(walls), abs(p / p_spice - 1))
    return row


def main() -> None:
    """Run the lattices and print the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,3", help="lattice sides")
    parser.add_argument("--duration", type=float, default=60e-6, help="seconds after the kick (default 60 us)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = [bench(int(s), args.duration, args.repeat) for s in args.sizes.split(",")]
    engines = ("numpy", "numba", "event")
    print("| lattice | neurons | ngspice | " + " | ".join(f"{e}: wall, speed-up, period error" for e in engines) + " |")
    print("|---" * (3 + len(engines)) + "|")
    for r in rows:
        cells = [f"{r[e][0] * 1e3:.3g} ms, {r['ngspice_s'] / r[e][0]:,.0f}x, {100 * r[e][1]:.2f} %" for e in engines]
        print(f"| {r['lattice']} | {r['neurons']} | {r['ngspice_s']:.1f} s | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
