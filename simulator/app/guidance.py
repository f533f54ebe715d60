"""Learning-mode guidance in a trainee's words: where the target and the needle tip are
relative to the ultrasound scan plane or in the fluoroscopy image, and which way to move.

Pure geometry on the state and the frame on screen (no drawing); :mod:`simulator.app.overlay`
draws it. Directions are anatomical ("toward the patient's head") for the plane, and image
terms ("deeper", "to the right on the image") inside an image. World frame: RAS mm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np

from simulator.probe import move_probe, probe_axes, world_from_probe

IN_PLANE_MM = 3.0        # the target counts as in the scan plane within this distance
SAY_IN_PLANE_MM = 1.0    # closer than this, a distance from the plane is not worth saying


def direction_words(world, v) -> str:
    """The anatomical direction of world vector ``v`` (its largest component, and the next
    one when nearly as large): "toward the patient's head", "medially", ..."""
    v = np.asarray(v, float)
    side = world.side_sign
    names = ((v[2], "toward the patient's head", "toward the feet"),
             (v[1], "toward the front", "toward the back"),
             (side * v[0], "laterally", "medially"))
    parts = sorted(((abs(c), plus if c > 0 else minus) for c, plus, minus in names),
                   reverse=True)
    if parts[1][0] > 0.6 * parts[0][0]:
        return f"{parts[0][1]} and {parts[1][1]}"
    return parts[0][1]


@dataclass(frozen=True)
class PlaneOffset:
    """Where a point lies relative to the scan plane of the probe."""

    distance_mm: float    # signed, along the probe's elevation axis
    words: str            # "6 mm toward the patient's head", or "in the plane"
    slide_key_plus: bool  # sliding the probe with the "plus" key of probe_across brings it in

    @property
    def in_plane(self) -> bool:
        return abs(self.distance_mm) <= IN_PLANE_MM


def plane_offset(world, probe, point_mm) -> PlaneOffset:
    """Signed distance of ``point_mm`` (3,) from the probe's scan plane, in words."""
    _, elevation, _ = probe_axes(world, probe)
    rel = np.asarray(point_mm, float) - np.asarray(probe.contact_mm)
    distance = float(rel @ elevation)
    if abs(distance) < SAY_IN_PLANE_MM:
        words = "in the plane"
    else:
        words = f"{abs(distance):.0f} mm {direction_words(world, elevation * distance)}"
    # which way the slide key moves the plane, measured with the probe's own motion
    moved = move_probe(world, probe, (0.0, 1.0), 0.0, 0.0)
    shift = np.asarray(moved.contact_mm) - np.asarray(probe.contact_mm)
    return PlaneOffset(distance, words, bool((shift @ elevation) * distance > 0))


def in_image(frame, point_mm) -> tuple[bool, np.ndarray]:
    """Whether ``point_mm`` (3,) falls inside the ultrasound sector of ``frame`` (ignoring
    the elevation), and its ``(col, row)`` pixel."""
    px = frame.pixel_of(np.asarray(point_mm, float))[0]
    rows, cols = frame.image.shape
    c, r = int(round(px[0])), int(round(px[1]))
    inside = 0 <= c < cols and 0 <= r < rows
    if inside:  # in the sector, not in the black corners beside it
        from simulator.imaging.ultrasound.scanconvert import scan_conversion

        inside = bool(scan_conversion(frame.geometry, frame.image.shape).line[r, c] >= 0)
    return inside, px


def image_offset_words(frame_pixel_mm: float, tip_px, target_px) -> str:
    """Tip-to-target in image terms: "8 mm deeper, 5 mm to the left" (pixels -> mm)."""
    return _offset_words(tip_px, target_px, frame_pixel_mm, ("deeper", "shallower"))


def fluoro_offset_words(tip_px, target_px, mm_per_px: float) -> str:
    """Tip-to-target on the fluoroscopy image: "4 mm up, 2 mm to the left" (at the target)."""
    return _offset_words(tip_px, target_px, mm_per_px, ("down", "up"))


