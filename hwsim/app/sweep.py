"""Sweeps on Dask: corners x VDD x temperature x R x C, sky130 mismatch, lattice parameters.

``hwsim sweep SWEEP.toml`` (examples: ``hwsim/app/configs/sweep_*.toml``) expands a sweep into
points, one task each, and runs them on ``dask.distributed``: a local cluster with one
single-threaded worker process per core by default, or any scheduler given by address.

Kinds of point:

- ``ring``: a SPICE ring of ``ring_size`` neurons kicked once (:func:`hwsim.circuit.characterize.run_ring`)
  -> period, frequency, energy per period, power, pulses. Axes: any of ``library corner vdd_v
  temp_c r_ohm c_f clamp ring_size periods timeout_s``. ``[montecarlo] samples = K`` adds K
  mismatch samples per point: sky130's own mismatch models (``<corner>_mm``, ngspice
  ``.options seed``), seeds ``seed .. seed + K - 1``.
- ``lattice``: a behavioural lattice (:func:`hwsim.lattice.simulate.simulate`) with a model card ->
  xi_ss, R_ss, growth exponent, events, and the pattern-aware xi_ss_pattern, R_ss_pattern and
  wall_density_ss_pattern (hwsim.analysis.pattern). Axes: any LatticeSpec field, ``card``, ``duration_tau``,
  ``seed``, ``tau_spread`` (per-neuron mismatch of tau, relative sigma; e.g. the ring-period spread
  a ring sweep measured under mismatch).

Each point's result is a JSON file ``points/<key>.json`` named by the hash of its inputs (the
point's parameters, the hwsim version and, for SPICE points, the netlist hashes), written
atomically by the worker that computed it: a sweep that is killed, or whose worker dies, resumes
and computes only the points without a file. A point that fails (no convergence, timeout, a ring
that does not oscillate) is written as ``points/<key>.failed.json`` with its error and log tail,
and the sweep goes on; ``--retry-failed`` runs those again. ``--adopt-stale`` reuses, before
running, the results of points with the same parameters whose key changed (:func:`adopt_stale`). The gathered table is
``sweep.parquet``/``sweep.csv`` with figures and ``summary.md``.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hwsim import __version__
from hwsim.circuit.cell import resolve_spec
from hwsim.circuit.characterize import Conditions
from hwsim.errors import HwsimError, InputError
from hwsim.files import check_name
from hwsim.lattice.reservoir import ReservoirSpec
from hwsim.lattice.simulate import SimConfig, check_work
from hwsim.lattice.topology import LatticeSpec
from hwsim.tomlcheck import check_table, fields_of, read_toml, type_name, type_ok

__all__ = ["Sweep", "load_sweep", "sweep_points", "run_point", "run_sweep", "gather", "write_sweep_report",
           "adopt_stale", "KINDS"]

KINDS = ("ring", "lattice", "reservoir")
#: The hwsim code a point of each kind runs: its source hash is part of the point's key, so
#: editing that code re-runs the points (earlier results are kept but not reused).
POINT_CODE = {"ring": ("errors", "units", "files", "circuit", "app.sweep"),
              "lattice": ("errors", "units", "files", "model", "lattice", "analysis", "app.sweep"),
              "reservoir": ("errors", "units", "files", "model", "lattice", "analysis", "checks", "app.sweep",
                            "app.reservoir")}
_COND_FIELDS = fields_of(Conditions, exclude=("cell",))
_SPEC_FIELDS = fields_of(LatticeSpec, exclude=("sw_k", "sw_p", "seed"))
_SIM_FIELDS = fields_of(SimConfig)
#: Keys of a point: the fields of the dataclasses it becomes, plus the few of the sweep itself.
_RING_KEYS = {**_COND_FIELDS, "cell": str, "ports": str, "models": str, "allow_include": (list, str), "ring_size": int,
              "periods": int}
_LATTICE_KEYS = {"card": str, **_SPEC_FIELDS, **_SIM_FIELDS, "n_times": int, "t_first_tau": float, "size": int}
_RESERVOIR_KEYS = {**fields_of(ReservoirSpec), "dataset": str, "n_train": int, "n_test": int, "alpha": float,
                   "mac": str, "card": str}
_KEYS = {"ring": _RING_KEYS, "lattice": _LATTICE_KEYS, "reservoir": _RESERVOIR_KEYS}
_RING_DEFAULTS = {"library": "sky130", "corner": "tt", "vdd_v": 1.8, "temp_c": 27.0, "r_ohm": 1e6, "c_f": 1e-12,
                  "clamp": True, "ring_size": 5, "periods": 8, "timeout_s": 600.0, "backend": "batch"}
_LATTICE_DEFAULTS = {"card": "sky130_tt", "geometry": "square", "nx": 32, "ny": 32, "ring_size": 6, "shared": 1,
                     "orientation": "alternating", "boundary": "periodic", "coupling_weight": 0.0, "rule": "summing",
                     "placement": "consecutive",
                     "duration_tau": 200.0, "seed": 1, "tau_spread": 0.0, "init": "random_pulse", "engine": "numpy",
                     "target": "cython", "n_times": 16, "t_first_tau": 1.0, "dt_tau": None, "allow_large": False,
                     "record": "all"}
_RESERVOIR_DEFAULTS = {**ReservoirSpec().to_dict(), "dataset": "digits", "n_train": 1347, "n_test": 450,
                       "alpha": 1e-4, "mac": "fp32_45nm", "card": "sky130_tt"}
_DEFAULTS = {"ring": _RING_DEFAULTS, "lattice": _LATTICE_DEFAULTS, "reservoir": _RESERVOIR_DEFAULTS}


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: its kind, the fixed and swept parameters, Monte Carlo samples, points."""

    path: Path
    name: str
    kind: str
    base: dict
    axes: dict
    samples: int
    first_seed: int
    points: tuple[dict, ...]
    schemes: dict = field(default_factory=dict)


