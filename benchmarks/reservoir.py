"""Benchmark: reservoir feature throughput (images per second) of the companion preset on MNIST.

For each ring count: build the preset reservoir (eps 0.25, p 0.2, seed 1), compute the features of
the first ``--images`` MNIST test images in batches of 32 (``features_for``, exactly what
``hwsim reservoir`` runs per chunk), ``--repeat`` times after one warm-up (compilation); prints the
median images/s and an MD5 of the feature bits, so runs of two code versions can be compared side by
side: run it once per checkout (``PYTHONPATH=<checkout>``), alternating, and compare the medians
and the digests (equal digests: the same bits).

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/reservoir.py \
        --rings 50,100,300 --images 64 --repeat 3
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time

from hwsim.app.reservoir import DATASETS, load_dataset
from hwsim.lattice.reservoir import ReservoirSpec, build_reservoir, features_for


def measure(n_rings: int, n_images: int, repeat: int) -> tuple[float, str, int]:
    """Median images/s over ``repeat`` runs, the MD5 of the feature bits, and the neuron count."""
    res = build_reservoir(ReservoirSpec(n_rings=n_rings, eps=0.25, p=0.2, seed=1))
    images, _ = load_dataset("mnist", "test", n_images)
    side, scale, _, _ = DATASETS["mnist"]
    features_for(res, images[:2], "test", 0, side, scale)  # compile
    rates, digest = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        feats, fires = features_for(res, images, "test", 0, side, scale)
        rates.append(n_images / (time.perf_counter() - start))
        digest = hashlib.md5(feats.tobytes() + fires.tobytes()).hexdigest()
    return statistics.median(rates), digest, res.n_neurons


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rings", default="50,100,300", help="comma-separated ring counts")
    ap.add_argument("--images", type=int, default=64, help="MNIST test images per run")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per ring count (median)")
    args = ap.parse_args()
    print("| rings | neurons | images/s (median) | feature MD5 |\n|---|---|---|---|")
    for n_rings in (int(r) for r in args.rings.split(",")):
        rate, digest, n = measure(n_rings, args.images, args.repeat)
        print(f"| {n_rings} | {n} | {rate:.1f} | {digest[:12]} |", flush=True)


if __name__ == "__main__":
    main()
