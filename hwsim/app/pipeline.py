"""The end-to-end pipeline: netlist -> SPICE -> model card -> lattice -> metrics + power -> report.

``hwsim run CONFIG.toml`` reads a declarative config (see ``hwsim/app/configs/default.toml``, commented),
checks all of it before any simulation starts (:func:`load_config`: unknown keys, wrong types,
impossible values and missing files are reported with the key path and what is expected), then
runs the stages:

1. ``card``: SPICE characterisation and calibration of the neuron at the circuit's conditions
   (:func:`hwsim.model.calibrate.calibrate_point`), keeping the hysteresis, step and ring waveforms; or
   a given card file (``calibration.card``).
2. ``lattice``: the lattice run (Brian2 or the numpy reference) with that card.
3. ``analysis``: synchronisation metrics at log-spaced times (:func:`hwsim.analysis.study.analyse_run`),
   the power estimate over the second half of the run, and the ring energy table vs SPICE.
4. ``crosscheck`` (optional): transistor-level vs behavioural run of a small lattice.

Each stage's result lives in a folder keyed by the hash of its inputs (the config sections it
reads, the keys of the stages it depends on, the netlist hashes and the hwsim version for SPICE
stages; :mod:`hwsim.app.store`), so re-running an unchanged config reuses every stage, a changed
lattice re-runs only the lattice and what follows, and a killed run keeps what it finished.
The report (:mod:`hwsim.app.report`) is rebuilt from the stage folders every time.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwsim import __version__
from hwsim.circuit.cell import CELL_KEYS, cell_from_table
from hwsim.circuit.characterize import Conditions
from hwsim.errors import InputError
from hwsim.files import check_name
from hwsim.lattice.simulate import SimConfig, check_work
from hwsim.lattice.topology import LatticeSpec
from hwsim.tomlcheck import check_sections, fields_of, read_toml

__all__ = ["PipelineConfig", "PipelineResult", "StageInfo", "load_config", "run_pipeline", "stage_names",
           "DEFAULT_CONFIG", "SCHEMA"]

#: The built-in default config (README's first command).
DEFAULT_CONFIG = Path(__file__).resolve().parent / "configs" / "default.toml"

#: Lattice keys of [lattice] and [crosscheck]: the LatticeSpec fields (small-world ones left out).
_LATTICE_KEYS = fields_of(LatticeSpec, exclude=("rule", "sw_k", "sw_p", "seed"))
#: Sections, keys and types of a pipeline config (``(list, int)``: a list of ints); the circuit,
#: lattice and simulation keys are the fields of the dataclasses they become.
SCHEMA: dict[str, dict[str, object]] = {
    "": {"name": str},
    "circuit": {**fields_of(Conditions, exclude=("backend", "timeout_s", "cell")), **CELL_KEYS},
    "spice": {"backend": str, "timeout_s": float, "periods": int},
    "calibration": {"card": str, "ring_sizes": (list, int), "validate_ring_sizes": (list, int),
                    "period_rel": float, "threshold_vdd": float, "allow_out_of_tolerance": bool,
                    "fit_parameters": (list, str), "vt_minus": str, "shared_card": str},
    "lattice": {**_LATTICE_KEYS, "rule": str},
    "simulation": fields_of(SimConfig, exclude=("tau_spread",)),
    "metrics": {"n_times": int, "t_first_tau": float, "ss_fraction": float, "snapshots": int},
    "power": {"enabled": bool, "window_from": float},
    "crosscheck": {"enabled": bool, **_LATTICE_KEYS, "rule": str, "duration_tau": float},
    "report": {"output_dir": str, "tables": (list, str)},
}
_TABLE_FORMATS = ("csv", "parquet")
#: The hwsim code each stage runs (subpackages or modules, besides the base modules): its source
#: hash is part of the stage's cache key, so editing that code re-runs exactly these stages.
STAGE_CODE = {
    "card": ("circuit", "model", "app.pipeline"),
    "lattice": ("model", "lattice", "app.pipeline"),
    "analysis": ("model", "lattice", "analysis", "checks", "app.pipeline"),
    "crosscheck": ("circuit", "model", "lattice", "analysis", "checks", "app.pipeline", "app.writers", "app.plot"),
}
#: Base modules every stage uses.
BASE_CODE = ("errors", "units", "files", "tomlcheck")
#: Upper bound of a ring hop in tau (paper card 1.3, sky130 and generic ~2.3 RC/tau): sizes checks.
_HOP_BOUND_TAU = 3.0
#: ``progress(stage, message)``; ``message`` None: the stage is done.
Progress = Callable[[str, "str | None"], None]


@dataclass(frozen=True)
class PipelineConfig:
    """A checked pipeline config: the raw sections (with defaults filled in) and the objects built
    from them. ``sha256``: of the config file's bytes."""

    path: Path
    sha256: str
    name: str
    sections: dict
    conditions: object  # hwsim.circuit.characterize.Conditions
    recipe: object | None  # hwsim.model.calibrate.Recipe, None when calibration.card is given
    card_file: Path | None
    lattice: object  # hwsim.lattice.topology.LatticeSpec
    crosscheck_spec: object | None


