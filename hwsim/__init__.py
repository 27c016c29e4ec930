"""hwsim: differentiating-neuron ring oscillators from transistors (ngspice, sky130) to lattices.

``import hwsim`` stays light: PySpice, Brian2 and matplotlib are imported only inside the adapter
modules that own them (:mod:`hwsim.spice`'s worker, the Brian2 and plotting adapters).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
