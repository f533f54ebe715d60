"""Scenario files: shipped ones validate; each authoring error names its field and fix."""

import copy
import json
import subprocess
import sys

import pytest
import yaml
from conftest import SCENARIOS

from scoring.rubric import rubric_problems
from simulator.cli import main
from simulator.scenario import parse_scenario


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path):
    scenario, problems = parse_scenario(path)
    assert problems == [] and scenario is not None


def _mutate(data, path, value):
    keys = path.split(".")
    node = data
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    if value is DELETE:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value


DELETE = object()

# (field to change, new value, field reported, words the message must contain)
MUTATIONS = [
    ("anatomy.patient.bmi", 95, "anatomy.patient.bmi", "less than or equal to 60"),
    ("needle.length_mm", -5, "needle.length_mm", "greater than 20"),
    ("targets.0.structure", "anterior_recesss", "targets.0.structure",
     "unknown structure 'anterior_recesss'"),
    ("dangers.0.structure", "femoral_arterie", "dangers.0.structure", "unknown structure"),
    ("probe_start.landmark", "femoral_head", "probe_start.landmark", "unknown landmark"),
    ("rubric.criteria.0.metric", "tip_to_taget_mm", "rubric.criteria.0.metric",
     "unknown metric"),
    ("modality", "x-ray", "modality", "'ultrasound', 'fluoroscopy' or 'both'"),
    ("probe", DELETE, "(top level)", "need 'probe' and 'probe_start'"),
    ("sim.dt_s", 0.5, "sim.dt_s", "less than or equal to 0.1"),
    ("rubric.criteria.0.best", 10, "rubric.criteria.0", "best and worst must differ"),
]


@pytest.mark.parametrize("field, value, reported, words", MUTATIONS,
                         ids=[m[0] for m in MUTATIONS])
def test_each_authoring_error_names_field_and_fix(tmp_path, field, value, reported, words):
    data = yaml.safe_load((SCENARIOS[0].parent / "hip_anterior_us.yaml").read_text())
    data = copy.deepcopy(data)
    _mutate(data, field, value)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    scenario, problems = parse_scenario(path)
    if scenario is not None:  # what `jointsim validate` adds: the scorer's metric names
        problems += rubric_problems(scenario)
    assert problems, "the mutation should be reported"
    where, message = problems[0]
    assert where == reported and words in message


def test_unknown_key_is_reported(tmp_path):
    data = yaml.safe_load((SCENARIOS[0].parent / "hip_anterior_us.yaml").read_text())
    data["needle"]["colour"] = "blue"
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    assert parse_scenario(path)[1] == [("needle.colour",
                                        "unknown field; remove it or check its spelling")]


def test_validate_cli_prints_file_field_message_and_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: [unclosed\n")
    good = SCENARIOS[0]
    assert main(["validate", str(good), str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{good}: ok"
    assert out[1].startswith(f"{bad}: line ") and "not valid YAML" in out[1]


def test_schema_is_json_with_educator_descriptions():
    out = subprocess.run([sys.executable, "-m", "simulator.cli", "schema"], capture_output=True,
                         text=True, check=True).stdout
    schema = json.loads(out)
    assert schema["title"] == "Scenario"
    assert "description" in schema["$defs"]["Target"]["properties"]["structure"]
