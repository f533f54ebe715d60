"""Learning mode keeps the needle's straight path drawn ahead of the tip once the needle is
in tissue (the play-test lost it at the skin puncture, us_12_aim vs us_13_adv, and with the
tip hidden steered from text only), clipped to the image."""

from __future__ import annotations

import numpy as np
import pytest
from test_tip_visibility import _needle

from simulator.app.loop import headless_env
from simulator.imaging.ultrasound import render_ultrasound
from simulator.session import Session

headless_env()
pygame = pytest.importorskip("pygame")

MARGIN = 100   # px of window around the image


def _draw(world, state):
    """The learning-mode overlay over the ultrasound image of ``state``, the image at
    ``where`` inside a larger black window; returns (window rgb (w, h, 3), where, frame)."""
    from simulator.app.bindings import load_bindings
    from simulator.app.draw import Text
    from simulator.app.overlay import ImagingOverlay

    frame = render_ultrasound(world, state)
    rows, cols = frame.image.shape[:2]
    surf = pygame.Surface((cols + 2 * MARGIN, rows + 2 * MARGIN))
    where = pygame.Rect(MARGIN, MARGIN, cols, rows)
    ImagingOverlay(world, Text(), load_bindings(), learning=True).ultrasound(
        surf, frame, where, state)
    return pygame.surfarray.array3d(surf), where, frame


def _path_pixels(rgb) -> np.ndarray:
    """(n, 2) x, y of the pixels in the path's colours (bright, and dim off the plane)."""
    from simulator.app.overlay import PATH, PATH_OFF

    hit = np.zeros(rgb.shape[:2], bool)
    for colour in (PATH, PATH_OFF):
        hit |= (rgb == colour).all(axis=2)
    return np.argwhere(hit)


@pytest.mark.parametrize("angle_deg, lateral_mm, depth_mm", [(60, 0.0, 40.0),
                                                               (20, 60.0, 15.0)])
def test_the_path_ahead_of_the_tip_is_drawn_in_tissue_and_clipped_to_the_image(
        hip_us_world, angle_deg, lateral_mm, depth_mm):
    world = hip_us_world
    state = _needle(world, Session(world, seed=0).state, angle_deg, lateral_mm, depth_mm)
    n = state.needle
    rgb, where, frame = _draw(world, state)
    pixels = _path_pixels(rgb)
    tip_px = np.asarray(where.topleft) + frame.pixel_of(np.asarray(n.tip_mm))[0]
    on_mm = np.asarray(n.tip_mm) + 20.0 * np.asarray(n.direction)
    ahead = (np.asarray(where.topleft) + frame.pixel_of(on_mm)[0]) - tip_px
    along = (pixels - tip_px) @ (ahead / np.linalg.norm(ahead))
    assert (along > 5.0).sum() > 20, "no path drawn ahead of the tip"
    assert (along < -5.0).sum() == 0, "the path is drawn behind the tip"
    inside = ((pixels[:, 0] >= where.left) & (pixels[:, 0] < where.right)
              & (pixels[:, 1] >= where.top) & (pixels[:, 1] < where.bottom))
    assert inside.all(), "the path is drawn outside the image"


def test_the_unclipped_path_of_the_shallow_case_leaves_the_image(hip_us_world):
    """The clipping above is tested: the shallow needle's path runs past the image."""
    world = hip_us_world
    state = _needle(world, Session(world, seed=0).state, 20, 60.0, 15.0)
    n = state.needle
    frame = render_ultrasound(world, state)
    end = np.asarray(n.tip_mm) + (world.scenario.needle.length_mm - n.depth_mm) \
        * np.asarray(n.direction)
    x, y = frame.pixel_of(end)[0]
    rows, cols = frame.image.shape[:2]
    assert not (0 <= x < cols and 0 <= y < rows), (x, y, cols, rows)


def test_no_path_is_drawn_in_assessment_mode(hip_us_world):
    from simulator.app.bindings import load_bindings
    from simulator.app.draw import Text
    from simulator.app.overlay import ImagingOverlay

    world = hip_us_world
    state = _needle(world, Session(world, seed=0).state, 60, 0.0, 40.0)
    frame = render_ultrasound(world, state)
    surf = pygame.Surface(frame.image.shape[1::-1])
    ImagingOverlay(world, Text(), load_bindings(), learning=False).ultrasound(
        surf, frame, surf.get_rect(), state)
    assert len(_path_pixels(pygame.surfarray.array3d(surf))) == 0
