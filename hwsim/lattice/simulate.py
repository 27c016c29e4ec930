"""Lattice simulation: card + lattice + config -> :class:`LatticeRun` (switching events).

:func:`simulate` is the one verb; ``engine`` picks Brian2 (``"brian"``, with a codegen
``target``) or the independent numpy reference (``"numpy"``). Times are in the card's time unit
(seconds for SI cards, tau for the normalised paper card).

Initial conditions (:class:`SimConfig` ``init``):

- ``"random_pulse"`` (the authors' procedure): in every ring one random neuron is firing, at a
  random point of its firing: x = VT- (x_max/VT-)^U with U uniform in [0, 1) and x_max = a dV
  the jump of a fresh input edge; everything else rests at x = 0. Seeded by ``seed``.
- ``"kick"``: all at rest except one neuron per ring, freshly fired (x = x_max): the ring's first
  neuron, or another one where that neuron is next to one already kicked
  (:func:`~hwsim.lattice.topology.kick_neurons`; SPICE kicks the same ones).
- explicit arrays ``x0``/``firing0`` passed to :func:`simulate`.

In both built-in starts, the successors of every firing neuron start where its output fall has
just pushed them: x = max(-g dV, -v_clamp) (g: the edge's gain), so the state is one the circuit
can be in (a kick in SPICE fires the neuron, whose falling output then pulls its successors down).

Results are saved by :func:`save_run` as one NPZ file (documented there) and loaded by
:func:`load_run`.
"""

from __future__ import annotations

import json
import math
import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

import hwsim.interrupt as interrupt
from hwsim.errors import InputError
from hwsim.files import atomic_path
from hwsim.lattice.engine import BRIAN_TARGETS, Discretised, discretise, initial_state, run_numpy
from hwsim.lattice.topology import Lattice, LatticeSpec, build_lattice, kick_neurons
from hwsim.model.behavior import input_gains
from hwsim.model.card import ModelCard, card_from_dict, card_to_json
from hwsim.model.classes import NeuronClasses, as_classes, per_neuron, shared_classes
from hwsim.model.events import Events

__all__ = ["SimConfig", "LatticeRun", "simulate", "initial_conditions", "tau_mismatch", "save_run", "load_run",
           "work_estimate", "check_work"]

INITS = ("random_pulse", "kick")
#: brian: Brian2 (``target``); numpy: the reference; numba: the reference compiled (bit-identical);
#: event: exact event-driven, compiled (no time step; ``dt`` only places its events on a grid).
ENGINES = ("brian", "numpy", "numba", "event")
#: What a run keeps: every output edge, or only those of each ring's reference neuron (slot 0; all
#: the phase metrics use), with firing totals and the orbit classes of the last quarter computed
#: during the run. "reference" is what makes 10^6-neuron runs fit in memory.
RECORDS = ("all", "reference")
#: The orbit classes of a run are the mean firing count of each ring at this many instants
#: spread over the last quarter of the run (steps of the run's dt).
ORBIT_SAMPLES = 50


