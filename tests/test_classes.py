"""Neuron classes (hwsim.model.classes): lattices whose private and shared neurons have their own
cards, in every engine. Numpy, numba and Brian2 bit-identical; the compiled event engine against the
pure-Python exact engine; a ring of one class against that card's ring period law."""

import dataclasses

import numpy as np
import pytest

from hwsim.errors import InputError
from hwsim.lattice.brian import run_brian
from hwsim.lattice.compiled import run_numba
from hwsim.lattice.engine import discretise, initial_state, run_numpy
from hwsim.lattice.exact import run_events
from hwsim.lattice.simulate import initial_conditions
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.behavior import ring_hop_law, ring_network, simulate_events
from hwsim.model.card import card_from_dict, load_card
from hwsim.model.classes import NeuronClasses, shared_classes

from tolerances import EXACT_ENGINE_REL

SKY = load_card("sky130_tt")
PAPER = load_card("paper")


def variant(card, name: str, **values):
    """``card`` with some parameter values replaced (a second class's card)."""
    data = card.to_dict()
    data["name"] = name
    for key, value in values.items():
        data["parameters"][key]["value"] = value
    return card_from_dict(data)


#: A shared-neuron card unlike the ring card in every parameter a class may change.
SHARED = variant(SKY, "shared", vt_plus_v=0.87, vt_minus_v=0.26, tau_s=1.08e-6, c_in_f=5e-14,
                 v_clamp_v=0.95, delay_s=2e-9)

SPECS = [
    LatticeSpec(geometry="square", nx=4, ny=4, shared=1, orientation="alternating", rule="gate"),
    LatticeSpec(geometry="triangular", nx=4, ny=4, shared=1, rule="gate"),
    LatticeSpec(geometry="square", nx=4, ny=4, shared=1, orientation="alternating", rule="summing"),
    LatticeSpec(geometry="square", nx=4, ny=4, shared=0, rule="capacitive", coupling_weight=0.3),
]


def _classes(lattice, shared=SHARED):
    net = lattice.network
    return shared_classes(SKY, shared, np.bincount(net.dst, minlength=net.n_neurons))


@pytest.mark.parametrize("spec", SPECS, ids=[f"{s.geometry}-{s.rule}" for s in SPECS])
def test_clock_engines_bit_identical_with_two_classes(spec):
    """numpy, numba and Brian2 (numpy target) give the same events and final x, bit for bit, when
    shared neurons have their own thresholds, tau, input capacitance and clamp."""
    lattice = build_lattice(spec)
    classes = _classes(lattice)
    assert classes.counts()["shared"] > 0 and classes.counts()["private"] > 0
    d = discretise(classes, lattice.network, spec.rule, SKY.value("tau_s") / 100)
    assert np.ndim(d.vt_plus) == 1 and np.ndim(d.divider) == 1, "the classes did not reach the engine"
    x0, f0 = initial_conditions(SKY, lattice, "random_pulse", 5)
    reference, final = run_numpy(d, initial_state(d, x0, f0), 2000)
    assert len(reference) > 100, "the lattice went quiet: a weak comparison"
    for engine in (run_numba, lambda *a: run_brian(*a, target="numpy")):
        events, state = engine(d, initial_state(d, x0, f0), 2000)
        assert events.equals(reference) and np.array_equal(state.x, final.x)


def test_classes_change_what_the_clock_engine_does():
    """The control: the same lattice with one card gives other events (the classes matter)."""
    spec = SPECS[0]
    lattice = build_lattice(spec)
    x0, f0 = initial_conditions(SKY, lattice, "random_pulse", 5)
    runs = []
    for card in (SKY, _classes(lattice)):
        d = discretise(card, lattice.network, spec.rule, SKY.value("tau_s") / 100)
        runs.append(run_numpy(d, initial_state(d, x0, f0), 2000)[0])
    assert not runs[0].equals(runs[1])


