"""Compiled lattice engines (numba): a fused clock-driven loop and an exact event-driven engine.

Why numba: it compiles these plain loops to machine code at first use, with no build step and no
C toolchain (wheels on PyPI for Linux, macOS, Windows), and it is kept up with numpy releases. The
kernels are ordinary Python functions, readable next to the numpy reference they must match.
Compiled code is cached under ``.hwsim-cache/numba`` (``NUMBA_CACHE_DIR``), so only the first run
on a machine pays the compile (a few seconds).

Clock-driven (:func:`run_numba`)
    The numpy reference step (:mod:`hwsim.lattice.engine`) as one loop over neurons per step, with
    the inputs of each neuron in a CSR table by target (edges sorted by (dst, src), as the
    reference sums them). The same float operations in the same order, without fused multiply-add
    (numba's default ``fastmath=False``), so events and final state are bit-identical to the numpy
    engine. It runs in slices of about 0.2 s so that progress is reported and Ctrl-C lands between
    slices.

Exact event-driven (:func:`run_events`)
    No time step. Between input edges x only decays, so a firing neuron's return to rest is known
    analytically (t = tau ln(x/VT-)) and a resting neuron can fire only at an input edge: a binary
    heap of pending output edges and threshold crossings, popped in time order. The same model as
    :func:`hwsim.model.behavior.simulate_events` (both rules through their edge gains, the clamp,
    the propagation delay), which it matches to rounding. Cost grows with events, not neurons x
    steps.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np

from hwsim.errors import MissingDependencyError, SimulatorError
from hwsim.files import cache_dir
from hwsim.lattice.engine import Discretised, State
from hwsim.model.events import Events

__all__ = ["run_numba", "run_events", "csr_by_target"]

#: Neuron-steps (plus edge-steps) per compiled slice: about 0.1-0.3 s on one core.
_SLICE_WORK = 3e7
#: Pops at one instant after which the event engine calls it a zero-time switching loop.
_MAX_SAME_TIME = 1_000_000


def _numba():
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))
    try:
        import numba
    except ImportError:
        raise MissingDependencyError("the compiled engines need numba: pip install 'numba>=0.60'") from None
    return numba


#: Compile on first call, cached on disk; plain float semantics (no fastmath: no FMA contraction).
_jit = _numba().njit(cache=True, nogil=True)


def csr_by_target(d: Discretised) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row pointers, sources, coefficients) of the inputs of each neuron, in (dst, src) order."""
    ptr = np.zeros(d.n + 1, np.int64)
    np.add.at(ptr, d.dst + 1, 1)
    return np.cumsum(ptr), d.src.astype(np.int64), d.coef.astype(np.float64)


@_jit
def _clock_slice(k0, k1, capacitive, use_clamp, clamp, clamp_over_a, divider, vdd, dv, vt_plus, vt_minus,
                 ptr, src, coef, decay, one_minus_decay, x, firing, memory, o, ev_step, ev_neuron, ev_kind, n_ev):
    """Steps k0..k1-1 in place; events appended from ``n_ev``. Returns (next step, event count);
    stops early (before a step) when the event buffer might overflow."""
    n = len(x)
    cap = len(ev_step)
    for k in range(k0, k1):
        if n_ev + n > cap:
            return k, n_ev
        for i in range(n):
            o[i] = vdd - dv * firing[i]
        for i in range(n):
            s = 0.0
            for e in range(ptr[i], ptr[i + 1]):
                s += coef[e] * o[src[e]]
            if capacitive:
                xj = x[i] + (s - memory[i])
                if use_clamp and xj < -clamp:
                    xj = -clamp
                x[i] = decay[i] * xj
                memory[i] = s
            else:
                v_c = memory[i]
                if use_clamp:
                    bound = s + clamp_over_a
                    if bound < v_c:
                        v_c = bound
                v_c = decay[i] * v_c + one_minus_decay[i] * s
                memory[i] = v_c
                x[i] = divider * (s - v_c)
            if firing[i] == 0.0:
                if x[i] >= vt_plus:
                    firing[i] = 1.0
                    ev_step[n_ev] = k
                    ev_neuron[n_ev] = i
                    ev_kind[n_ev] = 1
                    n_ev += 1
            elif x[i] < vt_minus:
                firing[i] = 0.0
                ev_step[n_ev] = k
                ev_neuron[n_ev] = i
                ev_kind[n_ev] = -1
                n_ev += 1
    return k1, n_ev


