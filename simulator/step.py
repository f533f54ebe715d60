"""``initial_state`` and ``step``: the pure core every driver (app, replay, policies) runs.

``step(world, state, action) -> (state, events)`` advances exactly one tick of
``world.dt_s``: no clock, no randomness, no I/O, inputs untouched.
"""

from __future__ import annotations

import math
from dataclasses import replace
from operator import attrgetter

import numpy as np

from simulator import carm as carm_model
from simulator import events as ev
from simulator import injection, needle, procedure
from simulator import probe as probe_model
from simulator.events import Event
from simulator.geometry import angle_between, clamp, cross, unit, vec
from simulator.scenario import SURFACES, Step
from simulator.state import NOOP, Action, CArm, Needle, Probe, SimState, replace_state
from simulator.transducer import PRESETS
from simulator.world import World

REDIRECT_MIN_RETRACT_MM = 5.0
REDIRECT_MIN_ANGLE_RAD = math.radians(3.0)
MAX_INJECT_ML_S = 2.0
_STILL = (0.0, 0.0)   # a 2-vector rate at rest
_acts = attrgetter(*procedure.ACT_FIELDS)


def initial_state(world: World) -> SimState:
    """The starting state the scenario describes (deterministic)."""
    sc = world.scenario
    probe = None
    if sc.uses_ultrasound:
        start, spec = sc.probe_start, sc.probe
        preset = PRESETS[spec.preset]
        freq = spec.frequency_mhz or preset.centre_mhz
        base = Probe((0.0, 0.0, 0.0), (0.0, 1.0, 0.0), 0.0, depth_mm=spec.depth_mm,
                     gain_db=spec.gain_db, frequency_mhz=freq, focus_mm=0.6 * spec.depth_mm)
        outward = np.asarray(SURFACES[start.surface]) * (world.side_sign, 1.0, 1.0)
        probe = probe_model.place_probe(world, world.landmark(start.landmark, start.offset_mm),
                                        outward, math.radians(start.rotation_deg),
                                        math.radians(start.tilt_deg), base)
    carm = None
    if sc.uses_fluoroscopy:
        start = sc.carm_start
        field = start.field_mm or carm_model.DEFAULT_FIELD_MM
        carm = CArm(math.radians(start.orbital_deg), math.radians(start.cranial_deg),
                    vec(world.landmark(start.landmark, start.offset_mm)),
                    min(field, sc.carm.detector_mm))
    return SimState(tick=0, needle=Needle(), probe=probe, carm=carm,
                    injected_ml=(0.0,) * len(sc.syringes))


def step(world: World, state: SimState, action: Action) -> tuple[SimState, tuple[Event, ...]]:
    """Advance one tick. Returns the new state and the events of this tick."""
    # a hand on the needle or the probe is never quiet: skip comparing the action with NOOP
    moving = (action.advance_mm_s or action.probe_slide_mm_s != _STILL
              or action.steer_rad_s != _STILL)
    if (state.ended or not moving) and quiet_ticks(world, state, action, 1):
        return skip_quiet(state, 1), ()  # nothing moves: only time passes
    dt = world.dt_s
    out: list[Event] = []
    if action.mark:
        state, e = procedure.mark(world, state, action.mark)
        out += e
    if any(_acts(action)):
        state, e = procedure.act(world, state, action)
        out += e
    if action.select_syringe is not None and action.select_syringe != state.syringe:
        if 0 <= action.select_syringe < len(world.scenario.syringes):
            state = _close_bolus(state, out)
            state = replace_state(state, syringe=action.select_syringe)
            out.append(Event(ev.SYRINGE_SELECTED, {
                "syringe": action.select_syringe,
                "name": world.scenario.syringes[action.select_syringe].name}))
    if state.probe is not None:
        state = _probe(world, state, action, dt, out)
    if state.carm is not None:
        state = _carm_motion(world, state, action, dt)
    state = _needle(world, state, action, dt, out)
    if action.aspirate and state.needle.in_skin:
        state, e = procedure.begin(world, state, Step.aspiration.value, manual=False)
        out += e
        result = injection.aspiration_result(world, state.needle)
        out.append(Event(ev.ASPIRATION, {"result": result,
                                         "structure": world.name(state.needle.tip_label)}))
    state = _inject(world, state, action, dt, out)
    if state.carm is not None:
        state = _fluoro(world, state, action, dt, out)
    time_up = (state.tick + 1) * dt >= world.scenario.limits.time_s
    if action.end or time_up:
        state = _close_bolus(state, out)
        out.append(Event(ev.SESSION_ENDED, {"reason": "ended" if action.end else "time_limit"}))
        state = replace_state(state, ended=True)
    return replace_state(state, tick=state.tick + 1), tuple(out)


