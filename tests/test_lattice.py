"""Lattice builder: topology of each geometry and sharing scheme, and rejected specs."""

import numpy as np
import pytest

from hwsim.errors import InputError
from hwsim.lattice.topology import LatticeSpec, build_lattice, kick_neurons


def indegrees(lat):
    return np.bincount(lat.network.dst, minlength=lat.n_neurons)


@pytest.mark.parametrize("geometry,shared,orientation,rings,neurons,min_in,max_in", [
    ("square", 0, "uniform", 16, 96, 1, 1),
    ("square", 1, "uniform", 16, 64, 1, 2),       # 2 shared neurons per ring (4 sides / 2 rings each)
    ("square", 1, "alternating", 16, 64, 1, 2),
    ("honeycomb", 1, "uniform", 16, 48, 2, 2),    # every neuron of a hexagon is shared
    ("triangular", 1, "uniform", 32, 144, 1, 2),
    ("triangular", 2, "alternating", 32, 96, 1, 2),  # shared paths: only their first neuron has 2 inputs
])
def test_neuron_counts_and_fan_in(geometry, shared, orientation, rings, neurons, min_in, max_in):
    lat = build_lattice(LatticeSpec(geometry=geometry, nx=4, ny=4, ring_size=6, shared=shared,
                                    orientation=orientation))
    assert lat.n_rings == rings and lat.n_neurons == neurons
    assert indegrees(lat).min() == min_in and indegrees(lat).max() == max_in
    # every ring is a directed cycle through its own neurons
    edges = set(zip(lat.network.src.tolist(), lat.network.dst.tolist()))
    for ring in lat.rings:
        assert all((int(a), int(b)) in edges for a, b in zip(ring, np.roll(ring, -1)))
    assert lat.neuron_xy.shape == (neurons, 2) and np.all(np.isfinite(lat.neuron_xy))


def test_shared_neurons_belong_to_two_rings():
    lat = build_lattice(LatticeSpec(geometry="square", nx=4, ny=4, ring_size=8, shared=2, orientation="alternating"))
    counts = np.bincount(lat.rings.ravel(), minlength=lat.n_neurons)
    assert set(counts.tolist()) == {2}  # 8 = 4 sides x 2: every neuron is shared
    assert len(lat.ring_neighbors) == 32  # 16 rings x 4 sides / 2


@pytest.mark.parametrize("orientation", ["uniform", "alternating"])
def test_spaced_shared_neurons_sit_every_other_position(orientation):
    """placement = spaced, shared 2, 12-rings on a 4 x 4 square: each side's two shared neurons sit at
    positions p and p + 2 of one ring (one private neuron between them) and are the neurons of the
    neighbour's side in reverse order; 16 x 12 slots - 32 sides x 2 merges = 128 neurons; no edge
    runs both ways, so uniform orientation is allowed (consecutive placement refuses it)."""
    spec = LatticeSpec(geometry="square", nx=4, ny=4, ring_size=12, shared=2, orientation=orientation,
                       placement="spaced")
    lat = build_lattice(spec)
    assert lat.n_neurons == 128
    counts = np.bincount(lat.rings.ravel(), minlength=lat.n_neurons)
    assert np.sum(counts == 2) == 64 and np.sum(counts == 1) == 64
    for ring in lat.rings:
        pos = np.flatnonzero(counts[ring] == 2)
        assert len(pos) == 8 and sorted(np.diff(np.r_[pos, pos[0] + 12]).tolist()) == [1, 1, 1, 1, 2, 2, 2, 2]
    edges = set(zip(lat.network.src.tolist(), lat.network.dst.tolist()))
    assert not any((b, a) in edges for a, b in edges)
    with pytest.raises(InputError, match="placement='spaced'"):
        LatticeSpec(geometry="square", nx=4, ny=4, ring_size=12, shared=2, orientation="uniform")


@pytest.mark.parametrize("geometry,orientation,boundary", [
    ("triangular", "alternating", "open"), ("triangular", "alternating", "periodic"),
    ("square", "alternating", "open"), ("square", "uniform", "periodic"), ("honeycomb", "uniform", "open"),
    ("triangular", "uniform", "open")])
