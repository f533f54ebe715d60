"""The hard fails every scenario carries (clinical.md §5.5), whatever its rubric says."""

from __future__ import annotations

import pytest

from scoring.clinical_rules import effective_rubric
from scoring.score import Scorer
from simulator.policies.planner import plan_path
from simulator.policies.script import ScriptPolicy
from simulator.scenario import Step
from simulator.session import Session, run_policy
from simulator.state import Action


class BlindHalfDose(ScriptPolicy):
    """Skips the time-out, never images the needle, and injects half the dose in the joint."""

    def script(self):
        for step in (Step.patient_positioning, Step.skin_prep):
            yield from self.mark(step, 2.0)
        plan = plan_path(self.world, angle_to_skin_deg=(25.0, 50.0))
        yield from self.place(plan)
        yield from self.advance_along(plan, 3.0)
        yield Action(aspirate=True)
        yield from self.wait(1.0)
        yield from self.inject(0, 0.5 * self.world.scenario.syringes[0].volume_ml, 0.5)
        yield Action(end=True)


def _score(world, policy):
    session = Session(world, seed=1)
    scorer = Scorer(world)
    session.observers.append(scorer)
    run_policy(session, policy)
    return scorer.scored()


def test_blind_no_time_out_half_dose_attempt_fails(hip_us_world):
    scored = _score(hip_us_world, BlindHalfDose(hip_us_world, seed=1))
    failed = {h.metric for h in scored.hard_fails}
    assert not scored.passed
    assert {"time_out_before_puncture", "prescribed_dose_share", "tip_in_beam_share"} <= failed
    assert scored.value("prescribed_dose_share") == pytest.approx(0.5)
    assert scored.metric("prescribed_dose_share").verdict == "hard fail"


def test_every_scenario_carries_the_standard_hard_fails(hip_us_world, hip_fluoro_world):
    us = {r.metric for r in effective_rubric(hip_us_world.scenario).hard_fails}
    fluoro = {r.metric for r in effective_rubric(hip_fluoro_world.scenario).hard_fails}
    common = {"nerve_contacts", "intraneural_injection_ml", "intravascular_injection_ml",
              "time_out_before_puncture", "aspirated_before_injection", "prescribed_dose_share"}
    assert common <= us and common <= fluoro
    assert "tip_in_beam_share" in us and "tip_in_beam_share" not in fluoro


def test_a_scenario_rule_on_the_same_metric_is_not_doubled(hip_us_world):
    rules = effective_rubric(hip_us_world.scenario).hard_fails
    assert [r.metric for r in rules].count("aspirated_before_injection") == 1


def test_through_a_nerve_and_back_is_one_nerve_contact_and_fails(block_world):
    session = Session(block_world)
    scorer = Scorer(block_world)
    session.observers.append(scorer)
    session.step(Action(mark="time_out"))
    session.step(Action(place_needle=((30.0, 40.0, 0.0), (0.0, -1.0, 0.0))))
    for _ in range(300):  # 50 mm in: through the nerve at y = -2..-8 mm
        session.step(Action(advance_mm_s=10.0))
    for _ in range(300):  # and back out along the same track
        session.step(Action(advance_mm_s=-10.0))
    session.step(Action(end=True))
    scored = scorer.scored()
    assert scored.value("nerve_contacts") == 1.0
    assert "nerve_contacts" in {h.metric for h in scored.hard_fails}


def test_expert_level_is_said_only_at_the_benchmark():
    from scoring.rubric import evaluate
    from simulator.scenario import Rubric

    rubric = Rubric(criteria=[{"metric": "a", "weight": 1, "best": 0.9, "worst": 0.4},
                              {"metric": "b", "weight": 1, "best": 0, "worst": 10}])
    result = evaluate(rubric, {"a": 0.85, "b": 12.0}, {"a": "A", "b": "B"},
                      {"a": "fraction", "b": "count"}, {})
    assert result.strengths == ("A: 85%, close to expert level (benchmark 90%)",)
    assert result.weaknesses == ("B: 12, no marks (10 or more earns none); aim for 0",)
