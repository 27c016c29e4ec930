"""Rescore recorded cross-checks with the current ring-period estimate, without re-running ngspice.

The cases in this folder that ran before the cross-check took the ring period as the *mean* interval
(hwsim.checks.crosscheck.mean_period, 2026-12-05) used the median interval, which misreads the period of
an alternating lattice whose intervals repeat unequally, and the error piles up into firing offsets.
Where a case saved its per-firing file (``firing_offsets.csv``: every aligned SPICE firing time before
the end minus one period, per neuron), this script re-runs the behavioural model of the same case (its
``run`` line in run.sh gives card, lattice and engine) and scores the recorded SPICE firings against it
with the cross-check's own functions: ring periods (mean interval), time scale, median firing offset
and unmatched fraction, and the neighbour lags and lock classes where the file ends (one period before
the run's end; the behavioural run cut at the same aligned time). Energy and orbit classes need the
waveforms and are not rescored.

Usage (repository root): .venv/bin/python reports/example_gate_crosscheck/rescore.py [CASE ...]
(default: every case with a firing_offsets.csv). Prints one markdown row per case.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from hwsim.checks.crosscheck import _behavioural_runs, _final_lags, _match, _model_onsets, _period_ratio, _ring_stats
from hwsim.circuit.characterize import Conditions
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.card import load_card

HERE = Path(__file__).resolve().parent
DURATION_S = 180e-6  # every case of run.sh: --duration 180u


def run_lines() -> dict[str, list[str]]:
    """Case name -> the arguments of its ``run`` line in run.sh (card geometry n boundary orientation
    [shared-neuron card] [engine]); a line inside one of run.sh's ``for corner in tt ss ff`` loops
    gives one case per corner."""
    cases = {}
    for line in (HERE / "run.sh").read_text().splitlines():
        line = line.strip()
        if not line.startswith("run "):
            continue
        for corner in ("tt", "ss", "ff") if "corner" in line else ("",):
            words = shlex.split(line.replace("${corner}", corner).replace("$corner", corner), comments=True)
            if len(words) >= 7:
                cases[words[1]] = words[2:]
    return cases


def rescore(name: str, args: list[str]) -> dict:
    """The timing metrics of case ``name`` from its recorded SPICE firings and a fresh behavioural run."""
    card_name, geometry, n, boundary, orientation = args[:5]
    shared_name = args[5] if len(args) > 5 and args[5] else None
    engine = args[6] if len(args) > 6 else "numpy"
    card, shared = load_card(card_name), (load_card(shared_name) if shared_name else None)
    spec = LatticeSpec(geometry=geometry, nx=int(n), ny=int(n), boundary=boundary, orientation=orientation,
                       shared=1, coupling_weight=0.0, rule="gate")
    lattice = build_lattice(spec)
    rec = pd.read_csv(HERE / name / "firing_offsets.csv")
    spice_on = [np.sort(rec.spice_time_s[rec.neuron == i].to_numpy()) for i in range(lattice.n_neurons)]
    t_settle = 2 * Conditions.of_card(card.conditions).rc_s
    run = _behavioural_runs(card, replace(spec), ("gate",), DURATION_S, shared, engine)["gate"]
    model_on = _model_onsets(run, lattice.n_neurons)
    sp_per, _, sp_last = _ring_stats(spice_on, lattice.rings, t_settle)
    md_per = _ring_stats(model_on, lattice.rings, t_settle)[0]
    period_ref = float(np.nanmedian(sp_per))
    scale = _period_ratio(sp_per, md_per)
    offset, unmatched = _match(spice_on, [t * scale for t in model_on], DURATION_S, period_ref)
    # final lags where the file ends (one period before the run's end): the model cut at the same aligned time
    md_last = _ring_stats([t[t * scale < DURATION_S - period_ref] for t in model_on], lattice.rings, t_settle)[2]
    lag_err, class_diff = _final_lags(lattice.ring_neighbors, (sp_last, sp_per), (md_last, md_per))
    both = np.isfinite(sp_per) & np.isfinite(md_per)
    return {"case": name, "period_rel": float(np.max(np.abs(md_per[both] / sp_per[both] - 1))),
            "offset_over_period": offset / period_ref, "unmatched": unmatched, "firings": int(len(rec)),
            "lag_rad": lag_err, "class_diff": class_diff}


def main(names: list[str]) -> int:
    """Print the rescored rows of ``names`` (default: all cases with a per-firing file)."""
    cases = run_lines()
    scorable = [c for c in cases if (HERE / c / "firing_offsets.csv").is_file()]
    bad = [n for n in names if n not in scorable]
    if bad:
        print(f"error: no recorded firings for {', '.join(bad)}; cases with a firing_offsets.csv: "
              f"{', '.join(scorable)}", file=sys.stderr)
        return 2
    print("| case | ring period rel | median offset / period | unmatched | final lag error rad | lock classes "
          "differing | SPICE firings scored |\n" + "|---" * 7 + "|")
    for name in names or scorable:
        r = rescore(name, cases[name])
        print(f"| {r['case']} | {r['period_rel']:.4f} | {r['offset_over_period']:.4f} | {r['unmatched']:.3f} | "
              f"{r['lag_rad']:.3f} | {r['class_diff']:.2f} | {r['firings']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
