"""Shared test helpers. ngspice and the sky130 models are required: a missing simulator fails the
tests loudly (it is a test dimension, not a silent skip)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def generic_char():
    """A generic-model characterisation of rings N = 3..8, shared by several tests (~25 s)."""
    from hwsim.characterize import Conditions, characterize

    return characterize(Conditions(library="generic"), ring_sizes=range(3, 9), periods=25)
