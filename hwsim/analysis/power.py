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
  On the rest branch x counts only up to VT+: above it the circuit fires within its delay (the
  output edge's own current is in ``edges``), so the time a clock-driven engine leaves a neuron
  there until the next step boundary is not booked (it was up to one step of the full input
  current per firing: +65 % for the keeper cell's ~105 uA, 8-12 % on rings at 1.98 V).
- **edges**: the switching energy of the output fall and rise of one firing event (``e_edges_j``
  from the step bench, no load), per firing.
- **static**: leakage power ``VDD I_leak`` times the time, for every neuron.

Assumptions (also in every :class:`PowerReport`): the input node follows the behavioural model
(instantaneous jumps at input edges, exponential decay, clamp); output edges are instantaneous
for the coupling charge; the supply voltage is the card's ``vdd_v``; the summing rule is costed as
if each input had its own coupling capacitor (the authors' resistive summing network is not a
circuit we simulate); under the gate rule a shared neuron's capacitor is charged by its AND gate
(booked to that neuron) at the gate's output edges, and the gate's internal switching energy
(its NAND node, a few fF) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwsim.errors import InputError
from hwsim.lattice.simulate import lattice_classes
from hwsim.model.behavior import input_gains
from hwsim.model.classes import as_classes, per_neuron

__all__ = ["PowerReport", "estimate_power", "ASSUMPTIONS"]

ASSUMPTIONS = (
    "input node x follows the behavioural model: jumps at input edges, exponential decay with tau, clamp",
    "coupling charge from KCL on each coupling capacitor while the driving output is high",
    "crowbar current from the card's supply tables measured along exponential decays of x",
    "output-edge switching energy per firing event from the SPICE step bench without load",
    "static power = VDD * leakage current at x = 0, for every neuron, all the time",
    "the summing rule is costed with one coupling capacitor per input",
    "gate rule: a shared neuron's AND gate charges its one capacitor (booked to it); the gate's internal "
    "switching energy is not counted",
)


@dataclass(frozen=True)
class PowerReport:
    """Energies (J) per neuron and mechanism over [t0, t1] (card time units), with totals."""

    # pandas DataFrame: neuron, ring ids, coupling_j, crowbar_j, edges_j, static_j, total_j, firings and
    # gate_coupling_j (the part of coupling_j a shared neuron's AND gate delivers; gate rule, else 0)
    neurons: object
    t0: float
    t1: float
    assumptions: tuple[str, ...] = ASSUMPTIONS
    info: dict = field(default_factory=dict)

    @property
    def total_j(self) -> float:
        """Total energy (J) of every neuron over [t0, t1]."""
        return float(self.neurons["total_j"].sum())

    @property
    def power_w(self) -> float:
        """Average power (W) over the window."""
        return self.total_j / (self.t1 - self.t0)

    def breakdown(self) -> dict[str, float]:
        """Total energy (J) per mechanism."""
        return {k: float(self.neurons[f"{k}_j"].sum()) for k in ("coupling", "crowbar", "edges", "static")}

    def per_ring(self, rings: np.ndarray):
        """Pandas DataFrame of energy per ring; a neuron shared by m rings counts 1/m to each."""
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


class _Ledger:
    """Per-neuron energy bookkeeping of :func:`estimate_power` while it replays the events.

    State per neuron: x (V), whether it fires, the time x was last advanced to (s), and the
    crowbar and coupling energies (J) so far; per link: x of the target just before the source's
    last rise, and whether that rise fell inside the window [t0, t1].
    """

    def __init__(self, run, lattice, t0: float, t1: float) -> None:
        card, net = run.card, lattice.network
        supply = card.supply
        self.net, self.t0, self.t1 = net, t0, t1
        self.vdd = card.value("vdd_v")
        self.dv = self.vdd - card.value("v_ol_v")
        clamp = card.value("v_clamp_v")
        self.floor = -np.inf if clamp is None else -clamp
        classes = lattice_classes(card, run.shared_card, lattice)
        self.taus, self.gains = input_gains(classes, net, lattice.spec.rule)
        self.vtp = np.broadcast_to(per_neuron(as_classes(classes, net.n_neurons), "vt_plus_v"), net.n_neurons)
        self.caps = net.weight * card.value("c_couple_f")
        self.xg = np.asarray(supply["x_v"])
        self.leak = float(supply["i_leak_a"])
        self.h_fire = _cumulative(self.xg, np.asarray(supply["i_fire_dyn_a"]), self.leak,
                                  0.5 * card.value("vt_minus_v"))
        self.h_rest = _cumulative(self.xg, np.asarray(supply["i_rest_dyn_a"]), self.leak, 0.05 * self.vdd)
        n = net.n_neurons
        self.x = run.x0.astype(float).copy()
        self.firing = run.firing0.astype(bool).copy()
        self.t_last = np.zeros(n)
        self.crowbar = np.zeros(n)
        self.coupling = np.zeros(n)
        self.firings = np.zeros(n, dtype=int)
        self.out_edges = [[] for _ in range(n)]
        for k in range(len(net.src)):
            self.out_edges[net.src[k]].append(k)
        self.x_at_rise = self.x[net.dst].copy()
        self.rise_seen = np.zeros(len(net.src), dtype=bool)
        self.payer = net.src.copy()  # whose supply current charges each capacitor
        self.by_gate = np.zeros(len(net.src), dtype=bool)  # capacitors charged by a shared neuron's AND gate
        self.gate_coupling = np.zeros(n)
        self.gate = lattice.spec.rule == "gate"
        if self.gate:
            self._gate_init(net)

    def _gate_init(self, net) -> None:
        """Gate rule: the capacitor of a neuron with several inputs is driven by its AND gate; each
        such neuron's inputs map to one canonical edge (its first), paid by the neuron itself."""
        n = net.n_neurons
        order = np.argsort(net.dst, kind="stable")
        targets, pos = np.unique(net.dst[order], return_index=True)
        first = np.full(n, -1)
        first[targets] = order[pos]
        self.canon = first[net.dst]
        multi = np.bincount(net.dst, minlength=n)[net.dst] >= 2
        self.payer = np.where(multi, net.dst, net.src)
        self.by_gate = multi
        self.low = np.bincount(net.dst, weights=self.firing[net.src].astype(float), minlength=n).astype(np.int64)

    def _gate_edges(self, edges: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The gate output edges among input edges (kind +1: an input fell): those that take a
        neuron's count of firing inputs from 0 to 1 or from 1 to 0, as canonical edges."""
        keep = []
        for e, k in zip(edges, kinds):
            d = self.net.dst[e]
            self.low[d] += 1 if k > 0 else -1
            if self.low[d] == (1 if k > 0 else 0):
                keep.append((self.canon[e], k))
        return (np.array([e for e, _ in keep], dtype=int), np.array([k for _, k in keep], dtype=int))

    def advance(self, ids: np.ndarray, t: float) -> None:
        """Decay x of ``ids`` to time t (s), adding the crowbar energy of the part inside the window."""
        if len(ids) == 0:
            return
        x, t_last, taus = self.x, self.t_last, self.taus
        a = np.clip(t_last[ids], self.t0, self.t1)
        b = np.clip(np.full(len(ids), t), self.t0, self.t1)
        x_start = x[ids] * np.exp(-(a - t_last[ids]) / taus[ids])
        x_end = x[ids] * np.exp(-(b - t_last[ids]) / taus[ids])
        h = np.where(self.firing[ids], 1, 0)
        for branch, table in ((1, self.h_fire), (0, self.h_rest)):
            sel = h == branch
            if sel.any():
                xs, xe = x_start[sel], x_end[sel]
                if branch == 0:  # at rest above VT+ only until the next step fires it: a clock engine's artifact
                    xs, xe = np.minimum(xs, self.vtp[ids[sel]]), np.minimum(xe, self.vtp[ids[sel]])
                e = np.interp(xs, self.xg, table) - np.interp(xe, self.xg, table)
                self.crowbar[ids[sel]] += self.vdd * taus[ids[sel]] * np.where(xs > 0, e, 0.0)
        x[ids] = x[ids] * np.exp(-(t - t_last[ids]) / taus[ids])
        t_last[ids] = t

    def apply(self, t: float, sources: np.ndarray, kinds: np.ndarray) -> None:
        """Apply the output edges of one time step: ``sources`` switch at t (s), kind +1 fire / -1 recover."""
        net = self.net
        edges = np.array([e for j in sources for e in self.out_edges[j]], dtype=int)
        touched = np.unique(np.concatenate([sources, net.dst[edges]])) if len(edges) else np.unique(sources)
        self.advance(touched, t)
        in_window = self.t0 <= t <= self.t1
        if len(edges):
            edge_kind = np.concatenate([np.full(len(self.out_edges[j]), kd) for j, kd in zip(sources, kinds)])
            if self.gate:
                edges, edge_kind = self._gate_edges(edges, edge_kind)
        if len(edges):
            self._couple(edges, edge_kind < 0, in_window)
        self.firing[sources] = kinds > 0
        if in_window:
            np.add.at(self.firings, sources[kinds > 0], 1)

    def _couple(self, edges: np.ndarray, rising: np.ndarray, in_window: bool) -> None:
        """Move the targets of ``edges`` (output rising where ``rising``), booking coupling charge."""
        net, x = self.net, self.x
        xd = x[net.dst[edges]]
        falling = ~rising
        if in_window:
            fe = edges[falling]
            q = self.caps[fe] * (np.where(self.rise_seen[fe], self.dv, 0.0) - (xd[falling] - self.x_at_rise[fe]))
            np.add.at(self.coupling, self.payer[fe], self.vdd * q)
            np.add.at(self.gate_coupling, self.payer[fe], np.where(self.by_gate[fe], self.vdd * q, 0.0))
        self.x_at_rise[edges[rising]] = xd[rising]
        self.rise_seen[edges[rising]] = in_window
        np.add.at(x, net.dst[edges], np.where(rising, self.dv, -self.dv) * self.gains[edges])
        dsts = np.unique(net.dst[edges])
        x[dsts] = np.maximum(x[dsts], self.floor)

    def close(self) -> None:
        """Advance every neuron to t1 and book the charge of capacitors whose driver is still high."""
        net = self.net
        self.advance(np.arange(net.n_neurons), self.t1)
        high = ~self.firing[net.src]
        if self.gate:  # a gate's capacitor: its canonical edge, charged while no input fires
            high = (self.canon == np.arange(len(net.src))) & (self.low[net.dst] == 0)
        q_open = self.caps * (np.where(self.rise_seen, self.dv, 0.0) - (self.x[net.dst] - self.x_at_rise))
        np.add.at(self.coupling, self.payer[high], self.vdd * q_open[high])
        np.add.at(self.gate_coupling, self.payer[high], np.where(self.by_gate[high], self.vdd * q_open[high], 0.0))


def estimate_power(run, lattice, t0: float | None = None, t1: float | None = None) -> PowerReport:
    """Energy of ``run`` (a :class:`~hwsim.lattice.simulate.LatticeRun` on ``lattice``) on [t0, t1].

    ``t0``, ``t1``: window in the card's time unit (s for calibrated cards; default: the whole
    run). Raises :class:`InputError` for a card without a supply table or an empty window.
    """
    import pandas as pd

    card = run.card
    if not card.supply:
        raise InputError(f"card {card.name!r} has no supply table: recalibrate it with "
                         f"`hwsim calibrate` (the paper's normalised card has no power model)")
    t0 = 0.0 if t0 is None else float(t0)
    t1 = run.n_steps * run.dt if t1 is None else float(t1)
    end = run.n_steps * run.dt
    if end < t1 <= end + run.dt:  # a window asked in time units may end within the last step
        t1 = end
    if not (0 <= t0 < t1 <= end):
        raise InputError(f"power window [t0, t1] = [{t0:g}, {t1:g}] must satisfy 0 <= t0 < t1 <= {end:g}, the end "
                         "of the run (card time units: s for calibrated cards); outside it nothing was simulated")
    run.require_all_events("the power estimate")
    ledger = _Ledger(run, lattice, t0, t1)
    ev = run.events
    for chunk in np.split(np.arange(len(ev)), np.flatnonzero(np.diff(ev.time)) + 1):  # edges at one time
        if len(chunk) == 0:
            continue
        t = float(ev.time[chunk[0]])
        if t > t1:
            break
        ledger.apply(t, ev.neuron[chunk], ev.kind[chunk])
    ledger.close()
    n, vdd = lattice.network.n_neurons, ledger.vdd
    e_edges = float(card.energy.get("e_edges_j", 0.0))
    table = pd.DataFrame({"neuron": np.arange(n), "coupling_j": ledger.coupling, "crowbar_j": ledger.crowbar,
                          "edges_j": ledger.firings * e_edges,
                          "static_j": np.full(n, vdd * ledger.leak * (t1 - t0)), "firings": ledger.firings,
                          "gate_coupling_j": ledger.gate_coupling})
    table["total_j"] = table[["coupling_j", "crowbar_j", "edges_j", "static_j"]].sum(axis=1)
    return PowerReport(neurons=table, t0=t0, t1=t1, info={"card": card.name, "rule": lattice.spec.rule})
