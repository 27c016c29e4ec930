"""Measurements on synthetic waveforms with known answers."""

import numpy as np
import pytest

from hwsim.circuit.measure import (
    active_intervals,
    count_pulses,
    crossings,
    edge_times,
    fit_exponential_decay,
    mean_supply_power,
    period,
    supply_energy,
    thresholds,
)
from hwsim.errors import MeasurementError

from tolerances import CROSSING_ABS_S


def test_crossings_linear_exact():
    t = np.array([0.0, 1.0, 2.0, 3.0])
    y = np.array([0.0, 1.0, 0.0, 1.0])
    assert np.allclose(crossings(t, y, 0.25, "rising"), [0.25, 2.25])
    assert np.allclose(crossings(t, y, 0.25, "falling"), [1.75])
    assert np.allclose(crossings(t, y, 0.25), [0.25, 1.75, 2.25])


def test_crossings_sine():
    f = 1e5
    t = np.linspace(0, 3 / f, 3001)
    y = np.sin(2 * np.pi * f * t + 0.1)
    rising = crossings(t, y, 0.0, "rising")
    expected = (np.arange(1, 4) - 0.1 / (2 * np.pi)) / f
    assert np.allclose(rising, expected[: len(rising)], atol=CROSSING_ABS_S)


def test_thresholds_of_ideal_schmitt():
    vdd, hi, lo = 1.8, 0.9, 0.36
    t = np.linspace(0, 2, 20001)
    x = np.where(t < 1, t, 2 - t) * vdd
    o = np.empty_like(x)
    state = vdd
    for i, v in enumerate(x):
        state = 0.0 if v >= hi else (vdd if v < lo else state)
        o[i] = state
    vtp, vtm = thresholds(t, x, o, vdd)
    assert vtp == pytest.approx(hi, abs=2 * vdd / 10000)
    assert vtm == pytest.approx(lo, abs=2 * vdd / 10000)


def test_exponential_fit_recovers_tau():
    t = np.linspace(0, 10e-6, 5001)
    y = 1.7 * np.exp(-t / 1.3e-6)
    fit = fit_exponential_decay(t, y, 0.5e-6, 6e-6)
    assert fit.tau_s == pytest.approx(1.3e-6, rel=1e-6)
    assert fit.rms_residual < 1e-9
    free = fit_exponential_decay(t, y + 0.2, 0.5e-6, None, offset=None)
    assert free.tau_s == pytest.approx(1.3e-6, rel=1e-5)
    assert free.offset == pytest.approx(0.2, abs=1e-6)


def test_period_and_pulses_of_square_wave():
    vdd, T = 1.8, 10e-6
    t = np.linspace(0, 30 * T, 300001)
    # neuron k of a 5-ring active (low) during [k, k+1) * T/5 of every period: one pulse
    outs = [np.where(((t / (T / 5)).astype(int) % 5) == k, 0.0, vdd) for k in range(5)]
    p = period(t, outs[0], vdd / 2, "falling")
    assert p.median_s == pytest.approx(T, rel=1e-4)
    assert count_pulses(t, outs, vdd, 2 * T, 28 * T) == pytest.approx(1.0, abs=1e-3)
    widths = np.diff(active_intervals(t, outs[1], vdd), axis=1)
    assert np.allclose(widths, T / 5, rtol=1e-3)


def test_period_needs_oscillation():
    t = np.linspace(0, 1, 100)
    with pytest.raises(MeasurementError, match="no periodic"):
        period(t, np.zeros_like(t), 0.5)


def test_edge_times_of_ramps():
    t = np.linspace(0, 4e-9, 4001)
    y = np.clip((t - 1e-9) / 1e-9, 0, 1) * 1.8  # 0 -> 1.8 V in 1 ns
    assert edge_times(t, y, 1.8, "rising")[0] == pytest.approx(0.8e-9, rel=1e-6)


def test_supply_energy_constant_current():
    t = np.linspace(0, 1e-6, 1001)
    i = -np.full_like(t, 2e-6)  # source delivers 2 uA at 1.8 V
    assert supply_energy(t, 1.8, i) == pytest.approx(1.8 * 2e-6 * 1e-6, rel=1e-12)
    assert supply_energy(t, 1.8, i, 0.25e-6, 0.5e-6) == pytest.approx(1.8 * 2e-6 * 0.25e-6, rel=1e-9)
    assert mean_supply_power(t, 1.8, i) == pytest.approx(3.6e-6, rel=1e-12)
