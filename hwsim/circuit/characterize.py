"""Cell characterisation: thresholds, time constant, ring periods for a range of N, energies.

One verb, :func:`characterize`, runs the benches in ``netlists/benches`` (hysteresis, step,
static) and generated rings through the SPICE layer, measures them with :mod:`hwsim.circuit.measure` and
returns a :class:`Characterization` (SI units inside; ``_s``, ``_v``, ``_j``, ``_w`` suffixes in
its dictionaries and tables).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from hwsim import __version__
from hwsim.circuit.cell import Cell, cell_from_dict
from hwsim.circuit.devices import CORNERS, LIBRARIES
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
from hwsim.circuit.netlist import BENCH_DIR, render, ring_netlist
from hwsim.errors import InputError, MeasurementError

__all__ = ["Conditions", "CellFeatures", "RingFeatures", "PeriodLaw", "Characterization", "run_hysteresis", "run_ring",
           "characterize", "measure_hysteresis", "measure_step", "measure_static", "measure_ring",
           "fit_period_law", "SupplyTable", "measure_supply_table", "hop_estimate", "run_step", "step_supply",
           "EDGE_WINDOW_S", "sub_threshold_amplitude"]

#: Expected hop time of a pulse in units of RC, used only to size simulation windows (sky130 tt
#: and generic tt rings hop in about 2 RC; 2.6 leaves room for slow corners).
HOP_ESTIMATE_RC = 2.6


@dataclass(frozen=True)
class Conditions:
    """Operating point of a characterisation: device library and corner, supply (V), temperature
    (deg C), the neuron's R (ohm) and C (F), whether x is clamped, SPICE backend and per-run timeout
    (s), and the cell (``None``: the built-in one; else a :class:`~hwsim.circuit.cell.Cell` or
    its stored dictionary, re-checked here). With a foreign cell VDD may be 0.5-15 V; with its own
    models ``corner`` names a section of its model file and ``library`` is not used."""

    library: str = "sky130"
    corner: str = "tt"
    vdd_v: float = 1.8
    temp_c: float = 27.0
    r_ohm: float = 1e6
    c_f: float = 1e-12
    clamp: bool = True
    backend: str = "shared"
    timeout_s: float = 600.0
    cell: Cell | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "cell", cell_from_dict(self.cell))
        if self.library not in LIBRARIES:
            raise InputError(f"library: unknown device library {self.library!r}; choose {', '.join(LIBRARIES)}")
        own = self.cell is not None and self.cell.own_models
        if own and self.corner not in (self.cell.sections or ("tt",)):
            raise InputError(f"corner: {self.corner!r} is not a section of cell {self.cell.label}'s models "
                             f"({', '.join(self.cell.sections) or 'none: use tt'})")
        if not own and self.corner not in CORNERS:
            raise InputError(f"corner: unknown corner {self.corner!r}; choose {', '.join(CORNERS)}")
        vdd_range = (0.8, 3.6, "V (sky130 core devices are 1.8 V parts)") if self.cell is None else (0.5, 15.0, "V")
        checks = {"vdd_v": vdd_range,
                  "temp_c": (-55.0, 150.0, "deg C"), "r_ohm": (1e2, 1e10, "ohm"),
                  "c_f": (1e-15, 1e-6, "F"), "timeout_s": (1.0, 1e6, "s")}
        for name, (lo, hi, unit) in checks.items():
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi):
                raise InputError(f"{name}: {value!r} is outside [{lo:g}, {hi:g}] {unit}")

    @classmethod
    def of_card(cls, conditions: dict, **overrides) -> Conditions:
        """The conditions a card was characterised at (its ``conditions`` mapping: library,
        corner, VDD, temperature, R, C, clamp and the cell), with ``overrides`` (e.g. backend)."""
        keys = ("library", "corner", "vdd_v", "temp_c", "r_ohm", "c_f", "clamp")
        return cls(**{**{k: conditions[k] for k in keys}, "cell": conditions.get("cell"), **overrides})

    @property
    def rc_s(self) -> float:
        """Nominal time constant R*C in s (without the Schmitt input capacitance)."""
        return self.r_ohm * self.c_f

    @property
    def t_step_s(self) -> float:
        """Maximum SPICE time step in s: RC/200 (5 ns at RC = 1 us). On sky130 and generic rings
        of 3 this moved the period by 0.1 % against RC/500 and ran 30 % faster; RC/100 moved it
        by 0.5 %."""
        return self.rc_s / 200

    @property
    def step_rise_s(self) -> float:
        """Rise time of the step bench's input in s: 1 ns, or 1e-4 RC for slow (discrete) neurons,
        whose real drivers (tens of ohm into C) cannot make a 1 ns edge either; an ideal 1 ns edge
        into 0.22 uF would need amperes through the input clamp."""
        return max(1e-9, 1e-4 * self.rc_s)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (the cell as :meth:`~hwsim.circuit.cell.Cell.to_dict`)."""
        data = asdict(self)
        data["cell"] = self.cell.to_dict() if self.cell is not None else None
        return data

    def params(self) -> dict[str, float]:
        """``.param`` overrides shared by the neuron benches."""
        return {"vdd": self.vdd_v, "nv_r": self.r_ohm, "nv_c": self.c_f}

    def render(self, source, **kwargs):
        """Render a bench with these conditions (library, corner, temperature, clamp)."""
        swap = None if self.clamp else {"nv_neuron": "nv_neuron_noclamp"}
        return render(source, library=self.library, corner=self.corner, temp_c=self.temp_c, swap=swap,
                      cell=self.cell, **kwargs)


