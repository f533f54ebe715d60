"""Procedure steps: marking them, noticing steps begun before earlier ones were done, and
the acts that carry the steps out (choosing the side, skin prep, probe cover, time-out, local
anaesthetic)."""

from __future__ import annotations

from dataclasses import replace

from simulator import events as ev
from simulator.events import Event
from simulator.geometry import vec
from simulator.scenario import Step
from simulator.state import Action, Needle, SimState
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


# -- the acts: side, skin prep, probe cover, time-out, local anaesthetic --------------------
ACT_FIELDS = ("choose_side", "prep_skin", "cover_probe", "time_out", "local_anaesthetic")


def completed_steps(state: SimState) -> frozenset[str]:
    """Steps done and still standing: a skin prep left behind by a change of side, or a
    time-out that found something wrong, is to be done again."""
    done = set(state.steps_done)
    if not state.prepped_mm:
        done.discard(Step.skin_prep.value)
    if state.time_out_problems != ():
        done.discard(Step.time_out.value)
    return frozenset(done)


def requested_side(world: World) -> str:
    """The side the request names: the side the patient's anatomy is modelled on."""
    return world.patient.side


def working_side(world: World, state: SimState) -> str:
    """The side of the patient the trainee is at (the requested side until they move)."""
    return state.side or requested_side(world)


def act(world: World, state: SimState, action: Action) -> tuple[SimState, list]:
    """Carry out the procedure acts ``action`` holds (see ``Action``), in a fixed order."""
    out: list = []
    if action.choose_side is not None:
        state = _choose_side(world, state, action.choose_side, out)
    if action.prep_skin is not None:
        radius = world.scenario.site_check.prep_radius_mm
        state = replace(state, prepped_mm=(*state.prepped_mm, vec(action.prep_skin)))
        out.append(Event(ev.SKIN_PREPPED, {"centre_mm": [round(x, 3) for x in action.prep_skin],
                                           "radius_mm": radius,
                                           "side": working_side(world, state)}))
        state, e = begin(world, state, Step.skin_prep.value, manual=True)
        out += e
    if action.cover_probe and world.scenario.uses_ultrasound and not state.probe_covered:
        state = replace(state, probe_covered=True)
        out.append(Event(ev.PROBE_COVERED))
    if action.time_out is not None:
        state = _time_out(world, state, *action.time_out, out)
    if action.local_anaesthetic:
        n = state.needle
        if n.entry_mm is None or n.in_skin:
            out.append(Event(ev.ACT_REFUSED, {"act": "local_anaesthetic", "reason":
                                              "rest the needle on the skin first"}))
        else:
            state = replace(state, anaesthetised_mm=(*state.anaesthetised_mm, n.entry_mm))
            out.append(Event(ev.LOCAL_ANAESTHETIC, {"at_mm": [round(x, 3) for x in n.entry_mm]}))
    return state, out


def _choose_side(world: World, state: SimState, side: str, out: list) -> SimState:
    if side == working_side(world, state):
        return state
    if state.needle.in_skin:
        out.append(Event(ev.ACT_REFUSED, {"act": "choose_side",
                                          "reason": "the needle is in the skin"}))
        return state
    out.append(Event(ev.SIDE_CHOSEN, {"side": side}))
    # a new side: its skin is not prepped and the needle comes back to the tray
    return replace(state, side=side, prepped_mm=(), anaesthetised_mm=(), needle=Needle(
        direction=state.needle.direction, bevel_rad=state.needle.bevel_rad))


def _time_out(world: World, state: SimState, side: str, allergy: bool, out: list) -> SimState:
    """The time-out: the trainee confirms the patient, the site, the drugs and states the
    side and whether the patient is allergic to anything on the tray; it finds what is
    wrong against the request (the scenario) and where the trainee stands."""
    sc = world.scenario
    requested, at = requested_side(world), working_side(world, state)
    problems = []
    if side != requested:
        problems.append(f"side: the request is for the {requested} side, not the {side}")
    elif at != requested:
        problems.append(f"side: you are at the patient's {at} side; the request is for the "
                        f"{requested}")
    allergens = sc.site_check.allergens(sc.syringes)
    if allergens and not allergy:
        names = ", ".join(sc.syringes[k].name for k in allergens)
        problems.append(f"allergy: the patient is allergic to {names}")
    elif allergy and not allergens:
        problems.append("allergy: nothing on the tray is among the patient's allergies")
    out.append(Event(ev.TIME_OUT, {"side": side, "allergy": allergy, "problems": problems}))
    state = replace(state, time_out_problems=tuple(problems))
    state, e = begin(world, state, Step.time_out.value, manual=True)
    out += e
    return state