@dataclass
class StageInfo:
    """One stage of a run: its input key, folder, whether it came from the cache, seconds taken."""

    name: str
    key: str
    folder: Path
    cached: bool
    seconds: float


@dataclass
class PipelineResult:
    """Everything a report needs: the config, the stages and where the report was written."""

    config: PipelineConfig
    stages: dict[str, StageInfo] = field(default_factory=dict)
    report_dir: Path | None = None
    wall_s: float = 0.0


def _positive(value: float, path: str, source: Path, upper: float = math.inf) -> None:
    """Raise InputError naming ``path`` in ``source`` unless 0 < value < upper."""
    if not (math.isfinite(value) and 0 < value < upper):
        bound = f" and < {upper:g}" if math.isfinite(upper) else ""
        raise InputError(f"{source}: {path} = {value!r} must be > 0{bound}")


def _build(data: dict, source: Path, sha: str) -> PipelineConfig:
    """Check the parsed TOML ``data`` of ``source`` section by section and build its config."""
    from hwsim.circuit.characterize import Conditions
    from hwsim.lattice.topology import LatticeSpec

    sec = {s: dict(data.get(s, {})) for s in SCHEMA if s}
    name = check_name(data.get("name", source.stem), f"{source}: name")
    spice = sec["spice"]
    try:
        cell = cell_from_table(sec["circuit"], source.parent)
        cond = Conditions(**sec["circuit"], cell=cell, backend=spice.get("backend", "shared"),
                          timeout_s=float(spice.get("timeout_s", 600.0)))
    except InputError as exc:
        raise InputError(f"{source}: [circuit]/[spice] {exc}") from None
    if cond.backend not in ("shared", "batch"):
        raise InputError(f"{source}: spice.backend = {cond.backend!r}; choose shared or batch")
    card_file, recipe = _calibration(sec, cond, name, source, sha)
    try:
        spec = LatticeSpec(**{"rule": "summing", **sec["lattice"]})
    except InputError as exc:
        raise InputError(f"{source}: [lattice] {exc}") from None
    _check_run(sec, spec, source)
    bad = [f for f in sec["report"].get("tables", list(_TABLE_FORMATS)) if f not in _TABLE_FORMATS]
    if bad:
        raise InputError(f"{source}: report.tables: {', '.join(bad)} unknown; choose from {', '.join(_TABLE_FORMATS)}")
    out = Path(sec["report"].get("output_dir", "reports"))
    if out.is_absolute() or ".." in out.parts:
        raise InputError(f"{source}: report.output_dir = {str(out)!r} must be a relative folder without '..' (a "
                         "config may come from someone else); choose another folder with `hwsim run --output DIR`")
    cc_spec = _crosscheck_spec(sec["crosscheck"], source)
    return PipelineConfig(path=source, sha256=sha, name=name, sections=sec, conditions=cond, recipe=recipe,
                          card_file=card_file, lattice=spec, crosscheck_spec=cc_spec)


