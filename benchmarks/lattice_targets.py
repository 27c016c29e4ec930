"""Benchmark: a 100 x 100 lattice of 6-neuron rings (60k neurons) for 100 tau at dt = 0.01 tau.

Each engine/target runs in its own process (one thread) so peak memory is its own. Prints one
line per run and a median per target. Usage:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/lattice_targets.py [--repeat 3] [--shared 0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.card import load_card
from hwsim.lattice.simulate import SimConfig, simulate
engine, target, shared = sys.argv[1], sys.argv[2], int(sys.argv[3])
spec = LatticeSpec(geometry="square", nx=100, ny=100, ring_size=6, shared=shared,
                   coupling_weight=0.3 if shared == 0 else 0.0, rule="summing")
lattice = build_lattice(spec)
start = time.perf_counter()
run = simulate(load_card("paper"), lattice, SimConfig(duration_tau=100, seed=1, engine=engine, target=target))
total = time.perf_counter() - start
print(json.dumps({"engine": engine, "target": target, "neurons": lattice.n_neurons, "events": len(run.events.step),
                  "sim_s": run.wall_s, "total_s": total,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CASES = [("numpy", "cython"), ("brian", "cython"), ("brian", "cpp_standalone"), ("brian", "numpy")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shared", type=int, default=0)
    parser.add_argument("--skip-brian-numpy", action="store_true")
    args = parser.parse_args()
    results: dict[str, list[dict]] = {}
    for engine, target in CASES:
        if args.skip_brian_numpy and (engine, target) == ("brian", "numpy"):
            continue
        name = "numpy reference" if engine == "numpy" else f"brian2 {target}"
        repeat = 1 if (engine, target) == ("brian", "numpy") else args.repeat
        # one warm-up run compiles (cython, cpp_standalone) and is reported separately
        for i in range(repeat + (engine == "brian" and target != "numpy")):
            out = subprocess.run([sys.executable, "-c", CHILD, engine, target, str(args.shared)],
                                 capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["warm"] = not (i == 0 and engine == "brian" and target != "numpy")
            print(f"{name:18} run {i}: sim {row['sim_s']:.2f} s, total {row['total_s']:.2f} s, "
                  f"peak RSS {row['peak_rss_mb']:.0f} MB, {row['neurons']} neurons, {row['events']} events"
                  f"{'' if row['warm'] else ' (cold: includes compilation)'}", flush=True)
            results.setdefault(name, []).append(row)
    print("\nmedian of warm runs:")
    for name, rows in results.items():
        warm = [r for r in rows if r["warm"]]
        print(f"  {name:18} sim {statistics.median(r['sim_s'] for r in warm):7.2f} s   "
              f"peak RSS {statistics.median(r['peak_rss_mb'] for r in warm):6.0f} MB   (n={len(warm)})")


if __name__ == "__main__":
    main()
