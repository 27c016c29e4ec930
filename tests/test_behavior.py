"""The behavioural engine against analytic results: single-neuron firing, the ring period law,
input-combination rules."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from hwsim.errors import InputError
from hwsim.model.behavior import (
    Network,
    behavioural_ring_period,
    input_gains,
    ring_hop_law,
    ring_network,
    simulate_events,
)
from hwsim.model.card import PARAM_SPECS, ModelCard, Parameter, paper_preset

#: The event-driven engine is exact (closed-form exponentials); only floating-point rounding remains.
EXACT_REL = 1e-9


def si_card(**overrides) -> ModelCard:
    values = dict(tau_s=1.05e-6, vdd_v=1.8, v_ol_v=0.0, vt_plus_v=0.9, vt_minus_v=0.25, c_couple_f=1e-12,
                  c_in_f=40e-15, v_clamp_v=1.0, delay_s=0.3e-9)
    values.update(overrides)
    return ModelCard(name="t", parameters={k: Parameter(v, PARAM_SPECS[k].unit) for k, v in values.items()})


def test_single_neuron_fires_for_tau_ln_x_over_vtminus():
    card = si_card()
    net = Network(1, src=[], dst=[], weight=[])
    ev = simulate_events(card, net, 1e-4, kicks=[(1e-6, 0, 1.5)])
    assert list(ev.fired) == [True, False]
    assert ev.time[0] == pytest.approx(1e-6 + 0.3e-9, rel=EXACT_REL)
    assert ev.time[1] - 1e-6 == pytest.approx(1.05e-6 * math.log(1.5 / 0.25) + 0.3e-9, rel=EXACT_REL)


def test_subthreshold_kick_does_not_fire():
    ev = simulate_events(si_card(), Network(1, [], [], []), 1e-4, kicks=[(0.0, 0, 0.89)])
    assert len(ev.time) == 0


@pytest.mark.parametrize("card", [paper_preset(), si_card(), si_card(v_clamp_v=None), si_card(delay_s=50e-9)],
                         ids=["paper", "sky130-like", "no-clamp", "long-delay"])
@pytest.mark.parametrize("n", [3, 4, 5, 8, 10])
def test_ring_period_matches_the_law(card, n):
    period = behavioural_ring_period(card, n)
    assert period == pytest.approx(n * ring_hop_law(card, n), rel=EXACT_REL)


def test_paper_ring_hop_is_about_1_29_tau():
    hops = [ring_hop_law(paper_preset(), n) for n in range(5, 11)]
    assert all(1.285 < h < 1.29 for h in hops), hops  # science.md: "a hop of ... 1.29 RC"
    # N = 3, paper card (a = dV = 1, no clamp, no delay): the hop h solves
    # h = ln(x0 / VT-), x0 = 1 + (VT- e^{-(N-2) h} - 1) e^{-h}; solved here with brentq (~1.317)
    vtm = 0.20
    hop = brentq(lambda h: h - math.log((1 + (vtm * math.exp(-h) - 1) * math.exp(-h)) / vtm), 0.5, 3.0, xtol=1e-14)
    assert ring_hop_law(paper_preset(), 3) == pytest.approx(hop, rel=EXACT_REL)


def test_law_reports_a_dead_ring():
    # a divider so strong that the input edge cannot reach VT+: no sustained pulse
    assert ring_hop_law(si_card(c_in_f=2e-12), 5) is None


def test_rules_single_input_identical():
    card = si_card()
    a = simulate_events(card, ring_network(5), 60e-6, rule="capacitive")
    b = simulate_events(card, ring_network(5), 60e-6, rule="summing")
    assert np.array_equal(a.time, b.time) and np.array_equal(a.neuron, b.neuron)


def test_rules_two_inputs_gains():
    c, c_in, tau = 1e-12, 40e-15, 1.05e-6
    net = Network(3, src=[0, 1], dst=[2, 2], weight=[1.0, 1.0])
    taus, gains = input_gains(si_card(), net, "capacitive")
    assert gains == pytest.approx([c / (2 * c + c_in)] * 2, rel=1e-12)
    assert taus[2] == pytest.approx(tau * (2 * c + c_in) / (c + c_in), rel=1e-12)
    assert taus[0] == pytest.approx(tau, rel=1e-12)  # no inputs: its own C
    taus, gains = input_gains(si_card(), net, "summing")
    assert gains == pytest.approx([c / (c + c_in)] * 2, rel=1e-12) and taus[2] == pytest.approx(tau)


def test_capacitive_half_step_needs_both_inputs():
    """science.md: a shared neuron with two 1 pF inputs fires only when both predecessors' edges
    overlap (each moves x by about half of VDD, below VT+ = 0.9 V)."""
    card = si_card()
    net = Network(3, src=[0, 1], dst=[2, 2], weight=[1.0, 1.0])
    one = simulate_events(card, net, 20e-6, rule="capacitive", kicks=[(0.0, 0, None)])
    assert 2 not in set(one.neuron[one.fired])
    both = simulate_events(card, net, 20e-6, rule="capacitive", kicks=[(0.0, 0, None), (0.0, 1, None)])
    assert 2 in set(both.neuron[both.fired])
    summing = simulate_events(card, net, 20e-6, rule="summing", kicks=[(0.0, 0, None)])
    assert 2 in set(summing.neuron[summing.fired])


def test_gate_rule_fires_when_the_last_input_returns_to_rest():
    """Gate rule, analytic: predecessors 0 and 1 kicked at 0 and 0.4 tau (x = VDD) return to rest
    at tau ln(VDD/VT-) (+ delay) after their kicks; the AND gate rises only with the later one, so
    neuron 2 fires exactly one delay after neuron 1's output rise (its x: the gate's fall pushed
    it to -g dV, clamped, decayed; the rise adds g dV > VT+). Under the summing rule it fires on
    the earlier rise."""
    card = si_card()
    tau, vdd, vtm, delay = (card.value(k) for k in ("tau_s", "vdd_v", "vt_minus_v", "delay_s"))
    net = Network(3, src=[0, 1], dst=[2, 2], weight=[1.0, 1.0])
    kicks = [(0.0, 0, None), (0.4 * tau, 1, None)]
    rest = {i: t0 + tau * math.log(vdd / vtm) + delay for t0, i, _ in kicks}
    gate = simulate_events(card, net, 6 * tau, rule="gate", kicks=kicks)
    onsets = gate.time[gate.fired & (gate.neuron == 2)]
    assert len(onsets) == 1 and onsets[0] == pytest.approx(rest[1] + delay, rel=EXACT_REL)
    summing = simulate_events(card, net, 6 * tau, rule="summing", kicks=kicks)
    assert summing.time[summing.fired & (summing.neuron == 2)][0] == pytest.approx(rest[0] + delay, rel=EXACT_REL)
    taus, gains = input_gains(card, net, "gate")  # one capacitor, as a ring neuron's
    assert np.allclose(gains, 1e-12 / (1e-12 + 40e-15), rtol=1e-12) and np.allclose(taus, tau, rtol=1e-12)


def test_gate_rule_refuses_mixed_weights():
    net = Network(3, src=[0, 1], dst=[2, 2], weight=[1.0, 0.3])
    with pytest.raises(InputError, match="neuron 2 has inputs of different weights .0.3 and 1.; the AND gate"):
        input_gains(si_card(), net, "gate")


def test_bad_rule_and_network():
    with pytest.raises(InputError, match="unknown input-combination rule 'magic'"):
        input_gains(si_card(), ring_network(3), "magic")
    with pytest.raises(InputError, match="at least 2 neurons"):
        ring_network(1)
    with pytest.raises(InputError, match="endpoints must lie in 0..2"):
        Network(3, src=[0], dst=[3], weight=[1.0])
    with pytest.raises(InputError, match="weights must be finite and > 0"):
        Network(3, src=[0], dst=[1], weight=[0.0])
