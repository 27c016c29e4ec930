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

__all__ = ["run_numba", "csr_by_target", "jit", "jit_inline", "prefetch"]

#: The kernel's code for each input rule.
_MODES = {"capacitive": 0, "summing": 1, "gate": 2}
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


def csr_by_target(d: Discretised) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row pointers, sources, coefficients) of the inputs of each neuron, in (dst, src) order."""
    ptr = np.zeros(d.n + 1, np.int64)
    np.add.at(ptr, d.dst + 1, 1)
    return np.cumsum(ptr), d.src.astype(np.int64), d.coef.astype(np.float64)


@jit
def _clock_slice(k0, k1, mode, use_clamp, clamp, clamp_over_a, divider, vdd, dv, vt_plus, vt_minus,
                 ptr, src, coef, node_gain, decay, one_minus_decay, x, firing, memory, o, ev_step, ev_neuron, ev_kind,
                 n_ev):
    """Steps k0..k1-1 in place; events appended from ``n_ev``. Returns (next step, event count);
    stops early (before a step) when the event buffer might overflow. ``mode``: 0 capacitive,
    1 summing, 2 gate (``node_gain``: each neuron's gain; unused otherwise)."""
    n = len(x)
    cap = len(ev_step)
    for k in range(k0, k1):
        if n_ev + n > cap:
            return k, n_ev
        for i in range(n):
            o[i] = vdd - dv * firing[i]
        for i in range(n):
            s = 0.0
            if mode == 2:
                low = 0.0
                for e in range(ptr[i], ptr[i + 1]):  # outputs at the start of the step: o < vdd while firing
                    if o[src[e]] != vdd:
                        low += 1.0
                s = node_gain[i] * (vdd - dv * min(low, 1.0))
            else:
                for e in range(ptr[i], ptr[i + 1]):
                    s += coef[e] * o[src[e]]
            if mode != 1:
                xj = x[i] + (s - memory[i])
                if use_clamp and xj < -clamp:
                    xj = -clamp
                x[i] = _at(decay, i) * xj
                memory[i] = s
            else:
                v_c = memory[i]
                if use_clamp:
                    bound = s + clamp_over_a
                    if bound < v_c:
                        v_c = bound
                v_c = _at(decay, i) * v_c + _at(one_minus_decay, i) * s
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
              progress: Callable[[int, int], None] | None = None) -> tuple[Events, State]:
    """The clock-driven engine, compiled: same arguments and results as
    :func:`hwsim.lattice.engine.run_numpy` (bit-identical events and final state);
    ``progress(steps, edges)`` hears the steps and output edges of each slice."""
    kernel = _clock_slice
    ptr, src, coef = csr_by_target(d)
    x, firing, memory = (np.array(a, dtype=np.float64) for a in (st.x, st.firing, st.memory))
    o = np.empty(d.n)
    node_gain = np.zeros(d.n) if d.node_gain is None else np.asarray(d.node_gain, np.float64)
    use_clamp = d.clamp is not None
    clamp = float(d.clamp) if use_clamp else 0.0
    clamp_over_a = clamp / d.divider if use_clamp else 0.0
    slice_steps = max(1, int(_SLICE_WORK / (d.n + len(src) + 1)))
    cap = max(4 * d.n, 1 << 16)
    parts, k = [], 0
    while k < n_steps:
        ev_step, ev_neuron, ev_kind = np.empty(cap, np.int64), np.empty(cap, np.int32), np.empty(cap, np.int8)
        k_next, n_ev = kernel(k, min(n_steps, k + slice_steps), _MODES[d.rule], use_clamp, clamp,
                              clamp_over_a, d.divider, d.vdd, d.dv, d.vt_plus, d.vt_minus, ptr, src, coef, node_gain,
                              *_per_neuron(d.decay, d.one_minus_decay), x, firing,
                              memory, o, ev_step, ev_neuron, ev_kind, 0)
        if n_ev:
            parts.append((ev_step[:n_ev].copy(), ev_neuron[:n_ev].copy(), ev_kind[:n_ev].copy()))
        if progress and k_next > k:
            progress(k_next - k, n_ev)
        if k_next == k:  # more events in one step than the buffer holds: grow it
            cap *= 2
        k = k_next
    return Events.from_parts(parts, d.dt_s), State(x=x, firing=firing, memory=memory)
