"""The interactive trainee: a policy that reads the controls and returns ``Action``s.

It is the app's counterpart of the scripted policies: everything it does goes through
``Session.step``. Continuous controls become rates held for every tick of a frame; pressed
commands become one-shot fields of the frame's first tick only.

Aiming is relative to the image on screen: "tip up" moves the tip toward the top of the
image (ultrasound: toward the probe; fluoroscopy: up on the detector), "left / right" moves
it out of the ultrasound plane, or sideways on the fluoroscopy image.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from simulator import carm as carm_model
from simulator.app.doppler_keys import DOPPLER_COMMANDS, doppler_settings, pressure_setting
from simulator.geometry import perpendicular_basis, unit, vec, wrap_angle
from simulator.probe import probe_axes
from simulator.procedure import MANUAL_STEPS, completed_steps, working_side
from simulator.scenario import Step
from simulator.state import NOOP, Action, SimState
from simulator.step import slide_entry
from simulator.transducer import PRESETS
from simulator.world import World

STEP_COMMANDS = {
    "step_positioning": Step.patient_positioning, "step_skin_prep": Step.skin_prep,
    "step_time_out": Step.time_out, "step_imaging": Step.imaging_setup,
    "step_completion": Step.completion,
}
STEP_LABELS = {
    Step.patient_positioning: "Patient positioned",
    Step.skin_prep: "Skin prep and drape",
    Step.time_out: "Time-out / site check",
    Step.imaging_setup: "Imaging set up",
    Step.needle_placement: "Needle placement",
    Step.aspiration: "Aspiration",
    Step.injection: "Injection",
    Step.completion: "Needle out, dressing",
}
DEPTH_STEP_MM = 5.0
GAIN_STEP_DB = 2.0
FREQUENCY_STEP_MHZ = 0.5
FIELD_STEP_MM = 20.0
PLACE_BEYOND_PROBE_MM = 10.0   # needle entry this far past the probe's end (clinical.md 1.1)


def rad(deg_s: float) -> float:
    return math.radians(deg_s)


class Trainee:
    """Turns controls into actions; knows which tool (probe / C-arm) the sticks move."""

    def __init__(self, world: World, controls, imaging_check=None):
        self.world = world
        # learning mode: imaging_check(state) -> why "imaging set up" is refused, or None
        self.imaging_check = imaging_check
        self.controls = controls
        sc = world.scenario
        self.tool = "probe" if sc.uses_ultrasound else "carm"
        self.view = "ultrasound" if sc.uses_ultrasound else "fluoroscopy"
        self._pending: dict = {}
        self._end_next = False
        self._bevel_goal = None  # turn the bevel toward this (after "place needle")
        self.prompt: str | None = None   # feedback for the HUD about a refused command

    # -- commands ---------------------------------------------------------------------------
    def command(self, name: str, state: SimState) -> bool:
        """Act on a pressed simulator command; False if it is not one of ours."""
        sc, p = self.world.scenario, self._pending
        if name == "aspirate":
            p["aspirate"] = True
        elif name == "withdraw":
            p["withdraw"] = True
        elif name == "flip_bevel":
            p["flip_bevel"] = True
        elif name == "shot":
            if sc.uses_fluoroscopy:
                p["shot"] = True
                self.view = "fluoroscopy"
        elif name == "place_needle":
            placed = self.place_needle(state)
            if placed is None:
                self.prompt = "The needle is already in: withdraw it first"
            else:
                p["place_needle"] = placed
                self._bevel_goal = self._bevel_in_plane(state, placed[1])
        elif name == "next_syringe":
            p["select_syringe"] = (state.syringe + 1) % len(sc.syringes)
        elif name in ("depth_up", "depth_down", "gain_up", "gain_down", "frequency_up",
                      "frequency_down"):
            if state.probe is not None:
                self._probe_setting(name, state)
        elif name in DOPPLER_COMMANDS:
            if state.probe is not None:
                p["probe_settings"] = (*p.get("probe_settings", ()),
                                       *doppler_settings(name, state.probe))
        elif name in ("collimate_in", "collimate_out", "low_dose"):
            if state.carm is not None:
                c = state.carm
                if name == "low_dose":
                    setting = ("low_dose", 0.0 if c.low_dose else 1.0)
                else:
                    step = -FIELD_STEP_MM if name == "collimate_in" else FIELD_STEP_MM
                    setting = ("field_mm", c.field_mm + step)
                p["carm_settings"] = (*p.get("carm_settings", ()), setting)
        elif name == "switch_tool":
            if sc.modality == "both":
                self.tool = "carm" if self.tool == "probe" else "probe"
                self.view = "ultrasound" if self.tool == "probe" else "fluoroscopy"
        elif name == "switch_view":
            if sc.modality == "both":
                self.view = "fluoroscopy" if self.view == "ultrasound" else "ultrasound"
        elif name == "next_step":
            step = self.next_step(state)
            if step is None:
                self.prompt = "Nothing to confirm now: carry on with the needle"
            else:
                self._mark(step, state)
        elif name in STEP_COMMANDS:
            self._mark(STEP_COMMANDS[name], state)
        elif name == "time_out_allergy":
            p["time_out"] = (working_side(self.world, state), True)
        elif name == "cover_probe":
            if sc.uses_ultrasound:
                p["cover_probe"] = True
            else:
                self.prompt = "No probe in this case: nothing to cover"
        elif name == "local_anaesthetic":
            p["local_anaesthetic"] = True
        elif name == "switch_side":
            here = working_side(self.world, state)
            p["choose_side"] = "left" if here == "right" else "right"
        elif name == "end_attempt":
            p["end"] = True
        else:
            return False
        return True

    def _mark(self, step: Step, state: SimState) -> None:
        """Carry out a checklist step: skin prep and time-out are acts, the rest marks."""
        if step is Step.skin_prep:
            point = self.prep_point(state)
            if point is None:
                self.prompt = "Nowhere to prep: put the probe or the C-arm over the site first"
            else:
                self._pending["prep_skin"] = point
            return
        if step is Step.time_out:
            self._pending["time_out"] = (working_side(self.world, state), False)
            return
        if step is Step.imaging_setup and self.imaging_check is not None:
            refused = self.imaging_check(state)
            if refused:
                self.prompt = refused
                return
        self._pending["mark"] = step.value
        if step is Step.completion:
            if state.needle.in_skin:
                self._pending["withdraw"] = True  # needle out, then the dressing
            self._end_next = True

    def _probe_setting(self, name: str, state: SimState) -> None:
        pr = state.probe
        kind, direction = name.rsplit("_", 1)
        sign = 1.0 if direction == "up" else -1.0
        if kind == "depth":  # "up" makes the image shallower
            setting = ("depth_mm", pr.depth_mm - sign * DEPTH_STEP_MM)
        elif kind == "gain":
            setting = ("gain_db", pr.gain_db + sign * GAIN_STEP_DB)
        else:
            setting = ("frequency_mhz", pr.frequency_mhz + sign * FREQUENCY_STEP_MHZ)
        if kind == "depth":  # keep the focus at the same share of the depth
            share = pr.focus_mm / pr.depth_mm
            p = self._pending
            p["probe_settings"] = (*p.get("probe_settings", ()), setting,
                                   ("focus_mm", share * setting[1]))
            return
        self._pending["probe_settings"] = (*self._pending.get("probe_settings", ()), setting)

    def next_step(self, state: SimState) -> Step | None:
        """The manual checklist step the trainee would confirm next, if any."""
        done = completed_steps(state)
        for step in self.world.scenario.procedure.steps:
            if step in MANUAL_STEPS and step.value not in done:
                if step is Step.completion and Step.needle_placement.value not in done:
                    return None
                return step
        return None

    def prep_point(self, state: SimState):
        """Skin point to prep around: the needle's entry if it rests on the skin, else where
        the needle key would put it (beside the probe, or under the beam centre)."""
        if state.needle.entry_mm is not None:
            return state.needle.entry_mm
        placed = self.place_needle(state)
        if placed is None:
            return None
        point, direction = np.asarray(placed[0]), np.asarray(placed[1])
        hit = self.world.skin_along(point - direction * 150.0, direction, 300.0)
        return vec(hit.point) if hit is not None else None

    # -- the needle convenience key ---------------------------------------------------------
    def place_needle(self, state: SimState):
        """``(point, direction)`` for ``Action.place_needle``: beside the probe's end, aimed
        in plane under the image centre; without a probe, on the beam centre along the beam.
        ``None`` while the needle is in the skin."""
        if state.needle.in_skin:
            return None
        w = self.world
        if state.probe is not None and self.tool == "probe":
            pr = state.probe
            long_axis, _, beam = probe_axes(w, pr)
            half = PRESETS[w.scenario.probe.preset].aperture_mm / 2.0
            contact = np.asarray(pr.contact_mm)
            entry = contact - long_axis * (half + PLACE_BEYOND_PROBE_MM)
            aim = contact + beam * (0.5 * pr.depth_mm)
            return vec(entry), vec(unit(aim - entry))
        if state.carm is not None:
            g = carm_model.geometry(w, state.carm, w.scenario.carm)
            return vec(state.carm.isocentre_mm), vec(-g.beam)
        return None

    def _bevel_in_plane(self, state: SimState, direction):
        """The bevel a clinician sets for an in-plane approach: its drift toward the probe,
        inside the image plane, so the bending needle stays in view (ultrasound only)."""
        if state.probe is None or self.tool != "probe":
            return None
        _, _, beam = probe_axes(self.world, state.probe)
        d = np.asarray(direction, float)
        up = -np.asarray(beam) - (-np.asarray(beam) @ d) * d
        return unit(up) if np.linalg.norm(up) > 1e-3 else None

    def _bevel_twist(self, state: SimState, ticks: int) -> float:
        """Twist rate that brings the bevel to ``_bevel_goal`` (0 when there)."""
        goal, n = self._bevel_goal, state.needle
        if goal is None or n.entry_mm is None:
            return 0.0
        a, b = perpendicular_basis(n.direction)
        wanted = math.atan2(float(goal @ b), float(goal @ a))
        diff = wrap_angle(wanted - n.bevel_rad)
        if abs(diff) < math.radians(2.0):
            self._bevel_goal = None
            return 0.0
        return float(np.clip(diff / (max(ticks, 1) * self.world.dt_s), -6.0, 6.0))

    # -- continuous -------------------------------------------------------------------------
    def actions(self, state: SimState, ticks: int) -> list[Action]:
        """The actions for the ``ticks`` ticks of this frame (one-shot fields in the first)."""
        if ticks <= 0:
            return []
        held = self._held_action(state)
        if self._bevel_goal is not None and "place_needle" not in self._pending:
            if held.twist_rad_s:  # the trainee turns the bevel: theirs to set
                self._bevel_goal = None
            elif twist := self._bevel_twist(state, ticks):
                held = _with(held, {"twist_rad_s": twist})
        first = dict(self._pending)
        self._pending = {}
        if self._end_next and "end" not in first and "mark" not in first:
            first["end"] = True
            self._end_next = False
        out = [_with(held, first) if first else held]
        out += [held] * (ticks - 1)
        return out

    def _held_action(self, state: SimState) -> Action:
        c, b = self.controls, self.controls.bindings
        fine = b.fine_factor if c.held("fine") else 1.0

        def rate(name: str) -> float:
            axis = b.axes.get(name)
            return c.axis(name) * axis.rate * fine if axis else 0.0

        f: dict = {}
        advance = rate("advance") - rate("retract")
        if advance:
            f["advance_mm_s"] = advance
        yaw, pitch = rad(rate("aim_yaw")), rad(rate("aim_pitch"))
        if (yaw or pitch) and state.needle.entry_mm is not None:
            f["steer_rad_s"] = self._steer(state, yaw, pitch)
        twist = rad(rate("twist"))
        if twist:
            f["twist_rad_s"] = twist
        slide = (rate("entry_forward"), rate("entry_sideways"))
        if any(slide) and state.needle.entry_mm is not None and not state.needle.in_skin:
            f["entry_slide_mm_s"] = self._entry_slide(state, *slide)
        inject = max(0.0, c.axis("inject")) * b.axes["inject"].rate if "inject" in b.axes \
            else 0.0
        if inject:
            f["inject_ml_s"] = inject  # the plunger: not slowed by "fine"
        if state.probe is not None and self.tool == "probe":
            s = (rate("probe_along"), rate("probe_across"))
            if any(s):
                f["probe_slide_mm_s"] = s
            if r := rad(rate("probe_rotate")):
                f["probe_rotate_rad_s"] = r
            if t := rad(rate("probe_tilt")):
                f["probe_tilt_rad_s"] = t
            if k := rad(rate("probe_rock")):
                f["probe_rock_rad_s"] = k
            if press := pressure_setting(c.held("press"), state.probe):
                f["probe_settings"] = press
        if state.carm is not None:
            if self.tool == "carm":
                turn = (rad(rate("carm_orbital")), rad(rate("carm_cranial")))
                if any(turn):
                    f["carm_rotate_rad_s"] = turn
                shift = (rate("carm_lateral") * self.world.side_sign, 0.0,
                         rate("carm_superior"))
                if any(shift):
                    f["carm_shift_mm_s"] = shift
            if c.held("fluoro_live"):
                f["beam_on"] = True
                self.view = "fluoroscopy"
        return Action(**f) if f else NOOP

    def _steer(self, state: SimState, yaw: float, pitch: float) -> tuple[float, float]:
        d = np.asarray(state.needle.direction)
        up, side = self._screen_axes(state)
        u_up = up - (up @ d) * d
        if np.linalg.norm(u_up) < 1e-3:  # needle along the view's "up": use its side instead
            u_up = np.cross(side, d)
        u_up = unit(u_up)
        u_side = unit(np.cross(d, u_up)) if side @ np.cross(d, u_up) >= 0 \
            else -unit(np.cross(d, u_up))
        move = pitch * u_up + yaw * u_side
        a, b = perpendicular_basis(d)
        return float(move @ a), float(move @ b)

    def _entry_slide(self, state: SimState, up: float, right: float) -> tuple[float, float]:
        """The entry slide ``(forward, sideways)`` that moves the entry point ``up`` and
        ``right`` as seen in the fluoroscopy image (ultrasound: along and across the needle,
        unchanged). The step slides in the skin's frame of the needle's direction, which
        has no meaning down the beam; its two axes are measured with the step's own slide."""
        if self.view != "fluoroscopy" or state.carm is None:
            return up, right
        screen_up, screen_right = self._screen_axes(state)
        wanted = up * screen_up + right * screen_right
        n, start = state.needle, np.asarray(state.needle.entry_mm)
        axes = np.array([np.asarray(slide_entry(self.world, n, unit_slide, []).entry_mm)
                         - start for unit_slide in ((1.0, 0.0), (0.0, 1.0))])  # (2, 3) mm
        if np.linalg.matrix_rank(axes, tol=0.5) < 2:  # at the edge of the entry zone
            return up, right
        forward, sideways = np.linalg.lstsq(axes.T, wanted, rcond=None)[0]
        scale = math.hypot(up, right) / max(math.hypot(forward, sideways), 1e-9)
        return float(forward * scale), float(sideways * scale)

    def _screen_axes(self, state: SimState) -> tuple[np.ndarray, np.ndarray]:
        """World directions of "up" and "right" for aiming, from the imaging on screen."""
        w = self.world
        if state.probe is not None and (self.view == "ultrasound" or state.carm is None):
            _, elevation, beam = probe_axes(w, state.probe)
            return -np.asarray(beam), np.asarray(elevation)
        if state.carm is not None:
            g = carm_model.geometry(w, state.carm, w.scenario.carm)
            return -np.asarray(g.detector_v), np.asarray(g.detector_u)
        return np.array([0.0, 1.0, 0.0]), np.array([-w.side_sign, 0.0, 0.0])


def _with(action: Action, fields: dict) -> Action:
    return replace(action, **fields)
