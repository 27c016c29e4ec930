"""Behavioural energy estimates against SPICE: rings of N neurons and small coupled lattices.

:func:`ring_energy_check` compares the behavioural energy per ring period with the SPICE
energies recorded in the card at calibration (``e_period_n<N>_j``); :func:`lattice_energy_check`
runs ngspice on the transistor-level netlist of a small lattice (same graph, capacitive coupling,
one kick per ring on the same neurons as the behavioural ``kick`` initial condition) and compares
the supply energy in a window with :func:`hwsim.analysis.power.estimate_power` on the behavioural run.
"""

from __future__ import annotations

import numpy as np

from hwsim.analysis.power import estimate_power
from hwsim.checks.spice_lattice import run_spice_lattice
from hwsim.errors import InputError
from hwsim.lattice.simulate import SimConfig, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.behavior import ring_hop_law
from hwsim.model.card import ModelCard

__all__ = ["ring_energy_check", "lattice_energy_check", "power_table"]


def ring_energy_check(card: ModelCard, sizes=range(3, 9), periods: int = 20) -> list[dict]:
    """Rows (N, behavioural and SPICE energy per ring period in J, ratio, breakdown per period)."""
    rows = []
    for n in sizes:
        key = f"e_period_n{n}_j"
        if key not in card.energy:
            raise InputError(f"card {card.name} has no SPICE energy for N = {n} ({key}); calibrate that ring size")
        lattice = build_lattice(LatticeSpec(geometry="square", nx=3, ny=3, ring_size=n, shared=0, rule="capacitive"))
        period = n * ring_hop_law(card, n)
        config = SimConfig(duration_tau=(periods + 6) * period / card.value("tau_s"), init="kick", engine="numpy")
        run = simulate(card, lattice, config)
        onsets = run.events.onsets(lattice.rings[0][0])
        t0, t1 = onsets[3], onsets[3 + periods]
        report = estimate_power(run, lattice, t0, t1)
        per_period = report.total_j / lattice.n_rings / periods
        row = {"n": n, "model_j": per_period, "spice_j": card.energy[key], "ratio": per_period / card.energy[key]}
        row.update({f"{k}_j": v / lattice.n_rings / periods for k, v in report.breakdown().items()})
        rows.append(row)
    return rows


def lattice_energy_check(card: ModelCard, spec: LatticeSpec, window_s: tuple[float, float],
                         backend: str = "shared", timeout_s: float = 900.0) -> dict:
    """Supply energy (J) of ``spec`` in ``window_s`` (s after the kicks): SPICE vs behavioural.

    Start the window a couple of RC after the kicks: the SPICE kick is an ideal current pulse whose
    charge partly flows back into the supply (sky130 tt 2 x 2 lattice: -3.0 pJ in the first 2 us),
    which the behavioural start (neurons already firing) does not represent.
    """
    from hwsim.circuit.measure import supply_energy

    lattice = build_lattice(spec)
    t0, t1 = window_s
    spice = run_spice_lattice(card, lattice, t1, name="lattice", backend=backend, timeout_s=timeout_s)
    cond, res, kick_at = spice.conditions, spice.result, spice.kick_at_s
    spice_j = supply_energy(res.time, cond.vdd_v, res["i(vdd)"], kick_at + t0, kick_at + t1)
    spice_firings = sum(int(np.sum((res.time[1:] > kick_at + t0) & (res.time[1:] <= kick_at + t1) &
                                   (res[f"o{i}"][:-1] >= cond.vdd_v / 2) & (res[f"o{i}"][1:] < cond.vdd_v / 2)))
                        for i in range(lattice.n_neurons))
    run = simulate(card, lattice, SimConfig(duration_tau=t1 / card.value("tau_s"), init="kick", engine="numpy"))
    report = estimate_power(run, lattice, t0, t1)
    return {"spice_j": spice_j, "model_j": report.total_j, "ratio": report.total_j / spice_j,
            "spice_firings": spice_firings, "model_firings": int(report.neurons["firings"].sum()),
            "breakdown_j": report.breakdown(), "neurons": lattice.n_neurons, "rings": lattice.n_rings,
            "spice_wall_s": res.elapsed_s}


def power_table(cards: list[ModelCard], sizes=range(3, 9)):
    """Pandas DataFrame, one row per card and ring size: conditions, SPICE figures (static power,
    edge energy, energy per ring period), the behavioural estimate and its breakdown."""
    import pandas as pd

    rows = []
    for card in cards:
        cond = card.conditions
        for row in ring_energy_check(card, sizes):
            rows.append({"card": card.name, "library": cond.get("library"), "corner": cond.get("corner"),
                         "vdd_v": cond.get("vdd_v"), "temp_c": cond.get("temp_c"),
                         "p_static_w": card.energy.get("p_static_w"), "e_edges_j": card.energy.get("e_edges_j"),
                         "p_ring_spice_w": card.energy.get(f"p_ring_n{row['n']}_w"), **row})
    return pd.DataFrame(rows)
