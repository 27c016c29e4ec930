"""Figure: the clock-driven engine converges to the exact event engine as dt -> 0.

Left: ring period of a 6-ring (sky130 tt card, kicked, one ring of a 3 x 3 lattice without
links) from the compiled clock engine at dt = 0.01, 0.003, 0.001 tau, as the relative error
against the exact engine, with the bound N dt / T (each hop may end up to one step late).
Right: xi(t) (correlation length in rings) of a 32 x 32 square lattice with eps = 0.3 links, summing
rule, sky130 card, random_pulse seed 1, 400 tau, from each dt and from the exact engine.
Prints the numbers as a Markdown table.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/convergence.py \
        --plot reports/engines/dt_convergence.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from hwsim.analysis.study import analyse
from hwsim.lattice.simulate import SimConfig, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.card import load_card

DTS = (0.01, 0.003, 0.001)


def ring_periods(card) -> dict:
    """Ring period (card time units) of ring 4's reference neuron per engine/dt."""
    spec = LatticeSpec(geometry="square", nx=3, ny=3, ring_size=6, shared=0)
    neuron = build_lattice(spec).rings[4][0]
    out = {}
    for dt in (None, *DTS):
        cfg = SimConfig(duration_tau=180, init="kick", engine="event" if dt is None else "numba", dt_tau=dt)
        onsets = simulate(card, spec, cfg).events.onsets(neuron)
        out[dt] = float(np.median(np.diff(onsets)[2:]))
    return out


def xi_curves(card) -> dict:
    """xi(t) per engine/dt on the domain lattice, at 16 log-spaced times."""
    spec = LatticeSpec(geometry="square", nx=32, ny=32, ring_size=6, shared=0, coupling_weight=0.3, rule="summing")
    lattice = build_lattice(spec)
    out = {}
    for dt in (None, *DTS):
        cfg = SimConfig(duration_tau=400, seed=1, engine="event" if dt is None else "numba", dt_tau=dt)
        a = analyse(simulate(card, lattice, cfg), lattice)
        out[dt] = (a.times / card.value("tau_s"), np.array([r["xi"] for r in a.rows]))
    return out


def main() -> None:
    """Compute, print the table, draw the figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="PNG")
    args = parser.parse_args()
    card = load_card("sky130_tt")
    tau = card.value("tau_s")
    periods, xis = ring_periods(card), xi_curves(card)
    exact = periods[None]
    print(f"exact ring period: {exact / tau:.9f} tau")
    print("| dt (tau) | ring period (tau) | relative error | bound N dt / T | xi_ss (rings) |")
    print("|---|---|---|---|---|")
    for dt in (None, *DTS):
        err = abs(periods[dt] / exact - 1)
        bound = "" if dt is None else f"{6 * dt * tau / exact:.2e}"
        print(f"| {'exact' if dt is None else dt} | {periods[dt] / tau:.6f} | {err:.2e} | {bound} | "
              f"{np.nanmean(xis[dt][1][-4:]):.2f} |")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
        dts = np.array(DTS)
        a1.loglog(dts, [abs(periods[dt] / exact - 1) for dt in DTS], "o-", label="numba clock engine")
        a1.loglog(dts, 6 * dts * tau / exact, "k--", label="bound N dt / T")
        a1.set_xlabel("dt (tau)")
        a1.set_ylabel("|T(dt) / T_exact - 1|")
        a1.set_title("6-ring period vs the exact engine")
        a1.legend()
        for dt in (None, *DTS):
            t, xi = xis[dt]
            a2.loglog(t, xi, "k-" if dt is None else "o-", lw=2 if dt is None else 1, ms=3,
                      label="exact (event)" if dt is None else f"dt = {dt} tau")
        a2.set_xlabel("t (tau)")
        a2.set_ylabel("xi (rings)")
        a2.set_title("32 x 32, eps = 0.3 links, summing")
        a2.legend()
        fig.tight_layout()
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
