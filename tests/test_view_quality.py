"""The view-quality cue: how good the ultrasound view is for the scenario's standard view,
read from the structures the image shows, and what to change."""

import copy

import pytest
import yaml
from conftest import REPO

from simulator.app.guidance import view_quality
from simulator.imaging.ultrasound import render_ultrasound
from simulator.policies import make_policy
from simulator.scenario import parse_scenario
from simulator.session import Session
from simulator.step import initial_state


def test_hip_start_pose_is_poor_and_says_to_turn_into_long_axis(hip_us_world):
    """The case starts transverse over the femoral head: not the head-neck long axis."""
    q = view_quality(hip_us_world, render_ultrasound(hip_us_world,
                                                     initial_state(hip_us_world)))
    assert q.name == "head-neck junction in long axis"
    assert q.grade == "poor"
    assert "rotate the probe" in q.advice


def test_the_experts_view_of_the_hip_is_good(hip_us_world):
    world = hip_us_world
    policy, session = make_policy("expert", world, 0), Session(world)
    while "imaging_setup" not in session.state.steps_done:
        assert not session.ended
        session.step(policy(world, session.state))
    q = view_quality(world, render_ultrasound(world, session.state))
    assert (q.grade, q.met) == ("good", len(q.checks)), q.advice


def _problems(tmp_path, edit):
    data = copy.deepcopy(yaml.safe_load((REPO / "scenarios" / "hip_anterior_us.yaml")
                                        .read_text()))
    edit(data)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    return parse_scenario(path)[1]


@pytest.mark.parametrize("edit, field, words", [
    (lambda d: d["standard_view"]["landmarks"][0].update(structure="femur_neck"),
     "standard_view.landmarks.0.structure", "unknown structure 'femur_neck'"),
    (lambda d: d["standard_view"]["landmarks"][0].update(min_width_share=1.5),
     "standard_view.landmarks.0.min_width_share", "less than or equal to 1"),
    (lambda d: d["standard_view"].update(landmarks=[{"structure": "femur"} for _ in range(7)]),
     "standard_view.landmarks", "at most 6"),
    (lambda d: d["site_check"].update(prep_radius_mm=5),
     "site_check.prep_radius_mm", "greater than or equal to 20"),
    (lambda d: d["site_check"].update(allergies=["x" * 41]),
     "site_check.allergies.0", "at most 40"),
], ids=["landmark", "share", "too_many", "prep_radius", "allergy"])
def test_bad_view_and_site_fields_name_the_field(tmp_path, edit, field, words):
    problems = _problems(tmp_path, edit)
    assert problems and problems[0][0] == field and words in problems[0][1], problems


def test_a_standard_view_in_a_fluoroscopy_case_is_refused(tmp_path):
    fluoro = yaml.safe_load((REPO / "scenarios" / "hip_ap_fluoro.yaml").read_text())
    fluoro["standard_view"] = {"name": "hip", "landmarks": []}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(fluoro))
    [(field, message)] = parse_scenario(path)[1]
    assert "grades an ultrasound view" in message
