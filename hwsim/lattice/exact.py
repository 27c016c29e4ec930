"""The exact event-driven lattice engine (numba): no time step, cost proportional to events.

Between input edges x only decays, so a firing neuron's return to rest is known analytically
(t = tau ln(x / VT-)) and a resting neuron can fire only at an input edge. The same model as
:func:`hwsim.model.behavior.simulate_events` (all rules through their edge gains, the clamp, the
propagation delay; the gate rule through per-neuron counts of firing predecessors), which it
matches to rounding.

Two queues instead of one heap (a binary heap of a million pending entries costs ~0.4 us a pop
here, mostly cache misses):

- **output edges** are scheduled at (decision time + delay), and decisions are taken in time
  order, so with one delay they arrive in time order: a FIFO ring buffer, O(1) (neuron classes
  of different delays: an edge that lands before the last ones queued is inserted before them);
- **threshold crossings**: each firing neuron has exactly one, moved whenever an input changes
  its x: a calendar queue (buckets of width ``w`` over a horizon of a few tau, each two doubly
  linked lists threaded through per-neuron arrays), O(1) insert (into the unsorted list), move
  and remove; the next crossing is the earliest of the current bucket's unsorted list (a few
  entries, scanned) and the head of its sorted list. A scan that finds more than
  ``_SORT_AFTER`` unsorted entries (a synchronised lattice puts thousands of crossings at one
  instant, and rescanning them at each pop was quadratic) moves them into the sorted list, oldest
  first, walking back from its tail: O(1) each for crossings scheduled in time order.

Entries at one instant pop in the order they were scheduled (a sequence number), as in the
reference. What is kept is chosen by ``record``: every output edge, or only those of some neurons
(e.g. each ring's reference neuron, all the phase metrics use), with per-neuron firing counts for
all; a million-neuron run then fits in a few hundred MB instead of several GB.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from hwsim.errors import SimulatorError
from hwsim.lattice.compiled import jit_inline, jit_noalloc, prefetch
from hwsim.lattice.engine import State
from hwsim.model.card import ModelCard
from hwsim.model.classes import NeuronClasses, as_classes
from hwsim.model.events import Events

__all__ = ["run_events", "EventStats"]

#: Pops at one instant after which the engine calls it a zero-time switching loop.
_MAX_SAME_TIME = 1_000_000
#: Pops per compiled slice (about 0.1-0.5 s), between which progress is reported and Ctrl-C lands.
_SLICE_POPS = 2_000_000
#: How far ahead in the output-edge FIFO the engine starts memory reads (entries).
_AHEAD = 16
#: How many calendar buckets ahead it starts reading the rows of coming crossings.
_CAL_AHEAD = 3
#: A bucket's unsorted list longer than this at a scan moves into the bucket's sorted list.
_SORT_AFTER = 16
#: The calendar covers this many tau ahead (crossings lie at most tau ln(x_max / VT-) ahead).
_HORIZON_TAU = 4.0


class EventStats(dict):
    """Counts of one exact run: ``pops`` (queue entries handled), ``edges`` (output edges),
    ``recorded`` (edges kept), ``firings`` (per-neuron firing onsets, int64 array) and
    ``output_at`` (output states at the sample times, bool array samples x neurons)."""


# Per-neuron state, one 64-byte row (one cache line) per neuron, since events touch neurons all over
# the lattice: x (V), time of the last input, tau, and the crossing's time, sequence number,
# absolute bucket (-1: none, the neuron rests) and list links (-1: none). Integers are stored as
# float64, exact below 2^53.
X, T_LAST, TAU, C_T, C_SEQ, C_B, NXT, PRV = range(8)
# Calendar: ``head`` holds for nb buckets the unsorted lists' heads [0, nb), the sorted lists'
# heads [nb, 2 nb) and their tails [2 nb, 3 nb); the unsorted heads, used at every insert, stay compact.
# head[3 nb] counts the non-empty sorted lists: while it is 0 (a lattice that does not lock) a pop
# skips reading the sorted heads, a cache miss of its own on a million neurons.
# Source table ``src`` (int64, 2 (n + 1)): per neuron i, src[2 i] is where its outputs start in the edge
# table (they end at src[2 i + 2]) and src[2 i + 1] packs 4 x (firing onsets so far) + 2 x (output
# firing now) + (edges kept): what an output edge reads and writes of its source, in one cache line
# instead of four arrays. Edge table ``edge`` (float64, 2 edges): target neuron (exact integer) and gain.
# Per-class constants (rows of ``par``, one per neuron class): VT+, VT- (V), delay (s), clamp floor (V).
VTP, VTM, DELAY, FLOOR = range(4)


def _class_of_overload():
    """``_class_of(cls, j)``: neuron j's class, ``cls[j]`` for an array; 0 for the integer 0 that a
    one-card run passes, chosen when numba compiles (no per-neuron load in the common case)."""
    from numba import types
    from numba.extending import overload

    def _class_of(cls, j):
        return cls[j]

    @overload(_class_of)
    def _class_of_impl(cls, j):
        if isinstance(cls, types.Integer):
            return lambda cls, j: 0
        return lambda cls, j: cls[j]

    return _class_of


_class_of = _class_of_overload()


@jit_inline
def _before(a, b, s):
    """Whether crossing a comes before crossing b: earlier time, or the same time and sequence."""
    return s[a, C_T] < s[b, C_T] or (s[a, C_T] == s[b, C_T] and s[a, C_SEQ] < s[b, C_SEQ])


@jit_inline
def _sorted_insert(j, slot, head, s):
    """Link neuron j's crossing (time, sequence and bucket already set) into bucket ``slot``'s
    sorted list, walking back from its tail."""
    nb = (len(head) - 1) // 3
    p = head[2 * nb + slot]
    if p < 0:
        head[3 * nb] += 1  # the list was empty
    while p >= 0 and _before(j, p, s):
        p = np.int64(s[p, PRV])
    if p < 0:
        q = head[nb + slot]
        head[nb + slot] = j
        s[j, PRV] = -2.0
    else:
        q = np.int64(s[p, NXT])
        s[p, NXT] = j
        s[j, PRV] = p
    if q < 0:
        head[2 * nb + slot] = j
        s[j, NXT] = -2.0
    else:
        s[j, NXT] = q
        s[q, PRV] = j


@jit_inline
def _bucket_min(k_abs, mask, head, s):
    """The earliest crossing in absolute bucket ``k_abs`` (-1 if none of this bucket's year): the
    smaller of the unsorted list's minimum and the sorted list's head. An unsorted list longer
    than _SORT_AFTER (many crossings at nearly one instant) moves into the sorted list."""
    slot = k_abs & mask
    best, count, last = -1, 0, -1
    j = head[slot]
    while j != -1:
        if s[j, C_B] == k_abs and (best == -1 or _before(j, best, s)):
            best = j
        count += 1
        last = j
        j = np.int64(s[j, NXT])
    if count > _SORT_AFTER:  # oldest first, so that crossings scheduled in time order append at the tail
        head[slot] = -1
        best = -1
        while last != -1:
            j, last = last, np.int64(s[last, PRV])
            _sorted_insert(j, slot, head, s)
    if head[3 * (mask + 1)] == 0:
        return best
    h = head[mask + 1 + slot]
    if h != -1 and s[h, C_B] == k_abs and (best == -1 or _before(h, best, s)):
        best = h
    return best


@jit_inline
def _cal_remove(j, mask, head, s):
    """Unlink neuron j's crossing from its bucket (either list: the sorted list's ends are marked
    by -2 in PRV / NXT, the unsorted list's by -1)."""
    slot = np.int64(s[j, C_B]) & mask
    p, q = np.int64(s[j, PRV]), np.int64(s[j, NXT])
    if p >= 0:
        s[p, NXT] = q
    elif p == -1:
        head[slot] = q
    else:
        head[mask + 1 + slot] = q if q >= 0 else -1
    if q >= 0:
        s[q, PRV] = p
    elif q == -2:
        head[2 * (mask + 1) + slot] = p if p >= 0 else -1
        if p == -2:  # j was the sorted list's only entry
            head[3 * (mask + 1)] -= 1
    s[j, C_B] = -1.0


@jit_inline
def _cal_insert(j, t, seq, inv_w, mask, head, s):
    """Link neuron j's crossing at time t into its bucket's unsorted list (O(1))."""
    b = np.int64(t * inv_w)
    s[j, C_T], s[j, C_SEQ], s[j, C_B] = t, seq, b
    h = head[b & mask]
    s[j, NXT], s[j, PRV] = h, -1.0
    if h != -1:
        s[h, PRV] = j
    head[b & mask] = j


@jit_inline
def _push_edge(t, seq, j, kind, f_t, f_seq, f_i, f_k, f_head, f_len):
    """Append neuron j's output edge at time t to the FIFO; returns its new length. With one delay
    for all neurons edges arrive in time order; with neuron classes of different delays an edge may
    be earlier than the last ones queued: it is inserted before them (they have larger sequence
    numbers only if later in time, so the queue stays sorted by (time, sequence))."""
    fmask = len(f_t) - 1
    slot = (f_head + f_len) & fmask
    n = f_len
    while n > 0 and f_t[(slot - 1) & fmask] > t:  # a later edge queued by a neuron of a longer delay
        prev = (slot - 1) & fmask
        f_t[slot], f_seq[slot], f_i[slot], f_k[slot] = f_t[prev], f_seq[prev], f_i[prev], f_k[prev]
        slot = prev
        n -= 1
    f_t[slot], f_seq[slot], f_i[slot], f_k[slot] = t, seq, j, kind
    return f_len + 1


@jit_inline
def _decide(j, t, seq, s, par, cls, inv_w, mask, head, f_t, f_seq, f_i, f_k, f_head, f_len):
    """Schmitt decision of neuron j at time t (its x current): schedules its output edge (FIFO) and
    moves its crossing (calendar). Returns (sequence, FIFO length, change in firing neurons)."""
    c = _class_of(cls, j)
    vtp, vtm, delay = par[c, VTP], par[c, VTM], par[c, DELAY]
    x = s[j, X]
    if s[j, C_B] < 0:  # resting
        if x >= vtp:
            f_len = _push_edge(t + delay, seq, j, 1, f_t, f_seq, f_i, f_k, f_head, f_len)
            _cal_insert(j, t + s[j, TAU] * math.log(x / vtm), seq + 1, inv_w, mask, head, s)
            return seq + 2, f_len, 1
        return seq, f_len, 0
    _cal_remove(j, mask, head, s)
    if x < vtm:
        f_len = _push_edge(t + delay, seq, j, -1, f_t, f_seq, f_i, f_k, f_head, f_len)
        return seq + 1, f_len, -1
    _cal_insert(j, t + s[j, TAU] * math.log(x / vtm), seq, inv_w, mask, head, s)
    return seq + 1, f_len, 0


@jit_inline
def _next_crossing(k_abs, limit, mask, head, s):
    """(earliest crossing or -1, bucket): walks the calendar from bucket ``k_abs`` up to ``limit``
    (the bucket of the next output edge) and stops at the first bucket holding a crossing."""
    while True:
        best = _bucket_min(k_abs, mask, head, s)
        if best != -1 or k_abs >= limit:
            return best, k_abs
        k_abs += 1


@jit_inline
def _prefetch_ahead(f_i, f_head, src, edge, rows):
    """Start the memory reads of the output edges queued next (no effect on results): the source
    table entry of the one _AHEAD places on, the target lists of the one half-way, the targets' rows of
    the one a quarter of the way. Needs more than _AHEAD entries in the FIFO."""
    fmask = len(f_i) - 1
    far = f_i[(f_head + _AHEAD) & fmask]
    prefetch(src, 2 * far)
    e0 = src[2 * f_i[(f_head + _AHEAD // 2) & fmask]]
    prefetch(edge, 2 * e0)
    soon = f_i[(f_head + _AHEAD // 4) & fmask]
    for e in range(src[2 * soon], src[2 * soon + 2]):
        prefetch(rows, np.int64(edge[2 * e]) * 8)


@jit_inline
def _apply_edge(i, k, t, seq, fall, src, edge, s, par, cls, inv_w, mask, head,
                f_t, f_seq, f_i, f_k, f_head, f_len, gate, low):
    """Neuron i's output edge (kind k) at time t moves the x of its targets, which then decide.
    Gate rule (``gate``): only targets whose AND gate switches move (``low``: firing predecessors
    per neuron, updated here). Returns (sequence, FIFO length, change in firing neurons)."""
    step = fall if k > 0 else -fall  # fall = V_OL - VDD < 0: the output falls when i fires
    change = 0
    for e in range(src[2 * i], src[2 * i + 2]):
        j = np.int64(edge[2 * e])
        if gate:
            low[j] += 1 if k > 0 else -1
            if low[j] != (1 if k > 0 else 0):
                continue
        xj = s[j, X] * math.exp(-(t - s[j, T_LAST]) / s[j, TAU]) + edge[2 * e + 1] * step
        floor = par[_class_of(cls, j), FLOOR]
        s[j, X] = xj if xj > floor else floor
        s[j, T_LAST] = t
        seq, f_len, c = _decide(j, t, seq, s, par, cls, inv_w, mask, head, f_t, f_seq, f_i, f_k, f_head, f_len)
        change += c
    return seq, f_len, change


@jit_noalloc
def _slice(t_stop, max_pops, fan, src, edge, s, rows, par, cls, fall, inv_w, mask, head,
           f_t, f_seq, f_i, f_k, q, ev_t, ev_i, ev_k, gate, low):
    """Handle at most ``max_pops`` entries before ``t_stop``. ``q`` (int64, in/out): FIFO head,
    FIFO length, calendar bucket, calendar size, sequence, pops, edges, events written, pops at
    the time of the last pop, and that time (as the float64 bits). Returns
    (status, time of the last pop): 1 finished, 0 not yet (a buffer is full or the pops are
    used), -1 a switching loop in zero time. ``rows``: ``s`` as a flat view (for prefetching)."""
    f_head, f_len, k_abs, n_cal, seq = q[0], q[1], q[2], q[3], q[4]
    pops, edges, n_ev, same = q[5], q[6], q[7], q[8]
    t_now = q[9:10].view(np.float64)[0]
    fcap, ecap = len(f_t), len(ev_t)
    status = 0
    for _ in range(max_pops):
        if f_len + 2 * fan + 2 > fcap or n_ev >= ecap:
            break
        ft = f_t[f_head] if f_len > 0 else math.inf
        best = -1
        if n_cal > 0:
            best, k_abs = _next_crossing(k_abs, np.int64(ft * inv_w) if f_len > 0 else np.int64(2**62), mask, head, s)
        crossing = best != -1 and (s[best, C_T] < ft or (s[best, C_T] == ft and s[best, C_SEQ] < f_seq[f_head]))
        t = s[best, C_T] if crossing else ft
        if t > t_stop:  # also the empty case (inf)
            status = 1
            break
        same = same + 1 if t == t_now else 0
        if same > _MAX_SAME_TIME:
            status = -1
            break
        t_now = t
        pops += 1
        ahead = head[(k_abs + _CAL_AHEAD) & mask]  # a crossing coming soon: start reading its row
        if ahead != -1:
            prefetch(rows, ahead * 8)
        if crossing:  # a firing neuron's x decays through VT-: it returns to rest after the delay
            _cal_remove(best, mask, head, s)
            n_cal -= 1
            f_len = _push_edge(t + par[_class_of(cls, best), DELAY], seq, best, -1, f_t, f_seq, f_i, f_k, f_head,
                               f_len)
            seq += 1
            continue
        if f_len > _AHEAD:
            _prefetch_ahead(f_i, f_head, src, edge, rows)
        i, k = f_i[f_head], f_k[f_head]
        f_head = (f_head + 1) & (fcap - 1)
        f_len -= 1
        edges += 1
        info = src[2 * i + 1]
        src[2 * i + 1] = (info + 4) | 2 if k > 0 else info & ~np.int64(2)
        if info & 1:
            ev_t[n_ev], ev_i[n_ev], ev_k[n_ev] = t, i, k
            n_ev += 1
        seq, f_len, change = _apply_edge(i, k, t, seq, fall, src, edge, s, par, cls,
                                         inv_w, mask, head, f_t, f_seq, f_i, f_k, f_head, f_len, gate, low)
        n_cal += change
    q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8] = f_head, f_len, k_abs, n_cal, seq, pops, edges, n_ev, same
    q[9:10].view(np.float64)[0] = t_now
    return status, t_now


@jit_noalloc
def _start(s, firing, par, cls, inv_w, mask, head, f_t, f_seq, f_i, f_k, q):
    """Schedule what the initial state implies at t = 0: crossings of firing neurons, onsets of
    resting ones at or above VT+ (neurons in index order, as the reference)."""
    seq, f_len, n_cal = 0, 0, 0
    for i in range(len(firing)):
        if firing[i]:  # link a crossing first so that _decide sees a firing neuron and moves it
            _cal_insert(i, 0.0, seq, inv_w, mask, head, s)
            n_cal += 1
        if firing[i] or s[i, X] >= par[_class_of(cls, i), VTP]:
            seq, f_len, change = _decide(i, 0.0, seq, s, par, cls, inv_w, mask, head, f_t, f_seq, f_i, f_k, 0, f_len)
            n_cal += change
    q[1], q[3], q[4] = f_len, n_cal, seq


def calendar(nb: int) -> np.ndarray:
    """An empty calendar of nb buckets: the list ends ``head`` described above, all -1, and a count
    of 0 non-empty sorted lists."""
    head = np.full(3 * nb + 1, -1, np.int64)
    head[3 * nb] = 0
    return head


def _state_rows(n: int) -> np.ndarray:
    """An (n, 8) float64 array whose rows start on 64-byte boundaries (one cache line each)."""
    raw = np.zeros(n * 8 + 8)
    skip = (-raw.ctypes.data % 64) // 8
    return raw[skip:skip + n * 8].reshape(n, 8)


def _fanout(net, gains: np.ndarray, record: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The source and edge tables (see ``src`` and ``edge`` above) of ``net`` with edge ``gains``,
    the neurons whose edges are kept (``record``, bool) and the outputs at t = 0 (``out``, 0/1);
    and the largest fan-out."""
    n = net.n_neurons
    order = np.argsort(net.src, kind="stable")
    ptr = np.searchsorted(net.src[order], np.arange(n + 1))
    src = np.zeros(2 * (n + 1), np.int64)
    src[0::2] = ptr
    src[1:2 * n:2] = np.asarray(record, np.int64) | (np.asarray(out, np.int64) << 1)
    edge = np.empty(2 * len(order))
    edge[0::2], edge[1::2] = net.dst[order], np.asarray(gains, np.float64)[order]
    return src, edge, int(np.diff(ptr).max()) if n else 0


def _unpacked(src: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(firing onsets so far, int64; outputs now, 0/1) of each neuron from the source table."""
    info = src[1:-1:2]
    return info >> 2, (info >> 1) & 1


def _queues(x0: np.ndarray, taus: np.ndarray, fan: int) -> tuple:
    """Empty queues for neurons at x0 (V) with time constants taus: (state rows, buckets, 1 /
    bucket width, bucket list ends (see ``head`` above), FIFO arrays (time, sequence, neuron, kind), counters ``q``)."""
    n = len(taus)
    st = _state_rows(n)
    st[:, X], st[:, TAU], st[:, C_B], st[:, NXT], st[:, PRV] = x0, taus, -1, -1, -1
    nb = 1 << max(10, int(math.ceil(math.log2(max(n, 1) / 4))))
    inv_w = nb / (_HORIZON_TAU * float(taus.mean()) if n else 1.0)
    fcap = 1 << max(12, int(math.ceil(math.log2(n + 2 * fan + 4))))
    fifo = [np.empty(fcap), np.empty(fcap, np.int64), np.empty(fcap, np.int64), np.empty(fcap, np.int8)]
    q = np.zeros(10, np.int64)
    q[9:10].view(np.float64)[0] = -1.0
    return st, nb, inv_w, calendar(nb), fifo, q


def _grow_fifo(fifo: list[np.ndarray], q: np.ndarray) -> list[np.ndarray]:
    """The FIFO ring buffer at twice the size, its entries moved to the front in order."""
    head, n, cap = int(q[0]), int(q[1]), len(fifo[0])
    order = (head + np.arange(n)) & (cap - 1)
    grown = [np.empty(2 * cap, a.dtype) for a in fifo]
    for new, old in zip(grown, fifo):
        new[:n] = old[order]
    q[0] = 0
    return grown


def _class_table(classes: NeuronClasses) -> tuple[np.ndarray, np.ndarray | int]:
    """(per-class constants ``par``, rows VTP VTM DELAY FLOOR; the class of each neuron, or the
    integer 0 when there is one class)."""
    par = np.zeros((len(classes.cards), 4))
    for k, card in enumerate(classes.cards):
        clamp = card.value("v_clamp_v")
        par[k] = (card.value("vt_plus_v"), card.value("vt_minus_v"), card.value("delay_s"),
                  -math.inf if clamp is None else -float(clamp))
    return par, (0 if len(classes.cards) == 1 else np.ascontiguousarray(classes.index, np.int64))


def _joined(parts: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kept (times, neurons, kinds) of all slices, in order."""
    if not parts:
        return np.zeros(0), np.zeros(0, np.int32), np.zeros(0, np.int8)
    return tuple(np.concatenate(p) for p in zip(*parts))


def _storm(card, rule: str, t: float, why: str) -> SimulatorError:
    return SimulatorError(f"exact event engine: {why} at t = {t:g} (card {card.name!r}, delay_s = "
                          f"{card.value('delay_s'):g}, {rule} rule): outputs switch each other faster than any ring "
                          "hop, a storm the model cannot step past; use a clock-driven engine (--engine numba) or a "
                          "card with a propagation delay")


def run_events(card: ModelCard | NeuronClasses, net, rule: str, x0: np.ndarray, firing0: np.ndarray, t_stop: float,
               tau_scale=None, progress: Callable[[float, int], None] | None = None, record: np.ndarray | None = None,
               stats: EventStats | None = None, samples: np.ndarray | None = None) -> tuple[Events, State]:
    """Exact event-driven run of ``net`` with ``card`` (or neuron classes: each neuron its own card's
    thresholds, tau, gains, clamp and delay) from (x0 in V, firing0 0/1) at t = 0 until
    ``t_stop`` (card time units). ``tau_scale``: per-neuron factors on tau. ``record``: boolean
    mask of the neurons whose output edges are kept (default all). ``samples``: sorted times at
    which to take every neuron's output state (firing after all edges at t <= the sample), put
    in ``stats["output_at"]`` (bool, samples x neurons). ``progress(dt, edges)`` hears the
    simulated time advanced (card units) and the output edges handled meanwhile; ``stats`` (an
    :class:`EventStats`) is filled in. Returns the kept events (times, no steps) and the state at
    ``t_stop`` (x decayed to t_stop; ``memory`` holds the time of each neuron's last input)."""
    from hwsim.model.behavior import gate_counts, input_gains

    classes = as_classes(card, net.n_neurons)
    taus, gains = input_gains(classes, net, rule)
    taus = np.asarray(taus * (1.0 if tau_scale is None else np.asarray(tau_scale, float)), np.float64)
    vdd, vol = classes.card.value("vdd_v"), classes.card.value("v_ol_v")
    par, cls = _class_table(classes)
    n = net.n_neurons
    record = np.ones(n, bool) if record is None else np.asarray(record, bool)
    out = (np.asarray(firing0) > 0).astype(np.uint8)
    src, edge, fan = _fanout(net, gains, record, out)
    st, nb, inv_w, head, fifo, q = _queues(x0, taus, fan)
    _start(st, out > 0, par, cls, inv_w, nb - 1, head, *fifo, q)
    low = gate_counts(net, out)  # gate rule: firing predecessors per neuron (outputs at t = 0 are firing0)
    samples = np.zeros(0) if samples is None else np.asarray(samples, float)
    output_at = np.zeros((len(samples), n), bool)
    parts, t_done, edges_done = [], 0.0, 0
    ev_cap = max(1 << 16, min(2 * int(record.sum()), 1 << 22))
    ev = np.empty(ev_cap), np.empty(ev_cap, np.int32), np.empty(ev_cap, np.int8)  # reused: no fresh pages per slice
    for b, t_end in enumerate([*samples[samples < t_stop], t_stop]):
        status = 0
        while status == 0:
            if int(q[1]) + 2 * fan + 2 > len(fifo[0]):
                if len(fifo[0]) > 16 * (n + len(edge) // 2) + 4096:
                    raise _storm(classes.card, rule, t_done, f"{int(q[1]):,} pending output edges for {n:,} neurons")
                fifo = _grow_fifo(fifo, q)
            q[7] = 0
            status, t_now = _slice(t_end, _SLICE_POPS, fan, src, edge, st, st.reshape(-1), par, cls,
                                   vol - vdd, inv_w, nb - 1, head, *fifo, q, *ev, rule == "gate", low)
            if q[7]:
                parts.append(tuple(a[:q[7]].copy() for a in ev))
            if status < 0:
                raise _storm(classes.card, rule, t_now, "neurons switch each other in zero time")
            if progress:
                t_now = t_end if status == 1 else max(t_now, t_done)
                progress(t_now - t_done, int(q[6]) - edges_done)
                t_done, edges_done = t_now, int(q[6])
        firings, out = _unpacked(src)
        if b < len(samples):
            output_at[b:][samples[b:] == t_end] = out > 0  # this sample and any repeats of it
    output_at[samples >= t_stop] = out > 0
    if stats is not None:
        stats.update(pops=int(q[5]), edges=int(q[6]), recorded=sum(len(p[0]) for p in parts), firings=firings,
                     output_at=output_at)
    t, i, k = _joined(parts)
    x_end = np.maximum(st[:, X] * np.exp(-(t_stop - st[:, T_LAST]) / taus), par[classes.index, FLOOR])
    return Events(time=t, neuron=i, kind=k), State(x=x_end, firing=(st[:, C_B] >= 0).astype(float),
                                                   memory=st[:, T_LAST].copy())
