"""Lattice reservoirs: domain size in the reservoir's own model (hwsim.app.reservoir.reservoir_domains)
and the energy of AND-gate reservoirs (one capacitor charge per gate pulse, the gates' leakage)."""

import numpy as np
import pytest

from hwsim.app.reservoir import ReservoirConfig, capacitor_charges, evaluate, reservoir_domains
from hwsim.lattice.reservoir import ReservoirSpec, build_reservoir

SQUARE_3X3 = dict(geometry="square", nx=3, ny=3, ring_size=6, shared=1, orientation="alternating", boundary="open",
                  seed=2, t_stop=20.0, warmup=5.0, p=0.3)


def test_uncoupled_rings_keep_their_random_phases():
    """Rings without links (eps = 0) are independent identical oscillators: their phase differences
    never change, so xi is the same at 10 and 100 tau (to 1e-9) and below one ring (random phases:
    the correlation at distance 1 is already below 1/e), and nothing spans."""
    d = reservoir_domains(build_reservoir(ReservoirSpec(geometry="square", nx=6, ny=6, ring_size=6, shared=0,
                                                        eps=0.0, seed=1)))
    assert d["times_tau"] == [10.0, 100.0] and d["lattice_rings"] == 36
    assert d["xi_pattern"][0] == pytest.approx(d["xi_pattern"][1], abs=1e-9)
    assert 0.3 < d["xi_pattern"][0] < 1.0 and d["capped_fraction"] == [0.0, 0.0]


def test_a_long_warmed_gate_lattice_is_one_domain():
    """Control: 6-rings sharing one neuron behind AND gates, 300 tau of warmup, lock into one
    pattern domain: every image's xi is capped at the largest distance of the 6 x 6 periodic
    lattice (3 rings)."""
    d = reservoir_domains(build_reservoir(ReservoirSpec(geometry="square", nx=6, ny=6, ring_size=6, shared=1,
                                                        rule="gate", warmup=300.0, seed=1)))
    assert d["capped_fraction"] == [1.0, 1.0] and d["xi_pattern"] == [3.0, 3.0]


def test_the_small_world_has_no_lattice_domains():
    assert reservoir_domains(build_reservoir(ReservoirSpec(n_rings=10))) is None


def test_capacitor_charges_per_firing():
    """3 x 3 open square sharing one neuron (12 shared neurons with two inputs of weight 1). Summing
    rule: a firing charges one capacitor per output edge, n + 12 in all. Gate rule: one capacitor per
    neuron, n in all: a shared neuron's capacitor is booked to its own firings, a private one's to its
    predecessor's."""
    summing = build_reservoir(ReservoirSpec(**SQUARE_3X3))
    gate = build_reservoir(ReservoirSpec(**SQUARE_3X3, rule="gate"))
    n = summing.n_neurons
    assert capacitor_charges(summing).sum() == n + 12
    fan_in = np.diff(gate.ptr)
    charges = capacitor_charges(gate)
    assert charges.sum() == n and (fan_in == 2).sum() == 12
    # independently, from the lattice's edge list: per source, its successors with one input, plus
    # 1 for its own gated capacitor
    from hwsim.lattice.topology import build_lattice

    net = build_lattice(ReservoirSpec(**SQUARE_3X3, rule="gate").lattice_spec()).network
    deg = np.bincount(net.dst, minlength=n)
    expect = np.bincount(net.src[deg[net.dst] == 1], minlength=n) + (deg > 1)
    assert np.array_equal(charges, expect) and set(charges[fan_in == 2]) == {2.0, 3.0}


def test_gate_reservoir_energy_counts_the_gates():
    """A digits run of the gate lattice: the energy row names the 12 AND gates and the gate card's
    leakage, and the static energy is (neuron static x n + gate static x 12) x the image time."""
    from hwsim.model.card import load_card

    config = ReservoirConfig(name="gate", spec=ReservoirSpec(**SQUARE_3X3, rule="gate"), dataset="digits",
                             n_train=40, n_test=20)
    e = evaluate(config)["energy"][0]
    p_gate = load_card("sky130_tt_and2").energy["p_gate_static_w"]
    p_neuron = load_card("sky130_tt").energy["p_static_w"]
    assert e["and_gates"] == 12 and e["p_gate_static_w"] == p_gate > 0
    n = build_reservoir(config.spec).n_neurons
    assert e["static_j"] == pytest.approx((p_neuron * n + p_gate * 12) * e["image_time_s"], rel=1e-12)


def test_gate_energy_without_a_gate_card_says_what_is_missing():
    """sky130_keeper_tt has no AND-gate card: the gate lattice's energy row carries no gate leakage
    (p_gate_static_w None, static energy = neuron static x n x image time) and a note that names the
    missing card, which the summary page repeats; a card with a gate card gets no note."""
    from hwsim.app.reservoir import summary_markdown
    from hwsim.model.card import load_card

    config = ReservoirConfig(name="gate", spec=ReservoirSpec(**SQUARE_3X3, rule="gate"), dataset="digits",
                             n_train=40, n_test=20, cards=("sky130_keeper_tt", "sky130_tt"))
    result = evaluate(config)
    keeper, tt = result["energy"]
    n = build_reservoir(config.spec).n_neurons
    assert keeper["p_gate_static_w"] is None and keeper["and_gates"] == 12
    p_neuron = load_card("sky130_keeper_tt").energy["p_static_w"]
    assert keeper["static_j"] == pytest.approx(p_neuron * n * keeper["image_time_s"], rel=1e-12)
    assert len(keeper["notes"]) == 1 and "sky130_keeper_tt_and2" in keeper["notes"][0] and tt["notes"] == []
    assert "Note (sky130_keeper_tt): the 12 AND gates' leakage is not counted" in summary_markdown(result, [])
