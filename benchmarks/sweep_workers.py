"""Benchmark: the same sweep of SPICE points on 1 and on 2 Dask workers, side by side.

Default sweep: hwsim/configs/sweep_mismatch.toml (12 sky130 ring-of-5 points with device
mismatch). Each run writes to a fresh temp folder (nothing cached), runs alternate 1, 2, 1, 2, ...
Prints one line per run, the medians and the ratio. Usage:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sweep_workers.py [--repeat 2] [--sweep FILE]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from hwsim.app.pipeline import DEFAULT_CONFIG
from hwsim.app.sweep import gather, load_sweep, run_sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--sweep", default=str(DEFAULT_CONFIG.parent / "sweep_mismatch.toml"))
    args = parser.parse_args()
    sweep = load_sweep(args.sweep)
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.repeat):
        for workers in (1, 2):
            with tempfile.TemporaryDirectory(prefix="hwsim-bench-sweep-") as tmp:
                start = time.perf_counter()
                counts = run_sweep(sweep, Path(tmp), workers=workers)
                wall = time.perf_counter() - start
                ok = int((gather(sweep, Path(tmp))["status"] == "ok").sum())
            times[workers].append(wall)
            print(f"workers={workers} points={counts['total']} ok={ok} failed={counts['failed']} wall={wall:.1f} s",
                  flush=True)
    m1, m2 = statistics.median(times[1]), statistics.median(times[2])
    print(f"median 1 worker {m1:.1f} s, 2 workers {m2:.1f} s, speed-up {m1 / m2:.2f}x "
          f"({len(sweep.points)} points, {args.repeat} runs each)")


if __name__ == "__main__":
    main()
