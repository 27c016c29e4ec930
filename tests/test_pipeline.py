"""End-to-end pipeline (`hwsim run`): config checks, stage results vs report, cache reuse, render.

Runs the real chain on the generic model (ngspice, the numpy lattice reference, the transistor
cross-check of a 2 x 1 lattice), about 20 s, once per module.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hwsim.analysis.power import estimate_power
from hwsim.analysis.study import analyse_run
from hwsim.app.pipeline import DEFAULT_CONFIG, load_config, run_pipeline
from hwsim.app.store import StageStore
from hwsim.errors import InputError
from hwsim.lattice.simulate import load_run
from hwsim.lattice.topology import LatticeSpec, build_lattice
from hwsim.model.card import load_card

pytestmark = pytest.mark.ngspice

SMALL = DEFAULT_CONFIG.parent / "generic_small.toml"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The small config run twice with one cache (second: all cached), plus a changed lattice."""
    base = tmp_path_factory.mktemp("pipeline")
    cfg = load_config(SMALL)
    first = run_pipeline(cfg, cache_dir=base / "cache", output_dir=base / "r1")
    second = run_pipeline(cfg, cache_dir=base / "cache", output_dir=base / "r2")
    text = SMALL.read_text().replace("seed = 3", "seed = 4")
    (base / "changed.toml").write_text(text)
    third = run_pipeline(load_config(base / "changed.toml"), cache_dir=base / "cache", output_dir=base / "r3")
    return first, second, third


def _report(result) -> dict:
    return json.loads((result.report_dir / "report.json").read_text())


def test_report_numbers_match_the_stage_results(runs):
    first = runs[0]
    rep = _report(first)
    st = first.stages
    card = load_card(st["card"].folder / "card.json")
    assert {k: v["value"] for k, v in rep["card"]["parameters"].items()} == \
        {k: p.value for k, p in card.parameters.items()}
    # calibration: every ring period within the stated tolerance (2 %)
    periods = [r for r in rep["calibration"]["residuals"] if r["quantity"].startswith("period")]
    assert len(periods) == 4 and all(abs(r["error"]) <= 0.02 for r in periods)  # N = 3, 4, 5, 6
    # metrics recomputed independently from the stored run at the report's sample times
    run = load_run(st["lattice"].folder / "run.npz")
    lattice = build_lattice(run.spec)
    assert rep["lattice"]["events"] == len(run.events.step) > 1000
    times = np.array(rep["metrics"]["times_s"])
    rows, summary, _ = analyse_run(run, lattice, times, 0.25)
    assert rep["metrics"]["summary"]["xi_ss"] == pytest.approx(summary["xi_ss"], rel=1e-12)
    assert [r["R"] for r in rep["metrics"]["timeseries"]] == pytest.approx([r["R"] for r in rows], rel=1e-12)
    # power recomputed over the stated window; the breakdown adds up to the total
    t0, t1 = rep["power"]["window_s"]
    power = estimate_power(run, lattice, t0, t1)
    assert rep["power"]["total_j"] == pytest.approx(power.total_j, rel=1e-12)
    assert sum(rep["power"]["breakdown_j"].values()) == pytest.approx(rep["power"]["total_j"], rel=1e-9)
    breakdown = rep["power"]["breakdown_j"]  # negative beyond 1e-6 of the total is flagged (noise below is not)
    negative = any(v < -1e-6 * sum(abs(b) for b in breakdown.values()) for v in breakdown.values())
    assert negative == any("negative energy" in w for w in rep["power"]["warnings"])
    # cross-check section is the stage's own JSON
    cc = json.loads((st["crosscheck"].folder / "crosscheck.json").read_text())
    assert rep["crosscheck"]["rows"] == cc["rows"] and rep["crosscheck"]["passed"] is True
    # the saved cross-check says what ran, and its two per-firing files agree: every SPICE firing before
    # the end minus one period has an offset row, in the same neuron order
    setup, cc_folder = cc["setup"], st["crosscheck"].folder
    assert LatticeSpec(**setup["lattice"]) == load_config(SMALL).crosscheck_spec
    assert setup["engine"] == "numpy" and setup["card"] == "generic_small_card"
    assert len(setup["kicks"]) == build_lattice(LatticeSpec(**setup["lattice"])).n_rings
    onsets, offsets = pd.read_csv(cc_folder / "spice_onsets.csv"), pd.read_csv(cc_folder / "firing_offsets.csv")
    early = onsets[onsets.time_s < setup["duration_s"] - setup["period_s"]]
    assert early.neuron.tolist() == offsets.neuron.tolist() and len(offsets) > 10
    assert early.time_s.to_numpy() == pytest.approx(offsets.spice_time_s.to_numpy(), rel=1e-12)
    assert rep["versions"]["ngspice"] and rep["versions"]["brian2"]


