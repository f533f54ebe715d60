"""Pass scores set by contrasting groups of scripted trainees (issue 11: "the pass mark of each
scenario comes from contrasting groups ... and the scenario documents how it was set")."""

import subprocess
import sys

import pytest
import yaml
from conftest import REPO

from scoring import cohort
from scoring.pass_mark import PassMarkStudy, study, write_pass_mark
from simulator.errors import InputError
from simulator.scenario import load_scenario


def _found(mark=84.3):
    return PassMarkStudy("hip_anterior_us", "perceiving_expert", "novice", tuple(range(5)),
                         (90.0, 92.0, 88.0, 95.0, 91.0), (60.0, 72.0, 55.0, 80.0, 66.0),
                         cohort.PassMark(mark, 0.2, 0.0) if mark else None)


def test_writing_the_mark_keeps_the_file_and_records_how(tmp_path):
    path = tmp_path / "hip.yaml"
    original = (REPO / "scenarios" / "hip_anterior_us.yaml").read_text()
    path.write_text(original)
    for mark in (84.3, 86.0):   # twice: the second replaces the first, nothing doubles
        write_pass_mark(path, _found(mark))
    text = path.read_text()
    rubric = load_scenario(path).rubric
    assert rubric.pass_score == 86.0
    assert rubric.pass_score_set_by.startswith("contrasting groups")
    assert "5 perceiving_expert attempts (mean 91.2" in rubric.pass_score_set_by
    assert text.count("pass_score_set_by") == 1
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in text.splitlines() for line in comments)
    assert yaml.safe_load(text)["targets"] == yaml.safe_load(original)["targets"]


def test_no_mark_when_the_groups_do_not_separate(tmp_path):
    path = tmp_path / "hip.yaml"
    path.write_text((REPO / "scenarios" / "hip_anterior_us.yaml").read_text())
    before = path.read_text()
    with pytest.raises(InputError, match="no pass mark separates them"):
        write_pass_mark(path, _found(None))
    assert path.read_text() == before


def test_the_study_runs_both_groups_on_the_same_patients(block_scenario):
    found = study(block_scenario, range(3), expert="expert", novice="novice")
    assert found.seeds == (0, 1, 2) and len(found.expert_scores) == 3
    # the block phantom's expert scores 100 every time, the novice 60-82: the cut lies between
    assert max(found.novice_scores) < found.mark.score <= min(found.expert_scores)
    assert found.mark.novices_passing == 0.0 and "seeds 0-2" in found.set_by()


def test_passmark_cli_refuses_an_unknown_policy_in_one_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "simulator.cli", "scenario", "passmark",
                          "hip_anterior_us", "--seeds", "3", "--expert", "wizard"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "unknown policy 'wizard'" in out.stderr


def test_the_hub_says_how_the_mark_was_set(tmp_path):
    from scoring.hub.library import pass_mark_words

    path = tmp_path / "hip.yaml"
    path.write_text((REPO / "scenarios" / "hip_anterior_us.yaml").read_text())
    assert "no standard-setting study" in pass_mark_words(load_scenario(path))
    write_pass_mark(path, _found(84.3))
    assert pass_mark_words(load_scenario(path)).startswith("contrasting groups")