def quiet_ticks(world: World, state: SimState, action: Action, most: int) -> int:
    """How many of the next ``most`` ticks under ``action`` are quiet: they change nothing
    but the tick and emit no events (the session has ended; or nothing is held, injected or
    exposed and the time limit is not reached). ``skip_quiet`` takes that many in one jump,
    exactly as ``step`` would one by one."""
    if state.ended:
        return max(most, 0)
    if (action != NOOP or state.injecting or (state.carm is not None and state.carm.beam_on)
            or most <= 0):
        return 0
    # tick t is quiet while (t + 1) * dt < the limit; fl(n * dt) never falls as n grows, so
    # the ticks up to the last quiet one are all quiet: find it by bisection
    dt, limit = world.dt_s, world.scenario.limits.time_s
    low, high = 0, most   # quiet(low) holds (vacuously for 0); find the largest
    while low < high:
        mid = (low + high + 1) // 2
        if (state.tick + mid) * dt < limit:
            low = mid
        else:
            high = mid - 1
    return low


def skip_quiet(state: SimState, ticks: int) -> SimState:
    """The state after ``ticks`` quiet ticks (see :func:`quiet_ticks`): only the tick moves."""
    return replace_state(state, tick=state.tick + ticks)


def _probe(world: World, state: SimState, action: Action, dt: float, out: list) -> SimState:
    p = state.probe
    preset = world.scenario.probe.preset
    if action.probe_settings:
        p = probe_model.apply_settings(p, preset, action.probe_settings)
    if action.place_probe is not None:
        point, outward, rotation, tilt = action.place_probe
        placed = probe_model.place_probe(world, point, outward, rotation, tilt, p)
        if placed is not None:
            p = placed
            out.append(Event(ev.PROBE_PLACED, {"contact_mm": list(p.contact_mm)}))
    if not (action.probe_slide_mm_s[0] or action.probe_slide_mm_s[1] or action.probe_rotate_rad_s
            or action.probe_tilt_rad_s or action.probe_rock_rad_s):
        return replace_state(state, probe=p) if p is not state.probe else state  # held still
    slide = tuple(clamp(v, probe_model.MAX_SLIDE_MM_S) * dt for v in action.probe_slide_mm_s)
    turn = clamp(action.probe_rotate_rad_s, probe_model.MAX_TURN_RAD_S) * dt
    tilt = clamp(action.probe_tilt_rad_s, probe_model.MAX_TURN_RAD_S) * dt
    rock = clamp(action.probe_rock_rad_s, probe_model.MAX_TURN_RAD_S) * dt
    if slide[0] or slide[1] or turn or tilt or rock:
        p = probe_model.move_probe(world, p, slide, turn, tilt, rock)
    return replace_state(state, probe=p) if p is not state.probe else state


def _carm_motion(world: World, state: SimState, action: Action, dt: float) -> SimState:
    c = state.carm
    for name, value in action.carm_settings:
        if name == "field_mm":
            c = replace(c, field_mm=float(np.clip(value, carm_model.MIN_FIELD_MM,
                                                  world.scenario.carm.detector_mm)))
        elif name == "low_dose":
            c = replace(c, low_dose=bool(value))
    turn = tuple(clamp(v, carm_model.MAX_TURN_RAD_S) * dt for v in action.carm_rotate_rad_s)
    shift = tuple(clamp(v, carm_model.MAX_SHIFT_MM_S) * dt for v in action.carm_shift_mm_s)
    if any(turn) or any(shift):
        start = world.scenario.carm_start
        home = world.landmark(start.landmark, start.offset_mm)
        c = carm_model.move(c, turn, shift, home)
    return replace_state(state, carm=c) if c is not state.carm else state