def test_tables_agree_with_the_json(runs):
    folder = runs[0].report_dir
    rep = _report(runs[0])
    for name in ("sync_timeseries", "calibration_residuals", "power_breakdown", "ring_energy", "crosscheck",
                 "card_parameters"):
        csv = pd.read_csv(folder / "tables" / f"{name}.csv")
        parquet = pd.read_parquet(folder / "tables" / f"{name}.parquet")
        assert len(csv) == len(parquet) > 0
    ts = pd.read_parquet(folder / "tables" / "sync_timeseries.parquet")
    assert ts["xi"].tolist() == pytest.approx([r["xi"] for r in rep["metrics"]["timeseries"]], rel=1e-12)


def test_report_html_is_self_contained(runs):
    html = (runs[0].report_dir / "report.html").read_text()
    figures = sorted(p.name for p in (runs[0].report_dir / "figures").glob("*.png"))
    assert html.count('src="data:image/png;base64,') == html.count("<img ") >= 8
    assert "http://" not in html and "https://" not in html and "<link" not in html
    for name in ("hysteresis.png", "step.png", "ring.png", "ring_periods.png", "snapshots.png", "sync.png",
                 "power_breakdown.png", "energy_vs_n.png"):
        assert name in figures


def test_unchanged_config_reuses_every_stage(runs):
    first, second, third = runs
    assert not any(s.cached for s in first.stages.values())
    assert all(s.cached for s in second.stages.values())
    assert {k: s.key for k, s in first.stages.items()} == {k: s.key for k, s in second.stages.items()}
    assert _report(first)["metrics"] == _report(second)["metrics"]
    # a new seed re-runs the lattice and its analysis only
    assert third.stages["card"].cached and third.stages["crosscheck"].cached
    assert not third.stages["lattice"].cached and not third.stages["analysis"].cached


@pytest.mark.chromium
def test_report_renders_in_headless_chromium(runs, tmp_path):
    from hwsim.app.report import check_render

    shot = tmp_path / "shot.png"
    assert check_render(runs[0].report_dir / "report.html", shot) == "ok"
    assert shot.stat().st_size > 20_000
    # and the check fails on a report with a broken figure
    broken = tmp_path / "broken.html"
    html = (runs[0].report_dir / "report.html").read_text()
    broken.write_text(html.replace('src="data:image/png;base64,', 'src="data:image/png;base64,AAAA', 1))
    with pytest.raises(Exception, match="broken: hysteresis.png"):
        check_render(broken)
    # a script injected into the page is blocked by the report's Content-Security-Policy: had it run,
    # its later load handler would overwrite the "ok" mark
    injected = tmp_path / "injected.html"
    hostile = ('<script>addEventListener("load", function () '
               '{ document.body.setAttribute("data-render-check", "pwned"); });</script>')
    injected.write_text(html.replace("</body>", hostile + "</body>"))
    assert "Content-Security-Policy" in html and html.count("<script>") == 1
    assert check_render(injected) == "ok"
    # without the policy the same script runs (so the line above cannot pass by accident)
    unguarded = tmp_path / "unguarded.html"
    unguarded.write_text(injected.read_text().replace('http-equiv="Content-Security-Policy"', 'name="x"'))
    with pytest.raises(Exception, match="pwned"):
        check_render(unguarded)


