"""Lattice engines: Brian2 against the independent numpy engine, the period law, seeds, I/O."""

import numpy as np
import pytest

from hwsim.errors import InputError
from hwsim.lattice.engine import discretise, initial_state, run_numpy
from hwsim.lattice.simulate import SimConfig, load_run, save_run, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.behavior import ring_hop_law
from hwsim.model.card import load_card

PAPER = load_card("paper")

#: 20 x 20 lattices of 6-neuron rings, 200 tau: every geometry, at least two sharing schemes each.
EQUIVALENCE = [
    LatticeSpec(geometry="square", nx=20, ny=20, shared=1, orientation="uniform", rule="summing"),
    LatticeSpec(geometry="square", nx=20, ny=20, shared=0, coupling_weight=0.3, rule="summing"),
    LatticeSpec(geometry="square", nx=20, ny=20, shared=1, orientation="alternating", rule="capacitive"),
    LatticeSpec(geometry="honeycomb", nx=20, ny=20, shared=0, coupling_weight=0.3, rule="summing"),
    LatticeSpec(geometry="honeycomb", nx=20, ny=20, shared=1, rule="capacitive"),
    LatticeSpec(geometry="triangular", nx=20, ny=20, shared=1, rule="summing"),
    LatticeSpec(geometry="triangular", nx=20, ny=20, shared=2, orientation="alternating", rule="summing"),
    LatticeSpec(geometry="smallworld", nx=20, ny=20, shared=0, coupling_weight=0.2, rule="summing", sw_k=4, sw_p=0.1),
    LatticeSpec(geometry="square", nx=20, ny=20, shared=1, orientation="alternating", rule="gate"),
    LatticeSpec(geometry="triangular", nx=20, ny=20, shared=1, rule="gate"),
]


@pytest.mark.parametrize("spec", EQUIVALENCE,
                         ids=[f"{s.geometry}-s{s.shared}-{s.orientation}-{s.rule}" for s in EQUIVALENCE])
@pytest.mark.brian2_compiled
def test_brian_cython_and_numpy_give_identical_events(spec):
    reference = simulate(PAPER, spec, SimConfig(duration_tau=200, seed=7, engine="numpy"))
    brian = simulate(PAPER, spec, SimConfig(duration_tau=200, seed=7, engine="brian", target="cython"))
    assert len(reference.events.step) > 500, "the lattice went quiet: a weak comparison"
    assert brian.events.equals(reference.events)
    assert np.array_equal(brian.final_x, reference.final_x)


@pytest.mark.brian2_compiled
def test_brian_numpy_target_and_standalone_identical():
    spec = LatticeSpec(geometry="triangular", nx=6, ny=6, shared=1, rule="summing")
    ref = simulate(PAPER, spec, SimConfig(duration_tau=60, seed=1, engine="numpy"))
    for target in ("numpy", "cpp_standalone"):
        run = simulate(PAPER, spec, SimConfig(duration_tau=60, seed=1, engine="brian", target=target))
        assert run.events.equals(ref.events), target
    # same topology, new initial state: cpp_standalone reuses its build through run_args
    ref2 = simulate(PAPER, spec, SimConfig(duration_tau=60, seed=2, engine="numpy"))
    run2 = simulate(PAPER, spec, SimConfig(duration_tau=60, seed=2, engine="brian", target="cpp_standalone"))
    assert run2.events.equals(ref2.events) and not ref2.events.equals(ref.events)


@pytest.mark.parametrize("n", [3, 5, 6, 8])
def test_uncoupled_ring_period_follows_the_law(n):
    """Discrete engine (dt = 0.01 tau) vs the exact law T = N h: a hop ends at a step boundary, so
    each hop may be up to one step late: |T - N h| <= N dt."""
    spec = LatticeSpec(geometry="square", nx=3, ny=3, ring_size=n, shared=0)
    run = simulate(PAPER, spec, SimConfig(duration_tau=40 * n, init="kick", engine="numpy"))
    lat = build_lattice(spec)
    neuron = lat.rings[4][0]
    onsets = run.times()[(run.events.neuron == neuron) & (run.events.kind > 0)]
    period = np.median(np.diff(onsets)[2:])
    law = n * ring_hop_law(PAPER, n)
    assert abs(period - law) <= n * run.dt + 1e-12, (period, law)


