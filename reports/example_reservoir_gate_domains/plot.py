"""Accuracy of gate-rule lattice reservoirs against the steady-state domain size of their scheme.

Reads this folder's sweep.csv (``hwsim sweep hwsim/app/configs/sweep_reservoir_gate_domains.toml``),
the pattern-aware domain size xi of the same schemes from the design-space study
(reports/example_design_space: gate rule, sky130 tt card, exact event engine, 2 000 tau, L = 32,
4 seeds; square N6 alternating from its exploration sweep: L = 32, 600 tau, one gate-rule run) and the companion's
small-world reservoir of about the same size (reports/example_reservoir_schemes, 100 rings), and writes
accuracy_vs_domain_size.png and table.md here. The sweep's points also carry xi in the reservoir's own
model (xi_start_pattern / xi_end_pattern: 10 and 100 tau into the image window, 8 images without input;
:func:`hwsim.app.reservoir.reservoir_domains`), shown beside the design-space xi.

Usage (repository root): .venv/bin/python reports/example_reservoir_gate_domains/plot.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
REPORTS = HERE.parent
#: this sweep's scheme -> (design-space sweep folder, its scheme name)
DOMAIN_SOURCE = {"square-N12-alternating": ("example_design_space", "square-s1-N12-alternating"),
                 "honeycomb-N24-uniform": ("example_design_space", "honeycomb-s1-N24-uniform"),
                 "honeycomb-N8-uniform": ("example_design_space", "honeycomb-s1-N8-uniform"),
                 "square-N16-alternating": ("example_design_space", "square-s1-N16-alternating"),
                 "square-N6-uniform": ("example_design_space", "square-s1-N6-uniform"),
                 "square-N6-alternating": ("example_design_space/explore", "squ-N6-s1-alt")}


def domain_sizes() -> pd.DataFrame:
    """Per scheme: mean and std of xi_ss_pattern (rings) at L = 32, whether any run was capped (spans
    the lattice), and the number of runs."""
    rows = []
    for scheme, (folder, name) in DOMAIN_SOURCE.items():
        d = pd.read_csv(REPORTS / folder / "sweep.csv")
        d = d[(d.scheme == name) & (d["size"] == 32) & (d.status == "ok") & (d.rule == "gate")]
        rows.append({"scheme": scheme, "xi": d.xi_ss_pattern.mean(), "xi_std": d.xi_ss_pattern.std(),
                     "xi_capped": bool(d.xi_ss_pattern_capped.any()), "xi_runs": len(d)})
    return pd.DataFrame(rows)


def main() -> int:
    """Write table.md and accuracy_vs_domain_size.png."""
    sweep = pd.read_csv(HERE / "sweep.csv")
    acc = sweep[sweep.status == "ok"].groupby("scheme").agg(
        accuracy=("test_accuracy", "mean"), accuracy_std=("test_accuracy", "std"), seeds=("seed", "count"),
        neurons=("n_neurons", "first"), energy_nj=("energy_reservoir_j", "mean"),
        xi_10=("xi_start_pattern", "mean"), xi_100=("xi_end_pattern", "mean"),
        span_100=("xi_end_capped", "mean")).reset_index()
    acc["energy_nj"] *= 1e9
    table = domain_sizes().merge(acc, on="scheme").sort_values("xi")
    small = pd.read_csv(REPORTS / "example_reservoir_schemes" / "sweep.csv")
    small = small[(small.scheme == "companion-100rings") & (small.status == "ok")].test_accuracy
    lines = ["| scheme (gate rule, shared 1) | neurons | domain size xi (rings, L = 32) | xi in the reservoir at 10 / "
             "100 tau (spanning at 100) | test accuracy | seeds | reservoir energy per image (nJ, sky130 tt) |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        cap = " (spans)" if r.xi_capped else ""
        spread = f"+- {r.xi_std:.1f}" if r.xi_runs > 1 else "(one run)"
        lines.append(f"| {r.scheme} | {r.neurons} | {r.xi:.1f} {spread}{cap} | "
                     f"{r.xi_10:.1f} / {r.xi_100:.1f} ({r.span_100:.0%}) | "
                     f"{r.accuracy:.3f} +- {r.accuracy_std:.3f} | {r.seeds} | {r.energy_nj:.0f} |")
    lines.append(f"| companion small world, 100 rings (summing) | ~650 | - | - | "
                 f"{small.mean():.3f} +- {small.std():.3f} | {len(small)} | - |")
    (HERE / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.errorbar(table.xi, table.accuracy, xerr=table.xi_std, yerr=table.accuracy_std, fmt="o", capsize=3,
                label="gate-rule lattices (3 seeds)")
    for r in table.itertuples():
        ax.annotate(r.scheme, (r.xi, r.accuracy), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.axhline(small.mean(), color="grey", ls="--", label="companion small world, 100 rings")
    ax.set_xscale("log")
    ax.set_xlabel("steady-state domain size xi (rings; design-space study, L = 32)")
    ax.set_ylabel("MNIST test accuracy (3 000 / 1 000 images)")
    ax.set_title("Reservoir accuracy vs domain size, AND-gate lattices")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "accuracy_vs_domain_size.png", dpi=130)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