def run_numba(d: Discretised, st: State, n_steps: int,
              progress: Callable[[int], None] | None = None) -> tuple[Events, State]:
    """The clock-driven engine, compiled: same arguments and results as
    :func:`hwsim.lattice.engine.run_numpy` (bit-identical events and final state)."""
    kernel = _clock_slice
    ptr, src, coef = csr_by_target(d)
    x, firing, memory = (np.array(a, dtype=np.float64) for a in (st.x, st.firing, st.memory))
    o = np.empty(d.n)
    use_clamp = d.clamp is not None
    clamp = float(d.clamp) if use_clamp else 0.0
    clamp_over_a = clamp / d.divider if use_clamp else 0.0
    slice_steps = max(1, int(_SLICE_WORK / (d.n + len(src) + 1)))
    cap = max(4 * d.n, 1 << 16)
    parts, k = [], 0
    while k < n_steps:
        ev_step, ev_neuron, ev_kind = np.empty(cap, np.int64), np.empty(cap, np.int32), np.empty(cap, np.int8)
        k_next, n_ev = kernel(k, min(n_steps, k + slice_steps), d.rule == "capacitive", use_clamp, clamp,
                              clamp_over_a, d.divider, d.vdd, d.dv, d.vt_plus, d.vt_minus, ptr, src, coef,
                              np.asarray(d.decay, np.float64), np.asarray(d.one_minus_decay, np.float64), x, firing,
                              memory, o, ev_step, ev_neuron, ev_kind, 0)
        if n_ev:
            parts.append((ev_step[:n_ev].copy(), ev_neuron[:n_ev].copy(), ev_kind[:n_ev].copy()))
        if progress and k_next > k:
            progress(k_next - k)
        if k_next == k:  # more events in one step than the buffer holds: grow it
            cap *= 2
        k = k_next
    return Events.from_parts(parts, d.dt_s), State(x=x, firing=firing, memory=memory)


# ---------------------------------------------------------------- exact event-driven engine
#
# Heap entries: (time, sequence, kind, neuron, payload) in parallel arrays. Kinds: 0 an output
# edge of `neuron` (payload: the output step dV, negative when it starts firing), 1 a threshold
# crossing of a firing neuron (payload: the version of its state that scheduled it; a later
# input makes it stale).


@_jit
def _heap_push(h_t, h_seq, h_kind, h_i, h_p, size, seq, t, kind, i, p):
    """Push one entry (sift up); returns the new size. Ties in time pop in push order."""
    j = size
    while j > 0:
        parent = (j - 1) >> 1
        if h_t[parent] < t or (h_t[parent] == t and h_seq[parent] < seq):
            break
        h_t[j], h_seq[j], h_kind[j], h_i[j], h_p[j] = h_t[parent], h_seq[parent], h_kind[parent], h_i[parent], \
            h_p[parent]
        j = parent
    h_t[j], h_seq[j], h_kind[j], h_i[j], h_p[j] = t, seq, kind, i, p
    return size + 1


@_jit
def _heap_pop(h_t, h_seq, h_kind, h_i, h_p, size):
    """Remove the root (sift the last entry down); returns the new size."""
    size -= 1
    t, seq, kind, i, p = h_t[size], h_seq[size], h_kind[size], h_i[size], h_p[size]
    j = 0
    while True:
        c = 2 * j + 1
        if c >= size:
            break
        if c + 1 < size and (h_t[c + 1] < h_t[c] or (h_t[c + 1] == h_t[c] and h_seq[c + 1] < h_seq[c])):
            c += 1
        if t < h_t[c] or (t == h_t[c] and seq < h_seq[c]):
            break
        h_t[j], h_seq[j], h_kind[j], h_i[j], h_p[j] = h_t[c], h_seq[c], h_kind[c], h_i[c], h_p[c]
        j = c
    h_t[j], h_seq[j], h_kind[j], h_i[j], h_p[j] = t, seq, kind, i, p
    return size


