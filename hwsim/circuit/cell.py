"""Cells: the neuron circuit every bench, ring and transistor-level lattice is built from.

A cell is a subcircuit in a SPICE file, of one of two kinds (:data:`ROLES`):

- ``schmitt``: an inverting Schmitt trigger with ports (in, out, supply, ground); hwsim adds the
  neuron's series C (``nv_c``, F), R to ground (``nv_r``, ohm) and the input clamp (an NMOS
  ``nfet`` from hwsim's device library, or a diode ``hwsim_dclamp`` when the cell brings its own
  models);
- ``neuron``: a whole differentiating neuron with ports (u, x, o, supply, ground) like the
  built-in ``nv_neuron``; it should use ``{nv_c}`` and ``{nv_r}`` for its C and R so that hwsim's
  R and C knobs reach it.

Which port of the subcircuit plays which role is declared in the file's header comment::

    * hwsim-cell: kind=schmitt subckt=st_inv in=A out=Y supply=VDD ground=GND models=none

or on the command line (``--cell FILE[:SUBCKT] --ports in=A,out=Y,supply=VDD,ground=GND
--models FILE|none``). ``models``: absent means hwsim's device library (``library``/``corner``
apply; the cell uses ``nfet``/``pfet`` or the sky130 models directly), ``none`` a self-contained
cell (behavioural sources, inline ``.model`` cards), or a model file loaded as
``.lib FILE <corner>`` when it has sections, else ``.include FILE``.

:func:`load_cell` checks the file against :mod:`hwsim.circuit.policy` and the ports: every role
mapped to a port of the subcircuit, every port given a role, no port or internal node left
floating. :meth:`Cell.block` gives the lines that define hwsim's wrapper subcircuits
``hwsim_schmitt`` (x o vdd vss) and ``hwsim_neuron``/``hwsim_neuron_noclamp`` (u x o vdd vss);
the renderer puts them in place of the built-in cell files and points the benches' instances at
them. ``Conditions.cell = None`` is the built-in cell (``netlists/cells``), whose files carry the
same header and pass the same checks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hwsim.circuit.policy import NetlistPolicyError, allowed_roots, check_file, include_target
from hwsim.errors import NetlistError

__all__ = ["Cell", "CELL_KEYS", "cell_from_table", "split_spec", "resolve_spec", "ROLES", "WRAPPERS", "load_cell",
           "subckts", "cell_from_dict"]

#: Port roles of each cell kind, in the order the wrapper connects them.
ROLES = {"schmitt": ("in", "out", "supply", "ground"), "neuron": ("u", "x", "o", "supply", "ground")}
#: Built-in subcircuit names the benches instantiate -> the wrapper a foreign cell provides.
WRAPPERS = {"schmitt_inv": "hwsim_schmitt", "nv_neuron": "hwsim_neuron", "nv_neuron_noclamp": "hwsim_neuron_noclamp"}
_HEADER = re.compile(r"^\*\s*hwsim-cell:\s*(.*)$", re.IGNORECASE)
_KEYS = {"kind", "subckt", "models", *ROLES["schmitt"], *ROLES["neuron"]}
_NODE_COUNT = {"r": 2, "c": 2, "l": 2, "d": 2, "v": 2, "i": 2, "b": 2, "m": 4, "j": 3, "z": 3, "e": 4, "g": 4,
               "f": 2, "h": 2, "s": 4, "w": 2, "t": 4, "q": 3, "u": 3}


@dataclass(frozen=True)
class Cell:
    """A checked foreign cell. ``path``: the SPICE file (absolute); ``subckt``: its subcircuit;
    ``kind``: ``schmitt`` or ``neuron``; ``ports``: the subcircuit's port names in its own order,
    ``roles``: the role of each (:data:`ROLES`); ``models``: ``None`` (hwsim device library), ``"none"`` or a model file
    (absolute); ``allow_include``: extra folders includes may read; ``sha256``: of the cell file
    and its model file."""

    path: str
    subckt: str
    kind: str
    ports: tuple[str, ...]
    roles: tuple[str, ...]
    models: str | None = None
    allow_include: tuple[str, ...] = ()
    sha256: str = ""
    sections: tuple[str, ...] = field(default=(), compare=False)

    @property
    def label(self) -> str:
        """``file:subckt`` for reports and errors."""
        return f"{Path(self.path).name}:{self.subckt}"

    @property
    def own_models(self) -> bool:
        """True when the cell does not use hwsim's device library."""
        return self.models is not None

    def to_dict(self) -> dict:
        """JSON-ready form (what cards and sweeps store)."""
        models = _stored_path(self.models) if self.models not in (None, "none") else self.models
        return {"path": _stored_path(self.path), "subckt": self.subckt, "kind": self.kind, "ports": list(self.ports),
                "roles": list(self.roles), "models": models,
                "allow_include": [_stored_path(a) for a in self.allow_include],
                "sha256": self.sha256}

    def model_lines(self, corner: str) -> list[str]:
        """The lines that load the cell's own models at ``corner`` (none for ``models = none``)."""
        if self.models in (None, "none"):
            return []
        if not self.sections:
            if corner != "tt":
                raise NetlistError(f"model file {self.models} has no .lib sections, so corner {corner!r} cannot "
                                   "be chosen; use corner tt or a model file with one section per corner")
            return [f'.include "{self.models}"']
        if corner not in self.sections:
            raise NetlistError(f"model file {self.models} has no section {corner!r}; it has "
                               f"{', '.join(self.sections)}")
        return [f'.lib "{self.models}" {corner}']

    def block(self, corner: str) -> list[str]:
        """Deck lines defining the cell (its file, includes inlined, ``.end`` dropped) and
        hwsim's wrappers ``hwsim_schmitt``, ``hwsim_neuron``, ``hwsim_neuron_noclamp``."""
        body = _inline_checked(Path(self.path))
        lines = [f"* >>> cell {self.label} sha256 {self.sha256}", *self.model_lines(corner), *body]
        lines += _wrappers(self, body)
        return [*lines, f"* <<< cell {self.label}"]


