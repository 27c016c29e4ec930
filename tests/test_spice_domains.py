"""The pure parts of the transistor-level domain check (hwsim.checks.spice_domains): lock classes
from phases, random kicks, the JSON/figure writer. The ngspice run itself is exercised by
reports/example_gate_domains/run.py (minutes per lattice, too slow for the suite)."""

import json
import math

import numpy as np

from hwsim.app.writers import write_domain_check
from hwsim.checks.spice_domains import DomainCheck, lock_classes, random_kicks
from hwsim.lattice.topology import LatticeSpec, build_lattice


def test_lock_classes_by_phase_difference():
    """|lag| < pi/4 in phase (0), > 3 pi/4 anti-phase (1, across the +-pi wrap too), else other (2),
    NaN -> -1; exact values away from the borders."""
    theta = np.array([0.0, 0.5, math.pi, -3.0, 1.6, np.nan])
    pairs = np.array([[0, 1], [0, 2], [2, 3], [0, 4], [0, 5], [1, 3]])
    assert lock_classes(theta, pairs).tolist() == [0, 1, 0, 2, -1, 1]


def test_random_kicks_one_private_neuron_per_ring_within_a_period():
    lattice = build_lattice(LatticeSpec(nx=4, ny=4, shared=1, rule="gate"))
    kicks = random_kicks(lattice, 12e-6, seed=3)
    indegree = np.bincount(lattice.network.dst)
    assert len(kicks) == lattice.n_rings and len({k for k, _ in kicks}) == lattice.n_rings
    ring_of = {int(i): r for r, ring in enumerate(lattice.rings) for i in ring if indegree[i] == 1}
    assert sorted(ring_of[k] for k, _ in kicks) == list(range(lattice.n_rings))
    assert all(0 <= d < 12e-6 for _, d in kicks)
    assert kicks == random_kicks(lattice, 12e-6, seed=3) != random_kicks(lattice, 12e-6, seed=4)


def test_writer_keeps_silent_rings_as_null(tmp_path):
    lattice = build_lattice(LatticeSpec(nx=4, ny=4, shared=1, rule="gate"))
    a = np.zeros(lattice.n_rings)
    b = a.copy()
    b[0] = np.nan
    sc, mc = lock_classes(a, lattice.ring_neighbors), lock_classes(b, lattice.ring_neighbors)
    both = (sc >= 0) & (mc >= 0)
    dc = DomainCheck(lattice=lattice, t_end_s=1e-4, spice_phase=a, model_phase=b, spice_class=sc, model_class=mc,
                     agreement=float(np.mean(sc[both] == mc[both])), kicks=((1, 0.0),), spice_wall_s=1.0)
    write_domain_check(dc, tmp_path)
    data = json.loads((tmp_path / "domains.json").read_text())
    assert data["model_phase"][0] is None and data["rings_silent_model"] == 1 and data["agreement"] == 1.0
    assert data["bonds"] == len(lattice.ring_neighbors) > data["bonds_compared"]
    assert (tmp_path / "domains.png").stat().st_size > 10_000
