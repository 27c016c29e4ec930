"""Netlist rendering and generators: hand-written netlists -> self-contained :class:`Deck`.

:func:`render` reads a netlist (a file under ``netlists/`` or generated text), inlines its
``.include`` files, points ``.lib`` lines at absolute paths (optionally swapping the device
library and corner), overrides ``.param`` values and the temperature, and checks that every file it
needs exists. :func:`ring_netlist` and :func:`rings_netlist` generate rings of N neurons, and K
rings coupled or not, from the cells in ``netlists/cells``.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hwsim.circuit.devices import (
    BENCH_DIR,
    CORNERS,
    DEVICE_DIR,
    LIBRARIES,
    NETLIST_DIR,
    check_corner,
    device_section,
    sky130_models_dir,
)
from hwsim.errors import InputError, ModelLibraryError, NetlistError, UnknownParamError
from hwsim.units import format_spice_number, parse_spice_number

__all__ = ["Deck", "Coupling", "render", "declared_params", "ring_netlist", "rings_netlist", "graph_netlist",
           "with_mismatch", "netlist_hashes", "BENCH_DIR"]

_INCLUDE = re.compile(r'^\s*\.include\s+"?([^"\s]+)"?\s*$', re.IGNORECASE)
_LIB = re.compile(r'^\s*\.lib\s+"?([^"\s]+)"?\s+(\w+)\s*$', re.IGNORECASE)
_PARAM_LINE = re.compile(r"^\s*\.param\s+(.*)$", re.IGNORECASE)
_ASSIGN = re.compile(r"(\w+)\s*=\s*(\{[^}]*\}|'[^']*'|[^\s]+)")
_TEMP = re.compile(r"^\s*\.temp\s+\S+\s*$", re.IGNORECASE)
_END = re.compile(r"^\s*\.end\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Deck:
    """A rendered, self-contained netlist ready for ngspice.

    ``params`` holds the final top-level ``.param`` values as written in the deck; ``library``
    and ``corner`` name the device library section it loads (``None`` if it loads none).
    """

    name: str
    text: str
    library: str | None = None
    corner: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """Content hash of the deck text (hex)."""
        return hashlib.sha256(self.text.encode()).hexdigest()


def _read(path: Path) -> str:
    if not path.is_file():
        raise ModelLibraryError(f"netlist file {path} does not exist; check the path in the "
                                f".include/.lib line or the netlist name")
    return path.read_text()


def _inline(text: str, base: Path, seen: tuple[Path, ...] = ()) -> list[str]:
    """Lines of ``text`` with every ``.include`` replaced by the included file's lines."""
    out: list[str] = []
    for line in text.splitlines():
        match = _INCLUDE.match(line)
        if not match:
            out.append(line)
            continue
        path = (base / match.group(1)).resolve()
        if path in seen:
            raise NetlistError(f"{path} includes itself (through {' -> '.join(map(str, seen))})")
        out.append(f"* >>> begin {path.name}")
        out.extend(ln for ln in _inline(_read(path), path.parent, seen + (path,)) if not _END.match(ln))
        out.append(f"* <<< end {path.name}")
    return out


def _resolve_lib(line: str, base: Path, library: str | None, corner: str | None):
    """Rewrite one ``.lib`` line; returns (text, library name or None, section). A hwsim device
    library is inlined (:func:`~hwsim.circuit.devices.device_section`); another model library's
    path is made absolute."""
    match = _LIB.match(line)
    path = (base / match.group(1)).resolve()
    section = match.group(2)
    name = next((lib for lib in LIBRARIES if path == (DEVICE_DIR / f"{lib}.lib.sp").resolve()), None)
    if name is not None:
        name = library or name
        section = check_corner(corner) if corner else section
        if section not in CORNERS:
            raise NetlistError(f"device library section {section!r} is not a corner "
                               f"({', '.join(CORNERS)})")
        return "\n".join(device_section(name, section)), name, section
    if not path.is_file():
        raise ModelLibraryError(f"model library {path} (from `{line.strip()}`) does not exist; "
                                f"fix the path or install the library")
    return f'.lib "{path}" {section}', name, section


def declared_params(lines: Sequence[str]) -> dict[str, str]:
    """Top-level ``.param`` names (lower case) and their value text, in declaration order."""
    params: dict[str, str] = {}
    depth = 0
    for line in lines:
        low = line.strip().lower()
        depth += low.startswith(".subckt")
        depth -= low.startswith(".ends")
        match = _PARAM_LINE.match(line)
        if match and depth == 0:
            for name, value in _ASSIGN.findall(match.group(1)):
                params[name.lower()] = value
    return params