def _calibration(sec: dict, cond, name: str, source: Path, sha: str) -> tuple[Path | None, object]:
    """(card file, None) for ``[calibration] card = ...``, else (None, the calibration recipe)."""
    from hwsim.model.calibrate import recipe_from_dict

    cal = sec["calibration"]
    if "shared_card" in cal:
        _check_shared_card(cal, source)
    if "card" in cal:
        from hwsim.model.card import load_card

        try:
            card = load_card(cal["card"])
        except InputError as exc:
            raise InputError(f"{source}: calibration.card: {exc}") from None
        if card.normalised or "r_ohm" not in card.conditions:
            raise InputError(f"{source}: calibration.card = {cal['card']!r} is a normalised card without a circuit "
                             "(no R, C, VDD); the pipeline reports a circuit, so give a calibrated card such as "
                             "sky130_tt or generic_tt (`hwsim lattice --card paper` and `hwsim study` run the "
                             "normalised model)")
        return _card_path(cal["card"]), None
    params = cal.get("fit_parameters", ["vt_minus_v"])
    fit = {"parameters": params, "vt_minus": cal.get("vt_minus", "step"),
           "bounds": {"vt_minus_v": [0.02 * cond.vdd_v, 0.48 * cond.vdd_v]} if "vt_minus_v" in params else {}}
    fit.update({k: cal[k] for k in ("ring_sizes", "validate_ring_sizes") if k in cal})
    tol = {k: cal[k] for k in ("period_rel", "threshold_vdd") if k in cal}
    recipe_data = {"card": {"name": f"{name}_card", "output": "unused.json"},
                   "conditions": {k: v for k, v in vars(cond).items() if k not in ("backend", "timeout_s", "cell")},
                   "spice": sec["spice"], "fit": fit, "tolerance": tol}
    return None, recipe_from_dict(recipe_data, source, sha, cell=cond.cell)


def _check_run(sec: dict, spec, source: Path) -> None:
    """Check [simulation], [metrics] and [power] of ``source`` against each other and the lattice."""
    sim, met = sec["simulation"], sec["metrics"]
    duration = sim.get("duration_tau", 300.0)
    _positive(duration, "simulation.duration_tau", source)
    if "dt_tau" in sim:
        _positive(sim["dt_tau"], "simulation.dt_tau", source, upper=1.0)
    try:
        check_work(spec, _sim_config(sim))
    except InputError as exc:
        raise InputError(f"{source}: [simulation] {exc}") from None
    need = met.get("t_first_tau", 1.0) + 1.5 * spec.ring_size * _HOP_BOUND_TAU
    if duration < 2 * need:
        raise InputError(f"{source}: simulation.duration_tau = {duration} is too short for "
                         f"metrics from t_first_tau = {met.get('t_first_tau', 1.0)} on rings of {spec.ring_size}: "
                         f"give at least {2 * need:.0f} (phases need 1.5 ring periods after the last sample)")
    if not 4 <= met.get("n_times", 24) <= 10_000:
        raise InputError(f"{source}: metrics.n_times = {met['n_times']} must be in 4..10000")
    _positive(met.get("t_first_tau", 1.0), "metrics.t_first_tau", source, upper=duration)
    _positive(met.get("ss_fraction", 0.25), "metrics.ss_fraction", source, upper=1.0)
    if not 1 <= met.get("snapshots", 4) <= 8:
        raise InputError(f"{source}: metrics.snapshots = {met['snapshots']} must be 1..8")
    if sim.get("record", "all") != "all" and sec["power"].get("enabled", True):
        raise InputError(f"{source}: simulation.record = {sim['record']!r} keeps only the ring reference neurons' "
                         "events, but the power estimate needs every neuron's: set [power] enabled = false or "
                         "record = 'all'")
    if not 0 <= sec["power"].get("window_from", 0.5) < 1:
        raise InputError(f"{source}: power.window_from = {sec['power']['window_from']} must be in [0, 1) "
                         "(fraction of the run before the power window starts)")


