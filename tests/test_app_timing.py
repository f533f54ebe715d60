"""The trainer app's timing: the simulation steps at a fixed rate whatever the window's frame
rate, and a slow 3D view costs its own resolution, never the needle's response.

Runs the real window loop (``App.frame``) headless under SDL's dummy video driver with the 3D
view rendered off-screen on its worker thread.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.register_assert_rewrite("app_driver")  # its checks report like a test's

from app_driver import DT, Driver, pygame  # noqa: E402

from simulator.app.loop import MAX_FRAME_S  # noqa: E402

pytest_plugins = ["app_driver"]  # fixtures: make_app, fluoro_scenario, fluoro_world


def test_fixed_timestep_whatever_the_frame_rate(make_app, fluoro_world, fluoro_scenario):
    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    t0 = app.state.tick
    d.frames(1, dt=1 / 30)
    assert app.state.tick - t0 == 2
    d.frames(2, dt=1 / 120)
    assert app.state.tick - t0 == 3
    d.frames(1, dt=5.0)  # a stall: clamped, no spiral of catch-up ticks
    assert app.state.tick - t0 == 3 + round(MAX_FRAME_S / DT)
    d.tap(pygame.K_p)
    paused = app.state.tick
    d.frames(30)
    assert app.state.tick == paused and app.screen_mode == "paused"
    d.tap(pygame.K_p)
    assert app.screen_mode == "playing" and app.state.tick > paused


def test_slow_3d_view_never_delays_the_needle(make_app, fluoro_world, fluoro_scenario,
                                              monkeypatch):
    from simulator.viz import scene3d

    real = scene3d.Scene3D.render

    def slow(self, view):
        time.sleep(0.4)
        return real(self, view)

    monkeypatch.setattr(scene3d.Scene3D, "render", slow)
    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    assert app.scene.ready.wait(30)
    d.tap(pygame.K_n)
    d.key(pygame.K_SPACE)
    d.frames(1)
    start = app.state.tick
    took = []
    for _ in range(40):
        t = time.perf_counter()
        d.frames(1)
        took.append(time.perf_counter() - t)
    d.key(pygame.K_SPACE, False)
    assert app.state.tick - start == 40  # one tick per 1/60 s frame, 3D view or not
    assert len(app.scene.render_times) < 20  # the 3D view managed only a few frames ...
    # ... while the window went on: had it waited for the 3D view, frames would take 0.4 s
    assert np.median(took) < 0.05 and max(took) < 0.35, took
    assert app.state.needle.depth_mm > 0.0 or app.state.needle.tent_mm > 0.0


def test_3d_view_lowers_its_resolution_rather_than_its_rate(block_world):
    from simulator.viz.worker import SCALES, SceneWorker

    class FakeScene:  # records what the worker asks of the scene
        sizes = []

        def resize(self, size):
            self.sizes.append(size)

    worker = SceneWorker(block_world, (640, 340), min_fps=15.0)
    try:
        scene = FakeScene()
        for _ in range(8):
            worker._adapt(scene, 0.1)  # 10 frames/s: too slow
        assert worker.scale == SCALES[1] and scene.sizes == [(512, 272)]
        for _ in range(16):
            worker._adapt(scene, 0.1)
        assert worker.scale == SCALES[3]
        for _ in range(8):
            worker._adapt(scene, 0.01)  # fast again: back up one step
        assert worker.scale == SCALES[2] and scene.sizes[-1] == (416, 221)
    finally:
        worker.close()


def test_3d_view_yields_to_the_image_of_a_moving_probe(make_app, block_world, block_scenario):
    """While the ultrasound view renders a sliding probe the 3D view drops to its minimum
    rate (the trainee steers by the image); at rest it is back to its full rate."""
    app = make_app(block_world, block_scenario)
    d = Driver(app)
    d.settle(lambda: "ultrasound" in app.imaging.surfaces)
    d.frames(3)
    full_rate = 1.0 / app.scene.max_fps
    assert app.scene.min_interval == pytest.approx(full_rate)
    probe = app.state.probe
    d.key(pygame.K_RIGHT)  # slide the probe along its long axis
    end = time.perf_counter() + 60.0
    while not app.imaging.probe_moving:  # the simulation goes on while the image catches up
        assert time.perf_counter() < end, "no moving-probe frame"
        d.frames(1)
        time.sleep(0.002)
    assert app.state.probe != probe
    d.frames(1)
    assert app.scene.min_interval == pytest.approx(1.0 / app.scene.min_fps)
    d.key(pygame.K_RIGHT, False)
    d.frames(1)
    d.settle(lambda: not app.imaging.probe_moving)  # at rest: refined to full detail
    d.frames(1, dt=0.0)
    assert app.scene.min_interval == pytest.approx(full_rate)


def test_3d_view_renders_again_only_for_what_it_shows(block_world, fluoro_world):
    """The 3D view is a new picture only when a tool it draws moved: depth, gain, Doppler
    and probe pressure (the ultrasound image's business), and the C-arm's pulse clock and
    dose mode, leave the view equal, so the 3D worker renders nothing for them."""
    from dataclasses import replace

    from simulator.step import initial_state
    from simulator.viz.scene3d import View

    state = initial_state(block_world)
    p = state.probe
    view = View.of(state)
    for probe in (replace(p, depth_mm=p.depth_mm + 20.0), replace(p, gain_db=6.0),
                  replace(p, doppler_mode=1), replace(p, pressure=0.8)):
        assert View.of(replace(state, probe=probe)) == view
    slid = replace(p, contact_mm=(p.contact_mm[0] + 1.0, *p.contact_mm[1:]))
    assert View.of(replace(state, probe=slid)) != view
    assert View.of(replace(state, probe=replace(p, rock_rad=0.1))) != view

    state = initial_state(fluoro_world)
    c = state.carm
    view = View.of(state)
    assert View.of(replace(state, carm=replace(c, pulse_clock_s=0.4, low_dose=True))) == view
    assert View.of(replace(state, carm=replace(c, beam_on=True))) != view
    assert View.of(replace(state, carm=replace(c, orbital_rad=c.orbital_rad + 0.1))) != view


def test_3d_view_waits_for_two_new_images_while_the_probe_moves(block_world):
    """While the probe slides the 3D view draws once per two new ultrasound images at most,
    so on a busy machine it slows down with the image instead of taking its cores; when the
    probe comes to rest the last pose is drawn at once."""
    from dataclasses import replace

    from simulator.step import initial_state
    from simulator.viz.scene3d import View
    from simulator.viz.worker import IMAGES_PER_FRAME, SceneWorker

    state = initial_state(block_world)
    p = state.probe
    worker = SceneWorker(block_world, (160, 90), max_fps=200.0, min_fps=200.0,
                         adaptive=False)
    try:
        assert worker.ready.wait(60)
        worker.yield_to_imaging(True, images=0)
        for k in range(1, IMAGES_PER_FRAME):
            slid = replace(p, contact_mm=(p.contact_mm[0] + k, *p.contact_mm[1:]))
            worker.submit(View.of(replace(state, probe=slid)))
            worker.yield_to_imaging(True, images=k)
        time.sleep(0.5)
        assert worker.frames_rendered == 0   # one new image only: the image comes first
        worker.yield_to_imaging(True, images=IMAGES_PER_FRAME)
        assert worker.wait(0, timeout=60) is not None and worker.frames_rendered == 1
        last = replace(p, contact_mm=(p.contact_mm[0] + 5.0, *p.contact_mm[1:]))
        worker.submit(View.of(replace(state, probe=last)))
        time.sleep(0.3)
        assert worker.frames_rendered == 1
        worker.yield_to_imaging(False, images=IMAGES_PER_FRAME + 1)   # at rest
        assert worker.wait(1, timeout=60)[1] == 2
    finally:
        worker.close()


def test_window_is_redrawn_for_news_not_every_frame(make_app, fluoro_world, fluoro_scenario,
                                                    monkeypatch):
    """With nothing new to show (no image, no key) a frame only steps the simulation and
    feeds the workers; a key, or the HUD's refresh period, draws the window again."""
    from simulator.app import loop

    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    d.settle(lambda: app.scene.latest() is not None)
    d.frames(3)
    monkeypatch.setattr(loop, "HUD_REFRESH_S", 30.0)
    drawn = app._drawn_at
    tick = app.state.tick
    d.frames(5)
    assert app.state.tick == tick + 5 and app._drawn_at == drawn   # stepped, not drawn
    d.tap(pygame.K_F1)   # the controls screen: drawn at once
    assert app.screen_mode == "paused" and app._drawn_at > drawn
    d.tap(pygame.K_F1)
    monkeypatch.setattr(loop, "HUD_REFRESH_S", 0.0)
    drawn = app._drawn_at
    d.frames(1)
    assert app._drawn_at > drawn   # the clock's refresh
