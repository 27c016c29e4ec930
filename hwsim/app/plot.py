"""Plotting adapter (matplotlib, Agg backend, imported lazily): study curves and domain maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_study_curves", "plot_domain_maps", "plot_crosscheck", "plot_power_table", "plot_hysteresis",
           "plot_overlay", "plot_ring_periods", "plot_snapshots", "plot_sync", "plot_breakdown", "plot_sweep",
           "reservoir_figures", "plot_domain_check", "plot_robustness", "plot_design_space"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: Path, dpi: int = 110) -> Path:
    """Lay out, write and close ``fig``; returns ``path``."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def plot_study_curves(rows: list[dict], folder: Path) -> list[Path]:
    """xi(t) on log-log axes and R(t), one line per scheme and seed; returns the PNG paths."""
    plt = _plt()
    schemes = sorted({r["scheme"] for r in rows})
    colours = dict(zip(schemes, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    paths = []
    for key, label, name, log in (("xi", "correlation length xi (plaquettes, 1/e crossing)", "xi_t.png", True),
                                  ("R", "global order R", "R_t.png", False),
                                  ("local_order", "mean local order r", "local_order_t.png", False)):
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for scheme in schemes:
            for seed in sorted({r["seed"] for r in rows if r["scheme"] == scheme}):
                sel = [r for r in rows if r["scheme"] == scheme and r["seed"] == seed]
                ax.plot([r["t"] for r in sel], [r[key] for r in sel], "-o", ms=2.5, color=colours[scheme],
                        alpha=0.8, label=scheme if seed == min(r["seed"] for r in rows) else None)
        ax.set_xscale("log")
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("time (tau)")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        paths.append(_save(plt, fig, folder / name))
    return paths


def plot_domain_maps(snapshots: dict, lattices: dict, folder: Path) -> list[Path]:
    """Phase maps (hue = phase, grey = silent) at the snapshot times, one PNG per scheme; when the
    snapshots carry them, a second row with the phases relative to the lock pattern and the
    pattern walls drawn as black bars across the broken bonds."""
    plt = _plt()
    paths = []
    for scheme, snaps in snapshots.items():
        lattice = lattices[scheme]
        rows = 2 if all("theta_pattern" in s for s in snaps) else 1
        fig, axes = plt.subplots(rows, len(snaps), figsize=(4 * len(snaps), 4 * rows), squeeze=False)
        for col, snap in enumerate(snaps):
            silent = np.array(snap["labels"]) < 0
            _phase_map(axes[0, col], lattice, np.array(snap["theta"]), silent,
                       f"{scheme}, t = {snap['t']:.0f} tau (phase)")
            if rows == 2:
                ax = axes[1, col]
                _phase_map(ax, lattice, np.array(snap["theta_pattern"]), silent, "relative to the lock pattern, walls")
                xy = lattice.ring_xy
                for a, b in snap["walls_pattern"]:
                    mid, d = (xy[a] + xy[b]) / 2, xy[b] - xy[a]
                    if np.hypot(*d) > 1.5:  # a bond across the periodic boundary: not drawn
                        continue
                    n = np.array([-d[1], d[0]]) / np.hypot(*d) * 0.5
                    ax.plot([mid[0] - n[0], mid[0] + n[0]], [mid[1] - n[1], mid[1] + n[1]], "k-", lw=1.2)
        paths.append(_save(plt, fig, folder / f"phases_{scheme}.png", dpi=100))
    return paths


def _phase_map(ax, lattice, theta: np.ndarray, silent: np.ndarray, title: str) -> None:
    """One map: rings coloured by phase (hsv), silent rings grey."""
    colour = np.where(silent, np.nan, np.mod(theta, 2 * np.pi))
    ax.scatter(lattice.ring_xy[:, 0], lattice.ring_xy[:, 1], c=colour, cmap="hsv", vmin=0, vmax=2 * np.pi,
               s=12, marker="s")
    ax.scatter(lattice.ring_xy[silent, 0], lattice.ring_xy[silent, 1], c="0.7", s=12, marker="s")
    ax.set_title(title, fontsize=9)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_domain_check(dc, folder: Path) -> list[Path]:
    """``domains.png``: SPICE and behavioural phase maps side by side (rings coloured by phase at the
    end, big squares) and the bonds between neighbouring rings coloured by lock-class agreement."""
    plt = _plt()
    lat = dc.lattice
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.8))
    for ax, theta, who in ((axes[0], dc.spice_phase, "ngspice (transistors)"),
                           (axes[1], dc.model_phase, "behavioural (gate rule)")):
        _phase_map(ax, lat, theta, np.isnan(theta), f"{who}: ring phase at {dc.t_end_s * 1e6:.0f} us")
        for coll in ax.collections:
            coll.set_sizes([900])
    ax = axes[2]
    xy, pairs = lat.ring_xy, lat.ring_neighbors
    for (a, b), same in zip(pairs, dc.spice_class == dc.model_class):
        colour = "tab:green" if same else "tab:red"
        step = xy[b] - xy[a]
        if np.linalg.norm(step) < 1.5:
            ax.plot(xy[[a, b], 0], xy[[a, b], 1], color=colour, lw=3)
            continue
        # a bond across the periodic edge: a dashed stub out of each ring towards the other's image
        step = np.where(np.abs(step) > 1.5, -np.sign(step), step)
        for start, sign in ((xy[a], 1), (xy[b], -1)):
            end = start + 0.4 * sign * step
            ax.plot([start[0], end[0]], [start[1], end[1]], color=colour, lw=3, ls=(0, (2, 1)))
    ax.scatter(xy[:, 0], xy[:, 1], c="k", s=15, zorder=3)
    ax.set_title(f"bond lock classes agree on {100 * dc.agreement:.0f} % (green) / differ (red);\n"
                 "dashed stubs: bonds across the periodic edge", fontsize=9)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    return [_save(plt, fig, Path(folder) / "domains.png")]