def _needle(world: World, state: SimState, action: Action, dt: float, out: list) -> SimState:
    n = state.needle
    if action.place_needle is not None and not n.in_skin:
        n = _place(world, n, *action.place_needle, out)
    if n.entry_mm is None:
        return replace_state(state, needle=n) if n is not state.needle else state
    if action.flip_bevel:
        n = replace(n, bevel_rad=(n.bevel_rad + math.pi) % (2 * math.pi))
        out.append(Event(ev.BEVEL_FLIPPED, {"bevel_deg": round(math.degrees(n.bevel_rad))}))
    if action.twist_rad_s:
        twist = clamp(action.twist_rad_s, needle.MAX_TWIST_RAD_S) * dt
        n = replace(n, bevel_rad=(n.bevel_rad + twist) % (2 * math.pi))
    if (action.entry_slide_mm_s[0] or action.entry_slide_mm_s[1]) and not n.in_skin:
        n = slide_entry(world, n, np.asarray(action.entry_slide_mm_s) * dt, out)
    yaw_rad_s, pitch_rad_s = action.steer_rad_s
    yaw = clamp(yaw_rad_s, needle.MAX_STEER_RAD_S) * dt
    pitch = clamp(pitch_rad_s, needle.MAX_STEER_RAD_S) * dt
    if yaw or pitch:
        n, e = needle.steer(world, n, yaw, pitch)
        out += e
    if action.withdraw:
        n, e = needle.withdraw(world, n)
        out += e
    speed = clamp(action.advance_mm_s, needle.MAX_SPEED_MM_S)
    was_in_skin = n.in_skin
    if speed > 0.0:
        state = _maybe_redirect(state, n, out)
        distance = min(speed * dt, world.scenario.needle.length_mm - n.depth_mm)
        if distance > 0.0:
            n, e = needle.advance(world, n, distance)
            out += e
    elif speed < 0.0:
        n, e = needle.retract(world, n, -speed * dt)
        out += e
        state = replace_state(state, needle=n, retracted_mm=state.retracted_mm - speed * dt)
    if n is not state.needle:
        state = replace_state(state, needle=n)
    if n.in_skin and not was_in_skin:
        state = replace_state(state, pass_direction=n.direction, retracted_mm=0.0)
        state, e = procedure.begin(world, state, Step.needle_placement.value, manual=False)
        out += e
    if not state.target_reached and n.in_skin and _may_reach(world, n):
        distance = float(np.linalg.norm(np.asarray(n.tip_mm) - world.target_point))
        if n.tip_label == world.target_label or distance <= world.target_tolerance_mm:
            out.append(Event(ev.TARGET_REACHED, {"structure": world.name(n.tip_label),
                                                 "distance_mm": round(distance, 2)}))
            state = replace_state(state, target_reached=True)
    return state


def _may_reach(world: World, n: Needle) -> bool:
    """False only when the tip is surely not at the target: outside the target structure
    and clearly beyond the tolerance (a cheap screen before the exact distance)."""
    if n.tip_label == world.target_label:
        return True
    tip, target = n.tip_mm, world.target_point
    d2 = ((tip[0] - target[0]) ** 2 + (tip[1] - target[1]) ** 2
          + (tip[2] - target[2]) ** 2)
    # rounding differs from the exact distance's by far less than this margin
    return d2 <= (world.target_tolerance_mm + 1e-6) ** 2 * (1.0 + 1e-9)


def _place(world: World, n: Needle, point, direction, out: list) -> Needle:
    d = unit(direction)
    hit = world.skin_along(np.asarray(point, float) - d * 150.0, d, 300.0)
    if hit is None:
        out.append(Event(ev.ENTRY_REFUSED, {"reason": "no skin along that line"}))
        return n
    if not world.in_entry_zone(hit.point):
        out.append(Event(ev.ENTRY_REFUSED, {"reason": "outside the allowed entry zone"}))
        return n
    placed = replace(n, entry_mm=vec(hit.point), direction=vec(d), depth_mm=0.0, tent_mm=0.0,
                     in_skin=False, tip_label=0, bone_contact=False, heading=None)
    out.append(Event(ev.NEEDLE_PLACED, {"entry_mm": [round(x, 3) for x in placed.entry_mm],
                                        "direction": [round(x, 5) for x in placed.direction]}))
    return placed


def slide_entry(world: World, n: Needle, slide_mm, out: list) -> Needle:
    """The needle resting on the skin moved by ``slide_mm`` ``(2,)`` (forward along the
    skin, sideways), kept on the skin; public because the app asks which way a key moves it."""
    hit = world.skin_along(np.asarray(n.entry_mm) - np.asarray(n.direction) * 60.0,
                           n.direction, 120.0)
    normal = hit.normal if hit is not None else -np.asarray(n.direction)
    forward = np.asarray(n.direction) - (np.asarray(n.direction) @ normal) * normal
    if np.linalg.norm(forward) < 1e-6:
        forward = cross(normal, [1.0, 0.0, 0.0])
    forward = unit(forward)
    side = cross(normal, forward)
    point = np.asarray(n.entry_mm) + forward * slide_mm[0] + side * slide_mm[1]
    moved = world.skin_near(point, normal)
    if moved is None:
        return n
    if not world.in_entry_zone(moved.point):
        return n
    return replace(n, entry_mm=vec(moved.point), tent_mm=0.0)


