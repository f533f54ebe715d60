"""Learning-mode guidance in a trainee's words: where the target and the needle tip are
relative to the ultrasound scan plane or in the fluoroscopy image, and which way to move.

Pure geometry on the state and the frame on screen (no drawing); :mod:`simulator.app.overlay`
draws it. Directions are anatomical ("toward the patient's head") for the plane, and image
terms ("deeper", "to the right on the image") inside an image. World frame: RAS mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.probe import move_probe, probe_axes

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
    """One thing the standard view needs: met or not, and what to change if not."""

    ok: bool
    advice: str


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


def view_quality(world, frame) -> ViewQuality:
    """Grade ``frame`` (an ultrasound frame) against the scenario's standard view from the
    structures its pixels show (``frame.label``, (n_lines, n_samples): what a trainee sees),
    never from positions hidden in the 3D anatomy: the target in the image, each landmark in
    the image across at least its share of the width, and (unless the view says otherwise)
    the target in the image's middle third."""
    spec = world.scenario.standard_view
    lines = frame.label.shape[0]

    def across(structure: str) -> np.ndarray:
        """(n_lines,) bool: the image columns (beam lines) the structure shows in."""
        return (frame.label == world.anatomy.structure(structure).index).any(axis=1)

    target = world.scenario.targets[0].structure
    shown = across(target)
    pretty = target.replace("_", " ")
    if shown.any():
        checks = [ViewCheck(True, "")]
        middle = float(np.flatnonzero(shown).mean() + 0.5) / lines
        side = "left" if middle < MIDDLE_THIRD[0] else "right"
        centred = ViewCheck(MIDDLE_THIRD[0] <= middle <= MIDDLE_THIRD[1],
                            f"the {pretty} sits in the {side} third: slide the probe along "
                            "its length to bring it to the middle")
    else:
        off = plane_offset(world, frame.probe, world.target_point)
        where = f"it is {off.words} from the plane: slide that way" if not off.in_plane \
            else "it is beside the image: slide along the probe or change the depth"
        checks = [ViewCheck(False, f"the {pretty} is not in the image: {where}")]
        centred = ViewCheck(False, "")
    for mark in spec.landmarks if spec else ():
        share = float(across(mark.structure).mean())
        name = mark.structure.replace("_", " ")
        if share == 0.0:
            advice = f"no {name} in the image" + (f": {spec.how}" if spec.how else "")
        else:
            advice = f"the {name} crosses only {share:.0%} of the image: rotate the probe " \
                     "until it runs across the image (long axis)"
        checks.append(ViewCheck(share > 0.0 and share >= mark.min_width_share, advice))
    if spec is None or spec.target_centred:
        checks.append(centred)  # last: centre the view once it shows the right structures
    return ViewQuality(spec.name if spec else f"the {pretty} in view", tuple(checks))