def plot_robustness(designs: dict[str, dict], folder: Path) -> list[Path]:
    """``robustness.png``: ring period change (%) and energy per firing (pJ) per variant, one bar
    per design; a variant whose lattice lost rings is marked with a red x over its bar."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    labels = [r["variant"] for r in next(iter(designs.values()))["rows"]]
    width = 0.8 / max(len(designs), 1)
    for k, (name, design) in enumerate(designs.items()):
        rows = {r["variant"]: r for r in design["rows"]}
        x = np.arange(len(labels)) + (k - (len(designs) - 1) / 2) * width
        for ax, key, scale in ((axes[0], "period_change", 100), (axes[1], "energy_per_firing_j", 1e12)):
            values = [scale * rows[v][key] if v in rows else np.nan for v in labels]
            ax.bar(x, values, width, label=name)
            dead = [i for i, v in enumerate(labels) if v in rows and rows[v]["rings_alive"] < rows[v]["rings"]]
            ax.scatter(x[dead], np.zeros(len(dead)), marker="x", color="red", s=80, zorder=3)
    for ax, ylabel in ((axes[0], "ring period change vs nominal (%)"), (axes[1], "supply energy per firing (pJ)")):
        ax.set_xticks(np.arange(len(labels)))
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.axhline(0, color="k", lw=0.5)
    axes[0].legend(fontsize=8)
    axes[0].set_title("red x: rings fell silent", fontsize=9)
    return [_save(plt, fig, Path(folder) / "robustness.png")]


def plot_crosscheck(traces: dict, folder: Path) -> list[Path]:
    """Overlay of transistor and behavioural outputs of the rings' first neurons, a raster of
    firing onsets (transistor vs behavioural) for every neuron, and the firing offsets over time."""
    plt = _plt()
    run = traces["run"]
    vdd, vol = run.card.value("vdd_v"), run.card.value("v_ol_v")
    t = traces["time"]
    shown = list(traces["spice_o"])[:4]
    fig, axes = plt.subplots(len(shown), 1, figsize=(8, 1.6 * len(shown) + 0.6), sharex=True, squeeze=False)
    for ax, neuron in zip(axes[:, 0], shown):
        ax.plot(t * 1e6, traces["spice_o"][neuron], lw=1.0, label="transistor (ngspice)")
        ev_t = run.times()[run.events.neuron == neuron]
        ev_k = run.events.kind[run.events.neuron == neuron]
        level = vdd - (vdd - vol) * run.firing0[neuron]
        xs, ys = [0.0], [level]
        for tt, kk in zip(ev_t, ev_k):
            xs += [tt, tt]
            ys += [ys[-1], vol if kk > 0 else vdd]
        xs.append(t[-1])
        ys.append(ys[-1])
        ax.plot(np.array(xs) * 1e6, ys, "--", lw=1.0, label="behavioural")
        ax.set_ylabel(f"o{neuron} (V)", fontsize=8)
    axes[0, 0].legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("time after the kick (us)")
    paths = [_save(plt, fig, folder / "overlay.png")]
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, (ts, tm) in enumerate(zip(traces["spice_onsets"], traces["model_onsets"])):
        ax.plot(ts * 1e6, np.full(len(ts), i), "|", ms=9, color="C0", label="transistor" if i == 0 else None)
        ax.plot(tm * 1e6, np.full(len(tm), i) + 0.3, "|", ms=9, color="C1", label="behavioural" if i == 0 else None)
    ax.set_xlabel("time after the kick (us)")
    ax.set_ylabel("neuron")
    ax.legend(fontsize=8)
    paths.append(_save(plt, fig, folder / "firings.png"))
    return paths + _plot_offsets(plt, traces, folder)


def _plot_offsets(plt, traces: dict, folder: Path) -> list[Path]:
    """Signed offset of every SPICE firing from the nearest behavioural one of the same neuron, in
    ring periods, against time, with the median per period and the +-0.1 period tolerance: a flat
    median is a start-up phase shift, a drifting one a period error."""
    t, neuron, off = traces["offsets"]
    period = traces["period_s"]
    ok = np.isfinite(off)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.scatter(t[ok] * 1e6, off[ok] / period, c=neuron[ok], cmap="viridis", s=4, lw=0)
    edges = np.arange(0.0, (t.max() if len(t) else 0.0) + period, period)
    mid, med = [], []
    for lo in edges[:-1]:
        sel = ok & (t >= lo) & (t < lo + period)
        if sel.any():
            mid.append((lo + period / 2) * 1e6)
            med.append(float(np.median(off[sel])) / period)
    ax.plot(mid, med, "-", color="C3", lw=1.5, label="median per ring period")
    for y in (-0.1, 0.1):
        ax.axhline(y, color="0.5", ls="--", lw=0.8)
    ax.set_xlabel("SPICE firing time after the kick (us)")
    ax.set_ylabel("SPICE - behavioural (periods)")
    ax.set_title(f"{int((~ok).sum())} SPICE firings without a behavioural one (not shown); colour: neuron", fontsize=9)
    ax.legend(fontsize=8)
    return [_save(plt, fig, folder / "offsets.png")]


def plot_power_table(table, folder: Path) -> list[Path]:
    """Energy per ring period vs N per card (SPICE markers, behavioural lines) and the behavioural
    breakdown by mechanism for N = 5."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for k, (card, rows) in enumerate(table.groupby("card", sort=False)):
        colour = f"C{k % 10}"
        ax.plot(rows["n"], rows["spice_j"] * 1e12, "o", color=colour, label=f"{card} SPICE")
        ax.plot(rows["n"], rows["model_j"] * 1e12, "-", color=colour, label=f"{card} model")
    ax.set_xlabel("ring size N")
    ax.set_ylabel("energy per ring period (pJ)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    paths = [_save(plt, fig, folder / "energy_vs_n.png")]
    n5 = table[table["n"] == 5]
    fig, ax = plt.subplots(figsize=(6.4, 0.5 * len(n5) + 1.5))
    left = np.zeros(len(n5))
    for k, mech in enumerate(("coupling", "crowbar", "edges", "static")):
        values = n5[f"{mech}_j"].to_numpy() * 1e12
        ax.barh(n5["card"], values, left=left, color=f"C{k}", label=mech)
        left += values
    ax.set_xlabel("behavioural energy per period of a ring of 5 (pJ)")
    ax.legend(fontsize=8)
    paths.append(_save(plt, fig, folder / "breakdown_n5.png"))
    return paths


def plot_hysteresis(x_v: np.ndarray, o_v: np.ndarray, card, path: Path) -> Path:
    """Schmitt transfer o(x) from the SPICE triangle sweep with the card's ideal loop on top."""
    plt = _plt()
    vdd, vol = card.value("vdd_v"), card.value("v_ol_v")
    vtp, vtm = card.value("vt_plus_v"), card.value("vt_minus_v")
    fig, ax = plt.subplots(figsize=(5.6, 4.0))
    ax.plot(x_v, o_v, lw=1.2, label="SPICE (slow triangle sweep)")
    ax.plot([0, vtp, vtp, vdd], [vdd, vdd, vol, vol], "--", color="C1", lw=1.2, label="card: rising, VT+")
    ax.plot([vdd, vtm, vtm, 0], [vol, vol, vdd, vdd], ":", color="C3", lw=1.5, label="card: falling, VT- (ring slew)")
    ax.set_xlabel("Schmitt input x (V)")
    ax.set_ylabel("output o (V)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(plt, fig, path)


def plot_overlay(t_s: np.ndarray, spice: dict, model: dict, path: Path, title: str) -> Path:
    """One panel per signal name: SPICE (solid) and behavioural (dashed) traces vs time (us)."""
    plt = _plt()
    names = list(spice)
    fig, axes = plt.subplots(len(names), 1, figsize=(8, 1.5 * len(names) + 0.8), sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        ax.plot(t_s * 1e6, spice[name], lw=1.0, label="SPICE")
        if name in model:
            ax.plot(t_s * 1e6, model[name], "--", lw=1.0, label="behavioural")
        ax.set_ylabel(f"{name} (V)", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7, loc="upper right")
    axes[0, 0].set_title(title, fontsize=9)
    axes[-1, 0].set_xlabel("time (us)")
    return _save(plt, fig, path)


def plot_ring_periods(rows: list[dict], path: Path) -> Path:
    """Ring period vs N, SPICE vs card, and the relative error, from a card's residual rows."""
    plt = _plt()
    rows = sorted((r for r in rows if r["quantity"].startswith("period N=")), key=lambda r: int(r["quantity"][9:]))
    n = [int(r["quantity"][9:]) for r in rows]
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(6.0, 5.0), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    ax.plot(n, [r["spice"] * 1e6 for r in rows], "o", label="SPICE")
    ax.plot(n, [r["model"] * 1e6 for r in rows], "-", label="card (exact event engine)")
    fit = [k for k, r in zip(n, rows) if r["role"] == "fit"]
    ax.plot(fit, [r["spice"] * 1e6 for r in rows if r["role"] == "fit"], "s", mfc="none", ms=10, color="k",
            label="fitted on")
    ax.set_ylabel("ring period (us)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax2.axhline(0, color="0.5", lw=0.8)
    ax2.plot(n, [r["error"] * 100 for r in rows], "o-", color="C2")
    ax2.set_ylabel("model error (%)")
    ax2.set_xlabel("ring size N")
    ax2.grid(alpha=0.3)
    return _save(plt, fig, path)


def plot_snapshots(lattice, snapshots: list[dict], tau_s: float, path: Path) -> Path:
    """Top row: ring phases (hue; grey = silent) at the snapshot times; bottom row: domains (one
    colour per domain, largest first; grey = walls and silent rings)."""
    plt = _plt()
    k = len(snapshots)
    fig, axes = plt.subplots(2, k, figsize=(3.2 * k, 6.4), squeeze=False)
    xy = lattice.ring_xy
    for col, snap in enumerate(snapshots):
        theta, labels = np.array(snap["theta"]), np.array(snap["labels"])
        silent = theta < 0
        ax = axes[0, col]
        ax.scatter(xy[~silent, 0], xy[~silent, 1], c=np.mod(theta[~silent], 2 * np.pi), cmap="hsv", vmin=0,
                   vmax=2 * np.pi, s=10, marker="s")
        ax.scatter(xy[silent, 0], xy[silent, 1], c="0.75", s=10, marker="s")
        ax.set_title(f"phase, t = {snap['t'] / tau_s:.1f} tau", fontsize=9)
        ax = axes[1, col]
        inside = labels >= 0
        ax.scatter(xy[~inside, 0], xy[~inside, 1], c="0.8", s=10, marker="s")
        ax.scatter(xy[inside, 0], xy[inside, 1], c=labels[inside] % 20, cmap="tab20", vmin=0, vmax=19, s=10,
                   marker="s")
        ax.set_title(f"domains: {len(set(labels[inside].tolist()))}", fontsize=9)
    for ax in axes.ravel():
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    return _save(plt, fig, path, dpi=100)


def plot_sync(rows: list[dict], summary: dict, tau_s: float, path: Path) -> Path:
    """xi(t) on log-log axes with the power-law fit of its growth, and R(t) and the mean local order."""
    plt = _plt()
    t = np.array([r["t"] for r in rows]) / tau_s
    xi = np.array([r["xi"] for r in rows])
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax.loglog(t, xi, "o-", ms=3, label="xi (1/e crossing of C(d))")
    capped = np.array([bool(r.get("xi_capped")) for r in rows])
    if capped.any():
        ax.loglog(t[capped], xi[capped], "o", ms=7, mfc="none", color="C7", label="capped: C(d) > 1/e out to L/2")
    z = summary.get("growth_exponent", float("nan"))
    if np.isfinite(z):
        sel = (t >= summary["growth_fit_t_min"] / tau_s) & (t <= summary["growth_fit_t_max"] / tau_s) & (xi > 0)
        c = np.mean(np.log(xi[sel]) - z * np.log(t[sel]))
        ax.loglog(t[sel], np.exp(c) * t[sel] ** z, "--", color="C3", label=f"fit xi ~ t^{z:.2f}")
    ax.set_xlabel("time (tau)")
    ax.set_ylabel("correlation length (plaquettes)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax2.semilogx(t, [r["R"] for r in rows], "o-", ms=3, label="global order R")
    ax2.semilogx(t, [r["local_order"] for r in rows], "s-", ms=3, label="mean local order r")
    ax2.set_ylim(0, 1.02)
    ax2.set_xlabel("time (tau)")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3, which="both")
    return _save(plt, fig, path)


def plot_breakdown(breakdown_j: dict, seconds: float, path: Path) -> Path:
    """Average power by mechanism (uW) over a window of ``seconds``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 2.6))
    names = list(breakdown_j)
    ax.barh(names, [breakdown_j[k] / seconds * 1e6 for k in names], color=[f"C{i}" for i in range(len(names))])
    ax.set_xlabel("average supply power (uW)")
    ax.grid(alpha=0.3, axis="x")
    return _save(plt, fig, path)


def plot_sweep(kind: str, table, axes: list[str], folder: Path) -> list[Path]:
    """Sweep results vs the first numeric axis (mean +- std over seeds), one line per combination
    of the other axes; for ring sweeps with mismatch samples also the frequency spread."""
    plt = _plt()
    ok = table[table["status"] == "ok"]
    seeds = {"seed", "mismatch_seed"}
    numeric = [a for a in axes if len(ok) and a not in seeds and ok[a].dtype.kind in "if" and ok[a].nunique() > 1]
    metrics = {"ring": [("frequency_hz", 1e-3, "ring frequency (kHz)"),
                        ("energy_per_period_j", 1e12, "energy per period (pJ)")],
               "lattice": [("xi_ss", 1.0, "steady-state xi (plaquettes)"),
                           ("xi_ss_pattern", 1.0, "pattern-aware xi_ss (plaquettes)"),
                           ("R_ss", 1.0, "steady-state R")],
               "reservoir": [("test_accuracy", 1.0, "test accuracy"),
                             ("energy_reservoir_j", 1e9, "reservoir energy per image (nJ)")]}[kind]
    metrics = [m for m in metrics if m[0] in ok]
    paths = []
    if numeric:
        x = numeric[0]
        others = [a for a in axes if a not in seeds and a != x]
        groups = ok.groupby(others) if others else [((), ok)]
        fig, axs = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 4.0), squeeze=False)
        for ax, (col, scale, label) in zip(axs[0], metrics):
            for name, rows in groups:
                stats = rows.groupby(x)[col].agg(["mean", "std"]).reset_index()
                tag = ", ".join(f"{a}={v}" for a, v in zip(others, name if isinstance(name, tuple) else (name,)))
                ax.errorbar(stats[x], stats["mean"] * scale, yerr=stats["std"].fillna(0) * scale, marker="o",
                            ms=4, capsize=3, label=tag or None)
            ax.set_xlabel(x)
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            if others:
                ax.legend(fontsize=7)
        paths.append(_save(plt, fig, folder / f"sweep_vs_{x}.png"))
    if kind == "ring" and "mismatch_seed" in ok and ok["mismatch_seed"].notna().any():
        group = [a for a in axes if a not in seeds]
        rel = ok["frequency_hz"] / ok.groupby(group)["frequency_hz"].transform("mean") - 1 if group else \
            ok["frequency_hz"] / ok["frequency_hz"].mean() - 1
        fig, ax = plt.subplots(figsize=(5.6, 3.8))
        ax.hist(rel * 100, bins=max(5, int(len(rel) ** 0.5)), color="C0", alpha=0.8)
        ax.set_xlabel("ring frequency deviation from its axis-point mean (%)")
        ax.set_ylabel("mismatch samples")
        ax.set_title(f"sky130 mismatch: sigma = {rel.std() * 100:.2f} %", fontsize=9)
        paths.append(_save(plt, fig, folder / "mismatch_frequency_spread.png"))
    if kind == "reservoir" and len(ok) and "energy_reservoir_j" in ok:
        paths.append(_accuracy_vs_energy(plt, ok, [a for a in axes if a not in seeds], folder))
    return paths


def _accuracy_vs_energy(plt, ok, group: list[str], folder: Path) -> Path:
    """Test accuracy against the reservoir's energy per image (and with the readout), one colour
    per axis point (its seeds together)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for k, (name, rows) in enumerate(ok.groupby(group) if group else [((), ok)]):
        label = ", ".join(f"{a}={v}" for a, v in zip(group, name if isinstance(name, tuple) else (name,)))
        ax.scatter(rows["energy_reservoir_j"] * 1e9, rows["test_accuracy"], color=f"C{k % 10}", s=18,
                   label=label or "reservoir")
        ax.scatter(rows["energy_total_j"] * 1e9, rows["test_accuracy"], color=f"C{k % 10}", s=18, marker="x")
    ax.set(xscale="log", xlabel="energy per image (nJ); dots: reservoir, crosses: with the readout",
           ylabel="test accuracy", title="accuracy vs energy per inference")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _save(plt, fig, folder / "accuracy_vs_energy.png")


def reservoir_figures(result: dict, folder: Path) -> list[Path]:
    """The test confusion matrix and, per card, the energy per image by mechanism (log scale)."""
    plt = _plt()
    conf = np.asarray(result["confusion"], float)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    shown = ax.imshow(conf / np.maximum(conf.sum(axis=1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
    for (i, j), v in np.ndenumerate(conf):
        ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7)
    ticks = range(len(result["classes"]))
    ax.set(xticks=ticks, yticks=ticks, xticklabels=result["classes"], yticklabels=result["classes"],
           xlabel="predicted", ylabel="true",
           title=f"{result['dataset']} test: accuracy {result['test_accuracy']:.3f}")
    fig.colorbar(shown, ax=ax, label="fraction of the true class")
    paths = [_save(plt, fig, folder / "confusion.png")]
    if result.get("energy"):
        keys = ("coupling_j", "crowbar_j", "edges_j", "static_j", "input_j", "readout_j")
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        width = 0.8 / len(result["energy"])
        for k, row in enumerate(result["energy"]):
            ax.bar(np.arange(len(keys)) + k * width, [row[key] for key in keys], width, label=row["card"])
        ax.set(xticks=np.arange(len(keys)) + 0.4 - width / 2, xticklabels=[key[:-2] for key in keys], yscale="log",
               ylabel="energy per image (J)", title="energy per inference by mechanism")
        ax.legend()
        paths.append(_save(plt, fig, folder / "energy.png"))
    return paths


def plot_design_space(series: list[dict], folder: Path) -> list[Path]:
    """One column per scheme: the pattern-aware xi(t) on log-log axes and the wall density vs t,
    one colour per lattice size, the median over seeds as a line and the seed range as a band."""
    schemes = sorted({p["scheme"] for p in series if "scheme" in p})
    if not schemes:
        return []
    plt = _plt()
    sizes = sorted({p["size"] for p in series})
    fig, axs = plt.subplots(2, len(schemes), figsize=(3.0 * len(schemes), 5.6), squeeze=False, sharex=True)
    for col, scheme in enumerate(schemes):
        for c, size in enumerate(sizes):
            runs = [p["series"] for p in series if p["scheme"] == scheme and p["size"] == size]
            if not runs:
                continue
            t = np.asarray(runs[0]["t_tau"])
            for row, key in enumerate(("xi_pattern", "wall_density_pattern")):
                ys = np.array([r[key] for r in runs if key in r and len(r[key]) == len(t)], float)
                if not len(ys):
                    continue
                ax = axs[row, col]
                ax.fill_between(t, np.nanmin(ys, 0), np.nanmax(ys, 0), color=f"C{c}", alpha=0.25, lw=0)
                ax.plot(t, np.nanmedian(ys, 0), color=f"C{c}", label=f"L = {size} ({len(ys)} seeds)")
        axs[0, col].set_title(scheme, fontsize=8)
        axs[0, col].set(xscale="log", yscale="log")
        axs[1, col].set_xlabel("time (tau)")
    axs[0, 0].set_ylabel("pattern-aware xi (rings)")
    axs[1, 0].set_ylabel("pattern wall density")
    axs[0, 0].legend(fontsize=7)
    for ax in axs.flat:
        ax.grid(alpha=0.3)
    return [_save(plt, fig, folder / "design_space.png")]
