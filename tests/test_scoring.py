"""Metrics on hand-built sequences, and the rubric's arithmetic."""

import math

import numpy as np
import pytest

from scoring.metrics.efficiency import TissueDamage
from scoring.rubric import evaluate, fraction
from scoring.score import Scorer
from simulator.scenario import Rubric
from simulator.session import Session
from simulator.state import Action


def test_fraction_is_linear_between_worst_and_best():
    assert fraction(5.0, best=0.0, worst=10.0) == pytest.approx(0.5)
    assert fraction(-1.0, best=0.0, worst=10.0) == 1.0
    assert fraction(0.95, best=0.9, worst=0.4) == 1.0
    assert fraction(None, best=0.0, worst=1.0) == 0.0


def test_rubric_hard_fail_overrides_a_high_score():
    rubric = Rubric(pass_score=50, criteria=[{"metric": "a", "weight": 1, "best": 0,
                                               "worst": 1}],
                    hard_fails=[{"metric": "b", "max": 0, "reason": "vessel"}])
    ok = evaluate(rubric, {"a": 0.0, "b": 0.0}, {}, {}, {})
    bad = evaluate(rubric, {"a": 0.0, "b": 1.0}, {}, {}, {})
    assert ok.passed and ok.score == 100.0
    assert not bad.passed and bad.score == 100.0 and bad.weaknesses[0] == "Hard fail: vessel"


def test_tissue_damage_of_a_pivot_is_the_swept_sector(block_world):
    s = Session(block_world)
    metric = TissueDamage(block_world)
    s.observers.append(metric.update)
    s.step(Action(place_needle=((0.0, 40.0, 0.0), (0.0, -1.0, 0.0))))
    for _ in range(200):
        s.step(Action(advance_mm_s=10.0))  # advancing sweeps only the bevel's slight curve
    straight = metric.value()
    assert straight < 10.0
    depth = s.state.needle.depth_mm
    d0 = np.asarray(s.state.needle.direction)
    for _ in range(30):
        s.step(Action(steer_rad_s=(math.radians(10.0), 0.0)))
    angle = math.acos(np.clip(d0 @ np.asarray(s.state.needle.direction), -1, 1))
    assert metric.value() - straight == pytest.approx(0.5 * depth ** 2 * angle, rel=0.02)


def test_tip_in_beam_share_follows_probe_alignment(block_world):
    def run(rotation_deg):
        s = Session(block_world)
        scorer = Scorer(block_world)
        s.observers.append(scorer)
        s.step(Action(place_probe=((0.0, 40.0, 0.0), (0.0, 1.0, 0.0),
                                   math.radians(rotation_deg), 0.0)))
        s.step(Action(place_needle=((0.0, 40.0, 12.0), (0.0, -0.7, -0.7))))
        for _ in range(15):  # turn the bevel a quarter turn so its drift stays in plane
            s.step(Action(twist_rad_s=2 * math.pi))
        for _ in range(250):
            s.step(Action(advance_mm_s=10.0))
        return scorer.values()["tip_in_beam_share"]

    # sagittal plane contains the needle: in view but where the tip crosses the skin, fat
    # and muscle interfaces, whose echoes swallow it for about a millimetre each
    assert run(0.0) > 0.85
    assert run(90.0) < 0.2   # transverse plane crosses it


def test_score_document_has_required_fields(block_world):
    s = Session(block_world)
    scorer = Scorer(block_world)
    s.observers.append(scorer)
    s.step(Action(end=True))
    doc = scorer.scored().to_dict()
    assert set(doc) >= {"format", "passed", "score", "hard_fails", "metrics", "strengths",
                        "weaknesses", "steps", "criteria", "key_moments", "status"}
    assert doc["metrics"]["skin_punctures"] == {
        "value": 0.0, "unit": "count", "label": "Skin punctures", "display": "0",
        "verdict": "at expert level", "expert_benchmark": 1.0, "unacceptable": 4.0}
    assert doc["steps"][0]["step"] == "patient_positioning"
    assert doc["steps"][0]["label"] == "Patient positioning"


def test_every_metric_explains_itself():
    """The report and the end screen show each metric's help under its name."""
    from scoring.metrics import METRICS

    assert [key for key, cls in METRICS.items() if len(cls.help) < 20] == []


def _bone_at(tip_mm, label=0):
    """A tick on which the tip, at ``tip_mm`` in structure ``label``, strikes bone."""
    from types import SimpleNamespace

    return SimpleNamespace(needle=SimpleNamespace(tip_mm=tuple(tip_mm), tip_label=label))


def test_one_gentle_touch_at_the_target_is_technique_not_an_error():
    """Hip (clinical.md s.1): the needle goes onto the head-neck junction's bone, then into
    the capsule. Counted: a hard push onto it, a contact away from it, and touching again."""
    from types import SimpleNamespace

    from scoring.metrics.attempts import GENTLE_BONE_MM_S, BoneStrikes
    from simulator import events as ev
    from simulator.events import Event

    world = SimpleNamespace(target_label=7, target_point=np.zeros(3), target_tolerance_mm=3.0)
    bone = (Event(ev.BONE_CONTACT, {"structure": "femur"}),)
    gentle, hard = Action(advance_mm_s=GENTLE_BONE_MM_S - 1.0), Action(advance_mm_s=7.0)

    def strikes(*contacts):
        metric = BoneStrikes(world)
        for state, action in contacts:
            metric.update(state, state, action, bone)
        return metric.value()

    in_target, near, away = _bone_at((9, 0, 0), 7), _bone_at((2.5, 0, 0)), _bone_at((20, 0, 0))
    assert strikes((in_target, gentle)) == 0.0
    assert strikes((near, gentle)) == 0.0                      # within the target's tolerance
    assert strikes((in_target, hard)) == 1.0                   # pushed onto the bone
    assert strikes((away, gentle)) == 1.0                      # bone away from the target
    assert strikes((away, gentle), (in_target, gentle)) == 1.0  # searched, then found it
    assert strikes((in_target, gentle), (in_target, gentle), (near, gentle)) == 2.0


def test_needle_passes_count_trajectories_not_re_advances(block_world):
    """A pass is a puncture or a redirection: backing off and re-advancing on the same line
    stays one pass; pulling back and re-aiming is a second."""
    s = Session(block_world, observers=[scorer := Scorer(block_world)])
    s.step(Action(place_needle=((0.0, 40.0, 0.0), (0.0, -1.0, 0.0))))

    def hold(action, seconds):
        for _ in range(round(seconds / block_world.dt_s)):
            s.step(action)

    hold(Action(advance_mm_s=10.0), 2.0)
    hold(Action(advance_mm_s=-10.0), 1.0)    # 10 mm back
    hold(Action(advance_mm_s=10.0), 1.0)     # the same line again
    assert scorer.values()["needle_passes"] == 1.0
    hold(Action(advance_mm_s=-10.0), 1.0)
    hold(Action(steer_rad_s=(math.radians(10.0), 0.0)), 1.0)
    hold(Action(advance_mm_s=10.0), 1.0)     # re-aimed 10 deg
    values = scorer.values()
    assert values["redirections"] == 1.0 and values["needle_passes"] == 2.0
