"""Phase maps of the design-space schemes at early, middle and late times (one seed, one size).

For each scheme of ``hwsim/app/configs/study_design_space.toml``: the lattice at L x L (default
64) with seed 1 and the sweep's [base] settings, the same analysis as the sweep points
(``analyse_run``), and ``phases_<scheme>.png``: the phases (top) and the phases relative to the
lock pattern with the pattern walls drawn across the broken bonds (bottom) at the first, middle and
last analysis time. Run from the repository root:

    OMP_NUM_THREADS=1 .venv/bin/python reports/example_design_space/phase_maps.py [L [SCHEME ...]]

With scheme names after L, only those schemes.
"""

import sys
from pathlib import Path

import numpy as np

from hwsim.analysis.study import analyse_run
from hwsim.app.plot import plot_domain_maps
from hwsim.app.sweep import load_sweep
from hwsim.lattice.simulate import SimConfig, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.behavior import ring_hop_law
from hwsim.model.card import load_card

HERE = Path(__file__).resolve().parent
SPEC_KEYS = ("geometry", "ring_size", "shared", "orientation", "rule", "boundary", "placement")


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    sweep = load_sweep(HERE.parents[1] / "hwsim/app/configs/study_design_space.toml")
    base = sweep.base
    card = load_card(base["card"])
    tau = card.value("tau_s")
    snapshots, lattices = {}, {}
    only = set(sys.argv[2:])
    for name, scheme in sweep.schemes.items():
        if only and name not in only:
            continue
        keys = {k: v for k, v in {**base, **scheme}.items() if k in SPEC_KEYS}
        lattice = build_lattice(LatticeSpec(nx=size, ny=size, **keys))
        config = SimConfig(duration_tau=base["duration_tau"], seed=1, engine=base["engine"], record=base["record"])
        run = simulate(card, lattice, config)
        t_last = base["duration_tau"] * tau - 1.5 * keys["ring_size"] * (ring_hop_law(card, keys["ring_size"]) or tau)
        times = np.geomspace(base["t_first_tau"] * tau, t_last, base["n_times"])
        picks = (0, len(times) // 2, len(times) - 1)
        _, summary, snaps = analyse_run(run, lattice, times, snapshot_at=picks)
        for snap in snaps:
            snap["t"] /= tau  # titles in tau
        snapshots[name], lattices[name] = snaps, lattice
        print(f"{name}: L = {size}, xi_ss_pattern {summary.get('xi_ss_pattern', float('nan')):.2f}, "
              f"wall density {summary.get('wall_density_ss_pattern', float('nan')):.3f}, {run.wall_s:.1f} s")
    for path in plot_domain_maps(snapshots, lattices, HERE):
        print("wrote", path.relative_to(HERE.parents[1]))


if __name__ == "__main__":
    main()
