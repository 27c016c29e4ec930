"""Test accuracy and energy per image vs number of rings on the full MNIST (60 000 / 10 000), the
companion preset (eps 0.25, p 0.2), from the committed result folders; beside the paper's values
read off its figure (~0.84 at 50 rings, ~0.885 at 500, ~0.91 best at 300) and hwsim's 3 000 / 1 000
slice (reports/example_reservoir_rings/sweep.csv). Writes accuracy_vs_rings.png and table.md here.

Usage (repository root): .venv/bin/python reports/example_reservoir_full_data/plot.py
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
REPORTS = HERE.parent
#: rings -> result files (single runs' result.json or sweep points' JSON), seeds 1-3 where run
RUNS = {50: sorted((REPORTS / "example_reservoir_mnist50_full" / "points").glob("*.json")),
        100: [REPORTS / "example_reservoir_mnist100" / "result.json",
              *sorted((REPORTS / "example_reservoir_mnist100_full" / "points").glob("*.json"))],
        200: [REPORTS / "example_reservoir_mnist200" / "result.json"],
        300: [REPORTS / "example_reservoir_mnist300" / "result.json",
              *(REPORTS / "example_reservoir_mnist300_seeds" / f"seed{k}" / "result.json" for k in (2, 3))]}
PAPER = {50: 0.84, 300: 0.91, 500: 0.885}


def accuracy(path: Path) -> tuple[float, float]:
    """Test accuracy and reservoir energy per image (J, first card) of a single run or a sweep point."""
    data = json.loads(path.read_text())
    if "result" in data:  # a sweep point
        return data["result"]["test_accuracy"], data["result"]["energy_reservoir_j"]
    return data["test_accuracy"], data["energy"][0]["reservoir_j"]


def main() -> None:
    rows = []
    for rings, paths in RUNS.items():
        acc, energy = zip(*(accuracy(p) for p in paths))
        rows.append({"rings": rings, "seeds": len(acc), "mean": statistics.mean(acc),
                     "std": statistics.stdev(acc) if len(acc) > 1 else float("nan"),
                     "reservoir_nj": 1e9 * statistics.mean(energy)})
    table = pd.DataFrame(rows)
    sl = pd.read_csv(REPORTS / "example_reservoir_rings" / "sweep.csv").groupby("n_rings")["test_accuracy"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(table["rings"], table["mean"], yerr=table["std"].fillna(0), marker="o", capsize=3,
                label="hwsim, full MNIST (mean +- std over seeds)")
    ax.errorbar(sl.mean().index, sl.mean(), yerr=sl.std(), marker="s", capsize=3, ls=":",
                label="hwsim, 3 000 / 1 000 slice, 3 seeds")
    ax.plot(list(PAPER), list(PAPER.values()), "k^", label="paper (read off its figures)")
    ax.set(xlabel="rings", ylabel="test accuracy", ylim=(0.7, 0.95), title="Companion preset, eps 0.25, p 0.2")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "accuracy_vs_rings.png", dpi=120)
    lines = ["| rings | seeds | test accuracy (mean) | std | reservoir energy per image (tt, mean) |",
             "|---|---|---|---|---|"]
    lines += [f"| {r.rings} | {r.seeds} | {r.mean:.4f} | {r.std:.4f} | {r.reservoir_nj:.0f} nJ |"
              for r in table.itertuples()]
    (HERE / "table.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
