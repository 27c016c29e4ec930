"""The lattice synchronisation study: sharing schemes x seeds -> xi(t), R(t), domains, xi_ss.

:func:`run_study` simulates every sharing scheme of a :class:`StudyConfig` for several seeds,
samples the ring phases at log-spaced times and computes, per time, the global order R, the
correlation lengths (1/e crossing and exponential fit), the mean local order, the spread of the
neighbour phase lags, orbit classes and domains. Per run it reports the steady-state correlation
length xi_ss (mean of xi over the last ``ss_fraction`` of the sampled times; xi is the 1/e
crossing of C(d), and when C(d) stays above 1/e out to half the lattice, xi is recorded as that
cap and flagged ``xi_capped``: the correlated region spans the lattice) and the growth exponent of
xi(t) up to its maximum; per scheme the mean and the seed-to-seed standard deviation.
:func:`hwsim.app.writers.write_study` writes ``study.json``, ``timeseries.csv``, ``xi_ss.csv``, ``summary.md`` and
figures (xi(t) log-log, R(t), domain maps at three times).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from hwsim.analysis.pattern import bond_classes, gauge_field, lock_pattern, pattern_metrics, pattern_walls
from hwsim.analysis.sync import (
    correlation,
    correlation_length,
    domains,
    geometry_of,
    global_order,
    growth_exponent,
    growth_exponent_ci,
    local_order,
    neighbor_lags,
    orbit_classes,
    ring_phases,
)
from hwsim.errors import InputError
from hwsim.lattice.simulate import SimConfig, check_work, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.card import load_card

__all__ = ["StudyConfig", "StudyResult", "run_study", "analyse_run", "analyse", "Analysis", "DEFAULT_SCHEMES"]

#: Sharing schemes compared by default (LatticeSpec fields on top of the study's geometry).
DEFAULT_SCHEMES: dict[str, dict] = {
    "links-eps0.3": {"shared": 0, "coupling_weight": 0.3},
    "share1-uniform": {"shared": 1, "orientation": "uniform"},
    "share1-alternating": {"shared": 1, "orientation": "alternating"},
    "share2-alternating-N8": {"shared": 2, "orientation": "alternating", "ring_size": 8},
}


@dataclass(frozen=True)
class StudyConfig:
    """What the study runs: geometry and size (nx = ny = ``size``), ring size, rule, card, duration
    (card time units), seeds, number of sampled times, engine/target, schemes."""

    geometry: str = "square"
    size: int = 40
    ring_size: int = 6
    rule: str = "summing"
    card: str = "paper"
    duration: float = 600.0
    seeds: tuple[int, ...] = (1, 2, 3)
    n_times: int = 24
    t_first: float = 5.0
    ss_fraction: float = 0.25
    engine: str = "numpy"
    target: str = "cython"
    schemes: Mapping[str, dict] = field(default_factory=lambda: dict(DEFAULT_SCHEMES))
    allow_large: bool = False

    def __post_init__(self) -> None:
        if not self.seeds:
            raise InputError("study seeds: give at least one seed")
        if not 0 < self.t_first < self.duration:
            raise InputError(f"study t_first must lie in (0, duration), got {self.t_first}")
        if self.n_times < 4:
            raise InputError(f"study n_times must be >= 4, got {self.n_times}")

    def spec(self, scheme: str) -> LatticeSpec:
        """The lattice of ``scheme`` at this study's geometry, size, ring size and rule."""
        fields = {"geometry": self.geometry, "nx": self.size, "ny": self.size, "ring_size": self.ring_size,
                  "rule": self.rule, **self.schemes[scheme]}
        return LatticeSpec(**fields)

    def times(self) -> np.ndarray:
        """Log-spaced sample times (card time units) from ``t_first`` to 98 % of ``duration``."""
        return np.geomspace(self.t_first, self.duration * 0.98, self.n_times)


@dataclass(frozen=True)
class StudyResult:
    """Rows of per-time metrics, per-run summaries, per-scheme table and domain-map snapshots."""

    config: StudyConfig
    timeseries: list[dict]
    runs: list[dict]
    table: list[dict]
    snapshots: dict


def _finite_mean(values) -> float:
    """Mean of the finite entries of ``values``; NaN (without a warning) when there are none."""
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")


def _finite_std(values) -> float:
    """Standard deviation of the finite entries of ``values``; NaN when there are none."""
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    return float(arr.std()) if arr.size else float("nan")


