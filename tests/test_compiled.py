"""The compiled engines (hwsim.lattice.compiled): numba clock-driven vs the numpy reference (bit for
bit), the exact event engine vs the pure-Python exact engine and the ring period law, and the
clock-driven engines converging to the exact one as dt -> 0."""

import json

import numpy as np
import pytest
from test_engines import EQUIVALENCE, PAPER

from hwsim.lattice.exact import run_events
from hwsim.lattice.simulate import SimConfig, load_run, save_run, simulate
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.behavior import ring_hop_law, ring_network, simulate_events
from hwsim.model.card import load_card

from tolerances import EXACT_ENGINE_REL

SKY = load_card("sky130_tt")


@pytest.mark.parametrize("spec", EQUIVALENCE,
                         ids=[f"{s.geometry}-s{s.shared}-{s.orientation}-{s.rule}" for s in EQUIVALENCE])
def test_numba_and_numpy_give_identical_events(spec):
    reference = simulate(PAPER, spec, SimConfig(duration_tau=200, seed=7, engine="numpy"))
    compiled = simulate(PAPER, spec, SimConfig(duration_tau=200, seed=7, engine="numba"))
    assert len(reference.events) > 500, "the lattice went quiet: a weak comparison"
    assert compiled.events.equals(reference.events)
    assert np.array_equal(compiled.final_x, reference.final_x)
    assert np.array_equal(compiled.final_firing, reference.final_firing)


@pytest.mark.parametrize("rule", ["capacitive", "summing", "gate"])
def test_numba_identical_with_clamp_and_tau_mismatch(rule):
    """An SI card with the input clamp, per-neuron tau mismatch, every rule."""
    spec = LatticeSpec(geometry="square", nx=10, ny=10, shared=1, orientation="alternating", rule=rule)
    config = dict(duration_tau=150, seed=2, tau_spread=0.05)
    reference = simulate(SKY, spec, SimConfig(engine="numpy", **config))
    compiled = simulate(SKY, spec, SimConfig(engine="numba", **config))
    assert SKY.value("v_clamp_v") is not None and len(reference.events) > 200
    assert compiled.events.equals(reference.events) and np.array_equal(compiled.final_x, reference.final_x)


def _kicked(n: int, neurons) -> tuple[np.ndarray, np.ndarray]:
    x0 = np.zeros(n)
    x0[list(neurons)] = SKY.value("vdd_v")
    return x0, np.zeros(n)


@pytest.mark.parametrize("rule", ["capacitive", "summing"])
@pytest.mark.parametrize("card", [SKY, PAPER], ids=["sky130_tt", "paper"])
def test_event_engine_matches_the_python_exact_engine(card, rule):
    """Small networks (a ring of 5; a 3 x 3 lattice with eps links and shared neurons): every
    event time within EXACT_ENGINE_REL, the same neurons and kinds, from the same kicks."""
    tau = card.value("tau_s")
    lattice = build_lattice(LatticeSpec(geometry="square", nx=3, ny=3, shared=1, coupling_weight=0.3,
                                        boundary="open", rule=rule))
    for net, kicked in ((ring_network(5), [0]), (lattice.network, lattice.rings[:, 0])):
        x0 = np.zeros(net.n_neurons)
        x0[kicked] = card.value("vdd_v")
        ref = simulate_events(card, net, 150 * tau, rule, kicks=[(0.0, int(i), None) for i in kicked])
        events, _ = run_events(card, net, rule, x0, np.zeros(net.n_neurons), 150 * tau)
        assert len(ref) > 50 and len(events) == len(ref)
        assert np.array_equal(events.neuron, ref.neuron) and np.array_equal(events.kind, ref.kind)
        assert np.allclose(events.time, ref.time, rtol=EXACT_ENGINE_REL, atol=0)


@pytest.mark.parametrize("geometry", ["square", "honeycomb", "triangular"])
@pytest.mark.parametrize("card", [SKY, PAPER], ids=["sky130_tt", "paper"])
def test_event_engine_matches_the_python_exact_engine_gate_rule(card, geometry):
    """Gate rule on 3 x 3 open lattices sharing one neuron (shared neurons have 2-3 inputs): the
    compiled per-neuron counts of firing inputs against the Python engine's, same tolerance."""
    tau = card.value("tau_s")
    lattice = build_lattice(LatticeSpec(geometry=geometry, nx=3, ny=3, shared=1, boundary="open", rule="gate"))
    net, kicked = lattice.network, np.unique(lattice.rings[:, 0])  # rings may share their neuron 0
    assert np.bincount(net.dst).max() >= 2
    x0 = np.zeros(net.n_neurons)
    x0[kicked] = card.value("vdd_v")
    ref = simulate_events(card, net, 150 * tau, "gate", kicks=[(0.0, int(i), None) for i in kicked])
    events, _ = run_events(card, net, "gate", x0, np.zeros(net.n_neurons), 150 * tau)
    assert len(ref) > 50 and len(events) == len(ref)
    assert np.array_equal(events.neuron, ref.neuron) and np.array_equal(events.kind, ref.kind)
    assert np.allclose(events.time, ref.time, rtol=EXACT_ENGINE_REL, atol=0)


