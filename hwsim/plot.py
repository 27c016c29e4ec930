"""Plotting adapter (matplotlib, Agg backend, imported lazily): study curves and domain maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_study_curves", "plot_domain_maps"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


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
        fig.tight_layout()
        path = folder / name
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def plot_domain_maps(snapshots: dict, lattices: dict, folder: Path) -> list[Path]:
    """Phase maps (hue = phase, grey = silent) at the snapshot times, one PNG per scheme."""
    plt = _plt()
    paths = []
    for scheme, snaps in snapshots.items():
        lattice = lattices[scheme]
        fig, axes = plt.subplots(1, len(snaps), figsize=(4 * len(snaps), 4))
        for ax, snap in zip(np.atleast_1d(axes), snaps):
            theta = np.array(snap["theta"])
            silent = np.array(snap["labels"]) < 0
            colour = np.where(silent, np.nan, np.mod(theta, 2 * np.pi))
            ax.scatter(lattice.ring_xy[:, 0], lattice.ring_xy[:, 1], c=colour, cmap="hsv", vmin=0, vmax=2 * np.pi,
                       s=12, marker="s")
            ax.scatter(lattice.ring_xy[silent, 0], lattice.ring_xy[silent, 1], c="0.7", s=12, marker="s")
            ax.set_title(f"{scheme}, t = {snap['t']:.0f} tau", fontsize=9)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
        fig.tight_layout()
        path = folder / f"phases_{scheme}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths
