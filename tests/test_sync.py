"""Synchronisation metrics against analytic answers."""

import math

import numpy as np
import pytest

from hwsim.analysis.sync import correlation, correlation_length, domains, global_order, growth_exponent, local_order
from hwsim.lattice.topology import LatticeSpec, build_lattice


def test_identical_phases_give_r_equal_1():
    assert global_order(np.full(1000, 1.234)) == pytest.approx(1.0, abs=1e-12)


def test_uniform_splay_gives_r_near_0():
    # exact splay: the M-th roots of unity sum to 0; the bound is rounding, 1e-12
    m = 997
    assert global_order(2 * np.pi * np.arange(m) / m) < 1e-12


def test_random_phases_r_scales_as_one_over_sqrt_m():
    rng = np.random.default_rng(0)
    r = [global_order(rng.uniform(0, 2 * np.pi, 10_000)) for _ in range(50)]
    assert np.mean(r) == pytest.approx(math.sqrt(math.pi / 4 / 10_000), rel=0.2)  # Rayleigh mean


def test_nan_rings_are_ignored():
    assert global_order(np.array([0.0, np.nan, 0.0])) == pytest.approx(1.0)


def poisson_line_field(nx, ny, xi, rng):
    """Phases on an nx x ny square grid with C(d) = exp(-d/xi) exactly: random lines (isotropic
    Poisson line process) each add a uniform random phase to one side. Two sites are correlated
    only if no line separates them; P(no line) = exp(-Lambda d/(pi P)) for Lambda lines with offsets
    uniform in [-P, P], so Lambda = pi P / xi."""
    cx, cy = (nx - 1) / 2, (ny - 1) / 2
    p_max = math.hypot(nx, ny) / 2 + 1
    n_lines = rng.poisson(math.pi * p_max / xi)
    y, x = np.mgrid[0:ny, 0:nx]
    theta = np.zeros((ny, nx))
    for _ in range(n_lines):
        phi, p = rng.uniform(0, math.pi), rng.uniform(-p_max, p_max)
        side = (x - cx) * math.cos(phi) + (y - cy) * math.sin(phi) > p
        theta += np.where(side, rng.uniform(0, 2 * math.pi), 0.0)
    return theta.ravel()


@pytest.mark.parametrize("xi", [4.0, 8.0])
def test_known_exponential_correlation_length_recovered(xi):
    rng = np.random.default_rng(1)
    lat = build_lattice(LatticeSpec(geometry="square", nx=160, ny=160, boundary="open", shared=0))
    fits = []
    for _ in range(6):
        d, c = correlation(poisson_line_field(160, 160, xi, rng), lat, max_distance=4 * xi)
        fits.append(correlation_length(d, c))
    xi_e, xi_fit = np.median(np.array(fits), axis=0)
    assert xi_e == pytest.approx(xi, rel=0.10)
    assert xi_fit == pytest.approx(xi, rel=0.10)


def test_fft_correlation_matches_direct_pairs():
    rng = np.random.default_rng(2)
    for geometry, boundary in (("square", "periodic"), ("triangular", "periodic"), ("honeycomb", "open")):
        lat = build_lattice(LatticeSpec(geometry=geometry, nx=9, ny=8, boundary=boundary, shared=0))
        theta = rng.uniform(0, 2 * np.pi, lat.n_rings)
        theta[3] = np.nan
        d, c = correlation(theta, lat, max_distance=4)
        xy = lat.ring_xy
        diff = xy[:, None, :] - xy[None, :, :]
        if boundary == "periodic":
            a1, a2 = np.array([1.0, 0.0]), (np.array([0.0, 1.0]) if geometry == "square" else
                                            np.array([0.5, math.sqrt(3) / 2]))
            best = np.full(diff.shape[:2], np.inf)
            for si in (-1, 0, 1):
                for sj in (-1, 0, 1):
                    shift = si * 9 * a1 + sj * 8 * a2
                    best = np.minimum(best, np.hypot(*(diff + shift).transpose(2, 0, 1)))
            dist = best
        else:
            dist = np.hypot(diff[..., 0], diff[..., 1])
        ok = np.isfinite(theta)
        shell = np.rint(dist).astype(int)
        cosd = np.cos(theta[:, None] - theta[None, :])
        for k in range(5):
            sel = (shell == k) & ok[:, None] & ok[None, :]
            assert c[k] == pytest.approx(cosd[sel].mean(), abs=1e-9), (geometry, k)