def _sim_config(sim: Mapping) -> SimConfig:
    """The SimConfig of a config's ``[simulation]`` table (defaults filled in)."""
    return SimConfig(duration_tau=sim.get("duration_tau", 300.0), dt_tau=sim.get("dt_tau"), seed=sim.get("seed", 0),
                     init=sim.get("init", "random_pulse"), engine=sim.get("engine", "brian"),
                     target=sim.get("target", "cython"), allow_large=sim.get("allow_large", False),
                     record=sim.get("record", "all"))


def _crosscheck_spec(cc: dict, source: Path):
    """The LatticeSpec of the transistor-level cross-check in ``[crosscheck]``, or None when disabled."""
    from hwsim.checks.spice_lattice import check_spice_size
    from hwsim.lattice.topology import LatticeSpec, build_lattice

    if not cc.get("enabled", True):
        return None
    _positive(cc.get("duration_tau", 60.0), "crosscheck.duration_tau", source)
    fields = {k: v for k, v in cc.items() if k in _LATTICE_KEYS}
    rule = cc.get("rule", "capacitive")
    if rule not in ("capacitive", "gate"):
        raise InputError(f"{source}: [crosscheck] rule = {rule!r} has no circuit in hwsim; choose 'capacitive' (one "
                         "capacitor per input) or 'gate' (AND gates in front of shared neurons)")
    try:
        spec = LatticeSpec(**{"nx": 2, "ny": 2, "boundary": "open", **fields, "rule": rule})
        check_spice_size(spec, build_lattice(spec).n_rings)
    except InputError as exc:
        raise InputError(f"{source}: [crosscheck] {exc}") from None
    return spec


def _check_shared_card(cal: dict, source: Path) -> None:
    """``[calibration] shared_card`` goes with a given ``card`` (a calibration measures its own
    behind the AND gate) and must load."""
    from hwsim.model.card import load_card

    if "card" not in cal:
        raise InputError(f"{source}: calibration.shared_card needs calibration.card (when the pipeline calibrates "
                         "the cell it measures the shared neurons' card itself, behind their AND gate)")
    try:
        load_card(cal["shared_card"])
    except InputError as exc:
        raise InputError(f"{source}: calibration.shared_card: {exc}") from None


def _card_path(name_or_path: str) -> Path:
    from hwsim.model.card import find_card

    candidate = Path(name_or_path)
    return candidate.resolve() if candidate.is_file() else find_card(name_or_path)


def load_config(path: str | Path) -> PipelineConfig:
    """Read and check a pipeline config (TOML); every error names the key path and what is expected."""
    source = Path(path)
    data, raw = read_toml(source, "config", f"the built-in default is {DEFAULT_CONFIG}; `hwsim run` without a "
                                            "config runs it")
    check_sections(data, SCHEMA, source)
    return _build(data, source, hashlib.sha256(raw).hexdigest())


# ---------------------------------------------------------------- stages


def _card_stage(cfg: PipelineConfig, folder: Path, progress: Callable[[str], None]) -> None:
    """Calibrate (or copy) the card; keep residuals and downsampled SPICE waveforms."""
    from hwsim.model.calibrate import calibrate_point, residual_table_text
    from hwsim.model.card import load_card, save_card

    if cfg.recipe is None:
        save_card(load_card(cfg.card_file), folder / "card.json")
        if "shared_card" in cfg.sections["calibration"]:
            save_card(load_card(cfg.sections["calibration"]["shared_card"]), folder / "shared_card.json")
        return
    traces: dict = {}
    cal = calibrate_point(cfg.recipe, cfg.conditions, progress, name=cfg.recipe.name, traces=traces)
    allow = cfg.sections["calibration"].get("allow_out_of_tolerance", False)
    if not cal.within_tolerance and not allow:
        from hwsim.model.calibrate import CalibrationError

        raise CalibrationError("the calibrated card missed its tolerance (set calibration.allow_out_of_tolerance "
                               f"= true to go on with it):\n{residual_table_text(cal)}")
    save_card(cal.card, folder / "card.json")
    np.savez_compressed(folder / "traces.npz", **_waveforms(traces, cfg))
    if needs_gate_card(cfg):
        from hwsim.model.calibrate import gate_card

        progress("the shared neurons' card: the gate bench")
        save_card(gate_card(cal.card, cfg.conditions.backend, cfg.conditions.timeout_s), folder / "shared_card.json")


