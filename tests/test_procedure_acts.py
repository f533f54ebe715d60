"""Procedure steps are acts: the prep covers the entry, the probe is covered, the time-out
checks side and allergies, and the wrong side or an allergen fails the attempt."""

from dataclasses import replace

import numpy as np
import pytest
import yaml
from conftest import REPO

from scoring.score import Scorer
from simulator import events as ev
from simulator.cli import main
from simulator.loading import load_world
from simulator.policies import make_policy
from simulator.session import Session, run_policy
from simulator.state import Action
from simulator.step import initial_state, step


def _run(world, edit=None, seed=0):
    """The expert's attempt, each action passed through ``edit(action, state)`` first."""
    expert = make_policy("expert", world, seed)
    scorer = Scorer(world)
    session = Session(world, observers=[scorer])

    def policy(w, state):
        action = expert(w, state)
        return edit(action, state) if edit else action

    run_policy(session, policy, max_ticks=int(world.scenario.limits.time_s / world.dt_s) + 5)
    return scorer.scored(), scorer.values()


def _reasons(doc):
    return " | ".join(h.reason for h in doc.hard_fails)


@pytest.fixture(scope="module")
def expert_run(block_world):
    return _run(block_world)


def test_the_expert_does_every_act_and_passes(expert_run):
    doc, values = expert_run
    assert doc.passed, _reasons(doc)
    assert values["sterility_breaches"] == 0
    assert values["time_out_before_puncture"] == 1
    assert values["local_anaesthetic_at_entry"] == 1


def test_a_puncture_outside_the_prepped_skin_is_an_asepsis_breach(block_world):
    radius = block_world.scenario.site_check.prep_radius_mm

    def prep_elsewhere(action, state):
        if action.prep_skin is None:
            return action
        moved = np.asarray(action.prep_skin) + (0.0, 0.0, radius + 10.0)
        return replace(action, prep_skin=tuple(moved))

    doc, values = _run(block_world, prep_elsewhere)
    assert values["sterility_breaches.outside_prep"] >= 1
    assert not doc.passed and "Asepsis breach" in _reasons(doc)


def test_an_uncovered_probe_is_an_asepsis_breach(block_world):
    doc, values = _run(block_world, lambda a, s: replace(a, cover_probe=False))
    assert values["sterility_breaches.probe_uncovered"] == 1
    assert not doc.passed and "Asepsis breach" in _reasons(doc)


def test_injecting_the_wrong_side_fails_even_after_a_time_out(block_world):
    requested = block_world.patient.side
    other = "left" if requested == "right" else "right"

    def wrong_side(action, state):
        if state.tick == 0:
            return replace(action, choose_side=other)
        return action

    doc, values = _run(block_world, wrong_side)
    assert values["wrong_side_injection_ml"] > 0
    assert values["time_out_before_puncture"] == 0  # the time-out said "requested side"
    reasons = _reasons(doc)
    assert "Injected the wrong side" in reasons and "No correct time-out" in reasons


def test_moving_side_clears_the_prep_and_needs_a_new_one(block_world):
    state = initial_state(block_world)
    state, _ = step(block_world, state, Action(prep_skin=(0.0, 0.0, 0.0)))
    other = "left" if block_world.patient.side == "right" else "right"
    state, events = step(block_world, state, Action(choose_side=other))
    assert state.side == other and state.prepped_mm == ()
    assert [e.kind for e in events] == [ev.SIDE_CHOSEN]


@pytest.fixture(scope="module")
def allergic_world(block_scenario, tmp_path_factory):
    """The block phantom's patient, allergic to what its first syringe holds."""
    data = yaml.safe_load(block_scenario.read_text())
    syringe = data["syringes"][0]
    drug = (syringe.get("drug") or syringe["name"]).split()[0]
    data["site_check"] = {"allergies": [drug]}
    path = block_scenario.with_name("block_allergic.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_world(path)


def test_an_allergy_missed_at_the_time_out_fails_the_time_out(allergic_world):
    def no_allergy(action, state):
        if action.time_out is not None:
            return replace(action, time_out=(action.time_out[0], False))
        return action

    doc, values = _run(allergic_world, no_allergy)
    assert values["time_out_before_puncture"] == 0
    assert "No correct time-out" in _reasons(doc)


def test_injecting_a_drug_the_patient_is_allergic_to_fails(allergic_world):
    doc, values = _run(allergic_world)  # the expert reports the allergy, then injects anyway
    assert values["time_out_before_puncture"] == 1
    assert values["allergen_injection_ml"] > 0
    assert "allergic" in _reasons(doc)


def test_acts_round_trip_through_the_log_format_and_bad_sides_are_refused():
    action = Action(choose_side="left", prep_skin=(1.0, 2.0, 3.0), cover_probe=True,
                    time_out=("right", True), local_anaesthetic=True)
    assert Action.from_json(action.to_json()) == action
    for bad in ({"choose_side": "up"}, {"time_out": ["middle", False]},
                {"prep_skin": [1.0, float("nan"), 0.0]}, {"time_out": ["left", "yes"]}):
        with pytest.raises(ValueError):
            Action.from_json(bad)


def test_a_log_recorded_before_the_acts_still_replays_and_verifies(block_scenario, capsys):
    """Format-2 log of the block phantom's expert, recorded by the code before the acts
    (skin prep and time-out were checklist marks then)."""
    log = REPO / "tests" / "data" / "legacy_block_expert.jsonl"
    assert '"mark":"time_out"' in log.read_text()
    assert main(["replay", str(log), "--verify", "--scenarios",
                 str(block_scenario.parent)]) == 0
    assert "events identical" in capsys.readouterr().out