BAD = {
    "unknown section": ("[latice]\nnx = 4\n", "unknown section [latice]"),
    "unknown key": ("[lattice]\nnxx = 4\n", "unknown key lattice.nxx"),
    "wrong type": ("[lattice]\nnx = \"big\"\n", "lattice.nx = 'big' must be an integer"),
    "list of ints": ("[calibration]\nring_sizes = [3, \"x\"]\n", "calibration.ring_sizes"),
    "impossible size": ("[lattice]\nnx = 0\n", "[lattice] lattice size: nx and ny must be >= 1"),
    "bad geometry": ("[lattice]\ngeometry = \"hex\"\n", "geometry"),
    "negative vdd": ("[circuit]\nvdd_v = -1.8\n", "vdd_v"),
    "missing card": ("[calibration]\ncard = \"no_such_card\"\n", "calibration.card"),
    "table format": ("[report]\ntables = [\"xlsx\"]\n", "report.tables: xlsx unknown"),
    "too short": ("[simulation]\nduration_tau = 10.0\n", "simulation.duration_tau = 10.0 is too short"),
    "bad engine": ("[simulation]\nengine = \"gpu\"\n", "[simulation] config engine"),
    "crosscheck too big": ("[crosscheck]\nnx = 8\nny = 8\n", "too many for a transistor-level run"),
    "crosscheck rule": ("[crosscheck]\nrule = \"summing\"\n", "[crosscheck] rule = 'summing' has no circuit in hwsim"),
    "crosscheck rule markup": ("[crosscheck]\nrule = \"<script>\"\n", "rule = '<script>' has no circuit"),
    "gate with eps links": ("[lattice]\nrule = \"gate\"\ncoupling_weight = 0.3\n", "the gate rule ANDs logic inputs"),
    "crosscheck gate with eps": ("[crosscheck]\nrule = \"gate\"\ncoupling_weight = 0.3\n",
                                 "[crosscheck] lattice rule: the gate rule"),
    "not toml": ("[lattice\n", "not valid TOML"),
    "fit an unfittable parameter": ("[calibration]\nfit_parameters = [\"c_f\"]\n", "'c_f' cannot be fitted"),
    "unknown vt_minus source": ("[calibration]\nfit_parameters = [\"v_clamp_v\"]\nvt_minus = \"<b>\"\n",
                                "fit.vt_minus: '<b>' unknown"),
    "vt_minus from the ring and fitted": ("[calibration]\nvt_minus = \"ring\"\n", "cannot also be in fit.parameters"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_config_errors_name_the_key(case, tmp_path):
    text, message = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert message in str(info.value)


def test_cli_reports_config_errors_before_simulating(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[lattice]\nnx = -3\n")
    cache = tmp_path / "cache"
    proc = subprocess.run([sys.executable, "-m", "hwsim.app.cli", "run", str(path), "--cache", str(cache)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "[lattice] lattice size" in proc.stderr and "Traceback" not in proc.stderr
    assert not cache.exists()
    missing = subprocess.run([sys.executable, "-m", "hwsim.app.cli", "run", str(tmp_path / "nope.toml")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_failed_stage_publishes_nothing(tmp_path):
    store = StageStore(tmp_path)
    with pytest.raises(RuntimeError):
        with store.writing("card", "k1") as tmp:
            (tmp / "card.json").write_text("{}")
            raise RuntimeError("ngspice died")
    assert not store.has("card", "k1") and list((tmp_path / "card").iterdir()) == []
    with store.writing("card", "k1") as tmp:
        (tmp / "card.json").write_text("{}")
    assert store.has("card", "k1") and (store.folder("card", "k1") / "card.json").is_file()


def test_default_config_is_valid():
    cfg = load_config(DEFAULT_CONFIG)
    assert cfg.conditions.library == "sky130" and cfg.lattice.nx == 48 and cfg.crosscheck_spec is not None
    assert Path(cfg.path).name == "default.toml"


def test_given_card_skips_spice_and_crosscheck(tmp_path):
    """`calibration.card` uses a shipped card (no SPICE) and `crosscheck.enabled = false` drops that
    stage; the report has no waveform figures but every other section."""
    path = tmp_path / "card.toml"
    path.write_text('name = "given"\n[calibration]\ncard = "generic_tt"\n[lattice]\nnx = 8\nny = 8\n'
                    'orientation = "alternating"\n[simulation]\nduration_tau = 60.0\nengine = "numpy"\n'
                    '[crosscheck]\nenabled = false\n[report]\ntables = ["csv"]\n')
    result = run_pipeline(load_config(path), cache_dir=tmp_path / "cache", output_dir=tmp_path / "out")
    assert list(result.stages) == ["card", "lattice", "analysis"]
    rep = _report(result)
    assert rep["card"]["parameters"] == load_card("generic_tt").to_dict()["parameters"]
    assert rep["crosscheck"] is None and rep["metrics"]["summary"]["events"] > 100
    figures = {p.name for p in (result.report_dir / "figures").glob("*.png")}
    assert "hysteresis.png" not in figures and "sync.png" in figures
    assert not list((result.report_dir / "tables").glob("*.parquet"))


def test_cli_run_exits_1_when_the_crosscheck_fails(tmp_path):
    """A card whose tau is 40 % off its circuit cannot match the transistors: `hwsim run` writes the
    report and then exits 1 (a failed check), saying so on stderr."""
    card = load_card("generic_tt").to_dict()
    card["parameters"]["tau_s"]["value"] *= 1.4
    (tmp_path / "off.json").write_text(json.dumps(card))
    config = tmp_path / "c.toml"
    config.write_text(f'name = "off"\n[calibration]\ncard = "{tmp_path / "off.json"}"\n[lattice]\nnx = 4\nny = 4\n'
                      'orientation = "alternating"\n[simulation]\nduration_tau = 60.0\nengine = "numpy"\n'
                      '[crosscheck]\nnx = 2\nny = 1\nshared = 0\ncoupling_weight = 0.3\nduration_tau = 30.0\n')
    proc = subprocess.run([sys.executable, "-m", "hwsim", "run", str(config), "--cache", str(tmp_path / "cache"),
                           "--output", str(tmp_path / "out"), "--quiet"], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "cross-check: FAIL" in proc.stdout and "check failed" in proc.stderr
    assert (tmp_path / "out" / "report.html").is_file()


def test_power_warning_flags_real_negative_energy_not_interpolation_noise():
    from hwsim.app.pipeline import _power_warnings

    noise = {"coupling": 0.34, "crowbar": -1.5e-7, "edges": 1.3e-9, "static": 0.38}  # the BEAM cell's run
    broken = {**noise, "crowbar": -0.01}
    assert _power_warnings(noise, 0.167, 1.03) == []
    assert [w.split(" (")[0] for w in _power_warnings(broken, 0.167, 1.03)] == ["negative energy"]
    assert "engine = \"event\"" in _power_warnings(noise, 28.0, 1.03)[0]  # re-firing: names the check to run


def test_gate_lattice_gets_the_shared_neurons_card_from_the_gate_bench(runs):
    """The small config's lattice uses the gate rule: the card stage also measures the shared
    neurons' card behind their AND2 gate (`gate_card`: the ring card with the delay the gate adds),
    the lattice runs with it for the shared neurons, and the report says which card each class uses."""
    first = runs[0]
    folder = first.stages["card"].folder
    card, shared = load_card(folder / "card.json"), load_card(folder / "shared_card.json")
    added = shared.fit["gate_step"]["delay_added_s"]
    assert shared.name == f"{card.name}_and2"
    assert shared.value("delay_s") == pytest.approx(max(card.value("delay_s") + added, 0.0), abs=1e-15)
    for key in ("vt_plus_v", "vt_minus_v", "tau_s"):
        assert shared.value(key) == card.value(key)
    run = load_run(first.stages["lattice"].folder / "run.npz")
    assert run.shared_card is not None and run.shared_card.name == shared.name
    cards = _report(first)["lattice"]["cards"]
    assert f"shared neurons: {shared.name}" in cards and f"private neurons: {card.name}" in cards


def test_given_card_takes_a_given_shared_card(tmp_path):
    """`calibration.shared_card` with a given card: the exact engine sees the shared neurons' own
    delay (generic_tt_and2: the gate's sharper edge makes it shorter), so the events move; without
    it every neuron uses the card (the control)."""
    body = ('name = "given"\n[calibration]\ncard = "generic_tt"\n{extra}[lattice]\nnx = 6\nny = 6\nrule = "gate"\n'
            '[simulation]\nduration_tau = 60.0\nengine = "event"\n[crosscheck]\nenabled = false\n'
            '[power]\nenabled = false\n')
    runs = {}
    for name, extra in (("with", 'shared_card = "generic_tt_and2"\n'), ("without", "")):
        path = tmp_path / f"{name}.toml"
        path.write_text(body.format(extra=extra))
        result = run_pipeline(load_config(path), cache_dir=tmp_path / "cache", output_dir=tmp_path / name)
        runs[name] = (load_run(result.stages["lattice"].folder / "run.npz"), _report(result))
    run, rep = runs["with"]
    assert run.shared_card.name == "generic_tt_and2" and "shared neurons: generic_tt_and2" in rep["lattice"]["cards"]
    control, rep0 = runs["without"]
    assert control.shared_card is None and rep0["lattice"]["cards"] == "every neuron: generic_tt"
    assert len(run.events) > 100
    n = min(len(run.events), len(control.events))
    assert not np.array_equal(run.events.time[:n], control.events.time[:n])


@pytest.mark.parametrize("cal,needle", [
    ('shared_card = "generic_tt_and2"\n', "calibration.shared_card needs calibration.card"),
    ('card = "generic_tt"\nshared_card = "no_such_card"\n', "calibration.shared_card:"),
])
def test_bad_shared_card_settings_name_the_key(tmp_path, cal, needle):
    path = tmp_path / "c.toml"
    path.write_text(f'name = "c"\n[calibration]\n{cal}')
    with pytest.raises(InputError) as info:
        load_config(path)
    assert needle in str(info.value)