def _check_schemes(schemes, kind: str, base: Mapping, axes: Mapping, source: Path) -> dict:
    """The ``[schemes.NAME]`` tables of a lattice sweep, checked: safe names, known keys, none that
    [axes] also sets."""
    if not isinstance(schemes, Mapping):
        raise InputError(f"{source}: [schemes] must hold tables [schemes.NAME] of lattice keys")
    if schemes and kind == "ring":
        raise InputError(f"{source}: [schemes] apply to lattice and reservoir sweeps")
    for name, table in schemes.items():
        check_name(name, f"{source}: scheme name")
        if not isinstance(table, Mapping):
            raise InputError(f"{source}: [schemes.{name}] must be a table of lattice keys (shared, orientation, ...)")
        nested = [key for key, value in table.items() if isinstance(value, Mapping)]
        if nested:
            raise InputError(f"{source}: [schemes.{name}.{nested[0]}] is a table inside a scheme: a scheme name with "
                             f"a dot must be quoted, e.g. [schemes.\"{name}.{nested[0]}\"]")
        check_table(table, _KEYS[kind], source, f"schemes.{name}")
        both = sorted(set(table) & set(axes))
        if both:
            raise InputError(f"{source}: {both[0]} is both in [schemes.{name}] and [axes]; keep one")
    return {name: dict(table) for name, table in schemes.items()}


def _check(data: Mapping, source: Path) -> tuple[str, dict, dict, dict]:
    allowed = {"name", "kind", "base", "axes", "montecarlo", "schemes"}
    for key in data:
        if key not in allowed:
            raise InputError(f"{source}: unknown key {key!r}; expected {', '.join(sorted(allowed))}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise InputError(f"{source}: kind = {kind!r}; choose {' or '.join(KINDS)}")
    keys = _KEYS[kind]
    base, axes, mc = data.get("base", {}), data.get("axes", {}), data.get("montecarlo", {})
    for section, table in (("base", base), ("axes", axes), ("montecarlo", mc)):
        if not isinstance(table, Mapping):
            raise InputError(f"{source}: [{section}] must be a table")
    check_table(base, keys, source, "base")
    for name, values in axes.items():
        if name not in keys:
            raise InputError(f"{source}: unknown axis axes.{name} for a {kind} sweep; expected one of "
                             f"{', '.join(keys)}")
        if not (isinstance(values, list) and values):
            raise InputError(f"{source}: axes.{name} must be a non-empty list")
        bad = [v for v in values if not type_ok(v, keys[name])]
        if bad:
            raise InputError(f"{source}: axes.{name} has {bad[0]!r}; every value must be {type_name(keys[name])}")
        if name in base:
            raise InputError(f"{source}: {name} is both in [base] and [axes]; keep one")
    for name in mc:
        if name not in ("samples", "seed"):
            raise InputError(f"{source}: unknown key montecarlo.{name}; expected samples, seed")
        if not type_ok(mc[name], int) or mc[name] < (0 if name == "samples" else 1):
            raise InputError(f"{source}: montecarlo.{name} = {mc[name]!r} must be an integer >= "
                             f"{0 if name == 'samples' else 1}")
    if mc.get("samples", 0) and kind != "ring":
        raise InputError(f"{source}: [montecarlo] samples apply to ring sweeps (sky130 mismatch); for lattices "
                         "sweep tau_spread and seed instead")
    return kind, dict(base), dict(axes), dict(mc)


def _resolve_cell_paths(point: dict, base: Path) -> None:
    """Make a ring point's ``cell``, ``models`` and ``allow_include`` paths absolute (relative ones
    start at ``base``, the sweep file's folder); ``ports``/``models``/``allow_include`` need ``cell``."""
    extra = [k for k in ("ports", "models", "allow_include") if k in point]
    if not point.get("cell"):
        if extra:
            raise InputError(f"{', '.join(extra)} given without cell = \"FILE[:SUBCKT]\"; add cell or remove them")
        return
    point["cell"] = resolve_spec(point["cell"], base)
    if point.get("models") and point["models"].lower() != "none":
        point["models"] = str((base / Path(point["models"]).expanduser()).resolve())
    if "allow_include" in point:
        point["allow_include"] = [str((base / Path(d).expanduser()).resolve()) for d in point["allow_include"]]


def _point_cell(point: Mapping):
    """The foreign cell of a ring point (read and checked), or ``None`` for the built-in one."""
    from hwsim.circuit.cell import load_cell

    if not point.get("cell"):
        return None
    return load_cell(point["cell"], point.get("ports"), point.get("models"), point.get("allow_include", ()))


def _validate_point(kind: str, point: dict, source: Path) -> None:
    """Build the objects a point needs, so impossible values fail before any task starts."""
    try:
        if kind == "ring":
            Conditions(**{k: point[k] for k in _COND_FIELDS}, cell=_point_cell(point))
            if point["ring_size"] < 2 or point["periods"] < 3:
                raise InputError("ring_size must be >= 2 and periods >= 3")
            if point.get("mismatch_seed") is not None and point["library"] != "sky130":
                raise InputError("Monte Carlo mismatch needs library = sky130 (its *_mm model sections)")
        elif kind == "reservoir":
            _reservoir_config(point)
        else:
            from hwsim.model.card import load_card

            spec = LatticeSpec(**{k: point[k] for k in _SPEC_FIELDS})
            check_work(spec, SimConfig(**{k: point[k] for k in _SIM_FIELDS}))
            if not 4 <= point["n_times"] <= 10_000:
                raise InputError(f"n_times = {point['n_times']} must be in 4..10000")
            load_card(point["card"])
    except InputError as exc:
        raise InputError(f"{source}: point {_label(point)}: {exc}") from None


def _label(point: Mapping) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items() if k in point.get("_axes", ()))


