"""Pattern-aware order: order measured relative to the neighbour-lag pattern the lattice locks to.

The in-phase metrics (:mod:`hwsim.analysis.sync`) call a lattice ordered only when neighbours fire
together. Rings that share neurons often lock their neighbours at a fixed non-zero lag instead (an
anti-phase checkerboard, stripes, a splay wave); such a lattice is ordered but reads as all walls.
Here the lock pattern is found from the data and order is measured relative to it.

Definitions (all angles in rad, distances in plaquette units, sizes in rings):

- **Bond class** (:func:`bond_classes`): every pair of adjacent rings (i, j) is oriented so that
  the displacement from i to j (minimum image on periodic lattices) points into [0, pi); its class
  is (direction, sublattice of i), the direction the displacement angle in steps of pi/6 (square:
  0 and 3; honeycomb: 0, 2, 4; triangular: 1, 3, 5) and the sublattice (b, i mod 2, j mod 2) of
  ring i's cell (i, j) and basis b in the Bravais description of :func:`~hwsim.analysis.sync.geometry_of`.
  Period-2 patterns (checkerboards, stripes, staggered lags) and plane waves are all constant
  within a class.
- **Lock pattern** (:func:`lock_pattern`): per class c, the circular mean of the oriented lags
  ``theta_j - theta_i`` over bonds whose rings are both active and on the same orbit class:
  ``phi_c = arg(mean exp(i lag))``, with its strength ``|mean exp(i lag)|`` (1: every bond of the
  class keeps the same lag; ~1/sqrt(bonds) for random phases).
- **Gauge field** (:func:`gauge_field`): the pattern's own phase offsets psi, integrated from one
  ring along a breadth-first spanning tree of the bonds (psi_j = psi_i + phi_c), and the
  transformed phases ``theta' = theta - psi``. A lattice that keeps the pattern has a uniform
  theta'; the in-phase metrics of theta' (global R', C'(d), xi', local order r') are the
  pattern-aware ones.
  On a periodic lattice the tree's two fronts meet on a seam opposite ring 0; where the measured
  lags are not exactly commensurate with the lattice (a lag of 3.12 rad instead of pi over 20
  bonds), theta' jumps across that seam by the accumulated difference. The seam is a property of
  the gauge, not a wall (walls come from the lags themselves), but it lowers R' and C'(d) a little.
- **Pattern domains** (:func:`pattern_domains`): connected components of the bonds that keep the
  pattern, ``|wrap(lag - phi_c)| < tol`` (default pi/4) between active rings on the same orbit
  class; **pattern walls**: active bonds that break it; wall density = walls / active bonds;
  wall width = rings whose local order r' is below 0.9, per wall bond (2 for a sharp wall on a
  square lattice, as for the in-phase walls).

Small-world graphs have no lattice directions: :func:`bond_classes` raises :class:`InputError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from hwsim.analysis.sync import (
    DomainStats,
    correlation,
    correlation_length,
    geometry_of,
    global_order,
    local_order,
    wrap,
)
from hwsim.errors import InputError

__all__ = ["Bonds", "LockPattern", "bond_classes", "lock_pattern", "gauge_field", "pattern_domains",
           "pattern_walls", "pattern_metrics"]


@dataclass(frozen=True)
class Bonds:
    """Oriented bonds of a ring lattice: ``tail``, ``head`` (ring indices), ``cls`` (class id per
    bond), ``labels`` ((direction, b, i mod 2, j mod 2) per class id)."""

    tail: np.ndarray
    head: np.ndarray
    cls: np.ndarray
    labels: tuple[tuple[int, int, int, int], ...]


@dataclass(frozen=True)
class LockPattern:
    """The locked lag per bond class: ``phi`` (rad) and ``strength`` (0..1), NaN for a class without
    active bonds; ``bonds``: how many active bonds each class had."""

    phi: np.ndarray
    strength: np.ndarray
    bonds: np.ndarray

    def describe(self, classes: Bonds) -> list[dict]:
        """One row per class: direction (multiples of 30 degrees), sublattice, lag (rad), strength."""
        return [{"direction_deg": 30 * d, "sublattice": [b, pi, pj], "lag_rad": float(p), "strength": float(s),
                 "bonds": int(k)}
                for (d, b, pi, pj), p, s, k in zip(classes.labels, self.phi, self.strength, self.bonds)]


def bond_classes(lattice) -> Bonds:
    """The oriented, classified bonds of ``lattice`` (a :class:`~hwsim.lattice.topology.Lattice`)."""
    g = geometry_of(lattice)
    if g is None:
        raise InputError("pattern-aware metrics need a plaquette lattice (square, honeycomb, triangular); "
                         f"{lattice.spec.geometry!r} has no lattice directions")
    pairs = np.asarray(lattice.ring_neighbors, int).reshape(-1, 2)
    nb = len(g.basis)
    cell, b = np.divmod(np.arange(g.nx * g.ny * nb), nb)
    cj, ci = np.divmod(cell, g.nx)
    pos = np.c_[ci * g.a1[0] + cj * g.a2[0], ci * g.a1[1] + cj * g.a2[1]] + np.asarray(g.basis)[b]
    d = pos[pairs[:, 1]] - pos[pairs[:, 0]]
    if g.periodic:  # minimum image over the neighbouring copies of the torus
        shifts = [si * g.nx * np.asarray(g.a1) + sj * g.ny * np.asarray(g.a2) for si in (-1, 0, 1) for sj in (-1, 0, 1)]
        cand = np.stack([d + s for s in shifts])
        d = cand[np.argmin(np.hypot(cand[..., 0], cand[..., 1]), axis=0), np.arange(len(d))]
    angle = np.arctan2(d[:, 1], d[:, 0])
    flip = (angle < -1e-9) | (angle >= math.pi - 1e-9)
    tail = np.where(flip, pairs[:, 1], pairs[:, 0])
    head = np.where(flip, pairs[:, 0], pairs[:, 1])
    direction = np.rint(np.mod(angle, math.pi) / (math.pi / 6)).astype(int) % 6
    key = np.c_[direction, b[tail], ci[tail] % 2, cj[tail] % 2]
    labels, cls = np.unique(key, axis=0, return_inverse=True)
    return Bonds(tail=tail, head=head, cls=cls.ravel(), labels=tuple(tuple(int(v) for v in row) for row in labels))


def _lags(theta: np.ndarray, orbit: np.ndarray, bonds: Bonds) -> tuple[np.ndarray, np.ndarray]:
    """(oriented lag per bond, whether both rings are active on one orbit class)."""
    theta, orbit = np.asarray(theta, float), np.asarray(orbit)
    if theta.shape != orbit.shape:
        raise InputError(f"pattern metrics: theta {theta.shape} and orbit {orbit.shape} differ in shape")
    active = np.isfinite(theta) & (orbit > 0)
    ok = active[bonds.tail] & active[bonds.head] & (orbit[bonds.tail] == orbit[bonds.head])
    with np.errstate(invalid="ignore"):
        return wrap(theta[bonds.head] - theta[bonds.tail]), ok


def lock_pattern(theta: np.ndarray, orbit: np.ndarray, bonds: Bonds) -> LockPattern:
    """The lock pattern of one snapshot (see the module docstring)."""
    lag, ok = _lags(theta, orbit, bonds)
    n_cls = len(bonds.labels)
    z = np.bincount(bonds.cls[ok], weights=np.cos(lag[ok]), minlength=n_cls) \
        + 1j * np.bincount(bonds.cls[ok], weights=np.sin(lag[ok]), minlength=n_cls)
    count = np.bincount(bonds.cls[ok], minlength=n_cls)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, z / np.maximum(count, 1), np.nan)
    return LockPattern(phi=np.angle(mean), strength=np.abs(mean), bonds=count)


def gauge_field(theta: np.ndarray, pattern: LockPattern, bonds: Bonds) -> tuple[np.ndarray, np.ndarray]:
    """(psi, theta' = wrap(theta - psi)): the pattern's phase offsets, integrated along a
    breadth-first spanning tree of the bonds from the lowest ring of each connected part (classes
    without a lag count as 0), and the transformed phases (NaN where theta is NaN)."""
    theta = np.asarray(theta, float)
    n = len(theta)
    phi = np.nan_to_num(pattern.phi)[bonds.cls]
    # both directions of every bond, the lag negated backwards
    rows, cols = np.r_[bonds.tail, bonds.head], np.r_[bonds.head, bonds.tail]
    step = np.r_[phi, -phi]
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    lookup = {(int(a), int(c)): s for a, c, s in zip(rows, cols, step)}
    psi = np.full(n, np.nan)
    for root in range(n):
        if np.isfinite(psi[root]):
            continue
        order, pred = breadth_first_order(graph, root, directed=True, return_predecessors=True)
        psi[root] = 0.0
        for ring in order[1:]:
            psi[ring] = psi[pred[ring]] + lookup[(int(pred[ring]), int(ring))]
    return psi, wrap(theta - psi)


def _keeps(theta: np.ndarray, orbit: np.ndarray, pattern: LockPattern, bonds: Bonds, tol: float) -> np.ndarray:
    """Per bond: both rings active on one orbit class and the lag within ``tol`` of the pattern's."""
    lag, ok = _lags(theta, orbit, bonds)
    return ok & (np.abs(wrap(lag - np.nan_to_num(pattern.phi)[bonds.cls])) < tol)


def pattern_walls(theta: np.ndarray, orbit: np.ndarray, pattern: LockPattern, bonds: Bonds,
                  tol: float = math.pi / 4) -> np.ndarray:
    """(n_walls, 2) ring pairs of the bonds between active rings that break the pattern."""
    active = np.isfinite(np.asarray(theta, float)) & (np.asarray(orbit) > 0)
    wall = active[bonds.tail] & active[bonds.head] & ~_keeps(theta, orbit, pattern, bonds, tol)
    return np.c_[bonds.tail[wall], bonds.head[wall]]


def pattern_domains(theta: np.ndarray, orbit: np.ndarray, pattern: LockPattern, bonds: Bonds,
                    tol: float = math.pi / 4, wall_order: float = 0.9,
                    theta_g: np.ndarray | None = None) -> DomainStats:
    """Domains that keep the lock pattern, and the walls that break it (module docstring).
    ``theta_g``: the gauge-transformed phases when the caller has them (else computed here)."""
    theta, orbit = np.asarray(theta, float), np.asarray(orbit)
    n = len(theta)
    keep = _keeps(theta, orbit, pattern, bonds, tol)
    graph = coo_matrix((np.ones(keep.sum()), (bonds.tail[keep], bonds.head[keep])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    active = np.isfinite(theta) & (orbit > 0)
    labels = np.where(active, labels, -1)
    sizes = np.sort(np.bincount(labels[active]))[::-1] if active.any() else np.zeros(0, int)
    sizes = sizes[sizes > 0]
    both = active[bonds.tail] & active[bonds.head]
    walls = int(np.sum(both & ~keep))
    if theta_g is None:
        _, theta_g = gauge_field(theta, pattern, bonds)
    pairs = np.c_[bonds.tail, bonds.head]
    r = local_order(np.where(active, theta_g, np.nan), pairs)
    low = int(np.sum(active & (r < wall_order)))
    return DomainStats(labels=labels, sizes=sizes, wall_bonds=walls, wall_density=walls / max(int(both.sum()), 1),
                       wall_width=low / walls if walls else float("nan"))


def pattern_metrics(theta: np.ndarray, orbit: np.ndarray, lattice, pattern: LockPattern | None = None,
                    bonds: Bonds | None = None) -> dict:
    """Pattern-aware metrics of one snapshot, keyed like the in-phase ones with a ``_pattern``
    suffix: R, xi (1/e crossing, capped at the largest distance when C' never falls to 1/e),
    local order, domains, largest domain, wall density and width. ``pattern``: the lock pattern
    to measure against (default: found from this snapshot)."""
    bonds = bonds if bonds is not None else bond_classes(lattice)
    pattern = pattern if pattern is not None else lock_pattern(theta, orbit, bonds)
    _, theta_g = gauge_field(theta, pattern, bonds)
    active = np.isfinite(theta) & (np.asarray(orbit) > 0)
    theta_g = np.where(active, theta_g, np.nan)
    d, c = correlation(theta_g, lattice)
    xi_e, _ = correlation_length(d, c)
    spans = bool(np.isfinite(c).any() and np.nanmin(c) >= 1 / math.e)
    stats = pattern_domains(theta, orbit, pattern, bonds, theta_g=theta_g)
    r_loc = local_order(theta_g, np.c_[bonds.tail, bonds.head])
    finite = r_loc[np.isfinite(r_loc)]
    return {"R_pattern": float(global_order(theta_g)), "xi_pattern": float(d[np.isfinite(c)].max() if spans else xi_e),
            "xi_pattern_capped": spans, "local_order_pattern": float(finite.mean()) if len(finite) else float("nan"),
            "n_domains_pattern": int(len(stats.sizes)),
            "largest_domain_pattern": int(stats.sizes[0]) if len(stats.sizes) else 0,
            "wall_density_pattern": stats.wall_density, "wall_width_pattern": stats.wall_width}