def needs_gate_card(cfg: PipelineConfig) -> bool:
    """Whether the card stage measures a card of its own for shared neurons: the lattice or the
    cross-check uses the gate rule with shared neurons, on the built-in cell (the gate bench puts
    an AND2 in front of nv_neuron)."""
    specs = [cfg.lattice] + ([cfg.crosscheck_spec] if cfg.crosscheck_spec is not None else [])
    gated = any(spec.rule == "gate" and spec.shared > 0 for spec in specs)
    return gated and cfg.recipe is not None and cfg.conditions.cell is None


def shared_card_of(card_folder: Path):
    """The shared neurons' card the card stage wrote, or None (every neuron uses card.json)."""
    from hwsim.model.card import load_card

    path = card_folder / "shared_card.json"
    return load_card(path) if path.exists() else None


def _resample(t: np.ndarray, window: tuple[float, float], points: int, **signals) -> dict:
    grid = np.linspace(window[0], window[1], points)
    return {"t": grid, **{k: np.interp(grid, t, v) for k, v in signals.items()}}


def _waveforms(traces: dict, cfg: PipelineConfig, points: int = 6000) -> dict:
    """Downsampled SPICE waveforms for the report: hysteresis loop, step response, one ring."""
    out = {}
    hy = traces["hysteresis"]
    for k, v in _resample(hy.time, (0.0, float(hy.time[-1])), points, x=hy["x"], o=hy["o"]).items():
        out[f"hyst_{k}"] = v
    st = traces["step"]
    for k, v in _resample(st.time, (0.0, float(st.time[-1])), points, x=st["x"], o=st["o"], u=st["u"]).items():
        out[f"step_{k}"] = v
    sizes = sorted(int(k[4:]) for k in traces if k.startswith("ring"))
    n = cfg.lattice.ring_size if cfg.lattice.ring_size in sizes else sizes[0]
    ring = traces[f"ring{n}"]
    rc = cfg.conditions.rc_s
    shown = {f"o{i}": ring[f"o{i}"] for i in range(min(n, 3))}
    window = (0.0, min(float(ring.time[-1]), rc + 4 * n * 2.2 * rc))
    for k, v in _resample(ring.time, window, points, x0=ring["x0"], **shown).items():
        out[f"ring_{k}"] = v
    out["ring_n"] = np.array(n)
    out["rc_s"] = np.array(rc)
    return out


def _lattice_stage(cfg: PipelineConfig, card, shared, folder: Path, quiet: bool) -> None:
    from tqdm import tqdm

    from hwsim.lattice.simulate import save_run, simulate
    from hwsim.lattice.topology import build_lattice

    config = _sim_config(cfg.sections["simulation"])
    lattice = build_lattice(cfg.lattice)
    n_steps = config.n_steps(card)
    with tqdm(total=n_steps, desc=f"  lattice {lattice.n_neurons} neurons ({config.engine})", unit="step",
              unit_scale=True, leave=False, disable=quiet) as bar:
        run = simulate(card, lattice, config, progress=lambda steps, *_: bar.update(steps), shared_card=shared)
    save_run(run, folder / "run.npz")


def _last_phase_time(card, ring_size: int, duration: float) -> float:
    """Last time (card units) at which every oscillating ring's phase is defined: phases need a
    firing onset after t, so stop 1.5 ring periods (:func:`~hwsim.model.behavior.ring_hop_law`) before the end."""
    from hwsim.model.behavior import ring_hop_law

    hop = ring_hop_law(card, ring_size) or _HOP_BOUND_TAU * card.value("tau_s")
    return duration - 1.5 * ring_size * hop


