"""Procedure steps: marking them, and noticing steps begun before earlier ones were done."""

from __future__ import annotations

from dataclasses import replace

from simulator import events as ev
from simulator.events import Event
from simulator.scenario import Step
from simulator.state import SimState
from simulator.world import World

MANUAL_STEPS = frozenset({Step.patient_positioning, Step.skin_prep, Step.time_out,
                          Step.imaging_setup, Step.completion})


def begin(world: World, state: SimState, step: str, manual: bool) -> tuple[SimState, list]:
    """Record that ``step`` was done (manual mark) or began (automatic), once per session."""
    if step in state.steps_done:
        return state, []
    out = [Event(ev.STEP_MARKED if manual else ev.STEP_STARTED, {"step": step})]
    expected = [s.value for s in world.scenario.procedure.steps]
    if step in expected:
        missing = [s for s in expected[:expected.index(step)] if s not in state.steps_done]
        if missing:
            out.append(Event(ev.STEP_OUT_OF_ORDER, {"step": step, "missing": missing}))
    return replace(state, steps_done=(*state.steps_done, step)), out


def mark(world: World, state: SimState, step: str) -> tuple[SimState, list]:
    """A trainee's manual mark; unknown or automatic step names are ignored."""
    try:
        parsed = Step(step)
    except ValueError:
        return state, []
    if parsed not in MANUAL_STEPS:
        return state, []
    return begin(world, state, parsed.value, manual=True)
