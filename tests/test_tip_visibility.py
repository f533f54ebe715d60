""""Tip in view" means what the screen shows: the metric's verdict (``tip_visible``, no
rendering) agrees with the tip a person can find in the rendered display image.

Each case renders the app's ultrasound image (its size in the 1280 x 720 window) of the hip
with an in-plane needle and measures that image with a simple observer: the mean grey along
the last few millimetres of the shaft and of the spot at the tip, against the spread of the
same measure beside them (a signal-to-noise ratio of the display, in grey levels). On 72
frames judged blind at screen scale (hip and knee, 20-70 deg, 5-60 mm; the table in
``tip_visibility``), hip frames where the tip was found had a line SNR of 5.6 or more (median
8), frames where it was not of 5.8 or less (median 3.3), and no frame's tip was found from
its spot alone (spot SNR at most 5.9); the cases here are clear of that overlap.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.ndimage import map_coordinates

from simulator.geometry import invert
from simulator.imaging.ultrasound import render_ultrasound
from simulator.imaging.ultrasound.tip_visibility import tip_contrast_db, tip_visible
from simulator.probe import place_probe, world_from_probe
from simulator.session import Session

APP_SHAPE = (480, 640)   # rows, cols of the ultrasound image in the app's 1280 x 720 window
LINE_MM = 6.0            # the stretch of shaft a person follows to the tip
SEEN_SNR = 6.0           # line SNR at or above which the tip was found
HIDDEN_SNR = 5.0         # line SNR below which it was not...
LONE_SPOT_SNR = 6.0      # ...unless the spot stood out this far (no judged frame's did)


@pytest.fixture(scope="module")
def hip(hip_us_world):
    """The hip and its starting probe pose (transverse over the femoral head: muscle
    to 40 mm, the recess at 57 mm beside the head)."""
    world = hip_us_world
    return world, Session(world, seed=0).state


def _needle(world, state, angle_deg: float, lateral_mm: float, depth_mm: float,
            elevation_mm: float = 0.0):
    """The state with a needle in the image plane at ``angle_deg`` to the probe face, its tip
    ``depth_mm`` below the face and ``lateral_mm`` along it (moved ``elevation_mm`` off the
    plane)."""
    wfp = world_from_probe(world, state.probe)
    phi = math.radians(angle_deg)
    tip = np.array([lateral_mm, elevation_mm, depth_mm])
    direction = np.array([math.cos(phi), 0.0, math.sin(phi)])
    length = depth_mm / math.sin(phi) + 5.0
    entry = wfp[:3, :3] @ (tip - length * direction) + wfp[:3, 3]
    tip_world = wfp[:3, :3] @ tip + wfp[:3, 3]
    needle = replace(state.needle, entry_mm=tuple(entry),
                     direction=tuple(wfp[:3, :3] @ direction), depth_mm=length,
                     in_skin=True, heading=None,
                     tip_label=int(world.anatomy.label_at(tip_world)))
    return replace(state, needle=needle)


def _strip_means(image, start, u, pixel_mm, offsets_mm):
    """Mean grey along ``LINE_MM`` back from ``start`` (pixels, ``(2,)``) against the unit
    image direction ``u``, shifted sideways by each offset."""
    v = np.array([-u[1], u[0]])
    s = np.arange(0.0, LINE_MM / pixel_mm, 0.5)
    out = []
    for o in offsets_mm:
        pts = start[None, :] - s[:, None] * u[None, :] + (o / pixel_mm) * v[None, :]
        out.append(map_coordinates(image, [pts[:, 1], pts[:, 0]], order=1, mode="nearest")
                   .mean())
    return np.array(out)


def _display_snr(frame, state) -> tuple[float, float]:
    """(line SNR, spot SNR) of the needle's end in the display image."""
    image = frame.image.astype(float)
    n = state.needle
    tip, entry = frame.pixel_of(np.array([n.tip_mm, n.entry_mm]))
    u = (tip - entry) / np.linalg.norm(tip - entry)
    beside_mm = np.concatenate([-np.arange(1.5, 5.01, 0.5), np.arange(1.5, 5.01, 0.5)])
    line = _strip_means(image, tip, u, frame.pixel_mm, [0.0])[0]
    beside = _strip_means(image, tip, u, frame.pixel_mm, beside_mm)
    line_snr = (line - beside.mean()) / max(beside.std(), 1.0)
    # the spot: a 0.5 mm disk at the tip against disks 2-5 mm around it (not on the shaft)
    r = max(0.5 / frame.pixel_mm, 1.0)
    yy, xx = np.mgrid[-8:9, -8:9]
    disk = np.hypot(xx, yy) <= r

    def spot(c):
        ci, ri = int(round(c[0])), int(round(c[1]))
        return image[ri - 8:ri + 9, ci - 8:ci + 9][disk].mean()

    around = [spot(tip + mm / frame.pixel_mm * w)
              for mm in (2.0, 3.0, 4.0, 5.0)
              for a in np.linspace(0.0, 2.0 * math.pi, 16, endpoint=False)
              if (w := np.array([math.cos(a), math.sin(a)])) @ -u < math.cos(math.radians(25))]
    spot_snr = (spot(tip) - np.mean(around)) / max(np.std(around), 1.0)
    return float(line_snr), float(spot_snr)


