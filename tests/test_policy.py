"""The netlist policy for untrusted cell and model files, and the ngspice sandbox.

Each refusal test has a control: the same construct handed to bare ngspice (``ngspice -b``, as a
user would run it) really does run a program, write a file or read a file outside the cell's
folder, so the refusal is what stands between a hostile file and the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hwsim.circuit.cell import load_cell
from hwsim.circuit.characterize import Conditions
from hwsim.circuit.netlist import BENCH_DIR, render, ring_netlist
from hwsim.circuit.policy import NetlistPolicyError
from hwsim.circuit.spice import Limits, run_deck
from hwsim.errors import SimulatorError

CELL = """\
* hwsim-cell: kind=schmitt subckt=inv in=a out=y supply=vp ground=vn models=none
.subckt inv a y vp vn
Rup vp y 10k
Rdn y vn 10k
Ra a vn 1meg
.ends inv
"""


def _cell(folder: Path, extra: str = "", name: str = "cell.sp") -> Path:
    path = folder / name
    path.write_text(CELL + extra)
    return path


def _bare_ngspice(folder: Path, body: str) -> str:
    """Run ``body`` in a deck with bare ``ngspice -b`` in ``folder`` (the control experiment)."""
    deck = folder / "bare.cir"
    deck.write_text(f"bare\nV1 a 0 1\nR1 a 0 1k\n{body}\n.op\n.end\n")
    out = subprocess.run(["ngspice", "-b", str(deck)], cwd=folder, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, HOME=str(folder)))
    return out.stdout + out.stderr


CONTROL_BLOCKS = {
    "shell": ".control\nshell touch {marker}\n.endc",
    "write": ".control\nop\nwrite {marker}\n.endc",
    "source": ".control\nsource {script}\n.endc",
}


@pytest.mark.parametrize("command", sorted(CONTROL_BLOCKS))
def test_control_block_runs_in_bare_ngspice_and_is_refused(command, tmp_path):
    marker = tmp_path / f"{command}.marker"
    script = tmp_path / "script.cir"
    script.write_text(f"script\n.control\nshell touch {marker}\n.endc\n.end\n")
    body = CONTROL_BLOCKS[command].format(marker=marker, script=script)
    _bare_ngspice(tmp_path, body)
    assert marker.exists(), f"control: bare ngspice should have run `{command}` and made {marker}"
    marker.unlink()
    cell = _cell(tmp_path, body + "\n")
    with pytest.raises(NetlistPolicyError, match=r"cell\.sp, line 7: `\.control`") as info:
        load_cell(str(cell))
    assert info.value.exit_code == 2
    assert not marker.exists()


@pytest.mark.parametrize("line, construct", [
    ("shell rm -rf /", "the interpreter command `shell`"),
    ("source evil.cir", "the interpreter command `source`"),
    ("codemodel /tmp/evil.cm", "the interpreter command `codemodel`"),
    ("pre_osdi /tmp/evil.osdi", "the interpreter command `pre_osdi`"),
    ("osdi /tmp/evil.osdi", "the interpreter command `osdi`"),
    ("load /tmp/x.raw", "the interpreter command `load`"),
    ("write /tmp/x.raw", "the interpreter command `write`"),
    (".exec", "the dot-command `.exec`"),
    (".tran 1n 1u", "the dot-command `.tran`"),
    (".spiceinit", "the dot-command `.spiceinit`"),
    (".model src filesource(file=\"/etc/passwd\")\nAfile in out src", "`filesource`"),
    ("Bx n 0 V = fopen(1)", "`fopen`"),
    (".endc", "`.endc`"),
    ("R1 a b 1k\x07", "a control character"),
])
def test_forbidden_construct_is_refused_with_file_line_and_construct(line, construct, tmp_path):
    cell = _cell(tmp_path, line + "\n")
    with pytest.raises(NetlistPolicyError) as info:
        load_cell(str(cell))
    message = str(info.value)
    assert f"{cell.resolve()}, line 7:" in message and construct in message, message


def test_include_outside_allowed_folders_is_read_by_bare_ngspice_and_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.sp").write_text("R99 a 0 1k\n")
    cell_dir = tmp_path / "cell"
    cell_dir.mkdir()
    log = _bare_ngspice(cell_dir, f'.include "{outside / "secret.sp"}"')
    assert "-2.00000e-03" in log, "control: bare ngspice put the outside file's resistor in parallel (2 mA, not 1)"
    cell = _cell(cell_dir, f'.include "{outside / "secret.sp"}"\n')
    with pytest.raises(NetlistPolicyError, match=r"line 7: `\.include .*outside the allowed folders"):
        load_cell(str(cell))
    lib = _cell(cell_dir, '.lib "../elsewhere/secret.sp" tt\n', name="lib.sp")
    with pytest.raises(NetlistPolicyError, match=r"outside the allowed folders.*--allow-include"):
        load_cell(str(lib))


def test_allowed_includes_work_and_symlinks_cannot_escape(tmp_path):
    cell_dir, lib_dir = tmp_path / "cell", tmp_path / "libs"
    cell_dir.mkdir()
    lib_dir.mkdir()
    (cell_dir / "local.sp").write_text("* local include\n.param r_local=10k\n")
    (lib_dir / "shared.sp").write_text("* shared include\n.param r_shared=10k\n")
    ok = _cell(cell_dir, '.include "local.sp"\n')
    assert load_cell(str(ok)).subckt == "inv"
    shared = _cell(cell_dir, f'.include "{lib_dir / "shared.sp"}"\n', name="shared.sp")
    with pytest.raises(NetlistPolicyError):
        load_cell(str(shared))
    assert load_cell(str(shared), allow_include=[str(lib_dir)]).subckt == "inv"
    (cell_dir / "link.sp").symlink_to(lib_dir / "shared.sp")
    linked = _cell(cell_dir, '.include "link.sp"\n', name="linked.sp")
    with pytest.raises(NetlistPolicyError, match="outside the allowed folders"):
        load_cell(str(linked))
    nested = lib_dir / "nested.sp"
    nested.write_text(".control\nshell true\n.endc\n")
    deep = _cell(cell_dir, f'.include "{nested}"\n', name="deep.sp")
    with pytest.raises(NetlistPolicyError, match=r"nested\.sp, line 1: `\.control`"):
        load_cell(str(deep), allow_include=[str(lib_dir)])


def test_user_spiceinit_in_home_and_working_folder_is_not_read(tmp_path, monkeypatch):
    """ngspice reads ``.spiceinit`` from the working folder and HOME; hwsim's runs must not."""
    marker = tmp_path / "spiceinit.marker"
    home = tmp_path / "home"
    home.mkdir()
    (home / ".spiceinit").write_text(f"shell touch {marker}\n")
    _bare_ngspice(home, "")
    assert marker.exists(), "control: bare ngspice runs the commands of ~/.spiceinit"
    marker.unlink()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    deck = render("benches/rc_step.sp")
    for backend in ("batch", "shared"):
        result = run_deck(deck, backend=backend)
        assert len(result.time) > 10
    assert not marker.exists()