#: Points a sweep may have without ``--allow-large`` (each is a SPICE or lattice run).
MAX_POINTS = 10_000


def load_sweep(path: str | Path, *, allow_large: bool = False) -> Sweep:
    """Read and check a sweep (TOML); every point is validated before anything runs. More than
    :data:`MAX_POINTS` points are refused unless ``allow_large``."""
    source = Path(path)
    data, _ = read_toml(source, "sweep", "examples: hwsim/app/configs/sweep_*.toml")
    kind, base, axes, mc = _check(data, source)
    schemes = _check_schemes(data.get("schemes", {}), kind, base, axes, source)
    name = check_name(data.get("name", source.stem), f"{source}: name")
    samples, first = mc.get("samples", 0), mc.get("seed", 1)
    count = math.prod(len(v) for v in axes.values()) * max(samples, 1) * max(len(schemes), 1)
    if count > MAX_POINTS and not allow_large:
        shape = " x ".join(str(len(v)) for v in axes.values()) + (f" x {samples} mismatch samples" if samples else "")
        raise InputError(f"{source}: the sweep has {count:,} points (axes {shape}), more than {MAX_POINTS:,}; "
                         "shrink the axes or pass --allow-large if you mean it")
    points = []
    for scheme, combo in itertools.product(schemes or [None], itertools.product(*axes.values())):
        point = {**_DEFAULTS[kind], **base, **schemes.get(scheme, {}), **dict(zip(axes, combo))}
        if "size" in point:  # one side for both: nx = ny = size
            point["nx"] = point["ny"] = point["size"]
        if scheme is not None:
            point["scheme"] = scheme
        for seed in (range(first, first + samples) if samples else [None]):
            labels = (("scheme",) if scheme else ()) + tuple(axes) + (("mismatch_seed",) if samples else ())
            p = {**point, "_axes": labels}
            if kind == "ring":
                p["mismatch_seed"] = seed
                _resolve_cell_paths(p, source.parent)
            _validate_point(kind, p, source)
            points.append(p)
    return Sweep(path=source, name=name, kind=kind, base=base, axes=axes, samples=samples, first_seed=first,
                 points=tuple(points), schemes=schemes)


def point_key(kind: str, point: Mapping) -> str:
    """Hash of everything that determines a point's result."""
    from hwsim.files import input_key, source_hash

    inputs = {"kind": kind, "hwsim": __version__, "code_sha256": source_hash(*POINT_CODE[kind]),
              **{k: v for k, v in point.items() if k != "_axes"}}
    if kind == "ring":
        from hwsim.circuit.netlist import netlist_hashes

        inputs["netlists"] = netlist_hashes()
        if point.get("cell"):
            inputs["cell_sha256"] = _point_cell(point).sha256
    elif point.get("card"):
        from hwsim.model.card import card_to_json, load_card

        inputs["card"] = card_to_json(load_card(point["card"]))
    return input_key(inputs)


def adopt_stale(sweep: Sweep, folder: str | Path) -> int:
    """Give each point of ``sweep`` that has no file under its key the result (or recorded failure)
    of a point in ``folder``/points with the same parameters but another key: one computed by other
    hwsim code, another hwsim version, or other card or netlist contents (all part of the key). Only
    for changes the user knows leave results alone (a speed-up, a comment): nothing is recomputed
    or checked. The file moves to the current key and records the key it was computed under as
    ``computed_with_key`` (kept from an earlier adoption); unreadable files, and finished ones
    without a result table, are never adopted.
    Returns how many points were adopted."""
    import json

    from hwsim.files import write_json_atomic

    points_dir = Path(folder) / "points"
    found: dict[str, tuple[Path, dict]] = {}
    for f in sorted(points_dir.glob("*.json")) if points_dir.is_dir() else []:
        try:
            data = json.loads(f.read_text())
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        usable = isinstance(data, dict) and isinstance(data.get("params"), dict) and (
            data.get("status") == "failed" or (data.get("status") == "ok" and isinstance(data.get("result"), dict)))
        if usable:
            found.setdefault(json.dumps(data["params"], sort_keys=True), (f, data))
    adopted = 0
    for key, point in sweep_points(sweep):
        params = json.loads(json.dumps({k: v for k, v in point.items() if k != "_axes"}, default=float))
        hit = found.get(json.dumps(params, sort_keys=True))
        if hit is None or any((points_dir / f"{key}{end}").is_file() for end in (".json", ".failed.json")):
            continue
        old, data = hit
        end = ".json" if data["status"] == "ok" else ".failed.json"
        was = data.get("computed_with_key", old.name.split(".")[0])
        write_json_atomic(points_dir / f"{key}{end}", {**data, "key": key, "computed_with_key": was})
        old.unlink()
        adopted += 1
    return adopted


