"""Reservoir accuracy against the domain size measured in the reservoir's own model, ring size fixed.

Reads this folder's sweep.csv (``hwsim sweep hwsim/app/configs/sweep_reservoir_domain_scan.toml``:
10 x 10 square of 6-rings, capacitive eps links, eps scanned) and warmup/sweep.csv
(``sweep_reservoir_warmup.toml``: 12 x 12 square of 6-rings sharing one neuron behind AND gates, the
image window opening 0, 20 or 100 tau after the random start), each point with xi_start_pattern /
xi_end_pattern (pattern-aware xi in rings, 10 and 100 tau into the image window, 8 images without
input), and the companion's small world of about the same size (reports/example_reservoir_schemes,
100 rings). Writes table.md and accuracy_vs_domain_size.png here.

Usage (repository root): .venv/bin/python reports/example_reservoir_domain_scan/plot.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
REPORTS = HERE.parent
#: series -> (sweep folder, the axis scanned, how a row is labelled)
SERIES = {"eps links, 6-rings, 600 neurons": (HERE, "eps", "eps {:g}"),
          "AND-gate lattice, 6-rings, 576 neurons": (HERE / "warmup", "warmup", "warmup {:g} tau")}


def series_table(folder: Path, axis: str) -> pd.DataFrame:
    """Per axis value: accuracy, in-model xi at 10 and 100 tau (mean, std over seeds), share of
    spanning images, energy per image (nJ) and firings per image."""
    d = pd.read_csv(folder / "sweep.csv")
    d = d[d.status == "ok"]
    g = d.groupby(axis).agg(accuracy=("test_accuracy", "mean"), accuracy_std=("test_accuracy", "std"),
                            seeds=("seed", "count"), neurons=("n_neurons", "first"),
                            xi_start=("xi_start_pattern", "mean"), xi_start_std=("xi_start_pattern", "std"),
                            xi_end=("xi_end_pattern", "mean"), xi_end_std=("xi_end_pattern", "std"),
                            span_end=("xi_end_capped", "mean"), firings=("firings_per_image", "mean"),
                            energy_nj=("energy_reservoir_j", "mean"))
    g["energy_nj"] *= 1e9
    return g.reset_index()


def main() -> int:
    """Write table.md and accuracy_vs_domain_size.png."""
    small = pd.read_csv(REPORTS / "example_reservoir_schemes" / "sweep.csv")
    small = small[(small.scheme == "companion-100rings") & (small.status == "ok")].test_accuracy
    lines = ["| lattice | point | xi at 10 tau (rings) | xi at 100 tau (rings) | spanning at 100 tau | test accuracy | "
             "seeds | firings per image | reservoir energy per image (nJ, sky130 tt) |",
             "|---|---|---|---|---|---|---|---|---|"]
    fig, (ax, ax_f) = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    for name, (folder, axis, label) in SERIES.items():
        if not (folder / "sweep.csv").is_file():
            continue
        t = series_table(folder, axis)
        for r in t.itertuples():
            lines.append(f"| {name} | {label.format(getattr(r, axis))} | {r.xi_start:.2f} +- {r.xi_start_std:.2f} | "
                         f"{r.xi_end:.2f} +- {r.xi_end_std:.2f} | {r.span_end:.0%} | "
                         f"{r.accuracy:.3f} +- {r.accuracy_std:.3f} | {r.seeds} | {r.firings:.0f} | "
                         f"{r.energy_nj:.0f} |")
        bar = ax.errorbar(t.xi_end, t.accuracy, xerr=t.xi_end_std, yerr=t.accuracy_std, fmt="o-", capsize=3,
                          label=f"{name}: xi at 100 tau")
        colour = bar[0].get_color()
        ax.plot(t.xi_start, t.accuracy, "o", mfc="none", color=colour, label=f"{name}: xi at 10 tau")
        ax_f.errorbar(t.firings / t.neurons, t.accuracy, yerr=t.accuracy_std, fmt="o-", capsize=3, color=colour,
                      label=name)
        for r in t.itertuples():
            for a, x in ((ax, r.xi_end), (ax_f, r.firings / r.neurons)):
                a.annotate(label.format(getattr(r, axis)), (x, r.accuracy), textcoords="offset points",
                           xytext=(4, 4), fontsize=7)
    lines.append(f"| companion small world, 100 rings | - | - | - | - | {small.mean():.3f} +- {small.std():.3f} | "
                 f"{len(small)} | - | - |")
    (HERE / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    for a in (ax, ax_f):
        a.axhline(small.mean(), color="grey", ls="--", label="companion small world, 100 rings")
        a.legend(fontsize=7)
    ax.set_xlabel("domain size xi (rings; pattern-aware, in the reservoir's own model)")
    ax.set_ylabel("MNIST test accuracy (3 000 / 1 000 images)")
    ax.set_title("Accuracy vs domain size, ring size fixed (6)")
    ax_f.set_xlabel("firings per neuron per image (100 tau)")
    ax_f.set_title("The same points vs activity")
    fig.tight_layout()
    fig.savefig(HERE / "accuracy_vs_domain_size.png", dpi=130)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
