"""The transistor-level twin of a behavioural lattice, as both checks run it.

:func:`run_spice_lattice` turns a :class:`~hwsim.lattice.topology.Lattice` into a netlist of the
card's own cell (same device library, corner, VDD, temperature, R, C, clamp; one coupling capacitor
per input, so the circuit combines inputs capacitively; or, for the gate rule, an AND gate in front
of every shared neuron's one capacitor), kicks one neuron of every ring
(:func:`~hwsim.lattice.topology.kick_neurons`) with a current pulse of charge 2 C VDD at t = RC, and
runs ngspice. :data:`MAX_RINGS` bounds the size for every caller (CLI, pipeline, library)."""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.errors import InputError
from hwsim.lattice.topology import Lattice, LatticeSpec, kick_neurons
from hwsim.model.card import ModelCard

__all__ = ["MAX_RINGS", "SpiceLattice", "check_spice_size", "run_spice_lattice"]

#: Largest transistor-level lattice the checks run, in rings: 36 six-rings (216 neurons, ~2 600
#: MOSFETs) take tens of minutes in ngspice on one core; bigger belongs to the behavioural engines.
MAX_RINGS = 36


@dataclass(frozen=True)
class SpiceLattice:
    """One ngspice run of a lattice: its conditions, the result (``o<i>``, ``x<i>``, ``i(vdd)``
    vectors), the kicked neurons and the kick time ``kick_at_s`` (s; SPICE time = behavioural
    time + kick_at_s)."""

    conditions: object
    result: object
    kicks: tuple[int, ...]
    kick_at_s: float


def check_spice_size(spec: LatticeSpec, n_rings: int) -> None:
    """:class:`InputError` when a lattice of ``n_rings`` rings is too large for ngspice."""
    if n_rings > MAX_RINGS:
        raise InputError(f"a {spec.geometry} {spec.nx} x {spec.ny} lattice has {n_rings} rings, too many for a "
                         f"transistor-level run; use at most {MAX_RINGS} rings (e.g. nx = ny = 2)")


def run_spice_lattice(card: ModelCard, lattice: Lattice, t_after_kick_s: float, *, name: str,
                      backend: str = "shared", timeout_s: float = 1800.0,
                      kicks: tuple[tuple[int, float], ...] | None = None, vdd_v: float | None = None,
                      corner: str | None = None, mismatch_seed: int | None = None) -> SpiceLattice:
    """Run ``lattice`` at transistor level with ``card``'s cell and conditions until
    ``t_after_kick_s`` seconds after the kick; ``timeout_s``: ngspice wall-clock limit (s).
    ``kicks``: (neuron, delay in s after ``kick_at_s``) pairs instead of the default (one neuron
    per ring, :func:`~hwsim.lattice.topology.kick_neurons`, all at ``kick_at_s``). ``vdd_v`` (V) and
    ``corner`` replace the card's; ``mismatch_seed`` switches on sky130's device mismatch with that
    seed (robustness checks: the card then no longer describes the circuit exactly)."""
    from hwsim.circuit.characterize import Conditions
    from hwsim.circuit.netlist import BENCH_DIR, graph_netlist
    from hwsim.circuit.spice import run_deck

    if card.normalised:
        raise InputError(f"card {card.name!r} is normalised; a transistor-level run needs an SI card "
                         "(e.g. sky130_tt)")
    spec = lattice.spec
    if spec.rule not in ("capacitive", "gate"):
        raise InputError(f"the {spec.rule} rule has no circuit in hwsim: a transistor-level lattice combines inputs "
                         "capacitively (rule='capacitive') or through AND gates (rule='gate')")
    check_spice_size(spec, lattice.n_rings)
    overrides = {k: v for k, v in (("vdd_v", vdd_v), ("corner", corner)) if v is not None}
    cond = Conditions.of_card(card.conditions, **overrides, backend=backend, timeout_s=timeout_s)
    kicks = tuple((int(k), 0.0) for k in kick_neurons(lattice)) if kicks is None else kicks
    kick_at = cond.rc_s
    net = lattice.network
    text = graph_netlist(lattice.n_neurons, net.src, net.dst, net.weight, kicks=[k for k, _ in kicks],
                         kick_delays=[d for _, d in kicks], clamp=cond.clamp,
                         library=cond.library, corner=cond.corner, gate=spec.rule == "gate",
                         title=f"{name}: {spec.geometry} {spec.nx}x{spec.ny} lattice, shared={spec.shared}")
    deck = cond.render(BENCH_DIR, text=text, name=name, params={
        **cond.params(), "kick_q": 2 * cond.c_f * cond.vdd_v, "kick_t": cond.rc_s / 10, "kick_at": kick_at,
        "t_stop": kick_at + t_after_kick_s, "t_step": cond.t_step_s})
    if mismatch_seed is not None:
        from hwsim.circuit.netlist import with_mismatch

        deck = with_mismatch(deck, mismatch_seed)
    return SpiceLattice(conditions=cond, result=run_deck(deck, backend=backend, timeout_s=timeout_s),
                        kicks=tuple(k for k, _ in kicks), kick_at_s=kick_at)
