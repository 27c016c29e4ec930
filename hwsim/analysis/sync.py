"""Kuramoto-style synchronisation metrics of ring lattices (pure numpy/scipy).

Definitions (ours; DelMastro et al. give none beyond the abstract):

- **Ring phase** (:func:`ring_phases`): from the firing onsets t_n of a ring's reference neuron
  (its first neuron), ``theta(t) = 2 pi (n + (t - t_n)/(t_{n+1} - t_n))``, linear between onsets
  (unwrapped; NaN before the second onset and after the last). In a k-pulse ring the reference
  neuron fires k times per orbit, so this is the phase of the orbit's k-th harmonic (one cycle per
  passing pulse), which is what rings on the same orbit class can be compared by.
  Instantaneous frequency: ``1/(t_{n+1} - t_n)``.
- **Orbit class** k (:func:`orbit_classes`): the time-averaged number of firing neurons of a ring,
  rounded (each circulating pulse keeps exactly one neuron firing); 0 for a silent ring.
- **Global order** ``R(t) = |mean_r exp(i theta_r)|`` over active rings (Kuramoto 1984). A
  travelling-wave or splay state has small R by construction, so we also report the **local order**
  ``r_i = |mean over ring i and its neighbours of exp(i theta)|`` and **neighbour phase lags**
  (wrapped theta_j - theta_i over adjacent pairs).
- **Spatial correlation** ``C(d) = <cos(theta_i - theta_j)>`` over ring pairs whose centre
  distance (plaquette units) rounds to d; C(0) = 1. Computed with FFTs on the ring lattice
  (each geometry is a Bravais lattice with a 1- or 2-ring basis); periodic lattices use the minimum
  image, open ones zero padding with pair counts; small-world graphs use graph distance.
- **Correlation length** xi: the 1/e crossing of C(d) (linear interpolation) and the decay length
  of an exponential fit ``C = exp(-d/xi)`` over d >= 1 while C > 0.05. **Growth exponent**: slope
  of log xi vs log t over a window. **Steady state**: mean of xi(t) over the last part of the run.
- **Domains** (:func:`domains`): connected components of the graph of adjacent rings on the same
  (nonzero) orbit class with |wrapped phase difference| < ``tol`` (default pi/4). **Wall bonds**:
  adjacent pairs in different domains; wall density = wall bonds / all adjacent pairs.
  **Wall width** (rings): the number of rings whose local order is below 0.9, per wall bond; a
  sharp wall between two uniform domains on a square lattice gives 2 (one ring on each side).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, shortest_path

from hwsim.errors import InputError
from hwsim.lattice.simulate import ORBIT_SAMPLES, orbit_sample_steps, output_states, ring_orbits

__all__ = ["ring_phases", "phases_at", "orbit_classes", "global_order", "local_order", "neighbor_lags", "correlation",
           "correlation_length", "growth_exponent", "growth_exponent_ci", "DomainStats", "domains", "LatticeGeometry",
           "geometry_of", "wrap"]


def wrap(angle: np.ndarray) -> np.ndarray:
    """Angle wrapped into [-pi, pi)."""
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi


def ring_phases(run, times: np.ndarray, rings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Phases (rad, unwrapped) and instantaneous frequencies (1/time unit) of every ring at
    ``times``; shape (len(times), n_rings). NaN where a ring has no bracketing onsets."""
    return phases_at(run.events.onsets_of(rings[:, 0]), times)


