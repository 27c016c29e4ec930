"""The pipeline report: a self-contained ``report.html``, ``report.json``, tables and figures.

:func:`write_report` reads the stage folders of a :class:`~hwsim.app.pipeline.PipelineResult` and
writes into the report folder:

- ``report.json``: every number the HTML shows (config, stages and their cache keys, circuit,
  card, calibration residuals, lattice, synchronisation summary and time series, power, ring
  energies, cross-check, versions and provenance);
- ``tables/*.csv`` and ``tables/*.parquet`` (as ``report.tables`` asks);
- ``figures/*.png``, also embedded (base64) in ``report.html``, which needs no network or other
  file to open. A small inline script marks the page ``data-render-check="ok"`` once every figure
  has decoded (``broken: ...`` otherwise); :func:`check_render` loads the page in headless
  Chromium and reads that mark.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from markupsafe import Markup

from hwsim.errors import HwsimError, InputError, MissingDependencyError
from hwsim.files import write_json_atomic
from hwsim.model.behavior import RULE_CIRCUITS

__all__ = ["write_report", "check_render", "collect_versions"]

#: The page's only script: marks ``<body data-render-check>`` "ok" when every figure decoded.
RENDER_CHECK_JS = """
window.addEventListener("load", function () {
  var broken = [];
  document.querySelectorAll("img").forEach(function (img) {
    if (!img.complete || img.naturalWidth === 0) { broken.push(img.getAttribute("data-file")); }
  });
  document.body.setAttribute("data-render-check", broken.length ? "broken: " + broken.join(", ") : "ok");
});
"""
_JS_HASH = base64.b64encode(hashlib.sha256(RENDER_CHECK_JS.encode()).digest()).decode()
#: Content-Security-Policy of the report: nothing loads from outside the file; images only as
#: data: URIs; the one script above runs by its hash, so an injected script or handler cannot.
CSP = (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{_JS_HASH}'; "
       "base-uri 'none'; form-action 'none'")

_PACKAGES = ("numpy", "scipy", "pandas", "brian2", "PySpice", "matplotlib", "jinja2", "sky130", "dask",
             "distributed")


def collect_versions() -> dict:
    """Versions of Python, the platform, ngspice and every package the pipeline uses."""
    from hwsim import __version__
    from hwsim.circuit.spice import ngspice_version_or_unknown

    out = {"hwsim": __version__, "python": platform.python_version(), "platform": platform.platform(),
           "ngspice": ngspice_version_or_unknown()}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _read(folder: Path, name: str):
    path = folder / name
    return json.loads(path.read_text()) if path.is_file() else None


def _waveform_figures(w: dict, card, fig_dir: Path) -> list[tuple[str, Path, str]]:
    """Hysteresis loop, step response and ring waveforms, SPICE vs behavioural."""
    from hwsim.app.plot import plot_hysteresis, plot_overlay
    from hwsim.circuit.measure import crossings
    from hwsim.model.behavior import (
        input_node_trace,
        output_trace,
        ring_network,
        schmitt_trace,
        simulate_events,
    )
    from hwsim.model.events import Events

    vdd = card.value("vdd_v")
    figs = [("Hysteresis loop", plot_hysteresis(w["hyst_x"], w["hyst_o"], card, fig_dir / "hysteresis.png"),
             "SPICE transfer curve o(x) of the Schmitt trigger (slow triangle sweep) and the card's ideal loop. "
             "The card's VT- is fitted to ring periods, i.e. at the slew x has in a ring, so it sits below the "
             "slow-sweep VT-.")]
    t, u = w["step_t"], w["step_u"]
    up, down = crossings(t, u, vdd / 2, "rising"), crossings(t, u, vdd / 2, "falling")
    du = float(u.max() - u.min())
    steps = [(float(up[0]), du)] + ([(float(down[0]), -du)] if len(down) else [])
    x_model = input_node_trace(card, t, steps)
    figs.append(("Step response", plot_overlay(t, {"u": u, "x": w["step_x"], "o": w["step_o"]},
                                               {"x": x_model, "o": schmitt_trace(card, t, x_model)},
                                               fig_dir / "step.png", "one neuron, input step up and back down"),
                 "Input u, input node x and output o of one neuron: SPICE (solid) and the card (dashed)."))
    n, t = int(w["ring_n"]), w["ring_t"]
    kick = float(w["rc_s"])
    events = simulate_events(card, ring_network(n), float(t[-1]) + kick, kicks=((kick, 0, None),))
    spice_on = crossings(t, w["ring_o1"], vdd / 2, "falling")
    model_on = events.onsets(1)
    shift = float(spice_on[0] - model_on[0]) if len(spice_on) and len(model_on) else 0.0
    shifted = Events(events.time + shift, events.neuron, events.kind)
    spice = {"x0": w["ring_x0"], **{f"o{i}": w[f"ring_o{i}"] for i in range(min(n, 3))}}
    model = {f"o{i}": output_trace(card, t, shifted, i) for i in range(min(n, 3))}
    figs.append((f"Ring of {n}", plot_overlay(t, spice, model, fig_dir / "ring.png",
                                              f"ring of {n}, kicked once at {kick * 1e6:.2f} us"),
                 f"First outputs of a SPICE ring of {n} and of the card's exact event engine, the model shifted "
                 f"by {shift * 1e9:+.1f} ns so that neuron 1 first fires together (the SPICE kick is a current "
                 "pulse, the model's an ideal jump); any drift after that is period error."))
    return figs


def _table(rows, columns=None) -> str:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns)  # to_html escapes every cell (escape=True)
    return Markup(frame.to_html(index=False, float_format=lambda v: f"{v:.5g}", border=0, classes="tbl"))


def _cell_row(cell) -> dict:
    """The neuron cell a card was calibrated from: file, subcircuit, port roles, models, SHA-256."""
    if not isinstance(cell, dict):
        return {"cell": "built-in (netlists/cells/nv_neuron.sp + schmitt.sp)"}
    roles = ", ".join(f"{r}={p}" for r, p in zip(cell.get("roles", ()), cell.get("ports", ())))
    return {"cell file": cell.get("path"), "subckt": cell.get("subckt"), "kind": cell.get("kind"), "ports": roles,
            "models": cell.get("models") or "hwsim device library", "sha256": cell.get("sha256")}


def _embed(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


class _Inputs:
    """The stage results a report reads (card, run, lattice, metrics, power, cross-check)."""

    def __init__(self, result) -> None:
        from hwsim.lattice.simulate import load_run
        from hwsim.lattice.topology import build_lattice
        from hwsim.model.card import load_card

        st = result.stages
        self.cfg, self.stages = result.config, st
        self.card = load_card(st["card"].folder / "card.json")
        self.run = load_run(st["lattice"].folder / "run.npz")
        self.lattice = build_lattice(self.run.spec)
        self.metrics = _read(st["analysis"].folder, "metrics.json")
        self.power = _read(st["analysis"].folder, "power.json")
        self.ring_energy = _read(st["analysis"].folder, "ring_energy.json")
        self.cc = _read(st["crosscheck"].folder, "crosscheck.json") if "crosscheck" in st else None
        self.tau = self.card.value("tau_s")


def _circuit_section(inp: _Inputs, fig_dir: Path, tables: dict) -> dict:
    from hwsim.app.plot import plot_ring_periods

    card = inp.card
    residuals = list(card.fit.get("residuals", []))
    figs = []
    traces = inp.stages["card"].folder / "traces.npz"
    if traces.is_file():
        with np.load(traces) as npz:
            figs += _waveform_figures({k: npz[k] for k in npz.files}, card, fig_dir)
    if residuals:
        figs.append(("Ring period vs N", plot_ring_periods(residuals, fig_dir / "ring_periods.png"),
                     "SPICE ring periods and the card's, with the model error; squares: sizes the fit used."))
        tables["calibration_residuals"] = residuals
    params = [{"parameter": k, "value": p.value, "unit": p.unit, "stderr": p.stderr, "source": p.source}
              for k, p in sorted(card.parameters.items())]
    tables["card_parameters"] = params
    fit = _table(residuals) if residuals else "<p>card given by the config (no calibration in this run)</p>"
    return {"id": "circuit", "title": "Circuit, conditions and behavioural model card", "figures": figs,
            "tables": [("Conditions", _table([{k: v for k, v in card.conditions.items() if k != "cell"}])),
                       ("Cell", _table([_cell_row(card.conditions.get("cell"))])), ("Card parameters", _table(params)),
                       ("Fit quality (calibration residuals)", fit)]}


def circuit_of_rule(rule: str, card) -> str:
    """What ``rule`` is in hardware (:data:`RULE_CIRCUITS`), naming the card's own cell when it was
    calibrated on one instead of the built-in nv_neuron."""
    text = RULE_CIRCUITS[rule]
    cell = (card.conditions or {}).get("cell")
    if cell:
        label = f"{cell['path']}:{cell['subckt']}"
        text = text.replace("the nv_neuron cell (netlists/cells/nv_neuron.sp)", f"the cell {label}")
        text = text.replace("nv_neuron", label)
    return text


def lattice_summary(run, lattice, tau_s: float) -> dict:
    """The lattice run in one flat dict (spec, sizes, duration, events, engine, wall time)."""
    spec = run.spec
    return {"geometry": spec.geometry, "nx": spec.nx, "ny": spec.ny, "ring_size": spec.ring_size,
            "shared": spec.shared, "orientation": spec.orientation, "boundary": spec.boundary,
            "coupling_weight": spec.coupling_weight, "rule": spec.rule, "circuit": circuit_of_rule(spec.rule, run.card),
            "neurons": lattice.n_neurons,
            "rings": lattice.n_rings, "edges": int(len(lattice.network.src)), "duration_s": run.n_steps * run.dt,
            "duration_tau": run.n_steps * run.dt / tau_s, "dt_s": run.dt, "events": len(run.events),
            "engine": run.config.engine, "target": run.config.target, "seed": run.config.seed,
            "init": run.config.init, "sim_wall_s": run.wall_s, "cards": cards_of_classes(run)}


def cards_of_classes(run) -> str:
    """Which card each neuron class of ``run`` uses, with the shared neurons' delay when it differs."""
    if run.shared_card is None:
        return f"every neuron: {run.card.name}"
    extra = run.shared_card.value("delay_s") - run.card.value("delay_s")
    return (f"private neurons: {run.card.name}; shared neurons: {run.shared_card.name} "
            f"(delay {run.shared_card.value('delay_s') * 1e12:.0f} ps, {extra * 1e12:+.0f} ps)")


