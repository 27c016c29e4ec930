"""The synchronisation study on simulated lattices: xi grows and saturates, and xi_ss depends on
the sharing scheme by more than the seed-to-seed spread."""

import json

import numpy as np

from hwsim.analysis.study import DEFAULT_SCHEMES, StudyConfig, run_study
from hwsim.app.writers import write_study


def test_study_growth_saturation_and_scheme_dependence(tmp_path):
    schemes = {k: DEFAULT_SCHEMES[k] for k in ("share1-alternating", "share1-uniform")}
    config = StudyConfig(size=16, duration=300.0, seeds=(1, 2, 3), n_times=16, schemes=schemes)
    result = run_study(config)
    table = {row["scheme"]: row for row in result.table}
    alt, uni = table["share1-alternating"], table["share1-uniform"]
    print(f"\nxi_ss: share1-alternating {alt['xi_ss_mean']:.2f} +- {alt['xi_ss_std']:.2f}, "
          f"share1-uniform {uni['xi_ss_mean']:.2f} +- {uni['xi_ss_std']:.2f}")
    assert abs(alt["xi_ss_mean"] - uni["xi_ss_mean"]) > 3 * max(alt["xi_ss_std"], uni["xi_ss_std"], 1e-3)
    for seed in config.seeds:
        xi = np.array([r["xi"] for r in result.timeseries if r["scheme"] == "share1-alternating" and r["seed"] == seed])
        assert xi[-1] > 3 * xi[0], "xi did not grow during the transient"
        tail = xi[-4:]
        assert np.ptp(tail) <= 0.25 * tail.mean(), "xi did not saturate"
    folder = write_study(result, tmp_path / "study")
    for name in ("xi_t.png", "R_t.png", "timeseries.csv", "xi_ss.csv", "summary.md",
                 "phases_share1-alternating.png"):
        assert (folder / name).stat().st_size > 0, name
    assert json.loads((folder / "study.json").read_text())["table"][0]["seeds"] == 3
