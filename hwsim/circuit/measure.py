"""Waveform measurements in numpy (no ``.meas``): crossings, thresholds, time constants, periods,
edges, pulse counts and supply energy.

Times in s, voltages in V, currents in A, energies in J, powers in W. Crossings are linearly
interpolated between samples, so their error is second order in the time step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit

from hwsim.errors import MeasurementError

__all__ = ["crossings", "thresholds", "fit_exponential_decay", "ExpFit", "period", "PeriodStats",
           "active_intervals", "edge_times", "supply_energy", "mean_supply_power", "count_pulses"]


def crossings(t: np.ndarray, y: np.ndarray, level: float, direction: str = "both") -> np.ndarray:
    """Times (s) at which ``y`` crosses ``level``, linearly interpolated.

    ``direction``: ``"rising"`` (from below to at-or-above), ``"falling"`` or ``"both"``.
    """
    if direction not in ("rising", "falling", "both"):
        raise ValueError(f"direction must be rising, falling or both, got {direction!r}")
    t = np.asarray(t, dtype=float)
    d = np.asarray(y, dtype=float) - level
    above = d >= 0
    idx = np.flatnonzero(above[1:] != above[:-1])
    if direction == "rising":
        idx = idx[above[idx + 1]]
    elif direction == "falling":
        idx = idx[~above[idx + 1]]
    d0, d1 = d[idx], d[idx + 1]
    frac = np.where(d1 != d0, -d0 / np.where(d1 != d0, d1 - d0, 1.0), 0.0)
    return t[idx] + frac * (t[idx + 1] - t[idx])


def thresholds(t: np.ndarray, x: np.ndarray, o: np.ndarray, vdd: float) -> tuple[float, float]:
    """Switching thresholds ``(VT+, VT-)`` in V of an inverting Schmitt trigger.

    VT+ is the input ``x`` when the output ``o`` falls through VDD/2 (input rising), VT- the
    input when ``o`` rises through VDD/2 (input falling); the first of each is used.
    """
    falls = crossings(t, o, vdd / 2, "falling")
    rises = crossings(t, o, vdd / 2, "rising")
    if len(falls) == 0 or len(rises) == 0:
        raise MeasurementError("the output never switched both ways: the input sweep does not reach "
                               "both thresholds (widen the sweep, check VDD and the device library)")
    return float(np.interp(falls[0], t, x)), float(np.interp(rises[0], t, x))


@dataclass(frozen=True)
class ExpFit:
    """``y = amplitude * exp(-(t - t0)/tau_s) + offset`` fitted by least squares; ``tau_err_s`` is
    the one-sigma uncertainty from the covariance; ``rms_residual`` in the units of y."""

    tau_s: float
    tau_err_s: float
    amplitude: float
    offset: float
    t0: float
    rms_residual: float


def fit_exponential_decay(t: np.ndarray, y: np.ndarray, t_start: float, t_end: float | None = None,
                          offset: float | None = 0.0) -> ExpFit:
    """Fit an exponential decay to ``y`` on ``[t_start, t_end]`` (s).

    ``offset``: the known asymptote (V), or ``None`` to fit it too.
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    mask = (t >= t_start) & (t <= (t[-1] if t_end is None else t_end))
    if mask.sum() < 5:
        raise MeasurementError(f"fewer than 5 samples in the fit window [{t_start}, {t_end}] s")
    tt, yy = t[mask] - t_start, y[mask]
    guess_tau = max((tt[-1] - tt[0]) / 3, 1e-15)
    if offset is None:
        model = lambda s, a, tau, c: a * np.exp(-s / tau) + c  # noqa: E731
        p0 = [yy[0] - yy[-1], guess_tau, yy[-1]]
    else:
        model = lambda s, a, tau: a * np.exp(-s / tau) + offset  # noqa: E731
        p0 = [yy[0] - offset, guess_tau]
    try:
        popt, pcov = curve_fit(model, tt, yy, p0=p0, maxfev=20000)
    except RuntimeError as exc:
        raise MeasurementError(f"exponential fit did not converge: {exc}") from exc
    resid = yy - model(tt, *popt)
    err = float(np.sqrt(pcov[1, 1])) if np.all(np.isfinite(pcov)) else float("nan")
    return ExpFit(tau_s=float(popt[1]), tau_err_s=err, amplitude=float(popt[0]),
                  offset=float(popt[2]) if offset is None else float(offset), t0=float(t_start),
                  rms_residual=float(np.sqrt(np.mean(resid ** 2))))


