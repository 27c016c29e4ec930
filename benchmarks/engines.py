"""Benchmark: lattice engines side by side in one process vs lattice size, with a fused baseline.

The issue's setup: square lattices of 6-rings with eps = 0.3 links (no sharing), summing rule,
paper card, dt = 0.01 tau. For each size: the numpy reference, the compiled clock engine
(``numba``) and a minimal fused single-loop numba kernel written here as the baseline (CSR by
target, u = W o, the authors' update; no events kept beyond a count), each for ``--steps`` steps,
median of ``--repeat``; the exact event engine on the sky130 card (the paper card has no delay) for
the same simulated time, keeping the reference neurons' events (``record = "reference"``).
Then, per engine, one more run under ``tracemalloc`` for the peak memory of ``simulate()`` per
neuron (numpy arrays, which hold all the engines' state; the lattice itself excluded). Prints a
Markdown table; ``--plot FILE`` writes a log-log figure.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/engines.py --sizes 13,41,129,408 \
        --steps 1000 --plot reports/engines/throughput.png
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from pathlib import Path

import numba
import numpy as np

from hwsim.lattice.engine import discretise, initial_state
from hwsim.lattice.simulate import SimConfig, initial_conditions, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.card import load_card


@numba.njit(cache=True)
def _fused(n_steps, ptr, src, w, decay, x, vc, firing, vtp, vtm):
    """The baseline: the paper's update (a = 1, no clamp) fused into one loop; returns the firing count."""
    n = len(x)
    o = np.empty(n)
    count = 0
    for _ in range(n_steps):
        for i in range(n):
            o[i] = 1.0 - firing[i]
        for i in range(n):
            u = 0.0
            for e in range(ptr[i], ptr[i + 1]):
                u += w[e] * o[src[e]]
            vc[i] = decay * vc[i] + (1.0 - decay) * u
            x[i] = u - vc[i]
            if firing[i] == 0.0:
                if x[i] >= vtp:
                    firing[i] = 1.0
                    count += 1
            elif x[i] < vtm:
                firing[i] = 0.0
    return count


def _times(fns: dict, repeat: int) -> dict:
    """Median wall time (s) of each function, timed round-robin (one call of each per round) so that
    a noisy neighbour slows every engine alike."""
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _peak_bytes(fn) -> float:
    """Peak memory traced while ``fn()`` runs (bytes)."""
    tracemalloc.start()
    try:
        fn()
        return float(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


def bench(size: int, steps: int, repeat: int) -> dict:
    """One row: neuron-steps/s of each engine on a size x size lattice, and bytes per neuron."""
    paper, sky = load_card("paper"), load_card("sky130_tt")
    spec = LatticeSpec(geometry="square", nx=size, ny=size, ring_size=6, shared=0, coupling_weight=0.3,
                       rule="summing")
    lat = build_lattice(spec)
    n, tau_steps = lat.n_neurons, steps * 0.01
    runs = {engine: (paper, SimConfig(duration_tau=tau_steps, seed=1, engine=engine, allow_large=True))
            for engine in ("numpy", "numba")}
    runs["event (sky130)"] = (sky, SimConfig(duration_tau=tau_steps, seed=1, engine="event", allow_large=True,
                                             record="reference"))
    row = {"neurons": n}
    fns = {name: (lambda card=card, cfg=cfg: simulate(card, lat, cfg)) for name, (card, cfg) in runs.items()}
    d = discretise(paper, lat.network, "summing", 0.01)
    x0, f0 = initial_conditions(paper, lat, "random_pulse", 1)
    st = initial_state(d, x0, f0)
    ptr = np.searchsorted(d.dst, np.arange(n + 1)).astype(np.int64)
    fns["fused baseline"] = lambda: _fused(steps, ptr, d.src, d.coef, float(d.decay[0]), st.x.copy(),
                                           st.memory.copy(), st.firing.copy(), d.vt_plus, d.vt_minus)
    for name, fn in fns.items():
        if name != "numpy":
            fn()  # compile once
    for name, t in _times(fns, repeat).items():
        row[name] = n * steps / t
    for name, (card, cfg) in runs.items():
        row[f"{name} bytes/neuron"] = _peak_bytes(lambda card=card, cfg=cfg: simulate(card, lat, cfg)) / n
    edges = 2 * simulate(sky, lat, runs["event (sky130)"][1]).n_firings  # each firing: a fall and a rise
    row["event edges/s"] = edges * row["event (sky130)"] / (n * steps)
    return row


def main() -> None:
    """Run the sizes and print the table (neuron-steps/s; the event engine as equivalent steps at 0.01 tau)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="13,41,129", help="lattice sides (neurons = 6 side^2)")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--plot", metavar="PNG")
    args = parser.parse_args()
    rows = [bench(int(s), args.steps, args.repeat) for s in args.sizes.split(",")]
    names = ["numpy", "numba", "fused baseline", "event (sky130)"]
    print("| neurons | " + " | ".join(f"{k} (steps/s)" for k in names)
          + " | numba / numpy | numba / fused | event edges/s | bytes/neuron numpy, numba, event |")
    print("|---" * (len(names) + 5) + "|")
    for r in rows:
        mem = ", ".join(f"{r[f'{k} bytes/neuron']:.0f}" for k in ("numpy", "numba", "event (sky130)"))
        print(f"| {r['neurons']:,} | " + " | ".join(f"{r[k]:.3g}" for k in names)
              + f" | {r['numba'] / r['numpy']:.2f} | {r['numba'] / r['fused baseline']:.2f} | "
              f"{r['event edges/s']:.3g} | {mem} |")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for k in names:
            ax.loglog([r["neurons"] for r in rows], [r[k] for r in rows], "o-", label=k)
        ax.set_xlabel("neurons")
        ax.set_ylabel("neuron-steps per second (one core)")
        ax.legend()
        ax.set_title("lattice engines, one core (event: neuron-tau x 100 per s)", fontsize=10)
        fig.tight_layout()
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