def _offset_words(tip_px, target_px, mm_per_px: float, down_up: tuple[str, str]) -> str:
    """``(col, row)`` pixels to words: rows first (``down_up`` for +/-), then left/right."""
    d = (np.asarray(target_px, float) - np.asarray(tip_px, float)) * mm_per_px
    parts = []
    if abs(d[1]) >= SAY_IN_PLANE_MM:
        parts.append(f"{abs(d[1]):.0f} mm {down_up[0] if d[1] > 0 else down_up[1]}")
    if abs(d[0]) >= SAY_IN_PLANE_MM:
        parts.append(f"{abs(d[0]):.0f} mm to the {'right' if d[0] > 0 else 'left'}")
    return ", ".join(parts) or "on it"


def imaging_refusal(world, state, frame) -> str | None:
    """Why the "imaging set up" step cannot be confirmed yet (learning mode), or ``None``:
    ultrasound: the target must be in the scan plane and inside the image; fluoroscopy: an
    image must show the target."""
    target = world.target_point
    if state.probe is not None and world.scenario.uses_ultrasound:
        off = plane_offset(world, state.probe, target)
        if not off.in_plane:
            return f"Not yet: the target is {off.words} from the scan plane; bring it into " \
                   "the image first"
        if frame is None:
            return "Not yet: wait for the image"
        inside, px = in_image(frame, target)
        if not inside:
            rows = frame.image.shape[0]
            where = "deeper than the image: increase the depth" if px[1] >= rows else \
                "beside the image: slide the probe along its length"
            return f"Not yet: the target is {where}"
        return None
    if state.carm is not None:
        if frame is None:
            return "Not yet: take an image first"
        px = frame.projection.project(np.asarray(target, float))[0]
        size = frame.image.shape[0]
        c, r = int(round(px[0])), int(round(px[1]))
        if not (0 <= c < size and 0 <= r < size and frame.exposed[r, c]):
            return "Not yet: the target is not in the last image; centre the C-arm on it " \
                   "and take a new image"
    return None


# -- the standard view ----------------------------------------------------------------------
MIDDLE_THIRD = (1.0 / 3.0, 2.0 / 3.0)   # of the image's width, where the target should sit


@dataclass(frozen=True)
class ViewCheck:
    """One thing the standard view needs: met or not, and what to change if not. The words
    are made only when asked for: they may use the anatomy (the supervisor's knowledge),
    whereas whether the check is met comes from the image alone."""

    ok: bool
    words: Callable[[], str]

    @property
    def advice(self) -> str:
        return self.words()


@dataclass(frozen=True)
class ViewQuality:
    """How good the ultrasound view on screen is for the scenario's standard view."""

    name: str
    checks: tuple[ViewCheck, ...]

    @property
    def met(self) -> int:
        return sum(c.ok for c in self.checks)

    @property
    def grade(self) -> str:
        """"good" (all met), "fair" (at least half) or "poor"."""
        if self.met == len(self.checks):
            return "good"
        return "fair" if 2 * self.met >= len(self.checks) else "poor"

    @property
    def advice(self) -> str:
        """The first thing to change, or what to do once the view is good."""
        return next((c.advice for c in self.checks if not c.ok),
                    "hold the probe still and plan the needle's path")


def no_key(axis: str, sign: int) -> str:
    """The default ``key_of``: no key named."""
    return ""


