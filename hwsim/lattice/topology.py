"""Lattices of differentiating rings: geometry and sharing schemes -> neurons and directed edges.

Pure numpy (networkx only for the small-world preset). A :class:`LatticeSpec` is data; the verb
:func:`build_lattice` returns a :class:`Lattice`: the neuron graph (a
:class:`~hwsim.model.behavior.Network`), the ring membership of every neuron in traversal order, ring
adjacency, and positions for plots.

Geometry: rings sit on the plaquettes of a tiling.

- ``square``: nx x ny square plaquettes, 4 neighbours each (sides E, N, W, S);
- ``honeycomb``: nx x ny hexagonal plaquettes (centres on a triangular lattice), 6 neighbours;
- ``triangular``: nx x ny cells of an up and a down triangle (2 nx ny rings), 3 neighbours each;
- ``smallworld``: the companion paper's Watts-Strogatz graph of nx*ny rings (degree ``sw_k``,
  rewiring ``sw_p``), coupled only by eps-weighted links.

Sharing scheme: ring positions 0..N-1 run counter-clockwise around the plaquette; side d of a
ring with z sides owns the block of ``shared`` positions starting at floor(d N / z). Two adjacent
rings **share** those neurons (the same neuron belongs to both rings). Walking counter-clockwise,
two adjacent plaquettes pass their common side in opposite directions, so block position t of one
ring is block position shared-1-t of the other. **Orientation** sets the direction each ring
circulates: ``uniform`` (all counter-clockwise) or ``alternating`` (checkerboard: neighbours turn
opposite ways; needs a bipartite plaquette graph). **Placement** says where a side's shared
neurons sit: ``consecutive`` (positions start, start+1, ...) or ``spaced`` (start, start+2, ...,
a private neuron between two shared ones, so the side spans 2 shared - 1 positions). With
``shared >= 2`` consecutive shared neurons are a path both rings traverse, so only orientations
that traverse it the same way are consistent (alternating); uniform orientation would make the path
run both ways and is rejected. Spaced neurons have no edge between them, so both rings can pass
them in opposite directions and any orientation works.
``coupling_weight`` (eps) adds weighted links between adjacent rings: the neuron at the start of
each side drives the facing neuron of the neighbour (both ways), in multiples of the card's
coupling capacitor (capacitive rule) or as summing weights.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from hwsim.errors import InputError
from hwsim.model.behavior import RULES, Network

__all__ = ["LatticeSpec", "Lattice", "build_lattice", "kick_neurons", "GEOMETRIES", "ORIENTATIONS", "BOUNDARIES",
           "SIDES", "PLACEMENTS"]

GEOMETRIES = ("square", "honeycomb", "triangular", "smallworld")
ORIENTATIONS = ("uniform", "alternating")
BOUNDARIES = ("periodic", "open")
PLACEMENTS = ("consecutive", "spaced")
SIDES = {"square": 4, "honeycomb": 6, "triangular": 3}
_HEX_DIRS = [(1, 0), (0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1)]


class LatticeError(InputError):
    """An impossible lattice specification; the message says what to change."""


@dataclass(frozen=True)
class LatticeSpec:
    """Declarative lattice: geometry, size (nx, ny plaquette cells), ring size N, neurons shared
    between adjacent rings, orientation, boundary, eps-weighted links, the input-combination rule,
    the small-world parameters (degree ``sw_k``, rewiring probability ``sw_p``, ``seed``) and where
    the shared neurons sit on a side (``placement``)."""

    geometry: str = "square"
    nx: int = 10
    ny: int = 10
    ring_size: int = 6
    shared: int = 1
    orientation: str = "uniform"
    boundary: str = "periodic"
    coupling_weight: float = 0.0
    rule: str = "capacitive"
    sw_k: int = 4
    sw_p: float = 0.1
    seed: int = 0
    placement: str = "consecutive"

    @property
    def step(self) -> int:
        """Positions between two shared neurons of a side: 1 consecutive, 2 spaced."""
        return 2 if self.placement == "spaced" else 1

    def __post_init__(self) -> None:
        def need(ok: bool, field: str, message: str) -> None:
            if not ok:
                raise LatticeError(f"lattice {field}: {message}")

        need(self.geometry in GEOMETRIES, "geometry", f"{self.geometry!r} unknown; choose {', '.join(GEOMETRIES)}")
        need(self.orientation in ORIENTATIONS, "orientation",
             f"{self.orientation!r} unknown; choose {' or '.join(ORIENTATIONS)}")
        need(self.boundary in BOUNDARIES, "boundary", f"{self.boundary!r} unknown; choose {' or '.join(BOUNDARIES)}")
        need(self.rule in RULES, "rule", f"{self.rule!r} unknown; choose {', '.join(RULES)}")
        need(self.placement in PLACEMENTS, "placement",
             f"{self.placement!r} unknown; choose {' or '.join(PLACEMENTS)}")
        for name in ("nx", "ny", "ring_size", "shared", "sw_k", "seed"):
            need(isinstance(getattr(self, name), int) and not isinstance(getattr(self, name), bool),
                 name, f"must be an integer, got {getattr(self, name)!r}")
        need(self.nx >= 1 and self.ny >= 1, "size", f"nx and ny must be >= 1, got {self.nx} x {self.ny}")
        need(self.ring_size >= 3, "ring_size", f"rings need at least 3 neurons, got {self.ring_size}")
        need(self.shared >= 0, "shared", f"must be >= 0, got {self.shared}")
        need(math.isfinite(self.coupling_weight) and self.coupling_weight >= 0, "coupling_weight",
             f"must be finite and >= 0, got {self.coupling_weight}")
        need(self.rule != "gate" or self.coupling_weight == 0, "rule",
             "the gate rule ANDs logic inputs on one capacitor and has no weak eps links; set coupling_weight = 0 "
             "(--coupling 0: rings coupled through shared neurons) or use the capacitive or summing rule")
        if self.geometry == "smallworld":
            need(self.shared == 0, "shared", "small-world rings share no neurons (use coupling_weight); set shared=0")
            m = self.nx * self.ny
            need(self.sw_k % 2 == 0 and 2 <= self.sw_k < m, "sw_k",
                 f"the Watts-Strogatz degree must be even and in 2..{m - 1}, got {self.sw_k}")
            need(0.0 <= self.sw_p <= 1.0, "sw_p", f"must be in [0, 1], got {self.sw_p}")
            return
        z, span = SIDES[self.geometry], max(self.step * (self.shared - 1) + 1, 0)
        need(self.ring_size >= z * span, "ring_size",
             f"a {self.geometry} ring has {z} neighbours; sharing {self.shared} {self.placement} neuron(s) with "
             f"each needs ring_size >= {z * span}, got {self.ring_size}")
        if self.boundary == "periodic":
            need(min(self.nx, self.ny) >= 3 if self.geometry != "triangular" else min(self.nx, self.ny) >= 2,
                 "size", f"a periodic {self.geometry} lattice of {self.nx} x {self.ny} wraps onto itself "
                         f"(a ring would neighbour itself or a neighbour twice); use >= 3 (>= 2 for triangular) "
                         f"or boundary='open'")
        if self.orientation == "alternating":
            need(self.geometry != "honeycomb", "orientation",
                 "hexagonal plaquettes form a triangular graph, which has no checkerboard colouring; "
                 "use orientation='uniform' (and shared <= 1)")
            if self.geometry == "square" and self.boundary == "periodic":
                need(self.nx % 2 == 0 and self.ny % 2 == 0, "size",
                     f"alternating orientation on a periodic square lattice needs even nx and ny, got "
                     f"{self.nx} x {self.ny}")
        if self.shared >= 2 and self.placement == "consecutive":
            need(self.orientation == "alternating", "orientation",
                 f"with shared={self.shared} adjacent rings traverse the shared neurons as a path; uniform "
                 f"orientation makes it run both ways (contradictory directions): use orientation='alternating' "
                 f"or placement='spaced'")

    def to_dict(self) -> dict:
        """The spec as a plain dictionary (JSON-ready)."""
        return asdict(self)


@dataclass(frozen=True)
class Lattice:
    """A built lattice. ``rings[r]`` lists ring r's neurons in traversal order; ``ring_neighbors``
    is a (n_pairs, 2) array of adjacent ring pairs; positions are in plaquette units."""

    spec: LatticeSpec
    network: Network
    rings: np.ndarray
    ring_neighbors: np.ndarray
    ring_xy: np.ndarray
    neuron_xy: np.ndarray

    @property
    def n_neurons(self) -> int:
        """Number of neurons (shared ones counted once)."""
        return self.network.n_neurons

    @property
    def n_rings(self) -> int:
        """Number of rings (plaquettes)."""
        return len(self.rings)


def _steps(nx: int, ny: int, periodic: bool, dirs: list) -> tuple:
    """(cell, direction, neighbour cell) arrays of the ``nx`` x ``ny`` grid (cell = j * nx + i), one row
    per cell and direction (i + di, j + dj) that lies on the grid (wrapped if ``periodic``), cell-major."""
    j, i = np.divmod(np.arange(nx * ny), nx)
    di, dj = np.asarray(dirs).T
    a, b = i[:, None] + di[None], j[:, None] + dj[None]
    ok = np.ones(a.shape, bool) if periodic else (a >= 0) & (a < nx) & (b >= 0) & (b < ny)
    cell = np.broadcast_to(np.arange(nx * ny)[:, None], a.shape)
    d = np.broadcast_to(np.arange(len(dirs))[None], a.shape)
    return cell[ok], d[ok], ((b % ny) * nx + a % nx)[ok]


def _plaquettes(spec: LatticeSpec):
    """(centres (R, 2), colour (R,), adjacency (K, 4) int64 rows (r, side, r2, side2): side ``side`` of
    ring r faces side ``side2`` of ring r2), vectorised: a million-neuron lattice builds in about a
    second."""
    nx, ny, periodic = spec.nx, spec.ny, spec.boundary == "periodic"
    j, i = np.divmod(np.arange(nx * ny), nx)
    if spec.geometry == "square":
        centres, colour = np.c_[i, j].astype(float), (i + j) % 2
        c, d, c2 = _steps(nx, ny, periodic, [(1, 0), (0, 1), (-1, 0), (0, -1)])
        return centres, colour, np.c_[c, d, c2, (d + 2) % 4].astype(np.int64)
    if spec.geometry == "honeycomb":
        centres = np.c_[i + j / 2, j * math.sqrt(3) / 2]
        c, d, c2 = _steps(nx, ny, periodic, _HEX_DIRS)
        return centres, np.zeros(nx * ny, dtype=int), np.c_[c, d, c2, (d + 3) % 6].astype(np.int64)
    # triangular: up (u = 0, ring 2 * cell) and down (u = 1, ring 2 * cell + 1) triangles of cell (i, j);
    # side d of up (i, j) faces side d of down (i + di, j + dj)
    h, u = math.sqrt(3) / 2, np.tile([0, 1], nx * ny)
    ii, jj = np.repeat(i, 2), np.repeat(j, 2)
    centres, colour = np.c_[ii + jj / 2 + 0.5 * (1 + u), (jj + (1 + u) / 3) * h], u
    c, d, c2 = _steps(nx, ny, periodic, [(0, 0), (-1, 0), (0, -1)])
    pairs = np.stack([np.c_[2 * c, d, 2 * c2 + 1, d], np.c_[2 * c2 + 1, d, 2 * c, d]], axis=1)
    return centres, colour, pairs.reshape(-1, 4).astype(np.int64)


def _neuron_ids(n_slots: int, same: np.ndarray) -> np.ndarray:
    """Neuron id of each of ``n_slots`` ring slots when the slot pairs ``same`` (K, 2) are one neuron:
    connected components (scipy.sparse.csgraph), numbered in order of their lowest slot."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(same)), (same[:, 0], same[:, 1])), shape=(n_slots, n_slots))
    _, label = connected_components(graph, directed=False)
    _, first = np.unique(label, return_index=True)  # lowest slot of each component
    rank = np.empty(len(first), np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[label]


def build_lattice(spec: LatticeSpec) -> Lattice:
    """Build the neuron graph of ``spec`` (see the module docstring for the sharing scheme)."""
    if spec.geometry == "smallworld":
        return _build_smallworld(spec)
    n, s, z = spec.ring_size, spec.shared, SIDES[spec.geometry]
    centres, colour, adj = _plaquettes(spec)
    n_rings = len(centres)
    start = np.array([(d * n) // z for d in range(z)], np.int64)
    step = spec.step
    same = [np.c_[adj[:, 0] * n + (start[adj[:, 1]] + step * t) % n,
                  adj[:, 2] * n + (start[adj[:, 3]] + step * (s - 1 - t)) % n] for t in range(s)]
    neuron_of = _neuron_ids(n_rings * n, np.concatenate(same) if same else np.zeros((0, 2), np.int64))
    slots = neuron_of.reshape(n_rings, n)
    if spec.orientation == "alternating":
        flipped = colour == 1
        slots = np.where(flipped[:, None], slots[:, ::-1], slots)
    src, dst = slots.ravel(), np.roll(slots, -1, axis=1).ravel()
    if np.any(src == dst):
        ring = slots[np.flatnonzero(src == dst)[0] // n]
        raise LatticeError(f"lattice ring_size: ring {list(ring)} passes a neuron twice in a row; increase ring_size")
    ring_key = src.astype(np.int64) * len(neuron_of) + dst
    back = np.isin(dst.astype(np.int64) * len(neuron_of) + src, ring_key)
    if back.any():
        a, b = int(src[back][0]), int(dst[back][0])
        raise LatticeError(f"lattice orientation: neurons {a} and {b} would drive each other (contradictory "
                           f"directions); use orientation='alternating' or fewer shared neurons")
    links = np.zeros((0, 2), np.int64)
    if spec.coupling_weight > 0 and len(adj):
        a = neuron_of[adj[:, 0] * n + start[adj[:, 1]] % n]
        b = neuron_of[adj[:, 2] * n + (start[adj[:, 3]] + step * max(s - 1, 0)) % n]
        links = np.c_[a, b][a != b]
    edges = _edge_table(np.c_[src, dst], links, spec.coupling_weight, len(neuron_of))
    return _assemble(spec, neuron_of.max() + 1, edges, slots, adj, centres, neuron_of)


def _edge_table(ring: np.ndarray, links: np.ndarray, eps: float, n_slots: int) -> tuple:
    """(src, dst, weight) of the ring edges (weight 1, repeats merged) and the coupling links
    (weight eps each, repeats summed, added to a ring edge they coincide with), in order of first
    appearance, ring edges first."""
    pairs = np.concatenate([ring, links]).astype(np.int64)
    key = pairs[:, 0] * n_slots + pairs[:, 1]
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    is_ring = np.arange(len(key)) < len(ring)
    weight = np.bincount(inverse, weights=np.where(is_ring, 0.0, eps), minlength=len(uniq))
    weight += np.bincount(inverse[is_ring], minlength=len(uniq)) > 0
    order = np.argsort(first, kind="stable")
    return pairs[first[order], 0], pairs[first[order], 1], weight[order]


def kick_neurons(lattice: Lattice) -> np.ndarray:
    """The neurons a kicked start fires (sorted ids): ring by ring, the ring's first neuron, unless
    it is a predecessor or successor of a neuron already chosen; then the ring's first neuron that
    is neither (the first neuron if every one is). A kicked neuron's falling output pulls a kicked
    successor down while the kick still charges it, which the behavioural start cannot reproduce
    (the triangular alternating lattice puts a ring's first neuron right after the shared first
    neuron of its neighbour)."""
    net = lattice.network
    firsts = np.unique(lattice.rings[:, 0]).astype(np.int64)
    is_first = np.zeros(net.n_neurons, dtype=bool)
    is_first[firsts] = True
    if not (is_first[net.src] & is_first[net.dst]).any():  # no first neuron next to another: all of them
        return firsts
    ends, others = np.concatenate([net.src, net.dst]), np.concatenate([net.dst, net.src])
    order = np.argsort(ends, kind="stable")
    neighbours = others[order]  # those of neuron k: neighbours[start[k]:start[k + 1]]
    start = np.searchsorted(ends[order], np.arange(net.n_neurons + 1))
    chosen, near = np.zeros(net.n_neurons, dtype=bool), np.zeros(net.n_neurons, dtype=bool)
    for ring in lattice.rings:
        if chosen[ring[0]]:
            continue
        free = ring[~near[ring] & ~chosen[ring]] if near[ring[0]] else ring[:1]
        pick = free[0] if len(free) else ring[0]
        chosen[pick] = True
        near[neighbours[start[pick]:start[pick + 1]]] = True
    return np.flatnonzero(chosen).astype(np.int64)


def slots_at(neuron_of: np.ndarray, n: int, ring: int, position: int) -> int:
    """Neuron id at CCW position ``position`` of ``ring``."""
    return int(neuron_of[ring * n + position % n])


def _assemble(spec, n_neurons, edges, slots, adj, centres, neuron_of) -> Lattice:
    """The :class:`Lattice` from its edges (a dict {(src, dst): weight} or (src, dst, weight)
    arrays), ring slots, ring adjacency and centres; neurons placed at the mean of their slots."""
    if isinstance(edges, dict):
        src, dst = (np.array(v, dtype=int) for v in zip(*edges)) if edges else (np.zeros(0, int), np.zeros(0, int))
        weight = np.array(list(edges.values()), dtype=float)
    else:
        src, dst, weight = (np.asarray(v) for v in edges)
        src, dst, weight = src.astype(int), dst.astype(int), weight.astype(float)
    n = spec.ring_size
    angles = 2 * np.pi * (np.arange(n) + 0.5) / n
    radius = 0.42 if spec.geometry != "smallworld" else 0.3
    xy = np.zeros((n_neurons, 2))
    centres = np.asarray(centres, dtype=float)
    spots = centres[:, None, :] + radius * np.c_[np.cos(angles), np.sin(angles)][None]
    slot_neuron, spots = neuron_of[:len(centres) * n], spots.reshape(-1, 2)
    for k in range(2):
        xy[:, k] = np.bincount(slot_neuron, weights=spots[:, k], minlength=n_neurons)
    count = np.bincount(slot_neuron, minlength=n_neurons)
    pairs = np.sort(np.asarray(adj, dtype=np.int64).reshape(-1, 4)[:, [0, 2]], axis=1)
    key = np.unique(pairs[:, 0] * len(centres) + pairs[:, 1])  # the lexicographic order of (lo, hi)
    pairs = np.c_[key // len(centres), key % len(centres)].astype(int)
    return Lattice(spec=spec, network=Network(int(n_neurons), src, dst, weight), rings=np.asarray(slots),
                   ring_neighbors=pairs, ring_xy=centres, neuron_xy=xy / count[:, None])


def _build_smallworld(spec: LatticeSpec) -> Lattice:
    import networkx as nx

    m, n = spec.nx * spec.ny, spec.ring_size
    graph = nx.watts_strogatz_graph(m, spec.sw_k, spec.sw_p, seed=spec.seed)
    rng = np.random.default_rng(spec.seed)
    neuron_of = np.arange(m * n)
    slots = neuron_of.reshape(m, n)
    edges = {(int(a), int(b)): 1.0 for ring in slots for a, b in zip(ring, np.roll(ring, -1))}
    adj = []
    for a, b in sorted(graph.edges()):
        pa, pb = rng.integers(0, n, size=2)
        if spec.coupling_weight > 0:
            edges[(a * n + int(pa), b * n + int(pb))] = spec.coupling_weight
            edges[(b * n + int(pb), a * n + int(pa))] = spec.coupling_weight
        adj.append((a, 0, b, 0))
    angle = 2 * np.pi * np.arange(m) / m
    centres = np.c_[np.cos(angle), np.sin(angle)] * m / (2 * np.pi)
    return _assemble(spec, m * n, edges, slots, adj, centres, neuron_of)
