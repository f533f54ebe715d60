"""What the trainer app's controls do: aiming keys relative to the image, the C-arm/probe
switch of a two-modality case, mouse orbiting of the 3D view, screenshot and help keys, and
what assessment mode hides.

Runs the real window loop (``App.frame``) headless under SDL's dummy video driver, posting
synthetic events.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.register_assert_rewrite("app_driver")  # its checks report like a test's

from app_driver import Driver, both_variant, pygame  # noqa: E402

from simulator.app.loop import App  # noqa: E402
from simulator.app.results import LOG_NAME  # noqa: E402
from simulator.log import read_log  # noqa: E402

pytest_plugins = ["app_driver"]  # fixtures: make_app, fluoro_scenario, fluoro_world


def test_aiming_is_relative_to_the_image(make_app, fluoro_world, fluoro_scenario):
    """'Tip up' moves the tip up the fluoroscopy image; 'right' moves it right on it."""
    from simulator.imaging.fluoro.render import projection_for

    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    d.tap(pygame.K_n)
    d.key(pygame.K_SPACE)
    d.frames(90)
    d.key(pygame.K_SPACE, False)
    d.frames(1)
    pr = projection_for(app.world, app.state.carm, 512)

    def tip_px():
        x, y, w = pr.pixel_from_world @ np.r_[np.asarray(app.state.needle.tip_mm), 1.0]
        return np.array([x / w, y / w])

    for key, axis, sign in ((pygame.K_w, 1, -1), (pygame.K_d, 0, 1)):
        before = tip_px()
        d.key(key)
        d.frames(30)
        d.key(key, False)
        d.frames(1)
        moved = tip_px() - before
        assert sign * moved[axis] > 0.5, (key, moved)
        assert abs(moved[1 - axis]) < 0.5 * abs(moved[axis]), (key, moved)


def test_both_modalities_switch_tool_and_view(make_app, block_scenario):
    from simulator.loading import load_world

    path = both_variant(block_scenario)
    app = make_app(load_world(path), path)
    d = Driver(app)
    assert (app.trainee.tool, app.trainee.view) == ("probe", "ultrasound")
    d.settle(lambda: "ultrasound" in app.imaging.surfaces)
    probe = app.state.probe
    d.key(pygame.K_RIGHT)
    d.frames(10)
    d.key(pygame.K_RIGHT, False)
    assert app.state.probe != probe and app.state.carm.orbital_rad == 0.0
    d.tap(pygame.K_TAB)  # now the arrows drive the C-arm, and its image is shown
    assert (app.trainee.tool, app.trainee.view) == ("carm", "fluoroscopy")
    probe = app.state.probe
    d.key(pygame.K_RIGHT)
    d.frames(10)
    d.key(pygame.K_RIGHT, False)
    assert app.state.probe == probe and app.state.carm.orbital_rad != 0.0
    d.tap(pygame.K_f)
    d.settle(lambda: "fluoroscopy" in app.imaging.surfaces)
    d.tap(pygame.K_v)  # view only: the C-arm stays in hand
    assert (app.trainee.tool, app.trainee.view) == ("carm", "ultrasound")


def test_mouse_drag_orbits_only_over_the_3d_view(make_app, fluoro_world, fluoro_scenario):
    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    start = app.camera
    inside, outside = app.layout.scene.center, app.layout.imaging.center
    for pos in (outside, inside):
        d.post(pygame.MOUSEBUTTONDOWN, pos=pos, button=1)
        d.post(pygame.MOUSEMOTION, pos=pos, rel=(50, -20), buttons=(1, 0, 0))
        d.post(pygame.MOUSEBUTTONUP, pos=pos, button=1)
        d.frames(1)
        if pos == outside:
            assert app.camera == start
    assert app.camera.azimuth_deg != start.azimuth_deg
    assert app.camera.elevation_deg != start.elevation_deg


def test_f12_saves_a_screenshot_and_help_pauses(make_app, fluoro_world, fluoro_scenario):
    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    d.tap(pygame.K_F1)
    assert app.screen_mode == "paused"
    tick = app.state.tick
    d.frames(10)
    assert app.state.tick == tick
    d.tap(pygame.K_F12)
    shots = list(app.folder.glob("screenshot-*.png"))
    assert len(shots) == 1 and pygame.image.load(str(shots[0])).get_size() == (1280, 720)
    d.tap(pygame.K_F1)
    assert app.screen_mode == "playing"


def test_assessment_mode_hides_what_the_bedside_does_not_show(make_app, block_world,
                                                              block_scenario, fluoro_world,
                                                              fluoro_scenario):
    from simulator.errors import InputError

    app = make_app(fluoro_world, fluoro_scenario, mode="assessment")
    d = Driver(app)
    assert not app.overlays and not app.scene.allow_overlays and not app.hud.learning
    d.tap(pygame.K_o)
    assert not app.overlays  # the overlay key does nothing in assessment mode
    d.tap(pygame.K_n)
    d.key(pygame.K_SPACE)
    d.until(lambda: app.state.needle.tip_label == app.world.target_label, 600)
    d.key(pygame.K_SPACE, False)
    d.frames(1)
    texts = [p.text for p in app.feedback.prompts]
    assert not any("target" in t.lower() or "capsule" in t.lower() for t in texts), texts
    assert read_log(app.folder / LOG_NAME).header["mode"] == "assessment"
    learning = make_app(fluoro_world, fluoro_scenario, mode="learning")
    assert learning.overlays and learning.scene.allow_overlays
    import simulator.scenario as sc

    strict = sc.Scenario.model_validate({**block_world.scenario.model_dump(),
                                         "modes": ("assessment",)})
    from simulator.world import make_world

    with pytest.raises(InputError, match="allows the modes assessment"):
        App(make_world(strict, block_world.anatomy), mode="learning")