def sweep_points(sweep: Sweep) -> list[tuple[str, dict]]:
    """(key, point) for every point of ``sweep``."""
    return [(point_key(sweep.kind, p), p) for p in sweep.points]


def _ring_point(p: Mapping) -> dict:
    from hwsim.circuit.characterize import Conditions, measure_ring, run_ring

    cond = Conditions(**{k: p[k] for k in _COND_FIELDS}, cell=_point_cell(p))
    res = run_ring(cond, p["ring_size"], periods=p["periods"], mismatch_seed=p.get("mismatch_seed"))
    ring = measure_ring(cond, p["ring_size"], periods=p["periods"], result=res)
    if not ring.sustained:
        raise HwsimError(f"the ring of {p['ring_size']} stopped oscillating (last firing {ring.n_periods} periods in)")
    lag = _neighbour_lag(res, cond.vdd_v, ring.period_s)
    return {"mode": _ring_mode(lag, p["ring_size"]), "neighbour_lag_frac": lag, "period_s": ring.period_s,
            "frequency_hz": 1.0 / ring.period_s, "period_std_s": ring.period_std_s,
            "energy_per_period_j": ring.energy_per_period_j, "power_w": ring.power_w, "pulses": ring.pulses,
            "duty": ring.duty, "spice_s": res.elapsed_s}


def _neighbour_lag(res, vdd: float, period_s: float) -> float:
    """Median delay from a firing onset of neuron 0 to the next one of neuron 1, over the period."""
    import numpy as np

    from hwsim.circuit.measure import crossings

    on0, on1 = crossings(res.time, res["o0"], vdd / 2, "falling"), crossings(res.time, res["o1"], vdd / 2, "falling")
    on0 = on0[2:]  # leave out the kick's start-up
    nxt = np.searchsorted(on1, on0 - 1e-3 * period_s)
    ok = nxt < len(on1)
    return float(np.median((on1[nxt[ok]] - on0[ok]) / period_s)) if ok.any() else float("nan")


def _ring_mode(lag_frac: float, n: int) -> str:
    """``travelling`` (a pulse hops neuron to neuron, lag ~ 1/N of the period), ``synchronous``
    (neighbours fire together, lag < 5 % of the period) or ``other``."""
    if not math.isfinite(lag_frac):
        return "other"
    if lag_frac < 0.05:
        return "synchronous"
    return "travelling" if 0.5 / n < lag_frac < 1.5 / n else "other"


def _lattice_point(p: Mapping) -> dict:
    import numpy as np

    from hwsim.analysis.study import analyse_run
    from hwsim.lattice.simulate import SimConfig, simulate
    from hwsim.lattice.topology import LatticeSpec, build_lattice
    from hwsim.model.behavior import ring_hop_law
    from hwsim.model.card import load_card

    card = load_card(p["card"])
    tau = card.value("tau_s")
    spec = LatticeSpec(**{k: p[k] for k in _SPEC_FIELDS})
    lattice = build_lattice(spec)
    run = simulate(card, lattice, SimConfig(**{k: p[k] for k in _SIM_FIELDS}))
    hop = ring_hop_law(card, spec.ring_size) or 3 * tau
    t_last = p["duration_tau"] * tau - 1.5 * spec.ring_size * hop
    if t_last <= p["t_first_tau"] * tau:
        raise InputError(f"duration_tau = {p['duration_tau']} is too short for phases after t_first_tau")
    times = np.geomspace(p["t_first_tau"] * tau, t_last, p["n_times"])
    rows, summary, _ = analyse_run(run, lattice, times)
    keys = ("xi_ss", "R_ss", "growth_exponent", "events", "xi_ss_capped", "xi_ss_pattern", "R_ss_pattern",
            "wall_density_ss_pattern", "wall_width_ss_pattern", "xi_ss_pattern_capped")
    return {k: summary[k] for k in keys if k in summary} | _lattice_extras(rows, summary, tau) | {
        "firings_per_neuron_per_tau": float(run.n_firings) / lattice.n_neurons / p["duration_tau"],
        "sim_wall_s": run.wall_s}


def _lattice_extras(rows: list[dict], summary: dict, tau: float) -> dict:
    """What a design-space table and its figures need beyond the summary: the growth fit window
    (tau) and its 95 % interval, the orbit-class mix (fractions of rings in class 0..3), the time
    to plateau (tau) and the metric time series (``series``, left out of the sweep table)."""
    import numpy as np

    orbit = np.asarray(summary["orbit_counts"], float)
    lo, hi = summary["growth_exponent_ci95"]
    key = "xi_pattern" if "xi_pattern" in rows[0] else "xi"
    out = {"growth_ci95_low": lo, "growth_ci95_high": hi, "growth_fit_from_tau": summary["growth_fit_t_min"] / tau,
           "growth_fit_to_tau": summary["growth_fit_t_max"] / tau,
           "t_plateau_tau": plateau_time([r["t"] / tau for r in rows], [r[key] for r in rows])}
    out |= {f"orbit_frac_{k}": float(c / max(orbit.sum(), 1.0)) for k, c in enumerate(orbit)}
    names = [k for k in ("xi", "R", "xi_pattern", "xi_pattern_capped", "R_pattern", "wall_density_pattern")
             if k in rows[0]]
    out["series"] = {"t_tau": [r["t"] / tau for r in rows]} | {k: [float(r[k]) for r in rows] for k in names}
    return out