def view_quality(world, frame, key_of: Callable[[str, int], str] = no_key) -> ViewQuality:
    """Grade ``frame`` (an ultrasound frame) against the scenario's standard view from the
    structures its pixels show (``frame.label``, (n_lines, n_samples): what a trainee sees),
    never from positions hidden in the 3D anatomy: the target in the image, each landmark in
    the image across at least its share of the width, and (unless the view says otherwise)
    the target in the image's middle third. ``key_of(axis, sign)`` names the key that moves
    ``axis`` (a binding's axis name) the ``sign`` way, for the advice."""
    spec = world.scenario.standard_view
    lines = frame.label.shape[0]

    def across(structure: str) -> np.ndarray:
        """(n_lines,) bool: the image columns (beam lines) the structure shows in."""
        return (frame.label == world.anatomy.structure(structure).index).any(axis=1)

    target = world.scenario.targets[0].structure
    shown = across(target)
    pretty = target.replace("_", " ")
    if shown.any():
        checks = [ViewCheck(True, str)]
        middle = float(np.flatnonzero(shown).mean() + 0.5) / lines
        side = "left" if middle < MIDDLE_THIRD[0] else "right"
        centred = ViewCheck(MIDDLE_THIRD[0] <= middle <= MIDDLE_THIRD[1],
                            lambda: f"the {pretty} sits in the {side} third: slide the probe "
                                    f"{toward_image_side(world, frame, side, key_of)} to bring "
                                    "it to the middle")
    else:
        checks = [ViewCheck(False, lambda: f"the {pretty} is not in the image: "
                                           + _not_shown_words(world, frame.probe, key_of))]
        centred = ViewCheck(False, str)
    for mark in spec.landmarks if spec else ():
        share = float(across(mark.structure).mean())
        checks.append(ViewCheck(share > 0.0 and share >= mark.min_width_share,
                                partial(_landmark_words, world, frame.probe, mark, share,
                                        key_of)))
    if spec is None or spec.target_centred:
        checks.append(centred)  # last: centre the view once it shows the right structures
    return ViewQuality(spec.name if spec else f"the {pretty} in view", tuple(checks))


def _not_shown_words(world, probe, key_of=no_key) -> str:
    off = plane_offset(world, probe, world.target_point)
    if not off.in_plane:
        return f"it is {off.words} from the plane: slide that way" + _keys(
            key_of("probe_across", 1 if off.slide_key_plus else -1))
    return "it is beside the image: slide along the probe" + _keys(
        " / ".join(k for k in (key_of("probe_along", -1), key_of("probe_along", 1)) if k)) \
        + " or change the depth"


def _landmark_words(world, probe, mark, share: float, key_of=no_key) -> str:
    """What to change so landmark ``mark`` (shown across ``share`` of the width) runs across
    the image. A probe rocked heel-to-toe first rocks back level (the standard view is taken
    level): the rock turns the structures in the image, and sliding would not undo it."""
    name = mark.structure.replace("_", " ")
    shown = f"no {name} in the image" if share == 0.0 else \
        f"the {name} crosses only {share:.0%} of the image"
    if abs(probe.rock_rad) > ROCK_SAID_RAD:
        key = key_of("probe_rock", -1 if probe.rock_rad > 0 else 1)
        return f"{shown}: the probe is rocked {abs(np.rad2deg(probe.rock_rad)):.0f}°; " \
               f"rock it back level{f' ({key})' if key else ''}"
    words = turn_or_slide_words(world, probe, mark.structure, key_of)
    how = world.scenario.standard_view.how
    if words.startswith(NEAR_IDEAL) and how:  # at the aimed pose: the case's own hint
        words = how
    return f"{shown}: {words}"


def toward_image_side(world, frame, side: str, key_of=no_key) -> str:
    """The anatomical direction the probe slides (along its length) to move the image's
    content away from ``side`` ("left"/"right") toward the middle: the probe moves toward the
    structure, so the direction of the image's ``side`` edge."""
    long_axis = probe_axes(world, frame.probe)[0]
    contact = np.asarray(frame.probe.contact_mm, float)
    cols = frame.pixel_of(np.stack([contact, contact + 10.0 * long_axis]))[:, 0]
    rightward = long_axis if cols[1] > cols[0] else -long_axis
    move = rightward if side == "right" else -rightward
    return direction_words(world, move) + _keys(slide_key(world, frame.probe, move, key_of))


