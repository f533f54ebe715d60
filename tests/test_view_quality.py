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


def _turn_sense(probe_before, probe_after, world) -> str:
    """Clockwise or anticlockwise, looking down on the skin, from one pose to the other."""
    import numpy as np

    from simulator.probe import probe_axes

    normal = np.asarray(probe_before.normal)
    before, after = probe_axes(world, probe_before)[0], probe_axes(world, probe_after)[0]
    return "anticlockwise" if np.cross(before, after) @ normal > 0 else "clockwise"


def test_the_hip_cue_says_which_way_to_turn_the_way_the_expert_turns(hip_us_world):
    """The play-test's trainee was told to "rotate the probe" with no direction: the cue now
    says how far and which way, and it is the way the scripted expert turns."""
    import re

    world = hip_us_world
    start = initial_state(world)
    advice = view_quality(world, render_ultrasound(world, start)).advice
    said = re.search(r"rotate the probe about (\d+)° (anticlockwise|clockwise)", advice)
    assert said, advice
    policy, session = make_policy("expert", world, 0), Session(world)
    while "imaging_setup" not in session.state.steps_done:
        session.step(policy(world, session.state))
    assert said.group(2) == _turn_sense(start.probe, session.state.probe, world)
    assert 30 <= int(said.group(1)) <= 80   # the expert turns about 55°


def test_the_cue_to_a_view_one_slide_away_says_slide_not_rotate():
    """The ankle case starts sagittal, below the joint line: sliding, not turning, fixes it."""
    from simulator.loading import load_world

    world = load_world(REPO / "scenarios" / "ankle_anterior_us.yaml")
    advice = view_quality(world, render_ultrasound(world, initial_state(world))).advice
    assert "slide the probe" in advice and "rotate" not in advice, advice


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


def test_the_centring_cue_names_the_way_that_centres_the_target():
    """"Slide the probe along its length" left the trainee guessing which end: the cue names
    the direction, and sliding that way moves the target toward the middle of the image."""
    import dataclasses

    import numpy as np

    from simulator.app.guidance import direction_words
    from simulator.loading import load_world
    from simulator.probe import move_probe

    world = load_world(REPO / "scenarios" / "shoulder_gh_posterior_us.yaml")
    state = initial_state(world)
    frame = render_ultrasound(world, state)
    advice = view_quality(world, frame).advice
    assert "third: slide the probe " in advice, advice
    said = advice.split("slide the probe ")[1].split(" to bring")[0]

    def target_column(probe) -> float:
        moved = render_ultrasound(world, dataclasses.replace(state, probe=probe))
        return float(moved.pixel_of(np.asarray(world.target_point))[0, 0])

    centre = frame.image.shape[1] / 2
    for slide_mm in (8.0, -8.0):
        probe = move_probe(world, frame.probe, (slide_mm, 0.0), 0.0, 0.0)
        shift = np.asarray(probe.contact_mm) - np.asarray(frame.probe.contact_mm)
        if direction_words(world, shift) == said:
            before = abs(target_column(frame.probe) - centre)
            assert abs(target_column(probe) - centre) < before
            return
    raise AssertionError(f"no slide along the probe goes {said!r}")
