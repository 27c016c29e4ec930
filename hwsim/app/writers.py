"""Result folders of the study and the cross-check: tables, JSON and figures (the app layer owns
files and plots; the analysis and checks layers only compute)."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path

from hwsim.files import write_json_atomic

__all__ = ["write_study", "write_crosscheck", "write_domain_check", "write_robustness"]


def write_study(result, folder: str | Path) -> Path:
    """Write the study's tables, JSON, summary and figures into ``folder``."""
    import pandas as pd

    from hwsim.app.plot import plot_domain_maps, plot_study_curves
    from hwsim.lattice.topology import build_lattice

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(result.timeseries).to_csv(folder / "timeseries.csv", index=False)
    pd.DataFrame(result.table).to_csv(folder / "xi_ss.csv", index=False)
    payload = {"config": {**asdict(result.config), "seeds": list(result.config.seeds)}, "runs": result.runs,
               "table": result.table}
    write_json_atomic(folder / "study.json", payload)
    plot_study_curves(result.timeseries, folder)
    lattice_of = {s: build_lattice(result.config.spec(s)) for s in result.config.schemes}
    plot_domain_maps(result.snapshots, lattice_of, folder)
    lines = [f"# Synchronisation study ({result.config.geometry} {result.config.size} x {result.config.size}, "
             f"{result.config.rule} rule, card {result.config.card}, {len(result.config.seeds)} seeds)", "",
             "| scheme | xi_ss (mean +- std over seeds) | R_ss | growth exponent | pattern-aware xi_ss | "
             "pattern-aware R_ss | pattern wall density |", "|---|---|---|---|---|---|---|"]
    for row in result.table:
        cap = " (capped)" if row["capped"] else ""
        pcap = " (capped)" if row.get("pattern_capped") else ""
        lines.append(f"| {row['scheme']} | {row['xi_ss_mean']:.2f} +- {row['xi_ss_std']:.2f}{cap} | "
                     f"{row['R_ss_mean']:.3f} | {row['growth_exponent_mean']:.2f} | "
                     f"{row.get('xi_ss_pattern_mean', math.nan):.2f} +- {row.get('xi_ss_pattern_std', math.nan):.2f}"
                     f"{pcap} | {row.get('R_ss_pattern_mean', math.nan):.3f} | "
                     f"{row.get('wall_density_ss_pattern_mean', math.nan):.3f} |")
    lines += ["", f"xi (1/e crossing of C(d)) is in plaquette units; xi = {result.config.size // 2} (half the lattice, "
              "'capped') means C(d) never fell to 1/e: the correlated region spans the whole periodic lattice. "
              "Pattern-aware values measure order relative to the neighbour-lag pattern the lattice locked to "
              "(hwsim.analysis.pattern): an anti-phase checkerboard is ordered there, disordered in phase.", ""]
    (folder / "summary.md").write_text("\n".join(lines))
    return folder


def write_crosscheck(cc, folder: str | Path) -> None:
    """Write ``crosscheck.json`` (verdict, rows, rule scores, energies, setup), ``crosscheck.csv``,
    ``spice_onsets.csv`` (every SPICE firing the comparison used: neuron, time in s after the aligned
    kick), ``firing_offsets.csv`` (each SPICE firing's signed distance to the nearest behavioural firing
    of its neuron, s and ring periods) and the figures."""
    import numpy as np
    import pandas as pd

    from hwsim.app.plot import plot_crosscheck

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(cc.rows).to_csv(folder / "crosscheck.csv", index=False)
    payload = {"passed": cc.passed, "rows": cc.rows, "rule_followed": cc.rule, "rule_scores": cc.rule_scores,
               "spice_wall_s": cc.spice_wall_s, "behavioural_wall_s": cc.behavioural_wall_s,
               "speedup": cc.spice_wall_s / max(cc.behavioural_wall_s, 1e-9),
               "energy_j": cc.traces["energy_j"], "setup": cc.setup}
    write_json_atomic(folder / "crosscheck.json", payload)
    onsets = cc.traces["spice_onsets"]
    pd.DataFrame({"neuron": np.concatenate([np.full(len(t), i) for i, t in enumerate(onsets)]).astype(int),
                  "time_s": np.concatenate(onsets)}).to_csv(folder / "spice_onsets.csv", index=False)
    t, neuron, offset = cc.traces["offsets"]
    pd.DataFrame({"neuron": neuron, "spice_time_s": t, "offset_s": offset,
                  "offset_periods": offset / cc.traces["period_s"]}).to_csv(folder / "firing_offsets.csv", index=False)
    plot_crosscheck(cc.traces, folder)


def write_domain_check(dc, folder: str | Path) -> None:
    """Write ``domains.json`` (summary, kicks, per-ring phases, per-bond classes) and ``domains.png``."""
    from hwsim.app.plot import plot_domain_check

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nan_free = lambda a: [None if math.isnan(v) else float(v) for v in a]  # noqa: E731
    payload = {**dc.summary(), "kicks": [list(k) for k in dc.kicks], "spice_phase": nan_free(dc.spice_phase),
               "model_phase": nan_free(dc.model_phase), "spice_class": dc.spice_class.tolist(),
               "model_class": dc.model_class.tolist(), "bond_rings": dc.lattice.ring_neighbors.tolist()}
    write_json_atomic(folder / "domains.json", payload)
    plot_domain_check(dc, folder)


def write_robustness(designs: dict[str, dict], folder: str | Path) -> Path:
    """Write ``robustness.json``, ``table.md`` and ``robustness.png`` for ``designs``: name ->
    {"about": text, "transistors": per shared neuron, "rows": :func:`hwsim.checks.robustness.robustness`}."""
    from hwsim.app.plot import plot_robustness

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / "robustness.json", designs)
    lines = ["| design | variant | VDD (V) | rings firing at end | ring period (us) | change vs nominal | "
             "pulses per ring | energy per firing (pJ) | bonds in the nominal lock class | ngspice s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, design in designs.items():
        for r in design["rows"]:
            num = lambda v, fmt: "-" if v is None or math.isnan(v) else format(v, fmt)  # noqa: E731
            lines.append(f"| {name} | {r['variant']} | {r['vdd_v']:.2f} | {r['rings_alive']} of {r['rings']} | "
                         f"{num(1e6 * r['ring_period_s'], '.3f')} | {num(100 * r['period_change'], '+.2f')} % | "
                         f"{', '.join(map(str, r['pulses_per_ring'])) or '-'} | "
                         f"{num(1e12 * r['energy_per_firing_j'], '.2f')} | "
                         f"{num(100 * r['bonds_same_class'], '.0f')} % | "
                         f"{r['ngspice_s']:.0f} |")
    lines += ["", *(f"- **{name}**: {d['about']} ({d['transistors']})" for name, d in designs.items()), ""]
    (folder / "table.md").write_text("\n".join(lines))
    plot_robustness(designs, folder)
    return folder