def _inline_checked(path: Path, seen: tuple[Path, ...] = ()) -> list[str]:
    """Lines of a policy-checked file with its ``.include`` files inlined and ``.lib`` paths
    made absolute (the deck stays self-contained and its hash covers the cell)."""
    out = []
    for line in path.read_text().splitlines():
        target = include_target(line)
        if re.match(r"^\s*\.end\s*$", line, re.IGNORECASE):
            continue
        if target is None:
            out.append(line)
            continue
        kind, text, section = target
        child = (path.parent / text).resolve()
        if kind == "lib":
            out.append(f'.lib "{child}" {section}' if section else f'.lib "{child}"')
        elif child not in seen:
            out += [f"* >>> begin {child.name}", *_inline_checked(child, (*seen, path)), f"* <<< end {child.name}"]
    return out


def _declares(lines: Sequence[str], name: str) -> bool:
    pattern = re.compile(rf"^\s*\.param\b.*\b{name}\s*=", re.IGNORECASE)
    return any(pattern.match(line) for line in lines)


#: The wrapper's node for each role (a neuron cell inside ``hwsim_schmitt`` gets u = vss).
_NODES = {"in": "x", "out": "o", "u": "u", "x": "x", "o": "o", "supply": "vdd", "ground": "vss"}


def _instance(cell: Cell, **override: str) -> str:
    nodes = [override.get(role, _NODES[role]) for role in cell.roles]
    return f"Xcell {' '.join(nodes)} {cell.subckt}"


