"""Coaching shows only what is still true: a prompt about the tip, the skin or the
injection goes as soon as the state it describes changes, and a newer one on the same
topic replaces it (play-test 3: "Tip in the capsule: a little further" beside "Tip at the
target", and still under the score after the needle came out)."""

from dataclasses import replace

import pytest

from simulator import events as ev
from simulator.app.bindings import load_bindings
from simulator.app.feedback import Feedback
from simulator.app.hud import _Keys
from simulator.events import Event
from simulator.step import initial_state


def _with_tip(state, label: int, in_skin: bool = True):
    return replace(state, needle=replace(state.needle, tip_label=label, in_skin=in_skin),
                   tick=state.tick + 1)


def _texts(fb, state, now=0.5):
    return [p.text for p in fb.current(now, state)]


def test_tip_prompts_replace_each_other_and_go_when_the_tip_moves(block_world):
    world = block_world
    fb = Feedback(world, learning=True)
    start = initial_state(world)
    capsule, cavity = 3, 5
    in_capsule = _with_tip(start, capsule)
    fb(start, in_capsule, None, (Event(ev.CAPSULE_ENTERED, {"structure": "capsule"}),))
    assert any(t.startswith("Tip in the capsule") for t in _texts(fb, in_capsule))
    at_target = _with_tip(in_capsule, cavity)
    fb(in_capsule, at_target, None, (Event(ev.TARGET_REACHED, {"structure": "cavity"}),))
    texts = _texts(fb, at_target)
    assert any(t.startswith("Tip at the target") for t in texts)
    assert not any(t.startswith("Tip in the capsule") for t in texts)   # replaced
    out = _with_tip(at_target, 0, in_skin=False)
    assert not any(t.startswith("Tip") for t in _texts(fb, out))         # stale: gone
    assert any(t.startswith("Tip at the target") for t in _texts(fb, at_target))


def test_a_prompt_that_asks_for_an_action_names_its_key(block_world):
    world = block_world
    fb = Feedback(world, learning=True)
    start = initial_state(world)
    tip = _with_tip(start, 3)
    fb(start, tip, None, (Event(ev.CAPSULE_ENTERED, {"structure": "capsule"}),))
    (prompt,) = fb.current(0.5, tip)
    assert prompt.words(_Keys(load_bindings(None))) == \
        "Tip in the capsule: advance a little further (Space)"


def test_injected_volume_prompt_goes_once_more_is_injected(block_world):
    world = block_world
    fb = Feedback(world, learning=True)
    start = initial_state(world)
    after = replace(start, injected_ml=(1.5,), tick=start.tick + 1)
    fb(start, after, None, (Event(ev.INJECTION_STOPPED, {"volume_ml": 1.5}),))
    assert _texts(fb, after) == ["Injected 1.5 mL (1.5 mL in all)"]
    more = replace(after, injected_ml=(2.0,))
    assert _texts(fb, more) == []


@pytest.mark.parametrize("kind", [ev.BONE_CONTACT, ev.DANGER_CONTACT])
def test_contact_prompts_name_the_pull_back_key(block_world, kind):
    world = block_world
    fb = Feedback(world, learning=True)
    start = initial_state(world)
    tip = _with_tip(start, 3)
    fb(start, tip, None, (Event(kind, {"structure": "bone"}),))
    (prompt,) = fb.current(0.5, tip)
    assert "Pull back (C)" in prompt.words(_Keys(load_bindings(None)))
