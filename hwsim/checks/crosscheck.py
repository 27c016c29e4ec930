"""Behavioural-to-transistor cross-check of small lattices.

:func:`crosscheck` builds the transistor-level netlist of a lattice (same graph, one coupling
capacitor per input: the circuit combines inputs capacitively; for ``rule = "gate"`` an AND gate in
front of each shared neuron's one capacitor), kicks one neuron of every ring
(:func:`~hwsim.lattice.topology.kick_neurons`) in ngspice and starts the behavioural model from the
matching state (``kick``), runs both and compares per-neuron firing times, ring periods, orbit
classes, neighbour phase relations at the end, and supply energy. Every tolerance lives in
:data:`TOLERANCES` with its reason. The behavioural model is run with the circuit's rule and the
summing rule; the rule whose firing times match the transistors better is reported as the one the
circuit follows."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from hwsim.analysis.power import estimate_power
from hwsim.analysis.sync import wrap
from hwsim.checks.spice_domains import lag_classes
from hwsim.checks.spice_lattice import run_spice_lattice
from hwsim.circuit.measure import crossings, supply_energy
from hwsim.lattice.simulate import SimConfig, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.card import ModelCard

__all__ = ["TOLERANCES", "CrossCheck", "crosscheck", "firing_offsets", "mean_period"]

#: metric -> (tolerance, reason). Periods and energy: the issue's 2 % and 10 %. The firing-time
#: tolerances are ours (set after the first runs, not issue requirements): the behavioural start
#: is not the SPICE current-pulse kick (x is charged above the behavioural x_max, so the kicked
#: neurons fire 0.4-0.7 us longer); SPICE times are aligned on the kicked neurons' first return to
#: rest (:func:`_kick_lag`), behavioural times are scaled by the SPICE/behavioural period ratio
#: (:func:`_period_ratio`; the period error is its own row), and what remains are phase errors.
#: Phases: pi/4, the domain tolerance of hwsim.analysis.sync.
TOLERANCES = {
    "ring_period_rel": (0.02, "issue 7: ring periods within 2 %"),
    "firing_offset_over_period": (0.10, "median distance from a SPICE firing to the nearest behavioural firing "
                                        "of the same neuron, in ring periods (times aligned on the kicked "
                                        "neurons' first return to rest, behavioural times scaled by the "
                                        "period ratio): phase errors"),
    "unmatched_firings_frac": (0.10, "SPICE firings (after the kicks' own response) without a behavioural "
                                     "firing of the same neuron within 10 % of a period"),
    "orbit_class_diff": (0, "same number of circulating pulses per ring"),
    "final_lag_rad": (math.pi / 4, "neighbour phase differences at the end agree within pi/4"),
    "lock_class_disagreement_frac": (0.10, "issue 16: neighbour lock classes at the end (in phase |lag| < pi/4, "
                                           "anti-phase > 3 pi/4, other) equal on >= 90 % of the bonds"),
    "energy_rel": (0.10, "issue 6/7: supply energy within 10 % (from 2 RC after the kicks)"),
}


@dataclass(frozen=True)
class CrossCheck:
    """Result: one row per metric (value, tolerance, pass, reason), the preferred rule, timings, the
    traces needed for plots and the setup (cards, lattice, duration, engine, kicks, alignment) that
    makes the saved result self-describing."""

    rows: list[dict]
    rule: str
    rule_scores: dict
    spice_wall_s: float
    behavioural_wall_s: float
    traces: dict = field(default_factory=dict)
    setup: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every row of the comparison is within its tolerance."""
        return all(r["ok"] for r in self.rows)


def _spice_onsets(res, n: int, vdd: float, t_shift: float) -> list[np.ndarray]:
    return [crossings(res.time, res[f"o{i}"], vdd / 2, "falling") - t_shift for i in range(n)]


def _model_onsets(run, n: int) -> list[np.ndarray]:
    return run.events.onsets_of(range(n))


def _signed_offsets(ts: np.ndarray, tm: np.ndarray) -> np.ndarray:
    """Each time of ``ts`` minus the nearest time of the sorted ``tm`` (s; +inf when ``tm`` is empty)."""
    if len(tm) == 0:
        return np.full(len(ts), np.inf)
    idx = np.clip(np.searchsorted(tm, ts), 1, len(tm) - 1) if len(tm) > 1 else np.zeros(len(ts), int)
    after, before = ts - tm[idx], ts - tm[np.maximum(idx - 1, 0)]
    return np.where(np.abs(after) <= np.abs(before), after, before)


