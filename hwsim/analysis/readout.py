"""Linear readout of reservoir features and the energy of one inference.

Readout: the companion's ten one-vs-rest ``RidgeClassifier(alpha=1e-4)`` on 0/1 targets, argmax of
the decision functions. scikit-learn's multi-class ``RidgeClassifier`` is the same thing: it maps
the labels to ten {-1, +1} columns and solves the ten ridge problems (same alpha, same centring)
at once; the test checks the predictions are identical.

Energy of one image's run (J), split by mechanism, from a calibrated card (:func:`image_energy`):

- **per firing** (coupling to one successor of weight 1, crowbar, output edges): the behavioural
  power model's energy per ring period divided by the ring size, averaged over the ring sizes the
  card's SPICE energies cover (:func:`hwsim.checks.energy.ring_energy_check` gives those rows);
- **extra coupling**: every further output edge of weight w costs w times the per-firing coupling
  energy (the summing network costed as one coupling capacitor per input, as in
  :mod:`hwsim.analysis.power`);
- **static**: the card's static power times the neurons times the run's duration (t_stop tau);
- **input drive**: charging the input coupling capacitors (weight w_in C) from the pixel sources,
  C w_in dV^2 v_new dv_rise summed over rises (normalised input v, output swing dV);
- **readout**: 10 decision functions, one multiply-accumulate per feature each, at a stated
  energy per MAC.
"""

from __future__ import annotations

import warnings

import numpy as np

from hwsim.errors import InputError

__all__ = ["fit_readout", "score", "image_energy", "input_rise", "MAC_ENERGY_J"]

#: Energy per multiply-accumulate (J), 45 nm, from M. Horowitz, "Computing's energy problem (and
#: what we can do about it)", ISSCC 2014, Fig. 1.1.9: 32-bit float multiply 3.7 pJ + add 0.9 pJ;
#: 8-bit integer multiply 0.2 pJ + add 0.03 pJ.
MAC_ENERGY_J = {"fp32_45nm": 4.6e-12, "int8_45nm": 0.23e-12}


def fit_readout(features: np.ndarray, labels: np.ndarray, alpha: float = 1e-4):
    """The fitted classifier (scikit-learn ``RidgeClassifier``) on 0/1 features (images x bits)."""
    from sklearn.linear_model import RidgeClassifier

    if len(features) != len(labels) or len(features) < 2:
        raise InputError(f"readout: {len(features)} feature rows for {len(labels)} labels (need >= 2, equal)")
    if len(np.unique(labels)) < 2:
        raise InputError("readout: the training labels hold one class only; use more training images")
    with warnings.catch_warnings():
        # more features than images: the dual system is singular (constant and repeated feature
        # columns) and scikit-learn falls back to least squares, as in the companion's runs
        warnings.filterwarnings("ignore", "Singular matrix in solving dual problem", UserWarning)
        warnings.filterwarnings("ignore", "An ill-conditioned matrix detected")
        # copy_X=False: scikit-learn centres our float32 copy in place (same numbers, 4 bytes per
        # feature less at the peak)
        return RidgeClassifier(alpha=alpha, copy_X=False).fit(features.astype(np.float32), labels)


def score(model, features: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy, the confusion matrix (rows true, columns predicted, classes sorted) and predictions."""
    from sklearn.metrics import confusion_matrix

    predicted = model.predict(features.astype(np.float32))
    return {"accuracy": float(np.mean(predicted == labels)),
            "confusion": confusion_matrix(labels, predicted, labels=model.classes_).tolist(),
            "classes": [int(c) for c in model.classes_], "predicted": predicted}


def input_rise(seq: np.ndarray, win: np.ndarray, n_in: int) -> np.ndarray:
    """Sum over steps of v_new * max(0, v_new - v_old) of each channel (images x channels)."""
    v = np.stack([seq[:, win + n_in - 1 - c] for c in range(n_in)], axis=2)  # images x steps x channels
    rise = np.maximum(np.diff(v, axis=1), 0.0)
    return (v[:, 1:] * rise).sum(axis=1)


def image_energy(per_firing: dict, firings: np.ndarray, fanout_extra: np.ndarray, n_neurons: int,
                 duration_s: float, p_static_w: float, c_couple_f: float, swing_v: float,
                 input_rise: np.ndarray, input_mask: np.ndarray, weight_in: float, n_features: int,
                 mac_j: float) -> dict:
    """Mean energy (J) of one image's run by mechanism; ``firings`` (images x neurons),
    ``fanout_extra`` (neurons,) the summed weight of output edges beyond the in-ring one,
    ``per_firing`` {coupling_j, crowbar_j, edges_j} per firing, ``input_rise`` (images x
    channels) from :func:`input_rise`, ``input_mask`` (rings x channels)."""
    f = np.asarray(firings, float)
    per_image = {
        "coupling_j": f.sum(axis=1) * per_firing["coupling_j"] + f @ fanout_extra * per_firing["coupling_j"],
        "crowbar_j": f.sum(axis=1) * per_firing["crowbar_j"],
        "edges_j": f.sum(axis=1) * per_firing["edges_j"],
        "static_j": np.full(len(f), p_static_w * n_neurons * duration_s),
        "readout_j": np.full(len(f), 10 * n_features * mac_j),
    }
    per_image["input_j"] = c_couple_f * weight_in * swing_v ** 2 * input_rise @ input_mask.sum(axis=0).astype(float)
    per_image = {k: float(np.mean(v)) for k, v in per_image.items()}
    per_image["reservoir_j"] = sum(per_image[k] for k in ("coupling_j", "crowbar_j", "edges_j", "static_j",
                                                           "input_j"))
    per_image["total_j"] = per_image["reservoir_j"] + per_image["readout_j"]
    return per_image
