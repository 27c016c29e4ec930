"""Discrete-time lattice engine in numpy/scipy.sparse: the independent reference for Brian2.

One time step k (dt), in the authors' order (DelMastro et al.): inputs from the outputs o[k],
then the input node, then the Schmitt decision giving o[k+1]. Per neuron i, with
``decay_i = exp(-dt/tau_i)`` (tau_i and the edge gains g from :func:`hwsim.model.behavior.input_gains`):

- capacitive rule (x form): ``s = sum_j g_ij o_j``; ``x <- decay * max(x + (s - s_prev), -v_clamp)``;
  ``s_prev <- s``.
- gate rule: the same with ``s = g_i (vdd - dv min(1, sum_j firing_j))`` (an AND gate of the
  active-low outputs driving one capacitor; g_i is the gain of every input edge of neuron i).
- summing rule (the authors' v_c form): ``u = sum_j w_ij o_j``;
  ``v_c <- min(v_c, u + v_clamp/a)`` (the clamp recharges the capacitor);
  ``v_c <- decay * v_c + (1 - decay) * u``; ``x = a (u - v_c)`` with a = C/(C + C_in).
  For the paper's card (a = 1, no clamp) this is exactly their update.
- Schmitt: a resting neuron (firing = 0) fires when x >= VT+; a firing one rests when x < VT-;
  ``o = vdd - (vdd - v_ol) * firing``.

The propagation delay of a card is not modelled here (it is below one step for the shipped
cards). Sums over inputs run in edge order sorted by (dst, src), as in the Brian2 adapter, so both
engines give bit-identical results. Events are (step, neuron, +1 fire / -1 rest), with step k
meaning the output changed at t = (k + 1) dt.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hwsim.errors import InputError
from hwsim.model.behavior import Network, input_gains
from hwsim.model.card import ModelCard
from hwsim.model.classes import NeuronClasses, as_classes, per_neuron
from hwsim.model.events import Events

__all__ = ["Discretised", "discretise", "initial_state", "State", "run_numpy", "BRIAN_TARGETS"]

#: Brian2 code-generation targets :func:`hwsim.lattice.brian.run_brian` accepts.
BRIAN_TARGETS = ("numpy", "cython", "cpp_standalone")


@dataclass(frozen=True)
class Discretised:
    """Per-neuron and per-edge constants of one (card, network, rule, dt): edges sorted by
    (dst, src); ``coef`` is the gain g (capacitive) or weight w (summing) of each edge."""

    rule: str
    dt_s: float
    n: int
    src: np.ndarray
    dst: np.ndarray
    coef: np.ndarray
    decay: np.ndarray
    one_minus_decay: np.ndarray
    divider: float | np.ndarray  # C/(C + C_in); per neuron (array) where neuron classes differ
    vdd: float
    dv: float
    vt_plus: float | np.ndarray
    vt_minus: float | np.ndarray
    clamp: float | np.ndarray | None  # None: no clamp; inf in an array: that neuron has none
    node_gain: np.ndarray | None = None  # gate rule: the gain g_i of each neuron's one capacitor


def discretise(card: ModelCard | NeuronClasses, net: Network, rule: str, dt_s: float, tau_scale=None) -> Discretised:
    """Constants for stepping ``net`` with ``card`` (or neuron classes: each neuron its own card's
    thresholds, divider, clamp and tau; per-neuron arrays where classes differ) at time step
    ``dt_s`` (card time units); ``tau_scale``: optional per-neuron factors on tau (device mismatch)."""
    if not (math.isfinite(dt_s) and dt_s > 0):
        raise InputError(f"dt must be a positive number of seconds (card time units), got {dt_s}")
    classes = as_classes(card, net.n_neurons)
    taus, gains = input_gains(classes, net, rule)
    if tau_scale is not None:
        taus = taus * np.asarray(tau_scale, float)
    if dt_s > 0.1 * taus.min():
        raise InputError(f"dt = {dt_s:g} is more than 0.1 tau ({taus.min():g}); use dt <= 0.01 tau")
    order = np.lexsort((net.src, net.dst))
    coef = gains if rule == "capacitive" else net.weight
    decay = np.exp(-dt_s / taus)
    c, c_in = per_neuron(classes, "c_couple_f"), per_neuron(classes, "c_in_f")
    vdd, vol = classes.card.value("vdd_v"), classes.card.value("v_ol_v")
    return Discretised(rule=rule, dt_s=float(dt_s), n=net.n_neurons, src=net.src[order].astype(np.int64),
                       dst=net.dst[order].astype(np.int64), coef=np.asarray(coef, float)[order], decay=decay,
                       one_minus_decay=1.0 - decay, divider=c / (c + c_in), vdd=vdd, dv=vdd - vol,
                       vt_plus=per_neuron(classes, "vt_plus_v"), vt_minus=per_neuron(classes, "vt_minus_v"),
                       clamp=per_neuron(classes, "v_clamp_v", none_as=math.inf),
                       node_gain=_node_gain(net, gains) if rule == "gate" else None)


def _node_gain(net: Network, gains: np.ndarray) -> np.ndarray:
    """Per neuron, the gain of its input edges (all equal under the gate rule; 0 without inputs)."""
    g = np.zeros(net.n_neurons)
    g[net.dst] = gains
    return g


@dataclass
class State:
    """Engine state: x (V), firing (0.0/1.0), and the rule's memory (s_prev or v_c)."""

    x: np.ndarray
    firing: np.ndarray
    memory: np.ndarray


