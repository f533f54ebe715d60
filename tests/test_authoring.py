"""Authoring tools: templates that validate, the generated guide, deep validation."""

import subprocess
import sys

import pytest
import yaml
from conftest import REPO

from simulator.cli import main
from simulator.scenario import Scenario, parse_scenario
from simulator.scenario_docs import available_templates, guide


@pytest.mark.parametrize("joint, modality", available_templates())
def test_new_template_validates_as_is(joint, modality, tmp_path):
    out = subprocess.run([sys.executable, "-m", "simulator.cli", "scenario", "new", "--joint",
                          joint, "--modality", modality], capture_output=True, text=True,
                         check=True).stdout
    assert out.count("\n# ") > 20  # every key carries its explanation
    path = tmp_path / "mine.yaml"
    path.write_text(out)
    scenario, problems = parse_scenario(path)
    assert problems == [] and scenario.id.startswith("my_")


def test_unknown_template_is_one_clear_error():
    result = subprocess.run([sys.executable, "-m", "simulator.cli", "scenario", "new",
                             "--joint", "elbow"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "no template for joint 'elbow'" in result.stderr and "hip/ultrasound" in result.stderr


def test_scenario_guide_is_up_to_date():
    assert (REPO / "scenarios" / "README.md").read_text() == guide(), (
        "regenerate with: jointsim scenario guide --out scenarios/README.md")


def test_validate_deep_reports_an_unreachable_target(tmp_path, capsys):
    data = yaml.safe_load((REPO / "scenarios" / "hip_anterior_us.yaml").read_text())
    data["needle"]["length_mm"] = 60.0  # longer than the target is deep, too short for an
    path = tmp_path / "short.yaml"       # in-plane path at 25-50 degrees to the skin
    path.write_text(yaml.safe_dump(data))
    Scenario.model_validate(data)
    assert main(["validate", "--deep", str(path)]) == 1
    out = capsys.readouterr().out
    assert "targets.0: no straight path" in out and "60 mm needle" in out


def test_validate_deep_reports_a_needle_shorter_than_the_target_depth(tmp_path, capsys):
    data = yaml.safe_load((REPO / "scenarios" / "hip_anterior_us.yaml").read_text())
    data["needle"]["length_mm"] = 21.0
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["validate", str(path)]) == 0  # plain validate cannot see the depth
    capsys.readouterr()
    assert main(["validate", "--deep", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{path}: needle.length_mm: the target")
    assert "21 mm needle; use a needle longer than" in out[0]


def test_validate_deep_reports_a_time_limit_the_expert_cannot_meet(tmp_path, capsys):
    data = yaml.safe_load((REPO / "scenarios" / "hip_anterior_us.yaml").read_text())
    data["limits"]["time_s"] = 60  # the schema's minimum; the scripted expert needs longer
    path = tmp_path / "rushed.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["validate", "--deep", str(path)]) == 1
    assert f"{path}: limits.time_s: the scripted expert did not finish within 60 s" in (
        capsys.readouterr().out)
