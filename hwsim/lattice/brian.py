"""Brian2 adapter: the lattice engine of :mod:`hwsim.lattice.engine` as a Brian2 network.

Continuous coupling, not spikes: a ``(summed)`` synaptic variable carries each neuron's input
sum (``s_post = coef * o_pre``; Brian2 updates summed variables in the 'groups' slot just before
the target group), a ``run_regularly`` operation (same slot, after the sums) updates the input
node, and two custom events, ``fire`` and ``rest``, are the Schmitt trigger (thresholds slot), with
their resets setting ``firing``. EventMonitors record only the switching events, so memory grows
with events, not with neurons x steps. Synapses are created in (dst, src) order, so sums run in the
same order as the numpy engine and the two give bit-identical events.

Targets: ``numpy``, ``cython`` (compiled, cached under ``.hwsim-cache/cython``) and
``cpp_standalone`` (built once per topology under ``.hwsim-cache/standalone/<hash>``; later runs
of the same topology only pass new initial states and constants through ``run_args``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

import hwsim.interrupt as interrupt
from hwsim.errors import InputError, MissingDependencyError
from hwsim.files import cache_dir
from hwsim.lattice.engine import BRIAN_TARGETS as TARGETS
from hwsim.lattice.engine import Discretised, State
from hwsim.model.events import Events

__all__ = ["run_brian", "TARGETS"]

# Brian2 passes expressions through sympy, which may reorder a sum of three terms (and so its
# rounding); every statement here adds at most two terms, so both engines round identically.
_CAPACITIVE = """
ds = s - memory
x = decay * clip(x + ds, -clamp, 1e300)
memory = s
"""
_SUMMING = """
memory = clip(memory, -1e300, s + clamp_over_a)
memory = decay * memory + one_minus_decay * s
x = divider * (s - memory)
"""
# gate rule: a summed count of firing predecessors, their AND on the neuron's one capacitor (one
# operation per statement, in the numpy engine's order), then the capacitive update
_GATE = """
s = dv * clip(low, -1e300, 1)
s = vdd - s
s = node_gain * s
""" + _CAPACITIVE
_GATE_MODEL = """
low : 1
node_gain : 1 (constant)
"""
_MODEL = """
x : 1
firing : 1
memory : 1
ds : 1
s : 1
decay : 1 (constant)
one_minus_decay : 1 (constant)
o = vdd - dv * firing : 1
"""


def _import_brian():
    try:
        import brian2
    except ImportError as exc:  # pragma: no cover - brian2 is a core dependency
        raise MissingDependencyError(f"Brian2 is not installed ({exc}); pip install brian2") from None
    return brian2


def _constants(d: Discretised) -> dict:
    """The Schmitt and input-node constants: floats (one card) or per-neuron arrays (neuron classes)."""
    clamp = np.inf if d.clamp is None else d.clamp
    return {"vt_plus": d.vt_plus, "vt_minus": d.vt_minus, "clamp": clamp, "clamp_over_a": clamp / d.divider,
            "divider": d.divider}


def _per_neuron(d: Discretised) -> dict:
    """The constants that differ between neurons (neuron classes): per-neuron Brian2 variables."""
    return {k: v for k, v in _constants(d).items() if np.ndim(v)}


def _topology_key(d: Discretised) -> str:
    h = hashlib.sha256()
    for arr in (d.src, d.dst):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update(f"{d.n}-{d.rule}-{d.clamp is None}-{sorted(_per_neuron(d))}".encode())
    return h.hexdigest()[:16]


def _build(b2, d: Discretised, st: State):
    arrays = _per_neuron(d)
    namespace = {"vdd": d.vdd, "dv": d.dv, **{k: v for k, v in _constants(d).items() if k not in arrays}}
    clock = b2.Clock(dt=d.dt_s * b2.second)
    gate = d.node_gain is not None
    model = _MODEL + (_GATE_MODEL if gate else "") + "".join(f"{k} : 1 (constant)\n" for k in arrays)
    group = b2.NeuronGroup(d.n, model, clock=clock, namespace=namespace, name="neurons",
                           events={"fire": "firing == 0 and x >= vt_plus", "rest": "firing == 1 and x < vt_minus"})
    group.run_on_event("fire", "firing = 1")
    group.run_on_event("rest", "firing = 0")
    summed = "low_post = firing_pre : 1 (summed)" if gate else "s_post = coef * o_pre : 1 (summed)"
    syn = b2.Synapses(group, group, "coef : 1 (constant)\n" + summed, clock=clock, namespace=namespace, name="inputs")
    syn.connect(i=d.src, j=d.dst)
    syn.coef = d.coef
    code = {"capacitive": _CAPACITIVE, "summing": _SUMMING, "gate": _GATE}[d.rule]
    if d.clamp is None:
        code = code.replace("clip(x + ds, -clamp, 1e300)", "(x + ds)")
        code = code.replace("memory = clip(memory, -1e300, s + clamp_over_a)\n", "")
    group.run_regularly(code, when="groups", order=1, name="input_node")
    group.decay = d.decay
    group.one_minus_decay = d.one_minus_decay
    if gate:
        group.node_gain = d.node_gain
    for name, values in arrays.items():
        setattr(group, name, values)
    group.x = st.x
    group.firing = st.firing
    group.memory = st.memory
    fire_mon = b2.EventMonitor(group, "fire", variables=[], name="fire_monitor")
    rest_mon = b2.EventMonitor(group, "rest", variables=[], name="rest_monitor")
    net = b2.Network(group, syn, fire_mon, rest_mon)
    return net, group, fire_mon, rest_mon


def _events(b2, d: Discretised, fire_mon, rest_mon) -> Events:
    parts = []
    for mon, kind in ((fire_mon, 1), (rest_mon, -1)):
        t = np.asarray(mon.t_[:])
        steps = np.rint(t / d.dt_s).astype(np.int64)
        parts.append((steps, np.asarray(mon.i[:]), np.full(len(steps), kind)))
    return Events.from_parts(parts, d.dt_s)


def run_brian(d: Discretised, st: State, n_steps: int, target: str = "cython",
              progress: Callable[[int], None] | None = None) -> tuple[Events, State]:
    """Run the lattice with Brian2 for ``n_steps`` steps of ``d.dt_s`` from state ``st``.

    Brian2 evaluates the events of step k at t = k dt on the state after that step's update; the
    returned steps follow the numpy engine's convention (step k: output changed at (k + 1) dt).
    """
    if target not in TARGETS:
        raise InputError(f"unknown Brian2 target {target!r}; choose one of {', '.join(TARGETS)}")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    b2 = _import_brian()
    b2.prefs.codegen.runtime.cython.cache_dir = str(cache_dir() / "cython")
    b2.prefs.codegen.runtime.cython.multiprocess_safe = True
    b2.prefs.logging.std_redirection = False
    # Brian2's own SIGINT handler turns Ctrl-C into a quiet early stop that looks like a finished run;
    # hwsim wants the KeyboardInterrupt (exit 130, nothing cached), and checks completeness below too
    b2.prefs.core.stop_on_keyboard_interrupt = False
    # no -ffast-math and no FMA contraction: results must match the numpy engine bit for bit
    b2.prefs.codegen.cpp.extra_compile_args_gcc = ["-w", "-O3", "-march=native", "-ffp-contract=off"]
    if target == "cpp_standalone":
        return _run_standalone(b2, d, st, n_steps, progress)
    b2.set_device("runtime")
    b2.prefs.codegen.target = target
    b2.start_scope()
    net, group, fire_mon, rest_mon = _build(b2, d, st)
    # Python swallows a KeyboardInterrupt that lands in a weakref callback (Brian2 makes many);
    # this check every 1000 steps raises it again (hwsim.interrupt)
    net.add(b2.NetworkOperation(interrupt.check, dt=1000 * d.dt_s * b2.second, when="start",
                                name="interrupt_check"))
    chunks = max(1, min(20, n_steps // 1000))
    done = 0
    for c in range(chunks):
        k = n_steps * (c + 1) // chunks - done
        with _interrupt_as_such():
            net.run(k * d.dt_s * b2.second, namespace={})
        interrupt.check()
        _check_complete(b2)
        done += k
        if progress:
            progress(k)
    events = _events(b2, d, fire_mon, rest_mon)
    final = State(x=np.array(group.x[:]), firing=np.array(group.firing[:]), memory=np.array(group.memory[:]))
    return events, final


@contextlib.contextmanager
def _interrupt_as_such():
    """Brian2 wraps a Ctrl-C that lands inside generated code in a BrianObjectException; unwrap it
    so that callers see the KeyboardInterrupt (exit 130, nothing cached)."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt) or isinstance(exc.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt("interrupted inside Brian2") from None
        raise