def plateau_time(t: list[float], xi: list[float], band: float = 0.2) -> float:
    """The first time from which ``xi`` stays within +-``band`` (relative) of its mean over the last
    quarter of the times: when the run reached its plateau (same units as ``t``; NaN if never)."""
    import numpy as np

    xi = np.asarray(xi, float)
    tail = xi[int(len(xi) * 0.75):]
    level = float(np.nanmean(tail)) if np.isfinite(tail).any() else float("nan")
    if not math.isfinite(level) or level <= 0:
        return float("nan")
    inside = np.abs(xi - level) <= band * level
    outside = np.flatnonzero(~inside)
    first = 0 if len(outside) == 0 else outside[-1] + 1
    return float(t[first]) if first < len(t) else float("nan")


def _reservoir_config(p: Mapping):
    """The :class:`~hwsim.app.reservoir.ReservoirConfig` of a reservoir point."""
    from hwsim.app.reservoir import ReservoirConfig

    spec = ReservoirSpec(**{k: p[k] for k in fields_of(ReservoirSpec)})
    return ReservoirConfig(name="point", spec=spec, dataset=p["dataset"], n_train=p["n_train"], n_test=p["n_test"],
                           alpha=p["alpha"], mac=p["mac"], cards=(p["card"],) if p["card"] else ())


def _reservoir_point(p: Mapping) -> dict:
    """Accuracy, firings and energy per image (the first card) of one reservoir configuration."""
    from hwsim.app.reservoir import evaluate

    r = evaluate(_reservoir_config(p))
    out = {k: r[k] for k in ("test_accuracy", "train_accuracy", "n_neurons", "n_features", "firings_per_image")}
    for e in r["energy"][:1]:
        out.update({f"energy_{k}": e[k] for k in ("reservoir_j", "readout_j", "total_j", "coupling_j", "crowbar_j",
                                                  "edges_j", "static_j", "input_j")})
    d = r["domains"]
    if d:  # lattice reservoirs: domain size in the reservoir's own model, early and late in the image window
        out.update({"xi_start_pattern": d["xi_pattern"][0], "xi_end_pattern": d["xi_pattern"][-1],
                    "xi_start_capped": d["capped_fraction"][0], "xi_end_capped": d["capped_fraction"][-1]})
    return out


def run_point(kind: str, point: Mapping, key: str, folder: str) -> dict:
    """Compute one point and write its result (or its failure) atomically into ``folder``;
    returns a short status dict. Runs inside a Dask worker (single-threaded)."""
    from hwsim.errors import SimulatorError
    from hwsim.files import write_json_atomic

    os.environ["OMP_NUM_THREADS"] = "1"
    params = {k: v for k, v in point.items() if k != "_axes"}
    start = time.perf_counter()
    try:
        result = {"ring": _ring_point, "lattice": _lattice_point, "reservoir": _reservoir_point}[kind](params)
    except Exception as exc:  # recorded, never raised: one bad point must not stop the sweep
        log = exc.log[-3000:] if isinstance(exc, SimulatorError) else ""
        failure = {"key": key, "status": "failed", "params": params, "error_type": type(exc).__name__,
                   "error": str(exc)[:4000], "log_tail": log, "wall_s": time.perf_counter() - start,
                   "traceback": "" if isinstance(exc, HwsimError) else traceback.format_exc()[-3000:]}
        write_json_atomic(Path(folder) / f"{key}.failed.json", failure)
        return {"key": key, "status": "failed", "error": failure["error"][:200]}
    write_json_atomic(Path(folder) / f"{key}.json", {"key": key, "status": "ok", "params": params,
                                                     "result": result, "wall_s": time.perf_counter() - start,
                                                     "worker_pid": os.getpid()})
    stale = Path(folder) / f"{key}.failed.json"
    if stale.exists():
        stale.unlink()
    return {"key": key, "status": "ok"}


def _client(scheduler: str | None, workers: int | None):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        if not re.fullmatch(r"(tcp|tls|ucx)://[A-Za-z0-9_.\-\[\]:]+:\d{1,5}", scheduler):
            raise InputError(f"--scheduler {scheduler!r} is not a Dask scheduler address; it looks like "
                             "tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)")
        try:
            return Client(scheduler, timeout="10s"), None
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--scheduler {scheduler}: no Dask scheduler answered within 10 s ({exc}); start one "
                             "with `dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`, or leave "
                             "--scheduler out to run on local processes") from None
    n = workers or os.cpu_count() or 1
    # dashboard_address=":0": a free port, so two sweeps (or a sweep and the tests) on one machine do not collide
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                           env={"OMP_NUM_THREADS": "1"}, silence_logs=40)
    return Client(cluster), cluster