def _input_sum(d: Discretised, firing: np.ndarray) -> np.ndarray:
    if d.node_gain is not None:  # gate rule: the AND of the inputs' outputs, on one capacitor
        low = np.bincount(d.dst, weights=firing[d.src], minlength=d.n)
        return d.node_gain * (d.vdd - d.dv * np.minimum(low, 1.0))
    o = d.vdd - d.dv * firing
    return np.bincount(d.dst, weights=d.coef * o[d.src], minlength=d.n)


def initial_state(d: Discretised, x0: np.ndarray, firing0: np.ndarray) -> State:
    """State from initial x (V) and firing flags; the rule's memory is made consistent with them."""
    x0 = np.asarray(x0, dtype=float).copy()
    firing0 = np.asarray(firing0, dtype=float).copy()
    if x0.shape != (d.n,) or firing0.shape != (d.n,):
        raise InputError(f"initial state: x0 and firing0 need shape ({d.n},), got {x0.shape} and {firing0.shape}")
    if not np.all(np.isfinite(x0)) or not np.all(np.isin(firing0, (0.0, 1.0))):
        raise InputError("initial state: x0 must be finite and firing0 only 0 or 1")
    s = _input_sum(d, firing0)
    memory = s - x0 / d.divider if d.rule == "summing" else s
    return State(x=x0, firing=firing0, memory=memory)


def step(d: Discretised, st: State) -> tuple[np.ndarray, np.ndarray]:
    """Advance one step in place; returns (neurons that fired, neurons that returned to rest)."""
    s = _input_sum(d, st.firing)
    if d.rule != "summing":
        xj = st.x + (s - st.memory)
        if d.clamp is not None:
            xj = np.maximum(xj, -d.clamp)
        st.x = d.decay * xj
        st.memory = s
    else:
        v_c = st.memory
        if d.clamp is not None:
            v_c = np.minimum(v_c, s + d.clamp / d.divider)
        v_c = d.decay * v_c + d.one_minus_decay * s
        st.memory = v_c
        st.x = d.divider * (s - v_c)
    resting = st.firing == 0.0
    fire = np.flatnonzero(resting & (st.x >= d.vt_plus))
    rest = np.flatnonzero(~resting & (st.x < d.vt_minus))
    st.firing[fire] = 1.0
    st.firing[rest] = 0.0
    return fire, rest


def run_numpy(d: Discretised, st: State, n_steps: int,
              progress: Callable[[int], None] | None = None) -> tuple[Events, State]:
    """Run ``n_steps`` steps of ``d.dt_s`` seconds from ``st`` (updated in place). Returns the
    events and the final state; ``progress(k)`` is called with every 1 000 steps done."""
    parts = []
    for k in range(n_steps):
        fire, rest = step(d, st)
        if len(fire) or len(rest):
            parts.append((np.full(len(fire) + len(rest), k), np.concatenate([fire, rest]),
                          np.concatenate([np.ones(len(fire)), -np.ones(len(rest))])))
        if progress and (k + 1) % 1000 == 0:
            progress(1000)
    return Events.from_parts(parts, d.dt_s), st
