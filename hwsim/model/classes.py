"""Neuron classes: a lattice whose neurons are not all the same circuit, each class with its own card.

In a buildable shared lattice (gate rule) the *private* neurons are the plain cell and the *shared*
ones (two or more predecessors) have an AND gate in front: a different circuit, so a different
card (calibrated from a bench that includes the gate, e.g. its delay in ``delay_s``).
:class:`NeuronClasses` says which card each neuron uses; every engine takes one in place of a
card. What may differ between classes: tau_s, vt_plus_v, vt_minus_v, c_couple_f, c_in_f (the
gains and the divider), v_clamp_v and delay_s. What may not: the supply (vdd_v) and the output
low level (v_ol_v), since all neurons sit on one supply and drive their outputs with the same
inverter; they must agree within :data:`SUPPLY_TOLERANCE` of vdd, and the engines use the first
class's values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.errors import InputError
from hwsim.model.card import ModelCard

__all__ = ["NeuronClasses", "as_classes", "per_neuron", "shared_classes", "SUPPLY_TOLERANCE"]

#: Largest difference of vdd_v or v_ol_v between classes, as a fraction of the first class's vdd_v.
SUPPLY_TOLERANCE = 0.01


@dataclass(frozen=True)
class NeuronClasses:
    """Neuron i uses ``cards[index[i]]``; ``names`` labels the classes (e.g. private, shared)."""

    cards: tuple[ModelCard, ...]
    index: np.ndarray
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", np.asarray(self.index, np.int64))
        if not self.cards or len(self.names) != len(self.cards):
            raise InputError("neuron classes: need one name per card and at least one card")
        if len(self.index) and (self.index.min() < 0 or self.index.max() >= len(self.cards)):
            raise InputError(f"neuron classes: class indices must lie in 0..{len(self.cards) - 1}")
        vdd = self.cards[0].value("vdd_v")
        for card, name in zip(self.cards[1:], self.names[1:]):
            for field in ("vdd_v", "v_ol_v"):
                a, b = self.cards[0].value(field), card.value(field)
                if abs(a - b) > SUPPLY_TOLERANCE * vdd:
                    raise InputError(
                        f"neuron classes: card {card.name!r} ({name}) has {field} = {b:g} V, card "
                        f"{self.cards[0].name!r} ({self.names[0]}) {a:g} V; all neurons share one supply and "
                        f"output stage, so these must agree within {100 * SUPPLY_TOLERANCE:g} % of vdd_v "
                        "(calibrate both cards at the same VDD)")

    @property
    def card(self) -> ModelCard:
        """The reference card (first class): supply, output levels, time unit."""
        return self.cards[0]

    @property
    def n(self) -> int:
        """Number of neurons."""
        return len(self.index)

    def counts(self) -> dict[str, int]:
        """Neurons per class name."""
        return {name: int(np.sum(self.index == k)) for k, name in enumerate(self.names)}


def as_classes(card: ModelCard | NeuronClasses, n: int) -> NeuronClasses:
    """``card`` as classes of ``n`` neurons (one card: one class); checks the neuron count."""
    if isinstance(card, NeuronClasses):
        if card.n != n:
            raise InputError(f"neuron classes cover {card.n} neurons, the network has {n}")
        return card
    return NeuronClasses(cards=(card,), index=np.zeros(n, np.int64), names=(card.name,))


def per_neuron(classes: NeuronClasses, field: str, none_as: float | None = None) -> float | np.ndarray | None:
    """The card parameter ``field`` per neuron: a plain float when every class in use has the same
    value (so one-card runs keep scalar constants), else an array. A ``None`` value (no clamp) is
    ``None`` when all are, else ``none_as``."""
    used = np.unique(classes.index) if classes.n else np.array([0])
    values = [classes.cards[k].value(field) for k in used]
    if all(v is None for v in values):
        return None
    values = [none_as if v is None else float(v) for v in values]
    if all(v == values[0] for v in values):
        return values[0]
    table = np.zeros(len(classes.cards))
    table[used] = values
    return table[classes.index]


def shared_classes(private: ModelCard, shared: ModelCard, in_degree: np.ndarray) -> NeuronClasses:
    """Two classes: neurons with two or more predecessors (``in_degree`` per neuron) use ``shared``
    (the cell behind an AND gate), the others ``private``."""
    index = (np.asarray(in_degree) >= 2).astype(np.int64)
    return NeuronClasses(cards=(private, shared), index=index, names=("private", "shared"))