@dataclass(frozen=True)
class CellFeatures:
    """Single-neuron features. Thresholds in V; ``tau_s``: decay time constant of x after an input
    step (R times C plus the Schmitt input capacitance); ``x_jump_ratio``: jump of x over VDD for a
    1 ns input step (the capacitive divider C/(C + C_in)); ``fire_width_s``: how long the stepped
    neuron stays active; ``delay_s``: x crossing VT+ to o crossing VDD/2; ``fall_s``/``rise_s``:
    10-90 % output edges; ``static_power_w``: supply power of one neuron at rest."""

    vt_plus_v: float
    vt_minus_v: float
    tau_s: float
    tau_err_s: float
    x_jump_ratio: float
    fire_width_s: float
    delay_s: float
    fall_s: float
    rise_s: float
    x_min_v: float
    v_oh_v: float
    v_ol_v: float
    static_power_w: float


@dataclass(frozen=True)
class RingFeatures:
    """Features of a free-running ring of ``n`` neurons kicked once at neuron 0.

    ``period_s``: median time between successive firings of neuron 0 (start-up left out);
    ``pulses``: mean number of circulating pulses (summed duty cycle; the orbit class k is its
    rounding); ``pulse_width_s``: median firing duration; ``energy_per_period_j``: supply energy
    per period of the whole ring; ``energy_per_event_j``: supply energy per firing event;
    ``power_w``: mean supply power while oscillating; ``sustained``: still firing at the end;
    ``vt_minus_ring_v``: median x (V) where a firing ends in the ring (the output crosses VDD/2
    rising), i.e. VT- at the ring's own slew and load."""

    n: int
    period_s: float
    period_std_s: float
    n_periods: int
    pulses: float
    pulse_width_s: float
    duty: float
    fall_s: float
    rise_s: float
    energy_per_period_j: float
    energy_per_event_j: float
    power_w: float
    sustained: bool
    sim_time_s: float
    vt_minus_ring_v: float = float("nan")


@dataclass(frozen=True)
class PeriodLaw:
    """Least-squares line ``period = slope * N + intercept`` over the measured rings (s), with
    standard errors and R^2."""

    slope_s: float
    slope_err_s: float
    intercept_s: float
    intercept_err_s: float
    r_squared: float