# -- which way to turn or slide -----------------------------------------------------------------
ROTATIONS_RAD = np.deg2rad(np.arange(-90, 90, 10))   # candidate turns about the skin normal
ALONG_MM = np.arange(-30.0, 31.0, 10.0)              # candidate slides along the probe
SAMPLED_LINES, SAMPLED_DEPTHS = 32, 40               # a coarse image is enough to compare
SAME_TURN_RAD = np.deg2rad(15.0)                     # closer than this, turning is not the fix
NEAR_IDEAL = "tilt or rock the probe"                # what is left at the aimed pose


def width_shares(world, probe, structures) -> np.ndarray:
    """``(len(structures),)`` share of the image width (beam lines) where each structure
    would show with the probe at ``probe``: the scan plane sampled on a coarse grid and looked
    up in the label volume (the supervisor's knowledge of the anatomy, not the trainee's)."""
    from simulator.imaging.ultrasound.scan import scan_geometry

    geometry = scan_geometry(world.scenario.probe.preset, float(probe.depth_mm),
                             float(probe.frequency_mhz), float(probe.focus_mm))
    lines = np.linspace(0.0, geometry.n_lines - 1.0, SAMPLED_LINES)
    depths = np.linspace(geometry.depth_mm[0], geometry.depth_mm[-1], SAMPLED_DEPTHS)
    grid_lines, grid_depths = np.meshgrid(lines, depths, indexing="ij")
    local = geometry.points(grid_lines.ravel(), grid_depths.ravel())
    pose = world_from_probe(world, probe)
    labels = world.anatomy.volume_labels_at(local @ pose[:3, :3].T + pose[:3, 3])
    labels = labels.reshape(SAMPLED_LINES, SAMPLED_DEPTHS)
    return np.array([(labels == world.anatomy.structure(s).index).any(axis=1).mean()
                     for s in structures])


def _through_target(world, probe):
    """``probe`` slid across its plane (twice: the skin curves) until the plane holds the
    target."""
    for _ in range(2):
        off = plane_offset(world, probe, world.target_point)
        step = abs(off.distance_mm) if off.slide_key_plus else -abs(off.distance_mm)
        probe = move_probe(world, probe, (0.0, step), 0.0, 0.0)
    return probe


@lru_cache(maxsize=4)
def ideal_view(world):
    """The probe pose (from the scenario's start, turned and slid, its plane through the
    target) that best shows the standard view's landmarks across their share of the width:
    what a supervisor would aim the trainee at. Searched once per world (about 0.4 s)."""
    from simulator.step import initial_state

    marks = world.scenario.standard_view.landmarks
    names = [m.structure for m in marks]
    needed = np.array([max(m.min_width_share, 0.05) for m in marks])
    start = initial_state(world).probe
    # nearest changes first: of equally good views, the one least far from the start wins
    moves = sorted(((float(t), float(a)) for t in ROTATIONS_RAD for a in ALONG_MM),
                   key=lambda m: (abs(m[0]), abs(m[1])))
    best, best_fit = start, -1.0
    for turn, along in moves:
        probe = _through_target(world, move_probe(world, start, (along, 0.0), turn, 0.0))
        fit = float(np.minimum(width_shares(world, probe, names) / needed, 1.0).sum())
        if fit > best_fit + 1e-9:
            best, best_fit = probe, fit
    return best


