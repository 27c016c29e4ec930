"""Rendering and generators (pure text; no simulator)."""

import re

import pytest

from hwsim.circuit.devices import DEVICE_DIR, sky130_models_dir
from hwsim.circuit.netlist import BENCH_DIR, Coupling, declared_params, render, ring_netlist, rings_netlist
from hwsim.errors import InputError, ModelLibraryError, NetlistError, UnknownParamError


@pytest.mark.sky130
def test_render_inlines_includes_and_resolves_lib():
    deck = render("benches/step.sp")
    assert ".include" not in deck.text.lower()
    assert ".subckt schmitt_inv" in deck.text and ".subckt nv_neuron " in deck.text
    # the device library section is inlined, its PDK path pointed at the installed package
    lib = re.findall(r'^\.lib "([^"]+)" (\w+)$', deck.text, re.M)
    assert lib == [(str(sky130_models_dir() / "combined_models" / "sky130.lib.spice"), "tt")]
    assert "* >>> device library sky130 tt" in deck.text and ".subckt nfet d g s b" in deck.text
    assert deck.library == "sky130" and deck.corner == "tt"


@pytest.mark.sky130
def test_render_writes_nothing(tmp_path, monkeypatch):
    """Rendering a sky130 deck needs no link in netlists/ and creates none (no side effects)."""
    link = DEVICE_DIR / "sky130_fd_pr"
    before = sorted(p.name for p in DEVICE_DIR.iterdir())
    monkeypatch.chdir(tmp_path)
    render("benches/step.sp", corner="ff")
    assert sorted(p.name for p in DEVICE_DIR.iterdir()) == before and list(tmp_path.iterdir()) == []
    assert not link.exists() or link.is_symlink()


@pytest.mark.sky130
def test_param_override_and_temperature():
    deck = render("benches/step.sp", params={"nv_r": 2.2e6, "NV_C": "3p", "vdd": 1.6}, temp_c=85,
                  library="generic", corner="ss")
    assert deck.params["nv_r"] == "2.2meg" and deck.params["nv_c"] == "3p" and deck.params["vdd"] == "1.6"
    assert ".temp 85" in deck.text and ".temp 27" not in deck.text
    assert deck.library == "generic" and deck.corner == "ss"
    assert "* >>> device library generic ss" in deck.text and "nmos level=1 vto=0.5 " in deck.text  # ss: slow VTO


@pytest.mark.sky130
def test_unknown_param_is_named_with_suggestion():
    with pytest.raises(UnknownParamError) as info:
        render("benches/step.sp", params={"nv_rr": 1e6})
    msg = str(info.value)
    assert "'nv_rr'" in msg and "did you mean nv_r" in msg and "t_stop" in msg
    assert info.value.exit_code == 2


def test_missing_library_file(tmp_path):
    bad = tmp_path / "bad.sp"
    bad.write_text('* bad\n.lib "/no/such/models.lib" tt\nR1 a 0 1k\n.op\n.end\n')
    with pytest.raises(ModelLibraryError, match="/no/such/models.lib") as info:
        render(bad)
    assert info.value.exit_code == 3


def test_missing_include_file(tmp_path):
    bad = tmp_path / "bad.sp"
    bad.write_text('* bad\n.include "cells/nothere.sp"\n.end\n')
    with pytest.raises(ModelLibraryError, match="nothere.sp"):
        render(bad)


def test_bad_library_and_corner():
    with pytest.raises(InputError, match="unknown device library 'tsmc'"):
        render("benches/step.sp", library="tsmc")
    with pytest.raises(InputError, match="unknown corner 'xx'"):
        render("benches/step.sp", corner="xx")
    with pytest.raises(NetlistError, match="loads no hwsim device library"):
        render("benches/rc_step.sp", corner="ff")


def test_subckt_params_are_not_top_level():
    lines = [".param a=1", ".subckt foo x y", ".param b=2", ".ends foo", ".param c={a*2}"]
    assert declared_params(lines) == {"a": "1", "c": "{a*2}"}


