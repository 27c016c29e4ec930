"""Domains in transistors: a periodic lattice from a random start, ngspice beside the behavioural model.

:func:`domain_check` kicks one private neuron of every ring at a random time within the first
ring period (current pulses in ngspice, the same kicks as x steps in the exact behavioural engine
:func:`hwsim.model.behavior.simulate_events`), runs both for ``n_periods`` ring periods and
compares the phase maps at the end: each ring's phase from its reference neuron's firing onsets
(:func:`hwsim.analysis.sync.phases_at`), and for every pair of neighbouring rings the lock class
of their phase difference (in phase: |lag| < pi/4; anti-phase: |lag| > 3 pi/4; other). The
figure of merit is the fraction of bonds whose class agrees. Runs from a random start are
sensitive to small differences (the two models differ by the card's tolerances), so agreement is
measured, not assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hwsim.analysis.sync import phases_at, wrap
from hwsim.checks.spice_lattice import run_spice_lattice
from hwsim.circuit.measure import crossings
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.behavior import behavioural_ring_period, simulate_events
from hwsim.model.card import ModelCard

__all__ = ["LOCK_CLASSES", "DomainCheck", "lag_classes", "lock_classes", "random_kicks", "domain_check"]

LOCK_CLASSES = ("in phase", "anti-phase", "other")


@dataclass(frozen=True)
class DomainCheck:
    """Both runs' ring phases (rad in [-pi, pi), at ``t_end_s``), each bond's lock class (index
    into :data:`LOCK_CLASSES`, -1 where a ring has no phase), the agreement, the kicks (neuron,
    time in s after the SPICE kick time) and the wall times (s)."""

    lattice: object
    t_end_s: float
    spice_phase: np.ndarray
    model_phase: np.ndarray
    spice_class: np.ndarray
    model_class: np.ndarray
    agreement: float
    kicks: tuple
    spice_wall_s: float

    def summary(self) -> dict:
        """The numbers of the check in one flat dict (JSON-ready)."""
        both = (self.spice_class >= 0) & (self.model_class >= 0)
        counts = {f"{who}_{name.replace(' ', '_').replace('-', '_')}": int(np.sum(cls[both] == c))
                  for who, cls in (("spice", self.spice_class), ("model", self.model_class))
                  for c, name in enumerate(LOCK_CLASSES)}
        return {"bonds": int(len(self.spice_class)), "bonds_compared": int(both.sum()),
                "agreement": self.agreement, "t_end_s": self.t_end_s, "spice_wall_s": self.spice_wall_s,
                "rings_silent_spice": int(np.isnan(self.spice_phase).sum()),
                "rings_silent_model": int(np.isnan(self.model_phase).sum()), **counts}


def lag_classes(lag: np.ndarray) -> np.ndarray:
    """Lock class of phase lags (rad): 0 in phase (|lag| < pi/4), 1 anti-phase (> 3 pi/4), 2 other, -1 NaN."""
    lag = np.abs(wrap(np.asarray(lag, dtype=float)))
    cls = np.where(lag < math.pi / 4, 0, np.where(lag > 3 * math.pi / 4, 1, 2))
    return np.where(np.isnan(lag), -1, cls)


def lock_classes(theta: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Lock class (:func:`lag_classes`) of every ring pair from phases ``theta`` (rad)."""
    return lag_classes(theta[pairs[:, 1]] - theta[pairs[:, 0]])


def random_kicks(lattice, period_s: float, seed: int) -> tuple[tuple[int, float], ...]:
    """One kick per ring: a random private neuron (one input) of it, at a random time in [0, period_s)."""
    rng = np.random.default_rng(seed)
    indegree = np.bincount(lattice.network.dst, minlength=lattice.n_neurons)
    kicks = []
    for ring in lattice.rings:
        private = [int(i) for i in ring if indegree[i] == 1]
        kicks.append((int(rng.choice(private if private else ring)), float(rng.uniform(0.0, period_s))))
    return tuple(sorted(dict(kicks).items()))


def _spice_phases(res, lattice, kick_at: float, vdd: float, t_end: float) -> np.ndarray:
    onsets = [crossings(res.time, res[f"o{int(i)}"], vdd / 2, "falling") - kick_at for i in lattice.rings[:, 0]]
    return wrap(phases_at(onsets, np.array([t_end]))[0][0])


def domain_check(card: ModelCard, spec: LatticeSpec, n_periods: float = 20.0, seed: int = 1,
                 backend: str = "shared", timeout_s: float = 3600.0) -> DomainCheck:
    """Run ``spec`` from a random start (seeded) in ngspice and behaviourally for ``n_periods``
    single-ring periods (s from the card) and compare the phase maps one period before the end."""
    lattice = build_lattice(spec)
    period = behavioural_ring_period(card, spec.ring_size, rule="capacitive")
    kicks = random_kicks(lattice, period, seed)
    duration = n_periods * period
    spice = run_spice_lattice(card, lattice, duration, name="domains", backend=backend, timeout_s=timeout_s,
                              kicks=kicks)
    cond = spice.conditions
    # the current pulse (charge 2 C VDD over kick_t) as one x step at its middle, decayed over half of it
    a = card.value("c_couple_f") / (card.value("c_couple_f") + card.value("c_in_f"))
    kick_t = cond.rc_s / 10
    dx = 2 * cond.vdd_v * a * math.exp(-kick_t / 2 / card.value("tau_s"))
    events = simulate_events(card, lattice.network, duration, rule=spec.rule,
                             kicks=[(d + kick_t / 2, k, dx) for k, d in kicks])
    t_end = duration - period
    model_onsets = [events.onsets(int(i)) for i in lattice.rings[:, 0]]
    model_phase = wrap(phases_at(model_onsets, np.array([t_end]))[0][0])
    spice_phase = _spice_phases(spice.result, lattice, spice.kick_at_s, cond.vdd_v, t_end)
    pairs = lattice.ring_neighbors
    s_cls, m_cls = lock_classes(spice_phase, pairs), lock_classes(model_phase, pairs)
    both = (s_cls >= 0) & (m_cls >= 0)
    agreement = float(np.mean(s_cls[both] == m_cls[both])) if both.any() else float("nan")
    return DomainCheck(lattice=lattice, t_end_s=t_end, spice_phase=spice_phase, model_phase=model_phase,
                       spice_class=s_cls, model_class=m_cls, agreement=agreement, kicks=kicks,
                       spice_wall_s=spice.result.elapsed_s)