def run_sweep(sweep: Sweep, folder: str | Path, *, scheduler: str | None = None, workers: int | None = None,
              retry_failed: bool = False, progress: Callable[[dict], None] = lambda counts: None) -> dict:
    """Run the points of ``sweep`` that have no result in ``folder``/points on Dask; returns
    counts (total, cached, done, failed, remaining) and the wall time. ``progress(counts)`` is
    called after every finished point."""
    from dask.distributed import as_completed

    folder = Path(folder)
    points_dir = folder / "points"
    points_dir.mkdir(parents=True, exist_ok=True)
    todo, counts = [], {"total": len(sweep.points), "cached": 0, "done": 0, "failed": 0}
    for key, point in sweep_points(sweep):
        if (points_dir / f"{key}.json").is_file():
            counts["cached"] += 1
        elif (points_dir / f"{key}.failed.json").is_file() and not retry_failed:
            counts["cached"] += 1
            counts["failed"] += 1
        else:
            todo.append((key, point))
    counts["remaining"] = len(todo)
    progress(dict(counts))
    start = time.perf_counter()
    if todo:
        client, cluster = _client(scheduler, workers)
        try:
            futures = {client.submit(run_point, sweep.kind, p, k, str(points_dir), key=f"hwsim-{k}", pure=False): k
                       for k, p in todo}
            for future in as_completed(futures):
                key = futures[future]
                try:
                    status = future.result()["status"]
                except Exception as exc:  # the worker died (KilledWorker) or the task was lost
                    _record_lost(points_dir, key, dict(todo)[key], exc)
                    status = "failed"
                counts["done" if status == "ok" else "failed"] += 1
                counts["remaining"] -= 1
                progress(dict(counts))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return {**counts, "wall_s": time.perf_counter() - start}


def _record_lost(points_dir: Path, key: str, point: Mapping, exc: BaseException) -> None:
    from hwsim.files import write_json_atomic

    write_json_atomic(points_dir / f"{key}.failed.json", {
        "key": key, "status": "failed", "params": {k: v for k, v in point.items() if k != "_axes"},
        "error_type": type(exc).__name__, "error": f"the task was lost: {exc}"[:4000], "log_tail": "",
        "wall_s": math.nan, "traceback": ""})


def gather(sweep: Sweep, folder: str | Path):
    """Pandas DataFrame, one row per point of ``sweep``: parameters, status, error, results."""
    import json

    import pandas as pd

    points_dir = Path(folder) / "points"
    rows = []
    for key, point in sweep_points(sweep):
        row = {"key": key, **{k: v for k, v in point.items() if k != "_axes"}}
        ok, failed = points_dir / f"{key}.json", points_dir / f"{key}.failed.json"
        if ok.is_file():
            data = json.loads(ok.read_text())
            scalars = {k: v for k, v in data["result"].items() if not isinstance(v, (dict, list))}
            row.update(status="ok", error="", wall_s=data["wall_s"], **scalars)
        elif failed.is_file():
            data = json.loads(failed.read_text())
            first_line = data["error"].splitlines()[0] if data["error"] else ""
            row.update(status="failed", error=f"{data['error_type']}: {first_line}"[:300], wall_s=data["wall_s"])
        else:
            row.update(status="missing", error="")
        rows.append(row)
    return pd.DataFrame(rows)


def lattice_series(sweep: Sweep, folder: str | Path) -> list[dict]:
    """The metric time series of the finished lattice points: one dict per point with its
    parameters and ``series`` (``t_tau`` and one list per metric)."""
    import json

    out = []
    for key, point in sweep_points(sweep):
        ok = Path(folder) / "points" / f"{key}.json"
        if ok.is_file():
            series = json.loads(ok.read_text())["result"].get("series")
            if isinstance(series, dict):
                out.append({**{k: v for k, v in point.items() if k != "_axes"}, "key": key, "series": series})
    return out


def pattern_growth(series: list[dict]):
    """Growth of the pattern-aware xi(t) of each point (from :func:`lattice_series`): exponent, 95 %
    interval and fit window in tau (``growth_*_pattern`` columns, one row per point ``key``). A
    value is capped when the point flagged it (or, in series without the flag, when it reached L/2)."""
    import pandas as pd

    from hwsim.analysis.study import growth_fit

    rows = []
    for p in series:
        s = p["series"]
        if "xi_pattern" not in s:
            continue
        xi = [float("nan") if v is None else v for v in s["xi_pattern"]]
        capped = s.get("xi_pattern_capped") or [v >= 0.999 * p["size"] / 2 for v in xi]
        g = growth_fit(s["t_tau"], xi, capped)
        rows.append({"key": p["key"], "growth_exponent_pattern": g["growth_exponent"],
                     "growth_ci95_low_pattern": g["growth_exponent_ci95"][0],
                     "growth_ci95_high_pattern": g["growth_exponent_ci95"][1],
                     "growth_fit_from_tau_pattern": g["growth_fit_t_min"],
                     "growth_fit_to_tau_pattern": g["growth_fit_t_max"]})
    return pd.DataFrame(rows, columns=["key", "growth_exponent_pattern", "growth_ci95_low_pattern",
                                       "growth_ci95_high_pattern", "growth_fit_from_tau_pattern",
                                       "growth_fit_to_tau_pattern"])


def design_table(ok):
    """Per scheme at its largest size (mean +- std over seeds): the pattern-aware xi_ss, wall
    density and width, R_ss, orbit-class mix, time to plateau, growth exponent (mean, with the mean
    95 % interval and fit window) and whether hwsim has a circuit for the rule. A DataFrame."""
    import pandas as pd

    return pd.DataFrame([_design_row(scheme, part) for scheme, part in ok.groupby("scheme")])


