"""Ctrl-C that cannot be lost.

Python turns SIGINT into ``KeyboardInterrupt`` at whatever bytecode runs next. When that is a
weakref callback or a ``__del__`` (Brian2 and numpy create many), Python prints "Exception ignored"
and the run simply goes on; the CLI then never exits. :func:`install` makes SIGINT also set a
flag, and :func:`check` (called by the engines' progress hooks) raises ``KeyboardInterrupt`` again
from ordinary code once the flag is set, so the interrupt always reaches the CLI's handler.

CPython 3.11 also remembers any ``KeyboardInterrupt`` that ever left an ``exec``/``eval`` of a
string (Brian2's numpy target and sympy run such code) and, at exit, kills the process with SIGINT
although the CLI handled the interrupt and returned 130. :func:`handled` clears that memory.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

__all__ = ["install", "check", "handled"]

_state = {"requested": False}


def _on_sigint(signum, frame) -> None:
    _state["requested"] = True
    raise KeyboardInterrupt


def install() -> None:
    """Route SIGINT to :func:`_on_sigint` (main thread only; a no-op elsewhere). Also works for a
    job started in the background, where SIGINT starts out ignored."""
    _state["requested"] = False
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)
        sys.unraisablehook = _quiet_about_interrupts


def _quiet_about_interrupts(unraisable) -> None:
    """``sys.unraisablehook`` that drops the "Exception ignored" report of a swallowed Ctrl-C
    (:func:`check` raises it again) and passes everything else to Python's default hook."""
    if not (_state["requested"] and isinstance(unraisable.exc_value, KeyboardInterrupt)):
        sys.__unraisablehook__(unraisable)


def check() -> None:
    """Raise ``KeyboardInterrupt`` if SIGINT arrived (an earlier raise may have been swallowed)."""
    if _state["requested"]:
        raise KeyboardInterrupt


def handled() -> None:
    """Tell CPython that the Ctrl-C was handled, so that the process exits with the CLI's code
    (130) rather than killing itself with SIGINT (see the module docstring). Best effort: the flag
    is internal to CPython; where it does not exist there is nothing to clear."""
    import ctypes

    with contextlib.suppress(ValueError, AttributeError, OSError):
        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
