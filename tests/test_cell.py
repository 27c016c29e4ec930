"""Foreign cells: the port checks, the built-in cell through the same interface, errors with evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwsim.circuit.cell import load_cell
from hwsim.circuit.characterize import Conditions, measure_hysteresis
from hwsim.circuit.devices import NETLIST_DIR
from hwsim.errors import InputError, MeasurementError, NetlistError

#: Behavioural inverter cells (ngspice B sources; ``models = none``) with a chosen transfer.
BEHAVIOURAL = """\
* hwsim-cell: kind=schmitt subckt=cell in=a out=y supply=vp ground=vn models=none
.subckt cell a y vp vn
Ra a vn 1meg
Bo yi vn V = {expr}
Ro yi y 100
Cy y vn 10f
.ends cell
"""
NO_HYSTERESIS = "v(vp, vn) * 0.5 * (1 - tanh(50 * (v(a, vn) - 0.5 * v(vp, vn))))"
WRONG_WAY = "v(vp, vn) * 0.5 * (1 + tanh(50 * (v(a, vn) - 0.5 * v(vp, vn))))"
STUCK = "v(vp, vn) + 0 * v(a, vn)"


def _write(tmp_path: Path, text: str, name: str = "cell.sp") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_builtin_cells_pass_the_same_checks():
    schmitt = load_cell(str(NETLIST_DIR / "cells" / "schmitt.sp"))
    neuron = load_cell(str(NETLIST_DIR / "cells" / "nv_neuron.sp"))
    assert (schmitt.kind, schmitt.ports, schmitt.roles) == ("schmitt", ("x", "o", "vdd", "vss"),
                                                            ("in", "out", "supply", "ground"))
    assert neuron.kind == "neuron" and neuron.roles == ("u", "x", "o", "supply", "ground")


def test_builtin_schmitt_as_a_foreign_cell_gives_the_builtin_thresholds():
    """The same transistors reached through the wrapper: VT+ and VT- equal to 1 uV (the decks
    differ only in subcircuit nesting, so ngspice solves the same equations)."""
    builtin = measure_hysteresis(Conditions(library="generic"))
    foreign = measure_hysteresis(Conditions(library="generic",
                                            cell=load_cell(str(NETLIST_DIR / "cells" / "schmitt.sp"))))
    assert foreign == pytest.approx(builtin, abs=1e-6)
    assert 0.3 < builtin[0] / 1.8 < 0.7 and builtin[1] < builtin[0]


@pytest.mark.parametrize("ports, message", [
    ("in=a,out=y,supply=vp", "missing ground"),
    ("in=a,out=y,supply=vp,ground=vq", "role ground=vq names no port of subckt cell"),
    ("in=a,out=y,supply=vp,ground=vp", "two roles name the same port"),
])
def test_port_declarations_are_checked(ports, message, tmp_path):
    path = _write(tmp_path, BEHAVIOURAL.format(expr=NO_HYSTERESIS).split("\n", 1)[1])  # no header
    with pytest.raises(NetlistError, match=message):
        load_cell(str(path), ports=ports)


def test_unmapped_and_floating_ports_and_nodes_are_named(tmp_path):
    extra = _write(tmp_path, BEHAVIOURAL.replace(".subckt cell a y vp vn", ".subckt cell a y vp vn en")
                   .format(expr=NO_HYSTERESIS), "extra.sp")
    with pytest.raises(NetlistError, match=r"port\(s\) en of subckt cell have no role, so they would float"):
        load_cell(str(extra))
    floating = _write(tmp_path, BEHAVIOURAL.replace("Ra a vn 1meg\n", "").format(expr="v(vp, vn)"), "float.sp")
    with pytest.raises(NetlistError, match=r"port a \(in\) of subckt cell connects to no element inside it"):
        load_cell(str(floating))
    dangling = _write(tmp_path, BEHAVIOURAL.replace("Cy y vn 10f", "Cy y nowhere 10f")
                      .format(expr=NO_HYSTERESIS), "dangling.sp")
    with pytest.raises(NetlistError, match=r"internal node\(s\) nowhere .* only one element terminal"):
        load_cell(str(dangling))
    with pytest.raises(NetlistError, match="no subckt 'other'; it defines cell"):
        load_cell(f"{dangling}:other")


def test_model_file_sections_are_the_corners(tmp_path):
    models = _write(tmp_path, "* two corners\n.lib tt\n.model dd D(is=1e-14)\n.endl tt\n"
                              ".lib ss\n.model dd D(is=1e-15)\n.endl ss\n", "models.lib")
    cell = load_cell(str(_write(tmp_path, BEHAVIOURAL.format(expr=NO_HYSTERESIS))), models=str(models))
    assert cell.sections == ("tt", "ss")
    assert cell.model_lines("ss") == [f'.lib "{models.resolve()}" ss']
    with pytest.raises(NetlistError, match="has no section 'ff'; it has tt, ss"):
        cell.model_lines("ff")
    with pytest.raises(Exception, match="is not a section of cell"):
        Conditions(cell=cell, corner="ff")


@pytest.mark.parametrize("expr, message", [
    (NO_HYSTERESIS, r"has no hysteresis: its output switched at 0\.9\d* V rising and 0\.9\d* V falling"),
    (WRONG_WAY, r"switches the wrong way: its output rose through 0\.9 V at input 0\.9\d* V"),
    (STUCK, r"does not switch: its output stayed between 1\.8 V and 1\.8 V"),
])
def test_broken_cells_are_reported_with_what_was_measured(expr, message, tmp_path):
    cell = load_cell(str(_write(tmp_path, BEHAVIOURAL.format(expr=expr))))
    with pytest.raises(MeasurementError, match=message):
        measure_hysteresis(Conditions(cell=cell, backend="batch"))


def test_sweep_points_carry_the_cell_and_its_hash(tmp_path):
    """A ring sweep's ``cell`` is resolved against the sweep file's folder, and the point key
    changes when the cell file does (no stale cached results for an edited cell)."""
    from hwsim.app.sweep import load_sweep, point_key

    cell = _write(tmp_path, BEHAVIOURAL.format(expr=NO_HYSTERESIS))
    sweep_file = _write(tmp_path, 'name = "c"\nkind = "ring"\n[base]\ncell = "cell.sp"\nvdd_v = 5.0\n'
                                  "[axes]\nring_size = [3, 4]\n", "s.toml")
    sweep = load_sweep(sweep_file)
    assert [p["cell"] for p in sweep.points] == [str(cell.resolve())] * 2
    before = point_key("ring", sweep.points[0])
    cell.write_text(cell.read_text() + "* edited\n")
    assert point_key("ring", sweep.points[0]) != before
    cell.write_text(cell.read_text() + ".control\n.endc\n")
    with pytest.raises(InputError, match=r"cell\.sp, line 9: `\.control` is not allowed"):
        load_sweep(sweep_file)


def test_ring_sweep_takes_ports_and_models_for_a_cell_without_header(tmp_path):
    """A cell file with no ``* hwsim-cell:`` header runs in a ring sweep when the sweep gives
    ``ports`` and ``models``; it is the same circuit as the shipped BEAM cell, so its ring period
    equals the header version's (same deck apart from comment lines: 1e-9 relative)."""
    from hwsim.app.sweep import _ring_point, load_sweep

    shipped = NETLIST_DIR / "cells" / "examples" / "hc1g14_beam.sp"
    text = "\n".join(line for line in shipped.read_text().splitlines() if "hwsim-cell:" not in line) + "\n"
    _write(tmp_path, text, "bare.sp")
    common = 'r_ohm = 1e6\nc_f = 0.22e-6\nvdd_v = 5.0\nring_size = 3\nperiods = 4\nbackend = "batch"\n'
    with pytest.raises(InputError, match="missing in, out, supply, ground"):  # control: without them it is refused
        load_sweep(_write(tmp_path, f'name = "b"\nkind = "ring"\n[base]\ncell = "bare.sp"\n{common}', "b.toml"))
    sweep = load_sweep(_write(tmp_path, 'name = "c"\nkind = "ring"\n[base]\ncell = "bare.sp:hc1g14"\n'
                                        'ports = "in=A,out=Y,supply=VCC,ground=GND"\nmodels = "none"\n' + common,
                              "c.toml"))
    reference = load_sweep(_write(tmp_path, f'name = "d"\nkind = "ring"\n[base]\ncell = "{shipped}"\n{common}',
                                  "d.toml"))
    assert sweep.points[0]["models"] == "none" and sweep.points[0]["ports"].startswith("in=A")
    assert _ring_point(sweep.points[0])["period_s"] == pytest.approx(_ring_point(reference.points[0])["period_s"],
                                                                     rel=1e-9)


