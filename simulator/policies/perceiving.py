"""Scripted trainees that perceive only what a person at the scanner perceives.

They never read the 3D anatomy, the label volume or the target's coordinates. What they use:
the per-pixel structure labels of the ultrasound frame on screen (``frame.label``: what an
expert recognises in the image), their own probe and needle poses, what the hand feels (bone
contact) and the HUD (a refused entry). They scan from the scenario's starting probe pose to
the standard view (graded with :func:`simulator.app.guidance.view_quality`), plan an in-plane
path from the image (pixels -> probe-frame mm -> world through the frame's own probe pose),
advance while looking, and correct from what they see. What a frame shows and where a
sweep's view is best: :mod:`~simulator.policies.perceiving_view`; the in-plane paths
planned from a frame: :mod:`~simulator.policies.perceiving_paths`.

``PerceivingExpert`` is the skilled operator (ultrasound scenarios; fluoroscopy in
:mod:`~simulator.policies.perceiving_fluoro`); the intermediate and novice, who make the
published errors, are in :mod:`~simulator.policies.perceiving_learners`.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.app.guidance import view_quality
from simulator.errors import InputError
from simulator.geometry import invert, unit
from simulator.imaging.ultrasound.render import render_ultrasound
from simulator.needle import bevel_direction
from simulator.policies.needle_in_image import (
    IN_PLANE_MM,
    rocked_view_rad,
    sample_indices,
    tip_shows,
)
from simulator.policies.perceiving_paths import in_plane_plans
from simulator.policies.perceiving_view import (
    Seen,
    middle_of_best_run,
    tendons_in,
    window_between_tendons,
)
from simulator.policies.planner import ROCK_STEP_RAD, Plan
from simulator.policies.script import ScriptPolicy
from simulator.probe import MAX_ROCK_RAD, MAX_SLIDE_MM_S, MAX_TURN_RAD_S
from simulator.scenario import Step
from simulator.state import Action

LOOK_SHAPE = (96, 96)       # the policy reads labels, not pixels: keep the image tiny
LOOK_EVERY_MM = 2.0         # how often the operator checks the image while advancing
MAX_REDIRECTS = 2           # corrections of a pass that ends beside the target
REDIRECT_FROM_MM = 10.0     # needle depth pulled back to before a redirection
LOST_FROM_MM = 15.0         # deeper than this a tip not seen on the display is searched for
SEARCH_ACROSS_MM = (1.0, -1.0)  # slides across tried when the tip is lost
# views tried for an approach, (probe turn deg, slide across mm) from the scanned view: slid
# off a vessel in the plane, then turned toward an allowed entry
APPROACH_VIEWS = ((0.0, 0.0), (0.0, 4.0), (0.0, -4.0), (15.0, 0.0), (-15.0, 0.0),
                  (30.0, 0.0), (-30.0, 0.0), (90.0, 0.0), (90.0, 4.0), (90.0, -4.0))
APPROACH_ALONG_MM = 12.0    # each view also tries the target this far off-centre
SETTLE_PAST_EDGE_MM = 4.0   # furthest the tip goes on into a target it has entered


class PerceivingExpert(ScriptPolicy):
    """Finds the view by scanning and plans from the image; deterministic given its seed."""

    speed_mm_s = (2.5, 3.5)
    pause_scale = 1.0
    rotation_step_deg = 15.0
    across_step_mm = 3.0

    def __init__(self, world, seed: int):
        super().__init__(world, seed)
        sc = world.scenario
        if not sc.uses_ultrasound:
            raise InputError(f"the perceiving policies need an ultrasound scenario; "
                             f"{sc.id} uses fluoroscopy", field="--policy")
        self._seed = seed
        self.target_index = world.anatomy.structure(sc.targets[0].structure).index
        marks = sc.standard_view.landmarks if sc.standard_view else ()
        self.landmark_indices = [world.anatomy.structure(m.structure).index for m in marks]
        self.looks = 0

    # -- seeing ---------------------------------------------------------------------------
    def look(self):
        """The frame on screen now (rendered only when the operator looks)."""
        self.looks += 1
        return render_ultrasound(self.world, self.state, seed=self._seed, image_shape=LOOK_SHAPE,
                                 detail="moving")

    def see(self) -> Seen:
        frame = self.look()
        mask = frame.label == self.target_index           # (n_lines, n_samples)
        shown = bool(mask.any())
        marks = sum(float((frame.label == i).any(axis=1).mean()) for i in self.landmark_indices)
        if not shown:
            return Seen(frame, False, 0, marks, 0.0, np.zeros((0, 3)))
        lines, samples = np.nonzero(mask)
        geom = frame.geometry
        points = geom.points(lines, geom.depth_mm[samples])
        share = float(lines.mean() + 0.5) / mask.shape[0]
        met = view_quality(self.world, frame).met       # target shown: reads labels only
        return Seen(frame, True, met, marks, share, points, tendons_in(self.world, frame.label))

    def label_at(self, frame, point_mm) -> int | None:
        """Structure label the image shows at world ``point_mm``; ``None`` when the point is
        outside the image or more than ``IN_PLANE_MM`` from the scan plane."""
        p = invert(frame.world_from_probe) @ np.append(np.asarray(point_mm, float), 1.0)
        if abs(p[1]) > IN_PLANE_MM:
            return None
        i, k, ok = sample_indices(frame.geometry, p[None, :3])
        return int(frame.label[i[0], k[0]]) if ok[0] else None

    # -- moving the probe -----------------------------------------------------------------
    def move_probe(self, along_mm: float = 0.0, across_mm: float = 0.0,
                   rotate_rad: float = 0.0):
        """Slide and turn the probe by these amounts at comfortable hand speeds."""
        slide_rate, turn_rate = 0.5 * MAX_SLIDE_MM_S, 0.5 * MAX_TURN_RAD_S
        dt = self.world.dt_s
        n = max(1, math.ceil(max(math.hypot(along_mm, across_mm) / (slide_rate * dt),
                                 abs(rotate_rad) / (turn_rate * dt))))
        for _ in range(n):
            yield Action(probe_slide_mm_s=(along_mm / (n * dt), across_mm / (n * dt)),
                         probe_rotate_rad_s=rotate_rad / (n * dt))

    def sweep(self, kind: str, offsets, *, centre: bool = False):
        """Visit the poses ``offsets`` away from here (mm across / along, or rad turned),
        look at each, and end on the best one. With ``centre`` end instead in the gap
        between two tendons where the sweep shows one (:func:`window_between_tendons`: the
        window an approach between tendons takes), else in the middle of the run of
        neighbouring poses that show the view as well as the best one: the view holds over
        a range, and its middle is the structure's middle (:func:`middle_of_best_run`).
        Returns the final ``Seen``."""
        best, best_at, at = self.see(), 0.0, 0.0
        visited = [(0.0, best)]
        for offset in offsets:
            yield from self.move_probe(**{kind: offset - at})
            at = offset
            seen = self.see()
            visited.append((float(offset), seen))
            if seen.rank > best.rank:
                best, best_at = seen, offset
        if centre:
            window = window_between_tendons(visited, best_at)
            best_at = middle_of_best_run(visited, best_at) if window is None else window
        if best_at != at:
            yield from self.move_probe(**{kind: best_at - at})
            best = self.see()
        return best

    def scan(self):
        """Turn through half a circle from the starting position, sweep across to the
        window between two tendons or else the middle of the slices that show the standard
        view, refine the turn and the slide, then centre the target along the array.
        Returns the last ``Seen``."""
        step = math.radians(self.rotation_step_deg)
        yield from self.sweep("rotate_rad", step * np.arange(1, int(round(math.pi / step))))
        yield from self.sweep("across_mm", np.arange(-15.0, 15.1, self.across_step_mm),
                              centre=True)
        fine = math.radians(self.rotation_step_deg / 3.0)
        yield from self.sweep("rotate_rad", (-2 * fine, -fine, fine, 2 * fine))
        best = yield from self.sweep("across_mm", (-2.0, -1.0, 1.0, 2.0), centre=True)
        if best.shown:  # centre the target along the array
            yield from self.move_probe(along_mm=float(best.target_probe_mm[:, 0].mean()))
            best = self.see()
        return best

    # -- the procedure --------------------------------------------------------------------
    def script(self):
        rng = self.rng
        yield from self.wait(rng.uniform(1.0, 3.0) * self.pause_scale)
        yield from self.mark(Step.patient_positioning, rng.uniform(3.0, 6.0) * self.pause_scale)
        seen = yield from self.scan()
        if not seen.shown:
            yield Action(end=True)
            return
        depth = float(seen.target_probe_mm[:, 2].max()) + 30.0
        yield Action(probe_settings=(("depth_mm", depth), ("focus_mm", depth - 30.0)))
        yield from self.wait(rng.uniform(3.0, 6.0) * self.pause_scale)
        found = yield from self.find_approach()
        if found is None:
            yield Action(end=True)
            return
        plan, seen = found
        yield from self.before_needle()
        yield from self.needle_pass(plan, seen)
        yield from self.deliver()

    def before_needle(self):
        """The prep, cover and time-out round the entry the needle now rests on, then the
        local anaesthetic there."""
        rng = self.rng
        yield from self.prepare(self.state.needle.entry_mm,
                                rng.uniform(3.0, 6.0) * self.pause_scale)
        yield from self.mark(Step.imaging_setup, 2.0)
        yield Action(local_anaesthetic=True)
        yield from self.wait(rng.uniform(3.0, 5.0) * self.pause_scale)

    def find_approach(self):
        """Rest the needle on the skin at the start of a clear in-plane path. Tries the
        scanned view, the probe slid a little either way (a vessel in this plane), then
        turned about the target as ``APPROACH_VIEWS`` lists (the HUD refused every entry: the
        allowed skin lies off this plane); each with the target centred, then toward either
        end of the probe. Returns ``(plan, seen)`` or ``None``."""
        at_turn, at_across = 0.0, 0.0
        for turn_deg, across in APPROACH_VIEWS:
            turn = math.radians(turn_deg)
            if (turn, across) != (at_turn, at_across):
                yield from self.move_probe(across_mm=-at_across)
                yield from self.move_probe(rotate_rad=turn - at_turn)
                yield from self.move_probe(across_mm=across)
                at_turn, at_across = turn, across
            seen = self.see()
            if not seen.shown:
                continue
            if turn:  # centre the target along the turned array
                yield from self.move_probe(along_mm=float(seen.target_probe_mm[:, 0].mean()))
                seen = self.see()
                if not seen.shown:
                    continue
            found = yield from self.try_entries(seen)
            if found is None:
                # the target off-centre, toward one end, brings that end's entries closer
                for along in (APPROACH_ALONG_MM, -2 * APPROACH_ALONG_MM):
                    yield from self.move_probe(along_mm=along)
                    seen = self.see()
                    if seen.shown:
                        found = yield from self.try_entries(seen)
                    if found is not None:
                        break
                else:
                    yield from self.move_probe(along_mm=APPROACH_ALONG_MM)
            if found is not None:
                return found
        return None

    def try_entries(self, seen: Seen):
        """Rest the needle at the first of this view's plans whose entry the HUD accepts;
        ``(plan, seen)`` or ``None``."""
        for plan in self.plans(seen):  # the HUD refuses an entry outside the zone
            yield Action(place_needle=(tuple(plan.entry_mm), tuple(plan.direction)))
            if self.state.needle.entry_mm is not None:
                return plan, seen
        return None

    def needle_pass(self, plan: Plan, seen: Seen):
        """Advance along ``plan`` while looking; settle on the target once seen there."""
        elevation = seen.frame.world_from_probe[:3, 1]
        yield from self.twist_bevel_to(unit(np.cross(elevation, plan.direction)))
        yield from self.rock_toward(plan, seen.frame)
        speed = self.rng.uniform(*self.speed_mm_s)
        result = yield from self.advance_looking(plan, speed, find_lost_tip=True)
        if result == "target":
            yield from self.settle(plan)
        else:
            yield from self.redirect(speed)

    def rock_toward(self, plan: Plan, frame):
        """Rock the probe heel-to-toe toward the needle so the beam meets the planned shaft
        as squarely as the rocking allows, the target kept in the image
        (:func:`rocked_view_rad`); if the rocked image loses the target, rock back halfway."""
        probe_from_world = invert(frame.world_from_probe)
        entry = (probe_from_world @ np.append(plan.entry_mm, 1.0))[:3]
        d_probe = probe_from_world[:3, :3] @ plan.direction
        rock = rocked_view_rad(frame.geometry, entry, d_probe, plan.length_mm)
        start = self.state.probe.rock_rad
        for share in (1.0, 0.5, 0.0):
            yield from self.rock_probe_to(start + share * rock)
            if share == 0.0 or (self.look().label == self.target_index).any():
                return

    def redirect(self, speed_mm_s: float):
        """The image shows the tip short of or beside the target: pull back and aim at the
        target pixel nearest the tip, up to ``MAX_REDIRECTS`` times."""
        for _ in range(MAX_REDIRECTS):
            frame = self.look()
            n = self.state.needle
            if self.label_at(frame, n.tip_mm) == self.target_index:
                return
            lines, samples = np.nonzero(frame.label == self.target_index)
            if not len(lines):
                return
            geom, wfp = frame.geometry, frame.world_from_probe
            pts = geom.points(lines, geom.depth_mm[samples]) @ wfp[:3, :3].T + wfp[:3, 3]
            aim = pts[np.argmin(np.linalg.norm(pts - np.asarray(n.tip_mm), axis=1))]
            back_mm = max(0.0, n.depth_mm - REDIRECT_FROM_MM)
            for _ in range(self.ticks(back_mm / 5.0)):
                yield Action(advance_mm_s=-5.0)
            entry = np.asarray(self.state.needle.entry_mm, float)
            direction = unit(aim - entry)
            yield from self.pivot_to(direction)
            elevation = wfp[:3, 1]
            yield from self.twist_bevel_to(unit(np.cross(elevation, direction)))
            plan = Plan(entry, -wfp[:3, 2], direction, aim, float(np.linalg.norm(aim - entry)),
                        math.inf, 90.0 - math.degrees(math.acos(abs(direction @ wfp[:3, 2]))))
            if (yield from self.advance_looking(plan, speed_mm_s,
                                                find_lost_tip=True)) == "target":
                yield from self.settle()
                return

    def deliver(self):
        yield from self.wait(1.0)
        yield Action(aspirate=True)
        yield from self.wait(2.0)
        yield from self.inject(0, self.world.scenario.syringes[0].volume_ml, 0.5)
        yield from self.wait(1.5)
        yield Action(withdraw=True)
        yield from self.wait(self.rng.uniform(2.0, 4.0))
        yield from self.mark(Step.completion, 1.0)
        yield Action(end=True)

    def plans(self, seen: Seen) -> list[Plan]:
        """This view's in-plane paths, best first (:func:`in_plane_plans`)."""
        return in_plane_plans(self.world, seen)

    def advance_looking(self, plan: Plan, speed_mm_s: float, *, stop_share: float = 1.0,
                        correct: bool = True, every_mm: float = LOOK_EVERY_MM,
                        find_lost_tip: bool = False):
        """Advance, looking every ``every_mm``; with ``correct`` steer the bevel back toward
        the line; with ``find_lost_tip`` stop when the display does not show the tip and
        rock or slide the probe until it does (:meth:`find_tip`). Stops at bone (felt), the
        target seen at the tip, or ``stop_share`` of the planned depth."""
        next_look = self.state.needle.depth_mm + every_mm
        frame = None
        while True:
            n = self.state.needle
            if n.bone_contact:
                return "bone"
            if n.depth_mm >= stop_share * plan.length_mm + 3.0:
                return "depth"
            if n.in_skin and n.depth_mm >= next_look:
                next_look = n.depth_mm + every_mm
                frame = self.look()
                if self.label_at(frame, n.tip_mm) == self.target_index:
                    return "target"
                if find_lost_tip and n.depth_mm > LOST_FROM_MM and not tip_shows(frame, n):
                    yield from self.find_tip(frame)
            flip = False
            if correct and n.in_skin and n.depth_mm > 3.0:
                flip = float(plan.offset_from_line(n.tip_mm) @ bevel_direction(n)) > 0.3
            yield Action(advance_mm_s=speed_mm_s, flip_bevel=flip)

    def find_tip(self, frame):
        """The tip has gone from the display (``frame``): rock step by step further toward
        the needle (the beam squarer to the shaft), else slide across by
        ``SEARCH_ACROSS_MM`` (the shaft has left the thin slice), keeping the first pose
        that shows the tip; back where it was when none does."""
        rock = self.state.probe.rock_rad
        # the beam turns toward the long axis as the rock grows: square to a shaft running
        # back along it (frame x) needs the rock of the opposite sign
        sign = -math.copysign(1.0, float(frame.world_from_probe[:3, 0] @
                                         np.asarray(self.state.needle.direction)))
        for k in range(1, int((MAX_ROCK_RAD - sign * rock) / ROCK_STEP_RAD + 1e-6) + 1):
            yield from self.rock_probe_to(rock + sign * k * ROCK_STEP_RAD)
            if tip_shows(self.look(), self.state.needle):
                return
        yield from self.rock_probe_to(rock)
        for across in SEARCH_ACROSS_MM:
            yield from self.move_probe(across_mm=across)
            if tip_shows(self.look(), self.state.needle):
                return
            yield from self.move_probe(across_mm=-across)

    def _target_around_mm(self, sign: float) -> float:
        """How far ahead of the tip (``sign`` 1; behind it, -1), along the needle, the image
        shows the target go on (0 when it does not show the tip in it)."""
        frame, n = self.look(), self.state.needle
        tip, d = np.asarray(n.tip_mm, float), sign * np.asarray(n.direction, float)
        reach = 0.0
        while reach < 2.0 * SETTLE_PAST_EDGE_MM and \
                self.label_at(frame, tip + (reach + 0.5) * d) == self.target_index:
            reach += 0.5
        return reach

    def settle(self, plan: Plan | None = None):
        """From the target's edge, on while the image shows the tip in it, to bone contact
        or 3 mm. With ``plan``: on toward the point it aims at (the middle of the target
        seen), but no further than the middle of the target's stretch along the needle as
        the image shows it (back to it if the tip shows beyond it) and
        ``SETTLE_PAST_EDGE_MM`` (a thin target looks thicker in the image than it is);
        when the tip leaves the target, back until the image shows it inside again (at
        most 3 mm)."""
        steps = 6
        if plan is not None:
            to_aim_mm = plan.length_mm - self.state.needle.depth_mm
            middle_mm = 0.5 * (self._target_around_mm(1.0) - self._target_around_mm(-1.0))
            if middle_mm < 0.0:   # the tip shows at the target's far side: back to its middle
                for _ in range(self.ticks(-middle_mm)):
                    yield Action(advance_mm_s=-1.0)
                return
            steps = max(0, math.ceil(min(to_aim_mm, SETTLE_PAST_EDGE_MM, middle_mm) / 0.5))
        for _ in range(steps):
            for _ in range(self.ticks(0.5)):
                if self.state.needle.bone_contact:
                    return
                yield Action(advance_mm_s=1.0)
            if self.label_at(self.look(), self.state.needle.tip_mm) != self.target_index:
                for _ in range(1 if plan is None else 6):
                    for _ in range(self.ticks(0.5)):
                        yield Action(advance_mm_s=-1.0)
                    if plan is None or self.label_at(self.look(), self.state.needle.tip_mm) \
                            == self.target_index:
                        break
                return