@_jit
def _event_slice(t_stop, max_pops, max_fanout, out_ptr, out_dst, out_gain, tau, x, t_last, firing, version, floor,
                 vtp, vtm, delay, dv_fall, h_t, h_seq, h_kind, h_i, h_p, size, seq, ev_t, ev_neuron, ev_kind):
    """Pop at most ``max_pops`` entries before ``t_stop``; record output edges into ev_*.
    Returns (heap size, sequence, events written, time of the last entry popped, status): status 1
    finished, 0 not yet, -1 a switching loop in zero time (more than ``_MAX_SAME_TIME`` pops at one
    instant: outputs that flip each other without delay)."""
    n_ev = 0
    cap = len(ev_t)
    t_now = -1.0
    same = 0
    for _ in range(max_pops):
        if size == 0 or h_t[0] > t_stop:
            return size, seq, n_ev, t_now, 1
        if n_ev >= cap or size + 2 * max_fanout + 2 > len(h_t):
            return size, seq, n_ev, t_now, 0
        t, kind, i, p = h_t[0], h_kind[0], h_i[0], h_p[0]
        size = _heap_pop(h_t, h_seq, h_kind, h_i, h_p, size)
        same = same + 1 if t == t_now else 0
        if same > _MAX_SAME_TIME:
            return size, seq, n_ev, t, -1
        t_now = t
        if kind == 1:  # threshold crossing: still valid if nothing moved x since it was scheduled
            if p == version[i] and firing[i]:
                firing[i] = False
                size = _heap_push(h_t, h_seq, h_kind, h_i, h_p, size, seq, t + delay, 0, i, -dv_fall)
                seq += 1
            continue
        ev_t[n_ev] = t
        ev_neuron[n_ev] = i
        ev_kind[n_ev] = 1 if p < 0 else -1
        n_ev += 1
        for e in range(out_ptr[i], out_ptr[i + 1]):
            j = out_dst[e]
            xj = x[j] * math.exp(-(t - t_last[j]) / tau[j]) + out_gain[e] * p
            x[j] = xj if xj > floor else floor
            t_last[j] = t
            size, seq = _decide(j, t, x, firing, version, tau, vtp, vtm, delay, dv_fall, h_t, h_seq, h_kind, h_i,
                                h_p, size, seq)
    return size, seq, n_ev, t_now, 0


@_jit
def _decide(i, t, x, firing, version, tau, vtp, vtm, delay, dv_fall, h_t, h_seq, h_kind, h_i, h_p, size, seq):
    """Schmitt decision of neuron i at time t (x[i] current); schedules its edge or crossing."""
    if not firing[i]:
        if x[i] >= vtp:
            firing[i] = True
            size = _heap_push(h_t, h_seq, h_kind, h_i, h_p, size, seq, t + delay, 0, i, dv_fall)
            seq += 1
            version[i] += 1
            size = _heap_push(h_t, h_seq, h_kind, h_i, h_p, size, seq, t + tau[i] * math.log(x[i] / vtm), 1, i,
                              float(version[i]))
            seq += 1
    elif x[i] < vtm:
        firing[i] = False
        version[i] += 1
        size = _heap_push(h_t, h_seq, h_kind, h_i, h_p, size, seq, t + delay, 0, i, -dv_fall)
        seq += 1
    else:
        version[i] += 1
        size = _heap_push(h_t, h_seq, h_kind, h_i, h_p, size, seq, t + tau[i] * math.log(x[i] / vtm), 1, i,
                          float(version[i]))
        seq += 1
    return size, seq


@_jit
def _start(x, firing, version, tau, vtp, vtm, delay, dv_fall, h_t, h_seq, h_kind, h_i, h_p):
    """Schedule what the initial state implies at t = 0 (crossings of firing neurons, onsets of
    resting ones above VT+); returns (heap size, sequence)."""
    size, seq = 0, 0
    for i in range(len(x)):
        if firing[i] or x[i] >= vtp:
            size, seq = _decide(i, 0.0, x, firing, version, tau, vtp, vtm, delay, dv_fall, h_t, h_seq, h_kind, h_i,
                                h_p, size, seq)
    return size, seq