def _verdicts(world, state):
    frame = render_ultrasound(world, state, image_shape=APP_SHAPE)
    pfw = invert(frame.world_from_probe)
    return (_display_snr(frame, state), tip_visible(world, state.probe, pfw, state.needle),
            tip_contrast_db(world, state.probe, pfw, state.needle))


@pytest.mark.parametrize("angle_deg, lateral_mm, depth_mm", [(20, 0, 30), (20, 0, 40),
                                                              (30, 0, 40)])
def test_a_tip_the_screen_shows_is_in_view(hip, angle_deg, lateral_mm, depth_mm):
    world, state = hip
    (line, spot), seen, contrast = _verdicts(world, _needle(world, state, angle_deg,
                                                            lateral_mm, depth_mm))
    assert line >= SEEN_SNR, (line, spot)
    assert seen, contrast


@pytest.mark.parametrize("angle_deg, lateral_mm, depth_mm", [(60, 0, 30), (60, 0, 40),
                                                              (60, 20, 57), (50, 0, 30)])
def test_a_steep_tip_the_screen_does_not_show_is_not_in_view(hip, angle_deg, lateral_mm,
                                                             depth_mm):
    """The play-test's approach: steep and deep, where only the first centimetres of shaft
    show and the bevel's dot is one grain among the speckle."""
    world, state = hip
    (line, spot), seen, contrast = _verdicts(world, _needle(world, state, angle_deg,
                                                            lateral_mm, depth_mm))
    assert line < HIDDEN_SNR and spot < LONE_SPOT_SNR, (line, spot)
    assert not seen, contrast


def test_a_shallow_needle_off_the_plane_is_not_in_view(hip):
    """Inside the slice's geometric slab but too far off the plane for its echo to show."""
    world, state = hip
    (line, spot), seen, contrast = _verdicts(world, _needle(world, state, 20, 0, 40,
                                                            elevation_mm=3.0))
    assert line < HIDDEN_SNR and spot < LONE_SPOT_SNR, (line, spot)
    assert not seen, contrast


def test_a_tip_shown_by_its_shadow_wedge_is_in_view(block_world):
    """Under a linear array's thin slice a steep shaft barely echoes in muscle but darkens the
    tissue beneath it: the dark wedge's apex shows where the tip is."""
    world = block_world
    state = Session(world, seed=0).state
    state = replace(state, probe=place_probe(world, (0.0, 40.0, 0.0), (0.0, 1.0, 0.0), 0.0,
                                             0.0, state.probe))
    state = _needle(world, state, 50, 0, 30)
    frame = render_ultrasound(world, state, image_shape=APP_SHAPE)
    image = frame.image.astype(float)
    tip, entry = frame.pixel_of(np.array([state.needle.tip_mm, state.needle.entry_mm]))
    u = (tip - entry) / np.linalg.norm(tip - entry)
    down = np.array([0.0, 1.0])
    # the wedge: 1-3 mm beneath the last 6 mm of shaft; beside it: as far beyond the tip
    wedge = [_strip_means(image, tip + mm / frame.pixel_mm * down, u, frame.pixel_mm, [0.0])[0]
             for mm in (1.0, 2.0, 3.0)]
    beyond = tip + LINE_MM / frame.pixel_mm * u
    beside = [_strip_means(image, beyond + mm / frame.pixel_mm * down, u, frame.pixel_mm,
                           [0.0])[0] for mm in (1.0, 2.0, 3.0)]
    darker_db = (np.mean(beside) - np.mean(wedge)) / (255.0 / 60.0)   # display: 60 dB range
    (line, _), seen, contrast = _verdicts(world, state)
    assert darker_db >= 3.0, darker_db
    assert line < SEEN_SNR, line   # the shaft itself does not show the tip
    assert seen and contrast.shadow_db >= 3.0, contrast


@pytest.mark.parametrize("angle_deg, depth_mm, shown", [(60, 40, False), (20, 30, True)])
def test_learning_mode_says_when_the_tip_does_not_show(hip, angle_deg, depth_mm, shown):
    """The play-test's first attempt advanced a steep needle whose tip the image no longer
    showed while the tip's ring kept marking it: learning mode now greys the ring and names
    the keys that bring the tip back, and says nothing of it while the tip shows."""
    from simulator.app.loop import headless_env

    headless_env()
    import pygame

    from simulator.app.bindings import load_bindings
    from simulator.app.draw import Text
    from simulator.app.overlay import ImagingOverlay

    world, state = hip
    needled = _needle(world, state, angle_deg, 0.0, depth_mm)
    frame = render_ultrasound(world, needled)
    overlay = ImagingOverlay(world, Text(), load_bindings(), learning=True)
    surf = pygame.Surface((640, 480))
    overlay.ultrasound(surf, frame, surf.get_rect(), needled)
    warned = [text for text, _ in overlay.lines if "does not show" in text]
    assert bool(warned) is not shown, overlay.lines
    if warned:
        assert "(W)" in warned[0] and "rock the probe" in warned[0], warned[0]