def test_resource_limits_stop_ngspice_with_a_named_limit(tmp_path):
    deck = render(BENCH_DIR, text=ring_netlist(3, library="generic"), params={"t_stop": 2e-4, "t_step": 1e-9})
    with pytest.raises(SimulatorError, match=r"file-size limit \(0\.05 MiB"):
        run_deck(deck, backend="batch", limits=Limits(file_mb=0.05))
    with pytest.raises(SimulatorError, match=r"CPU-time limit \(1 s\)"):
        run_deck(render(BENCH_DIR, text=ring_netlist(8, library="generic"),
                        params={"t_stop": 1.0, "t_step": 1e-6}), backend="batch", limits=Limits(cpu_s=1),
                 timeout_s=60)
    with pytest.raises(SimulatorError, match=r"out of memory under its address-space limit \(16 MiB"):
        run_deck(deck, backend="batch", limits=Limits(memory_mb=16), timeout_s=60)


def test_ngspice_runs_without_a_shell_in_a_fresh_folder():
    """The command line is a list (no shell) and the run folder is new and removed."""
    import inspect

    from hwsim.circuit import spice

    source = inspect.getsource(spice._run_process)
    assert "shell=True" not in source and "preexec_fn=_child_setup" in source
    assert shutil.which("ngspice")


def test_foreign_cell_through_conditions_is_rechecked(tmp_path):
    cell = _cell(tmp_path)
    cond = Conditions(cell=load_cell(str(cell)), vdd_v=5.0)
    stored = cond.to_dict()["cell"]
    assert Conditions(cell=stored, vdd_v=5.0).cell == cond.cell
    cell.write_text(CELL + ".control\nshell true\n.endc\n")
    with pytest.raises(NetlistPolicyError):
        Conditions(cell=stored, vdd_v=5.0)