def test_ring_sweep_refuses_ports_without_a_cell(tmp_path):
    from hwsim.app.sweep import load_sweep

    with pytest.raises(InputError, match="ports given without cell"):
        load_sweep(_write(tmp_path, 'name = "c"\nkind = "ring"\n[base]\nports = "in=A"\n', "s.toml"))


def test_ring_sweep_checks_a_cells_model_file_like_the_cli(tmp_path):
    """Sweep ``models`` go through the netlist policy: a model file with a .control block is refused
    with file, line and construct before any point runs."""
    from hwsim.app.sweep import load_sweep

    shipped = NETLIST_DIR / "cells" / "examples" / "hc1g14_beam.sp"
    _write(tmp_path, shipped.read_text(), "beam.sp")
    _write(tmp_path, "* models\n.control\nshell touch pwned\n.endc\n", "evil.lib")
    with pytest.raises(InputError, match=r"evil\.lib, line 2: `\.control` is not allowed"):
        load_sweep(_write(tmp_path, 'name = "c"\nkind = "ring"\n[base]\ncell = "beam.sp"\nmodels = "evil.lib"\n'
                                    'vdd_v = 5.0\n', "s.toml"))
    assert not (tmp_path / "pwned").exists()


def test_reports_name_a_foreign_cell_in_the_rules_circuit():
    """The report's 'circuit' line names the card's own cell, not the built-in nv_neuron."""
    from dataclasses import replace

    from hwsim.app.report import circuit_of_rule
    from hwsim.model.card import load_card

    card = load_card("sky130_tt")
    assert "netlists/cells/nv_neuron.sp" in circuit_of_rule("capacitive", card)
    foreign = replace(card, conditions={**card.conditions, "cell": {"path": "netlists/cells/examples/st6_sky130.sp",
                                                                      "subckt": "st6"}})
    for rule in ("capacitive", "gate"):
        text = circuit_of_rule(rule, foreign)
        assert "netlists/cells/examples/st6_sky130.sp:st6" in text and "nv_neuron" not in text