@dataclass(frozen=True)
class Characterization:
    """Everything :func:`characterize` measured, with provenance."""

    conditions: Conditions
    cell: CellFeatures
    rings: tuple[RingFeatures, ...]
    period_law: PeriodLaw | None
    provenance: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (SI units, unit suffixes on keys)."""
        return {"conditions": self.conditions.to_dict(), "cell": asdict(self.cell),
                "rings": [asdict(r) for r in self.rings],
                "period_law": asdict(self.period_law) if self.period_law else None,
                "provenance": self.provenance}

    def ring_table(self):
        """Pandas DataFrame, one row per ring size N, with the conditions and cell features as
        columns (for CSV export)."""
        import pandas as pd

        rows = []
        for ring in self.rings:
            row = {f"cond_{k}": v for k, v in self.conditions.to_dict().items() if k != "cell"}
            row["cond_cell"] = self.conditions.cell.label if self.conditions.cell else "builtin"
            row.update({f"cell_{k}": v for k, v in asdict(self.cell).items()})
            row.update(asdict(ring))
            rows.append(row)
        return pd.DataFrame(rows)


def run_hysteresis(cond: Conditions, t_ramp_s: float = 20e-6):
    """Run the hysteresis bench (triangle sweep of the Schmitt input, 0 -> VDD -> 0 over
    2 ``t_ramp_s``) and return the SpiceResult (vectors ``x``, ``o``)."""
    from hwsim.circuit.spice import run_deck

    deck = cond.render("benches/hysteresis.sp", params={"vdd": cond.vdd_v, "t_ramp": t_ramp_s,
                                                         "t_step": t_ramp_s / 4000})
    return run_deck(deck, backend=cond.backend, timeout_s=cond.timeout_s)


def measure_hysteresis(cond: Conditions, t_ramp_s: float = 20e-6, result=None) -> tuple[float, float]:
    """VT+ and VT- (V) from a triangle sweep of the Schmitt input (:func:`run_hysteresis`;
    ``result``: a finished one to reuse)."""
    res = result if result is not None else run_hysteresis(cond, t_ramp_s)
    t, x, o, vdd = res.time, res["x"], res["o"], cond.vdd_v
    what = f"cell {cond.cell.label}" if cond.cell else "the built-in cell"
    falls, rises = crossings(t, o, vdd / 2, "falling"), crossings(t, o, vdd / 2, "rising")
    if len(falls) == 0 and len(rises) == 0:
        raise MeasurementError(f"{what} does not switch: its output stayed between {np.min(o):.3g} V and "
                               f"{np.max(o):.3g} V while the input swept 0 -> {vdd:g} V -> 0 (check the ports, "
                               "the supply and the models)")
    first = min([*falls[:1], *rises[:1]])
    if len(rises) and first == rises[0] and first < t_ramp_s:
        raise MeasurementError(f"{what} switches the wrong way: its output rose through {vdd / 2:g} V at input "
                               f"{np.interp(first, t, x):.3g} V on the rising sweep; hwsim needs an inverting "
                               "Schmitt trigger (add an inverter or swap the output port)")
    vt_plus, vt_minus = thresholds(t, x, o, vdd)
    if vt_plus - vt_minus < 0.01 * vdd:
        raise MeasurementError(f"{what} has no hysteresis: its output switched at {vt_plus:.3g} V rising and "
                               f"{vt_minus:.3g} V falling; a differentiating neuron needs VT+ - VT- of at least "
                               f"{0.01 * vdd:.3g} V (1 % of VDD)")
    return vt_plus, vt_minus


def run_step(cond: Conditions, u_amp_v: float | None = None):
    """Run the step bench (input up by ``u_amp_v``, default VDD, at 1 RC and back down 6 RC later)
    and return the SpiceResult."""
    from hwsim.circuit.spice import run_deck

    t_edge, t_rise, t_hold = cond.rc_s, cond.step_rise_s, 6 * cond.rc_s
    t_stop = t_edge + t_hold + 3 * cond.rc_s
    deck = cond.render("benches/step.sp", params={
        **cond.params(), "u_amp": cond.vdd_v if u_amp_v is None else u_amp_v, "t_edge": t_edge, "t_rise": t_rise,
        "t_hold": t_hold, "t_stop": t_stop, "t_step": cond.t_step_s / 2})
    return run_deck(deck, backend=cond.backend, timeout_s=cond.timeout_s)


def measure_step(cond: Conditions, vt_plus_v: float | None = None, result=None) -> dict[str, float]:
    """Step-response features of one neuron (see :class:`CellFeatures`); ``vt_plus_v`` (V) is
    needed for the propagation delay (NaN without it). The input rises at 1 RC and falls back
    6 RC later; the falling edge gives the clamp level (``x_min_v``). ``result``: a finished
    :func:`run_step` to reuse."""
    res = result if result is not None else run_step(cond)
    t_edge, t_rise, t_hold = cond.rc_s, cond.step_rise_s, 6 * cond.rc_s
    t, x, o = res.time, res["x"], res["o"]
    rising = (t >= t_edge + t_rise) & (t < t_edge + t_hold)
    i_peak = np.flatnonzero(rising)[np.argmax(x[rising])]
    x_peak = float(x[i_peak])
    # tau from the decay of x once the output edges are over: from 30 % past the peak to 5 % of VDD.
    start = t[i_peak] + 0.3 * cond.rc_s
    below = crossings(t, x, 0.05 * cond.vdd_v, "falling")
    end = below[below > start][0] if np.any(below > start) else t_edge + t_hold
    fit = fit_exponential_decay(t, x, start, end, offset=0.0)
    fires = active_intervals(t, o, cond.vdd_v)
    if len(fires) == 0:
        raise MeasurementError(f"the neuron did not fire on a {cond.vdd_v} V input step: x peaked at "
                               f"{x_peak:.3f} V; check VT+ and the C/(C + C_in) divider")
    up = crossings(t, x, vt_plus_v, "rising") if vt_plus_v is not None else []
    delay = float(fires[0, 0] - up[0]) if len(up) else float("nan")
    at_rest = (t > fires[0, 1] + 0.1 * cond.rc_s) & (t < t_edge + t_hold)
    return {"tau_s": fit.tau_s, "tau_err_s": fit.tau_err_s, "x_jump_ratio": x_peak / cond.vdd_v,
            "fire_width_s": float(fires[0, 1] - fires[0, 0]), "delay_s": delay,
            "fall_s": float(np.median(edge_times(t, o, cond.vdd_v, "falling"))),
            "rise_s": float(np.median(edge_times(t, o, cond.vdd_v, "rising"))),
            "x_min_v": float(np.min(x[t > t_edge + t_hold])),
            "v_oh_v": float(np.median(o[at_rest])) if at_rest.any() else float("nan"),
            "v_ol_v": float(np.min(o))}


def measure_gate_step(cond: Conditions) -> dict[str, float]:
    """What an AND2 gate in front of the neuron adds (gate rule, shared neurons): the step bench run
    with and without the gate (``benches/gate_step.sp`` vs ``benches/step.sp``, the same input
    edge at 1 RC). Returns ``delay_added_s`` (the neuron's output fall later behind the gate, s),
    ``gate_delay_s`` (input a to gate output u, both at VDD/2, s), ``gate_cycle_j`` (energy the
    gate's own supply delivers, less its static power, from its output rise to 0.2 RC after its
    fall 6 RC later: the coupling capacitor's charge, ~C VDD^2 since x decays back to ~0, plus
    crowbar, J), ``gate_rise_j`` (the same over the first 0.2 RC after the rise), ``gate_static_w``
    (its supply power at rest, W) and the two runs' output-fall times (s)."""
    from hwsim.circuit.spice import run_deck

    t_edge, t_rise, t_hold = cond.rc_s, cond.step_rise_s, 6 * cond.rc_s
    params = {**cond.params(), "u_amp": cond.vdd_v, "t_edge": t_edge, "t_rise": t_rise, "t_hold": t_hold,
              "t_stop": t_edge + t_hold + 3 * cond.rc_s, "t_step": cond.t_step_s / 2}
    gated = run_deck(cond.render("benches/gate_step.sp", params=params), backend=cond.backend,
                     timeout_s=cond.timeout_s)
    plain = run_step(cond)
    half = cond.vdd_v / 2
    fall_at = [_first(crossings(r.time, r["o"], half, "falling"), "the neuron's output never fell")
               for r in (gated, plain)]
    a_up = _first(crossings(gated.time, gated["a"], half, "rising"), "input a never rose")
    u_up = _first(crossings(gated.time, gated["u"], half, "rising"), "the AND output never rose")
    t, i_g = gated.time, gated["i(vddg)"]
    window = 0.2 * cond.rc_s  # the gate's edge is over in ns; x moves the gate's load for longer
    static = float(np.median(-cond.vdd_v * i_g[(t > 0.2 * t_edge) & (t < 0.8 * t_edge)]))
    return {"delay_added_s": fall_at[0] - fall_at[1], "gate_delay_s": u_up - a_up,
            "gate_rise_j": supply_energy(t, cond.vdd_v, i_g, t_edge, t_edge + window) - static * window,
            "gate_cycle_j": supply_energy(t, cond.vdd_v, i_g, t_edge, t_edge + t_hold + window)
            - static * (t_hold + window), "gate_static_w": static, "fall_gated_s": fall_at[0],
            "fall_plain_s": fall_at[1]}


def _first(times: np.ndarray, why: str) -> float:
    if not len(times):
        raise MeasurementError(f"gate step bench: {why}")
    return float(times[0])


def measure_static(cond: Conditions) -> float:
    """Supply power (W) of one neuron at rest, from the operating point."""
    from hwsim.circuit.spice import run_deck

    deck = cond.render("benches/static.sp", params={"vdd": cond.vdd_v, "nv_r": cond.r_ohm,
                                                     "nv_c": cond.c_f})
    res = run_deck(deck, backend=cond.backend, timeout_s=cond.timeout_s)
    return float(-cond.vdd_v * res["i(vdd)"][0])


def run_ring(cond: Conditions, n: int, periods: int = 25, skip: int = 2, hop_s: float | None = None,
             mismatch_seed: int | None = None):
    """Run a ring of ``n`` neurons, kicked once at t = RC (neuron 0), for about ``periods + skip + 1``
    periods and return the SpiceResult (vectors ``o0..o<n-1>``, ``x0..``, ``i(vdd)``).

    ``hop_s``: expected hop time of the pulse (s), which sizes the simulated window; default
    :data:`HOP_ESTIMATE_RC` RC. A good estimate is a little more than the step response's firing
    width (:func:`hop_estimate`). ``mismatch_seed``: switch on sky130's device mismatch with this
    seed (:func:`hwsim.circuit.netlist.with_mismatch`).
    """
    from hwsim.circuit.netlist import with_mismatch
    from hwsim.circuit.spice import run_deck

    if n < 2:
        raise InputError(f"ring size must be >= 2, got {n}")
    kick_at = cond.rc_s
    hop_s = HOP_ESTIMATE_RC * cond.rc_s if hop_s is None else hop_s
    t_stop = kick_at + (periods + skip + 1) * n * hop_s
    text = ring_netlist(n, clamp=cond.clamp, library=cond.library, corner=cond.corner)
    deck = cond.render(BENCH_DIR, text=text, name=f"ring{n}", params={
        **cond.params(), "kick_q": 2 * cond.c_f * cond.vdd_v, "kick_t": cond.rc_s / 10,
        "kick_at": kick_at, "t_stop": t_stop, "t_step": cond.t_step_s})
    if mismatch_seed is not None:
        deck = with_mismatch(deck, mismatch_seed)
    return run_deck(deck, backend=cond.backend, timeout_s=cond.timeout_s)


def measure_ring(cond: Conditions, n: int, periods: int = 25, skip: int = 2,
                 hop_s: float | None = None, result=None) -> RingFeatures:
    """Measure a ring of ``n`` neurons kicked once (:func:`run_ring`, same arguments; ``result``:
    a finished run to reuse): period, pulses, widths, edges, energies."""
    res = result if result is not None else run_ring(cond, n, periods, skip, hop_s)
    t, vdd = res.time, cond.vdd_v
    outputs = [res[f"o{k}"] for k in range(n)]
    stats = period(t, outputs[0], vdd / 2, "falling", skip=skip)
    starts = stats.times_s[skip:]
    t0, t1 = starts[0], starts[-1]
    energies = [supply_energy(t, vdd, res["i(vdd)"], a, b) for a, b in zip(starts[:-1], starts[1:])]
    events = sum(int(np.sum((crossings(t, o, vdd / 2, "falling") >= t0)
                            & (crossings(t, o, vdd / 2, "falling") < t1))) for o in outputs)
    total = supply_energy(t, vdd, res["i(vdd)"], t0, t1)
    widths = np.concatenate([np.diff(active_intervals(t, o, vdd), axis=1).ravel() for o in outputs])
    pulses = count_pulses(t, outputs, vdd, t0, t1)
    return RingFeatures(
        n=n, period_s=stats.median_s, period_std_s=stats.std_s, n_periods=stats.count,
        pulses=pulses, pulse_width_s=float(np.median(widths)), duty=pulses / n,
        fall_s=float(np.median(edge_times(t, outputs[0], vdd, "falling"))),
        rise_s=float(np.median(edge_times(t, outputs[0], vdd, "rising"))),
        energy_per_period_j=float(np.median(energies)),
        energy_per_event_j=total / max(events, 1),
        power_w=mean_supply_power(t, vdd, res["i(vdd)"], t0, t1),
        sustained=bool(t[-1] - stats.times_s[-1] < 2 * stats.median_s),
        sim_time_s=res.elapsed_s, vt_minus_ring_v=_x_at_firing_ends(res, n, vdd, t0, t1))


def _x_at_firing_ends(res, n: int, vdd: float, t0: float, t1: float) -> float:
    """Median x (V), linearly interpolated, where a ring neuron's output crosses VDD/2 rising
    (a firing ends) in [t0, t1) s; NaN when the run has no x vectors or no such crossing."""
    values = []
    for k in range(n):
        try:
            x = res[f"x{k}"]
        except KeyError:
            return float("nan")
        ends = crossings(res.time, res[f"o{k}"], vdd / 2, "rising")
        ends = ends[(ends >= t0) & (ends < t1)]
        values.extend(np.interp(ends, res.time, x))
    return float(np.median(values)) if values else float("nan")


def hop_estimate(step: dict) -> float:
    """Expected ring hop (s) from step-response features: 1.15 times the firing width (a ring's
    hop is a few % shorter than the step's firing width, as x starts below 0 there)."""
    return 1.15 * step["fire_width_s"]


def fit_period_law(rings: Sequence[RingFeatures]) -> PeriodLaw | None:
    """Fit ``period = slope * N + intercept`` (s) over rings with one pulse; None if < 3 rings."""
    from scipy.stats import linregress

    usable = [r for r in rings if round(r.pulses) == 1]
    if len(usable) < 3:
        return None
    fit = linregress([r.n for r in usable], [r.period_s for r in usable])
    return PeriodLaw(slope_s=float(fit.slope), slope_err_s=float(fit.stderr),
                     intercept_s=float(fit.intercept), intercept_err_s=float(fit.intercept_stderr),
                     r_squared=float(fit.rvalue ** 2))


def characterize(cond: Conditions, ring_sizes: Sequence[int] = (3, 4, 5, 6, 7, 8), periods: int = 25,
                 progress: Callable[[str], None] | None = None) -> Characterization:
    """Characterise the neuron and its rings at ``cond``.

    Runs the hysteresis, step and static benches, then a ring for every size in ``ring_sizes``
    (each for about ``periods`` periods). ``progress`` is called with a label before each run.
    """
    from hwsim.circuit.spice import ngspice_version

    sizes = sorted(set(int(n) for n in ring_sizes))
    if not sizes or sizes[0] < 2:
        raise InputError(f"ring sizes must be integers >= 2, got {list(ring_sizes)}")
    note = progress or (lambda label: None)
    note("hysteresis")
    vt_plus, vt_minus = measure_hysteresis(cond)
    note("step response")
    step = measure_step(cond, vt_plus)
    note("static power")
    static = measure_static(cond)
    cell = CellFeatures(vt_plus_v=vt_plus, vt_minus_v=vt_minus, static_power_w=static, **step)
    rings = []
    for n in sizes:
        note(f"ring N={n}")
        rings.append(measure_ring(cond, n, periods=periods, hop_s=hop_estimate(step)))
    provenance = {"hwsim": __version__, "ngspice": ngspice_version(), "backend": cond.backend,
                  "time_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    return Characterization(conditions=cond, cell=cell, rings=tuple(rings),
                            period_law=fit_period_law(rings), provenance=provenance)


@dataclass(frozen=True)
class SupplyTable:
    """Quasi-static supply current of one neuron vs its input node x, on both Schmitt branches.

    ``x_v``: increasing grid (V); ``i_rest_a``: supply current (A) with the neuron at rest (o high),
    valid up to VT+; ``i_fire_a``: while firing (o low), valid down to VT-. Outside its valid range a
    branch is held at its last measured value. ``i_leak_a`` = ``i_rest_a`` at x = 0.
    """

    x_v: tuple[float, ...]
    i_rest_a: tuple[float, ...]
    i_fire_a: tuple[float, ...]

    @property
    def i_leak_a(self) -> float:
        """Supply current (A) of a resting neuron at x = 0: its leakage."""
        return float(np.interp(0.0, self.x_v, self.i_rest_a))

    def to_dict(self) -> dict:
        """JSON-ready dictionary (x in V, currents in A)."""
        return {"x_v": list(self.x_v), "i_rest_a": list(self.i_rest_a), "i_fire_a": list(self.i_fire_a)}


def measure_supply_table(cond: Conditions, t_ramp_s: float = 20e-6, points: int = 91) -> SupplyTable:
    """Supply current vs x from the hysteresis bench (slow triangle on x, both branches).

    The rising half gives the rest branch up to VT+, the falling half the firing branch down to VT-.
    While firing, the feedback PMOS P3 opens a path vdd -> P1 -> P3 -> vss as soon as x is one
    threshold below VDD: that crowbar current, integrated along the slow decay of x, is most of a
    neuron's energy per event.
    """
    from hwsim.circuit.spice import run_deck

    deck = cond.render("benches/hysteresis.sp", params={"vdd": cond.vdd_v, "t_ramp": t_ramp_s,
                                                         "t_step": t_ramp_s / 4000})
    res = run_deck(deck, backend=cond.backend, timeout_s=cond.timeout_s)
    t, x, o, i = res.time, res["x"], res["o"], -res["i(vdd)"]
    up = crossings(t, o, cond.vdd_v / 2, "falling")[0]
    down = crossings(t, o, cond.vdd_v / 2, "rising")[0]
    grid = np.linspace(0.0, cond.vdd_v, points)
    rest = (t <= up) & (t <= t_ramp_s)
    fire = (t >= t_ramp_s) & (t <= down)
    xr, ir = x[rest], i[rest]
    xf, i_f = x[fire][::-1], i[fire][::-1]
    i_rest = np.interp(grid, xr, ir)
    i_fire = np.interp(grid, xf, i_f)
    return SupplyTable(tuple(map(float, grid)), tuple(map(float, i_rest)), tuple(map(float, i_fire)))


#: Time windows (s) around an output edge that count as switching, before and after the edge.
EDGE_WINDOW_S = (2e-9, 30e-9)


def step_supply(cond: Conditions, result, sub_result=None, points: int = 91) -> dict:
    """Energy figures of one firing event from the step bench (no load on o).

    ``e_edges_j``: supply energy above leakage in short windows around the output fall and rise
    (buffer and core switching, internal nodes); ``x_v``/``i_fire_dyn_a``: supply current vs x
    while firing, between the two edge windows, measured along the exponential decay of x, i.e.
    at the slew a ring sees (the DC sweep overestimates this crowbar current several-fold because
    the long P1 lags behind a moving x). ``i_rest_dyn_a``: the same on the rest branch, from
    ``sub_result``, a :func:`run_step` whose step stays below VT+ (x decays without firing).
    """
    t, x, o, i = result.time, result["x"], result["o"], -result["i(vdd)"]
    fires = active_intervals(t, o, cond.vdd_v)
    tf, tr = fires[0]
    before, after = EDGE_WINDOW_S
    leak = float(np.median(i[(t > cond.rc_s * 0.2) & (t < cond.rc_s * 0.9)]))
    edges = 0.0
    for t_e in (tf, tr):
        edges += supply_energy(t, cond.vdd_v, -(i - leak), t_e - before, t_e + after)
    plateau = (t > tf + after) & (t < tr - before)
    xp, ip = x[plateau][::-1], i[plateau][::-1]
    grid = np.linspace(0.0, cond.vdd_v, points)
    out = {"e_edges_j": edges, "i_leak_a": leak, "x_v": grid.tolist(), "i_fire_dyn_a": np.interp(grid, xp, ip).tolist()}
    if sub_result is not None:
        ts, xs, i_s = sub_result.time, sub_result["x"], -sub_result["i(vdd)"]
        if np.any(sub_result["o"] < cond.vdd_v / 2):
            raise MeasurementError("the sub-threshold step fired the neuron; lower its amplitude")
        decay = (ts > cond.rc_s + after) & (ts < 7 * cond.rc_s)
        out["i_rest_dyn_a"] = np.interp(grid, xs[decay][::-1], i_s[decay][::-1]).tolist()
    return out


def sub_threshold_amplitude(cond: Conditions, step: dict, vt_plus_v: float) -> float:
    """Input step (V) that moves x to 95 % of VT+ (no firing), from the measured divider."""
    return 0.95 * vt_plus_v / step["x_jump_ratio"]
