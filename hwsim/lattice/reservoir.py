"""Reservoirs of differentiating-neuron rings: the companion paper's construction, compiled.

The companion paper (Yeung et al., *Reservoir Computation with Networks of Differentiating Neuron
Ring Oscillators*, arXiv:2507.21377; code: github.com/ajy-123/coupled_oscillators,
``scripts/simulation.py`` and ``make_datasets.py``) builds its reservoir like this, and
:func:`build_reservoir` does the same (read from their description and code, written here):

- ``n_rings`` rings with sizes drawn uniformly from ``ring_min..ring_max`` (their
  ``np.random.choice``), neurons numbered ring after ring; neuron k of a ring is driven by neuron
  k-1 of the same ring with weight 1.
- A Watts-Strogatz graph of rings (k = 2, rewiring probability p; networkx); for each graph edge
  {i, j}, neuron 1 of ring j drives neuron 0 of ring i with weight eps, both ways.
- Input wiring: a 0/1 matrix (ring x channel) drawn with probability ``input_prob`` (their
  ``2 p``), diagonal zeroed (their ``np.fill_diagonal``: ring r < n_in never gets channel r);
  channel c reaches neuron 0 of the ring with weight ``input_weight`` (their ``5 eps``).
- Dynamics (the authors' summing rule in normalised units, time in tau, outputs 1 at rest and
  0 while firing): per step of dt, ``u = W o + W_in v_in``, ``v_c <- a v_c + (1 - a) u`` with
  a = exp(-dt), ``x = u - v_c``; the Schmitt output becomes 0 (firing) when x >= ``v_thh`` or
  when it was firing and x >= ``v_thl``, else 1.
- Before each image every ring gets one pulse (their ``initialize()``): all v_c = 0.9, one
  random neuron of each ring (not its last) firing with v_c = 0.1 + 0.01 U, then each ring runs
  alone for ``2 ring_max / dt_init`` steps of a ring-specific length dt_init * 2 ring_max / T
  with T uniform in (0, 2 ring_max): a random phase per ring.
- Features: the outputs at steps 0, s, 2 s, ... with s = n_steps // n_in (9 instants for
  T = 100 tau, dt = 0.01, n_in = 8), flattened time-major.

:func:`run_images` steps a batch of images at once with the batch as the innermost (contiguous)
axis, so the compiled loop vectorises across images; the float operations are those of the
authors' numpy code in the same order (sums over inputs in column order), so features are the
same bits as an independent numpy re-implementation (``tests/test_reservoir.py``).

Where hwsim differs from their scripts, on purpose: their Watts-Strogatz graph is drawn from
Python's unseeded ``random`` module (not reproducible); hwsim seeds it with ``seed``. Their random
draws for the initial phases and the pixel noise come from one stream across all images in order;
hwsim draws them per image from a stream keyed by (seed, split, image index), so any image's
features can be computed alone, in any order, on any worker.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

import numpy as np

from hwsim.errors import InputError

#: "companion": the paper's small-world reservoir; the others: hwsim lattices (shared neurons).
RESERVOIR_GEOMETRIES = ("companion", "square", "honeycomb", "triangular")
#: How a neuron combines its recurrent inputs: the companion's weighted sum, or (lattices sharing
#: neurons, the circuit hwsim builds) an AND gate: u = min over inputs of weight x output, so u falls
#: when any predecessor fires and rises when the last one stops.
RESERVOIR_RULES = ("summing", "gate")

__all__ = ["RESERVOIR_GEOMETRIES", "RESERVOIR_RULES", "ReservoirSpec", "Reservoir", "build_reservoir", "image_stream",
           "window_of_step", "sample_steps", "initial_states", "run_images", "features_for"]


@dataclass(frozen=True)
class ReservoirSpec:
    """A ring reservoir; times in units of tau (the neuron's RC), voltages in units of the output
    swing (the paper's normalised model).

    ``input_prob``/``input_weight``: None means the companion's 2 p and 5 eps.
    """

    n_rings: int = 300
    ring_min: int = 3
    ring_max: int = 10
    eps: float = 0.25
    p: float = 0.2
    n_in: int = 8
    input_prob: float | None = None
    input_weight: float | None = None
    dt: float = 0.01
    t_stop: float = 100.0
    v_thl: float = 0.2
    v_thh: float = 0.49
    dv_init: float = 0.01
    dt_init: float = 1e-3
    seed: int = 0
    geometry: str = "companion"
    nx: int = 10
    ny: int = 10
    ring_size: int = 6
    shared: int = 1
    orientation: str = "alternating"
    boundary: str = "periodic"
    warmup: float = 20.0
    rule: str = "summing"

    def __post_init__(self) -> None:
        problems = []
        if self.geometry not in RESERVOIR_GEOMETRIES:
            problems.append(f"geometry {self.geometry!r} (choose {', '.join(RESERVOIR_GEOMETRIES)})")
        elif self.rule not in RESERVOIR_RULES:
            problems.append(f"rule {self.rule!r} (choose {', '.join(RESERVOIR_RULES)})")
        elif self.rule == "gate" and (self.geometry == "companion" or self.shared == 0):
            problems.append(f"rule 'gate' with geometry {self.geometry!r}, shared = {self.shared} (the gate rule "
                            "puts an AND gate in front of neurons with several predecessors: it needs a lattice "
                            "geometry with shared >= 1; the companion's small world and eps links sum their inputs)")
        elif self.geometry != "companion":
            self.lattice_spec()  # LatticeError (an InputError) names the lattice field
        if not 0 <= self.warmup <= 1000:
            problems.append(f"warmup = {self.warmup} tau (0..1000)")
        if not 0 <= self.seed < 2**32:
            problems.append(f"seed = {self.seed} (an integer 0..{2**32 - 1})")
        if not 1 <= self.n_rings <= 100_000:
            problems.append(f"n_rings = {self.n_rings} (1..100000)")
        if not 2 <= self.ring_min <= self.ring_max <= 1000:
            problems.append(f"ring sizes {self.ring_min}..{self.ring_max} (2 <= ring_min <= ring_max <= 1000)")
        if not 0 <= self.p <= 1:
            problems.append(f"p = {self.p} (a probability, 0..1)")
        if not (0 <= self.eps < 10):
            problems.append(f"eps = {self.eps} (0 <= eps < 10)")
        if not 1 <= self.n_in <= 64:
            problems.append(f"n_in = {self.n_in} (1..64 channels)")
        if not 0 <= self.prob_in <= 1:
            problems.append(f"input probability {self.prob_in} (2 p by default; must be <= 1, so p <= 0.5 "
                            "or set input_prob)")
        if not (0 < self.dt <= 0.1 and 10 * self.dt <= self.t_stop <= 1e5):
            problems.append(f"dt = {self.dt}, t_stop = {self.t_stop} (0 < dt <= 0.1 tau, 10 dt <= t_stop <= 1e5)")
        if not 0 < self.v_thl < self.v_thh < 2:
            problems.append(f"thresholds v_thl = {self.v_thl}, v_thh = {self.v_thh} (0 < v_thl < v_thh < 2)")
        if not (0 < self.dt_init <= 0.1 and 0 <= self.dv_init < 0.5):
            problems.append(f"dt_init = {self.dt_init}, dv_init = {self.dv_init}")
        if problems:
            raise InputError("reservoir: " + "; ".join(problems))

    def lattice_spec(self):
        """The :class:`~hwsim.lattice.topology.LatticeSpec` of a lattice reservoir (``rule``; links of
        weight eps between rings that share no neurons)."""
        from hwsim.lattice.topology import LatticeSpec

        return LatticeSpec(geometry=self.geometry, nx=self.nx, ny=self.ny, ring_size=self.ring_size,
                           shared=self.shared, orientation=self.orientation, boundary=self.boundary,
                           coupling_weight=self.eps if self.shared == 0 else 0.0, rule=self.rule)

    @property
    def prob_in(self) -> float:
        """Probability that a ring receives a given input channel."""
        return 2 * self.p if self.input_prob is None else self.input_prob

    @property
    def weight_in(self) -> float:
        """Weight of an input channel on neuron 0 of a ring."""
        return 5 * self.eps if self.input_weight is None else self.input_weight

    @property
    def n_steps(self) -> int:
        """Time points of one image's run, the initial state included (their ``n_ts``)."""
        return int(self.t_stop / self.dt) + 1

    def to_dict(self) -> dict:
        """Plain fields (JSON-ready)."""
        return asdict(self)


@dataclass(frozen=True)
class Reservoir:
    """A built reservoir: ring sizes, first neuron of each ring, the recurrent inputs of every
    neuron as CSR by target (columns ascending, as scipy sums them) and the input weights."""

    spec: ReservoirSpec
    ring_size: np.ndarray      # (n_rings,)
    first: np.ndarray          # (n_rings,) index of neuron 0 of each ring
    ring_edges: np.ndarray     # (n_graph_edges, 2) the Watts-Strogatz edges {i, j}
    ptr: np.ndarray            # (n + 1,)
    col: np.ndarray            # source neuron of each input
    weight: np.ndarray         # its weight
    input_mask: np.ndarray     # (n_rings, n_in) 0/1
    input_row: np.ndarray      # (n,) row of ``input_weight`` feeding this neuron, or -1
    input_weight: np.ndarray   # (rows, n_in) input weights of the neurons that get input
    rings: np.ndarray | None = None  # lattice reservoirs: (n_rings, ring_size) neurons in traversal order

    @property
    def n_neurons(self) -> int:
        """Number of neurons (shared ones once)."""
        return len(self.ptr) - 1


def build_reservoir(spec: ReservoirSpec) -> Reservoir:
    """The companion's reservoir for ``spec`` (module docstring): ring sizes and input wiring from
    numpy's legacy ``RandomState(seed)`` in their order, the ring graph from networkx's
    ``watts_strogatz_graph(n_rings, 2, p, seed=seed)``. Lattice geometries: see
    :func:`_build_lattice_reservoir`."""
    import networkx as nx

    if spec.geometry != "companion":
        return _build_lattice_reservoir(spec)
    rs = np.random.RandomState(spec.seed)
    sizes = rs.choice(np.arange(spec.ring_min, spec.ring_max + 1), size=spec.n_rings)
    graph = nx.watts_strogatz_graph(n=spec.n_rings, k=2, p=spec.p, seed=spec.seed) if spec.n_rings > 2 else \
        nx.path_graph(spec.n_rings)
    w_rings = nx.to_numpy_array(graph, nodelist=range(spec.n_rings)) * spec.eps
    mask = rs.binomial(1, spec.prob_in, size=(spec.n_rings, spec.n_in))
    np.fill_diagonal(mask, 0)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    n = int(sizes.sum())
    rows: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for r, (f, size) in enumerate(zip(first, sizes)):
        for k in range(size):
            rows[f + k].append((f + (k - 1) % size, 1.0))
        for j in np.flatnonzero(w_rings[r]):
            rows[f].append((first[j] + 1, float(w_rings[r, j])))
    ptr = np.zeros(n + 1, np.int64)
    cols, weights = [], []
    for i, row in enumerate(rows):
        row.sort()
        cols += [c for c, _ in row]
        weights += [w for _, w in row]
        ptr[i + 1] = len(cols)
    edges = np.array(sorted(tuple(sorted(e)) for e in graph.edges()), np.int64).reshape(-1, 2)
    return Reservoir(spec=spec, ring_size=sizes.astype(np.int64), first=first, ring_edges=edges, ptr=ptr,
                     col=np.array(cols, np.int64), weight=np.array(weights, np.float64), input_mask=mask,
                     **_input_rows(n, first, mask, spec.weight_in))


def _input_rows(n: int, first: np.ndarray, mask: np.ndarray, weight: float) -> dict:
    """Per neuron, the input weights it receives (rings whose neuron 0 coincide add up)."""
    row = np.full(n, -1, np.int64)
    targets = sorted({int(first[r]) for r in np.flatnonzero(mask.any(axis=1))})
    row[targets] = np.arange(len(targets))
    w = np.zeros((len(targets), mask.shape[1]))
    for r in np.flatnonzero(mask.any(axis=1)):
        w[row[first[r]]] += mask[r] * weight
    return {"input_row": row, "input_weight": w}


def _build_lattice_reservoir(spec: ReservoirSpec) -> Reservoir:
    """A hwsim lattice (``spec.rule``: summing, or gate) as a reservoir: neuron 0 of each ring (its
    first neuron in traversal order) takes the input, wired as in the companion's preset."""
    from hwsim.lattice.topology import build_lattice

    lattice = build_lattice(spec.lattice_spec())
    net = lattice.network
    order = np.lexsort((net.src, net.dst))
    ptr = np.zeros(net.n_neurons + 1, np.int64)
    np.add.at(ptr, net.dst + 1, 1)
    rs = np.random.RandomState(spec.seed)
    mask = rs.binomial(1, spec.prob_in, size=(lattice.n_rings, spec.n_in))
    np.fill_diagonal(mask, 0)
    first = lattice.rings[:, 0].astype(np.int64)
    return Reservoir(spec=spec, ring_size=np.full(lattice.n_rings, spec.ring_size, np.int64), first=first,
                     ring_edges=np.asarray(lattice.ring_neighbors, np.int64).reshape(-1, 2), ptr=np.cumsum(ptr),
                     col=net.src[order].astype(np.int64), weight=net.weight[order].astype(np.float64),
                     input_mask=mask, rings=np.asarray(lattice.rings, np.int64),
                     **_input_rows(net.n_neurons, first, mask, spec.weight_in))


def image_stream(seed: int, split: str, index: int) -> np.random.RandomState:
    """The random stream of one image (initial phases, pixel noise): legacy ``RandomState`` keyed
    by (seed, split, index), so every image's features can be computed alone."""
    tag = {"train": 1, "test": 2}.get(split, 3)
    state = np.random.SeedSequence([int(seed), tag, int(index)]).generate_state(1)[0]
    return np.random.RandomState(int(state))


def hilbert_sequence(image: np.ndarray, side: int, scale: float, rs: np.random.RandomState) -> np.ndarray:
    """Pixels of ``image`` resampled to side x side (cubic spline, scipy ``ndimage.zoom`` on the raw
    dtype as the authors do), times ``scale``, plus N(0, 0.001^2) noise, read along the Hilbert
    curve (numpy-hilbert-curve, the authors' package). ``side`` must be a power of two."""
    from scipy import ndimage

    rows, cols = _hilbert_path(side)
    z = ndimage.zoom(image, side / image.shape[0], mode="constant") * scale
    z = z + 0.001 * rs.randn(*z.shape)
    return z[rows, cols]


@functools.lru_cache(maxsize=8)
def _hilbert_path(side: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of the Hilbert curve through a side x side grid (numpy-hilbert-curve)."""
    from hilbert import decode

    order = int(round(np.log2(side)))
    if side < 2 or 2 ** order != side:
        raise InputError(f"reservoir input: side {side} must be a power of two (8, 16, 32)")
    locs = decode(np.arange(side * side), 2, order).astype(np.int64)
    return locs[:, 0], locs[:, 1]


def window_of_step(n_steps: int, n_pixels: int, n_in: int) -> np.ndarray:
    """Sliding-window index fed at each step: the authors' ``np.repeat(sw, n_steps // n_windows)``
    followed by the first ``n_steps % n_windows`` rows again. Channel c at step t reads pixel
    ``window[t] + n_in - 1 - c`` of the Hilbert sequence."""
    n_windows = n_pixels - n_in + 1
    ratio = n_steps // n_windows
    if n_windows < 1 or ratio < 1:
        raise InputError(f"reservoir input: {n_windows} windows do not fit into {n_steps} steps; "
                         "raise t_stop / dt or use a smaller image side")
    t = np.arange(n_steps)
    row = np.where(t < ratio * n_windows, t, t - ratio * n_windows)
    return (row // ratio).astype(np.int64)


def sample_steps(spec: ReservoirSpec) -> np.ndarray:
    """Steps whose outputs are the features: 0, s, 2 s, ... with s = n_steps // n_in."""
    return np.arange(0, spec.n_steps, max(1, spec.n_steps // spec.n_in), dtype=np.int64)


def initial_states(res: Reservoir, streams: list[np.random.RandomState]) -> tuple[np.ndarray, ...]:
    """Per image (columns): v_c, o and the per-neuron init decay, drawn from each image's stream in
    the authors' order (phase draw kept though unused, firing neuron, its v_c, the run length)."""
    spec, n, b = res.spec, res.n_neurons, len(streams)
    if res.rings is not None:
        return _lattice_states(res, streams)
    vc, out, alph = np.full((n, b), 0.9), np.ones((n, b)), np.empty((n, b))
    t_max = 2 * spec.ring_max
    for col, rs in enumerate(streams):
        rs.rand(spec.n_rings)
        firing = np.floor(rs.random_sample(spec.n_rings) * (res.ring_size - 1)).astype(np.int64) + res.first
        vc[firing, col] = 0.1 + spec.dv_init * rs.rand(spec.n_rings)
        out[firing, col] = 0.0
        t_init = np.repeat(rs.rand(spec.n_rings) * t_max, res.ring_size)
        with np.errstate(divide="ignore"):
            alph[:, col] = np.exp(-spec.dt_init / t_init * t_max)
    return vc, out, alph


def _lattice_states(res: Reservoir, streams: list[np.random.RandomState]) -> tuple[np.ndarray, ...]:
    """Lattice reservoirs: every neuron at rest with x = 0.1 (the companion's 0.9 below an input of
    1; the input at rest is the sum of the weights, or their minimum under the gate rule), then one
    random neuron of each ring (not its last) firing with x = 0.9 - 0.01 U; the coupled lattice then
    runs ``warmup`` tau without input (:func:`run_images`)."""
    spec, n, b = res.spec, res.n_neurons, len(streams)
    combine = np.minimum if spec.rule == "gate" else np.add
    u_rest = combine.reduceat(res.weight, res.ptr[:-1]) if len(res.weight) else np.zeros(n)
    u_rest[np.diff(res.ptr) == 0] = 0.0
    vc, out = np.repeat((u_rest - 0.1)[:, None], b, axis=1), np.ones((n, b))
    n_rings, size = res.rings.shape
    for col, rs in enumerate(streams):
        pick = np.floor(rs.random_sample(n_rings) * (size - 1)).astype(np.int64)
        firing = res.rings[np.arange(n_rings), pick]
        vc[firing, col] = u_rest[firing] - 0.9 + spec.dv_init * rs.rand(n_rings)
        out[firing, col] = 0.0
    return vc, out, np.zeros((0, b))


def features_for(res: Reservoir, images: np.ndarray, split: str, first_index: int, side: int, scale: float,
                 batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Features (uint8 bits, images x samples*neurons) and firing counts (images x neurons) of
    ``images`` (index ``first_index`` onwards within ``split``), in batches."""
    spec = res.spec
    win = window_of_step(spec.n_steps, side * side, spec.n_in)
    steps = sample_steps(spec)
    feats = np.empty((len(images), len(steps) * res.n_neurons), np.uint8)
    fires = np.empty((len(images), res.n_neurons), np.int32)
    for lo in range(0, len(images), batch):
        hi = min(lo + batch, len(images))
        streams = [image_stream(spec.seed, split, first_index + k) for k in range(lo, hi)]
        vc, out, alph = initial_states(res, streams)
        seq = np.stack([hilbert_sequence(images[k], side, scale, rs) for k, rs in zip(range(lo, hi), streams)])
        f, c = run_images(res, vc, out, alph, seq, win, steps)
        feats[lo:hi] = f.reshape(hi - lo, -1)
        fires[lo:hi] = c
    return feats, fires


def run_images(res: Reservoir, vc: np.ndarray, out: np.ndarray, alph_init: np.ndarray, seq: np.ndarray,
               win: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Initialise then run a batch (columns of ``vc``/``out``); returns the sampled outputs
    (batch x samples x neurons, uint8) and the firings of each neuron during the run (batch x n)."""
    from hwsim.lattice.compiled import jit

    global _init_kernel, _run_kernel
    if _run_kernel is None:
        _init_kernel, _run_kernel = jit(_init_rings), jit(_run_steps)
    spec = res.spec
    vc, out = np.ascontiguousarray(vc, np.float64), np.ascontiguousarray(out, np.float64)
    n, b = vc.shape
    alph = np.exp(-spec.dt)
    gate = spec.rule == "gate"
    if res.rings is None:
        n_init = int(2 * spec.ring_max / spec.dt_init)
        _init_kernel(res.first, res.ring_size, np.ascontiguousarray(alph_init), vc, out, n_init, spec.v_thh,
                     spec.v_thl)
    else:  # the coupled lattice without input for `warmup` tau
        _run_kernel(res.ptr, res.col, res.weight, gate, np.full(n, -1, np.int64), np.zeros((0, spec.n_in)),
                    np.zeros((1, b)), np.zeros(int(round(spec.warmup / spec.dt)) + 1, np.int64), alph,
                    spec.v_thh, spec.v_thl, vc, out, np.zeros(0, np.int64), np.zeros((0, n, b), np.uint8),
                    np.zeros((n, b), np.int32))
    vin = np.ascontiguousarray(seq.T, np.float64)  # pixels x batch
    sampled = np.zeros((len(steps), n, b), np.uint8)
    fires = np.zeros((n, b), np.int32)
    _run_kernel(res.ptr, res.col, res.weight, gate, res.input_row, res.input_weight, vin, win, alph, spec.v_thh,
                spec.v_thl, vc, out, steps, sampled, fires)
    return sampled.transpose(2, 0, 1).copy(), fires.T.copy()


_init_kernel = None
_run_kernel = None


def _init_rings(first, sizes, alph, vc, out, n_steps, thh, thl):
    """Each ring alone (in place): the authors' ``initialize()`` loop over the batch. Rings are
    independent here, so each runs all its steps in a small local copy (cache-resident) before the
    next: the same float operations per neuron as stepping every ring together."""
    b = vc.shape[1]
    m = sizes.max()
    lv, lo, la, u = np.empty((m, b)), np.empty((m, b)), np.empty((m, b)), np.empty((m, b))
    for ring in range(len(first)):
        f, size = first[ring], sizes[ring]
        for i in range(size):
            for k in range(b):
                lv[i, k], lo[i, k], la[i, k] = vc[f + i, k], out[f + i, k], alph[f + i, k]
        for _ in range(n_steps):
            for i in range(size):
                p = i - 1 if i > 0 else size - 1
                for k in range(b):
                    u[i, k] = lo[p, k]
            for i in range(size):
                for k in range(b):
                    v = lv[i, k] * la[i, k] + u[i, k] * (1 - la[i, k])
                    lv[i, k] = v
                    x = u[i, k] - v
                    r = 1.0
                    if x >= thh:
                        r = 0.0
                    if x >= thl and lo[i, k] == 0.0:
                        r = 0.0
                    lo[i, k] = r
        for i in range(size):
            for k in range(b):
                vc[f + i, k], out[f + i, k] = lv[i, k], lo[i, k]


def _run_steps(ptr, col, w, gate, input_row, in_w, vin, win, alph, thh, thl, vc, out, steps, sampled, fires):
    """The run (in place): per step u = W o + W_in v_in (``gate``: the recurrent part is the minimum over
    the inputs of weight x output instead of the sum), v_c, x, Schmitt; outputs at ``steps``."""
    n, b = vc.shape
    n_in = in_w.shape[1]
    new = np.empty((n, b))
    s = np.empty(b)
    s2 = np.empty(b)
    n_steps = len(win)
    next_sample = 0
    for t in range(n_steps):
        if next_sample < len(steps) and steps[next_sample] == t:
            for i in range(n):
                for k in range(b):
                    sampled[next_sample, i, k] = np.uint8(out[i, k])
            next_sample += 1
        if t == n_steps - 1:
            break
        base = win[t] + n_in - 1
        for i in range(n):
            for k in range(b):
                s[k] = 0.0
            if gate:
                for e in range(ptr[i], ptr[i + 1]):
                    j, we = col[e], w[e]
                    for k in range(b):
                        if e == ptr[i] or we * out[j, k] < s[k]:
                            s[k] = we * out[j, k]
            else:
                for e in range(ptr[i], ptr[i + 1]):
                    j, we = col[e], w[e]
                    for k in range(b):
                        s[k] += we * out[j, k]
            r = input_row[i]
            for k in range(b):
                s2[k] = 0.0
            if r >= 0:
                for c in range(n_in):
                    wc = in_w[r, c]
                    if wc != 0.0:
                        for k in range(b):
                            s2[k] += wc * vin[base - c, k]
            for k in range(b):
                u = s[k] + s2[k]
                v = alph * vc[i, k] + (1 - alph) * u
                vc[i, k] = v
                x = u - v
                o = out[i, k]
                r = 1.0
                if x >= thh:
                    r = 0.0
                if x >= thl and o == 0.0:
                    r = 0.0
                if r == 0.0 and o == 1.0:
                    fires[i, k] += 1
                new[i, k] = r
        for i in range(n):
            for k in range(b):
                out[i, k] = new[i, k]