def firing_offsets(spice: list[np.ndarray], model: list[np.ndarray], t_max: float,
                   period: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(SPICE firing times before t_max - period (s), their neurons, their signed distances to the
    nearest behavioural firing of the same neuron (s, SPICE minus model; +inf without one)), in
    neuron order."""
    times, neurons, offsets = [], [], []
    for i, (ts, tm) in enumerate(zip(spice, model)):
        ts = ts[ts < t_max - period]
        times.append(ts)
        neurons.append(np.full(len(ts), i))
        offsets.append(_signed_offsets(ts, tm))
    if not times:
        return np.zeros(0), np.zeros(0, int), np.zeros(0)
    return np.concatenate(times), np.concatenate(neurons), np.concatenate(offsets)


def _match(spice: list[np.ndarray], model: list[np.ndarray], t_max: float, period: float) -> tuple[float, float]:
    """(median distance from each SPICE firing before t_max - period to the nearest behavioural firing
    of the same neuron, fraction of those farther than period/10); (0, 0) without firings."""
    d = np.abs(firing_offsets(spice, model, t_max, period)[2])
    if not len(d):
        return 0.0, 0.0
    return float(np.median(d)), float(np.mean(d > period / 10))


def mean_period(onsets: np.ndarray) -> float:
    """Mean interval (s) of increasing ``onsets`` (>= 2 of them), robust to a missed or an extra firing:
    their span over the number of intervals, each interval counted as the whole number of median
    intervals nearest to it (a missed firing's gap counts 2, an extra firing's short gap 0). A ring
    whose intervals repeat unequally (the keeper triangular lattice in ngspice: 3.797, 3.797, 3.823
    us) has the mean as its period, the one that accumulates into phase; the median picks 3.797 us."""
    gaps = np.diff(onsets)
    return float(onsets[-1] - onsets[0]) / max(int(np.rint(gaps / np.median(gaps)).sum()), 1)


def _ring_stats(onsets: list[np.ndarray], rings: np.ndarray, t_from: float):
    """Mean period per ring (reference neuron, :func:`mean_period`) and pulses per ring (firings of all members over
    those of the reference neuron) after ``t_from``; NaN/0 for silent rings."""
    periods, pulses, phases = [], [], []
    for ring in rings:
        ref = onsets[ring[0]]
        ref = ref[ref >= t_from]
        periods.append(mean_period(ref) if len(ref) >= 3 else float("nan"))
        total = sum(int(np.sum(onsets[i] >= t_from)) for i in ring)
        pulses.append(round(total / len(ring) / max(len(ref), 1)) if len(ref) else 0)
        phases.append(ref[-1] if len(ref) else float("nan"))
    return np.array(periods), np.array(pulses), np.array(phases)


def _period_ratio(spice_periods: np.ndarray, model_periods: np.ndarray) -> float:
    """Median over rings of the SPICE over behavioural (mean) ring period (1 when either run has none): firing times are
    compared on each run's own period scale, so that the period error (its own row, within 2 %)
    does not pile up over tens of periods into firing offsets (2 % x 30 periods = 0.6 period)."""
    both = np.isfinite(spice_periods) & np.isfinite(model_periods)
    return float(np.median(spice_periods[both] / model_periods[both])) if both.any() else 1.0


def _alive_row(spice_on: list, model_on: list, rings: np.ndarray, late: float) -> dict:
    """The row comparing which rings still fire after ``late`` (s) in both runs."""
    sp_alive = np.array([any(np.any(spice_on[i] >= late) for i in ring) for ring in rings])
    md_alive = np.array([any(np.any(model_on[i] >= late) for i in ring) for ring in rings])
    return {"metric": "rings_firing_at_end_spice", "value": float(sp_alive.sum()),
            "tolerance": float(md_alive.sum()), "ok": bool(np.array_equal(sp_alive, md_alive)),
            "reason": "the same rings still fire in the last quarter (tolerance column: behavioural count)"}


def _final_lags(pairs: np.ndarray, spice: tuple, model: tuple) -> tuple[float, float]:
    """(largest difference (rad) between SPICE and behavioural neighbour phase lags at the end, fraction of
    bonds whose lock class differs), over the ring pairs ``pairs`` where both rings oscillate in both
    runs; ``spice``/``model``: (each ring's last reference firing (s), its period (s, NaN if silent)).
    (0, 0) when no pair qualifies."""
    (sp_last, sp_per), (md_last, md_per) = spice, model
    both = np.isfinite(sp_per) & np.isfinite(md_per)
    ok_pairs = both[pairs[:, 0]] & both[pairs[:, 1]]
    if not ok_pairs.any():
        return 0.0, 0.0
    sp_lag = wrap(2 * np.pi * (sp_last[pairs[:, 1]] - sp_last[pairs[:, 0]]) / sp_per[pairs[:, 0]])[ok_pairs]
    md_lag = wrap(2 * np.pi * (md_last[pairs[:, 1]] - md_last[pairs[:, 0]]) / md_per[pairs[:, 0]])[ok_pairs]
    return float(np.max(np.abs(wrap(md_lag - sp_lag)))), float(np.mean(lag_classes(md_lag) != lag_classes(sp_lag)))


def _energies(res, vdd: float, kick_at: float, window: tuple[float, float], run, lattice,
              spice_on: list[np.ndarray]) -> dict:
    """Supply energy (J) on ``window`` (behavioural time, s; the aligned SPICE run may end up to the
    kick lag earlier) in ngspice and from the power model, the AND gates' share (their own supply
    ``vddg`` in ngspice; the gate-charged capacitors in the model) and the firings counted."""
    t0, t1 = window
    span = (kick_at + t0, kick_at + t1)
    e_gates = supply_energy(res.time, vdd, res["i(vddg)"], *span) if "i(vddg)" in res.vectors else 0.0
    power = estimate_power(run, lattice, t0, t1)
    return {"spice": supply_energy(res.time, vdd, res["i(vdd)"], *span) + e_gates, "model": power.total_j,
            "spice_gates": e_gates, "model_gates": float(power.neurons["gate_coupling_j"].sum()), "window_s": t1 - t0,
            "firings_spice": sum(int(np.sum((t >= t0) & (t < t1))) for t in spice_on),
            "firings_model": int(power.neurons["firings"].sum())}


def _kick_lag(res, spice, run, vdd: float) -> float:
    """How much later (s) the kicked neurons return to rest in SPICE than in the behavioural start
    (median over them; 0 if none did): the current pulse charges x above the behavioural x_max, so
    they fire longer. SPICE times are shifted by it, so both runs start from the same moment."""
    lags = []
    for k in spice.kicks:
        rises = crossings(res.time, res[f"o{k}"], vdd / 2, "rising") - spice.kick_at_s
        rises = rises[rises > 0]
        rests = run.times()[(run.events.neuron == k) & (run.events.kind < 0)]
        if len(rises) and len(rests):
            lags.append(rises[0] - rests[0])
    return float(np.median(lags)) if lags else 0.0


def _behavioural_runs(card: ModelCard, spec: LatticeSpec, rules, duration_s: float, shared_card, engine: str) -> dict:
    """The behavioural run of ``spec`` under each of ``rules`` from the kicked start, ``duration_s`` long."""
    config = SimConfig(duration_tau=duration_s / card.value("tau_s"), init="kick", engine=engine)
    return {rule: simulate(card, build_lattice(replace(spec, rule=rule)), config, shared_card=shared_card)
            for rule in rules}


def crosscheck(card: ModelCard, spec: LatticeSpec, duration_s: float, backend: str = "shared",
               timeout_s: float = 1800.0, shared_card: ModelCard | None = None, engine: str = "numpy") -> CrossCheck:
    """Run ``spec`` in ngspice and behaviourally (see the module docstring) for ``duration_s``;
    ``shared_card``: the behavioural card of the shared neurons (ngspice runs the same circuit);
    ``engine``: the behavioural engine (numpy: clock-driven at 0.01 tau, which has no propagation
    delay; event: exact, with each card's delay_s)."""
    primary = "gate" if spec.rule == "gate" else "capacitive"  # the rule the netlist is built for
    spec = replace(spec, rule=primary)
    lattice = build_lattice(spec)
    n = lattice.n_neurons
    spice = run_spice_lattice(card, lattice, duration_s, name="crosscheck", backend=backend, timeout_s=timeout_s)
    cond, res = spice.conditions, spice.result
    start = time.perf_counter()
    runs = _behavioural_runs(card, spec, (primary, "summing"), duration_s, shared_card, engine)
    kick_at = spice.kick_at_s + _kick_lag(res, spice, runs[primary], cond.vdd_v)
    # the kicked neurons' own response to the current pulse is the stimulus, not dynamics: the
    # behavioural start has them firing already, so their firings in the first 0.5 RC are dropped
    spice_on = [t[t >= 0.5 * cond.rc_s] for t in _spice_onsets(res, n, cond.vdd_v, kick_at)]
    t_settle = 2 * cond.rc_s
    sp_per, sp_pulses, sp_last = _ring_stats(spice_on, lattice.rings, t_settle)
    period_ref = float(np.nanmedian(sp_per)) if np.isfinite(sp_per).any() else spec.ring_size * 2 * cond.rc_s
    scores = {}
    # one time scale for both rules, the circuit rule's: a rule's own period must not rescue it
    scale = _period_ratio(sp_per, _ring_stats(_model_onsets(runs[primary], n), lattice.rings, t_settle)[0])
    for rule, run in runs.items():
        offset, unmatched = _match(spice_on, [t * scale for t in _model_onsets(run, n)], duration_s, period_ref)
        scores[rule] = {"median_firing_offset_s": offset, "unmatched_firings_frac": unmatched, "time_scale": scale}
    behavioural_wall = (time.perf_counter() - start) / 2
    best = min(scores, key=lambda r: (scores[r]["unmatched_firings_frac"], scores[r]["median_firing_offset_s"]))
    model_on = _model_onsets(runs[primary], n)
    md_per, md_pulses, md_last = _ring_stats(model_on, lattice.rings, t_settle)
    offset, unmatched = scores[primary]["median_firing_offset_s"], scores[primary]["unmatched_firings_frac"]
    both = np.isfinite(sp_per) & np.isfinite(md_per)
    same_pattern = bool(np.array_equal(np.isfinite(sp_per), np.isfinite(md_per)))
    period_err = float(np.max(np.abs(md_per[both] / sp_per[both] - 1))) if both.any() else float("nan")
    lag_err, class_diff = _final_lags(lattice.ring_neighbors, (sp_last, sp_per), (md_last, md_per))
    energy = _energies(res, cond.vdd_v, kick_at, (t_settle, min(duration_s, float(res.time[-1]) - kick_at)),
                       runs[primary], lattice, spice_on)
    e_spice, e_model = energy["spice"], energy["model"]
    values = {"ring_period_rel": period_err, "firing_offset_over_period": offset / period_ref,
              "unmatched_firings_frac": unmatched, "orbit_class_diff": int(np.max(np.abs(sp_pulses - md_pulses))),
              "final_lag_rad": lag_err, "lock_class_disagreement_frac": class_diff,
              "energy_rel": abs(e_model / e_spice - 1)}
    rows = [{"metric": k, "value": float(v), "tolerance": TOLERANCES[k][0], "ok": bool(v <= TOLERANCES[k][0]),
             "reason": TOLERANCES[k][1]} for k, v in values.items()]
    if not both.any():  # no ring oscillates long enough for a period: comparable only as "both silent"
        rows[0].update(ok=same_pattern, reason="no ring kept oscillating in either run: periods not comparable; "
                                               "passes only if the same rings fell silent")
    rows.append(_alive_row(spice_on, model_on, lattice.rings, duration_s * 0.75))
    traces = {"time": res.time - kick_at, "spice_o": {i: res[f"o{i}"] for i in lattice.rings[:, 0]},
              "model_onsets": model_on, "spice_onsets": spice_on, "run": runs[primary], "lattice": lattice,
              "energy_j": energy, "periods": {"spice": sp_per, "model": md_per}, "period_s": period_ref,
              "offsets": firing_offsets(spice_on, [t * scale for t in model_on], duration_s, period_ref)}
    setup = {"card": card.name, "shared_card": shared_card.name if shared_card else None, "lattice": asdict(spec),
             "duration_s": duration_s, "engine": engine, "backend": backend, "kicks": [int(k) for k in spice.kicks],
             "kick_at_s": spice.kick_at_s, "kick_lag_s": kick_at - spice.kick_at_s, "period_s": period_ref,
             "time_scale": scale}
    return CrossCheck(rows=rows, rule=best, rule_scores=scores, spice_wall_s=res.elapsed_s,
                      behavioural_wall_s=behavioural_wall, traces=traces, setup=setup)
