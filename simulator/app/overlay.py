"""Marks drawn over the imaging view (and the target's ring on the 3D view).

Learning mode (the supervising clinician's pointer): the target ring, the target and danger
structures outlined, where an out-of-plane target lies and which way to slide, the needle's
path before it enters the skin, and a short guidance text at the foot of the image.

Both modes: the ultrasound depth scale, and a needle seen down the fluoroscopy beam drawn
with its hub's ring (a bull's-eye), as the metal hub shows on a real image; the renderer's
shaft is then a 1-2 pixel dot.
"""

from __future__ import annotations

import math

import numpy as np
import pygame

from simulator.app import guidance, path_check
from simulator.app.draw import TEXT, Text
from simulator.app.hud import tip_place
from simulator.app.imaging import depth_ticks
from simulator.app.screens import key_label, pretty_key
from simulator.imaging.ultrasound.tip_visibility import tip_visible
from simulator.injection import compartment, target_compartment
from simulator.step import slide_entry

TARGET = (80, 235, 120)
DANGER = (255, 70, 60)
PATH = (255, 215, 80)
PATH_OFF = (120, 105, 60)
OUT_OF_PLANE = (255, 190, 70)
TIP = (90, 220, 255)
TIP_UNSEEN = (120, 130, 140)   # the tip's ring while its echo does not stand out
TIP_MARK_MM = 6.0       # the tip is ringed while this close to the scan plane
BULLSEYE_DEG = 15.0     # needle within this of its ray: seen down the beam, hub and shaft drawn
PATH_POINTS = 40
PATH_DASH_MM = 2.5      # the ultrasound path's dashes (and gaps) are this long
OUTLINE_STEP = 2        # ultrasound outlines are traced at half the image's resolution


def _dashed(surf, colour, points) -> None:
    """A dashed polyline through ``points`` (n, 2) screen pixels: every other segment."""
    pts = np.asarray(points, float)
    for k in range(0, len(pts) - 1, 2):
        a, b = pts[k], pts[k + 1]
        if np.all(np.isfinite(a)) and np.all(np.isfinite(b)):
            pygame.draw.line(surf, colour, a, b, 2)


def _ring(surf, colour, centre, radius: float, dashed: bool = False) -> None:
    c = (int(centre[0]), int(centre[1]))
    r = max(int(radius), 6)
    if dashed:
        for k in range(0, 16, 2):
            a0, a1 = k * math.pi / 8, (k + 1) * math.pi / 8
            pygame.draw.arc(surf, colour, (c[0] - r, c[1] - r, 2 * r, 2 * r), a0, a1, 2)
    else:
        pygame.draw.circle(surf, colour, c, r, 2)
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):  # crosshair ticks outside the ring
        pygame.draw.line(surf, colour, (c[0] + dx * (r + 3), c[1] + dy * (r + 3)),
                         (c[0] + dx * (r + 9), c[1] + dy * (r + 9)), 2)


def _edge_arrow(surf, colour, rect: pygame.Rect, point) -> None:
    """An arrow on the edge of ``rect`` pointing at ``point`` outside it."""
    centre = np.array(rect.center, float)
    d = np.asarray(point, float) - centre
    if not np.any(d):
        return
    scale = min((rect.width / 2 - 24) / max(abs(d[0]), 1e-9),
                (rect.height / 2 - 24) / max(abs(d[1]), 1e-9))
    tip = centre + d * scale
    u = d / np.linalg.norm(d)
    n = np.array([-u[1], u[0]])
    pygame.draw.polygon(surf, colour, [tip, tip - 18 * u + 9 * n, tip - 18 * u - 9 * n])
    pygame.draw.line(surf, colour, tip - 16 * u, tip - 40 * u, 3)


def _outline(mask: np.ndarray) -> np.ndarray:
    """Boundary pixels of a boolean mask ``(rows, cols)``."""
    inner = mask.copy()
    inner[1:, :] &= mask[:-1, :]
    inner[:-1, :] &= mask[1:, :]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    return mask & ~inner


def scene_target(surf, text: Text, rect: pygame.Rect, at: tuple[float, float]) -> None:
    """Ring the target on the 3D view (``at``: fractions of its width and height), on top
    of whatever hides it there."""
    centre = (rect.x + at[0] * rect.width, rect.y + at[1] * rect.height)
    if rect.collidepoint(centre):
        _ring(surf, TARGET, centre, 7)
        label = text.render("target", 18, TARGET)
        box = label.get_rect(bottomleft=(centre[0] + 14, centre[1] - 12)).inflate(6, 2)
        pygame.draw.rect(surf, (10, 12, 16), box)
        surf.blit(label, label.get_rect(center=box.center))