#: What a string ``.param`` value may be besides a SPICE number: an identifier (another
#: parameter) or a brace expression of identifiers, numbers and arithmetic.
_SAFE_VALUE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z0-9_.+\-*/() ]+\}")
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _format_value(name: str, value: object) -> str:
    """Netlist text of ``.param`` ``name``'s value: a number (SPICE-formatted), a SPICE number
    string, or a validated identifier/brace expression; :class:`NetlistError` naming the parameter
    for anything else (newlines or control characters could start a ``.control`` block)."""
    if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
        raise NetlistError(f".param name {name!r} is not an identifier (letters, digits, '_')")
    if isinstance(value, str):
        text = value.strip()
        try:
            parse_spice_number(text)
            if "\n" not in value and "\r" not in value:
                return text
        except InputError:
            pass
        if _SAFE_VALUE.fullmatch(text) and value == text:
            return text
        raise NetlistError(f".param {name} = {value!r} is neither a number nor an identifier or "
                           "{expression} of letters, digits and + - * / ( ); pass a number")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise NetlistError(f".param {name} = {value!r}: expected a finite number, got {type(value).__name__}")
    return format_spice_number(float(value))


def _apply_params(lines: list[str], overrides: Mapping[str, object], source: str) -> list[str]:
    declared = declared_params(lines)
    wanted = {k.lower(): _format_value(k, v) for k, v in overrides.items()}
    for name in wanted:
        if name not in declared:
            close = difflib.get_close_matches(name, declared, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UnknownParamError(f"unknown .param {name!r} for netlist {source}{hint}; it declares: "
                                    f"{', '.join(sorted(declared))}")

    def substitute(match: re.Match) -> str:
        name = match.group(1).lower()
        return f"{match.group(1)}={wanted[name]}" if name in wanted else match.group(0)

    out = []
    for line in lines:
        match = _PARAM_LINE.match(line)
        out.append(_ASSIGN.sub(substitute, line) if match else line)
    return out


def _swap_subckts(lines: list[str], swap: Mapping[str, str]) -> list[str]:
    """Point top-level instances (``X...``) of subcircuit ``old`` at ``swap[old]`` instead."""
    out, depth = [], 0
    for line in lines:
        words = line.split()
        head = words[0].lower() if words else ""
        depth += (head == ".subckt") - (head == ".ends")
        if depth == 0 and head[:1] == "x" and words[-1] in swap:
            line = " ".join([*words[:-1], swap[words[-1]]])
        out.append(line)
    return out


def _place_cell(text: str, base: Path, cell, corner: str | None) -> str:
    """``text`` with the built-in cell's ``.include`` lines replaced by ``cell``'s block
    (:meth:`hwsim.circuit.cell.Cell.block`); a cell with its own models also replaces the hwsim
    device library line."""
    builtin = {(NETLIST_DIR / "cells" / f).resolve() for f in ("schmitt.sp", "nv_neuron.sp")}
    out, placed = [], False
    for line in text.splitlines():
        include, lib = _INCLUDE.match(line), _LIB.match(line)
        if include and (base / include.group(1)).resolve() in builtin:
            if not placed:
                out += cell.block(corner or "tt")
                placed = True
            continue
        if lib and cell.own_models and (base / lib.group(1)).resolve().parent == DEVICE_DIR.resolve():
            corner = corner or lib.group(2)
            continue
        out.append(line)
    if not placed:
        raise NetlistError("this netlist includes no built-in cell (cells/schmitt.sp, cells/nv_neuron.sp), so a "
                           f"foreign cell ({cell.label}) has nowhere to go")
    return "\n".join(out)


def render(source: str | Path, *, text: str | None = None, params: Mapping[str, object] | None = None,
           library: str | None = None, corner: str | None = None, temp_c: float | None = None,
           name: str | None = None, swap: Mapping[str, str] | None = None, cell=None) -> Deck:
    """Render a netlist into a self-contained :class:`Deck`.

    ``source``: a netlist file (absolute, or relative to ``netlists/``); with ``text`` given it is
    only the folder that relative paths in ``text`` start from. ``params``: ``.param`` overrides,
    numbers in SI units (F, ohm, s, V) or SPICE strings; a name the netlist does not declare raises
    :class:`UnknownParamError`. ``library``/``corner`` swap the device library (sky130, generic)
    and its corner section. ``temp_c``: temperature in degrees Celsius (replaces ``.temp``).
    ``swap``: subcircuit replacements for top-level instances, e.g.
    ``{"nv_neuron": "nv_neuron_noclamp"}``. ``cell``: a foreign :class:`~hwsim.circuit.cell.Cell`
    that replaces the built-in one (its instances are pointed at hwsim's wrappers; with its own
    models, ``corner`` picks the model file's section and ``library`` is ignored).
    """
    if text is None:
        path = Path(source)
        path = path if path.is_absolute() else NETLIST_DIR / path
        text, base, label = _read(path), path.parent, name or path.stem
    else:
        base, label = Path(source), name or "generated"
    if library is not None and library not in LIBRARIES:
        raise NetlistError(f"unknown device library {library!r}; choose one of {', '.join(LIBRARIES)}")
    if cell is not None:
        text = _place_cell(text, base, cell, corner)
        from hwsim.circuit.cell import WRAPPERS

        swap = {**WRAPPERS, **{k: v.replace("nv_neuron", "hwsim_neuron") for k, v in (swap or {}).items()}}
        if cell.own_models:
            library = corner = None
    lines = _inline(text, base)
    lib_name = lib_section = None
    for i, line in enumerate(lines):
        if _LIB.match(line):
            lines[i], found, section = _resolve_lib(line, base, library, corner)
            if found:
                lib_name, lib_section = found, section
    lines = "\n".join(lines).splitlines()
    if (library or corner) and lib_name is None:
        raise NetlistError(f"netlist {label} loads no hwsim device library, so library/corner "
                           f"cannot be set; add `.lib \"../devices/sky130.lib.sp\" tt`")
    lines = _apply_params(lines, params or {}, label)
    if swap:
        lines = _swap_subckts(lines, swap)
    if temp_c is not None:
        lines = [ln for ln in lines if not _TEMP.match(ln)]
        lines.insert(1, f".temp {float(temp_c):g}")
    if not any(_END.match(ln) for ln in lines):
        lines.append(".end")
    return Deck(name=label, text="\n".join(lines) + "\n", library=lib_name, corner=lib_section,
                params=declared_params(lines))


@dataclass(frozen=True)
class Coupling:
    """An extra capacitive input: neuron ``src``'s output drives neuron ``dst``'s node x through
    ``c_f`` farads (KCL adds the capacitor in parallel with the neuron's own C)."""

    src: int
    dst: int
    c_f: float

    def __post_init__(self) -> None:
        if not self.c_f > 0:
            raise NetlistError(f"coupling {self.src}->{self.dst}: capacitance must be > 0 F, got {self.c_f}")


_HEADER = """\
.lib "../devices/{library}.lib.sp" {corner}
.include "../cells/schmitt.sp"
.include "../cells/nv_neuron.sp"
.include "../cells/and_gate.sp"
.param vdd=1.8
.param kick_q=2p kick_t=100n kick_at=1u
.param t_stop=200u t_step=2n
.temp 27
Vdd vdd 0 {{vdd}}"""


def graph_netlist(n_neurons: int, src, dst, weight, *, extra_caps: Sequence[Coupling] = (),
                  kicks: Sequence[int] = (0,), clamp: bool = True, library: str = "sky130", corner: str = "tt",
                  title: str = "neuron graph", gate: bool = False, kick_delays: Sequence[float] | None = None) -> str:
    """Netlist text of any graph of neurons (capacitive input combination, as in the circuit; with
    ``gate``, the gate rule: every neuron with 2-4 inputs, all of weight 1, gets an AND gate
    ``Xg<i>`` (``netlists/cells/and_gate.sp``) whose output ``g<i>`` drives its capacitor; the
    gates draw from their own source ``Vddg`` (same voltage), so their share is measured apart).

    Edge k feeds neuron ``src[k]``'s output into neuron ``dst[k]``'s node x through a capacitor of
    ``weight[k]`` times the cell's C (``nv_c``): each neuron's first weight-1 input drives its own
    cell capacitor, every other input gets its own capacitor ``Cc<k>`` into x (KCL then gives the
    capacitive rule of :mod:`hwsim.model.behavior`). ``extra_caps``: further capacitors in farads
    (``Ce<j>``). Nodes: ``x<i>`` and ``o<i>``. ``kicks``: neurons
    that get one current pulse (charge ``kick_q`` over ``kick_t`` at ``kick_at``, plus ``kick_delays[j]``
    seconds for the j-th kick when given) into x. Saves
    every o and x node and the supply current. Render with ``render(BENCH_DIR, text=...)``.
    """
    src, dst, weight = (list(map(int, src)), list(map(int, dst)), [float(w) for w in weight])
    for index in [*kicks, *src, *dst, *(c.src for c in extra_caps), *(c.dst for c in extra_caps)]:
        if not 0 <= index < n_neurons:
            raise NetlistError(f"neuron index {index} is outside 0..{n_neurons - 1}")
    kicks = _kick_list(kicks, kick_delays)
    if gate:
        return _gate_graph(n_neurons, src, dst, weight, kicks=kicks, clamp=clamp, library=library, corner=corner,
                           title=title)
    own = {}
    for k in sorted(range(len(src)), key=lambda k: (dst[k], src[k])):
        if weight[k] == 1.0 and dst[k] not in own:
            own[dst[k]] = k
    missing = sorted(set(range(n_neurons)) - set(own))
    if missing:
        raise NetlistError(f"neurons {missing[:5]} have no input of weight 1 to drive their own capacitor")
    cell = "nv_neuron" if clamp else "nv_neuron_noclamp"
    lines = [f"* hwsim generated: {title}", _HEADER.format(library=library, corner=corner)]
    for i in range(n_neurons):
        lines.append(f"X{i} o{src[own[i]]} x{i} o{i} vdd 0 {cell}")
    own_edges = set(own.values())
    for k in range(len(src)):
        if k not in own_edges:
            lines.append(f"Cc{k} o{src[k]} x{dst[k]} {{{weight[k]:.12g}*nv_c}}")
    for j, c in enumerate(extra_caps):
        lines.append(f"Ce{j} o{c.src} x{c.dst} {format_spice_number(c.c_f)}")
    return "\n".join(lines + _graph_tail(n_neurons, kicks)) + "\n"


def _kick_list(kicks: Sequence[int], delays: Sequence[float] | None) -> list[tuple[int, float]]:
    """(neuron, delay in s after kick_at) of every kick; one kick per neuron."""
    delays = [0.0] * len(kicks) if delays is None else [float(d) for d in delays]
    if len(delays) != len(kicks) or len(set(kicks)) != len(kicks):
        raise NetlistError(f"kicks: {len(kicks)} neurons (each at most once) need as many delays, got {len(delays)}")
    if any(not (d >= 0 and d < 1.0) for d in delays):
        raise NetlistError("kick delays must be finite, >= 0 and below 1 s")
    return list(zip(map(int, kicks), delays))


def _graph_tail(n_neurons: int, kicks: Sequence[tuple[int, float]], supplies: str = "i(vdd)") -> list[str]:
    """Kick sources, saved vectors and the transient analysis of a graph netlist."""
    at = {d: "{kick_at}" if d == 0 else f"{{kick_at+{d:.9g}}}" for _, d in kicks}
    lines = [f"Ikick{k} 0 x{k} pulse(0 {{kick_q/kick_t}} {at[d]} 1n 1n {{kick_t}} 1e6)" for k, d in kicks]
    lines.append(".save " + " ".join(f"v(o{i}) v(x{i})" for i in range(n_neurons)) + " " + supplies)
    return lines + [".options method=gear", ".tran {t_step} {t_stop} 0 {t_step}", ".end"]


#: Input stages by number of inputs (netlists/cells/and_gate.sp) and their transistor counts.
AND_GATES = {2: ("and2", 6), 3: ("and3", 8), 4: ("and4", 10)}


def _gate_graph(n_neurons: int, src: list, dst: list, weight: list, *, kicks, clamp, library, corner,
                title) -> str:
    """:func:`graph_netlist` for the gate rule: one input per neuron, through an AND gate when several."""
    inputs: dict[int, list[int]] = {i: [] for i in range(n_neurons)}
    for k in sorted(range(len(src)), key=lambda k: (dst[k], src[k])):
        if weight[k] != 1.0:
            raise NetlistError(f"gate rule: edge {src[k]}->{dst[k]} has weight {weight[k]:g}; AND gates take logic "
                               "inputs, every edge needs weight 1")
        inputs[dst[k]].append(src[k])
    bad = [i for i, ins in inputs.items() if not 1 <= len(ins) <= max(AND_GATES)]
    if bad:
        raise NetlistError(f"gate rule: neurons {bad[:5]} have {len(inputs[bad[0]])} inputs; each needs 1 to "
                           f"{max(AND_GATES)} (AND2-AND4)")
    cell = "nv_neuron" if clamp else "nv_neuron_noclamp"
    lines = [f"* hwsim generated: {title} (gate rule; AND gates on their own supply vddg)",
             _HEADER.format(library=library, corner=corner), "Vddg vddg 0 {vdd}"]
    for i, ins in inputs.items():
        if len(ins) == 1:
            lines.append(f"X{i} o{ins[0]} x{i} o{i} vdd 0 {cell}")
        else:
            lines.append(f"Xg{i} {' '.join(f'o{j}' for j in ins)} g{i} vddg 0 {AND_GATES[len(ins)][0]}")
            lines.append(f"X{i} g{i} x{i} o{i} vdd 0 {cell}")
    return "\n".join(lines + _graph_tail(n_neurons, kicks, "i(vdd) i(vddg)")) + "\n"


def rings_netlist(ring_size: int, n_rings: int = 1, *, couplings: Sequence[Coupling] = (),
                  kicks: Sequence[int] = (0,), clamp: bool = True, library: str = "sky130",
                  corner: str = "tt") -> str:
    """Netlist text of ``n_rings`` rings of ``ring_size`` neurons, uncoupled or coupled.

    Neuron ``k`` of ring ``r`` has global index ``i = r*ring_size + k``, nodes ``x<i>`` (Schmitt
    input) and ``o<i>`` (output), and is driven by neuron ``k-1`` of the same ring. ``couplings``
    add capacitors from other neurons' outputs into ``x<dst>``. See :func:`graph_netlist`.
    """
    if ring_size < 2:
        raise NetlistError(f"a ring needs at least 2 neurons, got ring_size={ring_size}")
    if n_rings < 1:
        raise NetlistError(f"n_rings must be >= 1, got {n_rings}")
    total = ring_size * n_rings
    ring_src = [r * ring_size + (k - 1) % ring_size for r in range(n_rings) for k in range(ring_size)]
    return graph_netlist(total, ring_src, list(range(total)), [1.0] * total, extra_caps=couplings, kicks=kicks,
                         clamp=clamp, library=library, corner=corner,
                         title=f"{n_rings} ring(s) of {ring_size} neurons, {len(couplings)} coupling capacitor(s), "
                               f"kicks {list(kicks)}")


def ring_netlist(n: int, **kwargs) -> str:
    """Netlist text of one ring of ``n`` neurons kicked at neuron 0 (see :func:`rings_netlist`)."""
    return rings_netlist(n, 1, **kwargs)


def with_mismatch(deck: Deck, seed: int) -> Deck:
    """``deck`` with sky130's own device mismatch switched on: its device library line is replaced
    by the ``<corner>_mm`` section of the PDK's combined models (``MC_MM_SWITCH = 1``: every
    transistor instance draws its own AGAUSS parameter offsets) plus hwsim's nfet/pfet wrappers,
    and ``.options seed=<seed>`` makes the draw reproducible (same seed, same circuit)."""
    if deck.library != "sky130":
        raise NetlistError(f"device mismatch needs the sky130 library (its *_mm model sections); deck "
                           f"{deck.name!r} uses {deck.library!r}")
    if not isinstance(seed, int) or seed < 1:
        raise NetlistError(f"mismatch seed must be a positive integer, got {seed!r}")
    combined = sky130_models_dir() / "combined_models" / "sky130.lib.spice"
    begin, end = f"* >>> device library sky130 {deck.corner}", f"* <<< device library sky130 {deck.corner}"
    lines, state = [], "before"
    for line in deck.text.splitlines():
        if state == "before" and line == begin:
            lines += [begin, f'.lib "{combined}" {deck.corner}_mm',
                      *(DEVICE_DIR / "sky130_wrappers.sp").read_text().splitlines(), f".options seed={seed}"]
            state = "inside"
        elif state == "inside":
            if line == end:
                lines.append(end)
                state = "after"
        else:
            lines.append(line)
    if state != "after":
        raise NetlistError(f"deck {deck.name!r} loads no sky130 device library line to switch to mismatch")
    return Deck(name=f"{deck.name}_mm{seed}", text="\n".join(lines) + "\n", library=deck.library,
                corner=f"{deck.corner}_mm", params=deck.params)


def netlist_hashes() -> dict[str, str]:
    """16 hex digits of the SHA-256 of every cell, device library and bench netlist, by path
    relative to ``netlists/`` (provenance of cards, keys of cached SPICE results)."""
    files = [f for sub in ("cells", "devices", "benches") for f in sorted((NETLIST_DIR / sub).glob("*.sp"))]
    return {str(f.relative_to(NETLIST_DIR)): hashlib.sha256(f.read_bytes()).hexdigest()[:16] for f in files}