@dataclass(frozen=True)
class SimConfig:
    """How to run a lattice.

    ``duration_tau``: simulated time in units of the card's tau (so one config serves SI and
    normalised cards). ``dt_tau``: time step in tau (``None``: the card's own step for its
    ``paper_discrete`` integrator, else tau/100). ``seed``, ``init``: the initial condition (module
    docstring). ``engine``: ``"brian"`` or ``"numpy"``; ``target``: the Brian2 code-generation
    target. ``tau_spread``: relative standard deviation of a per-neuron mismatch of tau (0: none),
    drawn from ``seed`` (:func:`tau_mismatch`). ``allow_large``: run even when :func:`check_work`
    estimates more work or memory than its limits. ``record``: which events the run keeps
    (:data:`RECORDS`).
    """

    duration_tau: float = 100.0
    dt_tau: float | None = None
    seed: int = 0
    init: str = "random_pulse"
    engine: str = "brian"
    target: str = "cython"
    tau_spread: float = 0.0
    allow_large: bool = False
    record: str = "all"

    def __post_init__(self) -> None:
        if not (isinstance(self.duration_tau, (int, float)) and math.isfinite(self.duration_tau)
                and self.duration_tau > 0):
            raise InputError(f"config duration_tau: must be > 0, got {self.duration_tau!r}")
        if self.dt_tau is not None and not (isinstance(self.dt_tau, (int, float)) and math.isfinite(self.dt_tau)
                                            and self.dt_tau > 0):
            raise InputError(f"config dt_tau: must be > 0, got {self.dt_tau!r}")
        if not (isinstance(self.tau_spread, (int, float)) and 0 <= self.tau_spread <= 0.2):
            raise InputError(f"config tau_spread: must be in [0, 0.2] (relative sigma of tau), got {self.tau_spread!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise InputError(f"config seed: must be an integer >= 0, got {self.seed!r}")
        if self.init not in INITS:
            raise InputError(f"config init: {self.init!r} unknown; choose {', '.join(INITS)} or pass x0/firing0")
        if self.engine not in ENGINES:
            raise InputError(f"config engine: {self.engine!r} unknown; choose {', '.join(ENGINES)}")
        if self.record not in RECORDS:
            raise InputError(f"config record: {self.record!r} unknown; choose {', '.join(RECORDS)}")
        if self.target not in BRIAN_TARGETS:
            raise InputError(f"config target: {self.target!r} unknown; choose {', '.join(BRIAN_TARGETS)}")

    def step_size(self, card: ModelCard) -> float:
        """The time step in the card's time unit (s for SI cards): ``dt_tau`` * tau, else the step
        of the card's ``paper_discrete`` integrator, else tau/100."""
        tau = card.value("tau_s")
        if self.dt_tau is not None:
            return float(self.dt_tau) * tau
        if card.integrator.get("scheme") == "paper_discrete":
            return float(card.integrator["dt_s"])
        return tau / 100

    def duration(self, card: ModelCard) -> float:
        """The simulated time in the card's time unit (s for SI cards)."""
        return float(self.duration_tau) * card.value("tau_s")

    def n_steps(self, card: ModelCard) -> int:
        """How many steps of :meth:`step_size` cover :meth:`duration`."""
        return int(round(self.duration(card) / self.step_size(card)))


@dataclass(frozen=True)
class LatticeRun:
    """Switching events of one run, with everything needed to interpret and repeat it."""

    events: Events
    dt: float
    n_steps: int
    spec: LatticeSpec
    config: SimConfig
    card: ModelCard
    x0: np.ndarray
    firing0: np.ndarray
    final_x: np.ndarray
    final_firing: np.ndarray
    wall_s: float
    info: dict = field(default_factory=dict)

    ring_orbit: np.ndarray | None = None
    #: The card of the shared neurons (two or more predecessors) when they have their own class.
    shared_card: ModelCard | None = None

    def neuron_classes(self):
        """The run's neuron classes (:class:`hwsim.model.classes.NeuronClasses`), or its one card."""
        if self.shared_card is None:
            return self.card
        return lattice_classes(self.card, self.shared_card, build_lattice(self.spec))

    def times(self) -> np.ndarray:
        """Event times (card time units): the output changed at (step + 1) dt."""
        return self.events.time

    @property
    def n_firings(self) -> int:
        """Firing onsets of all neurons (also when only the reference neurons' events were kept)."""
        return int(self.info.get("firings", self.events.n_firings))

    def require_all_events(self, what: str) -> None:
        """:class:`InputError` if this run kept only some neurons' events (``record``)."""
        if self.info.get("record", "all") != "all":
            raise InputError(f"{what} needs every neuron's events, but this run kept only the ring reference "
                             f"neurons' (record = {self.info.get('record')!r}); run it again with record = 'all'")


#: Limits of one run without ``allow_large``: neurons, neuron-steps (about an hour of the numpy
#: engine at ~1e8 neuron-steps/s) and the share of this machine's memory the run may need.
MAX_NEURONS = 2_000_000
MAX_NEURON_STEPS = 3e11
MAX_MEMORY_SHARE = 0.5
#: Bytes per neuron (state, network, initial and final arrays) and per switching event (step,
#: neuron, kind and the copies the metrics make), for the memory estimate.
_BYTES_PER_NEURON = 400
_BYTES_PER_EVENT = 40


def _memory_bytes() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return math.inf


def work_estimate(spec: LatticeSpec, config: SimConfig) -> dict:
    """Upper estimates of a run from its spec alone (nothing is built): ``neurons`` (shared ones
    counted twice), ``steps`` (at ``dt_tau`` or 0.01 tau), ``neuron_steps``, ``events`` (every
    neuron firing and resting once per ring hop of 1 tau) and ``memory_bytes``."""
    rings = spec.nx * spec.ny * (2 if spec.geometry == "triangular" else 1)
    neurons = rings * spec.ring_size
    steps = config.duration_tau / (config.dt_tau or 0.01)
    events = 2.0 * neurons * config.duration_tau / spec.ring_size
    if config.record == "reference":
        events /= spec.ring_size
    return {"neurons": neurons, "steps": steps, "neuron_steps": neurons * steps, "events": events,
            "memory_bytes": neurons * _BYTES_PER_NEURON + events * _BYTES_PER_EVENT}


def check_work(spec: LatticeSpec, config: SimConfig, where: str = "lattice") -> dict:
    """:func:`work_estimate`, after refusing (:class:`InputError` with the estimate) a run above
    :data:`MAX_NEURONS`, :data:`MAX_NEURON_STEPS` or :data:`MAX_MEMORY_SHARE` of this machine's
    memory, unless ``config.allow_large``."""
    est = work_estimate(spec, config)
    if config.allow_large:
        return est
    memory = _memory_bytes() * MAX_MEMORY_SHARE
    what = (f"{where}: {spec.nx} x {spec.ny} {spec.geometry} of {spec.ring_size}-rings is up to {est['neurons']:,} "
            f"neurons x {est['steps']:.3g} steps = {est['neuron_steps']:.3g} neuron-steps, about "
            f"{est['memory_bytes'] / 2**30:.3g} GiB")
    if est["neurons"] > MAX_NEURONS or est["neuron_steps"] > MAX_NEURON_STEPS or est["memory_bytes"] > memory:
        raise InputError(f"{what}; the limits are {MAX_NEURONS:,} neurons, {MAX_NEURON_STEPS:.0e} neuron-steps "
                         f"and {memory / 2**30:.3g} GiB (half this machine's memory). Shrink the lattice, the "
                         "duration or the step, or pass --allow-large (allow_large = true in a config) if you "
                         "mean it")
    return est


def tau_mismatch(n: int, spread: float, seed: int) -> np.ndarray | None:
    """Per-neuron factors on tau, 1 + spread * N(0, 1) clipped to [0.5, 1.5] (None for no spread);
    drawn from a generator of its own so the initial state of ``seed`` does not change."""
    if spread == 0:
        return None
    rng = np.random.default_rng([seed, 0x7A05])
    return np.clip(1 + spread * rng.standard_normal(n), 0.5, 1.5)


def initial_conditions(card: ModelCard | NeuronClasses, lattice: Lattice, init: str,
                       seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Initial x (V) and firing flags for ``init`` (see the module docstring); with neuron classes
    each neuron's own divider, VT- and clamp."""
    classes = as_classes(card, lattice.n_neurons)
    c, c_in = (np.broadcast_to(per_neuron(classes, k), lattice.n_neurons) for k in ("c_couple_f", "c_in_f"))
    dv = classes.card.value("vdd_v") - classes.card.value("v_ol_v")
    x_max, vtm = c / (c + c_in) * dv, np.broadcast_to(per_neuron(classes, "vt_minus_v"), lattice.n_neurons)
    x0 = np.zeros(lattice.n_neurons)
    firing0 = np.zeros(lattice.n_neurons)
    rng = np.random.default_rng(seed)
    if init == "random_pulse":
        pos = rng.integers(0, lattice.spec.ring_size, size=lattice.n_rings)
        u = rng.random(lattice.n_rings)
        chosen = lattice.rings[np.arange(lattice.n_rings), pos]
        x0[chosen] = vtm[chosen] * (x_max[chosen] / vtm[chosen]) ** u
    else:
        chosen = kick_neurons(lattice)
        x0[chosen] = x_max[chosen]
    firing0[chosen] = 1.0
    _, gains = input_gains(classes, lattice.network, lattice.spec.rule)
    net = lattice.network
    fell = (firing0[net.src] > 0) & (firing0[net.dst] == 0)  # edges from a firing to a resting neuron
    if lattice.spec.rule == "gate":  # one AND gate per neuron: it falls once, however many inputs fire
        fell = np.unique(net.dst[fell])
        x0[fell] -= np.bincount(net.dst, weights=gains, minlength=len(x0))[fell] / np.bincount(net.dst)[fell] * dv
    else:
        np.add.at(x0, net.dst[fell], -gains[fell] * dv)
    clamp = per_neuron(classes, "v_clamp_v", none_as=math.inf)
    return (x0 if clamp is None else np.maximum(x0, -np.asarray(clamp))), firing0


def lattice_classes(card: ModelCard, shared_card: ModelCard | None, lattice: Lattice):
    """``card`` for every neuron, or two classes: ``shared_card`` for the neurons with two or more
    predecessors (behind an AND gate under the gate rule), ``card`` for the others."""
    if shared_card is None:
        return card
    net = lattice.network
    return shared_classes(card, shared_card, np.bincount(net.dst, minlength=net.n_neurons))


def simulate(card: ModelCard, spec: LatticeSpec | Lattice, config: SimConfig, *, x0=None, firing0=None,
             progress: Callable[..., None] | None = None, shared_card: ModelCard | None = None) -> LatticeRun:
    """Run ``spec`` (or a built lattice) with ``card`` for ``config.duration_tau`` taus;
    ``shared_card``: a card of its own for the shared neurons (:func:`lattice_classes`; time step
    and duration still follow ``card``'s tau).

    ``x0`` (V) and ``firing0`` (0/1), both or neither: an explicit initial state instead of
    ``config.init``. ``progress(steps_done)`` is called on the way (steps of the run's dt, a
    float for the event engine), with a second argument, the output edges handled meanwhile, from
    the compiled engines. Returns the run's switching
    events and final state (:class:`LatticeRun`, times in the card's time unit).
    """
    check_work(spec.spec if isinstance(spec, Lattice) else spec, config)
    lattice = spec if isinstance(spec, Lattice) else build_lattice(spec)
    dt = config.step_size(card)
    n_steps = config.n_steps(card)
    if n_steps < 1:
        raise InputError(f"config duration_tau {config.duration_tau} is shorter than one step "
                         f"({dt / card.value('tau_s')} tau)")
    classes = lattice_classes(card, shared_card, lattice)
    d: Discretised = discretise(classes, lattice.network, lattice.spec.rule, dt,
                                tau_mismatch(lattice.n_neurons, config.tau_spread, config.seed))
    if (x0 is None) != (firing0 is None):
        raise InputError("pass both x0 and firing0 for an explicit initial state, or neither")
    if x0 is None:
        x0, firing0 = initial_conditions(classes, lattice, config.init, config.seed)
    st = initial_state(d, x0, firing0)
    start = time.perf_counter()
    events, final, extra = _run_engine(config, classes, lattice, d, st, n_steps, _checked(progress))
    wall = time.perf_counter() - start
    return LatticeRun(events=events, dt=dt, n_steps=n_steps, spec=lattice.spec, config=config, card=card,
                      x0=np.asarray(x0, float), firing0=np.asarray(firing0, float), final_x=final.x,
                      final_firing=final.firing, wall_s=wall, ring_orbit=extra.get("ring_orbit"),
                      info={"n_neurons": lattice.n_neurons, "n_rings": lattice.n_rings,
                            "n_edges": int(len(lattice.network.src)), "record": config.record,
                            "firings": extra["firings"]}, shared_card=shared_card)


def orbit_sample_steps(dt: float, t_from: float, t_to: float, samples: int = ORBIT_SAMPLES) -> np.ndarray:
    """The steps (of ``dt``) at which orbit classes sample the firing state on [t_from, t_to]."""
    return np.unique(np.linspace(t_from / dt - 1, t_to / dt - 1, samples).astype(int).clip(0))


def ring_orbits(output_at: np.ndarray, rings: np.ndarray) -> np.ndarray:
    """Orbit class of every ring: its mean number of firing neurons over the sampled states
    (``output_at``: bool, samples x neurons), rounded."""
    return np.rint(output_at[:, rings].sum(axis=2).mean(axis=0)).astype(int)


def output_states(events: Events, firing0: np.ndarray, dt: float, steps: np.ndarray) -> np.ndarray:
    """Every neuron's output state (True: firing) after each of ``steps`` (sorted steps of ``dt``),
    rebuilt from the initial flags ``firing0`` and the events; shape (len(steps), neurons)."""
    state = np.asarray(firing0, np.int16).copy()
    out = np.zeros((len(steps), len(state)), bool)
    bounds = np.searchsorted(events.bins(dt), np.asarray(steps), side="right")
    for j, (a, b) in enumerate(zip(np.r_[0, bounds[:-1]], bounds)):
        np.add.at(state, events.neuron[a:b], events.kind[a:b].astype(np.int16))
        out[j] = state > 0
    return out


def _keep_reference(events: Events, lattice: Lattice, dt: float, n_steps: int, firing0) -> tuple[Events, dict]:
    """A clock engine's events reduced to the reference neurons, with the firing total and the
    orbit classes of the last quarter taken from the full events first."""
    steps = orbit_sample_steps(dt, 0.75 * n_steps * dt, n_steps * dt)
    output_at = output_states(events, firing0, dt, steps)
    keep = np.isin(events.neuron, lattice.rings[:, 0])
    kept = Events(time=events.time[keep], neuron=events.neuron[keep], kind=events.kind[keep],
                  step=None if events.step is None else events.step[keep])
    return kept, {"firings": events.n_firings, "ring_orbit": ring_orbits(output_at, lattice.rings)}


def _checked(progress: Callable[..., None] | None) -> Callable[..., None] | None:
    """``progress`` that first re-raises a Ctrl-C that an engine's callback swallowed (see
    :mod:`hwsim.interrupt`); ``None`` stays ``None``."""
    if progress is None:
        return None

    def hook(*args) -> None:
        interrupt.check()
        progress(*args)

    return hook


def _run_engine(config: SimConfig, card, lattice: Lattice, d: Discretised, st, n_steps: int,
                progress: Callable[[int], None] | None):
    """(events, final state, extra) of ``config.engine`` run for ``n_steps`` steps of ``d.dt_s``;
    ``extra``: ``firings`` (total) and, for ``record = "reference"``, ``ring_orbit``."""
    firing0 = st.firing.copy()  # the clock engines update the state in place
    if config.engine == "event":
        return _run_exact(config, card, lattice, d, st, n_steps, progress)
    if config.engine == "numpy":
        events, final = run_numpy(d, st, n_steps, progress)
    elif config.engine == "numba":
        from hwsim.lattice.compiled import run_numba

        events, final = run_numba(d, st, n_steps, progress)
    else:
        from hwsim.lattice.brian import run_brian

        events, final = run_brian(d, st, n_steps, config.target, progress)
    if config.record == "reference":
        kept, extra = _keep_reference(events, lattice, d.dt_s, n_steps, firing0)
        return kept, final, extra
    return events, final, {"firings": events.n_firings}


def _run_exact(config: SimConfig, card, lattice: Lattice, d: Discretised, st, n_steps: int,
               progress: Callable[[float, int], None] | None):
    """:func:`_run_engine` for the exact event engine; with ``record = "reference"`` it keeps the
    reference neurons' edges and samples the output states for the orbit classes as it goes."""
    from hwsim.lattice.exact import EventStats, run_events

    report = None if progress is None else (lambda t, edges: progress(t / d.dt_s, edges))
    record, samples = None, None
    if config.record == "reference":
        record = np.zeros(lattice.n_neurons, bool)
        record[lattice.rings[:, 0]] = True
        samples = (orbit_sample_steps(d.dt_s, 0.75 * n_steps * d.dt_s, n_steps * d.dt_s) + 1) * d.dt_s
    stats = EventStats()
    events, final = run_events(card, lattice.network, lattice.spec.rule, st.x, st.firing, n_steps * d.dt_s,
                               tau_mismatch(lattice.n_neurons, config.tau_spread, config.seed), report, record,
                               stats, samples)
    extra = {"firings": int(stats["firings"].sum())}
    if samples is not None:
        extra["ring_orbit"] = ring_orbits(stats["output_at"], lattice.rings)
    return events, final, extra


def save_run(run: LatticeRun, path: str | Path) -> Path:
    """Save ``run`` as an uncompressed NPZ (events compress only 1.3-1.6x while zlib costs more CPU
    time than a million-neuron run itself: BENCHMARKS.md). Arrays: ``event_step`` (int64; or
    ``event_time``, float64 in card time units, for the exact event engine, which has no steps),
    ``event_neuron`` (int32), ``event_kind`` (int8, +1 fire / -1 rest), ``x0``, ``firing0``,
    ``final_x``, ``final_firing``, ``ring_orbit`` (int, only for runs that kept the reference
    neurons' events), and ``meta`` (a JSON string: dt, n_steps, wall_s, info, lattice spec, config,
    and the full card)."""
    meta = {"format": "hwsim.lattice_run/2", "dt": run.dt, "n_steps": run.n_steps, "wall_s": run.wall_s,
            "info": run.info, "spec": run.spec.to_dict(), "config": asdict(run.config),
            "card": json.loads(card_to_json(run.card))}
    if run.shared_card is not None:
        meta["shared_card"] = json.loads(card_to_json(run.shared_card))
    with atomic_path(path) as tmp:
        when = {"event_step": run.events.step} if run.events.step is not None else {"event_time": run.events.time}
        if run.ring_orbit is not None:
            when["ring_orbit"] = run.ring_orbit
        np.savez(tmp, **when, event_neuron=run.events.neuron, event_kind=run.events.kind, x0=run.x0,
                            firing0=run.firing0, final_x=run.final_x, final_firing=run.final_firing,
                            meta=np.array(json.dumps(meta, sort_keys=True)))
    return Path(path)


_RUN_ARRAYS = ("event_neuron", "event_kind", "x0", "firing0", "final_x", "final_firing", "meta")


def load_run(path: str | Path) -> LatticeRun:
    """Load a run saved by :func:`save_run`, checking everything in it (the file may come from
    someone else): :class:`InputError` naming the file and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"saved run {path} not found (make one with `hwsim lattice --output RUN.npz`)")
    not_run = f"{path} is not a lattice run saved by hwsim (`hwsim lattice --output RUN.npz` makes one)"
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in _RUN_ARRAYS if k not in data.files]
            missing += [] if {"event_step", "event_time"} & set(data.files) else ["event_step"]
            if missing:
                raise InputError(f"{not_run}: it has no {', '.join(missing)}")
            meta = json.loads(str(data["meta"]))
            if not isinstance(meta, dict) or meta.get("format") != "hwsim.lattice_run/2":
                fmt = meta.get("format") if isinstance(meta, dict) else None
                raise InputError(f"{path} is not an hwsim lattice run of this version (format {fmt!r}, "
                                 f"expected 'hwsim.lattice_run/2'); run it again with `hwsim lattice`")
            arrays = {k: data[k] for k in (*_RUN_ARRAYS, "event_step", "event_time", "ring_orbit")
                      if k != "meta" and k in data.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{not_run}: {str(exc)[:200]}") from None
    try:
        return _run_from_parts(meta, arrays)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{not_run}: its metadata is damaged ({type(exc).__name__}: {str(exc)[:200]})") from None


def _run_from_parts(meta: dict, a: dict) -> LatticeRun:
    """A LatticeRun from a saved run's metadata and arrays, after checking that they fit together."""
    spec, config, card = LatticeSpec(**meta["spec"]), SimConfig(**meta["config"]), card_from_dict(meta["card"])
    n, n_steps, dt = int(meta["info"]["n_neurons"]), int(meta["n_steps"]), float(meta["dt"])
    if not (math.isfinite(dt) and dt > 0 and n_steps >= 1):
        raise InputError(f"dt = {dt} and n_steps = {n_steps} must be positive")
    when = "event_step" if "event_step" in a else "event_time"
    m = len(a[when])
    if any(a[k].ndim != 1 or len(a[k]) != m for k in (when, "event_neuron", "event_kind")):
        raise InputError(f"{when}, event_neuron and event_kind must be 1-D arrays of one length")
    if any(a[k].ndim != 1 or len(a[k]) != n for k in ("x0", "firing0", "final_x", "final_firing")):
        raise InputError(f"x0, firing0, final_x and final_firing must hold one value per neuron ({n})")
    end = n_steps if when == "event_step" else n_steps * dt * (1 + 1e-9)
    if m and not (0 <= a["event_neuron"].min() and a["event_neuron"].max() < n and 0 <= a[when].min()
                  and a[when].max() <= end and set(np.unique(a["event_kind"])) <= {-1, 1}):
        raise InputError(f"events must name neurons 0..{n - 1}, {when} 0..{end:g} and kinds +1/-1")
    if when == "event_step":
        events = Events.from_steps(a["event_step"], a["event_neuron"], a["event_kind"], dt)
    else:
        events = Events(time=np.asarray(a["event_time"], float), neuron=a["event_neuron"].astype(np.int32),
                        kind=a["event_kind"].astype(np.int8))
    orbit = a.get("ring_orbit")
    if orbit is not None and not (orbit.ndim == 1 and len(orbit) == int(meta["info"]["n_rings"])
                                  and np.issubdtype(orbit.dtype, np.integer) and len(orbit)
                                  and 0 <= orbit.min() and orbit.max() <= spec.ring_size):
        raise InputError(f"ring_orbit must hold one integer 0..{spec.ring_size} per ring")
    shared = card_from_dict(meta["shared_card"]) if meta.get("shared_card") is not None else None
    return LatticeRun(events=events, dt=dt, n_steps=n_steps, spec=spec, config=config, card=card,
                      wall_s=float(meta["wall_s"]), info=meta["info"], ring_orbit=orbit, shared_card=shared,
                      **{k: np.asarray(a[k], float) for k in ("x0", "firing0", "final_x", "final_firing")})