@pytest.mark.parametrize("n", [3, 5, 8])
@pytest.mark.parametrize("card", [SKY, PAPER], ids=["sky130_tt", "paper"])
def test_event_engine_follows_the_ring_period_law(card, n):
    x0, f0 = _kicked(n, [0])
    tau = card.value("tau_s")
    events, _ = run_events(card, ring_network(n), "capacitive", x0, f0, 40 * n * tau)
    period = np.diff(events.onsets(0))[-5:]  # the limit cycle (the kick's first hops settle onto it)
    law = n * ring_hop_law(card, n)
    assert np.allclose(period, law, rtol=EXACT_ENGINE_REL, atol=0), (period[:3], law)


def test_clock_engines_converge_to_the_exact_one():
    """Ring periods of the clock-driven engine at dt = 0.01, 0.003, 0.001 tau against the exact
    engine: each hop may end up to one step late, so |T(dt) - T| <= N dt, and the error shrinks."""
    n, card = 6, SKY
    tau = card.value("tau_s")
    spec = LatticeSpec(geometry="square", nx=3, ny=3, ring_size=n, shared=0)
    neuron = build_lattice(spec).rings[4][0]
    exact = simulate(card, spec, SimConfig(duration_tau=30 * n, init="kick", engine="event"))
    t_exact = np.median(np.diff(exact.events.onsets(neuron))[2:])
    errors = []
    for dt in (0.01, 0.003, 0.001):
        run = simulate(card, spec, SimConfig(duration_tau=30 * n, dt_tau=dt, init="kick", engine="numba"))
        period = np.median(np.diff(run.events.onsets(neuron))[2:])
        errors.append(abs(period - t_exact))
        assert errors[-1] <= n * dt * tau
    assert errors[2] < errors[0]


def test_event_engine_through_simulate_and_saved_runs(tmp_path):
    """A lattice with the event engine: time-ordered events, saved with event times, loaded back."""
    spec = LatticeSpec(geometry="honeycomb", nx=6, ny=6, shared=0, rule="capacitive", coupling_weight=0.3)
    run = simulate(SKY, spec, SimConfig(duration_tau=100, seed=3, engine="event"))
    assert run.events.step is None and len(run.events) > 1000 and np.all(np.diff(run.events.time) >= 0)
    assert run.events.time.max() <= 100 * SKY.value("tau_s")
    back = load_run(save_run(run, tmp_path / "run.npz"))
    assert back.events.equals(run.events) and back.config.engine == "event"


def test_event_engine_refuses_a_switching_storm():
    """The paper card has no delay: on a summing lattice with shared neurons outputs can flip each
    other at one instant, which no exact engine can step past; it says so instead of hanging."""
    from hwsim.errors import SimulatorError

    spec = LatticeSpec(geometry="honeycomb", nx=6, ny=6, shared=1, rule="summing")
    with pytest.raises(SimulatorError, match="exact event engine: .*(zero time|pending output edges)"):
        simulate(PAPER, spec, SimConfig(duration_tau=100, seed=3, engine="event"))


