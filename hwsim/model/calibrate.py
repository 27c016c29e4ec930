"""Calibration: SPICE benches -> measured features -> fitted behavioural model cards.

A recipe (TOML, in ``calibration/``) names the conditions (lists make a sweep, one card per
combination), the ring sizes to fit on and to validate on, the parameters to fit with their
bounds, and the tolerances. :func:`calibrate` runs the benches through the SPICE layer, measures
them (:mod:`hwsim.circuit.characterize`), builds the card, fits the free parameters with
``scipy.optimize.least_squares`` against the SPICE ring periods, checks every ring period and both
thresholds against SPICE, and writes the card only when all checks pass (or, when asked, marks it
out of tolerance).

What is measured and what is fitted (``nv_neuron`` family, see :mod:`hwsim.model.card`):

- ``tau_s``: exponential fit of x after an input step; ``c_in_f``: from the jump of x,
  C (1/ratio - 1); ``vt_plus_v``: slow hysteresis sweep (VT+ is crossed by an edge in a ring, so
  its slew does not matter); ``v_clamp_v``: lowest x after the input falls; ``delay_s``,
  ``vdd_v``, ``v_ol_v``: step response.
- ``vt_minus_v`` is fitted. Its first guess is measured the way the ring sees it: x decays
  exponentially through VT-, and VT- moves with the slew (0.31 V at 0.09 V/us, 0.26 V at
  0.25 V/us, 0.17 V at 1 V/us for the default sky130 tt cell), so the guess comes from the firing
  width of the step response, x_peak exp(-(width - delay)/tau). The check compares the fitted
  VT- with a SPICE hysteresis sweep whose falling slope equals the ring's, VT-/tau.
- ``fit.vt_minus = "ring"`` measures VT- instead where firings end in the SPICE rings (x when the
  output crosses VDD/2 rising, median) and leaves the period to another fitted parameter, usually
  ``v_clamp_v``: for a cell whose clamp is soft (x recovers from below 0 faster than tau) fitting
  VT- alone moves it away from the ring's own VT- to make up for x starting too low, and the
  x trajectories, hence the crowbar energy and the response to extra inputs, come out wrong (the
  textbook 6-transistor cell: VT- 0.541 V fitted vs 0.614 V in the ring, energy per ring period
  1.52x SPICE; with VT- from the ring and the clamp fitted: 1.07x).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import itertools
import math
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from hwsim import __version__
from hwsim.circuit.cell import CELL_KEYS, cell_from_table
from hwsim.circuit.characterize import (
    Conditions,
    RingFeatures,
    hop_estimate,
    measure_hysteresis,
    measure_ring,
    measure_static,
    measure_step,
    measure_supply_table,
    run_hysteresis,
    run_ring,
    run_step,
    step_supply,
    sub_threshold_amplitude,
)
from hwsim.circuit.netlist import netlist_hashes
from hwsim.errors import HwsimError, InputError, MeasurementError
from hwsim.files import check_name, check_output_dir, fill_placeholders, inside, source_checkout
from hwsim.model.behavior import behavioural_ring_period, ring_hop_law
from hwsim.model.card import PARAM_SPECS, ModelCard, Parameter, paper_preset, save_card
from hwsim.tomlcheck import OneOrList, check_sections, fields_of, read_toml

__all__ = ["Recipe", "Calibration", "CalibrationError", "load_recipe", "recipe_from_dict", "calibrate",
           "calibrate_point", "residual_table_text", "output_root", "card_name", "card_path", "gate_card"]


def output_root() -> Path:
    """Folder that a recipe's relative ``output`` path starts from: the repository of a source
    checkout (so cards land in its ``models/``), else the working directory."""
    return source_checkout() or Path.cwd()
FITTABLE = ("vt_minus_v", "vt_plus_v", "tau_s", "v_clamp_v", "delay_s")
PRESETS = {"paper": paper_preset}
#: Sections, keys and types of a recipe: every [conditions] key is a Conditions field, one value
#: or a list of them (a list makes a sweep, one card per combination).
_NOT_CONDITIONS = ("backend", "timeout_s", "cell")
_SCHEMA = {
    "card": {"name": str, "output": str, "preset": str},
    "conditions": {**{k: OneOrList(t) for k, t in fields_of(Conditions, exclude=_NOT_CONDITIONS).items()},
                   **CELL_KEYS},
    "spice": {"backend": str, "timeout_s": float, "periods": int},
    "fit": {"parameters": (list, str), "ring_sizes": list, "validate_ring_sizes": list, "bounds": dict,
            "vt_minus": str},
    "tolerance": {"period_rel": float, "threshold_vdd": float},
}


class CalibrationError(HwsimError):
    """A fit missed its tolerance; the message holds the residual table. Exit code 1."""

    exit_code = 1


@dataclass(frozen=True)
class Recipe:
    """A parsed calibration recipe (see ``calibration/*.toml`` for documented examples)."""

    path: Path
    sha256: str
    name: str
    output: str
    preset: str | None
    conditions: tuple[Conditions, ...]
    periods: int
    fit_parameters: tuple[str, ...]
    fit_sizes: tuple[int, ...]
    validate_sizes: tuple[int, ...]
    bounds: Mapping[str, tuple[float, float]]
    period_rel: float
    threshold_vdd: float
    vt_minus: str = "step"


#: Where a recipe's VT- comes from when it is not fitted (``fit.vt_minus``): ``step`` the step
#: response's firing width (the fit's first guess), ``ring`` where firings end in the SPICE rings.
VT_MINUS_SOURCES = ("step", "ring")


@dataclass(frozen=True)
class Calibration:
    """One calibrated card, its residual table (list of row dicts) and where it was written."""

    card: ModelCard
    residuals: tuple[dict, ...]
    path: Path | None

    @property
    def within_tolerance(self) -> bool:
        """True when every residual is within its tolerance."""
        return all(row["ok"] for row in self.residuals)


def _sizes(value: object, key: str, source: Path) -> tuple[int, ...]:
    if not value or not all(isinstance(n, int) and not isinstance(n, bool) and 3 <= n <= 64 for n in value):
        raise InputError(f"{source}: {key} must be a non-empty list of ring sizes in 3..64, got {value!r}")
    return tuple(sorted(set(value)))


def load_recipe(path: str | Path) -> Recipe:
    """Parse and check the recipe at ``path``; errors name the key and what is expected."""
    source = Path(path)
    data, raw = read_toml(source, "recipe", "recipes live in calibration/, e.g. calibration/sky130.toml")
    return recipe_from_dict(data, source, hashlib.sha256(raw).hexdigest())


def recipe_from_dict(data: Mapping, source: Path, sha256: str, cell=None) -> Recipe:
    """Check and parse a recipe's tables (as :func:`load_recipe` reads them from TOML); ``source``
    names where they came from in error messages and provenance, ``sha256`` identifies them.
    ``cell``: a loaded :class:`~hwsim.circuit.cell.Cell` (a pipeline's), else the recipe's own
    ``cell`` keys."""
    check_sections(data, _SCHEMA, source)
    card = data.get("card", {})
    if "output" not in card:
        raise InputError(f"{source}: card.output is required (e.g. \"models/sky130/{{name}}.json\")")
    preset = card.get("preset")
    if preset is not None and preset not in PRESETS:
        raise InputError(f"{source}: card.preset {preset!r} unknown; choose {', '.join(PRESETS)}")
    spice, fit, tol = data.get("spice", {}), data.get("fit", {}), data.get("tolerance", {})
    table = dict(data.get("conditions", {}))
    try:
        cell = cell_from_table(table, source.parent) if cell is None else cell
    except InputError as exc:
        raise InputError(f"{source}: [conditions] {exc}") from None
    grid = {k: v if isinstance(v, list) else [v] for k, v in table.items()}
    conditions = []
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo))
        try:
            conditions.append(Conditions(**values, cell=cell, backend=spice.get("backend", "shared"),
                                         timeout_s=float(spice.get("timeout_s", 600.0))))
        except (InputError, TypeError) as exc:
            raise InputError(f"{source}: conditions {values}: {exc}") from None
    if preset is None and not conditions:
        raise InputError(f"{source}: [conditions] is required unless card.preset is set")
    params = tuple(fit.get("parameters", ["vt_minus_v"]))
    for p in params:
        if p not in FITTABLE:
            raise InputError(f"{source}: fit.parameters: {p!r} cannot be fitted; choose from {', '.join(FITTABLE)}")
    vt_minus = fit.get("vt_minus", "step")
    if vt_minus not in VT_MINUS_SOURCES:
        raise InputError(f"{source}: fit.vt_minus: {vt_minus!r} unknown; choose {', '.join(VT_MINUS_SOURCES)}")
    if vt_minus == "ring" and "vt_minus_v" in params:
        raise InputError(f"{source}: fit.vt_minus = \"ring\" measures VT- in the SPICE rings, so it cannot also be "
                         "in fit.parameters; fit another parameter (e.g. [\"v_clamp_v\"]) or drop fit.vt_minus")
    if "v_clamp_v" in params and not all(c.clamp for c in conditions):
        raise InputError(f"{source}: fit.parameters has v_clamp_v but conditions.clamp is false (no clamp to fit)")
    bounds = {}
    for p, pair in fit.get("bounds", {}).items():
        if p not in params or not (isinstance(pair, list) and len(pair) == 2 and pair[0] < pair[1]):
            raise InputError(f"{source}: fit.bounds.{p} must be [low, high] for a fitted parameter")
        bounds[p] = (float(pair[0]), float(pair[1]))
    fit_sizes = _sizes(fit.get("ring_sizes", [3, 6, 10]), "fit.ring_sizes", source)
    validate = _sizes(fit.get("validate_ring_sizes", list(range(3, 11))), "fit.validate_ring_sizes", source)
    periods = int(spice.get("periods", 12))
    if periods < 5:
        raise InputError(f"{source}: spice.periods must be >= 5, got {periods}")
    name = card.get("name", source.stem)
    for cond in conditions:
        card_name(name, cond, source)
    _output_template(card["output"], source)
    return Recipe(path=source, sha256=sha256, name=name,
                  output=card["output"], preset=preset, conditions=tuple(conditions), periods=periods,
                  fit_parameters=params, fit_sizes=fit_sizes, validate_sizes=validate, bounds=bounds,
                  period_rel=float(tol.get("period_rel", 0.02)), threshold_vdd=float(tol.get("threshold_vdd", 0.02)),
                  vt_minus=vt_minus)


def card_name(template: str, cond: Conditions, source: Path | str = "recipe") -> str:
    """The card name that recipe name ``template`` gives at ``cond``: each ``{field}`` replaced by
    that condition's value (``sky130_{corner}`` -> ``sky130_tt``), checked against hwsim's safe-name
    rule (:data:`hwsim.files.SAFE_NAME_RULE`)."""
    values = {k: v for k, v in vars(cond).items() if k not in ("backend", "timeout_s", "cell")}
    what = f"{source}: card.name"
    return check_name(fill_placeholders(template, values, what), what)


def _output_template(template: str, source: Path | str) -> str:
    """Check a recipe's ``output``: a relative path without ``..`` whose only placeholder is ``{name}``."""
    what = f"{source}: card.output"
    fill_placeholders(template, {"name": "x"}, what)
    path = Path(template)
    if path.is_absolute() or ".." in path.parts or not template.endswith(".json"):
        raise InputError(f"{what} = {template!r} must be a relative path ending in .json, without '..' "
                         "(e.g. \"models/sky130/{name}.json\"; it starts from the repository, or from --output)")
    return template


def card_path(recipe: Recipe, name: str, output_dir: str | Path | None = None) -> Path:
    """Where :func:`calibrate` writes card ``name``: the recipe's ``output`` under ``output_dir``
    (default: under :func:`output_root`, and then only inside its ``models/``)."""
    root = Path(output_dir) if output_dir is not None else output_root()
    allowed = root if output_dir is not None else root / "models"
    target = root / fill_placeholders(_output_template(recipe.output, recipe.path), {"name": name}, "card.output")
    return inside(target, allowed, f"{recipe.path}: card.output")


def _provenance(recipe: Recipe, cond: Conditions | None) -> dict:
    from hwsim.circuit.spice import ngspice_version

    root = output_root()
    info = {"hwsim": __version__, "recipe": str(recipe.path.resolve().relative_to(root))
            if recipe.path.resolve().is_relative_to(root) else str(recipe.path),
            "recipe_sha256": recipe.sha256,
            "time_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version()}
    if cond is not None:
        info.update({"ngspice": ngspice_version(), "pyspice": importlib.metadata.version("PySpice"),
                     "backend": cond.backend, "netlists_sha256": netlist_hashes()})
    return info


def gate_card(card: ModelCard, backend: str = "shared", timeout_s: float = 600.0) -> ModelCard:
    """The card of a shared neuron behind its AND2 gate (gate rule), from ``card`` (an SI card of
    the built-in cell, calibrated by hwsim) and one SPICE bench at the card's conditions
    (:func:`~hwsim.circuit.characterize.measure_gate_step`): ``delay_s`` grows by the delay the
    gate adds; ``energy`` gets ``e_gate_cycle_j`` (J per gate output pulse) and
    ``p_gate_static_w`` (W); the bench's measurements go to ``fit["gate_step"]``. Everything else
    is the same circuit (the same Schmitt trigger, R and C) and stays."""
    from hwsim.circuit.characterize import Conditions, measure_gate_step

    if card.normalised or not card.conditions.get("library"):
        raise InputError(f"card {card.name!r} is not an SI card calibrated from SPICE; a gate card needs "
                         "the conditions its cell was characterised at (e.g. sky130_tt)")
    if card.conditions.get("cell"):
        raise InputError(f"card {card.name!r} is of a foreign cell; the gate bench uses the built-in nv_neuron")
    cond = Conditions.of_card(card.conditions, backend=backend, timeout_s=timeout_s)
    gate = measure_gate_step(cond)
    params = dict(card.parameters)
    # the gate's output edge may be sharper than the bench's input ramp (generic model): then the
    # neuron fires earlier behind the gate and the delay shrinks, never below 0
    params["delay_s"] = replace(params["delay_s"], value=max(0.0, params["delay_s"].value + gate["delay_added_s"]),
                                source="measured")
    energy = {**card.energy, "e_gate_cycle_j": gate["gate_cycle_j"], "p_gate_static_w": gate["gate_static_w"]}
    provenance = {**card.provenance, "gate_bench": "benches/gate_step.sp", "netlists_sha256": netlist_hashes(),
                  "gate_card_time_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    return replace(card, name=f"{card.name}_and2", parameters=params, energy=energy,
                   fit={**card.fit, "gate_step": gate}, provenance=provenance)


def _ring_vt_minus(card: ModelCard, rings: Mapping[int, RingFeatures]) -> ModelCard:
    """``card`` with VT- measured in the SPICE rings: the median over ring sizes of the median x
    where a firing ends (:attr:`RingFeatures.vt_minus_ring_v`)."""
    values = [r.vt_minus_ring_v for r in rings.values() if math.isfinite(r.vt_minus_ring_v)]
    if not values:
        raise MeasurementError("fit.vt_minus = \"ring\": no ring run recorded where its firings end (no x vectors "
                               "or no complete firing)")
    params = dict(card.parameters)
    params["vt_minus_v"] = replace(params["vt_minus_v"], value=float(np.median(values)), source="measured")
    return replace(card, parameters=params)


def _with(card: ModelCard, **values: float) -> ModelCard:
    params = dict(card.parameters)
    for k, v in values.items():
        params[k] = replace(params[k], value=float(v), source="fitted")
    return replace(card, parameters=params)


def _fit(card: ModelCard, recipe: Recipe, spice_periods: Mapping[int, float]):
    """Least-squares fit of the recipe's parameters to the relative ring-period errors."""
    from scipy.optimize import least_squares

    names = recipe.fit_parameters
    x0 = np.array([card.value(p) for p in names], dtype=float)
    lo = np.array([recipe.bounds.get(p, (PARAM_SPECS[p].lo, PARAM_SPECS[p].hi))[0] for p in names])
    hi = np.array([recipe.bounds.get(p, (PARAM_SPECS[p].lo, PARAM_SPECS[p].hi))[1] for p in names])
    x0 = np.clip(x0, lo + 1e-12 * np.abs(lo), hi - 1e-12 * np.abs(hi))
    scale = np.where(x0 != 0, np.abs(x0), 1.0)

    def residuals(z):
        trial = _with(card, **dict(zip(names, z * scale)))
        hops = [ring_hop_law(trial, n) for n in recipe.fit_sizes]
        return np.array([(n * h if h else 0.0) / spice_periods[n] - 1 for n, h in zip(recipe.fit_sizes, hops)])

    result = least_squares(residuals, x0 / scale, bounds=(lo / scale, hi / scale), x_scale="jac",
                           diff_step=1e-6)
    dof = len(recipe.fit_sizes) - len(names)
    stderr = [None] * len(names)
    if dof > 0:
        try:
            cov = np.linalg.inv(result.jac.T @ result.jac) * (2 * result.cost / dof)
            stderr = [float(math.sqrt(max(cov[i, i], 0.0)) * scale[i]) for i in range(len(names))]
        except np.linalg.LinAlgError:
            pass
    fitted = _with(card, **dict(zip(names, result.x * scale)))
    params = dict(fitted.parameters)
    for name, err in zip(names, stderr):
        params[name] = replace(params[name], stderr=err)
    info = {"method": "scipy.optimize.least_squares on relative ring-period errors (period law "
                      "hwsim.model.behavior.ring_hop_law); checked with the event-driven engine",
            "parameters": list(names),
            "cost": float(result.cost), "nfev": int(result.nfev), "initial": dict(zip(names, map(float, x0))),
            "status": int(result.status)}
    return replace(fitted, parameters=params), info


def _measured_card(name: str, cond: Conditions, step: dict, vt_plus: float) -> ModelCard:
    x0 = step["x_jump_ratio"] * cond.vdd_v
    vt_minus = x0 * math.exp(-(step["fire_width_s"] - step["delay_s"]) / step["tau_s"])
    values = {"tau_s": (step["tau_s"], step["tau_err_s"], "measured"),
              "vdd_v": (step["v_oh_v"], None, "measured"), "v_ol_v": (step["v_ol_v"], None, "measured"),
              "vt_plus_v": (vt_plus, None, "measured"), "vt_minus_v": (vt_minus, None, "measured"),
              "c_couple_f": (cond.c_f, None, "preset"),
              "c_in_f": (cond.c_f * (1 / step["x_jump_ratio"] - 1), None, "measured"),
              "v_clamp_v": (-step["x_min_v"] if cond.clamp else None, None, "measured"),
              "delay_s": (max(step["delay_s"], 0.0), None, "measured")}
    params = {k: Parameter(value=v, unit=PARAM_SPECS[k].unit, stderr=e, source=s) for k, (v, e, s) in values.items()}
    conditions = {"library": cond.library, "corner": cond.corner, "vdd_v": cond.vdd_v, "temp_c": cond.temp_c,
                  "r_ohm": cond.r_ohm, "c_f": cond.c_f, "clamp": cond.clamp}
    if cond.cell is not None:
        conditions["cell"] = cond.cell.to_dict()
    return ModelCard(name=name, parameters=params, conditions=conditions)


def calibrate_point(recipe: Recipe, cond: Conditions, progress: Callable[[str], None] = lambda s: None,
                    name: str | None = None, traces: dict | None = None) -> Calibration:
    """Calibrate one card at ``cond`` (no file written; see :func:`calibrate`). ``traces``: a dict
    that receives the SpiceResults of the slow hysteresis sweep (``"hysteresis"``), the step
    response (``"step"``) and every ring (``"ring<N>"``), e.g. for a report's waveforms."""
    name = name or card_name(recipe.name, cond, recipe.path)
    traces = {} if traces is None else traces
    progress(f"{name}: hysteresis")
    traces["hysteresis"] = run_hysteresis(cond)
    vt_plus, _ = measure_hysteresis(cond, result=traces["hysteresis"])
    progress(f"{name}: step")
    step_result = traces["step"] = run_step(cond)
    step = measure_step(cond, vt_plus, result=step_result)
    sub_result = run_step(cond, sub_threshold_amplitude(cond, step, vt_plus))
    dynamic = step_supply(cond, step_result, sub_result)
    dc = measure_supply_table(cond)
    progress(f"{name}: static")
    static = measure_static(cond)
    rings = {}
    for n in sorted(set(recipe.fit_sizes) | set(recipe.validate_sizes)):
        progress(f"{name}: ring N={n}")
        traces[f"ring{n}"] = run_ring(cond, n, periods=recipe.periods, hop_s=hop_estimate(step))
        rings[n] = measure_ring(cond, n, result=traces[f"ring{n}"])
    card = _measured_card(name, cond, step, vt_plus)
    if recipe.vt_minus == "ring":
        card = _ring_vt_minus(card, rings)
    progress(f"{name}: fit")
    card, fit_info = _fit(card, recipe, {n: r.period_s for n, r in rings.items()})
    rows = []
    for n, ring in rings.items():
        model = behavioural_ring_period(card, n)
        err = model / ring.period_s - 1
        rows.append({"quantity": f"period N={n}", "role": "fit" if n in recipe.fit_sizes else "validate",
                     "spice": ring.period_s, "model": model, "unit": "s", "error": err, "error_kind": "relative",
                     "tolerance": recipe.period_rel, "ok": bool(abs(err) <= recipe.period_rel)})
    slew = card.value("vt_minus_v") / card.value("tau_s")
    progress(f"{name}: hysteresis at the ring's slew ({slew * 1e-6:.3f} V/us)")
    ring_vtp, ring_vtm = measure_hysteresis(cond, t_ramp_s=cond.vdd_v / slew)
    for key, spice_value in (("vt_plus_v", ring_vtp), ("vt_minus_v", ring_vtm)):
        err = (card.value(key) - spice_value) / cond.vdd_v
        rows.append({"quantity": key, "role": "check", "spice": spice_value, "model": card.value(key), "unit": "V",
                     "error": err, "error_kind": "of VDD", "tolerance": recipe.threshold_vdd,
                     "ok": bool(abs(err) <= recipe.threshold_vdd)})
    within = all(r["ok"] for r in rows)
    supply = {"x_v": dynamic["x_v"], "i_fire_dyn_a": dynamic["i_fire_dyn_a"],
              "i_rest_dyn_a": dynamic["i_rest_dyn_a"], "i_rest_dc_a": list(dc.i_rest_a),
              "i_fire_dc_a": list(dc.i_fire_a), "i_leak_a": dynamic["i_leak_a"]}
    energy = {"e_event_j": float(np.median([r.energy_per_event_j for r in rings.values()])),
              "p_static_w": static, "e_edges_j": dynamic["e_edges_j"],
              **{f"e_period_n{n}_j": r.energy_per_period_j for n, r in rings.items()},
              **{f"p_ring_n{n}_w": r.power_w for n, r in rings.items()}}
    fit_section = {**fit_info, "fitted_on_ring_sizes": list(recipe.fit_sizes),
                   "validated_on_ring_sizes": list(recipe.validate_sizes), "residuals": rows,
                   "spice_hysteresis_slow": {"vt_plus_v": vt_plus, "vt_minus_v": _},
                   "ring_slew_v_per_s": slew}
    card = replace(card, fit=fit_section, energy=energy, supply=supply, provenance=_provenance(recipe, cond),
                   within_tolerance=within)
    return Calibration(card=card, residuals=tuple(rows), path=None)


def _check_targets(recipe: Recipe, names: list[str], output_dir, force: bool) -> None:
    """Before any work: each card's target lies in its folder, can be written, and does not
    replace an existing card unless ``force``."""
    for name in names:
        path = card_path(recipe, name, output_dir)
        if path.exists() and not force:
            raise InputError(f"card {name}: {path} exists; pass --force to replace it, or --output DIR to write "
                             "somewhere else")
        check_output_dir(path.parent, f"card {name}: folder")


def residual_table_text(cal: Calibration) -> str:
    """The residual table as aligned text."""
    lines = [f"card {cal.card.name}: {'within tolerance' if cal.within_tolerance else 'OUT OF TOLERANCE'}",
             f"  {'quantity':<14}{'role':<10}{'SPICE':>14}{'model':>14}{'error':>14}{'tol':>10} ok"]
    for r in cal.residuals:
        scale, unit = (1e6, "us") if r["unit"] == "s" else (1.0, "V")
        pct = "%" if r["error_kind"] == "relative" else "%VDD"
        lines.append(f"  {r['quantity']:<14}{r['role']:<10}{r['spice'] * scale:>11.5f} {unit}"
                     f"{r['model'] * scale:>11.5f} {unit}{r['error'] * 100:>+9.3f} {pct:<4}"
                     f"{r['tolerance'] * 100:>5.1f} {pct:<4} {'yes' if r['ok'] else 'NO'}")
    return "\n".join(lines)


def calibrate(recipe: Recipe, *, write: bool = True, allow_out_of_tolerance: bool = False,
              only: str | None = None, progress: Callable[[str], None] = lambda s: None,
              output_dir: str | Path | None = None, force: bool = False) -> list[Calibration]:
    """Run ``recipe`` and write its cards (see :func:`card_path` for where; ``output_dir``
    replaces the repository root and the ``models/`` restriction).

    Before any SPICE run, every target is checked: inside its folder, writable, and not an
    existing card unless ``force``. A card whose checks fail is not written and
    :class:`CalibrationError` (with the residual tables) is raised after all points ran; with
    ``allow_out_of_tolerance`` it is written with ``within_tolerance: false``. ``only``:
    calibrate just the card of that name.
    """
    results: list[Calibration] = []
    if recipe.preset is not None:
        card = replace(PRESETS[recipe.preset](), provenance={**PRESETS[recipe.preset]().provenance,
                                                            **_provenance(recipe, None)})
        results.append(Calibration(card=card, residuals=(), path=None))
        if write:
            _check_targets(recipe, [card.name], output_dir, force)
    else:
        names = [card_name(recipe.name, c, recipe.path) for c in recipe.conditions]
        if only is not None and only not in names:
            raise InputError(f"--only {only!r}: the recipe makes {', '.join(names)}")
        if write:
            _check_targets(recipe, [n for n in names if only in (None, n)], output_dir, force)
        for cond, name in zip(recipe.conditions, names):
            if only is None or name == only:
                results.append(calibrate_point(recipe, cond, progress, name=name))
    written = []
    for cal in results:
        path = None
        if write and (cal.within_tolerance or allow_out_of_tolerance):
            path = save_card(cal.card, card_path(recipe, cal.card.name, output_dir))
        written.append(replace(cal, path=path))
    failed = [c for c in written if not c.within_tolerance]
    if failed and not allow_out_of_tolerance:
        tables = "\n\n".join(residual_table_text(c) for c in failed)
        raise CalibrationError(f"{len(failed)} card(s) missed their tolerance and were not written "
                               f"(use --allow-out-of-tolerance to write them marked as such):\n{tables}")
    return written