def test_kicked_neurons_are_not_neighbours(geometry, orientation, boundary):
    """The kicked start fires one neuron per ring, none an input of another (a kicked predecessor's
    fall would pull a kicked successor down in SPICE, not in the behavioural start); where the rings'
    first neurons already satisfy that (every lattice but the triangular alternating one) they are
    the kicked ones, as before."""
    lat = build_lattice(LatticeSpec(geometry=geometry, nx=3, ny=3, shared=1, orientation=orientation,
                                    boundary=boundary, rule="gate"))
    kicked = kick_neurons(lat)
    edges = set(zip(lat.network.src.tolist(), lat.network.dst.tolist()))
    assert not any((int(a), int(b)) in edges for a in kicked for b in kicked)
    assert all(np.isin(ring, kicked).any() for ring in lat.rings)
    firsts = np.unique(lat.rings[:, 0])
    if (geometry, orientation) == ("triangular", "alternating"):
        # there the first neuron of one ring follows the (shared) first neuron of its neighbour
        assert any((int(a), int(b)) in edges for a in firsts for b in firsts)
        assert not np.array_equal(kicked, firsts)
    else:
        assert np.array_equal(kicked, firsts)


def test_open_boundary_has_fewer_neighbours():
    periodic = build_lattice(LatticeSpec(nx=4, ny=4, boundary="periodic"))
    open_ = build_lattice(LatticeSpec(nx=4, ny=4, boundary="open"))
    assert len(periodic.ring_neighbors) == 32 and len(open_.ring_neighbors) == 24
    assert open_.n_neurons == 16 * 6 - 24


def test_coupling_links_are_weighted():
    lat = build_lattice(LatticeSpec(nx=4, ny=4, shared=0, coupling_weight=0.25))
    w = lat.network.weight
    assert np.sum(w == 0.25) == 64 and np.sum(w == 1.0) == 96


def test_smallworld_preset():
    lat = build_lattice(LatticeSpec(geometry="smallworld", nx=10, ny=3, shared=0, coupling_weight=0.1, sw_k=4,
                                    sw_p=0.2, seed=3))
    assert lat.n_rings == 30 and lat.n_neurons == 180
    assert np.sum(lat.network.weight == 0.1) == 2 * 60  # 30 rings x degree 4 / 2 edges, both ways
    again = build_lattice(LatticeSpec(geometry="smallworld", nx=10, ny=3, shared=0, coupling_weight=0.1, sw_k=4,
                                      sw_p=0.2, seed=3))
    assert np.array_equal(lat.network.src, again.network.src)


BAD = [
    (dict(geometry="kagome"), "geometry: 'kagome' unknown"),
    (dict(ring_size=6, shared=2, orientation="alternating"), "needs ring_size >= 8"),
    (dict(geometry="triangular", ring_size=6, shared=2, orientation="uniform"), "contradictory directions"),
    (dict(geometry="honeycomb", orientation="alternating"), "no checkerboard colouring"),
    (dict(nx=5, ny=4, orientation="alternating"), "needs even nx and ny"),
    (dict(nx=2, ny=4), "wraps onto itself"),
    (dict(ring_size=2), "at least 3 neurons"),
    (dict(shared=-1), "shared: must be >= 0"),
    (dict(coupling_weight=float("nan")), "coupling_weight: must be finite"),
    (dict(geometry="smallworld", shared=1), "share no neurons"),
    (dict(geometry="smallworld", shared=0, sw_k=3), "degree must be even"),
    (dict(rule="average"), "rule: 'average' unknown"),
    (dict(boundary="twisted"), "boundary: 'twisted' unknown"),
    (dict(nx=0), "nx and ny must be >= 1"),
    (dict(placement="apart"), "placement: 'apart' unknown"),
    (dict(ring_size=8, shared=2, placement="spaced"), "2 spaced neuron(s) with each needs ring_size >= 12"),
]


@pytest.mark.parametrize("kwargs,needle", BAD, ids=[b[1][:30] for b in BAD])
def test_bad_specs_are_rejected_clearly(kwargs, needle):
    with pytest.raises(InputError) as info:
        build_lattice(LatticeSpec(**kwargs))
    assert needle in str(info.value)
