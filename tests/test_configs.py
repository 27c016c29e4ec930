"""Every config shipped in hwsim/app/configs loads with the loader its command uses (a typo, an unknown
key or an out-of-range value in a shipped example fails here, not in a user's first run)."""

from pathlib import Path

import pytest

from hwsim.app.pipeline import load_config
from hwsim.app.reservoir import load_reservoir_config
from hwsim.app.sweep import load_sweep

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "hwsim" / "app" / "configs").glob("*.toml"))


def _loader(stem: str):
    """`hwsim sweep` reads sweep_* and study_*, `hwsim reservoir` reservoir_*, `hwsim run` the rest."""
    if stem.startswith(("sweep_", "study_")):
        return load_sweep
    return load_reservoir_config if stem.startswith("reservoir_") else load_config


def test_there_are_configs_of_every_kind():
    kinds = {_loader(p.stem) for p in CONFIGS}
    assert kinds == {load_sweep, load_reservoir_config, load_config} and len(CONFIGS) >= 20


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_config_loads(path):
    loaded = _loader(path.stem)(path)
    assert loaded.name  # every loader's result names its run
