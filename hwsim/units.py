"""SPICE number formatting and parsing (``1meg`` = 1e6, ``2.2p`` = 2.2e-12, ``1u`` = 1e-6).

SPICE suffixes are case-insensitive; ``m`` is milli and ``meg`` mega. Trailing unit letters after
a suffix are ignored as SPICE does (``10pF`` = 1e-11, ``5ns`` = 5e-9).
"""

from __future__ import annotations

import math
import re

from hwsim.errors import InputError

__all__ = ["parse_spice_number", "format_spice_number"]

_SUFFIXES = {"t": 1e12, "g": 1e9, "meg": 1e6, "k": 1e3, "mil": 25.4e-6, "m": 1e-3, "u": 1e-6,
             "n": 1e-9, "p": 1e-12, "f": 1e-15, "a": 1e-18}
_NUMBER = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)\s*$")
_FORMAT_STEPS = [(1e12, "t"), (1e9, "g"), (1e6, "meg"), (1e3, "k"), (1.0, ""), (1e-3, "m"),
                 (1e-6, "u"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")]


def parse_spice_number(text: str | float | int) -> float:
    """Parse a SPICE number such as ``"4.7k"`` or ``"1meg"``; floats pass through."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    match = _NUMBER.match(str(text))
    if not match:
        raise InputError(f"{text!r} is not a SPICE number (examples: 1e-12, 1p, 4.7k, 1meg)")
    value, tail = float(match.group(1)), match.group(2).lower()
    for suffix in ("meg", "mil", *"tgkmunpfa"):
        if tail.startswith(suffix):
            return value * _SUFFIXES[suffix]
    return value


def format_spice_number(value: float) -> str:
    """Format ``value`` for a netlist with an engineering suffix, exactly (repr of the mantissa)."""
    if not math.isfinite(value):
        raise InputError(f"cannot write the non-finite number {value!r} into a netlist")
    if value == 0:
        return "0"
    mag = abs(value)
    for scale, suffix in _FORMAT_STEPS:
        if mag >= scale * 0.999999999:
            mantissa = value / scale
            text = f"{mantissa:.12g}"
            return f"{text}{suffix}"
    return f"{value:.12g}"
