"""The off-screen 3D view: it draws the tools where the state puts them, and the overlays
only where the mode allows."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyvista")

from simulator.state import Action  # noqa: E402
from simulator.step import initial_state, step  # noqa: E402
from simulator.viz.scene3d import Camera, Scene3D, View  # noqa: E402

SIZE = (320, 200)


@pytest.fixture(scope="module")
def scenes(block_world):
    learning = Scene3D(block_world, SIZE)
    assessment = Scene3D(block_world, SIZE, allow_overlays=False)
    yield learning, assessment
    learning.close()
    assessment.close()


def changed(a: np.ndarray, b: np.ndarray) -> int:
    return int((np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 30).sum())


def test_needle_and_probe_move_with_the_state(block_world, scenes):
    scene, _ = scenes
    cam = Camera(35.0, 40.0, 300.0)
    s0 = initial_state(block_world)
    base = scene.render(View.of(s0, cam))
    assert base.shape == (SIZE[1], SIZE[0], 3)
    # beside the probe (not hidden inside its body)
    placed, _ = step(block_world, s0, Action(place_needle=((0.0, 40.0, 30.0),
                                                           (0.3, -0.9, 0.0))))
    assert placed.needle.entry_mm is not None
    with_needle = scene.render(View.of(placed, cam))
    assert changed(base, with_needle) > 80  # the needle appeared
    slid = placed
    for _ in range(30):
        slid, _ = step(block_world, slid, Action(probe_slide_mm_s=(30.0, 0.0)))
    moved = scene.render(View.of(slid, cam))
    assert changed(with_needle, moved) > 200  # the probe moved
    again = scene.render(View.of(placed, cam))
    assert changed(with_needle, again) == 0  # a pure view: same state, same picture


def test_overlays_only_where_the_mode_allows(block_world, scenes):
    learning, assessment = scenes
    s0 = initial_state(block_world)
    cam = Camera(35.0, 40.0, 300.0)
    plain = learning.render(View.of(s0, cam, overlays=False))
    anatomy = learning.render(View.of(s0, cam, overlays=True))
    assert changed(plain, anatomy) > 1000  # translucent skin, bone, vessels, target
    hidden = assessment.render(View.of(s0, cam, overlays=True))
    assert changed(plain, hidden) == 0
