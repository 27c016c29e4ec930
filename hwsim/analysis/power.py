"""Behavioural power and energy estimates of lattice runs, from events and analytic trajectories.

Per neuron, the supply energy is split into four mechanisms (SI units; needs a card with a
``supply`` section, written by calibration from SPICE):

- **coupling**: charging the coupling capacitors of its successors through its output. While its
  output o_j is high (from a rise to the next fall), the supply delivers to C_jk the charge
  C_jk (VDD - x_k(end) + x_k(start)), x_k taken just before the rise and just before the fall
  (KCL on C_jk; a rise moves x_k by g_jk dV, decays and other inputs move it further). Energy:
  VDD times that charge. When o_j falls, C_jk discharges to ground, costing the supply nothing.
- **crowbar**: the input stage's current above leakage while x moves through the thresholds:
  VDD * integral of (I_b(x(t)) - I_leak) dt along x(t) = x0 exp(-t/tau) between input edges,
  i.e. VDD tau * integral (I_b(u) - I_leak)/u du, with I_b the card's supply table of the branch
  the neuron is on, measured along an exponential decay of x (``i_fire_dyn_a`` after a full
  step, ``i_rest_dyn_a`` after a step just below VT+). The DC sweep tables (``i_*_dc_a``) are in
  the card too but overestimate: the long-channel P1 and the feedback nodes lag a moving x.
- **edges**: the switching energy of the output fall and rise of one firing event (``e_edges_j``
  from the step bench, no load), per firing.
- **static**: leakage power ``VDD I_leak`` times the time, for every neuron.

Assumptions (also in every :class:`PowerReport`): the input node follows the behavioural model
(instantaneous jumps at input edges, exponential decay, clamp); output edges are instantaneous
for the coupling charge; the supply voltage is the card's ``vdd_v``; the summing rule is costed as
if each input had its own coupling capacitor (the authors' resistive summing network is not a
circuit we simulate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwsim.errors import InputError
from hwsim.model.behavior import input_gains

__all__ = ["PowerReport", "estimate_power", "ASSUMPTIONS"]

ASSUMPTIONS = (
    "input node x follows the behavioural model: jumps at input edges, exponential decay with tau, clamp",
    "coupling charge from KCL on each coupling capacitor while the driving output is high",
    "crowbar current from the card's supply tables measured along exponential decays of x",
    "output-edge switching energy per firing event from the SPICE step bench without load",
    "static power = VDD * leakage current at x = 0, for every neuron, all the time",
    "the summing rule is costed with one coupling capacitor per input",
)


@dataclass(frozen=True)
class PowerReport:
    """Energies (J) per neuron and mechanism over [t0, t1] (card time units), with totals."""

    neurons: object  # pandas DataFrame: neuron, ring ids, coupling_j, crowbar_j, edges_j, static_j, total_j, firings
    t0: float
    t1: float
    assumptions: tuple[str, ...] = ASSUMPTIONS
    info: dict = field(default_factory=dict)

    @property
    def total_j(self) -> float:
        return float(self.neurons["total_j"].sum())

    @property
    def power_w(self) -> float:
        """Average power (W) over the window."""
        return self.total_j / (self.t1 - self.t0)

    def breakdown(self) -> dict[str, float]:
        """Total energy (J) per mechanism."""
        return {k: float(self.neurons[f"{k}_j"].sum()) for k in ("coupling", "crowbar", "edges", "static")}

    def per_ring(self, rings: np.ndarray):
        """pandas DataFrame of energy per ring; a neuron shared by m rings counts 1/m to each."""
        import pandas as pd

        counts = np.bincount(rings.ravel(), minlength=len(self.neurons))
        share = self.neurons["total_j"].to_numpy() / np.maximum(counts, 1)
        return pd.DataFrame({"ring": np.arange(len(rings)), "total_j": share[rings].sum(axis=1)})


def _cumulative(x: np.ndarray, current: np.ndarray, leak: float, x_floor: float) -> np.ndarray:
    """H(x) = integral from x_floor to x of (I(u) - leak)/u du on the grid (0 below x_floor)."""
    u = np.maximum(x, x_floor)
    integrand = (current - leak) / u
    h = np.concatenate([[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(u))])
    return h


def estimate_power(run, lattice, t0: float | None = None, t1: float | None = None) -> PowerReport:
    """Energy of ``run`` (a :class:`~hwsim.lattice.simulate.LatticeRun` on ``lattice``) on [t0, t1]."""
    import pandas as pd

    card = run.card
    supply = card.supply
    if not supply:
        raise InputError(f"card {card.name!r} has no supply table: recalibrate it with "
                         f"`hwsim calibrate` (the paper's normalised card has no power model)")
    t0 = 0.0 if t0 is None else float(t0)
    t1 = run.n_steps * run.dt if t1 is None else float(t1)
    if not t1 > t0:
        raise InputError(f"power window: t1 ({t1}) must be after t0 ({t0})")
    vdd, vol = card.value("vdd_v"), card.value("v_ol_v")
    dv = vdd - vol
    c_couple = card.value("c_couple_f")
    clamp = card.value("v_clamp_v")
    floor = -np.inf if clamp is None else -clamp
    net = lattice.network
    taus, gains = input_gains(card, net, lattice.spec.rule)
    caps = net.weight * c_couple
    xg = np.asarray(supply["x_v"])
    leak = float(supply["i_leak_a"])
    vtm = card.value("vt_minus_v")
    h_fire = _cumulative(xg, np.asarray(supply["i_fire_dyn_a"]), leak, 0.5 * vtm)
    h_rest = _cumulative(xg, np.asarray(supply["i_rest_dyn_a"]), leak, 0.05 * vdd)

    n = net.n_neurons
    x = run.x0.astype(float).copy()
    firing = run.firing0.astype(bool).copy()
    t_last = np.zeros(n)
    crowbar = np.zeros(n)
    coupling = np.zeros(n)
    out_edges = [[] for _ in range(n)]
    for k in range(len(net.src)):
        out_edges[net.src[k]].append(k)
    x_at_rise = x[net.dst].copy()
    rise_seen = np.zeros(len(net.src), dtype=bool)

    def advance(ids: np.ndarray, t: float) -> None:
        """Decay x of ``ids`` to time t, adding the crowbar energy of the window part."""
        if len(ids) == 0:
            return
        a = np.clip(t_last[ids], t0, t1)
        b = np.clip(np.full(len(ids), t), t0, t1)
        x_start = x[ids] * np.exp(-(a - t_last[ids]) / taus[ids])
        x_end = x[ids] * np.exp(-(b - t_last[ids]) / taus[ids])
        h = np.where(firing[ids], 1, 0)
        for branch, table in ((1, h_fire), (0, h_rest)):
            sel = h == branch
            if sel.any():
                e = np.interp(x_start[sel], xg, table) - np.interp(x_end[sel], xg, table)
                crowbar[ids[sel]] += vdd * taus[ids[sel]] * np.where(x_start[sel] > 0, e, 0.0)
        x[ids] = x[ids] * np.exp(-(t - t_last[ids]) / taus[ids])
        t_last[ids] = t

    ev = run.events
    times = (ev.step + 1) * run.dt
    firings = np.zeros(n, dtype=int)
    bounds = np.flatnonzero(np.diff(ev.step)) + 1
    for chunk in np.split(np.arange(len(ev.step)), bounds):
        if len(chunk) == 0:
            continue
        t = float(times[chunk[0]])
        if t > t1:
            break
        sources = ev.neuron[chunk]
        kinds = ev.kind[chunk]
        edges = np.array([e for j in sources for e in out_edges[j]], dtype=int)
        edge_kind = np.concatenate([np.full(len(out_edges[j]), kd) for j, kd in zip(sources, kinds)]) \
            if len(edges) else np.zeros(0)
        touched = np.unique(np.concatenate([sources, net.dst[edges]])) if len(edges) else np.unique(sources)
        advance(touched, t)
        if len(edges):
            xd = x[net.dst[edges]]
            rising = edge_kind < 0
            falling = ~rising
            in_window = t0 <= t <= t1
            if in_window:
                fe = edges[falling]
                q = caps[fe] * (np.where(rise_seen[fe], dv, 0.0) - (xd[falling] - x_at_rise[fe]))
                np.add.at(coupling, net.src[fe], vdd * q)
            x_at_rise[edges[rising]] = xd[rising]
            rise_seen[edges[rising]] = in_window
            step = np.where(rising, dv, -dv) * gains[edges]
            np.add.at(x, net.dst[edges], step)
            dsts = np.unique(net.dst[edges])
            x[dsts] = np.maximum(x[dsts], floor)
        firing[sources] = kinds > 0
        if t0 <= t <= t1:
            np.add.at(firings, sources[kinds > 0], 1)
    advance(np.arange(n), t1)
    high = ~firing[net.src]
    q_open = caps * (np.where(rise_seen, dv, 0.0) - (x[net.dst] - x_at_rise))
    np.add.at(coupling, net.src[high], vdd * q_open[high])
    e_edges = float(card.energy.get("e_edges_j", 0.0))
    table = pd.DataFrame({"neuron": np.arange(n), "coupling_j": coupling, "crowbar_j": crowbar,
                          "edges_j": firings * e_edges, "static_j": np.full(n, vdd * leak * (t1 - t0)),
                          "firings": firings})
    table["total_j"] = table[["coupling_j", "crowbar_j", "edges_j", "static_j"]].sum(axis=1)
    return PowerReport(neurons=table, t0=t0, t1=t1, info={"card": card.name, "rule": lattice.spec.rule})