def _maybe_redirect(state: SimState, n: Needle, out: list) -> SimState:
    if not n.in_skin or state.retracted_mm < REDIRECT_MIN_RETRACT_MM:
        return state
    angle = angle_between(n.direction, state.pass_direction or n.direction)
    if angle >= REDIRECT_MIN_ANGLE_RAD:
        out.append(Event(ev.REDIRECT, {"angle_deg": round(math.degrees(angle), 1)}))
    return replace_state(state, pass_direction=n.direction, retracted_mm=0.0)


def _inject(world: World, state: SimState, action: Action, dt: float, out: list) -> SimState:
    rate = max(0.0, clamp(action.inject_ml_s, MAX_INJECT_ML_S))
    if rate <= 0.0:
        return _close_bolus(state, out)
    syringe = state.syringe
    left = world.scenario.syringes[syringe].volume_ml - state.injected_ml[syringe]
    if left <= 1e-9 or not state.needle.in_skin:
        if not state.injecting:
            return state
        return _close_bolus(state, out)
    pressure = injection.pressure_kpa(world, state, rate)
    if pressure > injection.REFUSE_ABOVE_KPA:
        if state.injecting:
            state = _close_bolus(state, out)
        out.append(Event(ev.INJECTION_REFUSED, {"reason": "plunger will not move: the tip is "
                                                "in " + world.name(state.needle.tip_label),
                                                "pressure_kpa": round(pressure)}))
        return state
    volume = min(rate * dt, left)
    if not state.injecting:
        state, e = procedure.begin(world, state, Step.injection.value, manual=False)
        out += e
        out.append(Event(ev.INJECTION_STARTED, {
            "syringe": syringe, "contents": world.scenario.syringes[syringe].contents,
            "compartment": injection.compartment(world, state.needle),
            "structure": world.name(state.needle.tip_label), "pressure_kpa": round(pressure)}))
    deposits = injection.deposit(state, world, volume, pressure)
    injected = list(state.injected_ml)
    injected[syringe] += volume
    return replace_state(state, deposits=deposits, injected_ml=tuple(injected), injecting=True)


def _close_bolus(state: SimState, out: list) -> SimState:
    if not state.injecting:
        return state
    last = state.deposits[-1]
    out.append(Event(ev.INJECTION_STOPPED, {"syringe": last.syringe,
                                            "volume_ml": round(last.volume_ml, 4),
                                            "compartment": last.compartment,
                                            "peak_pressure_kpa": round(last.peak_pressure_kpa)}))
    return replace_state(state, injecting=False)


def _fluoro(world: World, state: SimState, action: Action, dt: float, out: list) -> SimState:
    c, dose, spec = state.carm, state.dose, world.scenario.carm
    allowed = dose.fluoro_time_s < world.scenario.limits.fluoro_time_s
    wants = action.beam_on or action.shot
    if wants and not allowed:
        if c.beam_on or action.shot:
            out.append(Event(ev.FLUORO_REFUSED, {"reason": "fluoroscopy time limit reached"}))
        return replace_state(state, carm=replace(c, beam_on=False)) if c.beam_on else state
    if not (action.beam_on or c.beam_on or action.shot):
        return state
    thickness = carm_model.patient_thickness_mm(world, carm_model.geometry(world, c, spec))
    if action.beam_on:
        if not c.beam_on:
            out.append(Event(ev.FLUORO_ON, {"thickness_mm": round(thickness, 1)}))
        # pulses fire at 0, 1/rate, 2/rate ... after the pedal goes down, so even a one-tick
        # tap exposes one frame
        clock = c.pulse_clock_s if c.beam_on else 0.0
        before = clock * spec.pulse_rate_hz
        pulses = math.ceil(before + dt * spec.pulse_rate_hz - 1e-9) - math.ceil(before - 1e-9)
        dose = replace(dose, fluoro_time_s=dose.fluoro_time_s + dt, frames=dose.frames + pulses)
        if pulses:
            dose, _, _ = carm_model.expose(dose, spec, c, thickness, pulses, state.tick)
        c = replace(c, beam_on=True, pulse_clock_s=clock + dt)
    elif c.beam_on:
        out.append(Event(ev.FLUORO_OFF, {"fluoro_time_s": round(dose.fluoro_time_s, 3),
                                         "kerma_mgy": round(dose.kerma_mgy, 4),
                                         "kap_ugym2": round(dose.kap_ugym2, 4)}))
        c = replace(c, beam_on=False)
    if action.shot:
        dose = replace(dose, frames=dose.frames + 1, spots=dose.spots + 1)
        dose, kerma, kap = carm_model.expose(dose, spec, c, thickness, carm_model.SPOT_PULSES,
                                             state.tick)
        out.append(Event(ev.FLUORO_SHOT, {"kerma_mgy": round(kerma, 4),
                                          "kap_ugym2": round(kap, 4)}))
    return replace_state(state, carm=c, dose=dose)
