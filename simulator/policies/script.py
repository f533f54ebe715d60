"""Scripted trainees written as generators: ``yield`` an action per tick, read ``self.state``.

Shared moves (waiting, marking steps, guided advancing, aspirating, injecting, imaging)
live here; the expert and novice differ in their plans, pace and mistakes.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.geometry import perpendicular_basis, vec, wrap_angle
from simulator.needle import bevel_direction
from simulator.policies.planner import Plan
from simulator.procedure import requested_side
from simulator.scenario import Step
from simulator.state import NOOP, Action, SimState
from simulator.world import World


class ScriptPolicy:
    """Base: subclasses implement ``script()`` as a generator of actions."""

    def __init__(self, world: World, seed: int):
        self.world = world
        self.rng = np.random.default_rng(seed)
        self.state: SimState | None = None
        self._gen = None

    def __call__(self, world: World, state: SimState) -> Action:
        self.state = state
        if self._gen is None:
            self._gen = self.script()
        try:
            return next(self._gen)
        except StopIteration:
            return Action(end=True)

    def script(self):  # pragma: no cover - overridden
        yield Action(end=True)

    # -- building blocks --------------------------------------------------------------------
    def ticks(self, seconds: float) -> int:
        return max(1, int(round(seconds / self.world.dt_s)))

    def wait(self, seconds: float, action: Action = NOOP):
        for _ in range(self.ticks(seconds)):
            yield action

    def mark(self, step: Step, pause_s: float):
        yield Action(mark=step.value)
        yield from self.wait(pause_s)

    def leave_carelessly(self):
        """How the novice trainees end: needle out, a pause, and the completion step
        (dressing) marked only 70 % of the time."""
        yield from self.wait(1.0)
        yield Action(withdraw=True)
        yield from self.wait(self.rng.uniform(2.0, 5.0))
        if self.rng.random() < 0.7:
            yield from self.mark(Step.completion, 1.0)
        yield Action(end=True)

    def prepare(self, entry_mm, pause_s: float, *, prep_offset_mm=(0.0, 0.0, 0.0),
                cover: bool = True, time_out: bool = True):
        """The acts before the needle: antiseptic prep around the planned entry (shifted by
        ``prep_offset_mm``), the sterile probe cover (ultrasound) and the time-out, which
        states the requested side and reports an allergy to anything on the tray."""
        sc = self.world.scenario
        if prep_offset_mm is not None:
            yield Action(prep_skin=vec(np.asarray(entry_mm) + np.asarray(prep_offset_mm)))
            yield from self.wait(pause_s)
        if cover and sc.uses_ultrasound:
            yield Action(cover_probe=True)
            yield from self.wait(pause_s)
        if time_out:
            allergy = bool(sc.site_check.allergens(sc.syringes))
            yield Action(time_out=(requested_side(self.world), allergy))
            yield from self.wait(pause_s)

    def twist_bevel_to(self, direction_wanted):
        """Rotate the needle until its bevel (drift) points along ``direction_wanted``."""
        for _ in range(self.ticks(3.0)):
            n = self.state.needle
            a, b = perpendicular_basis(n.direction)
            wanted = math.atan2(float(np.dot(direction_wanted, b)),
                                float(np.dot(direction_wanted, a)))
            diff = wrap_angle(wanted - n.bevel_rad)
            if abs(diff) < math.radians(2.0):
                return
            yield Action(twist_rad_s=float(np.clip(diff / self.world.dt_s, -6.0, 6.0)))

    def rock_probe_to(self, rock_rad: float):
        """Rock the probe heel-to-toe until its rock angle is ``rock_rad``."""
        for _ in range(self.ticks(3.0)):
            diff = rock_rad - self.state.probe.rock_rad
            if abs(diff) < math.radians(0.2):
                return
            yield Action(probe_rock_rad_s=diff / self.world.dt_s)

    def pivot_to(self, direction, rate_rad_s: float = 0.25):
        """Lever the inserted needle round to a new ``direction`` (sweeping tissue)."""
        for _ in range(self.ticks(4.0)):
            d = np.asarray(self.state.needle.direction)
            a, b = perpendicular_basis(d)
            err = np.asarray(direction) - d
            yaw, pitch = float(err @ a), float(err @ b)
            if math.hypot(yaw, pitch) < math.radians(0.5):
                return
            yield Action(steer_rad_s=(float(np.clip(yaw / self.world.dt_s, -rate_rad_s,
                                                    rate_rad_s)),
                                      float(np.clip(pitch / self.world.dt_s, -rate_rad_s,
                                                    rate_rad_s))))

    def advance_along(self, plan: Plan, speed_mm_s: float, *, stop_short_mm: float = 0.0,
                      correct: bool = True, beam_every_mm: float = 0.0, beam_s: float = 0.0):
        """Advance toward the plan's target; flip the bevel to stay on the line.

        Stops at bone contact, on reaching the target structure, or at the planned depth.
        With ``beam_every_mm`` it takes a short fluoroscopy run every so many millimetres.
        """
        next_check = beam_every_mm
        while True:
            n = self.state.needle
            if n.bone_contact:
                return "bone"
            if n.in_skin and n.tip_label == self.world.target_label:
                return "target"
            if n.depth_mm >= plan.length_mm + 2.0 - stop_short_mm:
                return "depth"
            flip = False
            if correct and n.in_skin and n.depth_mm > 3.0:
                off = plan.offset_from_line(n.tip_mm)
                drift = bevel_direction(n)
                flip = float(off @ drift) > 0.3
            if beam_every_mm and n.depth_mm >= next_check:
                next_check += beam_every_mm
                yield from self.wait(beam_s, Action(beam_on=True))
            yield Action(advance_mm_s=speed_mm_s, flip_bevel=flip)

    def inject(self, syringe: int, volume_ml: float, rate_ml_s: float, *, beam: bool = False):
        if self.state.syringe != syringe:
            yield Action(select_syringe=syringe)
        for _ in range(int(math.ceil(volume_ml / (rate_ml_s * self.world.dt_s)))):
            yield Action(inject_ml_s=rate_ml_s, beam_on=beam)
        yield Action()

    def place(self, plan: Plan):
        yield Action(place_needle=(vec(plan.entry_mm), vec(plan.direction)))