def _lattice_section(inp: _Inputs, fig_dir: Path, tables: dict) -> dict:
    from hwsim.app.plot import plot_snapshots, plot_sync

    rows, summary = inp.metrics["rows"], inp.metrics["summary"]
    tables["sync_timeseries"] = rows
    figs = [("Phases and domains", plot_snapshots(inp.lattice, inp.metrics["snapshots"], inp.tau,
                                                  fig_dir / "snapshots.png"),
             "Ring phases (hue; grey: silent) and domains (connected same-phase neighbours; grey: walls) over time."),
            ("Order and correlation length", plot_sync(rows, summary, inp.tau, fig_dir / "sync.png"),
             "xi(t) log-log with the power-law fit of its growth (up to its maximum), R(t) and the mean local "
             "order.")]
    columns = ["t", "R", "xi", "xi_capped", "local_order", "lag_std", "n_domains", "largest_domain", "wall_density",
               "active_rings"]
    sync = {k: v for k, v in summary.items() if k != "orbit_counts"}
    return {"id": "lattice", "title": "Lattice and synchronisation", "figures": figs,
            "tables": [("Lattice run", _table([lattice_summary(inp.run, inp.lattice, inp.tau)])),
                       ("Synchronisation summary", _table([sync])), ("Time series", _table(rows, columns))]}


