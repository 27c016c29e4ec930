"""Benchmark: spatial correlation C(d) (FFT) of a 1000 x 1000 ring-phase snapshot.

Prints the median wall time of ``hwsim.analysis.sync.correlation`` over ``--repeat`` runs (one
process, one thread). Usage:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/correlation.py [--repeat 5] [--size 1000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from hwsim.analysis.sync import correlation
from hwsim.lattice.topology import LatticeSpec

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--repeat", type=int, default=5)
parser.add_argument("--size", type=int, default=1000)
args = parser.parse_args()
spec = LatticeSpec(geometry="square", nx=args.size, ny=args.size, shared=0, ring_size=3)  # the spec is enough
theta = np.random.default_rng(3).uniform(0, 2 * np.pi, args.size * args.size)
times = []
for _ in range(args.repeat):
    start = time.perf_counter()
    correlation(theta, spec, max_distance=50)
    times.append(time.perf_counter() - start)
print(f"C(d) of a {args.size} x {args.size} snapshot: median {statistics.median(times):.3f} s "
      f"(min {min(times):.3f}, max {max(times):.3f}, {args.repeat} runs)")
