"""Compiled clock-driven lattice engine (numba): the numpy reference step as one fused loop.

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

The exact event-driven engine is :mod:`hwsim.lattice.exact`; it uses :data:`jit` from here.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from hwsim.errors import MissingDependencyError
from hwsim.files import cache_dir
from hwsim.lattice.engine import Discretised, State
from hwsim.model.events import Events

__all__ = ["run_numba", "csr_by_target", "jit", "jit_inline", "jit_noalloc", "prefetch"]

#: The kernel's code for each input rule.
_MODES = {"capacitive": 0, "summing": 1, "gate": 2}
#: Neurons per block of the clock kernel (its x buffer stays in L1).
_BLOCK = 256
#: Neuron-steps (plus edge-steps) per compiled slice: about 0.1-0.3 s on one core.
_SLICE_WORK = 3e7


def _numba():
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))
    try:
        import numba
    except ImportError:
        raise MissingDependencyError("the compiled engines need numba: pip install 'numba>=0.60'") from None
    return numba


#: Compile on first call, cached on disk; plain float semantics (no fastmath: no FMA contraction).
jit = _numba().njit(cache=True, nogil=True)
#: The same for small helpers, inlined into their callers (a call passing many arrays costs more
#: than the work: reference counts and array structs).
jit_inline = _numba().njit(cache=True, nogil=True, inline="always")
#: The same as :data:`jit` without numba's reference counting (its private ``_nrt`` flag), for
#: kernels that allocate nothing: numba counts references to every array passed to an inlined
#: helper with atomic increments and decrements, which were 45 % of the exact event engine's time
#: (``perf``: a ``lock incq`` and a ``lock decq`` the hottest instructions of the run).
jit_noalloc = _numba().njit(cache=True, nogil=True, _nrt=False)


def _prefetch_intrinsic():
    """``prefetch(array, index)``: a hint to load the cache line of ``array[index]`` (LLVM's
    ``llvm.prefetch``; no effect on results). The event engine uses it to start the memory reads
    of output edges a few places ahead in its queue, which otherwise wait one after another."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def prefetch(typingctx, arr, idx):
        def codegen(context, builder, signature, args):
            ary = context.make_array(signature.args[0])(context, builder, args[0])
            ptr = cgutils.get_item_pointer(context, builder, signature.args[0], ary, [args[1]], wraparound=False,
                                           boundscheck=False)
            i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                                "llvm.prefetch.p0")
            builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])  # read, keep, data cache
            return context.get_dummy_value()

        return types.void(arr, idx), codegen

    return prefetch


prefetch = _prefetch_intrinsic()


def _at_intrinsic():
    """``_at(a, i)``: ``a[i]`` for an array, ``a`` itself for a scalar, chosen when numba compiles,
    so one kernel serves per-neuron constants (tau mismatch) and shared ones (one load less per
    neuron and step, which is what the fused baseline saves)."""
    from numba import types
    from numba.extending import overload

    def _at(a, i):
        return a[i]

    @overload(_at)
    def _at_overload(a, i):
        if isinstance(a, types.Float):
            return lambda a, i: a
        return lambda a, i: a[i]

    return _at


_at = _at_intrinsic()


def _per_neuron(*arrays: np.ndarray) -> tuple:
    """The arrays as float64, or as one float each when every neuron has the same value (then the
    kernel reads a scalar; the values, and so the results, are the same)."""
    arrays = tuple(np.asarray(a, np.float64) for a in arrays)
    if all(len(a) and np.all(a == a[0]) for a in arrays):
        return tuple(float(a[0]) for a in arrays)
    return arrays


def _constant(value) -> float | np.ndarray:
    """A Discretised constant for the kernels: a float, or a float64 array per neuron (neuron classes)."""
    return np.ascontiguousarray(value, np.float64) if np.ndim(value) else float(value)


