"""Typed hwsim errors. Each carries an exit code for the CLI and a message that says what to change.

Exit codes (see ``hwsim --help``): 0 ok, 1 check failed, 2 bad input, 3 missing simulator or
dependency.
"""

from __future__ import annotations

__all__ = [
    "HwsimError",
    "InputError",
    "NetlistError",
    "UnknownParamError",
    "MissingDependencyError",
    "SimulatorNotFoundError",
    "PdkNotFoundError",
    "ModelLibraryError",
    "MalformedNetlistError",
    "SimulatorError",
    "ConvergenceError",
    "SimulationTimeout",
    "MeasurementError",
]


class HwsimError(Exception):
    """Base class of every error hwsim raises on purpose."""

    exit_code = 1


class InputError(HwsimError, ValueError):
    """The user asked for something impossible (bad option value, bad file)."""

    exit_code = 2


class NetlistError(InputError):
    """A netlist cannot be rendered or ngspice rejected it as malformed."""


class UnknownParamError(NetlistError):
    """A ``.param`` override names a parameter the netlist does not declare."""


class MissingDependencyError(HwsimError):
    """A required external program, library or data package is not installed."""

    exit_code = 3


class SimulatorNotFoundError(MissingDependencyError):
    """ngspice (the program or its shared library) is not installed."""


class PdkNotFoundError(MissingDependencyError):
    """The sky130 models are not installed or not linked into ``netlists/devices``."""


class SimulatorError(HwsimError):
    """ngspice failed. Carries the deck, the tail of ngspice's log and its version."""

    exit_code = 1

    def __init__(self, message: str, *, deck: str = "", log: str = "", version: str = "",
                 hint: str = "") -> None:
        self.deck = deck
        self.log = log
        self.version = version
        self.hint = hint
        text = message
        if hint:
            text += f"\n  how to fix: {hint}"
        if version:
            text += f"\n  simulator: {version}"
        if log:
            tail = "\n".join(log.strip().splitlines()[-25:])
            text += "\n  ngspice log (tail):\n    " + tail.replace("\n", "\n    ")
        super().__init__(text)


class ConvergenceError(SimulatorError):
    """The transient analysis did not converge ("timestep too small" and the like)."""


class MalformedNetlistError(SimulatorError):
    """ngspice rejected the netlist (syntax, unknown subcircuit/model/parameter, bad node)."""

    exit_code = 2


class ModelLibraryError(SimulatorError):
    """A ``.lib``/``.include`` file or model that a netlist needs does not exist."""

    exit_code = 3


class SimulationTimeout(SimulatorError):
    """A run exceeded its wall-clock timeout and was killed."""


class MeasurementError(HwsimError):
    """A waveform does not show the feature asked for (no crossing, no oscillation, ...)."""