def _wrappers(cell: Cell, body: Sequence[str]) -> list[str]:
    params = [f".param {name}={value}" for name, value in (("nv_c", "1p"), ("nv_r", "1meg"))
              if not _declares(body, name)]
    if cell.kind == "neuron":
        return [*params, ".subckt hwsim_schmitt x o vdd vss", _instance(cell, u="vss"), ".ends hwsim_schmitt",
                ".subckt hwsim_neuron u x o vdd vss", _instance(cell), ".ends hwsim_neuron",
                ".subckt hwsim_neuron_noclamp u x o vdd vss", _instance(cell), ".ends hwsim_neuron_noclamp"]
    if cell.own_models:
        clamp = ["Dclamp vss x hwsim_dclamp"]
        model = [".model hwsim_dclamp D(is=1e-14 n=1 rs=10)"]
    else:
        clamp = ["Xclamp x vss vss vss nfet w={clamp_w} l={clamp_l}"]
        model = [".param clamp_w=1 clamp_l=0.15"]
    neuron = ["C1 u x {nv_c}", "R1 x vss {nv_r}"]
    return [*params, *model, ".subckt hwsim_schmitt x o vdd vss", _instance(cell), ".ends hwsim_schmitt",
            ".subckt hwsim_neuron u x o vdd vss", *neuron, *clamp, "Xs x o vdd vss hwsim_schmitt",
            ".ends hwsim_neuron", ".subckt hwsim_neuron_noclamp u x o vdd vss", *neuron,
            "Xs x o vdd vss hwsim_schmitt", ".ends hwsim_neuron_noclamp"]