def csr_by_target(d: Discretised) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row pointers, sources, coefficients) of the inputs of each neuron, in (dst, src) order."""
    ptr = np.zeros(d.n + 1, np.int64)
    np.add.at(ptr, d.dst + 1, 1)
    return np.cumsum(ptr), d.src.astype(np.int64), d.coef.astype(np.float64)


def targets_by_source(d: Discretised) -> tuple[np.ndarray, np.ndarray]:
    """(row pointers, targets) of the outputs of each neuron: the edges grouped by source."""
    order = np.argsort(d.src, kind="stable")
    ptr = np.zeros(d.n + 1, np.int64)
    np.add.at(ptr, d.src + 1, 1)
    return np.cumsum(ptr), d.dst[order].astype(np.int64)


@jit_inline
def _input(i, mode, vdd, dv, ptr, src, coef, node_gain, o):
    """Neuron ``i``'s input u at the start of a step, from the outputs ``o`` (V): the reference's sum
    in (dst, src) order, or for the gate rule its gain times the AND of the active-low inputs."""
    s = 0.0
    if mode == 2:
        low = 0.0
        for e in range(ptr[i], ptr[i + 1]):  # outputs at the start of the step: o < vdd while firing
            if o[src[e]] != vdd:
                low += 1.0
        return node_gain[i] * (vdd - dv * min(low, 1.0))
    for e in range(ptr[i], ptr[i + 1]):
        s += coef[e] * o[src[e]]
    return s


@jit
def _all_inputs(mode, vdd, dv, ptr, src, coef, node_gain, o, u):
    """Every neuron's input u (V) from the outputs ``o``."""
    for i in range(len(u)):
        u[i] = _input(i, mode, vdd, dv, ptr, src, coef, node_gain, o)


@jit_inline
def _update_block(b, e, mode, use_clamp, clamp, clamp_over_a, divider, decay, one_minus_decay, x, memory, u, xs):
    """One step of the reference's update for neurons b..e-1 with inputs ``u``: ``memory`` in place,
    the new x (V) into ``xs[0:e-b]`` (and into ``x`` except for the summing rule, whose x is
    ``divider * (u - memory)`` and is written after the slice). No branches on the neuron, so the
    compiler can vectorise it."""
    mem, inp, xb = memory[b:e], u[b:e], x[b:e]  # views: plain 0-based loops vectorise
    if mode == 1:
        for j in range(e - b):
            s = inp[j]
            v_c = mem[j]
            if use_clamp:
                v_c = min(v_c, s + _at(clamp_over_a, b + j))
            v_c = _at(decay, b + j) * v_c + _at(one_minus_decay, b + j) * s
            mem[j] = v_c
            xs[j] = _at(divider, b + j) * (s - v_c)
    else:
        for j in range(e - b):
            s = inp[j]
            xj = xb[j] + (s - mem[j])
            if use_clamp:
                xj = max(xj, -_at(clamp, b + j))
            xi = _at(decay, b + j) * xj
            xb[j] = xi
            mem[j] = s
            xs[j] = xi


@jit_inline
def _switch_block(b, e, k, vt_plus, vt_minus, xs, firing, ev_step, ev_neuron, ev_kind, n_ev):
    """Threshold decisions of neurons b..e-1 at step k; events appended. Returns the event count."""
    for i in range(b, e):
        xi = xs[i - b]
        off = firing[i] == 0.0
        rise = off & (xi >= _at(vt_plus, i))  # no short-circuit: which neurons fire is not predictable
        fall = (not off) & (xi < _at(vt_minus, i))
        if rise | fall:
            kind = 1 if rise else -1
            firing[i] = 1.0 if rise else 0.0
            ev_step[n_ev] = k
            ev_neuron[n_ev] = i
            ev_kind[n_ev] = kind
            n_ev += 1
    return n_ev


@jit_inline
def _propagate(first, n_ev, mode, vdd, dv, ev_neuron, firing, o, out_ptr, out_dst, ptr, src, coef, node_gain, u):
    """After a step: the outputs of the neurons that switched (events first..n_ev-1), then the
    inputs of their targets, summed again from the new outputs."""
    for m in range(first, n_ev):
        j = ev_neuron[m]
        o[j] = vdd - dv * firing[j]
    for m in range(first, n_ev):
        j = ev_neuron[m]
        for e in range(out_ptr[j], out_ptr[j + 1]):
            t = out_dst[e]
            u[t] = _input(t, mode, vdd, dv, ptr, src, coef, node_gain, o)