def phases_at(onsets: list[np.ndarray], times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Phases (rad, unwrapped: 2 pi per onset, linear in between) and frequencies of oscillators
    with the given onset times at ``times``; shape (len(times), len(onsets)), NaN outside."""
    times = np.asarray(times, dtype=float)
    theta = np.full((len(times), len(onsets)), np.nan)
    freq = np.full_like(theta, np.nan)
    for r, t_on in enumerate(onsets):
        if len(t_on) < 2:
            continue
        n = np.searchsorted(t_on, times, side="right") - 1
        ok = (n >= 0) & (n < len(t_on) - 1)
        n_ok = n[ok]
        span = t_on[n_ok + 1] - t_on[n_ok]
        theta[ok, r] = 2 * np.pi * (n_ok + (times[ok] - t_on[n_ok]) / span)
        freq[ok, r] = 1.0 / span
    return theta, freq


def firing_at(run, steps: np.ndarray) -> np.ndarray:
    """Firing flags (n_samples, n_neurons) after each of ``steps`` (sorted), rebuilt from events."""
    run.require_all_events("the firing state of every neuron")
    return output_states(run.events, run.firing0, run.dt, steps)


def orbit_classes(run, rings: np.ndarray, t_from: float, t_to: float, samples: int = ORBIT_SAMPLES) -> np.ndarray:
    """Orbit class k of every ring on [t_from, t_to]: the mean number of its firing neurons at
    ``samples`` instants, rounded. A run that kept only the reference neurons' events carries
    the classes of its last quarter (taken during the run the same way), which serve that window."""
    end = run.n_steps * run.dt
    if run.ring_orbit is not None and np.isclose(t_from, 0.75 * end) and np.isclose(t_to, end) \
            and samples == ORBIT_SAMPLES and len(rings) == len(run.ring_orbit):
        return np.asarray(run.ring_orbit, int)
    steps = orbit_sample_steps(run.dt, t_from, t_to, samples)
    return ring_orbits(firing_at(run, steps), rings)


def global_order(theta: np.ndarray) -> np.ndarray:
    """Kuramoto R = |mean exp(i theta)| over the last axis, ignoring NaN; NaN if none."""
    z = np.exp(1j * np.asarray(theta))
    valid = np.isfinite(z)
    count = valid.sum(axis=-1)
    total = np.where(valid, z, 0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.abs(total) / np.maximum(count, 1), np.nan)


def local_order(theta: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Local order r_i of each ring with its neighbours (``pairs``: (n_pairs, 2) adjacent rings)."""
    n = theta.shape[-1]
    z = np.where(np.isfinite(theta), np.exp(1j * theta), 0)
    w = np.isfinite(theta).astype(float)
    adj = coo_matrix((np.ones(2 * len(pairs)), (np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]])),
                     shape=(n, n)).tocsr()
    total = z + (adj @ z.T).T
    count = w + (adj @ w.T).T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.abs(total) / count, np.nan)