def test_paper_update_matches_the_published_recursion():
    """The summing rule with the paper card is the authors' update, written out here from
    science.md: u = W o; v_c = a v_c + (1 - a) u; x = u - v_c; Schmitt."""
    lat = build_lattice(LatticeSpec(geometry="square", nx=4, ny=4, shared=1, rule="summing"))
    dt = 0.01
    d = discretise(PAPER, lat.network, "summing", dt)
    x0 = np.zeros(lat.n_neurons)
    f0 = np.zeros(lat.n_neurons)
    f0[lat.rings[:, 2]] = 1.0
    x0[lat.rings[:, 2]] = 0.9
    st = initial_state(d, x0, f0)
    events, _ = run_numpy(d, st, 3000)
    # the published recursion, independently
    w = np.zeros((lat.n_neurons, lat.n_neurons))
    w[lat.network.dst, lat.network.src] = lat.network.weight
    a = np.exp(-dt)
    o = 1.0 - f0
    v_c = w @ o - x0
    firing = f0.astype(bool)
    steps = []
    for k in range(3000):
        u = w @ o
        v_c = a * v_c + (1 - a) * u
        x = u - v_c
        fire = ~firing & (x >= 0.49)
        rest = firing & (x < 0.20)
        firing = (firing | fire) & ~rest
        o = 1.0 - firing
        steps += [k] * int(fire.sum() + rest.sum())
    assert np.array_equal(events.step, np.array(steps))


def test_same_seed_same_events_different_seed_different():
    spec = LatticeSpec(geometry="square", nx=8, ny=8, shared=1, rule="summing")
    a = simulate(PAPER, spec, SimConfig(duration_tau=50, seed=3, engine="numpy"))
    b = simulate(PAPER, spec, SimConfig(duration_tau=50, seed=3, engine="numpy"))
    c = simulate(PAPER, spec, SimConfig(duration_tau=50, seed=4, engine="numpy"))
    assert a.events.equals(b.events) and not a.events.equals(c.events)


def test_save_and_load_round_trip(tmp_path):
    spec = LatticeSpec(geometry="honeycomb", nx=5, ny=5, shared=1, rule="summing")
    run = simulate(PAPER, spec, SimConfig(duration_tau=20, engine="numpy"))
    back = load_run(save_run(run, tmp_path / "run.npz"))
    assert back.events.equals(run.events) and back.spec == run.spec and back.config == run.config
    assert back.card == run.card and np.array_equal(back.final_x, run.final_x)


def test_si_card_runs_in_seconds():
    card = load_card("sky130_tt")
    spec = LatticeSpec(geometry="square", nx=3, ny=3, ring_size=5, shared=0)
    run = simulate(card, spec, SimConfig(duration_tau=100e-6 / card.value("tau_s"), init="kick", engine="numpy"))
    assert run.dt == pytest.approx(card.value("tau_s") / 100)
    onsets = run.times()[(run.events.neuron == 0) & (run.events.kind > 0)]
    period = np.median(np.diff(onsets)[2:])
    assert period == pytest.approx(5 * ring_hop_law(card, 5), abs=5 * run.dt)


@pytest.mark.parametrize("kwargs,needle", [
    (dict(duration_tau=-1), "duration_tau: must be > 0"),
    (dict(init="warm"), "init: 'warm' unknown"),
    (dict(engine="nest"), "engine: 'nest' unknown"),
    (dict(target="cuda"), "target: 'cuda' unknown"),
    (dict(dt_tau=0.5), "more than 0.1 tau"),
    (dict(dt_tau="abc"), "dt_tau: must be > 0"),
])
def test_bad_configs(kwargs, needle):
    with pytest.raises(InputError, match=needle):
        simulate(PAPER, LatticeSpec(nx=3, ny=3), SimConfig(**kwargs))
