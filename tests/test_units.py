import math

import pytest

from hwsim.errors import InputError
from hwsim.units import format_spice_number, parse_spice_number


@pytest.mark.parametrize("text,value", [("1meg", 1e6), ("1MEG", 1e6), ("4.7k", 4.7e3), ("2.2p", 2.2e-12),
                                        ("10pF", 1e-11), ("5ns", 5e-9), ("1m", 1e-3), ("3", 3.0),
                                        ("-1.5e-3", -1.5e-3), ("1u", 1e-6), ("7f", 7e-15), (2.5, 2.5)])
def test_parse(text, value):
    assert math.isclose(parse_spice_number(text), value, rel_tol=1e-12)


@pytest.mark.parametrize("value", [1e6, 1e-12, 2.2e-12, 4.7e3, 1.8, 0.0, -3e-9, 123.456e-6, 27.0])
def test_format_round_trip(value):
    assert math.isclose(parse_spice_number(format_spice_number(value)), value, rel_tol=1e-11, abs_tol=0)


def test_format_uses_suffixes():
    assert format_spice_number(1e6) == "1meg"
    assert format_spice_number(1e-12) == "1p"


@pytest.mark.parametrize("bad", ["abc", "1..2", "", "k1"])
def test_parse_rejects(bad):
    with pytest.raises(InputError, match="not a SPICE number"):
        parse_spice_number(bad)


def test_format_rejects_nan():
    with pytest.raises(InputError, match="non-finite"):
        format_spice_number(float("nan"))
