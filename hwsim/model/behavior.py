"""Behavioural differentiating neurons: networks, input-combination rules and an exact engine.

Model (SI units, parameters from a :class:`~hwsim.model.card.ModelCard`): every neuron i has an
input node x_i and an inverting Schmitt trigger with output o_i (vdd_v at rest, v_ol_v firing).

- **capacitive rule** (the physical circuit, from KCL): one capacitor C_ij = w_ij * c_couple_f
  per input into x_i, one R to ground, the Schmitt input capacitance c_in_f.
  ``C_tot,i dx_i/dt = sum_j C_ij do_j/dt - x_i/R``: an edge dV of input j moves x_i by
  (C_ij/C_tot,i) dV; x_i decays with tau_i = R C_tot,i = tau_s * C_tot,i/(c_couple_f + c_in_f).
- **summing rule** (the authors' code): one capacitor fed by u_i = sum_j w_ij o_j, so an edge
  moves x_i by w_ij * c_couple_f/(c_couple_f + c_in_f) * dV and tau_i = tau_s.
- **gate rule** (a buildable shared neuron): the inputs of a neuron with several predecessors are
  combined by a CMOS AND gate (NAND + inverter) that drives the neuron's one coupling capacitor
  w * c_couple_f: the gate output o_g = vdd_v - (vdd_v - v_ol_v) * min(1, firing predecessors)
  falls when any predecessor fires and rises when the last one returns to rest. x_i moves by
  g * dV at gate edges only, g = w c_couple_f/(w c_couple_f + c_in_f), tau_i = tau_s (w c + c_in)/(c + c_in).
  All inputs of one neuron need the same weight (the gate has one capacitor); the gate's delay
  is not modelled (tens of ps against tau of tens of ns for the shipped cards).
- Schmitt: a resting neuron fires when x_i >= vt_plus_v, a firing one returns to rest when
  x_i < vt_minus_v; its output edge follows the decision after delay_s. The clamp keeps
  x_i >= -v_clamp_v (applied right after an input edge, as the clamp conducts during the edge).

With one input of weight 1 all three rules reduce to the paper's model. Between input edges x only
decays towards 0, so a resting neuron can only fire at an input edge and a firing one returns to
rest when the decay reaches vt_minus_v at t = tau ln(x/vt_minus_v): :func:`simulate_events`
integrates this exactly, event by event (no time step).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hwsim.errors import InputError
from hwsim.model.card import ModelCard
from hwsim.model.classes import NeuronClasses, as_classes, per_neuron
from hwsim.model.events import Events

__all__ = ["Network", "ring_network", "RULES", "RULE_CIRCUITS", "input_gains", "simulate_events",
           "ring_period_from_events", "behavioural_ring_period", "ring_hop_law", "input_node_trace",
           "output_trace", "schmitt_trace", "gate_counts"]

RULES = ("capacitive", "summing", "gate")
#: What each rule is in hardware: the cells hwsim builds a transistor-level lattice from.
RULE_CIRCUITS = {
    "capacitive": "every input its own coupling capacitor into the nv_neuron cell (netlists/cells/nv_neuron.sp); "
                  "shared neurons see half steps and fire only on coinciding inputs",
    "gate": "private neurons: nv_neuron; shared neurons: an AND gate (netlists/cells/and_gate.sp, AND2 6 / "
            "AND3 8 transistors) in front of nv_neuron's one coupling capacitor",
    "summing": "no circuit in hwsim: the paper's model (inputs summed before one capacitor)",
}


@dataclass(frozen=True)
class Network:
    """Directed coupling graph: edge k feeds neuron ``src[k]``'s output into ``dst[k]``'s x with
    weight ``weight[k]`` (a multiple of the card's coupling capacitor, or the summing weight)."""

    n_neurons: int
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray

    def __post_init__(self) -> None:
        for name, dtype in (("src", int), ("dst", int), ("weight", float)):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=dtype))
        if not (len(self.src) == len(self.dst) == len(self.weight)):
            raise InputError("network: src, dst and weight must have the same length")
        if len(self.src) and (self.src.min() < 0 or max(self.src.max(), self.dst.max()) >= self.n_neurons
                              or self.dst.min() < 0):
            raise InputError(f"network: edge endpoints must lie in 0..{self.n_neurons - 1}")
        if np.any(~np.isfinite(self.weight)) or np.any(self.weight <= 0):
            raise InputError("network: weights must be finite and > 0")


