"""Perceiving trainees who make the published learners' errors (``simulators.md``,
``clinical.md`` s.5: Sites et al. 2007's 520 videotaped blocks).

Like the perceiving expert they see only the image, their own probe / C-arm and needle
poses and what the hand feels; unlike it they make the errors the literature records, each
drawn from the seed so every seed is a different attempt (the patient varies with the seed
too: see :mod:`simulator.anatomy.patient`):

- **advancing without seeing the tip** (the commonest novice error): a novice looks at the
  image only every ``look_every_mm`` and not at all for the first part of a pass;
- **unintentional probe movement**: the probe slips sideways during the pass and the needle
  leaves the image before anyone notices;
- **a wrong or rough view**: coarser scanning steps, no fine refinement;
- **poor insertion angle**: too steep a path (the tip's echo fades) aimed off the line;
- **skipped checks**: aspiration, the time-out, the cover and the local anaesthetic are now
  and then forgotten, the prep is centred by eye;
- fluoroscopy: no search for the clearest view, a needle a few degrees off the beam, no
  oblique for depth (advancing until bone or the feel of the joint), generous screening.

``*Intermediate`` makes the milder forms of these errors and corrects them sooner.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from simulator.geometry import rotate, unit
from simulator.policies.perceiving import PerceivingExpert, Seen
from simulator.policies.perceiving_fluoro import (
    CONFIRM_SHORT_MM,
    FIRST_ADVANCE_MM,
    PerceivingFluoroExpert,
)
from simulator.policies.planner import Plan
from simulator.scenario import Step
from simulator.state import Action


def _bent(plan: Plan, in_plane_rad: float, out_of_plane_rad: float, elevation) -> Plan:
    """``plan`` aimed off its line by these angles (in the scan plane / across it)."""
    side = unit(np.cross(elevation, plan.direction))
    d = unit(np.cos(in_plane_rad) * plan.direction + np.sin(in_plane_rad) * side)
    d = unit(rotate(d, side, out_of_plane_rad))
    return replace(plan, direction=d)


def _sloppy_acts(policy, entry_mm, pause_s: float, *, forget: float):
    """Prep centred by eye, cover, time-out and local anaesthetic, each forgotten with a
    chance scaled by ``forget`` (1 = novice)."""
    rng = policy.rng
    prep = None if rng.random() < 0.15 * forget else rng.normal(0.0, 12.0 * forget, 3)
    yield from policy.prepare(entry_mm, pause_s, prep_offset_mm=prep,
                              cover=rng.random() >= 0.1 * forget,
                              time_out=rng.random() >= 0.35 * forget)
    if rng.random() >= 0.3 * forget:
        yield from policy.mark(Step.imaging_setup, rng.uniform(2.0, 5.0))
    if rng.random() >= 0.5 * forget:
        yield Action(local_anaesthetic=True)
        yield from policy.wait(rng.uniform(2.0, 4.0))


class PerceivingIntermediate(PerceivingExpert):
    """Slower, a coarser scan, one redirection after a first pass aimed off the line, and an
    unintended probe slip that loses the needle from the image for a stretch of advance."""

    speed_mm_s = (1.5, 2.5)
    pause_scale = 1.8
    rotation_step_deg = 20.0
    across_step_mm = 5.0

    def needle_pass(self, plan: Plan, seen: Seen):
        rng = self.rng
        off = math.radians(rng.uniform(5.0, 8.0)) * rng.choice((-1.0, 1.0))
        elevation = seen.frame.world_from_probe[:3, 1]
        first = _bent(plan, off, 0.0, elevation)
        yield from self.pivot_to(first.direction)
        speed = rng.uniform(*self.speed_mm_s)
        # half way the tip shows off the line to the target (the aim was 5-8 degrees off
        # in the plane): pull back and redirect
        result = yield from self.advance_looking(first, speed, stop_share=0.5)
        if result == "target":
            yield from self.settle()
            return
        back = max(0.0, self.state.needle.depth_mm - 10.0)
        for _ in range(self.ticks(back / 5.0)):
            yield Action(advance_mm_s=-5.0)
        yield from self.pivot_to(unit(plan.target_mm - np.asarray(self.state.needle.entry_mm)))
        yield from self.twist_bevel_to(unit(np.cross(elevation, plan.direction)))
        # an unintended probe slip: the needle leaves the image, unnoticed for a stretch
        slip_mm = rng.uniform(3.0, 5.0) * rng.choice((-1.0, 1.0))
        yield from self.move_probe(across_mm=slip_mm)
        blind_to_mm = self.state.needle.depth_mm + rng.uniform(8.0, 15.0)
        while self.state.needle.depth_mm < blind_to_mm and not self.state.needle.bone_contact:
            yield Action(advance_mm_s=speed)
        if self.label_at(self.look(), self.state.needle.tip_mm) is None:
            yield from self.move_probe(across_mm=-slip_mm)  # noticed: the needle is gone
        result = yield from self.advance_looking(plan, speed)
        if result == "target":
            yield from self.settle()


class PerceivingNovice(PerceivingExpert):
    """A rough view, too steep a path aimed off the line, a probe that slips, advancing
    fast without looking, forgotten checks."""

    speed_mm_s = (5.0, 8.0)
    pause_scale = 2.5
    rotation_step_deg = 30.0
    across_step_mm = 6.0
    look_every_mm = 8.0

    def scan(self):
        """Half a circle and one sweep across, no refinement: the first usable view."""
        step = math.radians(self.rotation_step_deg)
        yield from self.sweep("rotate_rad", step * np.arange(1, int(round(math.pi / step))))
        best = yield from self.sweep("across_mm", np.arange(-12.0, 12.1, self.across_step_mm))
        return best

    def plans(self, seen: Seen) -> list[Plan]:
        """The steepest paths first (the short way in, where the needle's echo fades)."""
        return sorted(super().plans(seen), key=lambda p: -p.angle_to_skin_deg)

    def before_needle(self):
        yield from _sloppy_acts(self, self.state.needle.entry_mm,
                                self.rng.uniform(5.0, 12.0), forget=1.0)

    def needle_pass(self, plan: Plan, seen: Seen):
        rng = self.rng
        elevation = seen.frame.world_from_probe[:3, 1]
        aim = _bent(plan, math.radians(rng.normal(0.0, 6.0)), math.radians(rng.normal(0.0, 3.0)),
                    elevation)
        yield from self.pivot_to(aim.direction)
        speed = rng.uniform(*self.speed_mm_s)
        # the probe slips as the needle goes in, and the first part is advanced blind
        yield from self.move_probe(across_mm=rng.uniform(2.0, 6.0) * rng.choice((-1.0, 1.0)))
        blind_to_mm = rng.uniform(0.4, 0.8) * aim.length_mm
        while self.state.needle.depth_mm < blind_to_mm and not self.state.needle.bone_contact:
            yield Action(advance_mm_s=speed)
        for _ in range(2):  # look, and redirect toward the target seen (twice at most)
            result = yield from self.advance_looking(aim, speed, correct=False,
                                                     every_mm=self.look_every_mm)
            if result in ("target", "bone"):
                break
            back = min(self.state.needle.depth_mm - 8.0, rng.uniform(10.0, 20.0))
            for _ in range(self.ticks(max(back, 0.0) / 10.0)):
                yield Action(advance_mm_s=-10.0)
            toward = unit(plan.target_mm - np.asarray(self.state.needle.entry_mm))
            aim = replace(_bent(replace(plan, direction=toward), math.radians(rng.normal(0, 3)),
                                0.0, elevation),
                          entry_mm=np.asarray(self.state.needle.entry_mm))
            yield from self.pivot_to(aim.direction)

    def deliver(self):
        rng = self.rng
        yield from self.wait(rng.uniform(0.5, 2.0))
        if rng.random() < 0.6:
            yield Action(aspirate=True)
            yield from self.wait(1.0)
        yield from self.inject(0, self.world.scenario.syringes[0].volume_ml, 1.0)
        yield from self.leave_carelessly()


class PerceivingFluoroIntermediate(PerceivingFluoroExpert):
    """A slower hand, more images while finding the view and checking, a needle a little
    off the beam that one check image shows and a redirection corrects."""

    speed_mm_s = (1.5, 2.5)
    pause_scale = 1.8

    def shoot(self, live: bool = False):
        seen = yield from super().shoot(live)
        if self.rng.random() < 0.5:  # a second image to be sure
            seen = yield from super().shoot()
        return seen

    def needle_pass(self, speed_mm_s: float):
        rng = self.rng
        line = self.line()
        axis = unit(np.cross(line.direction, rng.normal(size=3)))
        off = rotate(line.direction, axis, math.radians(rng.uniform(3.0, 6.0)))
        yield from self.pivot_to(off)
        yield from self.shoot()
        yield from self.advance_to(replace(line, direction=off), 10.0, speed_mm_s)
        yield from self.shoot()                      # the hub no longer a dot: redirect
        for _ in range(self.ticks(1.5)):
            yield Action(advance_mm_s=-5.0)
        yield from self.pivot_to(line.direction)
        yield from super().needle_pass(speed_mm_s)


class PerceivingFluoroNovice(PerceivingFluoroExpert):
    """No search for the view, the target's middle aimed at whatever lies over it, a needle
    off the beam, long screening, no oblique for depth: on until bone or a guess."""

    speed_mm_s = (4.0, 7.0)
    pause_scale = 2.5
    field_mm = None             # never collimates

    def find_view(self, seen):
        """The starting view; the target's middle, dangers or not."""
        rows, cols = np.nonzero(seen.shows(self.target))
        if not len(rows):
            return seen, None
        yield from self.wait(self.rng.uniform(2.0, 5.0), Action(beam_on=True))
        return seen, (np.array([cols.mean(), rows.mean()]), 0.0)

    def before_needle(self):
        yield from _sloppy_acts(self, self.state.needle.entry_mm,
                                self.rng.uniform(5.0, 12.0), forget=1.0)

    def needle_pass(self, speed_mm_s: float):
        rng = self.rng
        line = self.line()
        axis = unit(np.cross(line.direction, rng.normal(size=3)))
        aim = replace(line, direction=rotate(line.direction, axis,
                                             math.radians(abs(rng.normal(0.0, 5.0)))))
        yield from self.pivot_to(aim.direction)
        guess_mm = rng.uniform(0.55, 0.85) * line.length_mm
        depth = FIRST_ADVANCE_MM
        while depth < guess_mm:  # screening every 5 mm
            depth += 5.0
            yield from self.wait(1.5, Action(beam_on=True))
            if (yield from self.advance_to(aim, depth, speed_mm_s)) == "bone":
                return
        if rng.random() < 0.3:  # sometimes an oblique after all
            yield from self.turn(orbital_rad=self.depth_turn_rad())
            seen = yield from self.shoot()
            target = self.depth_in_target(seen, aim, 0.0)
            if target is not None:
                if target < self.state.needle.depth_mm:
                    for _ in range(self.ticks((self.state.needle.depth_mm - target) / 5.0)):
                        yield Action(advance_mm_s=-5.0)
                else:
                    yield from self.advance_to(aim, target - CONFIRM_SHORT_MM + 2.0, 2.0)

    def deliver(self):
        rng = self.rng
        sc = self.world.scenario
        if rng.random() < 0.6:
            yield Action(aspirate=True)
            yield from self.wait(1.0)
        for k, s in enumerate(sc.syringes):
            yield from self.inject(k, s.volume_ml, 1.0, beam=s.contents == "contrast")
        yield from self.leave_carelessly()