def turn_or_slide_words(world, probe, structure: str, key_of=no_key) -> str:
    """What to change so ``structure`` runs across the image, relative to :func:`ideal_view`:
    "rotate the probe about 50° clockwise (looking down on it)" when its long axis is off by
    15° or more (the image may be mirrored: turns are taken modulo 180°), else which way to
    slide. Clockwise is judged looking down on the skin at the probe."""
    ideal = ideal_view(world)
    normal = np.asarray(probe.normal)
    long_now, long_ideal = probe_axes(world, probe)[0], probe_axes(world, ideal)[0]
    long_now, long_ideal = (v - (v @ normal) * normal for v in (long_now, long_ideal))
    angle = float(np.arctan2(np.cross(long_now, long_ideal) @ normal, long_now @ long_ideal))
    angle = (angle + np.pi / 2) % np.pi - np.pi / 2       # a plane turned 180° is the same
    pretty = structure.replace("_", " ")
    if abs(angle) >= SAME_TURN_RAD:
        sense = "anticlockwise" if angle > 0 else "clockwise"
        # the rotate key that turns the long axis toward the ideal one, tried
        turned = probe_axes(world, move_probe(world, probe, (0.0, 0.0), TRIAL_RAD, 0.0))[0]
        plus_turns_toward = float(np.cross(long_now, turned) @ normal) * angle > 0
        key = _keys(key_of("probe_rotate", 1 if plus_turns_toward else -1))
        return f"rotate the probe about {abs(np.rad2deg(angle)):.0f}° {sense}{key} (looking " \
               f"down on it) until the {pretty} runs across the image"
    move = np.asarray(ideal.contact_mm) - np.asarray(probe.contact_mm)
    if np.linalg.norm(move) < IN_PLANE_MM:
        return f"{NEAR_IDEAL} until the {pretty} runs across the image"
    return f"slide the probe about {np.linalg.norm(move):.0f} mm " \
           f"{direction_words(world, move)}{_keys(slide_key(world, probe, move, key_of))} " \
           f"until the {pretty} runs across the image"


# -- which key fixes it -------------------------------------------------------------------------
ROCK_SAID_RAD = np.deg2rad(5.0)   # rocked more than this: level it before judging the view
TRIAL_RAD = np.deg2rad(2.0)       # a small trial turn, to see which way a key moves things


def _keys(keys: str) -> str:
    """`` (keys)`` to follow an instruction, or nothing when no key is known."""
    return f" ({keys})" if keys else ""


def slide_key(world, probe, move, key_of=no_key) -> str:
    """The key(s) that slide ``probe`` along world vector ``move`` (3,): for each slide axis
    (along, across the probe) carrying a good share of it, the key of the sign that moves
    the probe that way, tried with the probe's own motion."""
    move = np.asarray(move, float)
    size = float(np.linalg.norm(move))
    if size == 0.0:
        return ""
    keys = []
    for n, axis in enumerate(("probe_along", "probe_across")):
        slide = (1.0, 0.0) if n == 0 else (0.0, 1.0)
        shift = np.asarray(move_probe(world, probe, slide, 0.0, 0.0).contact_mm) \
            - np.asarray(probe.contact_mm)
        share = float(shift @ move) / size
        if abs(share) > 0.4 * float(np.linalg.norm(shift)):
            keys.append(key_of(axis, 1 if share > 0 else -1))
    return " + ".join(k for k in keys if k)


def rock_toward_needle_sign(world, probe, needle_direction) -> int:
    """+1 or -1: the sign of the rock (heel-to-toe, ``probe_rock``) that turns the beam
    closer to square with the needle's shaft ``needle_direction`` (3,), where the shaft
    echoes back to the probe: tried both ways with the probe's own motion."""
    d = np.asarray(needle_direction, float)

    def squareness(sign: int) -> float:
        moved = move_probe(world, probe, (0.0, 0.0), 0.0, 0.0, sign * TRIAL_RAD)
        return abs(float(probe_axes(world, moved)[2] @ d))

    return 1 if squareness(1) < squareness(-1) else -1


def steer_toward_plane_sign(world, probe, tip_mm) -> int:
    """+1 or -1: the sign of ``aim_yaw`` that turns the needle back toward the scan plane
    from the side its tip ``tip_mm`` (3,) lies on. The app turns the needle with ``aim_yaw``'s
    plus key toward the probe's +elevation (the image's "right" for aiming,
    ``trainee.Trainee._steer``), so the fix is the sign opposite the tip's offset."""
    _, elevation, _ = probe_axes(world, probe)
    off = float((np.asarray(tip_mm, float) - np.asarray(probe.contact_mm)) @ elevation)
    return -1 if off > 0 else 1