def _metrics_at(theta, orbit, lattice):
    d, c = correlation(theta, lattice)
    xi_e, xi_fit = correlation_length(d, c)
    spans = bool(np.isfinite(c).any() and np.nanmin(c) >= 1 / math.e)
    xi = d[np.isfinite(c)].max() if spans else xi_e  # C never fell to 1/e: xi is at least the cap
    stats = domains(theta, orbit, lattice.ring_neighbors)
    lags = neighbor_lags(theta, lattice.ring_neighbors)
    r_loc = local_order(theta, lattice.ring_neighbors)
    return {"R": float(global_order(theta)), "xi": float(xi), "xi_capped": spans, "xi_1e": xi_e, "xi_fit": xi_fit,
            "local_order": _finite_mean(r_loc), "lag_std": _finite_std(lags),
            "n_domains": int(len(stats.sizes)), "largest_domain": int(stats.sizes[0]) if len(stats.sizes) else 0,
            "wall_density": stats.wall_density, "wall_width": stats.wall_width,
            "active_rings": int(np.isfinite(theta).sum())}, stats


def _settled(theta: np.ndarray) -> int:
    """Index of the last sampled time at which at least half as many rings have a phase as at the
    best time: the state whose lock pattern the pattern-aware metrics measure against (the very
    last times can lack phases, which need an onset after them)."""
    active = np.isfinite(theta).sum(axis=1)
    return int(np.flatnonzero(active >= 0.5 * active.max())[-1]) if active.max() > 0 else len(theta) - 1


def growth_fit(times, xi, capped) -> dict:
    """Power-law growth of a correlation length: the window from the minimum of ``xi(t)`` to the
    largest value after it (capped values left out), the exponent of xi ~ t^a fitted there and its 95 %
    interval. Keys ``growth_exponent``, ``growth_exponent_ci95`` (list), ``growth_fit_t_min``,
    ``growth_fit_t_max`` (units of ``times``)."""
    times, xi = np.asarray(times, float), np.asarray(xi, float)
    t_from, t_peak = _growth_window(times, xi, np.asarray(capped, bool))
    return {"growth_exponent": growth_exponent(times, xi, t_from, t_peak),
            "growth_exponent_ci95": list(growth_exponent_ci(times, xi, t_from, t_peak)),
            "growth_fit_t_min": float(t_from), "growth_fit_t_max": float(t_peak)}


def _growth_window(times: np.ndarray, xi: np.ndarray, capped: np.ndarray) -> tuple[float, float]:
    """Where xi(t) grows: from its minimum to the largest value after it, leaving out capped values
    (C(d) never fell to 1/e). Spikes before the minimum (the first instants, when only a few rings
    have a phase) are not growth."""
    ok = np.isfinite(xi) & ~capped
    if not ok.any():
        return float(times[0]), float(times[-1])
    idx = np.flatnonzero(ok)
    k_min = idx[int(np.argmin(xi[idx]))]
    after = idx[idx >= k_min]
    k_peak = after[int(np.argmax(xi[after]))]
    return float(times[k_min]), float(times[k_peak])


def analyse_run(run, lattice, times: np.ndarray, ss_fraction: float = 0.25,
                snapshot_at: tuple[int, ...] = ()) -> tuple[list[dict], dict, list[dict]]:
    """Synchronisation metrics of one lattice run at ``times`` (card time units).

    Returns the per-time rows (R, xi, local order, lag spread, domains, ...), a summary (xi_ss and
    R_ss over the last ``ss_fraction`` of the times, growth exponent of xi(t) from its minimum to the
    largest value after it (capped values left out),
    orbit counts) and phase/domain snapshots at the time indices ``snapshot_at``. On plaquette
    lattices every row also has the pattern-aware metrics (:mod:`hwsim.analysis.pattern`, keys
    ending ``_pattern``) against the lock pattern of the last well-sampled time, and the summary their
    steady-state means (``xi_ss_pattern``, ``R_ss_pattern``, ``wall_density_ss_pattern``,
    ``wall_width_ss_pattern``) and the pattern itself (``lock_pattern``, one row per bond class).
    """
    duration = run.n_steps * run.dt
    theta, _ = ring_phases(run, times, lattice.rings)
    orbit = orbit_classes(run, lattice.rings, duration * 0.75, duration)
    bonds = bond_classes(lattice) if geometry_of(lattice) is not None else None
    pattern = lock_pattern(theta[_settled(theta)], orbit, bonds) if bonds is not None else None
    rows, snapshots = [], []
    for k, t in enumerate(times):
        metrics, stats = _metrics_at(theta[k], orbit, lattice)
        if bonds is not None:
            metrics.update(pattern_metrics(theta[k], orbit, lattice, pattern, bonds))
        rows.append({"t": float(t), **metrics})
        if k in snapshot_at:
            snap = {"t": float(t), "labels": stats.labels.tolist(), "theta": np.nan_to_num(theta[k], nan=-1.0).tolist()}
            if bonds is not None:
                snap["theta_pattern"] = np.nan_to_num(gauge_field(theta[k], pattern, bonds)[1], nan=-1.0).tolist()
                snap["walls_pattern"] = pattern_walls(theta[k], orbit, pattern, bonds).tolist()
            snapshots.append(snap)
    tail = [r for r in rows if r["t"] >= times[int(len(times) * (1 - ss_fraction))]]
    growth = growth_fit(times, [r["xi"] for r in rows], [r["xi_capped"] for r in rows])
    summary = {"xi_ss": _finite_mean([r["xi"] for r in tail]) if tail else float("nan"),
               "R_ss": _finite_mean([r["R"] for r in tail]) if tail else float("nan"),
               **growth,
               "orbit_counts": np.bincount(orbit, minlength=4).tolist(),
               "events": len(run.events), "wall_s": run.wall_s,
               "xi_ss_capped": bool(tail and all(r["xi_capped"] for r in tail))}
    if pattern is not None:
        summary.update({f"{k}_ss_pattern": _finite_mean([r[f"{k}_pattern"] for r in tail]) if tail else float("nan")
                        for k in ("xi", "R", "wall_density", "wall_width")})
        summary["xi_ss_pattern_capped"] = bool(tail and all(r["xi_pattern_capped"] for r in tail))
        summary["lock_pattern"] = pattern.describe(bonds)
    return rows, summary, snapshots