def neighbor_lags(theta: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Wrapped phase differences theta_j - theta_i (rad) of every adjacent pair."""
    return wrap(theta[..., pairs[:, 1]] - theta[..., pairs[:, 0]])


@dataclass(frozen=True)
class LatticeGeometry:
    """Ring centres as a Bravais lattice with a basis: ring (b, j, i) sits at
    ``i a1 + j a2 + basis[b]``; ring index = (j * nx + i) * n_basis + b."""

    nx: int
    ny: int
    a1: tuple[float, float]
    a2: tuple[float, float]
    basis: tuple[tuple[float, float], ...]
    periodic: bool


def geometry_of(lattice) -> LatticeGeometry | None:
    """The Bravais description of a lattice or :class:`~hwsim.lattice.topology.LatticeSpec` (None for
    small-world graphs)."""
    spec = getattr(lattice, "spec", lattice)
    h = math.sqrt(3) / 2
    periodic = spec.boundary == "periodic"
    if spec.geometry == "square":
        return LatticeGeometry(spec.nx, spec.ny, (1.0, 0.0), (0.0, 1.0), ((0.0, 0.0),), periodic)
    if spec.geometry == "honeycomb":
        return LatticeGeometry(spec.nx, spec.ny, (1.0, 0.0), (0.5, h), ((0.0, 0.0),), periodic)
    if spec.geometry == "triangular":
        return LatticeGeometry(spec.nx, spec.ny, (1.0, 0.0), (0.5, h), ((0.5, h / 3), (1.0, 2 * h / 3)), periodic)
    return None


def _displacement_distance(g: LatticeGeometry, shape: tuple[int, int], b1: int, b2: int) -> np.ndarray:
    sy, sx = shape
    di = np.fft.fftfreq(sx, 1 / sx)[None, :]
    dj = np.fft.fftfreq(sy, 1 / sy)[:, None]
    dx = di * g.a1[0] + dj * g.a2[0] + g.basis[b2][0] - g.basis[b1][0]
    dy = di * g.a1[1] + dj * g.a2[1] + g.basis[b2][1] - g.basis[b1][1]
    d = np.hypot(dx, dy)
    if g.periodic:  # minimum image over the 9 neighbouring copies of the torus
        best = d
        for si in (-1, 0, 1):
            for sj in (-1, 0, 1):
                ex = dx + si * sx * g.a1[0] + sj * sy * g.a2[0]
                ey = dy + si * sx * g.a1[1] + sj * sy * g.a2[1]
                best = np.minimum(best, np.hypot(ex, ey))
        d = best
    return d


def correlation(theta: np.ndarray, lattice, max_distance: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Spatial correlation C(d) of one phase snapshot ``theta`` (n_rings,), NaN = silent ring.

    ``lattice``: a :class:`~hwsim.lattice.topology.Lattice` (or, for the plaquette geometries, just its
    spec). Returns (d, C) for integer shells d = 0, 1, 2, ... (pairs with rounded distance d).
    """
    theta = np.asarray(theta, dtype=float)
    g = geometry_of(lattice)
    if g is None:
        return _graph_correlation(theta, lattice)
    nb = len(g.basis)
    valid = np.isfinite(theta)
    z = np.where(valid, np.exp(1j * np.where(valid, theta, 0)), 0).reshape(g.ny, g.nx, nb)
    m = valid.astype(float).reshape(g.ny, g.nx, nb)
    shape = (g.ny, g.nx) if g.periodic else (2 * g.ny, 2 * g.nx)
    fz = [np.fft.fft2(z[:, :, b], s=shape) for b in range(nb)]
    fm = [np.fft.fft2(m[:, :, b], s=shape) for b in range(nb)]
    max_d = max_distance or (min(g.nx, g.ny) / 2 if g.periodic else max(g.nx, g.ny))
    n_bins = int(math.floor(max_d)) + 1
    sums = np.zeros(n_bins)
    counts = np.zeros(n_bins)
    for b1 in range(nb):
        for b2 in range(nb):
            corr = np.fft.ifft2(np.conj(fz[b1]) * fz[b2]).real
            cnt = np.fft.ifft2(np.conj(fm[b1]) * fm[b2]).real
            d = np.rint(_displacement_distance(g, shape, b1, b2)).astype(int)
            keep = (d < n_bins) & (cnt > 0.5)
            sums += np.bincount(d[keep], weights=corr[keep], minlength=n_bins)
            counts += np.bincount(d[keep], weights=np.rint(cnt[keep]), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = sums / counts
    return np.arange(n_bins, dtype=float), c


def _graph_correlation(theta, lattice):
    n = len(theta)
    pairs = lattice.ring_neighbors
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    dist = shortest_path(adj, directed=False, unweighted=True)
    valid = np.isfinite(theta)
    diff = np.cos(theta[:, None] - theta[None, :])
    ok = valid[:, None] & valid[None, :] & np.isfinite(dist)
    d = dist[ok].astype(int)
    c = np.bincount(d, weights=diff[ok]) / np.maximum(np.bincount(d), 1)
    return np.arange(len(c), dtype=float), c


def correlation_length(d: np.ndarray, c: np.ndarray, floor: float = 0.05) -> tuple[float, float]:
    """(xi from the 1/e crossing, xi from an exponential fit) of C(d); NaN where undefined."""
    d, c = np.asarray(d, float), np.asarray(c, float)
    ok = np.isfinite(c)
    d, c = d[ok], c[ok]
    below = np.flatnonzero(c < 1 / math.e)
    xi_e = float("nan")
    if len(below) and below[0] > 0:
        k = below[0]
        xi_e = float(d[k - 1] + (c[k - 1] - 1 / math.e) * (d[k] - d[k - 1]) / (c[k - 1] - c[k]))
    stop = np.flatnonzero(c < floor)
    end = stop[0] if len(stop) else len(c)
    sel = (d >= 1) & (np.arange(len(c)) < end)
    xi_fit = float("nan")
    if sel.sum() >= 1:
        guess = xi_e if math.isfinite(xi_e) and xi_e > 0 else 1.0
        try:
            with warnings.catch_warnings():  # one point: no covariance, which is not used anyway
                warnings.simplefilter("ignore", OptimizeWarning)
                popt, _ = curve_fit(lambda x, xi: np.exp(-x / xi), d[sel], c[sel], p0=[guess], maxfev=10000)
            xi_fit = float(popt[0])
        except RuntimeError:
            pass
    return xi_e, xi_fit


def growth_exponent_ci(t: np.ndarray, xi: np.ndarray, t_min: float, t_max: float,
                       level: float = 0.95) -> tuple[float, float]:
    """Confidence interval (``level``, default 95 %) of :func:`growth_exponent`: slope +- the
    Student-t quantile (n - 2 degrees of freedom) times the slope's standard error of the
    least-squares fit of log xi on log t. (NaN, NaN) with fewer than 4 usable points."""
    from scipy import stats

    t, xi = np.asarray(t, float), np.asarray(xi, float)
    sel = (t >= t_min) & (t <= t_max) & np.isfinite(xi) & (xi > 0) & (t > 0)
    if sel.sum() < 4:
        return float("nan"), float("nan")
    fit = stats.linregress(np.log(t[sel]), np.log(xi[sel]))
    half = stats.t.ppf(0.5 + level / 2, int(sel.sum()) - 2) * fit.stderr
    return float(fit.slope - half), float(fit.slope + half)


def growth_exponent(t: np.ndarray, xi: np.ndarray, t_min: float, t_max: float) -> float:
    """Slope of log xi vs log t on [t_min, t_max] (NaN with fewer than 3 usable points)."""
    t, xi = np.asarray(t, float), np.asarray(xi, float)
    sel = (t >= t_min) & (t <= t_max) & np.isfinite(xi) & (xi > 0) & (t > 0)
    if sel.sum() < 3:
        return float("nan")
    return float(np.polyfit(np.log(t[sel]), np.log(xi[sel]), 1)[0])


@dataclass(frozen=True)
class DomainStats:
    """Domain labels per ring (-1: silent), sizes (descending), wall bonds, wall density and width."""

    labels: np.ndarray
    sizes: np.ndarray
    wall_bonds: int
    wall_density: float
    wall_width: float


def domains(theta: np.ndarray, orbit: np.ndarray, pairs: np.ndarray, tol: float = math.pi / 4,
            wall_order: float = 0.9) -> DomainStats:
    """Domains of one snapshot (see the module docstring)."""
    theta = np.asarray(theta, float)
    orbit = np.asarray(orbit)
    if theta.shape != orbit.shape:
        raise InputError(f"domains: theta {theta.shape} and orbit {orbit.shape} differ in shape")
    n = len(theta)
    active = np.isfinite(theta) & (orbit > 0)
    i, j = pairs[:, 0], pairs[:, 1]
    same = active[i] & active[j] & (orbit[i] == orbit[j])
    with np.errstate(invalid="ignore"):
        same &= np.abs(wrap(theta[j] - theta[i])) < tol
    graph = coo_matrix((np.ones(same.sum()), (i[same], j[same])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    labels = np.where(active, labels, -1)
    sizes = np.sort(np.bincount(labels[active]))[::-1]
    sizes = sizes[sizes > 0]
    both = active[i] & active[j]
    walls = int(np.sum(both & (labels[i] != labels[j])))
    r = local_order(np.where(active, theta, np.nan), pairs)
    low = int(np.sum(active & (r < wall_order)))
    return DomainStats(labels=labels, sizes=sizes, wall_bonds=walls,
                       wall_density=walls / max(int(both.sum()), 1),
                       wall_width=low / walls if walls else float("nan"))
