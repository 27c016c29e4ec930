"""Model cards: canonical JSON round trips and validation that names the bad field."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hwsim.model.card import CardError, card_from_dict, card_to_json, load_card, paper_preset, save_card

MODELS = Path(__file__).resolve().parent.parent / "models"
SHIPPED = sorted(MODELS.rglob("*.json"))


def test_round_trip_is_byte_identical(tmp_path):
    card = paper_preset()
    path = save_card(card, tmp_path / "c.json")
    loaded = load_card(path)
    assert loaded == card
    assert card_to_json(loaded) == path.read_text()
    assert save_card(loaded, tmp_path / "d.json").read_bytes() == path.read_bytes()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_cards_are_canonical(path):
    card = load_card(path)
    assert card_to_json(card) == path.read_text(), f"{path} is not in canonical form; regenerate it"
    assert card.within_tolerance


def test_shipped_cards_exist():
    names = {p.stem for p in SHIPPED}
    assert {"paper", "generic_tt", "sky130_tt", "sky130_ff", "sky130_ss"} <= names, names


def test_load_by_name():
    assert load_card("paper").name == "paper"
    with pytest.raises(CardError, match="not found"):
        load_card("no_such_card")


def _bad(mutate):
    data = json.loads(card_to_json(paper_preset()))
    mutate(data)
    return data


BAD_CARDS = {
    "unknown top-level field": (lambda d: d.update(colour="red"), "field colour: unknown field"),
    "unknown parameter": (lambda d: d["parameters"].update(gain={"value": 1, "unit": "1"}),
                          "parameters.gain: unknown parameter"),
    "missing parameter": (lambda d: d["parameters"].pop("tau_s"), "parameters.tau_s: missing"),
    "missing unit": (lambda d: d["parameters"]["tau_s"].pop("unit"), "parameters.tau_s.unit: missing unit"),
    "wrong unit": (lambda d: d["parameters"]["vt_plus_v"].update(unit="mV"),
                   "parameters.vt_plus_v.unit: expected 'V', got 'mV'"),
    "non-finite value": (lambda d: d["parameters"]["tau_s"].update(value=float("nan")),
                         "parameters.tau_s.value: must be finite"),
    "out-of-bound value": (lambda d: d["parameters"]["tau_s"].update(value=-1.0),
                           "parameters.tau_s.value: -1.0 is outside"),
    "string value": (lambda d: d["parameters"]["delay_s"].update(value="1n"),
                     "parameters.delay_s.value: expected a number, got str"),
    "null where not allowed": (lambda d: d["parameters"]["vdd_v"].update(value=None),
                               "parameters.vdd_v.value: must be a number"),
    "thresholds inverted": (lambda d: d["parameters"]["vt_minus_v"].update(value=0.6),
                            "parameters.vt_minus_v.value: 0.6 must be below vt_plus_v"),
    "schema version": (lambda d: d.update(schema_version=99), "schema_version: expected 1, got 99"),
    "family": (lambda d: d.update(family="lif"), "family: expected 'nv_neuron'"),
    "integrator without dt": (lambda d: d["integrator"].update(dt_s=None), "integrator.dt_s"),
    "unknown scheme": (lambda d: d["integrator"].update(scheme="rk4"), "integrator.scheme"),
    "non-finite energy": (lambda d: d["energy"].update(e_event_j=float("inf")), "energy.e_event_j"),
    "unknown parameter field": (lambda d: d["parameters"]["tau_s"].update(min=0),
                                "parameters.tau_s.min: unknown field"),
}


@pytest.mark.parametrize("kind", list(BAD_CARDS))
def test_bad_cards_name_the_field(kind, tmp_path):
    mutate, needle = BAD_CARDS[kind]
    data = _bad(mutate)
    with pytest.raises(CardError) as info:
        card_from_dict(data)
    assert needle in str(info.value)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CardError, match=str(path)):
        load_card(path)


def test_invalid_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"name": ')
    with pytest.raises(CardError, match="not valid JSON"):
        load_card(path)


def test_cli_card_exit_codes(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "hwsim", "card", "paper"], capture_output=True, text=True)
    assert ok.returncode == 0 and "vt_plus_v" in ok.stdout and "0.49" in ok.stdout
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bad(lambda d: d["parameters"]["tau_s"].update(unit="ms"))))
    bad = subprocess.run([sys.executable, "-m", "hwsim", "card", str(path)], capture_output=True, text=True)
    assert bad.returncode == 2 and "parameters.tau_s.unit" in bad.stderr and "Traceback" not in bad.stderr


def test_cards_are_immutable_copies():
    """Editing what to_dict returns, or what a card was built from, never changes the card."""
    card = paper_preset()
    data = card.to_dict()
    data["parameters"]["tau_s"]["value"] = 2.0
    data["integrator"]["dt_s"] = 0.5
    assert card.value("tau_s") == 1.0 and card.integrator["dt_s"] == 0.01
    source = json.loads(card_to_json(card))
    built = card_from_dict(source)
    source["parameters"]["vt_plus_v"]["value"] = 0.3
    assert built.value("vt_plus_v") == 0.49
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.name = "other"
