"""Pass scores set from groups of scripted trainees (issue 11: "the pass mark of each
scenario comes from contrasting groups ... and the scenario documents how it was set"): the
borderline group's median, checked against the expert and the novice."""

import re
import subprocess
import sys

import pytest
import yaml
from conftest import REPO

from scoring.pass_mark import Group, PassMarkStudy, study, write_pass_mark
from simulator.errors import InputError
from simulator.scenario import load_scenario


def _found(mark=84.3, expert=(90.0, 92.0, 88.0, 95.0, 91.0)):
    """A study whose borderline median is ``mark``."""
    return PassMarkStudy("hip_anterior_us", tuple(range(5)),
                         Group("perceiving_expert", expert, (True,) * 5),
                         Group("perceiving_intermediate", (mark - 3, mark - 1, mark, mark + 2,
                                                           mark + 4), (True,) * 5),
                         Group("perceiving_novice", (60.0, 72.0, 55.0, 90.0, 66.0),
                               (True, True, True, False, True)))


def test_the_mark_is_the_borderline_median_and_the_expert_must_clear_it():
    found = _found(84.3)
    assert found.mark == 84.0 and _found(84.6).mark == 85.0   # whole points, as screens show
    assert found.expert.passing(84.0) == 1.0
    assert found.novice.passing(84.0) == 0.0     # the 90 had a hard fail: it does not pass
    assert found.novice.passing(70.0) == 0.2
    assert _found(84.3, expert=(80.0, 86.0, 84.0, 83.0, 85.0)).mark is None   # mean 83.6
    words = found.set_by()
    assert words.startswith("borderline group") and len(words) <= 400
    assert "median score of 5 perceiving_intermediate attempts (mean 84.7" in words
    assert "; at 84 100% of 5 perceiving_expert attempts" in words


def test_writing_the_mark_keeps_the_file_and_records_how(tmp_path):
    path = tmp_path / "hip.yaml"
    original = (REPO / "scenarios" / "hip_anterior_us.yaml").read_text()
    path.write_text(original)
    for mark in (84.3, 86.0):   # twice: the second replaces the first, nothing doubles
        write_pass_mark(path, _found(mark))
    text = path.read_text()
    rubric = load_scenario(path).rubric
    assert rubric.pass_score == 86.0
    assert rubric.pass_score_set_by.startswith("borderline group")
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
        write_pass_mark(path, _found(84.3, expert=(80.0,) * 5))
    assert path.read_text() == before


def test_the_study_runs_the_groups_on_the_same_patients(block_scenario):
    found = study(block_scenario, range(3), expert="expert", borderline="novice",
                  novice="novice")
    assert found.seeds == (0, 1, 2) and len(found.expert.scores) == 3
    # the block phantom's expert scores 100 every time, the novice 60-82: the novices'
    # median is the mark and the expert clears it
    assert found.novice.scores == found.borderline.scores
    assert found.mark == round(sorted(found.novice.scores)[1])
    assert found.expert.passing(found.mark) == 1.0 and "seeds 0-2" in found.set_by()


def test_passmark_cli_refuses_an_unknown_policy_in_one_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "simulator.cli", "scenario", "passmark",
                          "hip_anterior_us", "--seeds", "3", "--expert", "wizard"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "unknown policy 'wizard'" in out.stderr


def test_the_hub_says_how_the_mark_was_set(tmp_path):
    from scoring.hub.library import pass_mark_words

    path = tmp_path / "hip.yaml"
    shipped = (REPO / "scenarios" / "hip_anterior_us.yaml").read_text()
    path.write_text(re.sub(r"\n *pass_score_set_by:[^\n]*", "", shipped))  # an author's mark
    assert "no standard-setting study" in pass_mark_words(load_scenario(path))
    write_pass_mark(path, _found(84.3))
    assert pass_mark_words(load_scenario(path)).startswith("borderline group")
