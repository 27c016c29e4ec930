"""Robustness of a shared-neuron design at transistor level: does the lattice keep working when
the supply, the process corner or the devices themselves (sky130 mismatch) move?

:func:`robustness` runs one kicked lattice (as the cross-check kicks it: one neuron of every
ring) in ngspice once per :class:`Variant` and measures, on the second half of the run: the rings
still firing in the last quarter, the median ring period (s) of the reference neurons, circulating
pulses per ring, supply energy per neuron firing (J; the AND gates' own supply included) and, two
ring periods before the end, each neighbour bond's lock class (:data:`hwsim.checks.spice_domains.LOCK_CLASSES`). Every
variant is compared with the first one (the nominal circuit): period change, and the fraction of
bonds whose lock class is unchanged. These are transistor-only figures: a card describes its
circuit at one operating point, so off-nominal variants have no behavioural twin to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.analysis.sync import phases_at, wrap
from hwsim.checks.spice_domains import lock_classes
from hwsim.checks.spice_lattice import run_spice_lattice
from hwsim.circuit.measure import crossings, supply_energy
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.behavior import behavioural_ring_period
from hwsim.model.card import ModelCard

__all__ = ["Variant", "DEFAULT_VARIANTS", "robustness"]


@dataclass(frozen=True)
class Variant:
    """One operating point: ``vdd_rel`` times the card's VDD, ``corner`` (``None``: the card's) and a
    sky130 mismatch seed (``None``: no mismatch)."""

    label: str
    vdd_rel: float = 1.0
    corner: str | None = None
    mismatch_seed: int | None = None


#: The issue's robustness set: nominal, VDD -10 % / +10 %, the slow and fast corners, three mismatch draws.
DEFAULT_VARIANTS = (Variant("nominal"), Variant("VDD -10 %", vdd_rel=0.9), Variant("VDD +10 %", vdd_rel=1.1),
                    Variant("ss", corner="ss"), Variant("ff", corner="ff"),
                    *(Variant(f"mismatch seed {s}", mismatch_seed=s) for s in (1, 2, 3)))


def _measure(spice, lattice, duration: float, period: float) -> dict:
    """The figures of one ngspice run (see the module docstring); times in s after the kick."""
    res, vdd, kick_at = spice.result, spice.conditions.vdd_v, spice.kick_at_s
    onsets = [crossings(res.time, res[f"o{i}"], vdd / 2, "falling") - kick_at for i in range(lattice.n_neurons)]
    half, late = duration / 2, 0.75 * duration
    alive = [any(np.any(onsets[i] >= late) for i in ring) for ring in lattice.rings]
    refs = [onsets[ring[0]][onsets[ring[0]] >= half] for ring in lattice.rings]
    periods = [float(np.median(np.diff(r))) for r in refs if len(r) >= 3]
    pulses = [round(sum(int(np.sum(onsets[i] >= half)) for i in ring) / len(ring) / len(r))
              for ring, r in zip(lattice.rings, refs) if len(r)]
    firings = sum(int(np.sum(t >= half)) for t in onsets)
    span = (kick_at + half, kick_at + duration)
    energy = supply_energy(res.time, vdd, res["i(vdd)"], *span)
    if "i(vddg)" in res.vectors:
        energy += supply_energy(res.time, vdd, res["i(vddg)"], *span)
    ring_period = float(np.median(periods)) if periods else float("nan")
    # phases need an onset after the instant: two of the circuit's own periods before the end (the
    # card's period can be much shorter than an off-nominal circuit's)
    t_phase = duration - 2 * (ring_period if periods else period)
    theta = wrap(phases_at([onsets[int(i)] for i in lattice.rings[:, 0]], np.array([t_phase]))[0][0])
    return {"vdd_v": vdd, "rings_alive": int(sum(alive)), "rings": lattice.n_rings, "ring_period_s": ring_period,
            "pulses_per_ring": sorted(set(pulses)), "firings": firings,
            "energy_per_firing_j": energy / firings if firings else float("nan"),
            "classes": lock_classes(theta, lattice.ring_neighbors), "ngspice_s": res.elapsed_s}


def robustness(card: ModelCard, spec: LatticeSpec, n_periods: float = 30.0, variants=DEFAULT_VARIANTS,
               backend: str = "shared", timeout_s: float = 3600.0, progress=None) -> list[dict]:
    """One row per variant (see the module docstring) for ``spec`` run ``n_periods`` single-ring
    periods (the card's) after the kick; ``progress(label)`` is called before each run."""
    lattice = build_lattice(spec)
    period = behavioural_ring_period(card, spec.ring_size, rule="capacitive")
    duration = n_periods * period
    rows = []
    for v in variants:
        if progress:
            progress(v.label)
        spice = run_spice_lattice(card, lattice, duration, name="robustness", backend=backend, timeout_s=timeout_s,
                                  vdd_v=v.vdd_rel * card.value("vdd_v"), corner=v.corner,
                                  mismatch_seed=v.mismatch_seed)
        rows.append({"variant": v.label, **_measure(spice, lattice, duration, period)})
    ref_period, ref_classes = rows[0]["ring_period_s"], rows[0]["classes"]
    for row in rows:
        same = (row["classes"] >= 0) & (ref_classes >= 0)
        row["period_change"] = row["ring_period_s"] / ref_period - 1
        row["bonds_same_class"] = float(np.mean(row["classes"][same] == ref_classes[same])) if same.any() \
            else float("nan")
        row["classes"] = row["classes"].tolist()
    return rows
