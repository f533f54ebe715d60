"""The novice: noisy aim, a misaligned probe, faster blind advances, redirections after
bone contact, forgotten checks, and generous fluoroscopy. All draws come from its seed."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from simulator.geometry import rotate, unit
from simulator.policies.planner import Plan, in_plane_probe, plan_path
from simulator.policies.script import ScriptPolicy
from simulator.scenario import Step
from simulator.state import Action

MAX_PASSES = 3


class NovicePolicy(ScriptPolicy):
    def script(self):
        w, rng = self.world, self.rng
        yield from self.wait(rng.uniform(3.0, 8.0))
        yield from self.mark(Step.patient_positioning, rng.uniform(5.0, 12.0))
        fluoro = w.scenario.uses_fluoroscopy and not w.scenario.uses_ultrasound
        if fluoro:
            yield Action(shot=True)
            yield from self.wait(rng.uniform(3.0, 6.0))
            yield Action(shot=True)
            from simulator.carm import geometry

            beam = geometry(w, self.state.carm, w.scenario.carm).beam
            plan = plan_path(w, along=-beam, max_off_axis_deg=25.0,
                             angle_to_skin_deg=(50.0, 90.0))
        else:
            plan = plan_path(w, angle_to_skin_deg=(25.0, 60.0))
        if plan is None:
            yield Action(end=True)
            return
        aim = self._noisy(plan, entry_sd_mm=5.0, angle_sd_deg=6.0)
        # the prep is centred by eye (sometimes forgotten), the cover now and then forgotten,
        # and the time-out skipped about a third of the time
        prep = None if rng.random() < 0.15 else rng.normal(0.0, 15.0, 3)
        yield from self.prepare(plan.entry_mm, rng.uniform(5.0, 12.0), prep_offset_mm=prep,
                                cover=rng.random() >= 0.1, time_out=rng.random() >= 0.35)
        if not fluoro:
            contact, normal, rotation, tilt = in_plane_probe(w, plan)
            yield from self.wait(rng.uniform(15.0, 30.0))  # long search for the plane
            tilt += math.radians(rng.normal(0.0, 5.0))
            contact = contact + rng.normal(0.0, 2.0, 3)
            yield Action(place_probe=(tuple(contact), tuple(normal), rotation, tilt))
            if rng.random() < 0.7:
                yield from self.mark(Step.imaging_setup, rng.uniform(2.0, 5.0))
        else:
            yield from self.mark(Step.imaging_setup, rng.uniform(2.0, 5.0))
        yield from self.place(aim)
        for attempt in range(MAX_PASSES):
            speed = rng.uniform(5.0, 8.0)
            result = yield from self.advance_along(
                aim, speed, correct=False, stop_short_mm=-4.0,
                beam_every_mm=5.0 if fluoro else 0.0, beam_s=1.5 if fluoro else 0.0)
            n = self.state.needle
            close = np.linalg.norm(np.asarray(n.tip_mm) - w.target_point) < 4.0
            if result == "target" or close or attempt == MAX_PASSES - 1:
                break
            # missed: pull back and re-aim toward the target, with a new error
            back = min(n.depth_mm - 8.0, rng.uniform(10.0, 20.0))
            for _ in range(self.ticks(back / 10.0)):
                yield Action(advance_mm_s=-10.0, beam_on=fluoro)
            aim = self._reaim(aim)
            yield from self.pivot_to(aim.direction)
        yield from self.wait(rng.uniform(0.5, 2.0))
        if rng.random() < 0.6:
            yield Action(aspirate=True)
            yield from self.wait(1.0)
        for k, syringe in enumerate(w.scenario.syringes):
            yield from self.inject(k, syringe.volume_ml, 1.0, beam=fluoro and
                                   syringe.contents == "contrast")
        yield from self.leave_carelessly()

    def _noisy(self, plan: Plan, entry_sd_mm: float, angle_sd_deg: float) -> Plan:
        rng = self.rng
        axis = unit(np.cross(plan.direction, rng.normal(size=3)))
        direction = rotate(plan.direction, axis, math.radians(rng.normal(0.0, angle_sd_deg)))
        shift = rng.normal(0.0, entry_sd_mm, 3)
        shift -= (shift @ plan.entry_normal) * plan.entry_normal
        return replace(plan, entry_mm=plan.entry_mm + shift, direction=unit(direction))

    def _reaim(self, aim: Plan) -> Plan:
        n = self.state.needle
        toward = unit(aim.target_mm - np.asarray(n.entry_mm))
        axis = unit(np.cross(toward, self.rng.normal(size=3)))
        direction = rotate(toward, axis, math.radians(self.rng.normal(0.0, 3.0)))
        return replace(aim, entry_mm=np.asarray(n.entry_mm), direction=unit(direction),
                       length_mm=float(np.linalg.norm(aim.target_mm - np.asarray(n.entry_mm))))
