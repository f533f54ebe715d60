"""Scenario patients drawn from the session seed: different patients, exact replay."""

import pytest
import yaml
from conftest import REPO

from simulator.cli import main
from simulator.loading import load_world
from simulator.scenario import parse_scenario


@pytest.fixture(scope="module")
def varied_scenario(tmp_path_factory):
    data = yaml.safe_load((REPO / "scenarios" / "hip_anterior_us.yaml").read_text())
    data["id"] = "hip_anterior_us_varied"
    data["anatomy"]["patient"] = {"sex": {"choice": ["female", "male"]},
                                  "bmi": {"uniform": [22, 36]}, "side": "right",
                                  "effusion_mm": {"normal": [2, 2]}}
    data["anatomy"]["seed"] = "session"
    path = tmp_path_factory.mktemp("varied") / "varied.yaml"
    path.write_text(yaml.safe_dump(data))
    assert parse_scenario(path)[1] == []
    return path


def test_seeds_draw_different_patients(varied_scenario):
    a = load_world(varied_scenario, seed=1)
    b = load_world(varied_scenario, seed=2)
    assert a.patient != b.patient
    assert a.anatomy.digest != b.anatomy.digest
    assert load_world(varied_scenario, seed=1).patient == a.patient


def test_a_varied_session_replays_exactly(varied_scenario, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--scenario", str(varied_scenario), "--seed", "2",
                 "--out", str(out)]) == 0
    assert main(["replay", str(out / "session.jsonl"), "--verify", "--scenario",
                 str(varied_scenario)]) == 0
    assert "events identical" in capsys.readouterr().out


def test_an_impossible_choice_is_reported(tmp_path):
    data = yaml.safe_load((REPO / "scenarios" / "hip_anterior_us.yaml").read_text())
    data["anatomy"]["patient"]["sex"] = {"choice": ["female", "mal"]}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    field, message = parse_scenario(path)[1][0]
    assert field == "anatomy.patient.sex" and "'female' or 'male'" in message