@pytest.mark.parametrize("engine", ["event", "numba"])
def test_reference_record_keeps_what_the_phase_metrics_use(engine, tmp_path):
    """record = "reference": the kept events are exactly the full run's events of each ring's
    reference neuron, the firing total and the orbit classes (taken during the run for the exact
    engine) equal those of the full run, so the study metrics agree exactly; power, which needs
    every neuron, is refused with a clear error; the reduced run survives save/load."""
    from hwsim.analysis.power import estimate_power
    from hwsim.analysis.study import analyse
    from hwsim.analysis.sync import orbit_classes
    from hwsim.errors import InputError

    spec = LatticeSpec(geometry="square", nx=8, ny=8, shared=1, orientation="alternating", rule="summing")
    lattice = build_lattice(spec)
    full = simulate(SKY, lattice, SimConfig(duration_tau=300, seed=2, engine=engine))
    ref = simulate(SKY, lattice, SimConfig(duration_tau=300, seed=2, engine=engine, record="reference"))
    keep = np.isin(full.events.neuron, lattice.rings[:, 0])
    assert 0 < len(ref.events) == keep.sum() < len(full.events)
    assert np.array_equal(ref.events.time, full.events.time[keep])
    assert np.array_equal(ref.events.neuron, full.events.neuron[keep])
    assert ref.n_firings == full.n_firings == full.events.n_firings
    end = full.n_steps * full.dt
    assert np.array_equal(ref.ring_orbit, orbit_classes(full, lattice.rings, 0.75 * end, end))
    a_ref, a_full = analyse(ref, lattice), analyse(full, lattice)
    same = lambda a, b: json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)  # noqa: E731 (NaN == NaN)
    assert np.isfinite(a_full.summary["xi_ss"]) and same(a_ref.rows, a_full.rows)
    assert same({k: v for k, v in a_ref.summary.items() if k not in ("events", "wall_s")},
                {k: v for k, v in a_full.summary.items() if k not in ("events", "wall_s")})
    with pytest.raises(InputError, match="power estimate needs every neuron's events.*record = 'all'"):
        estimate_power(ref, lattice)
    back = load_run(save_run(ref, tmp_path / "ref.npz"))
    assert np.array_equal(back.ring_orbit, ref.ring_orbit) and back.n_firings == ref.n_firings


def test_calendar_pops_the_earliest_crossing_with_many_ties():
    """The event engine's calendar (per bucket an unsorted list and a sorted one that long unsorted
    lists move into): after random inserts, moves and removes, with many exact ties as in a
    synchronised lattice, every list's links are consistent, the sorted lists run in (time,
    sequence) order with the right tail, and draining the buckets in time order with
    ``_bucket_min`` gives the same crossing at each step as a brute-force minimum."""
    from hwsim.lattice import exact
    from hwsim.lattice.exact import C_B, C_SEQ, C_T, NXT, PRV, _bucket_min, _cal_insert, _cal_remove, _state_rows

    rng = np.random.default_rng(3)
    n, nb, inv_w = 400, 16, 4.0
    s, head = _state_rows(n), exact.calendar(nb)  # unsorted heads, sorted heads, sorted tails, non-empty sorted lists
    s[:, C_B], s[:, NXT], s[:, PRV] = -1, -1, -1

    def walk(first, end):  # end: the marker of a list's ends (-1 unsorted, -2 sorted)
        j, prev, keys = first, end, []
        while j >= 0:
            assert s[j, PRV] == prev
            keys.append((s[j, C_T], s[j, C_SEQ]))
            prev, j = j, int(s[j, NXT])
        assert j == end or not keys
        return keys, prev

    sorted_seen, nonempty_seen = 0, 0
    for seq in range(20_000):
        j = int(rng.integers(n))
        if s[j, C_B] >= 0:
            _cal_remove(j, nb - 1, head, s)
        if rng.random() < 0.8:  # half of the times on a coarse grid: exact ties
            t = float(rng.integers(0, 40)) / 8 if rng.random() < 0.5 else float(rng.uniform(0, 5))
            _cal_insert(j, t, seq, inv_w, nb - 1, head, s)
        if seq % 97 == 0:  # a scan now and then moves a long unsorted list into the sorted one
            _bucket_min(int(rng.integers(0, 21)), nb - 1, head, s)
        nonempty = int(np.sum(head[nb:2 * nb] >= 0))
        assert head[3 * nb] == nonempty  # the count that lets pops skip the sorted heads
        nonempty_seen = max(nonempty_seen, nonempty)
    for slot in range(nb):
        unsorted, _ = walk(head[slot], -1)
        keys, last = walk(head[nb + slot], -2)
        assert head[2 * nb + slot] == (last if keys else -1) and keys == sorted(keys)
        sorted_seen += len(keys)
        assert len(unsorted) + len(keys) == int(np.sum((s[:, C_B] >= 0) & (s[:, C_B] % nb == slot)))
    assert sorted_seen > 50 and nonempty_seen > 3
    for k_abs in range(int(5 * inv_w) + 1):  # drained in time order, as the engine does
        while True:
            mine = [j for j in range(n) if s[j, C_B] == k_abs]
            want = min(mine, key=lambda j: (s[j, C_T], s[j, C_SEQ])) if mine else -1
            assert _bucket_min(k_abs, nb - 1, head, s) == want
            if want == -1:
                break
            _cal_remove(want, nb - 1, head, s)
    assert not np.any(s[:, C_B] >= 0) and head[3 * nb] == 0