def _check_complete(b2) -> None:
    """Raise KeyboardInterrupt when Brian2's last run stopped before its end (the standalone
    binary stops early on Ctrl-C and reports the fraction it completed): a partial run must never
    pass for a complete one."""
    fraction = getattr(b2.get_device(), "_last_run_completed_fraction", 1.0)
    if fraction is not None and fraction < 1.0 - 1e-12:
        raise KeyboardInterrupt(f"Brian2 stopped after {100 * fraction:.1f} % of the run")


@contextlib.contextmanager
def _stdout_to(path: Path):
    """Send file descriptor 1 (the compiler's chatter from os.system) to ``path`` for a while."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    saved = os.dup(1)
    with open(path, "a") as log:
        os.dup2(log.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def _run_standalone(b2, d, st, n_steps, progress):
    folder = cache_dir() / "standalone" / _topology_key(d)
    built = (folder / "main").exists() or (folder / "main.exe").exists()
    b2.set_device("cpp_standalone", directory=str(folder), build_on_run=False)
    b2.device.reinit()
    b2.device.activate(directory=str(folder), build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.start_scope()
    net, group, fire_mon, rest_mon = _build(b2, d, st)
    net.run(n_steps * d.dt_s * b2.second, namespace={})
    run_args = {group.x: st.x, group.firing: st.firing, group.memory: st.memory, group.decay: d.decay,
                group.one_minus_decay: d.one_minus_decay}
    if d.node_gain is not None:
        run_args[group.node_gain] = d.node_gain
    for name, values in _per_neuron(d).items():
        run_args[getattr(group, name)] = values
    with _stdout_to(folder.parent / f"{folder.name}.build.log"):
        b2.device.build(directory=str(folder), compile=not built, run=False)
        b2.device.run(directory=str(folder), with_output=False, run_args=run_args)
    _check_complete(b2)
    if progress:
        progress(n_steps)
    events = _events(b2, d, fire_mon, rest_mon)
    final = State(x=np.array(group.x[:]), firing=np.array(group.firing[:]), memory=np.array(group.memory[:]))
    b2.set_device("runtime")
    return events, final
