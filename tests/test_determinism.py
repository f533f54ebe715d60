"""Same scenario, seed and actions give identical states and events on every tick."""

import numpy as np
import pytest
from conftest import SCENARIOS

from simulator.loading import load_world
from simulator.session import Session
from simulator.state import Action


def _random_actions(world, n, seed):
    rng = np.random.default_rng(seed)
    from simulator.policies.planner import plan_path

    plan = plan_path(world)
    actions = [Action(mark="skin_prep"),
               Action(place_needle=(tuple(plan.entry_mm), tuple(plan.direction)))]
    while len(actions) < n:
        kind = rng.integers(0, 6)
        burst = int(rng.integers(5, 40))
        a = [Action(advance_mm_s=float(rng.uniform(2, 12))),
             Action(advance_mm_s=-float(rng.uniform(2, 8))),
             Action(steer_rad_s=tuple(float(x) for x in rng.normal(0, 0.1, 2))),
             Action(inject_ml_s=0.5),
             Action(aspirate=True, beam_on=bool(rng.integers(0, 2))),
             Action(probe_slide_mm_s=tuple(float(x) for x in rng.normal(0, 5, 2)))][kind]
        actions += [a] * burst
    return actions[:n]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_two_sessions_are_identical_tick_by_tick(path):
    world = load_world(path)
    actions = _random_actions(world, 1500, seed=3)
    a, b = Session(world), Session(world)
    for action in actions:
        sa, ea = a.step(action)
        sb, eb = b.step(action)
        assert sa == sb and ea == eb


def test_step_does_not_mutate_its_inputs(block_world):
    from simulator.step import initial_state, step

    state = initial_state(block_world)
    action = Action(place_needle=((0.0, 40.0, 0.0), (0.0, -1.0, 0.0)))
    before = (state, action)
    step(block_world, state, action)
    assert (state, action) == before