def _power_warnings(breakdown_j: Mapping[str, float], firings_per_tau: float, hop_tau: float) -> list[str]:
    """Why a power estimate should not be trusted, if it should not (``hop_tau``: a ring's hop time
    in tau; a neuron firing more often than once per hop is not carrying ring pulses)."""
    out = []
    # negative beyond 1e-6 of the total: table-interpolation noise of a term that is ~0 for a cell
    # (e.g. the BEAM macro-model's crowbar: -1.5e-7 J of 0.72 J) is not a broken estimate
    floor = -1e-6 * sum(abs(v) for v in breakdown_j.values())
    if any(v < floor for v in breakdown_j.values()):
        bad = ", ".join(k for k, v in breakdown_j.items() if v < floor)
        out.append(f"negative energy ({bad}): inputs moved x by more than the coupling capacitors can carry "
                   "(the summing rule costed as capacitors is not a circuit here); do not use this estimate")
    if firings_per_tau > 1 / hop_tau:
        out.append(f"{firings_per_tau:.2f} firings per neuron per tau, more than one per ring hop ({hop_tau:.2f} tau): "
                   "neurons re-fire faster than pulses travel (the summing of several inputs re-triggers them, or, "
                   "with a clock-driven engine, the one-step delay it gives every edge lets linked neurons chatter: "
                   "rerun with engine = \"event\" or a 10x smaller dt_tau to tell), a state no ring of this card "
                   "shows in SPICE; treat the estimate with care")
    return out


def _analysis_stage(cfg: PipelineConfig, card, run_file: Path, folder: Path) -> None:
    from hwsim.analysis.power import estimate_power
    from hwsim.analysis.study import analyse_run
    from hwsim.checks.energy import ring_energy_check
    from hwsim.files import write_json_atomic
    from hwsim.lattice.simulate import load_run
    from hwsim.lattice.topology import build_lattice

    run = load_run(run_file)
    lattice = build_lattice(run.spec)
    met = cfg.sections["metrics"]
    tau = card.value("tau_s")
    duration = run.n_steps * run.dt
    times = np.geomspace(met.get("t_first_tau", 1.0) * tau, _last_phase_time(card, run.spec.ring_size, duration),
                         met.get("n_times", 24))
    n_snap = met.get("snapshots", 4)
    marks = tuple(sorted({int(round(k)) for k in np.linspace(0, len(times) - 1, n_snap + 1)[1:]}))
    rows, summary, snaps = analyse_run(run, lattice, times, met.get("ss_fraction", 0.25), marks)
    write_json_atomic(folder / "metrics.json", {"times_s": times.tolist(), "tau_s": tau, "rows": rows,
                                                "summary": summary, "snapshots": snaps})
    pw = cfg.sections["power"]
    if pw.get("enabled", True) and card.supply:
        t0 = pw.get("window_from", 0.5) * duration
        report = estimate_power(run, lattice, t0, duration)
        firings = int(report.neurons["firings"].sum())
        from hwsim.model.behavior import ring_hop_law

        hop = (ring_hop_law(card, run.spec.ring_size) or _HOP_BOUND_TAU * tau) / tau
        warnings = _power_warnings(report.breakdown(), firings / lattice.n_neurons / ((duration - t0) / tau), hop)
        write_json_atomic(folder / "power.json", {"warnings": warnings,
            "window_s": [t0, duration], "total_j": report.total_j, "power_w": report.power_w,
            "power_per_neuron_w": report.power_w / lattice.n_neurons, "breakdown_j": report.breakdown(),
            "firings": firings, "energy_per_firing_j": report.total_j / max(firings, 1),
            "assumptions": list(report.assumptions), "neurons": lattice.n_neurons, "rings": lattice.n_rings})
        sizes = sorted(int(k[len("e_period_n"):-2]) for k in card.energy if k.startswith("e_period_n"))
        if sizes:
            write_json_atomic(folder / "ring_energy.json", ring_energy_check(card, sizes))


def _crosscheck_stage(cfg: PipelineConfig, card, shared, folder: Path) -> None:
    from hwsim.app.writers import write_crosscheck
    from hwsim.checks.crosscheck import crosscheck

    duration = cfg.sections["crosscheck"].get("duration_tau", 60.0) * card.value("tau_s")
    cc = crosscheck(card, cfg.crosscheck_spec, duration, backend=cfg.conditions.backend,
                    timeout_s=max(cfg.conditions.timeout_s, 900.0), shared_card=shared)
    write_crosscheck(cc, folder)