def test_fft_correlation_of_a_large_random_snapshot_is_flat():
    """10^6 independent random phases: C(0) = 1 and, beyond, C(d) is an average of ~10^6 random
    cosines per shell: |C(d)| < 5 / sqrt(pairs) (five sigma of the pair average; each shell at
    d >= 1 holds at least 4 * 10^6 pairs). Its speed is in benchmarks/correlation.py."""
    lat = LatticeSpec(geometry="square", nx=1000, ny=1000, shared=0, ring_size=3)  # the spec is enough
    theta = np.random.default_rng(3).uniform(0, 2 * np.pi, 1000 * 1000)
    d, c = correlation(theta, lat, max_distance=50)
    assert d[0] == 0 and c[0] == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.abs(c[1:]) < 5 / math.sqrt(4e6)) and d[-1] >= 49


def test_planted_two_domains_and_walls():
    nx, ny = 20, 12
    lat = build_lattice(LatticeSpec(geometry="square", nx=nx, ny=ny, shared=0))
    i = np.arange(lat.n_rings) % nx
    theta = np.where(i < nx // 2, 0.3, 0.3 + math.pi)
    stats = domains(theta, np.ones(lat.n_rings, int), lat.ring_neighbors)
    assert list(stats.sizes) == [nx * ny // 2, nx * ny // 2]
    assert stats.wall_bonds == 2 * ny  # periodic: two straight walls of ny bonds each
    assert stats.wall_density == pytest.approx(2 * ny / len(lat.ring_neighbors))
    assert stats.wall_width == pytest.approx(2.0)  # sharp: one ring on each side


def test_different_orbits_are_different_domains():
    lat = build_lattice(LatticeSpec(geometry="square", nx=6, ny=6, shared=0))
    orbit = np.where(np.arange(36) < 18, 1, 2)
    stats = domains(np.zeros(36), orbit, lat.ring_neighbors)
    assert len(stats.sizes) == 2


def test_local_order_of_uniform_and_checkerboard():
    lat = build_lattice(LatticeSpec(geometry="square", nx=6, ny=6, shared=0))
    assert np.allclose(local_order(np.zeros(36), lat.ring_neighbors), 1.0)
    ij = np.arange(36)
    checker = np.where((ij % 6 + ij // 6) % 2 == 0, 0.0, math.pi)
    assert np.allclose(local_order(checker, lat.ring_neighbors), 3 / 5)  # |1 - 4| / 5


def test_growth_exponent_of_a_power_law():
    t = np.linspace(1, 100, 50)
    assert growth_exponent(t, 2 * t ** 0.5, 2, 80) == pytest.approx(0.5, rel=1e-9)


def test_growth_exponent_confidence_interval():
    """An exact power law has a zero-width interval at its exponent; with log-normal noise
    (sigma 0.1) the 95 % interval holds the true 0.5 in about 95 % of 400 draws (binomial sd 1.1 %;
    we accept 91-99 %, 3.6 sd) and is NaN with fewer than 4 points."""
    from hwsim.analysis.sync import growth_exponent_ci

    t = np.geomspace(1, 100, 16)
    lo, hi = growth_exponent_ci(t, 2 * t ** 0.5, 1, 100)
    assert lo == pytest.approx(0.5, abs=1e-9) and hi == pytest.approx(0.5, abs=1e-9)
    rng = np.random.default_rng(3)
    inside = [lo <= 0.5 <= hi for lo, hi in (growth_exponent_ci(t, 2 * t ** 0.5 * np.exp(0.1 * rng.standard_normal(16)),
                                                                 1, 100) for _ in range(400))]
    assert 0.91 <= np.mean(inside) <= 0.99
    assert all(np.isnan(growth_exponent_ci(t[:3], t[:3], 1, 100)))
