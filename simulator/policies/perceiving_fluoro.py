"""A fluoroscopy trainee that perceives only what a person at the C-arm perceives.

It never reads the 3D anatomy or the target's coordinates. What it uses: the structures each
exposure shows where it shows them (:func:`projected_labels`: per pixel, which structures
the ray crosses and for how long, i.e. the joint line's contrast a person reads on the
monitor), the C-arm and needle poses its own hands set, and what the hand feels (bone).

The technique is the one ``fluoroscopy.md`` and ``clinical.md`` describe: take an image,
centre the joint and collimate, turn the C-arm until the joint line shows clearest, put the
needle down the beam over the target (bull's-eye), advance a little, then turn the C-arm
well away (an oblique) to see the depth, and advance until the tip sits in the target there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator import carm as carm_model
from simulator.anatomy.manifest import Role
from simulator.errors import InputError
from simulator.imaging.fluoro.detector import field_mask
from simulator.imaging.fluoro.projection import Projection
from simulator.imaging.fluoro.raster import path_lengths
from simulator.imaging.fluoro.render import projection_for
from simulator.imaging.fluoro.scene import MeshScene
from simulator.needle import bevel_direction
from simulator.policies.fluoro_target_shape import (
    is_en_face,
    is_line,
    lower_end,
    upper_end,
)
from simulator.policies.planner import Plan
from simulator.policies.script import ScriptPolicy
from simulator.scenario import Step
from simulator.state import Action

LOOK_PX = 256               # the policy reads labels, not grey levels: a modest matrix
SEEN_PATH_MM = 0.5          # a structure shows where the ray crosses at least this much of it
LIVE_S = 0.5                # a brief run of pulses while positioning
FIELD_MM = 120.0            # collimated field at the detector once the joint is centred
TURN_STEP_DEG = 6.0         # C-arm turn between images while looking for the clearest view
MAX_TURNS = 3               # images taken per direction while turning
DEPTH_VIEW_DEG = 60.0       # the oblique for depth, away from the down-the-beam view
DANGER_MARGIN_MM = 4.0      # wanted distance (at the isocentre) from a danger's shadow
FIRST_ADVANCE_MM = 15.0     # needle depth held before turning the C-arm for depth
CONFIRM_SHORT_MM = 4.0      # stop this far short of the planned depth for a check image
WALK_OFF_TRIES = 3          # redirections off a bone felt short of the target
WALK_OFF_BACK_MM = 3.0      # pulled back before each
WALK_OFF_REACH_MM = 3.0     # how far from the tip's projection the target's line is sought
INTO_TARGET_MM = 4.0        # how far into the target's shadow the tip goes
CLEAR_BONUS = 1000.0        # an aim clear of every danger's shadow beats any that is not
PLACE_TRIES = 40            # next-best pixels tried when the HUD refuses an entry


@dataclass(frozen=True, eq=False)
class Seen:
    """What one exposure shows.

    Attributes
    ----------
    projection : Projection
    path_mm : (n_structures, size, size) float32
        Length of each pixel's ray inside each structure (index = label - 1).
    exposed : (size, size) bool
        Pixels inside the collimated field.
    """

    projection: Projection
    path_mm: np.ndarray
    exposed: np.ndarray

    def shows(self, label: int) -> np.ndarray:
        """``(size, size) bool``: where the image shows structure ``label``."""
        return (self.path_mm[label - 1] > SEEN_PATH_MM) & self.exposed

    @property
    def mm_per_px(self) -> float:
        """Pixel size at the isocentre, mm."""
        pr = self.projection
        return pr.pixel_mm / pr.magnification_at_isocentre


def projected_labels(world, carm, size: int = LOOK_PX) -> Seen:
    """The structures an exposure at C-arm pose ``carm`` shows, pixel by pixel (each
    structure's own path length: the scene's meshes rasterised one channel per structure)."""
    scene = MeshScene.from_anatomy(world.anatomy)
    pr = projection_for(world, carm, size)
    n = len(scene.names)
    lengths = path_lengths(scene.vertices, scene.faces, scene.owner,
                           np.arange(n, dtype=np.int32), np.full(n, -1, np.int32), scene.rank,
                           scene.chan, n, pr, "linear")
    spec = world.scenario.carm
    exposed = field_mask(size, pr.pixel_mm, carm_model.field_width_mm(spec, carm),
                         getattr(spec, "intensifier_mm", None))
    return Seen(pr, np.clip(lengths, 0.0, scene.max_chord_mm), exposed)


class PerceivingFluoroExpert(ScriptPolicy):
    """Bull's-eye technique from the images; deterministic given its seed."""

    speed_mm_s = (2.5, 3.5)
    pause_scale = 1.0
    field_mm: float | None = FIELD_MM   # collimation once the joint is centred

    def __init__(self, world, seed: int):
        super().__init__(world, seed)
        sc = world.scenario
        if not sc.uses_fluoroscopy or sc.uses_ultrasound:
            raise InputError(f"the perceiving fluoroscopy policies need a fluoroscopy "
                             f"scenario; {sc.id} uses ultrasound", field="--policy")
        self.target = world.target_label
        self.looks = 0

    # -- seeing ---------------------------------------------------------------------------
    def look(self) -> Seen:
        """What the image of the C-arm's present pose shows."""
        self.looks += 1
        return projected_labels(self.world, self.state.carm)

    def shoot(self, live: bool = False):
        """Take an image and read it: a saved spot image, or with ``live`` a brief run of
        low-dose pulses (positioning: cheaper than a spot image, and not saved)."""
        if live:
            yield from self.wait(LIVE_S, Action(beam_on=True))
        else:
            yield Action(shot=True)
        yield from self.wait(1.0)
        return self.look()

    def aim(self, seen: Seen):
        """The best pixel to go down the beam at (:meth:`quality`). Returns
        ``(xy (2,), quality)`` or ``None`` when the target does not show."""
        ranked = self.aims(seen, 1)
        return ranked[0] if ranked else None

    def aims(self, seen: Seen, n: int) -> list:
        """The ``n`` best pixels, best first, as ``(xy (2,), quality)``."""
        quality = self.quality(seen)
        if quality is None:
            return []
        order = np.argsort(quality, axis=None)[::-1][:n]
        rows, cols = np.unravel_index(order, quality.shape)
        return [(np.array([c, r], float), float(quality[r, c]))
                for r, c in zip(rows, cols, strict=True) if np.isfinite(quality[r, c])]

    def quality(self, seen: Seen) -> np.ndarray | None:
        """``(size, size)`` merit of going down the beam at each pixel (``-inf`` off the
        target): inside the target and off its edge, clear of the dangers' shadows by
        ``DANGER_MARGIN_MM`` if any such pixel shows (a shadow may lie beyond the target:
        the depth view tells), where the target's line shows most clearly (the longest
        path along the beam; a joint line near its lower end, where no bone's edge
        overlaps it; a recess seen en face, :func:`is_en_face`, only in its upper end,
        :func:`upper_end`). ``None`` when the target does not show."""
        from scipy.ndimage import distance_transform_edt

        target = seen.shows(self.target)
        if not target.any():
            return None
        danger = np.zeros_like(target)
        for label in self.world.danger:
            danger |= seen.shows(label)
        clear = target
        if danger.any():
            clear = target & (distance_transform_edt(~danger) * seen.mm_per_px
                              >= DANGER_MARGIN_MM)
        inside = distance_transform_edt(target) >= 2.0
        candidates = target & inside if (target & inside).any() else target
        line = is_line(candidates)
        if line:
            candidates = lower_end(candidates, seen.mm_per_px)
        elif is_en_face(target):
            candidates = upper_end(candidates)
        quality = seen.path_mm[self.target - 1].astype(float)
        if line:  # the joint space shows clear where no bone's edge overlaps it
            quality = quality - self._bone_mm(seen)
        quality = quality + np.where(clear, CLEAR_BONUS, 0.0)
        return np.where(candidates, quality, -np.inf)

    def _bone_mm(self, seen: Seen) -> np.ndarray:
        """``(size, size)`` path length through bone along each pixel's ray, mm."""
        bones = [k for k in range(seen.path_mm.shape[0]) if self.world.role(k + 1) == Role.bone]
        return seen.path_mm[bones].sum(axis=0)

    # -- moving the C-arm -----------------------------------------------------------------
    def turn(self, orbital_rad: float = 0.0, cranial_rad: float = 0.0):
        rate = 0.5 * carm_model.MAX_TURN_RAD_S
        n = max(1, math.ceil(max(abs(orbital_rad), abs(cranial_rad)) / (rate * self.world.dt_s)))
        for _ in range(n):
            yield Action(carm_rotate_rad_s=(orbital_rad / (n * self.world.dt_s),
                                            cranial_rad / (n * self.world.dt_s)))

    def centre(self, seen: Seen):
        """Move the table so the target sits in the middle of the image."""
        rows, cols = np.nonzero(seen.shows(self.target))
        pr = seen.projection
        off = (np.array([cols.mean(), rows.mean()]) - pr.centre_px) * seen.mm_per_px
        shift = off[0] * pr.u + off[1] * pr.v          # the isocentre follows the target
        rate = 0.5 * carm_model.MAX_SHIFT_MM_S
        n = max(1, math.ceil(float(np.linalg.norm(shift)) / (rate * self.world.dt_s)))
        for _ in range(n):
            yield Action(carm_shift_mm_s=tuple(float(x) for x in shift / (n * self.world.dt_s)))

    def find_view(self, seen: Seen):
        """Turn the C-arm in ``TURN_STEP_DEG`` steps, a brief look each, while the target's
        line gets clearer, one way and (if that did not help) the other; end on the
        clearest view. Returns its ``Seen`` and aim."""
        best = (seen, self.aim(seen))
        step = math.radians(TURN_STEP_DEG)
        for sign in (1.0, -1.0):
            at, improved = 0, False
            for _ in range(MAX_TURNS):
                yield from self.turn(orbital_rad=sign * step)
                at += 1
                seen = yield from self.shoot(live=True)
                aim = self.aim(seen)
                if aim is None or (best[1] is not None and aim[1] <= best[1][1]):
                    break
                best, at, improved = (seen, aim), 0, True
            yield from self.turn(orbital_rad=-sign * step * at)   # back to the best
            if improved:
                break
        return best

    # -- the procedure --------------------------------------------------------------------
    def script(self):
        rng = self.rng
        yield from self.wait(rng.uniform(1.0, 3.0) * self.pause_scale)
        yield from self.mark(Step.patient_positioning, rng.uniform(3.0, 6.0) * self.pause_scale)
        seen = yield from self.shoot(live=True)
        if not seen.shows(self.target).any():
            yield Action(end=True)
            return
        yield from self.centre(seen)
        if self.field_mm:
            yield Action(carm_settings=(("field_mm", self.field_mm),))
        seen = yield from self.shoot(live=True)
        seen, aim = yield from self.find_view(seen)
        placed = False
        for xy, _ in ([aim] if aim is not None else []) + self.aims(seen, PLACE_TRIES):
            placed = yield from self.place_down_the_beam(seen, xy)   # the HUD may refuse
            if placed:
                break
        if not placed:
            yield Action(end=True)
            return
        yield from self.before_needle()
        yield from self.needle_pass(rng.uniform(*self.speed_mm_s))
        yield from self.deliver()

    def before_needle(self):
        """Prep, time-out and local anaesthetic round the entry the needle rests on."""
        rng = self.rng
        yield from self.prepare(self.state.needle.entry_mm,
                                rng.uniform(3.0, 6.0) * self.pause_scale)
        yield from self.mark(Step.imaging_setup, 1.0)
        yield Action(local_anaesthetic=True)
        yield from self.wait(rng.uniform(3.0, 5.0) * self.pause_scale)

    def place_down_the_beam(self, seen: Seen, xy):
        """Rest the needle on the skin on the ray through pixel ``xy``, pointing up the beam
        (the bull's-eye). Returns whether the HUD accepted the entry."""
        source, ray = seen.projection.ray(xy)
        point = source + ray[0] * seen.projection.sic_mm
        yield Action(place_needle=(tuple(point), tuple(-ray[0])))
        return self.state.needle.entry_mm is not None

    def line(self) -> Plan:
        n = self.state.needle
        entry, d = np.asarray(n.entry_mm, float), np.asarray(n.direction, float)
        length = self.world.scenario.needle.length_mm
        return Plan(entry, -d, d, entry + d * length, length, math.inf, 90.0)

    def depth_in_target(self, seen: Seen, line: Plan, from_mm: float) -> float | None:
        """Needle depth, mm, ``INTO_TARGET_MM`` into (at most half way along) the first
        stretch beyond ``from_mm`` where the needle's line lies over the target on this
        (oblique) image."""
        t = np.arange(0.0, line.length_mm, 0.5)
        xy = np.round(seen.projection.project(line.entry_mm + np.outer(t, line.direction)))
        size = seen.projection.size
        inside = np.all((xy >= 0) & (xy < size), axis=1)
        col, row = np.where(inside, xy[:, 0], 0).astype(int), np.where(inside, xy[:, 1],
                                                                     0).astype(int)
        over = inside & seen.shows(self.target)[row, col] & (t >= from_mm)
        if not over.any():
            return None
        first = int(np.argmax(over))
        last = first + int(np.argmin(over[first:])) if not over[first:].all() else len(t)
        # into the target by a few mm, not through it: the line may run along a joint
        return float(t[first] + min(0.5 * (t[last - 1] - t[first]), INTO_TARGET_MM))

    def advance_to(self, line: Plan, depth_mm: float, speed_mm_s: float) -> str:
        """Advance along ``line`` to ``depth_mm``; stops at bone (felt)."""
        while True:
            n = self.state.needle
            if n.bone_contact:
                return "bone"
            if n.depth_mm >= depth_mm:
                return "depth"
            flip = False
            if n.in_skin and n.depth_mm > 3.0:
                flip = float(line.offset_from_line(n.tip_mm) @ bevel_direction(n)) > 0.3
            yield Action(advance_mm_s=speed_mm_s, flip_bevel=flip)

    def depth_turn_rad(self) -> float:
        """The oblique for depth: ``DEPTH_VIEW_DEG`` further round, toward whichever side
        the C-arm has room."""
        turn = math.radians(DEPTH_VIEW_DEG)
        orbital = self.state.carm.orbital_rad
        return -turn if orbital + turn > carm_model.MAX_ORBITAL_RAD else turn

    def needle_pass(self, speed_mm_s: float):
        line = self.line()
        yield from self.shoot(live=True)                     # bull's-eye check
        if (yield from self.advance_to(line, FIRST_ADVANCE_MM, speed_mm_s)) == "bone":
            return
        turn = self.depth_turn_rad()
        yield from self.turn(orbital_rad=turn)
        seen = yield from self.shoot()
        depth = self.depth_in_target(seen, line, self.state.needle.depth_mm)
        if depth is None:
            return
        if (yield from self.advance_to(line, depth - CONFIRM_SHORT_MM, speed_mm_s)) == "bone":
            yield from self.turn(orbital_rad=-turn)          # down the beam again
            yield from self.walk_off_bone(line, depth)
            return
        seen = yield from self.shoot()                       # check, then the last bit
        depth = self.depth_in_target(seen, line, self.state.needle.depth_mm - 2.0) or depth
        yield from self.advance_to(line, depth, 1.0)

    def walk_off_bone(self, line: Plan, depth_mm: float):
        """Bone felt short of the depth the oblique showed: on the down-the-beam image, move
        the tip toward the clearest part of the target's line near it (a slip of a degree
        or two into the joint), up to ``WALK_OFF_TRIES`` times."""
        for _ in range(WALK_OFF_TRIES):
            for _ in range(self.ticks(WALK_OFF_BACK_MM / 2.0)):
                yield Action(advance_mm_s=-2.0)
            seen = yield from self.shoot(live=True)
            pr = seen.projection
            tip_xy = pr.project(np.asarray(self.state.needle.tip_mm))[0]
            rows, cols = np.nonzero(seen.shows(self.target))
            if not len(rows):
                return
            near = np.hypot(cols - tip_xy[0], rows - tip_xy[1]) * seen.mm_per_px
            close = near <= max(WALK_OFF_REACH_MM, float(near.min()))
            path = seen.path_mm[self.target - 1][rows, cols]
            k = int(np.argmax(np.where(close, path, -1.0)))
            source, ray = pr.ray(np.array([cols[k], rows[k]], float))
            want = line.entry_mm + line.direction * depth_mm
            point = source + ray[0] * float((want - source) @ ray[0])
            direction = (point - line.entry_mm) / np.linalg.norm(point - line.entry_mm)
            yield from self.pivot_to(direction)
            line = Plan(line.entry_mm, -direction, direction, point,
                        float(np.linalg.norm(point - line.entry_mm)), math.inf, 90.0)
            if (yield from self.advance_to(line, line.length_mm, 1.5)) != "bone":
                return

    def deliver(self):
        sc = self.world.scenario
        yield from self.wait(1.0)
        yield Action(aspirate=True)
        yield from self.wait(2.0)
        contrast = [k for k, s in enumerate(sc.syringes) if s.contents == "contrast"]
        if contrast:  # watch the contrast flow along the joint under live fluoroscopy
            k = contrast[0]
            yield from self.inject(k, min(1.0, sc.syringes[k].volume_ml), 0.5, beam=True)
            yield from self.wait(1.0)
        for k, s in enumerate(sc.syringes):
            if s.contents != "contrast":
                yield from self.inject(k, s.volume_ml, 0.5)
                break
        yield from self.wait(1.5)
        yield Action(withdraw=True)
        yield from self.wait(self.rng.uniform(2.0, 4.0))
        yield from self.mark(Step.completion, 1.0)
        yield Action(end=True)

