"""The debrief: the key moments of an attempt replayed from its log, mistakes marked, and
the screen the score screen opens in learning mode."""

from dataclasses import replace

import numpy as np
from app_driver import Driver, pygame

from simulator.app.debrief import key_moments
from simulator.policies import make_policy
from simulator.session import Session, run_policy

pytest_plugins = ["app_driver"]  # fixtures: make_app


def test_key_moments_of_a_logged_attempt_mark_its_mistakes(block_world, block_scenario,
                                                           tmp_path):
    """The expert preps the wrong place and skips aspiration: both show as mistakes, the
    puncture, the target and the injection as moments, each with the state it happened in."""
    world, log = block_world, tmp_path / "attempt.jsonl"
    expert = make_policy("expert", world, 0)
    radius = world.scenario.site_check.prep_radius_mm

    def mistakes(w, state):
        action = expert(w, state)
        if action.prep_skin is not None:
            action = replace(action, prep_skin=tuple(np.asarray(action.prep_skin)
                                                     + (0.0, 0.0, radius + 10.0)))
        return replace(action, aspirate=False)

    session = Session(world, log_path=log, scenario_path=str(block_scenario))
    run_policy(session, mistakes, max_ticks=int(world.scenario.limits.time_s / world.dt_s))
    session.close()
    moments = key_moments(world, log)
    titles = {m.title: m for m, _ in moments}
    assert not titles["Skin puncture 1"].mistake
    assert titles["Puncture outside the prepped skin"].mistake
    assert titles["Injected without aspirating first"].mistake
    assert any(t.startswith("Tip at the target") and not m.mistake for t, m in titles.items())
    ticks = [m.tick for m, _ in moments]
    assert ticks == sorted(ticks)
    puncture, state = next((m, s) for m, s in moments if m.title == "Skin puncture 1")
    assert state.tick == puncture.tick + 1 and state.needle.in_skin


def _ended_app(make_app, world, scenario, mode):
    """An attempt where the trainee goes to the other side, holds the time-out there and
    stops."""
    app = make_app(world, scenario, mode=mode)
    d = Driver(app)
    for key in (pygame.K_1, pygame.K_9, pygame.K_3):
        d.tap(key)
    d.tap(pygame.K_F10)
    d.until(lambda: app.screen_mode == "ended", 3000)  # scored in the background
    return app, d


def test_the_score_screen_opens_the_debrief_in_learning_mode(make_app, block_world,
                                                             block_scenario, tmp_path):
    app, d = _ended_app(make_app, block_world, block_scenario, "learning")
    d.tap(pygame.K_F2)
    assert app.screen_mode == "debrief"
    (moment, state), (order, _) = app.debrief.moments[:2]
    assert moment.mistake and moment.title.startswith("Time-out wrong: side")
    assert state.side != block_world.patient.side
    assert order.mistake and order.title == "Time out before skin prep"
    d.tap(pygame.K_DOWN)
    app.screenshot(tmp_path / "debrief.png")
    d.tap(pygame.K_F2)
    assert app.screen_mode == "ended"


def test_assessment_mode_has_no_debrief(make_app, block_world, block_scenario):
    app, d = _ended_app(make_app, block_world, block_scenario, "assessment")
    d.tap(pygame.K_F2)
    assert app.screen_mode == "ended"


def test_every_hard_fail_and_no_marks_measure_is_a_marked_moment(hip_us_world, tmp_path):
    """A blind, no-time-out, half-dose attempt: the debrief marks where the tip was lost while
    advancing, and lists each hard fail and each measure that earned no marks as a mistake
    (play-test 3 saw "0 mistakes" for an attempt failed for blind advancement)."""
    from test_clinical_rules import BlindHalfDose

    from scoring.score import Scorer

    world, log = hip_us_world, tmp_path / "blind.jsonl"
    session = Session(world, seed=1, log_path=log)
    scorer = Scorer(world)
    session.observers.append(scorer)
    run_policy(session, BlindHalfDose(world, seed=1))
    session.close()
    doc = scorer.scored()
    assert doc.hard_fails
    moments = key_moments(world, log, doc)
    marked = {m.title for m, _ in moments if m.mistake}
    assert "Advancing with the tip out of view (blind)" in marked
    for h in doc.hard_fails:
        assert f"Hard fail: {h.reason}" in marked
    for c in doc.criteria:
        if c.fraction <= 0.0 and c.metric not in {h.metric for h in doc.hard_fails}:
            assert any(t.startswith(f"No marks: {c.label}:") for t in marked)
    blind = next(m for m, _ in moments if m.title.startswith("Advancing with the tip"))
    assert blind.tick < moments[-1][0].tick