class ImagingOverlay:
    """Draws the marks for one world; caches the outlines of the last probe pose."""

    def __init__(self, world, text: Text, bindings, *, learning: bool):
        self.world = world
        self.text = text
        self.learning = learning
        sc = world.scenario
        self.target_label = world.anatomy.structure(sc.targets[0].structure).index
        self.tolerance_mm = sc.targets[0].tolerance_mm
        self.danger_labels = np.array(sorted(world.danger), dtype=np.int64)
        # label -> 0 (nothing to mark), 1 (danger), 2 (target)
        self._lut = np.zeros(256, np.uint8)
        self._lut[self.danger_labels] = 1
        self._lut[self.target_label] = 2
        self._gather_key = None
        self._gather_index: np.ndarray | None = None
        self.bindings = bindings
        self._danger_key = None
        self._danger: tuple = (None, None, None)   # (DangerAhead, away (3,), entry key)
        self._outline_key = None
        self._outline_surface: pygame.Surface | None = None
        self._ticks_key = None
        self._ticks: list[tuple[float, int]] = []   # (image row, cm) of the depth scale
        self._shadow_key = None
        self._shadow_surface: pygame.Surface | None = None
        self.lines: list[tuple[str, tuple]] = []   # the guidance text of the last draw
        self._view_key = None
        self._offsets: dict[tuple, guidance.PlaneOffset] = {}
        self._view: tuple[str, tuple] = ("", TEXT)

    def key_of(self, axis: str, sign: int) -> str:
        """The first key that moves ``axis`` the ``sign`` (+1 / -1) way, or "?"."""
        a = self.bindings.axes.get(axis)
        keys = (a.plus if sign > 0 else a.minus) if a else ()
        return pretty_key(keys[0]) if keys else "?"

    def keys_of(self, *axes: str) -> str:
        """Both keys of each of ``axes``: "I / K / J / L"."""
        return " / ".join(self.key_of(a, sign) for a in axes for sign in (1, -1))

    # -- ultrasound -------------------------------------------------------------------------
    def depth_scale(self, surf, frame, where: pygame.Rect) -> None:
        """Centimetre ticks down the right edge of the ultrasound image (both modes)."""
        key = (frame.probe, frame.image.shape)
        if self._ticks_key != key:
            self._ticks = depth_ticks(frame)
            self._ticks_key = key
        scale = where.height / frame.image.shape[0]
        x = where.right - 6
        for row, cm in self._ticks:
            y = where.top + row * scale
            if not where.top <= y <= where.bottom:
                continue
            pygame.draw.line(surf, (200, 200, 200), (x - (8 if cm % 5 == 0 else 4), y),
                             (x, y), 1)
            if cm and cm % 2 == 0:
                self.text.draw(surf, f"{cm}", (x - 11, y), 16, (200, 200, 200),
                               anchor="midright")

    def ultrasound(self, surf, frame, where: pygame.Rect, state) -> None:
        """Marks over the ultrasound image ``frame`` blitted at ``where``."""
        self.lines = []
        if not self.learning or state.probe is None:
            return
        w = self.world
        scale = where.width / frame.image.shape[1]

        def screen(px):
            return np.asarray(where.topleft, float) + np.asarray(px, float) * scale

        surf.blit(self._outlines(frame, where.size), where.topleft)
        target = w.target_point
        off = self._plane_offset(frame.probe, target)
        inside, px = guidance.in_image(frame, target)
        radius = self.tolerance_mm / frame.pixel_mm * scale
        if inside:
            _ring(surf, TARGET if off.in_plane else OUT_OF_PLANE, screen(px), radius,
                  dashed=not off.in_plane)
        else:
            _edge_arrow(surf, OUT_OF_PLANE, where, screen(px))
        key = self.key_of("probe_across", 1 if off.slide_key_plus else -1)
        if off.in_plane and inside:
            self.lines.append((f"Target (green ring): in the scan plane, "
                               f"{self._depth(frame, target):.0f} mm deep", TARGET))
        elif off.in_plane:
            self.lines.append((f"Target in the plane but outside the image: follow the arrow "
                               f"(slide along the probe: {self.keys_of('probe_along')}; or "
                               f"change the depth: {key_label(self.bindings, 'depth_down')} / "
                               f"{key_label(self.bindings, 'depth_up')})", OUT_OF_PLANE))
        else:
            self.lines.append((f"Target {off.words} from the scan plane: slide the probe that "
                               f"way ({key})", OUT_OF_PLANE))
        n = state.needle
        if not n.in_skin:  # the view matters while choosing the approach
            self.lines.append(self._view_line(frame))
        if n.entry_mm is not None and not n.in_skin:
            near = self._ultrasound_path(surf, frame, where, n.entry_mm, n.direction,
                                         w.scenario.needle.length_mm)
            self.lines.append(("Dashed line: the needle's path if advanced from here"
                               + ("" if near.all() else " (dim: outside the scan plane)"), PATH))
            self._warn_danger(n, shown_on="ultrasound")
        elif n.in_skin:   # the path ahead of the tip: the hidden tip is steered by it
            self._ultrasound_path(surf, frame, where, n.tip_mm, n.direction,
                                  w.scenario.needle.length_mm - n.depth_mm)
            tip = self._plane_offset(frame.probe, n.tip_mm)
            tip_px = frame.pixel_of(np.asarray(n.tip_mm))[0]
            seen = tip_visible(w, frame.probe, np.linalg.inv(frame.world_from_probe), n)
            if abs(tip.distance_mm) <= TIP_MARK_MM:  # where the tip is (the ring stays on it)
                pygame.draw.circle(surf, TIP if seen else TIP_UNSEEN, screen(tip_px), 5, 2)
            to_target = guidance.image_offset_words(frame.pixel_mm, tip_px, px)
            to_target = "the tip is on the target in the image" if to_target == "on it" \
                else f"the target is {to_target} from the tip"
            if tip.in_plane:
                self.lines.append((f"Tip in the plane; {to_target}", TEXT))
            else:  # steer back as it advances, or slide the plane onto the tip to find it
                steer = self.key_of("aim_yaw", guidance.steer_toward_plane_sign(
                    w, frame.probe, n.tip_mm))
                slide = self.key_of("probe_across", 1 if tip.slide_key_plus else -1)
                self.lines.append((f"Tip {tip.words} from the scan plane: steer back toward "
                                   f"the plane ({steer}) as you advance, or slide the probe "
                                   f"that way ({slide}) to find the tip; {to_target}",
                                   OUT_OF_PLANE))
            if tip.in_plane and not seen:
                rock = self.key_of("probe_rock", guidance.rock_toward_needle_sign(
                    w, frame.probe, n.direction))
                self.lines.append((f"The tip does not show in the image (grey ring): aim "
                                   f"flatter ({self.key_of('aim_pitch', 1)}) or rock the "
                                   f"probe toward the needle ({rock}) before advancing",
                                   OUT_OF_PLANE))
            self._warn_danger(n, shown_on="ultrasound")

    def _ultrasound_path(self, surf, frame, where: pygame.Rect, start_mm, direction,
                         length_mm: float) -> np.ndarray:
        """The straight path ``length_mm`` on from ``start_mm`` (3,) along unit
        ``direction`` (3,) dashed over the image at ``where`` (clipped to it), dim where it
        is outside the slice (it will not show there); returns which of its n points (one
        every ``PATH_DASH_MM``) lie in the slice, (n,) bool."""
        length_mm = max(length_mm, 0.0)
        count = max(2, math.ceil(length_mm / PATH_DASH_MM) + 1)
        path = np.asarray(start_mm, float) + np.linspace(0.0, length_mm, count)[:, None] \
            * np.asarray(direction, float)                                 # (n, 3) mm
        probe_from_world = np.linalg.inv(frame.world_from_probe)
        elevation_mm = path @ probe_from_world[1, :3] + probe_from_world[1, 3]
        near = np.abs(elevation_mm) <= guidance.IN_PLANE_MM
        scale = where.width / frame.image.shape[1]
        points = np.asarray(where.topleft, float) + frame.pixel_of(path) * scale
        clip = surf.get_clip()
        surf.set_clip(where)
        _dashed(surf, PATH_OFF, points)
        _dashed(surf, PATH, np.where(near[:, None], points, np.nan))
        surf.set_clip(clip)
        return near

    def _plane_offset(self, probe, point_mm) -> guidance.PlaneOffset:
        """``guidance.plane_offset`` remembered for the last few (probe, point): it slides a
        trial probe over the skin, and the window draws several times per image."""
        key = (probe, tuple(np.asarray(point_mm, float).tolist()))
        off = self._offsets.get(key)
        if off is None:
            if len(self._offsets) >= 8:
                self._offsets.clear()
            off = self._offsets[key] = guidance.plane_offset(self.world, probe, point_mm)
        return off

    def _view_line(self, frame) -> tuple[str, tuple]:
        """The standard view's grade and the first thing to change (cached per pose)."""
        key = (frame.probe, frame.tick)
        if self._view_key != key:
            q = guidance.view_quality(self.world, frame, self.key_of)
            colour = {"good": TARGET, "fair": OUT_OF_PLANE}.get(q.grade, DANGER)
            self._view = (f"View ({q.name}): {q.grade}, {q.met}/{len(q.checks)}: "
                          f"{q.advice}", colour)
            self._view_key = key
        return self._view

    def _depth(self, frame, point) -> float:
        probe_from_world = np.linalg.inv(frame.world_from_probe)
        local = probe_from_world[:3, :3] @ np.asarray(point) + probe_from_world[:3, 3]
        return float(local[2])

    def _gather(self, frame) -> np.ndarray:
        """``(rows, cols)`` index into the frame's flattened ``label`` of every
        ``OUTLINE_STEP``-th image pixel (nearest sample; outside the sector: -1). Cached per
        scan geometry and image size."""
        key = (frame.geometry, frame.image.shape)
        if key != self._gather_key:
            from simulator.imaging.ultrasound.scanconvert import scan_conversion

            sc = scan_conversion(frame.geometry, frame.image.shape)
            n_lines, n_samples = frame.label.shape
            li = np.clip(np.rint(sc.line).astype(np.int64), 0, n_lines - 1)
            si = np.clip(np.rint(sc.sample).astype(np.int64), 0, n_samples - 1)
            index = np.where(sc.line >= 0, li * n_samples + si, -1).astype(np.int32)
            self._gather_index = np.ascontiguousarray(index[::OUTLINE_STEP, ::OUTLINE_STEP])
            self._gather_key = key
        return self._gather_index

    def _outlines(self, frame, size) -> pygame.Surface:
        """Target (green) and danger (red) structures outlined in the image plane."""
        key = (frame.probe, frame.image.shape, tuple(size))
        if key == self._outline_key and self._outline_surface is not None:
            return self._outline_surface
        index = self._gather(frame)
        # (rows, cols): 0 nothing (or outside the sector), 1 danger, 2 target
        labels = self._lut[frame.label.ravel().take(index, mode="clip")] * (index >= 0)
        edges = np.where(_outline(labels > 0) | _outline(labels == 2), labels, 0)
        surface = pygame.image.frombuffer(np.ascontiguousarray(edges).tobytes(),
                                          (labels.shape[1], labels.shape[0]), "P")
        surface.set_palette([(0, 0, 0), DANGER, TARGET] + [(0, 0, 0)] * 253)
        surface.set_colorkey(0)
        if surface.get_size() != tuple(size):
            surface = pygame.transform.scale(surface, size)
        self._outline_key, self._outline_surface = key, surface
        return surface

    # -- fluoroscopy ------------------------------------------------------------------------
    def fluoroscopy(self, surf, frame, where: pygame.Rect, shown_state, state) -> None:
        """Marks over the fluoroscopy image ``frame`` (exposed for ``shown_state``)."""
        self.lines = []
        proj = frame.projection
        scale = where.width / frame.image.shape[1]

        def screen(points):
            return np.asarray(where.topleft, float) + proj.project(np.asarray(points)) * scale

        n = shown_state.needle
        if n.entry_mm is not None:  # down the beam: the hub's ring around the shaft
            tip = np.asarray(n.tip_mm)
            hub = tip - np.asarray(n.direction) * self.world.scenario.needle.length_mm
            ray = hub - np.asarray(proj.source_mm)
            cos = abs(float(np.asarray(n.direction) @ ray / np.linalg.norm(ray)))
            if cos > math.cos(math.radians(BULLSEYE_DEG)):
                ends = screen(np.array([tip, hub]))
                c = (int(ends[1][0]), int(ends[1][1]))
                pygame.draw.line(surf, (10, 10, 10), ends[0], ends[1], 3)
                pygame.draw.circle(surf, (250, 250, 250), c, 11, 2)
                pygame.draw.circle(surf, (10, 10, 10), c, 8, 3)
        if not self.learning:
            return
        surf.blit(self._danger_shadows(frame, where.size, scale), where.topleft)
        target = np.asarray(self.world.target_point, float)
        t_px = screen(target[None])[0]
        mm_per_px = proj.pixel_mm / proj.magnification_at_isocentre / scale
        if where.collidepoint(t_px):
            _ring(surf, TARGET, t_px, self.tolerance_mm / mm_per_px)
            self.lines.append(("Target (green ring) and danger structures (red), as "
                               "projected on this image", TARGET))
        else:
            _edge_arrow(surf, OUT_OF_PLANE, where, t_px)
            self.lines.append((f"Target outside the image: follow the arrow (move the C-arm: "
                               f"{self.keys_of('carm_orbital', 'carm_cranial')}, or the table: "
                               f"{self.keys_of('carm_lateral', 'carm_superior')}; then take an "
                               f"image: {key_label(self.bindings, 'shot')})", OUT_OF_PLANE))
        live = state.needle
        if live.entry_mm is not None and not live.in_skin:
            path = [np.asarray(live.entry_mm) + np.asarray(live.direction) * t for t in
                    np.linspace(0.0, self.world.scenario.needle.length_mm, PATH_POINTS)]
            _dashed(surf, PATH, screen(np.array(path)))
            self.lines.append(("Dashed line: the needle's path if advanced from here", PATH))
        elif n.in_skin:
            words = guidance.fluoro_offset_words(screen(np.asarray(n.tip_mm)[None])[0], t_px,
                                                 mm_per_px)
            self.lines.append(("On this image the tip is on the target" if words == "on it"
                               else f"On this image the target is {words} from the tip", TEXT))
        if live.in_skin:
            self.lines.append(self._depth_line(live))
        if live.entry_mm is not None:
            self._warn_danger(live, shown_on="fluoroscopy", screen_of=screen)

    def _depth_line(self, needle) -> tuple[str, tuple]:
        """How deep the tip is relative to the target along the shaft, as a supervisor says
        it at a fluoroscopy screen (the beam shows no depth), and how to check it."""
        to_go = path_check.depth_to_target_mm(self.world, needle.tip_mm, needle.direction)
        check = f"feel for bone, or orbit the C-arm ({self.keys_of('carm_orbital')}) and " \
                "take an image for an oblique view"
        if to_go > guidance.SAY_IN_PLANE_MM:
            return (f"Depth: the tip is {to_go:.0f} mm short of the target along the needle: "
                    f"advance ({self.key_of('advance', 1)}); to check, {check}", TEXT)
        if to_go < -guidance.SAY_IN_PLANE_MM:
            return (f"Depth: the tip is {-to_go:.0f} mm past the target: pull back "
                    f"({self.key_of('retract', 1)})", OUT_OF_PLANE)
        where, wanted = compartment(self.world, needle), target_compartment(self.world)
        if where != wanted:   # level, but in the capsule wall or beside the recess
            return (f"Depth: the tip is level with the target but in the "
                    f"{tip_place(self.world, needle)}, not where the drug must go: advance a "
                    f"little ({self.key_of('advance', 1)}) and check with a test dose of "
                    "contrast", OUT_OF_PLANE)
        return ("Depth: the tip is level with the target", TARGET)

    def _warn_danger(self, needle, shown_on: str, screen_of=None) -> None:
        """A warning line when the needle's path (from the entry before the puncture, from
        the tip after it) heads for a danger structure: which way to move the entry, or to
        pull back and re-aim, with the keys. ``screen_of``: fluoroscopy's world (n, 3) mm ->
        screen (n, 2) px, where the entry keys move the entry up / right on the image."""
        start = needle.tip_mm if needle.in_skin else needle.entry_mm
        key = (start, needle.direction, needle.in_skin, shown_on)
        if key != self._danger_key:   # the slow part, once per needle pose
            ahead = path_check.danger_ahead(self.world, start, needle.direction)
            away = None if ahead is None or needle.in_skin else \
                self._away_from(ahead, start, needle.direction)
            entry_key = None if away is None or screen_of is not None else \
                self._entry_key(needle, away, None)
            self._danger_key, self._danger = key, (ahead, away, entry_key)
        ahead, away, entry_key = self._danger
        if ahead is None:
            return
        name = ahead.structure.replace("_", " ")
        if shown_on == "fluoroscopy":
            hidden = " (not seen on X-ray)"
        else:
            note = path_check.SUPERVISOR_NOTES.get(ahead.structure, "")
            hidden = f" ({note})" if note else ""
        if away is None:
            fix = f"pull back ({self.key_of('retract', 1)}) and re-aim " \
                  f"({self.keys_of('aim_pitch', 'aim_yaw')})"
        else:   # fluoroscopy's key follows the C-arm: asked at each draw
            fix = f"move the entry {guidance.direction_words(self.world, away)} " \
                  f"({entry_key or self._entry_key(needle, away, screen_of)})"
        self.lines.insert(0, (f"DANGER: the path meets the {name} in "
                              f"{ahead.distance_mm:.0f} mm{hidden}: {fix}", DANGER))

    def _away_from(self, ahead, start_mm, direction) -> np.ndarray:
        """Unit (3,) world direction, across the path from ``start_mm`` (3,) along unit
        ``direction`` (3,), away from the side the danger structure ``ahead`` lies on: its
        surface point nearest the path, up to where it was met."""
        d = np.asarray(direction, float)
        rel = self.world.anatomy.structure(ahead.structure).vertices - np.asarray(start_mm)
        along = rel @ d                                                   # (n,)
        across = rel - along[:, None] * d                                 # (n, 3)
        reach = ahead.distance_mm + path_check.DANGER_MARGIN_MM
        dist = np.where((along >= 0.0) & (along <= reach),
                        np.linalg.norm(across, axis=1), np.inf)
        side = across[int(np.argmin(dist))]
        return -side / max(float(np.linalg.norm(side)), 1e-9)

    def _entry_key(self, needle, move, screen_of) -> str:
        """The entry key that moves the entry most nearly along world ``move`` (3,):
        fluoroscopy's keys move it up / right on the image (``screen_of``), ultrasound's
        forward / sideways along the skin (measured with the step's own slide)."""
        entry = np.asarray(needle.entry_mm, float)
        if screen_of is not None:
            here, there = screen_of(np.array([entry, entry + 10.0 * move]))   # (2, 2) px
            right, up = there[0] - here[0], here[1] - there[1]
        else:
            up, right = (float((np.asarray(slide_entry(self.world, needle, unit, []).entry_mm)
                                - entry) @ move) for unit in ((1.0, 0.0), (0.0, 1.0)))
        if abs(right) > abs(up):
            return self.key_of("entry_sideways", 1 if right > 0 else -1)
        return self.key_of("entry_forward", 1 if up > 0 else -1)

    def _danger_shadows(self, frame, size, scale: float) -> pygame.Surface:
        """The danger structures' outlines as projected on a fluoroscopy image (their
        triangles filled into silhouettes, inside the exposed field): what the image does
        not show."""
        proj = frame.projection
        key = (proj.key(), tuple(size))
        if key == self._shadow_key and self._shadow_surface is not None:
            return self._shadow_surface
        w, h = size
        canvas = pygame.Surface((w, h), depth=8)
        for label in self.danger_labels:
            s = self.world.anatomy.structures[label - 1]
            px = proj.project(s.vertices) * scale
            for tri in px[s.faces]:
                pygame.draw.polygon(canvas, 1, tri)
        mask = pygame.surfarray.array2d(canvas).T > 0
        rows = np.minimum((np.arange(h) / scale).astype(np.int64), frame.exposed.shape[0] - 1)
        cols = np.minimum((np.arange(w) / scale).astype(np.int64), frame.exposed.shape[1] - 1)
        exposed = frame.exposed[rows[:, None], cols[None, :]]
        rgba = np.zeros((h, w, 4), np.uint8)
        rgba[_outline(mask) & exposed] = (*DANGER, 255)
        surface = pygame.image.frombuffer(rgba.tobytes(), (w, h), "RGBA").convert_alpha()
        self._shadow_key, self._shadow_surface = key, surface
        return surface

    # -- the text ---------------------------------------------------------------------------
    def draw_lines(self, surf, rect: pygame.Rect) -> None:
        """The guidance text at the foot of the imaging panel, over a dark band."""
        if not self.lines:
            return
        size, step = 19, 20
        wrapped = [(line, colour) for text, colour in self.lines
                   for line in self.text.wrap(text, rect.width - 20, size)]
        band = pygame.Rect(rect.x, rect.bottom - 8 - step * len(wrapped), rect.width,
                           8 + step * len(wrapped))
        shade = pygame.Surface(band.size, pygame.SRCALPHA)
        shade.fill((0, 0, 0, 170))
        surf.blit(shade, band.topleft)
        for k, (line, colour) in enumerate(wrapped):
            self.text.draw(surf, line, (rect.x + 10, band.y + 4 + k * step), size, colour)