@jit
def _clock_slice(k0, k1, mode, use_clamp, clamp, clamp_over_a, divider, vdd, dv, vt_plus, vt_minus,
                 ptr, src, coef, out_ptr, out_dst, node_gain, decay, one_minus_decay, x, firing, memory, o, u,
                 ev_step, ev_neuron, ev_kind, n_ev):
    """Steps k0..k1-1 in place; events appended from ``n_ev``. Returns (next step, event count);
    stops early (before a step) when the event buffer might overflow. ``mode``: 0 capacitive,
    1 summing, 2 gate (``node_gain``: each neuron's gain; unused otherwise).

    ``o`` holds the outputs at the start of the step and ``u`` each neuron's input (V). A neuron
    switches about twice per ring period, so an input is summed again only when one of its sources
    switched (:func:`_propagate`; the same sum over the same values, so the same float) and most
    steps read no edges at all. Neurons go in blocks: a branch-free update, then the decisions."""
    n = len(x)
    cap = len(ev_step)
    xs = np.empty(_BLOCK)
    k_end = k1
    first = n_ev
    for k in range(k0, k1):
        if n_ev + n > cap:
            k_end = k
            break
        _propagate(first, n_ev, mode, vdd, dv, ev_neuron, firing, o, out_ptr, out_dst, ptr, src, coef, node_gain, u)
        first = n_ev
        for b in range(0, n, _BLOCK):
            e = min(b + _BLOCK, n)
            _update_block(b, e, mode, use_clamp, clamp, clamp_over_a, divider, decay, one_minus_decay, x, memory, u,
                          xs)
            n_ev = _switch_block(b, e, k, vt_plus, vt_minus, xs, firing, ev_step, ev_neuron, ev_kind, n_ev)
    if mode == 1:  # x from the inputs the last step used, before the last step's switches change them
        for i in range(n):
            x[i] = _at(divider, i) * (u[i] - memory[i])
    _propagate(first, n_ev, mode, vdd, dv, ev_neuron, firing, o, out_ptr, out_dst, ptr, src, coef, node_gain, u)
    return k_end, n_ev


def run_numba(d: Discretised, st: State, n_steps: int,
              progress: Callable[[int, int], None] | None = None) -> tuple[Events, State]:
    """The clock-driven engine, compiled: same arguments and results as
    :func:`hwsim.lattice.engine.run_numpy` (bit-identical events and final state);
    ``progress(steps, edges)`` hears the steps and output edges of each slice."""
    kernel = _clock_slice
    ptr, src, coef = csr_by_target(d)
    out_ptr, out_dst = targets_by_source(d)
    x, firing, memory = (np.array(a, dtype=np.float64) for a in (st.x, st.firing, st.memory))
    o = d.vdd - d.dv * firing
    u = np.empty(d.n)
    node_gain = np.zeros(d.n) if d.node_gain is None else np.asarray(d.node_gain, np.float64)
    _all_inputs(_MODES[d.rule], d.vdd, d.dv, ptr, src, coef, node_gain, o, u)
    use_clamp = d.clamp is not None
    clamp, divider, vt_plus, vt_minus = (_constant(v) for v in (d.clamp if use_clamp else 0.0, d.divider,
                                                                  d.vt_plus, d.vt_minus))
    clamp_over_a = _constant(np.divide(clamp, divider)) if use_clamp else 0.0
    slice_steps = max(1, int(_SLICE_WORK / (d.n + len(src) + 1)))
    cap = max(4 * d.n, 1 << 16)
    parts, k = [], 0
    while k < n_steps:
        ev_step, ev_neuron, ev_kind = np.empty(cap, np.int64), np.empty(cap, np.int32), np.empty(cap, np.int8)
        k_next, n_ev = kernel(k, min(n_steps, k + slice_steps), _MODES[d.rule], use_clamp, clamp,
                              clamp_over_a, divider, d.vdd, d.dv, vt_plus, vt_minus, ptr, src, coef, out_ptr,
                              out_dst, node_gain, *_per_neuron(d.decay, d.one_minus_decay), x, firing,
                              memory, o, u, ev_step, ev_neuron, ev_kind, 0)
        if n_ev:
            parts.append((ev_step[:n_ev].copy(), ev_neuron[:n_ev].copy(), ev_kind[:n_ev].copy()))
        if progress and k_next > k:
            progress(k_next - k, n_ev)
        if k_next == k:  # more events in one step than the buffer holds: grow it
            cap *= 2
        k = k_next
    return Events.from_parts(parts, d.dt_s), State(x=x, firing=firing, memory=memory)