def _power_section(inp: _Inputs, fig_dir: Path, tables: dict) -> dict:
    import pandas as pd

    from hwsim.app.plot import plot_breakdown, plot_power_table

    power = inp.power
    window = power["window_s"][1] - power["window_s"][0]
    figs = [("Power by mechanism", plot_breakdown(power["breakdown_j"], window, fig_dir / "power_breakdown.png"),
             f"Average supply power of the whole lattice over the last {window / inp.tau:.0f} tau, by mechanism.")]
    brk = [{"mechanism": k, "energy_j": v, "power_w": v / window, "share": v / power["total_j"]}
           for k, v in power["breakdown_j"].items()]
    tables["power_breakdown"] = brk
    warn = Markup("").join(Markup("<p style='color:#b00'><b>Warning:</b> {}</p>").format(w)
                           for w in power.get("warnings", []))
    keys = ("total_j", "power_w", "power_per_neuron_w", "firings", "energy_per_firing_j", "neurons")
    out = [("Lattice power", warn + _table([{k: power[k] for k in keys}])), ("Breakdown", _table(brk))]
    if inp.ring_energy:
        tables["ring_energy"] = inp.ring_energy
        paths = plot_power_table(pd.DataFrame(inp.ring_energy).assign(card=inp.card.name), fig_dir)
        figs.append(("Energy per ring period vs N", paths[0],
                     "Behavioural estimate (lines) vs SPICE (markers) of the energy per ring period."))
        out.append(("Ring energy: model vs SPICE", _table(inp.ring_energy)))
    items = Markup("").join(Markup("<li>{}</li>").format(a) for a in power["assumptions"])
    out.append(("Assumptions", Markup("<ul>{}</ul>").format(items)))
    return {"id": "power", "title": "Power and energy", "tables": out, "figures": figs}


