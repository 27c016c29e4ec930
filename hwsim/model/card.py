"""Behavioural model cards: the parameters of one differentiating neuron, as data.

A card is JSON (sorted keys, ``schema_version``), written by calibration (:mod:`hwsim.model.calibrate`)
or shipped as a preset, and loaded with validation: unknown fields, missing or wrong units,
non-finite, out-of-bound or inconsistent values raise :class:`CardError` naming the field.

Parameters of the ``nv_neuron`` family (SI units; a ``normalised`` card measures voltages in VDD
and time in tau, and says so):

=============  ====  ==========================================================================
name           unit  meaning
=============  ====  ==========================================================================
tau_s          s     decay time constant of the input node x with one input: R (C + C_in)
vdd_v          V     output level at rest (o high; negative logic: o low = firing)
v_ol_v         V     output level while firing
vt_plus_v      V     upper Schmitt threshold: a resting neuron fires when x >= vt_plus_v
vt_minus_v     V     lower threshold: a firing neuron returns to rest when x < vt_minus_v
c_couple_f     F     coupling capacitor of one input (the neuron's C)
c_in_f         F     Schmitt input capacitance; an input edge dV moves x by C/(C_tot) dV
v_clamp_v      V     input clamp: x >= -v_clamp_v (null: no clamp, x may reach -VDD)
delay_s        s     propagation delay from a threshold crossing to the output edge
=============  ====  ==========================================================================
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hwsim.errors import InputError
from hwsim.files import check_name, data_dir, write_text_atomic

__all__ = ["ModelCard", "Parameter", "CardError", "PARAM_SPECS", "SCHEMA_VERSION", "load_card", "save_card",
           "find_card", "card_to_json", "card_from_dict", "paper_preset", "SCHEMES"]

SCHEMA_VERSION = 1
FAMILY = "nv_neuron"
SCHEMES = ("exact", "paper_discrete")


class CardError(InputError):
    """A model card is malformed; the message names the field and what is expected."""


@dataclass(frozen=True)
class ParamSpec:
    unit: str
    lo: float
    hi: float
    nullable: bool = False


#: unit and allowed closed range of every parameter (SI; normalised cards use the same numbers).
PARAM_SPECS: dict[str, ParamSpec] = {
    "tau_s": ParamSpec("s", 1e-12, 1e3),
    "vdd_v": ParamSpec("V", 0.1, 10.0),
    "v_ol_v": ParamSpec("V", -1.0, 10.0),
    "vt_plus_v": ParamSpec("V", 1e-3, 10.0),
    "vt_minus_v": ParamSpec("V", 1e-4, 10.0),
    "c_couple_f": ParamSpec("F", 1e-18, 1e3),
    "c_in_f": ParamSpec("F", 0.0, 1e3),
    "v_clamp_v": ParamSpec("V", 0.0, 10.0, nullable=True),
    "delay_s": ParamSpec("s", 0.0, 1e3),
}
_TOP_FIELDS = {"schema_version", "name", "family", "normalised", "conditions", "parameters", "integrator",
               "fit", "energy", "supply", "provenance", "within_tolerance"}
_SUPPLY_ARRAYS = ("x_v", "i_rest_dc_a", "i_fire_dc_a", "i_rest_dyn_a", "i_fire_dyn_a")
_PARAM_FIELDS = {"value", "unit", "stderr", "source"}
_SOURCES = ("measured", "fitted", "preset")


@dataclass(frozen=True)
class Parameter:
    """One card parameter: value in ``unit`` (None only where the spec allows, e.g. no clamp),
    one-sigma ``stderr`` where a fit gave one, and where it came from."""

    value: float | None
    unit: str
    stderr: float | None = None
    source: str = "measured"

    def to_dict(self) -> dict:
        """JSON-ready dictionary: value (SI), unit, stderr, source."""
        return {"value": self.value, "unit": self.unit, "stderr": self.stderr, "source": self.source}


@dataclass(frozen=True)
class ModelCard:
    """A validated behavioural model card (see the module docstring for the parameters)."""

    name: str
    parameters: Mapping[str, Parameter]
    conditions: Mapping[str, object] = field(default_factory=dict)
    normalised: bool = False
    integrator: Mapping[str, object] = field(default_factory=lambda: {"scheme": "exact", "dt_s": None})
    fit: Mapping[str, object] = field(default_factory=dict)
    energy: Mapping[str, float] = field(default_factory=dict)
    supply: Mapping[str, object] = field(default_factory=dict)
    provenance: Mapping[str, object] = field(default_factory=dict)
    within_tolerance: bool = True

    def __post_init__(self) -> None:
        _validate(self.to_dict())

    def value(self, name: str) -> float | None:
        """The value of parameter ``name`` in its unit."""
        return self.parameters[name].value

    def to_dict(self) -> dict:
        """JSON-ready dictionary in the card format (see the module docstring)."""
        return {"schema_version": SCHEMA_VERSION, "name": self.name, "family": FAMILY,
                "normalised": self.normalised, "conditions": dict(self.conditions),
                "parameters": {k: p.to_dict() for k, p in self.parameters.items()},
                "integrator": dict(self.integrator), "fit": dict(self.fit), "energy": dict(self.energy),
                "supply": dict(self.supply), "provenance": dict(self.provenance),
                "within_tolerance": self.within_tolerance}


def _fail(path: str, message: str) -> None:
    raise CardError(f"model card field {path}: {message}")


def _finite_number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, f"expected a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        _fail(path, f"must be finite, got {value!r}")
    return float(value)


def _validate_parameters(params: object) -> None:
    if not isinstance(params, Mapping):
        _fail("parameters", "expected an object of parameters")
    for name in params:
        if name not in PARAM_SPECS:
            _fail(f"parameters.{name}", f"unknown parameter; the nv_neuron family has {', '.join(PARAM_SPECS)}")
    for name, spec in PARAM_SPECS.items():
        path = f"parameters.{name}"
        if name not in params:
            _fail(path, f"missing (unit {spec.unit}, range [{spec.lo:g}, {spec.hi:g}])")
        entry = params[name]
        if not isinstance(entry, Mapping):
            _fail(path, 'expected {"value": ..., "unit": ...}')
        extra = set(entry) - _PARAM_FIELDS
        if extra:
            _fail(f"{path}.{sorted(extra)[0]}", f"unknown field; allowed: {', '.join(sorted(_PARAM_FIELDS))}")
        if "unit" not in entry:
            _fail(f"{path}.unit", f"missing unit; expected {spec.unit!r}")
        if entry["unit"] != spec.unit:
            _fail(f"{path}.unit", f"expected {spec.unit!r}, got {entry['unit']!r}")
        if "value" not in entry:
            _fail(f"{path}.value", "missing value")
        value = entry["value"]
        if value is None:
            if not spec.nullable:
                _fail(f"{path}.value", "must be a number (null is only allowed for v_clamp_v)")
            continue
        value = _finite_number(value, f"{path}.value")
        if not spec.lo <= value <= spec.hi:
            _fail(f"{path}.value", f"{value!r} is outside [{spec.lo:g}, {spec.hi:g}] {spec.unit}")
        if entry.get("stderr") is not None:
            _finite_number(entry["stderr"], f"{path}.stderr")
        if entry.get("source", "measured") not in _SOURCES:
            _fail(f"{path}.source", f"expected one of {', '.join(_SOURCES)}, got {entry.get('source')!r}")
    value = {k: params[k]["value"] for k in PARAM_SPECS}
    if not value["vt_minus_v"] < value["vt_plus_v"]:
        _fail("parameters.vt_minus_v.value", f"{value['vt_minus_v']} must be below vt_plus_v ({value['vt_plus_v']})")
    if not value["v_ol_v"] < value["vt_plus_v"] < value["vdd_v"]:
        _fail("parameters.vt_plus_v.value", f"must lie between v_ol_v ({value['v_ol_v']}) and vdd_v "
                                            f"({value['vdd_v']})")


def _validate(data: Mapping) -> None:
    if not isinstance(data, Mapping):
        _fail("(top)", "a card is a JSON object")
    for key in data:
        if key not in _TOP_FIELDS:
            _fail(key, f"unknown field; allowed: {', '.join(sorted(_TOP_FIELDS))}")
    if data.get("schema_version") != SCHEMA_VERSION:
        _fail("schema_version", f"expected {SCHEMA_VERSION}, got {data.get('schema_version')!r}")
    if data.get("family") != FAMILY:
        _fail("family", f"expected {FAMILY!r}, got {data.get('family')!r}")
    try:
        check_name(data.get("name"), "name")
    except InputError as exc:
        _fail("name", str(exc))
    for key in ("normalised", "within_tolerance"):
        if not isinstance(data.get(key), bool):
            _fail(key, f"expected true or false, got {data.get(key)!r}")
    for key in ("conditions", "integrator", "fit", "energy", "provenance"):
        if not isinstance(data.get(key), Mapping):
            _fail(key, "expected an object")
    _validate_parameters(data.get("parameters"))
    scheme = data["integrator"].get("scheme")
    if scheme not in SCHEMES:
        _fail("integrator.scheme", f"expected one of {', '.join(SCHEMES)}, got {scheme!r}")
    extra = set(data["integrator"]) - {"scheme", "dt_s"}
    if extra:
        _fail(f"integrator.{sorted(extra)[0]}", "unknown field; allowed: scheme, dt_s")
    dt = data["integrator"].get("dt_s")
    if dt is not None and _finite_number(dt, "integrator.dt_s") <= 0:
        _fail("integrator.dt_s", f"must be a time step > 0 (card time units) or null, got {dt!r}")
    if scheme == "paper_discrete" and dt is None:
        _fail("integrator.dt_s", "the paper_discrete scheme needs a time step > 0")
    _validate_energy(data["energy"])
    _validate_supply(data.get("supply", {}))


#: Energy figures a card may carry (J or W, from SPICE): per ring period and ring power for ring size N.
_ENERGY_KEYS = re.compile(r"e_event_j|e_edges_j|p_static_w|e_gate_cycle_j|p_gate_static_w|"
                          r"e_period_n([2-9]|[1-5][0-9]|6[0-4])_j|p_ring_n([2-9]|[1-5][0-9]|6[0-4])_w")


def _validate_energy(energy: Mapping) -> None:
    """Energy keys from :data:`_ENERGY_KEYS` (N = 2..64) with finite values >= 0."""
    for key, value in energy.items():
        if not _ENERGY_KEYS.fullmatch(key):
            _fail(f"energy.{key}", "unknown field; allowed: e_event_j, e_edges_j, p_static_w, e_gate_cycle_j, "
                                   "p_gate_static_w, e_period_n<N>_j, p_ring_n<N>_w (N = 2..64)")
        if _finite_number(value, f"energy.{key}") < 0:
            _fail(f"energy.{key}", f"an energy or power cannot be negative, got {value!r}")


def _validate_supply(supply: object) -> None:
    """Optional supply-current tables: x grid (V, increasing) and currents (A) of equal length."""
    if not isinstance(supply, Mapping):
        _fail("supply", "expected an object")
    if not supply:
        return
    for key in supply:
        if key not in (*_SUPPLY_ARRAYS, "i_leak_a"):
            _fail(f"supply.{key}", f"unknown field; allowed: {', '.join((*_SUPPLY_ARRAYS, 'i_leak_a'))}")
    for key in (*_SUPPLY_ARRAYS, "i_leak_a"):
        if key not in supply:
            _fail(f"supply.{key}", "missing")
    _finite_number(supply["i_leak_a"], "supply.i_leak_a")
    size = None
    for key in _SUPPLY_ARRAYS:
        values = supply[key]
        if not isinstance(values, list) or len(values) < 2:
            _fail(f"supply.{key}", "expected a list of at least 2 numbers")
        for k, v in enumerate(values):
            _finite_number(v, f"supply.{key}[{k}]")
        if size is not None and len(values) != size:
            _fail(f"supply.{key}", f"has {len(values)} values, x_v has {size}")
        size = len(values) if size is None else size
    if any(b <= a for a, b in zip(supply["x_v"], supply["x_v"][1:])):
        _fail("supply.x_v", "must be strictly increasing")


def card_from_dict(data: Mapping) -> ModelCard:
    """Validate ``data`` (a parsed card) and build the :class:`ModelCard`."""
    _validate(data)
    params = {k: Parameter(value=None if v["value"] is None else float(v["value"]), unit=v["unit"],
                           stderr=v.get("stderr"), source=v.get("source", "measured"))
              for k, v in data["parameters"].items()}
    return ModelCard(name=data["name"], parameters=params, conditions=data["conditions"],
                     normalised=data["normalised"], integrator=data["integrator"], fit=data["fit"],
                     energy=data["energy"], supply=data.get("supply", {}), provenance=data["provenance"],
                     within_tolerance=data["within_tolerance"])


def card_to_json(card: ModelCard) -> str:
    """Canonical JSON text of ``card`` (sorted keys, 2-space indent, trailing newline)."""
    return json.dumps(card.to_dict(), sort_keys=True, indent=2, allow_nan=False) + "\n"


def save_card(card: ModelCard, path: str | Path) -> Path:
    """Write ``card`` to ``path`` atomically (a temporary file renamed into place)."""
    return write_text_atomic(path, card_to_json(card))


def find_card(name: str) -> Path:
    """Path of the shipped card called ``name`` (``models/<family>/<name>.json``).

    ``name`` is a plain name (letters, digits, ``_ . -``; no path, no wildcard); :class:`CardError`
    lists the shipped names when there is no such card.
    """
    models = data_dir("models")
    shipped = sorted(p for p in models.glob("*/*.json")) if models.is_dir() else []
    with contextlib.suppress(InputError):
        check_name(name, "card")
        for path in shipped:
            if path.stem == name:
                return path
    names = ", ".join(p.stem for p in shipped)
    raise CardError(f"model card '{name}' not found: give a JSON file path, or a card name under "
                    f"models/ (shipped: {names})")


#: Largest card file hwsim reads (bytes); shipped cards are ~10 kB.
MAX_CARD_BYTES = 4 * 2**20


def load_card(path: str | Path) -> ModelCard:
    """Load and validate the card at ``path`` (a file, or a name under ``models/`` without .json)."""
    candidate = Path(path)
    if candidate.is_dir():
        raise CardError(f"model card {candidate} is a folder; give a card's JSON file or a card name")
    if not candidate.is_file():
        candidate = find_card(str(path))
    if candidate.stat().st_size > MAX_CARD_BYTES:
        raise CardError(f"model card {candidate} is {candidate.stat().st_size:,} bytes, more than a card can be "
                        f"({MAX_CARD_BYTES:,}); is it a card?")
    try:
        data = json.loads(candidate.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CardError(f"model card {candidate} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                        "is it a card?") from None
    except json.JSONDecodeError as exc:
        raise CardError(f"model card {candidate} is not valid JSON: {exc}") from None
    except RecursionError:
        raise CardError(f"model card {candidate} nests too deeply to be a card") from None
    try:
        return card_from_dict(data)
    except CardError as exc:
        raise CardError(f"{candidate}: {exc}") from None


def paper_preset() -> ModelCard:
    """The authors' normalised model: tau = 1, thresholds 0.20/0.49 of VDD = 1, no divider, no
    clamp, no delay, their discrete update with dt = 0.01 tau (DelMastro et al., arXiv:2506.07253)."""
    p = {"tau_s": 1.0, "vdd_v": 1.0, "v_ol_v": 0.0, "vt_plus_v": 0.49, "vt_minus_v": 0.20, "c_couple_f": 1.0,
         "c_in_f": 0.0, "v_clamp_v": None, "delay_s": 0.0}
    params = {k: Parameter(value=v, unit=PARAM_SPECS[k].unit, source="preset") for k, v in p.items()}
    return ModelCard(name="paper", parameters=params, normalised=True,
                     conditions={"library": "none", "note": "normalised: voltages in VDD, time in tau"},
                     integrator={"scheme": "paper_discrete", "dt_s": 0.01},
                     provenance={"source": "DelMastro et al., arXiv:2506.07253, normalised model"})