@dataclass(frozen=True)
class PeriodStats:
    """Period statistics from successive same-direction crossings: median, spread (std), count
    of full periods used, and the crossing times (s)."""

    median_s: float
    std_s: float
    count: int
    times_s: np.ndarray


def period(t: np.ndarray, y: np.ndarray, level: float, direction: str = "falling",
           skip: int = 2) -> PeriodStats:
    """Oscillation period (s) of ``y`` from its ``direction`` crossings of ``level``.

    The first ``skip`` periods (start-up transient after the kick) are left out.
    """
    times = crossings(t, y, level, direction)
    intervals = np.diff(times)[skip:]
    if len(intervals) < 1:
        raise MeasurementError(f"only {len(times)} {direction} crossings of {level:g} V: no periodic "
                               f"oscillation to measure (did the ring start? is t_stop long enough?)")
    return PeriodStats(median_s=float(np.median(intervals)), std_s=float(np.std(intervals)),
                       count=len(intervals), times_s=times)


def active_intervals(t: np.ndarray, o: np.ndarray, vdd: float) -> np.ndarray:
    """``(start, end)`` times (s) of each complete firing (output low, negative logic), shape (n, 2)."""
    falls = crossings(t, o, vdd / 2, "falling")
    rises = crossings(t, o, vdd / 2, "rising")
    pairs = []
    for start in falls:
        later = rises[rises > start]
        if len(later):
            pairs.append((start, later[0]))
    return np.asarray(pairs, dtype=float).reshape(-1, 2)


def edge_times(t: np.ndarray, y: np.ndarray, vdd: float, direction: str) -> np.ndarray:
    """10-90 % transition times (s) of every complete ``direction`` edge of ``y`` (0..VDD)."""
    lo, hi = 0.1 * vdd, 0.9 * vdd
    if direction == "rising":
        starts, ends = crossings(t, y, lo, "rising"), crossings(t, y, hi, "rising")
    elif direction == "falling":
        starts, ends = crossings(t, y, hi, "falling"), crossings(t, y, lo, "falling")
    else:
        raise ValueError(f"direction must be rising or falling, got {direction!r}")
    out = []
    for s in starts:
        later = ends[ends >= s]
        if len(later):
            out.append(later[0] - s)
    return np.asarray(out)


def supply_energy(t: np.ndarray, v_supply: np.ndarray | float, i_source: np.ndarray,
                  t0: float | None = None, t1: float | None = None) -> float:
    """Energy (J) the supply delivers on ``[t0, t1]``: integral of ``-v * i`` dt.

    ``i_source`` is ngspice's branch current of the voltage source (positive into its + node, so
    negative while it delivers power).
    """
    t = np.asarray(t, dtype=float)
    power = -np.broadcast_to(v_supply, t.shape) * np.asarray(i_source, dtype=float)
    t0 = t[0] if t0 is None else t0
    t1 = t[-1] if t1 is None else t1
    inside = (t > t0) & (t < t1)
    tt = np.concatenate([[t0], t[inside], [t1]])
    pp = np.concatenate([[np.interp(t0, t, power)], power[inside], [np.interp(t1, t, power)]])
    return float(np.trapezoid(pp, tt))


def mean_supply_power(t, v_supply, i_source, t0=None, t1=None) -> float:
    """Average power (W) delivered by the supply on ``[t0, t1]``."""
    t = np.asarray(t, dtype=float)
    t0 = t[0] if t0 is None else t0
    t1 = t[-1] if t1 is None else t1
    return supply_energy(t, v_supply, i_source, t0, t1) / (t1 - t0)


def count_pulses(t: np.ndarray, outputs: list[np.ndarray], vdd: float, t0: float, t1: float) -> float:
    """Mean number of pulses circulating in a ring on ``[t0, t1]`` (s).

    In a differentiating ring exactly one neuron per pulse is active (output low) at a time: a
    pulse hops when its active neuron returns to rest and fires the next. So the number of pulses
    is the summed duty cycle of all neurons; round it for the orbit class k.
    """
    mask = (t >= t0) & (t <= t1)
    if mask.sum() < 2:
        raise MeasurementError(f"no samples in the window [{t0}, {t1}] s")
    tt = t[mask]
    active = sum((np.asarray(o)[mask] < vdd / 2).astype(float) for o in outputs)
    return float(np.trapezoid(active, tt) / (tt[-1] - tt[0]))