def _fanout(net, gains: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(pointers, targets, gains) of each neuron's outputs (CSR by source) and the largest fan-out."""
    order = np.argsort(net.src, kind="stable")
    ptr = np.searchsorted(net.src[order], np.arange(net.n_neurons + 1)).astype(np.int64)
    fan = int(np.diff(ptr).max()) if net.n_neurons else 0
    return ptr, net.dst[order].astype(np.int64), np.asarray(gains, np.float64)[order], fan


def run_events(card, net, rule: str, x0: np.ndarray, firing0: np.ndarray, t_stop: float, tau_scale=None,
               progress: Callable[[float], None] | None = None) -> tuple[Events, State]:
    """Exact event-driven run of ``net`` with ``card`` from (x0 in V, firing0 0/1) at t = 0 until
    ``t_stop`` (card time units). ``tau_scale``: per-neuron factors on tau. ``progress(dt)`` hears
    the simulated time advanced (card units). Returns the events (times, no steps) and the state at
    ``t_stop`` (x decayed to t_stop; ``memory`` holds the time of each neuron's last input)."""
    from hwsim.model.behavior import input_gains

    taus, gains = input_gains(card, net, rule)
    taus = np.asarray(taus * (1.0 if tau_scale is None else np.asarray(tau_scale, float)), np.float64)
    ptr, dst, gain, fan = _fanout(net, gains)
    vdd, vol, vtp, vtm = (card.value(k) for k in ("vdd_v", "v_ol_v", "vt_plus_v", "vt_minus_v"))
    delay, clamp = card.value("delay_s"), card.value("v_clamp_v")
    floor = -math.inf if clamp is None else -float(clamp)
    n = net.n_neurons
    x, t_last = np.array(x0, np.float64), np.zeros(n)
    firing, version = np.asarray(firing0) > 0, np.zeros(n, np.int64)
    cap = 4 * n + 4 * fan + 1024
    heap = [np.empty(cap), np.empty(cap, np.int64), np.empty(cap, np.int8), np.empty(cap, np.int64), np.empty(cap)]
    size, seq = _start(x, firing, version, taus, vtp, vtm, delay, vol - vdd, *heap)
    parts, t_done, status = [], 0.0, 0
    ev_cap = max(1 << 16, 2 * n)
    while status == 0:
        if size + 2 * fan + 2 > len(heap[0]):
            if len(heap[0]) > 16 * (n + len(dst)) + 4096:
                raise SimulatorError(f"exact event engine: {size:,} pending events for {n:,} neurons at t = {t_done:g} "
                                     f"(card {card.name!r}, delay_s = {delay:g}, {rule} rule): outputs switch each "
                                     "other faster than any ring hop, a storm the model cannot step past; use a "
                                     "clock-driven engine (--engine numba) or a card with a propagation delay")
            heap = [np.concatenate([h, np.empty_like(h)]) for h in heap]
        ev = np.empty(ev_cap), np.empty(ev_cap, np.int32), np.empty(ev_cap, np.int8)
        size, seq, n_ev, t_now, status = _event_slice(t_stop, 2_000_000, fan, ptr, dst, gain, taus, x, t_last,
                                                        firing, version, floor, vtp, vtm, delay, vol - vdd, *heap,
                                                        size, seq, *ev)
        if n_ev:
            parts.append(tuple(a[:n_ev].copy() for a in ev))
        if status < 0:
            raise SimulatorError(f"exact event engine: neurons switch each other in zero time at t = {t_now:g} "
                                 f"(card {card.name!r} has delay_s = {delay:g}, and with the {rule} rule outputs "
                                 "flip each other at one instant); use a clock-driven engine (--engine numba) or a "
                                 "card with a propagation delay")
        if progress:
            t_now = t_stop if status == 1 else max(t_now, t_done)
            progress(t_now - t_done)
            t_done = t_now
    t, i, k = (np.concatenate(p) for p in zip(*parts)) if parts else (np.zeros(0), np.zeros(0, np.int32),
                                                                         np.zeros(0, np.int8))
    x_end = np.maximum(x * np.exp(-(t_stop - t_last) / taus), floor)
    return Events(time=t, neuron=i, kind=k), State(x=x_end, firing=firing.astype(float), memory=t_last)