def subckts(text: str) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Subcircuits of ``text``: name (lower case) -> (port names, element lines split into words,
    ``+`` continuations joined)."""
    found: dict[str, tuple[list[str], list[list[str]]]] = {}
    current = None
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.split(";")[0].rstrip()
        if line.strip().startswith("+") and lines:
            lines[-1] += " " + line.strip()[1:]
        elif line.strip() and not line.strip().startswith("*"):
            lines.append(line.strip())
    for line in lines:
        words = line.split()
        head = words[0].lower()
        if head == ".subckt" and len(words) >= 2:
            ports = [w for w in words[2:] if "=" not in w and w.lower() != "params:"]
            current = words[1].lower()
            found[current] = (ports, [])
        elif head == ".ends":
            current = None
        elif current is not None and not head.startswith("."):
            found[current][1].append(words)
    return found


def _element_nodes(words: list[str]) -> list[str]:
    """Node names of one element line (best effort per SPICE element letter)."""
    letter = words[0][0].lower()
    if letter == "x":
        plain = [w for w in words[1:] if "=" not in w and w.lower() != "params:"]
        return plain[:-1]
    count = _NODE_COUNT.get(letter, 0)
    if letter in "eg" and len(words) > 3 and re.match(r"(value|vol|cur|poly|table)", words[3], re.IGNORECASE):
        count = 2
    return [w.lower() for w in words[1:1 + count]]


def check_ports(name: str, ports: Sequence[str], elements: Sequence[list[str]], roles: Mapping[str, str],
                label: str) -> None:
    """Raise :class:`NetlistError` naming what is missing or floating in subcircuit ``name``."""
    lower = [p.lower() for p in ports]
    for role, port in roles.items():
        if port.lower() not in lower:
            raise NetlistError(f"{label}: role {role}={port} names no port of subckt {name} (ports: "
                               f"{' '.join(ports)}); fix the hwsim-cell header or --ports")
    if len({v.lower() for v in roles.values()}) != len(roles):
        raise NetlistError(f"{label}: two roles name the same port ({roles}); each role needs its own port")
    unmapped = [p for p in ports if p.lower() not in {v.lower() for v in roles.values()}]
    if unmapped:
        raise NetlistError(f"{label}: port(s) {', '.join(unmapped)} of subckt {name} have no role, so they would "
                           f"float; map every port ({', '.join(roles)}) in the header or --ports")
    uses: dict[str, int] = {}
    for words in elements:
        sensed = re.findall(r"\bv\(\s*([\w.]+)\s*(?:,\s*([\w.]+)\s*)?\)", " ".join(words), re.IGNORECASE)
        for node in [*_element_nodes(words), *(n for pair in sensed for n in pair if n)]:
            uses[node.lower()] = uses.get(node.lower(), 0) + 1
    for role, port in roles.items():
        if uses.get(port.lower(), 0) == 0:
            raise NetlistError(f"{label}: port {port} ({role}) of subckt {name} connects to no element inside it: "
                               "it floats; connect it or map the role to another port")
    lonely = sorted(n for n, k in uses.items() if k == 1 and n not in lower and n not in ("0", "gnd"))
    if lonely:
        raise NetlistError(f"{label}: internal node(s) {', '.join(lonely[:5])} of subckt {name} connect to only one "
                           "element terminal: floating; check the node names")


def _header(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines()[:60]:
        match = _HEADER.match(line.strip())
        if match:
            for token in match.group(1).split():
                key, _, value = token.partition("=")
                if key.lower() in _KEYS and value:
                    values[key.lower()] = value
    return values


def _parse_ports(text: str | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for token in (text or "").replace(",", " ").split():
        key, sep, value = token.partition("=")
        if not sep or not value or key.lower() not in _KEYS - {"subckt", "models"}:
            raise NetlistError(f"--ports {text!r}: expected ROLE=PORT pairs with roles from "
                               f"{', '.join(ROLES['schmitt'])} (Schmitt cell) or {', '.join(ROLES['neuron'])} (neuron)")
        values[key.lower()] = value
    return values


def _kind(values: Mapping[str, str], label: str) -> str:
    kind = values.get("kind") or ("neuron" if "u" in values else "schmitt")
    if kind not in ROLES:
        raise NetlistError(f"{label}: kind={kind!r}; a cell is kind=schmitt or kind=neuron")
    missing = [r for r in ROLES[kind] if r not in values]
    if missing:
        raise NetlistError(f"{label}: a {kind} cell needs the roles {', '.join(ROLES[kind])}; missing "
                           f"{', '.join(missing)} (declare them in the `* hwsim-cell:` header or with --ports)")
    return kind


def _model_file(value: str | None, cell_dir: Path, roots: Sequence[Path]) -> tuple[str | None, tuple[str, ...]]:
    if value is None or value.lower() == "none":
        return (None if value is None else "none"), ()
    path = (cell_dir / Path(value).expanduser()).resolve()
    check_file(path, roots)
    sections = tuple(dict.fromkeys(m.group(1).lower() for m in re.finditer(
        r"^\s*\.lib\s+(\w+)\s*$", path.read_text(), re.IGNORECASE | re.MULTILINE)))
    return str(path), sections


def load_cell(spec: str, ports: str | None = None, models: str | None = None,
              allow_include: Sequence[str] = ()) -> Cell:
    """Read and check a cell: ``spec`` is ``FILE[:SUBCKT]``; ``ports`` (``ROLE=PORT,...``) and
    ``models`` (``FILE`` or ``none``) override the file's ``* hwsim-cell:`` header;
    ``allow_include``: extra folders its includes may read. Raises :class:`NetlistError`
    (exit 2) naming the file and what is wrong."""
    file_text, sub = (str(spec), "") if Path(str(spec)).is_file() else split_spec(spec)
    path = Path(file_text).expanduser()
    if not path.is_file():
        raise NetlistError(f"cell file {file_text}: no such file; pass --cell FILE[:SUBCKT] with an existing "
                           "SPICE file")
    roots = allowed_roots(path.parent, allow_include)
    files = check_file(path, roots)
    text = "\n".join(f.read_text() for f in files)
    values = {**_header(path.read_text()), **_parse_ports(ports)}
    if models is not None:
        values["models"] = models
    label = str(path)
    found = subckts(text)
    name = (sub or values.get("subckt") or (next(iter(found)) if len(found) == 1 else "")).lower()
    if not name:
        raise NetlistError(f"{label}: defines {len(found)} subcircuits ({', '.join(found) or 'none'}); name one "
                           "with FILE:SUBCKT or subckt= in the header")
    if name not in found:
        raise NetlistError(f"{label}: no subckt {name!r}; it defines {', '.join(found) or 'none'}")
    if name.startswith("hwsim_"):
        raise NetlistPolicyError(f"{label}: subckt names starting with hwsim_ are reserved for hwsim's wrappers")
    kind = _kind(values, label)
    roles = {r: values[r] for r in ROLES[kind]}
    check_ports(name, *found[name], roles, label)
    model_path, sections = _model_file(values.get("models"), path.parent, roots)
    digest = hashlib.sha256(path.read_bytes())
    if model_path and model_path != "none":
        digest.update(Path(model_path).read_bytes())
    role_of = {port.lower(): role for role, port in roles.items()}
    ports_in_order = tuple(found[name][0])
    return Cell(path=str(path.resolve()), subckt=name, kind=kind, ports=ports_in_order,
                roles=tuple(role_of[p.lower()] for p in ports_in_order), models=model_path,
                allow_include=tuple(str(a) for a in allow_include), sha256=digest.hexdigest(), sections=sections)


def cell_from_dict(data: Mapping | Cell | None) -> Cell | None:
    """A :class:`Cell` again from :meth:`Cell.to_dict` (a stored card or sweep point): the file
    is re-read and re-checked, and must still have the stored SHA-256."""
    if data is None or isinstance(data, Cell):
        return data
    if isinstance(data, str):
        return load_cell(data)
    if not isinstance(data, Mapping) or "path" not in data:
        raise NetlistError(f"cell: expected a table with path, subckt, ports ..., got {data!r}")
    ports = ",".join(f"{r}={p}" for r, p in zip(data.get("roles", ()), data.get("ports", ())))
    path = _from_root(str(data["path"]))
    models = data.get("models")
    models = _from_root(models) if models and models != "none" else models
    cell = load_cell(f"{path}:{data['subckt']}" if data.get("subckt") else path,
                     ports=(ports + f",kind={data.get('kind', 'schmitt')}") if ports else None,
                     models=models, allow_include=[_from_root(a) for a in data.get("allow_include", ())])
    if data.get("sha256") and data["sha256"] != cell.sha256:
        raise NetlistError(f"cell {data['path']} changed since it was recorded (sha256 {data['sha256'][:16]} -> "
                           f"{cell.sha256[:16]}); recalibrate with the current file")
    return cell


#: Config keys that describe a foreign cell (``[circuit]`` of a pipeline config, ``[conditions]``
#: of a recipe): ``cell = "FILE[:SUBCKT]"``, ``ports = "in=A,out=Y,..."``, ``models = "FILE"|"none"``,
#: ``allow_include = ["DIR", ...]``; paths are relative to the config file's folder.
CELL_KEYS = {"cell": str, "ports": str, "models": str, "allow_include": (list, str)}


def _stored_path(path: str) -> str:
    """``path`` relative to the repository root when it is inside a source checkout (cards and
    configs stay portable), else absolute."""
    from hwsim.files import source_checkout

    root = source_checkout()
    resolved = Path(path).resolve()
    return str(resolved.relative_to(root)) if root and resolved.is_relative_to(root) else str(resolved)


def _from_root(path: str) -> str:
    from hwsim.files import source_checkout

    root = source_checkout()
    return str(root / path) if root and not Path(path).is_absolute() else path


def split_spec(spec: str) -> tuple[str, str]:
    """``"FILE[:SUBCKT]"`` -> ``(FILE, SUBCKT or "")`` (a colon inside a path is kept)."""
    file_text, colon, sub = str(spec).rpartition(":")
    if not colon or not sub or "/" in sub or "." in sub:
        return str(spec), ""
    return file_text, sub


def resolve_spec(spec: str, base: Path) -> str:
    """``spec`` with its FILE made absolute, relative paths starting at ``base``."""
    file_text, sub = split_spec(spec)
    path = (Path(base) / Path(file_text).expanduser()).resolve()
    return f"{path}:{sub}" if sub else str(path)


def cell_from_table(table: dict, base: Path) -> Cell | None:
    """Pop :data:`CELL_KEYS` from a config ``table`` and load the cell they describe (``None``
    without ``cell``); relative paths start at ``base`` (the config file's folder)."""
    values = {k: table.pop(k) for k in list(CELL_KEYS) if k in table}
    if "cell" not in values:
        if values:
            raise NetlistError(f"{', '.join(values)} given without cell = \"FILE[:SUBCKT]\"")
        return None
    spec = resolve_spec(values["cell"], base)
    models = values.get("models")
    if models and models.lower() != "none":
        models = str(base / Path(models).expanduser())
    return load_cell(spec, values.get("ports"), models, [str(base / d) for d in values.get("allow_include", [])])