@dataclass(frozen=True)
class Analysis:
    """Synchronisation metrics of one run: ``times`` (card time units, seconds for SI cards),
    one row of metrics per time (R, xi in plaquettes, local order, lag spread, domains, walls), and
    the summary (xi_ss, R_ss, growth exponent, orbit counts; see :func:`analyse_run`)."""

    times: np.ndarray
    rows: list[dict]
    summary: dict


def analyse(run, lattice=None, times: np.ndarray | None = None, n_times: int = 16,
            ss_fraction: float = 0.25) -> Analysis:
    """Synchronisation metrics of ``run`` (a :class:`~hwsim.lattice.simulate.LatticeRun`).

    ``lattice``: the run's lattice (rebuilt from ``run.spec`` when ``None``). ``times``: when to
    measure (card time units); by default ``n_times`` log-spaced times from 1 % of the run to its
    end. ``ss_fraction``: the last fraction of the times that the steady-state values average.
    """
    lattice = lattice if lattice is not None else build_lattice(run.spec)
    if times is None:
        duration = run.n_steps * run.dt
        times = np.geomspace(duration / 100, duration, n_times)
    times = np.asarray(times, float)
    rows, summary, _ = analyse_run(run, lattice, times, ss_fraction)
    return Analysis(times=times, rows=rows, summary=summary)


def run_study(config: StudyConfig, progress: Callable[[str], None] = lambda s: None) -> StudyResult:
    """Run every scheme x seed of ``config`` (see the module docstring)."""
    card = load_card(config.card)
    times = config.times()
    rows, runs, snapshots = [], [], {}
    marks = (len(times) // 4, len(times) // 2, len(times) - 1)
    sims = {seed: SimConfig(duration_tau=config.duration / card.value("tau_s"), seed=seed, engine=config.engine,
                            target=config.target, allow_large=config.allow_large) for seed in config.seeds}
    for scheme in config.schemes:  # every scheme's size is checked before the first run
        check_work(config.spec(scheme), sims[config.seeds[0]], f"study scheme {scheme}")
    for scheme in config.schemes:
        lattice = build_lattice(config.spec(scheme))
        for seed in config.seeds:
            progress(f"{scheme} seed {seed}")
            run = simulate(card, lattice, sims[seed])
            per_time, summary, snaps = analyse_run(run, lattice, times, config.ss_fraction,
                                                   marks if seed == config.seeds[0] else ())
            if snaps:
                snapshots[scheme] = snaps
            rows += [{"scheme": scheme, "seed": seed, **r} for r in per_time]
            runs.append({"scheme": scheme, "seed": seed, **summary})
    table = []
    for scheme in config.schemes:
        sel = [r for r in runs if r["scheme"] == scheme]
        xs = np.array([r["xi_ss"] for r in sel])
        table.append({"scheme": scheme, "xi_ss_mean": _finite_mean(xs), "xi_ss_std": _finite_std(xs),
                      "R_ss_mean": _finite_mean([r["R_ss"] for r in sel]),
                      "growth_exponent_mean": _finite_mean([r["growth_exponent"] for r in sel]),
                      "seeds": len(sel), "capped": bool(all(r["xi_ss_capped"] for r in sel)),
                      **{f"{k}_ss_pattern_mean": _finite_mean([r.get(f"{k}_ss_pattern", math.nan) for r in sel])
                         for k in ("xi", "R", "wall_density")},
                      "xi_ss_pattern_std": _finite_std([r.get("xi_ss_pattern", math.nan) for r in sel]),
                      "pattern_capped": bool(all(r.get("xi_ss_pattern_capped", False) for r in sel)),
                      "finite_size_cap": float(config.size // 2)})
    return StudyResult(config=config, timeseries=rows, runs=runs, table=table, snapshots=snapshots)