def _design_row(scheme: str, part) -> dict:
    """One row of :func:`design_table` from the points of one scheme; the growth of the pattern-aware
    xi(t) where the points have it (:func:`pattern_growth`), else of the in-phase one. A mean over
    fewer seeds than the row's (the others NaN: never reached, too few points to fit) says how many."""
    big = part[part["size"] == part["size"].max()]
    g = "_pattern" if "growth_exponent_pattern" in big else ""

    def pm(col, fmt="{:.3g}"):
        if col not in big:
            return "n/a"
        values = big[col].dropna()
        text = f"{fmt.format(values.mean())} +- {fmt.format(values.std())}" if len(values) > 1 else \
            (fmt.format(values.mean()) if len(values) else "nan")
        return text + (f" ({len(values)} of {len(big)})" if len(values) < len(big) else "")

    def mean(col, fmt="{:.2f}", how="mean"):
        return fmt.format(big[col].agg(how)) if col in big else "n/a"

    classes = sorted(int(c.rsplit("_", 1)[1]) for c in big if c.startswith("orbit_frac_"))
    fractions = {k: big[f"orbit_frac_{k}"].fillna(0).mean() for k in classes}
    return {"scheme": scheme, "L": int(big["size"].iloc[0]), "seeds": len(big),
            "xi_ss_pattern": pm("xi_ss_pattern"), "wall_density": pm("wall_density_ss_pattern"),
            "wall_width": pm("wall_width_ss_pattern"), "R_ss_pattern": pm("R_ss_pattern"),
            "orbit classes": ", ".join(f"{k}: {f:.2f}" for k, f in fractions.items() if f >= 0.005),
            "t_plateau_tau": pm("t_plateau_tau", "{:.0f}"), "growth_exponent": pm(f"growth_exponent{g}", "{:.2f}"),
            "growth_ci95": f"[{mean(f'growth_ci95_low{g}')}, {mean(f'growth_ci95_high{g}')}]",
            "fit_window_tau": f"{mean(f'growth_fit_from_tau{g}', '{:.0f}', 'median')}-"
                              f"{mean(f'growth_fit_to_tau{g}', '{:.0f}', 'median')}",
            "buildable": _buildable(part)}


def design_lines(ok) -> list[str]:
    """Markdown lines of :func:`design_table` with the definitions of its columns."""
    table = design_table(ok)
    return ["## Design-space table (largest size per scheme; mean +- std over seeds)", "",
            "xi_ss_pattern: correlation length of the phases relative to the lock pattern (rings; capped at L/2); "
            "wall density: fraction of active bonds that break the pattern; wall width (rings); orbit classes: "
            "k: fraction of rings with k neurons firing at once (classes above 0.5 %); t_plateau: first time "
            "after which xi_pattern stays within 20 % of its late mean; growth exponent of the pattern-aware xi(t) "
            "from its minimum to its maximum with the mean 95 % interval; figure design_space.png.", "",
            "```", table.to_string(index=False), "```", ""]


#: A lattice whose rings fire more often than this per neuron and tau is re-firing, not oscillating
#: (rings of 3-24 neurons fire 0.1-0.4 times per neuron and tau).
STORM_FIRINGS_PER_TAU = 2.0
#: A lattice with at least this fraction of silent rings (orbit class 0) at the end has died.
DEAD_SILENT_FRACTION = 0.5


def pruned_lines(ok) -> list[str]:
    """Markdown lines naming the lattice points whose activity died (at least half the rings silent
    in the last quarter) or that re-fire in a storm (more than 2 firings per neuron and tau), with
    the count per rule; empty when none."""
    if "orbit_frac_0" not in ok or "firings_per_neuron_per_tau" not in ok:
        return []
    dead = ok["orbit_frac_0"].fillna(0.0) >= DEAD_SILENT_FRACTION
    storm = ~dead & (ok["firings_per_neuron_per_tau"] > STORM_FIRINGS_PER_TAU)
    if not (dead.any() or storm.any()):
        return []
    group = [c for c in ("scheme", "rule", "size") if c in ok and ok[c].nunique() > 1]
    lines = ["## Pruned points", "", f"Activity died (>= {100 * DEAD_SILENT_FRACTION:.0f} % of the rings silent in "
             f"the last quarter): {int(dead.sum())} of {len(ok)}; re-firing storm "
             f"(> {STORM_FIRINGS_PER_TAU:g} firings per neuron and tau): {int(storm.sum())}.", ""]
    if "rule" in ok:
        lines += [f"- rule {rule}: {int(dead[ok['rule'] == rule].sum())} died, {int(storm[ok['rule'] == rule].sum())} "
                  f"storm, of {int((ok['rule'] == rule).sum())}" for rule in sorted(ok["rule"].unique())] + [""]
    for label, mask in (("died", dead), ("storm", storm)):
        for r in ok[mask].to_dict("records"):
            where = ", ".join(f"{c}={r[c]}" for c in group)
            lines.append(f"- {label}: {where} (silent rings {100 * r['orbit_frac_0']:.0f} %, "
                         f"{r['firings_per_neuron_per_tau']:.3g} firings per neuron and tau)")
    return lines + [""]


def _buildable(part) -> str:
    """Whether hwsim has a circuit for the scheme's input rule."""
    rule = part["rule"].iloc[0] if "rule" in part else "summing"
    return {"gate": "yes (gate cell)", "capacitive": "yes (neuron cell)"}.get(rule, "no circuit in hwsim")