def _crosscheck_section(inp: _Inputs, tables: dict) -> dict:
    cc, spec = inp.cc, inp.cfg.crosscheck_spec
    tables["crosscheck"] = cc["rows"]
    figs = [(name, inp.stages["crosscheck"].folder / f"{stem}.png", text) for name, stem, text in (
        ("Transistor vs behavioural outputs", "overlay", "First neuron of each ring, ngspice vs the card."),
        ("Firing raster", "firings", "Firing onsets of every neuron, ngspice vs the card."))]
    verdict = Markup("<p><b>{}</b>; the circuit follows the <b>{}</b> rule; "
                     "ngspice {} s vs behavioural {} s</p>").format(
        "PASS" if cc["passed"] else "FAIL", cc["rule_followed"], f"{cc['spice_wall_s']:.1f}",
        f"{cc['behavioural_wall_s']:.3f}")
    return {"id": "crosscheck", "figures": figs, "tables": [("Verdict", verdict), ("Metrics", _table(cc["rows"]))],
            "title": f"Cross-check: transistor-level vs behavioural ({spec.geometry} {spec.nx} x {spec.ny}, "
                     f"shared {spec.shared}, {spec.orientation}, {spec.rule} rule: "
                     f"{circuit_of_rule(spec.rule, inp.card)})"}


def _provenance_section(inp: _Inputs, stages: dict, versions: dict) -> dict:
    prov = inp.card.provenance
    return {"id": "provenance", "title": "Versions and provenance", "figures": [], "tables": [
        ("Stages (content-hashed; cached = reused from an earlier run)",
         _table([{"stage": k, **v} for k, v in stages.items()])),
        ("Versions", _table([versions])),
        ("Card provenance", _table([{k: v for k, v in prov.items() if k != "netlists_sha256"}])),
        ("Netlist hashes", _table([prov.get("netlists_sha256", {})])),
        ("Config", Markup("<pre>{}</pre>").format(inp.cfg.path.read_text()))]}


def _write_tables(tables: dict, folder: Path, formats) -> None:
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        frame = pd.DataFrame(rows)
        if "csv" in formats:
            frame.to_csv(folder / f"{name}.csv", index=False)
        if "parquet" in formats:
            frame.to_parquet(folder / f"{name}.parquet", index=False)


def write_report(result, folder: str | Path) -> Path:
    """Write the report of a finished pipeline run into ``folder`` (see the module docstring): into
    a temp folder inside it first, moved into place (the page last) only once everything is written."""
    final = Path(folder)
    final.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".report-", dir=final))  # published only when complete
    try:
        _write_report_files(result, folder)
        for item in sorted(folder.iterdir(), key=lambda p: p.name == "report.html"):  # the page last
            target = final / item.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return final


