"""hwsim: differentiating-neuron ring oscillators from transistors (ngspice, sky130) to lattices.

One verb per stage, one data type per result (SI units inside: seconds, volts, farads, ohms,
joules)::

    Conditions --characterize--> Characterization         (hwsim.circuit: ngspice via PySpice)
    Recipe     --calibrate-----> ModelCard                 (hwsim.model)
    LatticeSpec --build_lattice--> Lattice                 (hwsim.lattice)
    ModelCard + Lattice + SimConfig --simulate--> LatticeRun
    LatticeRun --analyse--> Analysis                       (hwsim.analysis: sync metrics)
    LatticeRun --estimate_power--> PowerReport
    ModelCard + LatticeSpec --crosscheck--> CrossCheck     (hwsim.checks: transistor vs behaviour)
    PipelineConfig --run_pipeline--> PipelineResult        (hwsim.app: everything + HTML report)

The layers are folders, arrows pointing down only (``hwsim/README.md``; a test keeps them):
``app`` > ``checks`` > ``analysis`` > ``lattice`` > ``model`` > ``circuit``, all over the base
modules ``errors``, ``units``, ``files`` and ``tomlcheck``.

``import hwsim`` stays light: the names below are imported on first use, and PySpice, Brian2,
matplotlib and Dask only inside the modules that own them.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_API = {
    # circuit
    "Conditions": "hwsim.circuit.characterize", "characterize": "hwsim.circuit.characterize",
    "Characterization": "hwsim.circuit.characterize", "render": "hwsim.circuit.netlist",
    "Deck": "hwsim.circuit.netlist", "run_deck": "hwsim.circuit.spice", "SpiceResult": "hwsim.circuit.spice",
    # model
    "ModelCard": "hwsim.model.card", "load_card": "hwsim.model.card", "save_card": "hwsim.model.card",
    "paper_preset": "hwsim.model.card", "Recipe": "hwsim.model.calibrate", "load_recipe": "hwsim.model.calibrate",
    "calibrate": "hwsim.model.calibrate",
    # lattice
    "LatticeSpec": "hwsim.lattice.topology", "Lattice": "hwsim.lattice.topology",
    "build_lattice": "hwsim.lattice.topology", "SimConfig": "hwsim.lattice.simulate",
    "LatticeRun": "hwsim.lattice.simulate", "simulate": "hwsim.lattice.simulate",
    "save_run": "hwsim.lattice.simulate", "load_run": "hwsim.lattice.simulate",
    # analysis
    "Analysis": "hwsim.analysis.study", "analyse": "hwsim.analysis.study",
    "PowerReport": "hwsim.analysis.power", "estimate_power": "hwsim.analysis.power",
    # checks
    "CrossCheck": "hwsim.checks.crosscheck", "crosscheck": "hwsim.checks.crosscheck",
    # app
    "PipelineConfig": "hwsim.app.pipeline", "PipelineResult": "hwsim.app.pipeline",
    "load_config": "hwsim.app.pipeline", "run_pipeline": "hwsim.app.pipeline",
    # errors
    "HwsimError": "hwsim.errors", "InputError": "hwsim.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    """Import a public name on first use (PEP 562)."""
    if name not in _API:
        raise AttributeError(f"module 'hwsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