def _stage(store, result: PipelineResult, name: str, inputs: Mapping, compute: Callable[[Path], None],
           progress: Progress) -> StageInfo:
    from hwsim.files import input_key, source_hash

    code = source_hash(*BASE_CODE, *STAGE_CODE[name])
    key = input_key({"stage": name, "hwsim": __version__, "code_sha256": code, **inputs})
    start = time.perf_counter()
    cached = store.has(name, key)
    if not cached:
        progress(name, "running")
        with store.writing(name, key, {"stage": name, "inputs": inputs}) as tmp:
            compute(tmp)
    info = StageInfo(name=name, key=key, folder=store.folder(name, key), cached=cached,
                     seconds=time.perf_counter() - start)
    progress(name, None)
    result.stages[name] = info
    return info


def stage_names(cfg: PipelineConfig) -> list[str]:
    """The stages ``cfg`` runs, in order (the report comes after them)."""
    return ["card", "lattice", "analysis"] + (["crosscheck"] if cfg.crosscheck_spec is not None else [])


def run_pipeline(cfg: PipelineConfig, *, cache_dir: str | Path | None = None, output_dir: str | Path | None = None,
                 progress: Progress = lambda stage, message: None, quiet: bool = True) -> PipelineResult:
    """Run (or reuse) every stage of ``cfg`` and write the report; see the module docstring.

    ``progress(stage, message)`` hears what a stage is doing, and ``message = None`` when it is
    done; ``quiet = False`` shows the lattice's own step bar on stderr.

    ``cache_dir``: stage store root (default ``.hwsim-cache/pipeline``); ``output_dir``: the report
    folder (default ``<report.output_dir>/<YYYYmmdd-HHMMSS>_<name>``).
    """
    import datetime as dt

    from hwsim.app.report import write_report
    from hwsim.app.store import StageStore, default_store
    from hwsim.circuit.netlist import netlist_hashes
    from hwsim.model.card import load_card

    start = time.perf_counter()
    store = StageStore(cache_dir) if cache_dir is not None else default_store()
    result = PipelineResult(config=cfg)
    sec = cfg.sections
    if cfg.recipe is not None:
        card_inputs = {"circuit": cfg.conditions.to_dict(), "spice": sec["spice"], "calibration": sec["calibration"],
                       "netlists": netlist_hashes(), "gate_card": needs_gate_card(cfg)}
    else:
        given = sec["calibration"].get("shared_card")
        card_inputs = {"card_sha256": hashlib.sha256(cfg.card_file.read_bytes()).hexdigest(),
                       "shared_card_sha256": given and hashlib.sha256(_card_path(given).read_bytes()).hexdigest()}
    card_stage = _stage(store, result, "card", card_inputs,
                        lambda f: _card_stage(cfg, f, lambda m: progress("card", m)), progress)
    card, shared = load_card(card_stage.folder / "card.json"), shared_card_of(card_stage.folder)
    lat_stage = _stage(store, result, "lattice", {"card": card_stage.key, "lattice": vars(cfg.lattice),
                                                 "simulation": sec["simulation"]},
                       lambda f: _lattice_stage(cfg, card, shared, f, quiet), progress)
    _stage(store, result, "analysis", {"lattice": lat_stage.key, "metrics": sec["metrics"], "power": sec["power"]},
           lambda f: _analysis_stage(cfg, card, lat_stage.folder / "run.npz", f), progress)
    if cfg.crosscheck_spec is not None:
        _stage(store, result, "crosscheck", {"card": card_stage.key, "crosscheck": sec["crosscheck"]},
               lambda f: _crosscheck_stage(cfg, card, shared, f), progress)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(output_dir) if output_dir is not None else \
        Path(sec["report"].get("output_dir", "reports")) / f"{stamp}_{cfg.name}"
    progress("report", "writing")
    result.wall_s = time.perf_counter() - start
    result.report_dir = write_report(result, folder)
    progress("report", None)
    return result