def _write_report_files(result, folder: Path) -> None:
    """Write report.json, tables, figures and report.html into ``folder``."""
    import jinja2

    fig_dir = folder / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    inp = _Inputs(result)
    tables: dict = {}
    sections = [_circuit_section(inp, fig_dir, tables), _lattice_section(inp, fig_dir, tables)]
    if inp.power is not None:
        sections.append(_power_section(inp, fig_dir, tables))
    if inp.cc is not None:
        sections.append(_crosscheck_section(inp, tables))
    stages = {k: {"key": v.key, "cached": v.cached, "seconds": v.seconds, "folder": str(v.folder)}
              for k, v in inp.stages.items()}
    versions = collect_versions()
    sections.append(_provenance_section(inp, stages, versions))
    card, cfg, lat = inp.card, inp.cfg, lattice_summary(inp.run, inp.lattice, inp.tau)
    payload = {"name": cfg.name, "config": {"path": str(cfg.path), "sha256": cfg.sha256, "sections": cfg.sections},
               "stages": stages, "wall_s": result.wall_s, "circuit": card.conditions, "card": card.to_dict(),
               "calibration": {"residuals": list(card.fit.get("residuals", [])),
                               "within_tolerance": card.within_tolerance},
               "lattice": lat, "metrics": {"summary": inp.metrics["summary"], "timeseries": inp.metrics["rows"],
                                           "times_s": inp.metrics["times_s"]},
               "power": inp.power, "ring_energy": inp.ring_energy, "crosscheck": inp.cc, "versions": versions}
    write_json_atomic(folder / "report.json", payload)
    _write_tables(tables, folder / "tables", cfg.sections["report"].get("tables", ["csv", "parquet"]))
    for sec in sections:
        sec["figures"] = [{"title": t, "src": _embed(p), "caption": c, "file": p.name} for t, p, c in sec["figures"]]
    env = jinja2.Environment(loader=jinja2.PackageLoader("hwsim.app", "templates"), autoescape=True)
    html = env.get_template("report.html.j2").render(name=cfg.name, sections=sections, card=card, lattice=lat,
                                                     render_check_js=Markup(RENDER_CHECK_JS), csp=CSP,
                                                     summary=inp.metrics["summary"], power=inp.power, cc=inp.cc,
                                                     versions=versions, wall_s=result.wall_s, tau=inp.tau,
                                                     n_stages=len(stages),
                                                     n_cached=sum(v["cached"] for v in stages.values()))
    (folder / "report.html").write_text(html)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise MissingDependencyError("headless Chromium not found: install it with `apt-get install -y chromium`")


def _run_chromium(cmd: list[str], timeout_s: float) -> tuple[int, str, str]:
    """Run Chromium in its own process group; (exit code, stdout, stderr). The whole group (its
    renderer and helper processes too) is killed on timeout or Ctrl-C."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except BaseException as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        if isinstance(exc, subprocess.TimeoutExpired):
            raise HwsimError(f"Chromium did not finish within {timeout_s:g} s (a script in the page may be "
                             "blocking it, e.g. an alert); it was killed") from None
        raise
    return proc.returncode, out, err


def check_render(html: str | Path, screenshot: str | Path | None = None, timeout_s: float = 120.0) -> str:
    """Open ``html`` in headless Chromium (offline, no sandbox profile left behind) and return its
    render mark (``"ok"`` when every figure decoded); raises :class:`HwsimError` when Chromium fails
    or the page is not ``ok``. ``screenshot``: also save a PNG of the top of the page."""
    import re

    html = Path(html).resolve()
    if not html.is_file():
        raise InputError(f"report {html} not found; give the report.html of a `hwsim run` folder")
    shot = None if screenshot is None else Path(screenshot).resolve()
    base = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--disable-background-networking", "--disable-extensions", "--mute-audio",
            "--virtual-time-budget=15000"]
    with tempfile.TemporaryDirectory(prefix="hwsim-chromium-") as profile:
        opts = base + [f"--user-data-dir={profile}"]
        code, out, err = _run_chromium(opts + ["--dump-dom", html.as_uri()], timeout_s)
        mark = re.search(r'data-render-check="([^"]*)"', out)
        if code != 0 or mark is None or mark.group(1) != "ok":
            found = mark.group(1) if mark else "no mark (the inline check did not run)"
            raise HwsimError(f"report {html} did not render cleanly in Chromium (exit {code}): {found}\n{err[-2000:]}")
        if shot is not None:
            _run_chromium(opts + [f"--screenshot={shot}", "--window-size=1280,2400", "--hide-scrollbars",
                                  html.as_uri()], timeout_s)
            if not shot.is_file() or shot.stat().st_size == 0:
                raise HwsimError(f"Chromium wrote no screenshot to {shot}; check that its folder is writable")
    return mark.group(1)