def finite_size(ok, group: list[str], metric: str = "xi_ss_pattern"):
    """Per group (e.g. scheme): ``metric`` (mean, std over seeds) at the two largest sizes and the
    verdict: ``finite`` when the two means differ by no more than the larger seed spread (std) and
    neither is capped at half the lattice, else ``spans the lattice``. A pandas DataFrame."""
    import pandas as pd

    capped = f"{metric}_capped" if f"{metric}_capped" in ok else None
    rows = []
    for key, part in (ok.groupby(group) if group else [((), ok)]):
        sizes = sorted(part["size"].unique())
        if len(sizes) < 2:
            continue
        small, large = (part[part["size"] == s] for s in sizes[-2:])
        m1, m2, s1, s2 = small[metric].mean(), large[metric].mean(), small[metric].std(), large[metric].std()
        is_capped = capped is not None and bool(small[capped].any() or large[capped].any())
        spread = max(s1 if math.isfinite(s1) else 0.0, s2 if math.isfinite(s2) else 0.0)
        ok_finite = math.isfinite(m1) and math.isfinite(m2) and abs(m2 - m1) <= spread and not is_capped
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(group, key)), "L_small": sizes[-2], "L_large": sizes[-1], f"{metric}_small": m1,
                     "std_small": s1, f"{metric}_large": m2, "std_large": s2,
                     "verdict": "finite" if ok_finite else "spans the lattice"})
    return pd.DataFrame(rows)


def finite_size_lines(ok, group: list[str]) -> list[str]:
    """Markdown lines of :func:`finite_size` for the in-phase and the pattern-aware xi_ss."""
    lines = []
    for metric in ("xi_ss", "xi_ss_pattern"):
        if metric not in ok:
            continue
        table = finite_size(ok, group, metric)
        if len(table):
            lines += [f"## Finite-size check of {metric} (two largest sizes; finite = the means agree within "
                      "the seed spread and neither is capped)", "", "```",
                      table.to_string(index=False, float_format=lambda v: f"{v:.4g}"), "```", ""]
    return lines


def write_sweep_report(sweep: Sweep, table, folder: str | Path) -> list[Path]:
    """``sweep.parquet``, ``sweep.csv``, ``summary.md`` and figures into ``folder``."""
    from hwsim.app.plot import plot_design_space, plot_sweep

    folder = Path(folder)
    table.to_parquet(folder / "sweep.parquet", index=False)
    table.to_csv(folder / "sweep.csv", index=False)
    paths = plot_sweep(sweep.kind, table, (["scheme"] if sweep.schemes else []) + list(sweep.axes), folder)
    ok = table[table["status"] == "ok"]
    lines = [f"# Sweep {sweep.name} ({sweep.kind})", "",
             f"{len(table)} points: {len(ok)} ok, {int((table['status'] == 'failed').sum())} failed, "
             f"{int((table['status'] == 'missing').sum())} missing.", ""]
    group = (["scheme"] if sweep.schemes else []) + [a for a in sweep.axes if a not in ("seed",)]
    metric = {"ring": ["frequency_hz", "pulses", "energy_per_period_j", "power_w"],
              "lattice": ["xi_ss", "R_ss", "xi_ss_pattern", "wall_density_ss_pattern",
                          "firings_per_neuron_per_tau"],
              "reservoir": ["test_accuracy", "train_accuracy", "n_neurons", "energy_reservoir_j",
                            "energy_readout_j", "xi_start_pattern", "xi_end_pattern"]}[sweep.kind]
    metric = [m for m in metric if m in ok]
    if len(ok) and group:
        stats = ok.groupby(group)[metric].agg(["mean", "std", "count"])
        lines += ["Mean, standard deviation and count per axis point (over Monte Carlo seeds / lattice seeds):",
                  "", "```", stats.to_string(float_format=lambda v: f"{v:.4g}"), "```", ""]
    if sweep.kind == "lattice" and "size" in sweep.axes and len(ok):
        lines += finite_size_lines(ok, [g for g in group if g != "size"])
    if sweep.kind == "lattice" and len(ok):
        lines += pruned_lines(ok)
    if sweep.kind == "lattice" and sweep.schemes and "size" in sweep.axes and len(ok):
        series = lattice_series(sweep, folder)
        lines += design_lines(ok.merge(pattern_growth(series), on="key", how="left"))
        paths += plot_design_space(series, folder)
    if "mode" in ok and (ok["mode"] != "travelling").any():
        odd = ok[ok["mode"] != "travelling"]
        axes = tuple(sweep.axes) + (("mismatch_seed",) if sweep.samples else ())
        lines += ["## Rings not in the travelling-pulse mode", "",
                  "Their frequency is that of neuron 0's firings, not of a pulse going round:", ""]
        lines += [f"- {_label({**r, '_axes': axes})}: {r['mode']} (neighbour lag {r['neighbour_lag_frac']:.3f} "
                  f"of the period), {r['frequency_hz'] / 1e3:.1f} kHz" for r in odd.to_dict("records")]
        lines.append("")
    failed = table[table["status"] == "failed"]
    if len(failed):
        axes = tuple(sweep.axes) + (("mismatch_seed",) if sweep.samples else ())
        lines += ["## Failed points", ""] + [f"- {_label({**r, '_axes': axes})}: {r['error']}"
                                             for r in failed.to_dict("records")]
    (folder / "summary.md").write_text("\n".join(lines) + "\n")
    return paths
