"""Reader for ngspice raw files (``ngspice -b -r out.raw``), binary or ASCII, real or complex.

Pure numpy. A raw file holds one or more plots; each has a header (``Title:``, ``Plotname:``,
``Flags:``, ``No. Variables:``, ``No. Points:``, ``Variables:`` then ``Binary:`` or ``Values:``)
followed by the data, point-major (all variables of point 0, then point 1, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.errors import SimulatorError

__all__ = ["RawPlot", "read_raw"]


@dataclass(frozen=True)
class RawPlot:
    """One plot of a raw file: ``vectors`` maps lower-case names (``v(o0)``, ``i(vdd)``,
    ``time``) to arrays in SI units (V, A, s)."""

    name: str
    vectors: dict[str, np.ndarray]


def _parse_header(lines: list[str]) -> tuple[str, bool, int, int, list[str]]:
    fields: dict[str, str] = {}
    names: list[str] = []
    in_vars = False
    for line in lines:
        if in_vars:
            parts = line.split()
            if len(parts) >= 3:
                names.append(parts[1].lower())
            continue
        key, _, value = line.partition(":")
        fields[key.strip().lower()] = value.strip()
        if key.strip().lower() == "variables":
            in_vars = True
    try:
        n_vars = int(fields["no. variables"])
        n_points = int(fields["no. points"])
    except (KeyError, ValueError) as exc:
        raise SimulatorError(f"raw file header is incomplete ({exc}); ngspice probably stopped early") from exc
    is_complex = "complex" in fields.get("flags", "")
    return fields.get("plotname", ""), is_complex, n_vars, n_points, names[:n_vars]


def read_raw(path: str) -> list[RawPlot]:
    """Read every plot of the raw file at ``path``."""
    with open(path, "rb") as handle:
        data = handle.read()
    plots: list[RawPlot] = []
    pos = 0
    while pos < len(data):
        header_lines: list[str] = []
        while True:
            end = data.index(b"\n", pos)
            line = data[pos:end].decode("ascii", "replace").rstrip("\r")
            pos = end + 1
            if line.startswith("Binary:") or line.startswith("Values:"):
                binary = line.startswith("Binary:")
                break
            header_lines.append(line)
        name, is_complex, n_vars, n_points, names = _parse_header(header_lines)
        if binary:
            dtype = np.complex128 if is_complex else np.float64
            count = n_vars * n_points
            arr = np.frombuffer(data, dtype=dtype, count=count, offset=pos)
            pos += arr.nbytes
        else:
            arr, pos = _parse_ascii(data, pos, n_vars, n_points, is_complex)
        arr = arr.reshape(n_points, n_vars)
        vectors = {n: np.array(arr[:, i].real if not is_complex else arr[:, i]) for i, n in enumerate(names)}
        plots.append(RawPlot(name=name, vectors=vectors))
        while pos < len(data) and data[pos:pos + 1] in (b"\n", b"\r"):
            pos += 1
    return plots


def _parse_ascii(data: bytes, pos: int, n_vars: int, n_points: int, is_complex: bool):
    values: list[complex] = []
    want = n_vars * n_points
    while len(values) < want:
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        tokens = data[pos:end].split()
        pos = end + 1
        if not tokens:
            continue
        tok = tokens[-1].decode()
        if is_complex:
            re_, im_ = tok.split(",")
            values.append(complex(float(re_), float(im_)))
        else:
            values.append(float(tok))
    return np.asarray(values), pos
