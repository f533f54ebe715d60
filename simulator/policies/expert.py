"""The expert: plans a safe path, aligns the imaging, advances with the tip in view,
aspirates, injects where the tip is in the joint, and minimises fluoroscopy."""

from __future__ import annotations

import math

import numpy as np

from simulator.geometry import unit
from simulator.policies.planner import carm_angles_for, in_plane_view, plan_path
from simulator.policies.script import ScriptPolicy
from simulator.probe import probe_axes
from simulator.scenario import Step
from simulator.state import Action

FLUORO_OFF_AXIS_DEG = 20.0


class ExpertPolicy(ScriptPolicy):
    """Deterministic given its seed; the seed only varies its pauses and pace."""

    def script(self):
        w, rng = self.world, self.rng
        yield from self.wait(rng.uniform(1.0, 3.0))
        yield from self.mark(Step.patient_positioning, rng.uniform(3.0, 6.0))
        if w.scenario.uses_fluoroscopy and not w.scenario.uses_ultrasound:
            yield from self.fluoroscopy()
        else:
            yield from self.ultrasound()

    def finish(self):
        yield from self.wait(1.5)
        yield Action(withdraw=True)
        yield from self.wait(self.rng.uniform(2.0, 4.0))
        yield from self.mark(Step.completion, 1.0)
        yield Action(end=True)

    def _settle_on_target(self):
        """From the target's edge, go on to bone contact while still inside the target."""
        for _ in range(self.ticks(3.0)):
            n = self.state.needle
            if n.bone_contact or n.tip_label != self.world.target_label:
                return
            yield Action(advance_mm_s=1.0)

    # -- ultrasound -------------------------------------------------------------------------
    def ultrasound(self):
        w, rng = self.world, self.rng
        plan = plan_path(w, angle_to_skin_deg=(25.0, 50.0))
        if plan is None:
            yield Action(end=True)
            return
        view = in_plane_view(w, plan)
        if view is None:
            yield Action(end=True)
            return
        yield from self.wait(rng.uniform(4.0, 8.0))  # scanning for the femoral head and neck
        yield Action(place_probe=(tuple(view.contact_mm), tuple(view.normal),
                                  view.rotation_rad, view.tilt_rad))
        # heel-to-toe toward the needle: the beam meets the shaft more squarely
        yield from self.rock_probe_to(view.rock_rad)
        yield Action(probe_settings=(("depth_mm", view.image_depth_mm),
                                     ("focus_mm", view.target_depth_mm)))
        yield from self.wait(rng.uniform(5.0, 9.0))  # optimising gain and depth
        yield from self.prepare(plan.entry_mm, rng.uniform(3.0, 6.0))
        yield from self.mark(Step.imaging_setup, 2.0)
        yield from self.place(plan)
        yield Action(local_anaesthetic=True)
        yield from self.wait(rng.uniform(3.0, 5.0))
        # keep the bevel drift inside the image plane, where it stays visible
        long_axis, elevation, beam = probe_axes(w, self.state.probe)
        yield from self.twist_bevel_to(unit(np.cross(elevation, plan.direction)))
        result = yield from self.advance_along(plan, rng.uniform(2.5, 4.0))
        if result == "target":
            yield from self._settle_on_target()
        yield from self.wait(1.0)
        yield Action(aspirate=True)
        yield from self.wait(2.0)
        volume = w.scenario.syringes[0].volume_ml
        yield from self.inject(0, volume, 0.5)
        yield from self.finish()

    # -- fluoroscopy ------------------------------------------------------------------------
    def fluoroscopy(self):
        w, rng = self.world, self.rng
        from simulator.carm import geometry

        yield from self.wait(1.0, Action(beam_on=True))  # localise the joint, then collimate
        yield from self.wait(rng.uniform(2.0, 4.0))
        beam = geometry(w, self.state.carm, w.scenario.carm).beam
        plan = plan_path(w, along=-beam, max_off_axis_deg=FLUORO_OFF_AXIS_DEG,
                         angle_to_skin_deg=(55.0, 90.0))
        if plan is None:
            yield Action(end=True)
            return
        yield from self.align_carm(plan.direction)
        yield Action(carm_settings=(("field_mm", 120.0),))
        yield from self.prepare(plan.entry_mm, rng.uniform(3.0, 6.0))
        yield from self.mark(Step.imaging_setup, 1.0)
        yield from self.place(plan)
        yield Action(local_anaesthetic=True)
        yield from self.wait(rng.uniform(3.0, 5.0))
        yield Action(shot=True)  # bull's-eye check: the hub over the target
        yield from self.wait(2.0)
        result = yield from self.advance_along(plan, rng.uniform(2.5, 4.0),
                                               beam_every_mm=15.0, beam_s=1.0)
        if result == "target":
            yield from self._settle_on_target()
        yield Action(shot=True)
        yield from self.wait(1.0)
        yield Action(aspirate=True)
        yield from self.wait(2.0)
        contrast = [n for n, s in enumerate(w.scenario.syringes) if s.contents == "contrast"]
        if contrast:  # confirm with contrast under live fluoroscopy
            yield from self.inject(contrast[0], min(2.0, w.scenario.syringes[contrast[0]]
                                                    .volume_ml), 0.5, beam=True)
            yield from self.wait(1.0)
        therapeutic = [n for n, s in enumerate(w.scenario.syringes)
                       if s.contents != "contrast"]
        if therapeutic:
            k = therapeutic[0]
            yield from self.inject(k, w.scenario.syringes[k].volume_ml, 0.5)
        yield from self.finish()

    def align_carm(self, direction):
        orbital, cranial = carm_angles_for(self.world, direction)
        for _ in range(self.ticks(10.0)):
            c = self.state.carm
            d_orb, d_cra = orbital - c.orbital_rad, cranial - c.cranial_rad
            if abs(d_orb) < math.radians(0.2) and abs(d_cra) < math.radians(0.2):
                return
            rate = (float(np.clip(d_orb / self.world.dt_s, -0.3, 0.3)),
                    float(np.clip(d_cra / self.world.dt_s, -0.3, 0.3)))
            yield Action(carm_rotate_rad_s=rate)