@pytest.mark.parametrize("rule", ["gate", "capacitive", "summing"])
def test_event_engine_matches_python_with_two_classes(rule):
    """3 x 3 open square lattice, shared neurons with their own card (including a 2 ns delay
    against the ring card's 0.3 ns, so output edges are queued out of decision order): the
    compiled event engine and the pure-Python exact engine give the same neurons and kinds, times
    within EXACT_ENGINE_REL."""
    coupling = 0.3 if rule == "capacitive" else 0.0
    lattice = build_lattice(LatticeSpec(geometry="square", nx=3, ny=3, shared=1, boundary="open", rule=rule,
                                        coupling_weight=coupling))
    net, classes = lattice.network, _classes(lattice)
    kicked = np.unique(lattice.rings[:, :2])  # private and shared neurons among them
    assert len(np.unique(classes.index[kicked])) == 2
    x0 = np.zeros(net.n_neurons)
    x0[kicked] = SKY.value("vdd_v")
    t_stop = 150 * SKY.value("tau_s")
    ref = simulate_events(classes, net, t_stop, rule, kicks=[(0.0, int(i), None) for i in kicked])
    events, _ = run_events(classes, net, rule, x0, np.zeros(net.n_neurons), t_stop)
    assert len(ref) > 50 and len(events) == len(ref)
    assert np.array_equal(events.neuron, ref.neuron) and np.array_equal(events.kind, ref.kind)
    assert np.allclose(events.time, ref.time, rtol=EXACT_ENGINE_REL, atol=0)
    one_card = simulate_events(SKY, net, t_stop, rule, kicks=[(0.0, int(i), None) for i in kicked])
    assert len(one_card) != len(ref) or not np.allclose(one_card.time, ref.time, rtol=1e-6)


def test_event_engine_orders_edges_of_different_delays():
    """Two unconnected neurons fired at t = 0: class 0 with delay 0.5 tau, class 1 with 0.05 tau.
    Their output edges must come out in time order (0.05 before 0.5), exactly."""
    slow, fast = variant(PAPER, "slow", delay_s=0.5), variant(PAPER, "fast", delay_s=0.05)
    net = dataclasses.replace(ring_network(2), src=np.zeros(0, int), dst=np.zeros(0, int), weight=np.zeros(0))
    classes = NeuronClasses(cards=(slow, fast), index=np.array([0, 1]), names=("slow", "fast"))
    events, _ = run_events(classes, net, "capacitive", np.array([1.0, 1.0]), np.zeros(2), 1.0)
    fired = events.kind > 0
    assert list(events.neuron[fired]) == [1, 0]
    assert np.allclose(events.time[fired], [0.05, 0.5], rtol=0, atol=1e-15)


@pytest.mark.parametrize("engine", ["event", "python"])
def test_a_ring_of_one_class_follows_that_cards_period_law(engine):
    """A 6-ring whose neurons all use the second class: the period is the second card's ring law
    (not the first card's), to EXACT_ENGINE_REL."""
    n = 6
    classes = NeuronClasses(cards=(SKY, SHARED), index=np.ones(n, int), names=("private", "shared"))
    t_stop = 40 * n * SKY.value("tau_s")
    if engine == "event":
        x0 = np.zeros(n)
        x0[0] = SKY.value("vdd_v")
        events, _ = run_events(classes, ring_network(n), "capacitive", x0, np.zeros(n), t_stop)
    else:
        events = simulate_events(classes, ring_network(n), t_stop, "capacitive")
    period = np.diff(events.onsets(0))[-5:]
    law = n * ring_hop_law(SHARED, n)
    assert abs(law / (n * ring_hop_law(SKY, n)) - 1) > 0.005, "the two cards should give different periods"
    assert np.allclose(period, law, rtol=EXACT_ENGINE_REL, atol=0)


def test_classes_refuse_two_supplies():
    """Cards of one lattice share the supply: a 1.62 V card beside a 1.8 V one is refused by name."""
    low = variant(SKY, "low_supply", vdd_v=1.62)
    with pytest.raises(InputError, match="vdd_v = 1.62 V.*one supply"):
        NeuronClasses(cards=(SKY, low), index=np.array([0, 1]), names=("private", "shared"))


def test_gate_card_from_the_gate_bench():
    """ngspice, sky130 tt: the AND2 gate's supply delivers about C VDD^2 per output pulse (it holds
    the coupling capacitor's input side at VDD while x decays back to ~0 through R: charge C VDD;
    5 % for the gate's crowbar, the Schmitt input capacitance and the 0.2 RC after the fall), and
    the neuron behind the gate fires 0-0.5 ns later than one driven directly (the gate's delay,
    tens to hundreds of ps in sky130). The card carries both; nothing else changes."""
    from hwsim.model.calibrate import gate_card

    shared = gate_card(SKY)
    gate = shared.fit["gate_step"]
    c_vdd2 = SKY.value("c_couple_f") * SKY.value("vdd_v") ** 2
    assert abs(shared.energy["e_gate_cycle_j"] / c_vdd2 - 1) < 0.05
    assert 0 < gate["delay_added_s"] < 0.5e-9 and 0 < gate["gate_delay_s"] < 1e-9
    assert shared.value("delay_s") == pytest.approx(SKY.value("delay_s") + gate["delay_added_s"], rel=1e-12)
    assert shared.name == "sky130_tt_and2"
    for key in ("tau_s", "vt_plus_v", "vt_minus_v", "c_in_f", "v_clamp_v"):
        assert shared.value(key) == SKY.value(key)