def test_ring_generator_topology():
    text = ring_netlist(5)
    inst = re.findall(r"^X(\d+) o(\d+) x(\d+) o(\d+) vdd 0 nv_neuron$", text, re.M)
    assert [(int(a), int(b)) for a, b, _, _ in inst] == [(0, 4), (1, 0), (2, 1), (3, 2), (4, 3)]
    assert text.count("Ikick") == 1


def test_coupled_rings_generator():
    text = rings_netlist(4, 3, couplings=[Coupling(0, 5, 1e-12), Coupling(6, 9, 0.5e-12)], kicks=[0, 4, 8],
                         clamp=False)
    assert len(re.findall(r"^X\d+ .* nv_neuron_noclamp$", text, re.M)) == 12
    assert "X4 o7 x4 o4" in text  # ring 1 closes on itself
    assert "Ce0 o0 x5 1p" in text and "Ce1 o6 x9 500f" in text
    assert text.count("Ikick") == 3
    deck = render(BENCH_DIR, text=text, library="generic")
    assert deck.library == "generic"


@pytest.mark.parametrize("kwargs,match", [
    (dict(ring_size=1), "at least 2 neurons"),
    (dict(ring_size=3, n_rings=0), "n_rings must be >= 1"),
    (dict(ring_size=3, kicks=[7]), "outside 0..2"),
    (dict(ring_size=3, n_rings=2, couplings=[Coupling(0, 6, 1e-12)]), "outside 0..5"),
])
def test_generator_rejects_bad_specs(kwargs, match):
    with pytest.raises(NetlistError, match=match):
        rings_netlist(**kwargs)


def test_coupling_needs_positive_capacitance():
    with pytest.raises(NetlistError, match="must be > 0 F"):
        Coupling(0, 1, 0.0)


def test_gate_graph_puts_an_and_gate_in_front_of_shared_neurons():
    """Gate rule: neuron 2 has inputs 0 and 1 -> AND2 ``Xg2 o0 o1 g2`` driving its cell; a
    three-input neuron gets AND3; single-input neurons are driven directly; the rendered deck holds
    the AND cells."""
    from hwsim.circuit.netlist import graph_netlist

    text = graph_netlist(5, src=[4, 4, 0, 1, 0, 1, 2, 3], dst=[0, 1, 2, 2, 3, 3, 4, 3], weight=[1.0] * 8, gate=True,
                         kicks=[0])
    assert "Xg2 o0 o1 g2 vddg 0 and2" in text and "X2 g2 x2 o2 vdd 0 nv_neuron" in text
    assert "Vddg vddg 0 {vdd}" in text and text.count("i(vddg)") == 1
    assert "Xg3 o0 o1 o3 g3 vddg 0 and3" in text and "X0 o4 x0 o0 vdd 0 nv_neuron" in text
    assert "Cc" not in text  # no coupling capacitors beside the cells' own
    deck = render(BENCH_DIR, text=text, library="generic")
    assert ".subckt and2 a b y vdd vss" in deck.text and ".subckt and3 a b c y vdd vss" in deck.text


@pytest.mark.parametrize("kwargs, message", [
    (dict(src=[0, 1], dst=[2, 2], weight=[1.0, 0.3]), "edge 1->2 has weight 0.3; AND gates take logic inputs"),
    (dict(src=[0, 1], dst=[1, 0], weight=[1.0, 1.0]), r"neurons \[2\] have 0 inputs"),
    (dict(src=[0] * 5 + [2, 0], dst=[2] * 5 + [0, 1], weight=[1.0] * 7), r"neurons \[2\] have 5 inputs"),
])
def test_gate_graph_errors(kwargs, message):
    from hwsim.circuit.netlist import graph_netlist

    with pytest.raises(NetlistError, match=message):
        graph_netlist(3, gate=True, **kwargs)
