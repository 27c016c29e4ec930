"""Switching events: the one record of what neurons did, for every engine.

An :class:`Events` holds output edges in time order: ``time`` (in the card's time unit: seconds
for SI cards, tau for the normalised paper card), ``neuron`` and ``kind`` (+1: the output fell,
the neuron started firing; -1: it returned to rest). Clock-driven engines also keep ``step``, the
integer step after which the edge happened (``time = (step + 1) dt``), so two engines can be
compared bit for bit; the exact event-driven engine has no step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Events"]


@dataclass(frozen=True, eq=False)
class Events:
    """Output edges sorted by time (then neuron); see the module docstring for the units."""

    time: np.ndarray
    neuron: np.ndarray
    kind: np.ndarray
    step: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.neuron)

    @property
    def fired(self) -> np.ndarray:
        """True where the edge is a firing onset."""
        return self.kind > 0

    @property
    def n_firings(self) -> int:
        """How many firing onsets there are."""
        return int(np.count_nonzero(self.kind > 0))

    def onsets(self, neuron: int) -> np.ndarray:
        """Firing-onset times of ``neuron`` (card time unit), in order."""
        return self.time[(self.neuron == neuron) & (self.kind > 0)]

    def onsets_of(self, neurons: Sequence[int] | np.ndarray) -> list[np.ndarray]:
        """Firing-onset times of each of ``neurons``, in one pass over the events."""
        mask = self.kind > 0
        t, nn = self.time[mask], self.neuron[mask]
        order = np.argsort(nn, kind="stable")  # stable: times stay in order within a neuron
        t, nn = t[order], nn[order]
        wanted = np.asarray(neurons)
        starts, ends = np.searchsorted(nn, wanted), np.searchsorted(nn, wanted, side="right")
        return [t[a:b] for a, b in zip(starts, ends)]

    def bins(self, dt: float) -> np.ndarray:
        """Each edge's step on a grid of ``dt``: the engine's own step, else the step k with
        k dt < time <= (k + 1) dt (the exact engine's times placed on a clock grid)."""
        if self.step is not None:
            return self.step
        return np.maximum(np.ceil(self.time / dt).astype(np.int64) - 1, 0)

    def equals(self, other: Events) -> bool:
        """Identical edges: same steps where both have them, else the same times; same neurons and kinds."""
        same_when = (np.array_equal(self.step, other.step) if self.step is not None and other.step is not None
                     else np.array_equal(self.time, other.time))
        return same_when and np.array_equal(self.neuron, other.neuron) and np.array_equal(self.kind, other.kind)

    @staticmethod
    def from_steps(step: np.ndarray, neuron: np.ndarray, kind: np.ndarray, dt: float) -> Events:
        """Events of a clock-driven engine with time step ``dt``, sorted by (step, neuron)."""
        step, neuron, kind = np.asarray(step), np.asarray(neuron), np.asarray(kind)
        d_step, d_neuron = np.diff(step), np.diff(neuron)
        if not np.all((d_step > 0) | ((d_step == 0) & (d_neuron > 0))):  # the compiled engine's come sorted
            order = np.lexsort((neuron, step))
            step, neuron, kind = step[order], neuron[order], kind[order]
        step = step.astype(np.int64)
        return Events(time=(step + 1) * dt, neuron=neuron.astype(np.int32), kind=kind.astype(np.int8), step=step)

    @staticmethod
    def from_parts(parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], dt: float) -> Events:
        """:meth:`from_steps` of concatenated (step, neuron, kind) chunks (none: no events)."""
        if not parts:
            return Events.from_steps(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int8), dt)
        return Events.from_steps(*(np.concatenate(p) for p in zip(*parts)), dt=dt)