def ring_network(n: int) -> Network:
    """One ring: neuron k is driven by neuron k-1 (mod n), weight 1."""
    if n < 2:
        raise InputError(f"a ring needs at least 2 neurons, got {n}")
    k = np.arange(n)
    return Network(n, src=(k - 1) % n, dst=k, weight=np.ones(n))


def input_gains(card: ModelCard | NeuronClasses, net: Network, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-neuron time constants tau_i (s) and per-edge gains g_k (dx per dV of the source output).
    With neuron classes, each neuron's tau and its input edges' gains come from its own card."""
    if rule not in RULES:
        raise InputError(f"unknown input-combination rule {rule!r}; choose one of {', '.join(RULES)}")
    if isinstance(card, NeuronClasses):
        if len(card.cards) == 1:
            return input_gains(card.card, net, rule)
        taus, gains = np.zeros(net.n_neurons), np.zeros(len(net.dst))
        for k, one in enumerate(card.cards):
            t_k, g_k = input_gains(one, net, rule)
            mine = card.index == k
            taus[mine], gains[mine[net.dst]] = t_k[mine], g_k[mine[net.dst]]
        return taus, gains
    c, c_in, tau = card.value("c_couple_f"), card.value("c_in_f"), card.value("tau_s")
    if rule == "summing":
        return np.full(net.n_neurons, tau), net.weight * c / (c + c_in)
    if rule == "gate":
        return _gate_gains(net, c, c_in, tau)
    c_tot = np.bincount(net.dst, weights=net.weight * c, minlength=net.n_neurons) + c_in
    c_tot = np.where(c_tot > c_in, c_tot, c + c_in)  # a neuron without inputs keeps its own C
    return tau * c_tot / (c + c_in), net.weight * c / c_tot[net.dst]


def _gate_gains(net: Network, c: float, c_in: float, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """tau_i and per-edge gains of the gate rule: one capacitor of the inputs' common weight."""
    w_max = np.zeros(net.n_neurons)
    w_min = np.full(net.n_neurons, np.inf)
    np.maximum.at(w_max, net.dst, net.weight)
    np.minimum.at(w_min, net.dst, net.weight)
    mixed = np.flatnonzero((w_max > 0) & (w_max != w_min))
    if len(mixed):
        i = int(mixed[0])
        raise InputError(f"gate rule: neuron {i} has inputs of different weights ({w_min[i]:g} and {w_max[i]:g}); "
                         "the AND gate drives one coupling capacitor, so all inputs of a neuron need one weight "
                         "(use shared neurons with coupling_weight = 0, or the capacitive/summing rule for eps links)")
    w = np.where(w_max > 0, w_max, 1.0)
    c_tot = w * c + c_in
    return tau * c_tot / (c + c_in), (w * c / c_tot)[net.dst]


def gate_counts(net: Network, firing: np.ndarray) -> np.ndarray:
    """Per neuron, how many of its predecessors are firing (the gate rule's memory of its AND)."""
    return np.bincount(net.dst, weights=np.asarray(firing, float)[net.src], minlength=net.n_neurons).astype(np.int64)


def _fanout_lists(net: Network, gains: np.ndarray) -> list[list[tuple[int, float]]]:
    """Per neuron, its (target, gain) pairs in edge order."""
    order = np.argsort(net.src, kind="stable")
    starts = np.searchsorted(net.src[order], np.arange(net.n_neurons + 1))
    return [[(int(net.dst[k]), float(gains[k])) for k in order[starts[i]:starts[i + 1]]] for i in range(net.n_neurons)]


def _neuron_list(classes: NeuronClasses, field: str, none_as: float | None = None) -> list:
    """A card parameter per neuron as a Python list (see :func:`hwsim.model.classes.per_neuron`)."""
    value = per_neuron(classes, field, none_as)
    return list(np.broadcast_to(np.asarray(value, float), classes.n))


def simulate_events(card: ModelCard | NeuronClasses, net: Network, t_stop_s: float, rule: str = "capacitive",
                    kicks: Sequence[tuple[float, int, float]] = ((0.0, 0, None),),
                    max_events: int = 10_000_000) -> Events:
    """Exact event-driven simulation from rest until ``t_stop_s`` (s).

    ``card``: one card, or neuron classes (each neuron its own card's thresholds, tau, gains,
    clamp and delay). ``kicks``: ``(time_s, neuron, dx_v)`` added to x at that time (``None``:
    vdd_v, which fires a resting neuron).
    """
    classes = as_classes(card, net.n_neurons)
    taus, gains = input_gains(classes, net, rule)
    vdd, vol = classes.card.value("vdd_v"), classes.card.value("v_ol_v")
    vtp, vtm = _neuron_list(classes, "vt_plus_v"), _neuron_list(classes, "vt_minus_v")
    delay = _neuron_list(classes, "delay_s")
    floor = [-c for c in _neuron_list(classes, "v_clamp_v", none_as=math.inf)]
    fanout = _fanout_lists(net, gains)
    x = [0.0] * net.n_neurons
    t_last = [0.0] * net.n_neurons
    firing = [False] * net.n_neurons
    version = [0] * net.n_neurons
    low = [0] * net.n_neurons  # gate rule: firing predecessors of each neuron (all rest at t = 0)
    heap: list = []
    seq = 0

    def push(t, kind, i, payload=0.0):
        nonlocal seq
        heapq.heappush(heap, (t, seq, kind, i, payload))
        seq += 1

    def decide(i, t):
        """Schmitt decision for neuron i at time t (x_i is current)."""
        if not firing[i]:
            if x[i] >= vtp[i]:
                firing[i] = True
                push(t + delay[i], "edge", i, vol - vdd)
                version[i] += 1
                push(t + taus[i] * math.log(x[i] / vtm[i]), "cross", i, version[i])
        elif x[i] < vtm[i]:
            firing[i] = False
            version[i] += 1
            push(t + delay[i], "edge", i, vdd - vol)
        else:
            version[i] += 1
            push(t + taus[i] * math.log(x[i] / vtm[i]), "cross", i, version[i])

    for t_k, i, dv in kicks:
        push(float(t_k), "kick", int(i), vdd if dv is None else float(dv))
    times, neurons, fired = [], [], []
    while heap and len(times) < max_events:
        t, _, kind, i, payload = heapq.heappop(heap)
        if t > t_stop_s:
            break
        if kind == "cross":
            if payload == version[i] and firing[i]:
                firing[i] = False
                push(t + delay[i], "edge", i, vdd - vol)
            continue
        if kind == "edge":
            times.append(t)
            neurons.append(i)
            fired.append(payload < 0)
            targets = fanout[i] if rule != "gate" else _gate_targets(fanout[i], low, payload < 0)
        else:  # kick: one target, the neuron itself, with the kick's dx as a gain on a unit edge
            targets = [(i, payload)]
            payload = 1.0
        for j, g in targets:
            x[j] = max(x[j] * math.exp(-(t - t_last[j]) / taus[j]) + g * payload, floor[j])
            t_last[j] = t
            decide(j, t)
    return Events(time=np.asarray(times, float), neuron=np.asarray(neurons, dtype=np.int32),
                  kind=np.where(np.asarray(fired, dtype=bool), 1, -1).astype(np.int8))


def _gate_targets(targets: list, low: list, fell: bool) -> list:
    """The targets whose AND gate switches when one predecessor's output falls (``fell``) or
    rises; updates their counts of firing predecessors ``low``."""
    moved = []
    for j, g in targets:
        low[j] += 1 if fell else -1
        if low[j] == (1 if fell else 0):
            moved.append((j, g))
    return moved


def ring_period_from_events(events: Events, neuron: int = 0, skip: int = 2) -> float:
    """Median time (s) between successive firing onsets of ``neuron``, first ``skip`` periods left out."""
    onsets = events.onsets(neuron)
    intervals = np.diff(onsets)[skip:]
    if len(intervals) == 0:
        raise InputError("the ring did not oscillate: fewer than skip + 2 firings of the reference neuron")
    return float(np.median(intervals))


def behavioural_ring_period(card: ModelCard, n: int, periods: int = 12, rule: str = "capacitive") -> float:
    """Period (s) of a ring of ``n`` behavioural neurons with one circulating pulse (exact engine)."""
    hop_guess = card.value("tau_s") * 4 + card.value("delay_s")
    events = simulate_events(card, ring_network(n), t_stop_s=(periods + 3) * n * hop_guess, rule=rule)
    return ring_period_from_events(events)


def ring_hop_law(card: ModelCard, n: int, tol: float = 1e-13, max_iter: int = 10_000) -> float | None:
    """Hop time h (s) of one pulse in a ring of ``n`` neurons, from the steady-state law; the
    period is ``n * h``. None if the ring cannot sustain a pulse.

    With a = c_couple/(c_couple + c_in), dV = vdd - v_ol, delay d, clamp level c (x >= -c):
    a neuron's input rises at t = 0 (its predecessor returns to rest); x jumps to x0 and the neuron
    fires, then returns to rest when x has decayed to VT-, so ``h = d + tau ln(x0 / VT-)``.
    It stays at rest, x decaying from VT- for (n - 2) h + 2 d, until its predecessor fires and
    its input falls: ``x_r = VT- exp(-((n-2) h + 2 d)/tau)``, ``x_neg = max(x_r - a dV, -c)``;
    that decays for h - d until the input rises again: ``x0 = a dV + x_neg exp(-(h - d)/tau)``.
    The fixed point is found by iteration (a contraction: x0 depends on h only through decayed
    terms). For the paper's card (a = 1, no clamp, d = 0) it gives h ~ 1.29 tau for n >= 5.
    """
    tau, vtm, vtp = card.value("tau_s"), card.value("vt_minus_v"), card.value("vt_plus_v")
    d = card.value("delay_s")
    a = card.value("c_couple_f") / (card.value("c_couple_f") + card.value("c_in_f"))
    dv = card.value("vdd_v") - card.value("v_ol_v")
    clamp = card.value("v_clamp_v")
    floor = -math.inf if clamp is None else -clamp
    h = d + tau * math.log(max(a * dv, vtm * 1.000001) / vtm)
    for _ in range(max_iter):
        x_r = vtm * math.exp(-((n - 2) * h + 2 * d) / tau)
        x0 = a * dv + max(x_r - a * dv, floor) * math.exp(-(h - d) / tau)
        if x0 < vtp or x0 <= vtm:
            return None
        h_new = d + tau * math.log(x0 / vtm)
        if abs(h_new - h) <= tol * h:
            return h_new
        h = h_new
    return h


def input_node_trace(card: ModelCard, t_s: np.ndarray, steps: Sequence[tuple[float, float]],
                     gain: float | None = None) -> np.ndarray:
    """x(t) (V) of one behavioural neuron on the grid ``t_s`` (s) from rest, driven by input steps
    ``(time_s, du_v)``: x jumps by ``gain * du`` (default the card's divider C/(C + C_in)), decays
    with tau and is clamped at -v_clamp."""
    tau, clamp = card.value("tau_s"), card.value("v_clamp_v")
    gain = card.value("c_couple_f") / (card.value("c_couple_f") + card.value("c_in_f")) if gain is None else gain
    floor = -math.inf if clamp is None else -clamp
    x = np.zeros(len(t_s))
    level, t_last = 0.0, -math.inf
    for t_k, du in sorted(steps) + [(math.inf, 0.0)]:
        seg = (t_s >= t_last) & (t_s < t_k)
        x[seg] = level * np.exp(-(t_s[seg] - t_last) / tau) if math.isfinite(t_last) else 0.0
        if math.isfinite(t_k):
            decayed = level * math.exp(-(t_k - t_last) / tau) if math.isfinite(t_last) else 0.0
            level, t_last = max(decayed + gain * du, floor), t_k
    return x


def output_trace(card: ModelCard, t_s: np.ndarray, events: Events, neuron: int) -> np.ndarray:
    """o(t) (V) of ``neuron`` on the grid ``t_s`` (s) from its :class:`Events` (starts at rest)."""
    vdd, vol = card.value("vdd_v"), card.value("v_ol_v")
    sel = events.neuron == neuron
    edges_t, fired = events.time[sel], events.fired[sel]
    idx = np.searchsorted(edges_t, t_s, side="right") - 1
    state = np.where(idx >= 0, fired[np.maximum(idx, 0)], False)
    return np.where(state, vol, vdd)


def schmitt_trace(card: ModelCard, t_s: np.ndarray, x_v: np.ndarray) -> np.ndarray:
    """o(t) (V) of the card's Schmitt trigger for the input trace ``x_v`` on ``t_s`` (from rest):
    fires when x reaches VT+, rests when x falls below VT-, each edge ``delay_s`` later."""
    vdd, vol = card.value("vdd_v"), card.value("v_ol_v")
    vtp, vtm, delay = card.value("vt_plus_v"), card.value("vt_minus_v"), card.value("delay_s")
    firing, state = False, np.zeros(len(t_s), dtype=bool)
    for k, x in enumerate(x_v):
        firing = x >= vtp if not firing else x >= vtm
        state[k] = firing
    shifted = np.interp(t_s - delay, t_s, state.astype(float), left=0.0) > 0.5
    return np.where(shifted, vol, vdd)
