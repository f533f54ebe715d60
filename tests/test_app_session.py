"""The trainer app driven headless by synthetic keyboard and joystick events.

Each test runs the real window loop (``App.frame``) under SDL's dummy video driver with the
3D view rendered off-screen on its worker thread, then checks what a trainee would leave
behind: the saved log (it must replay identically), the score and the window's pixels.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

pygame = pytest.importorskip("pygame")
pytest.importorskip("pyvista")

from simulator.app.loop import MAX_FRAME_S, App  # noqa: E402
from simulator.app.results import LOG_NAME, SCORE_NAME  # noqa: E402
from simulator.cli import main as cli  # noqa: E402
from simulator.log import read_log  # noqa: E402

DT = 1.0 / 60.0


def fluoro_variant(us_scenario: Path) -> Path:
    """The block phantom as a fluoroscopy case (same anatomy folder)."""
    data = yaml.safe_load(us_scenario.read_text())
    data.update(id="block_fluoro", title="Block phantom (fluoroscopy)", modality="fluoroscopy",
                carm={}, carm_start={"landmark": "target"})
    data.pop("probe")
    data.pop("probe_start")
    path = us_scenario.with_name("block_fluoro.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def fluoro_scenario(block_scenario) -> Path:
    return fluoro_variant(block_scenario)


@pytest.fixture(scope="module")
def fluoro_world(fluoro_scenario):
    from simulator.loading import load_world

    return load_world(fluoro_scenario)


class FakeJoystick:
    """Stands in for the pad hardware (SDL's dummy driver has none): what
    ``pygame.joystick.Joystick(device_index)`` returns. Records rumble requests."""

    ids = itertools.count(100)
    made: list[FakeJoystick] = []

    def __init__(self, device_index: int):
        self.index = device_index
        self.instance_id = next(self.ids)
        self.rumbles: list[tuple] = []
        FakeJoystick.made.append(self)

    def get_instance_id(self):
        return self.instance_id

    def get_id(self):
        return self.index

    def get_name(self):
        return "Test pad"

    def get_numaxes(self):
        return 6

    def get_axis(self, axis):
        return -1.0 if axis in (2, 5) else 0.0  # triggers rest at -1 on SDL's joystick API

    def rumble(self, low, high, ms):
        self.rumbles.append((low, high, ms))
        return True


class Driver:
    """Posts events and runs frames with a fixed elapsed time per frame."""

    def __init__(self, app: App):
        self.app = app

    def frames(self, n: int = 1, dt: float = DT) -> None:
        for _ in range(n):
            assert self.app.frame(dt)

    def post(self, type_, **kw) -> None:
        pygame.event.post(pygame.event.Event(type_, **kw))

    def key(self, key: int, down: bool = True) -> None:
        self.post(pygame.KEYDOWN if down else pygame.KEYUP, key=key, mod=0, unicode="",
                  scancode=0)

    def tap(self, key: int) -> None:
        self.key(key)
        self.frames(1)
        self.key(key, False)
        self.frames(1)

    def settle(self, condition, seconds: float = 30.0) -> None:
        """Run frames (without advancing the simulation) until ``condition()`` holds: for
        the imaging and 3D workers, which render at their own pace."""
        end = time.perf_counter() + seconds
        while not condition():
            assert time.perf_counter() < end, "the view did not update in time"
            self.frames(1, dt=0.0)
            time.sleep(0.002)

    def until(self, condition, limit: int) -> int:
        for n in range(limit):
            if condition():
                return n
            self.frames(1)
        raise AssertionError(f"condition not met in {limit} frames")

    # gamepad
    def pad_added(self, device_index: int = 0) -> FakeJoystick:
        self.post(pygame.JOYDEVICEADDED, device_index=device_index)
        self.frames(1)
        return FakeJoystick.made[-1]

    def pad_removed(self, pad: FakeJoystick) -> None:
        self.post(pygame.JOYDEVICEREMOVED, instance_id=pad.instance_id)
        self.frames(1)

    def axis(self, pad: FakeJoystick, axis: int, value: float) -> None:
        self.post(pygame.JOYAXISMOTION, instance_id=pad.instance_id, axis=axis, value=value,
                  joy=pad.index)

    def button(self, pad: FakeJoystick, button: int, down: bool = True) -> None:
        self.post(pygame.JOYBUTTONDOWN if down else pygame.JOYBUTTONUP,
                  instance_id=pad.instance_id, button=button, joy=pad.index)


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    monkeypatch.setattr(pygame.joystick, "Joystick", FakeJoystick)
    apps = []

    def make(world, scenario_path, **kw):
        kw.setdefault("seed", 7)
        kw.setdefault("scene_fps", 60.0)
        app = App(world, scenario_path=scenario_path, results=tmp_path / "results", **kw)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close("test over")


def prep_steps(d: Driver) -> None:
    for key in (pygame.K_1, pygame.K_2, pygame.K_3):
        d.tap(key)


def window_checks(app: App, png: Path) -> None:
    """The HUD shows text and the imaging view shows an image (from a saved screenshot)."""
    app.scene.wait(0)
    d = Driver(app)
    d.settle(lambda: app.trainee.view in app.imaging.surfaces)
    d.settle(lambda: app._scene_surface is not None)
    app.screenshot(png)
    pixels = pygame.surfarray.array3d(pygame.image.load(str(png))).swapaxes(0, 1)
    lay = app.layout
    hud = pixels[lay.hud.top:lay.hud.bottom, lay.hud.left:lay.hud.right].max(axis=2)
    assert (hud > 180).sum() > 800, "HUD panel shows (almost) no text"
    img = pixels[lay.imaging.top + 30:lay.imaging.bottom, lay.imaging.left:lay.imaging.right]
    grey = img.mean(axis=2)
    assert grey.std() > 12.0, "imaging view is blank"
    assert (grey > 20).mean() > 0.2, "imaging view is mostly black"
    scene = pixels[lay.scene.top + 24:lay.scene.bottom, lay.scene.left:lay.scene.right]
    assert len(np.unique(scene.reshape(-1, 3), axis=0)) > 50, "3D view is empty"


def attempt_files(app: App) -> tuple[Path, dict]:
    folder = app.folder
    assert folder.parent.name == app.world.scenario.id
    assert folder.parent.parent == app.results
    log = folder / LOG_NAME
    score = json.loads((folder / SCORE_NAME).read_text())
    return log, score


def test_keyboard_injection_under_fluoroscopy(make_app, fluoro_world, fluoro_scenario,
                                              tmp_path):
    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    d.frames(3)
    assert app.imaging.surfaces == {}  # no exposure yet: nothing to hold
    prep_steps(d)
    d.tap(pygame.K_f)  # spot image
    d.settle(lambda: "fluoroscopy" in app.imaging.frames)
    first = app.imaging.frames["fluoroscopy"]
    d.key(pygame.K_RIGHT)
    d.frames(20)  # orbit the C-arm without exposing: the old image is held
    d.key(pygame.K_RIGHT, False)
    d.frames(1)
    assert app.state.carm.orbital_rad != 0.0
    assert app.imaging.frames["fluoroscopy"] is first
    d.key(pygame.K_LEFT)
    d.frames(20)
    d.key(pygame.K_LEFT, False)
    d.tap(pygame.K_RETURN)  # imaging set up
    d.tap(pygame.K_n)       # needle on the beam centre, along the beam
    assert app.state.needle.entry_mm is not None
    d.key(pygame.K_SPACE)
    d.until(lambda: app.state.target_reached or app.state.needle.bone_contact, 600)
    d.key(pygame.K_SPACE, False)
    d.frames(2)
    assert app.state.target_reached
    d.tap(pygame.K_f)
    d.settle(lambda: app.imaging.frames["fluoroscopy"] is not first)  # a new exposure
    assert app.imaging.frames["fluoroscopy"].tick == app.state.dose.last_frame_tick
    d.tap(pygame.K_r)  # aspirate
    d.key(pygame.K_e)
    d.until(lambda: app.state.injected_ml[0] >= 2.0, 600)
    d.key(pygame.K_e, False)
    d.frames(2)
    window_checks(app, tmp_path / "fluoro_window.png")
    d.tap(pygame.K_5)  # needle out, dressing: ends the attempt
    d.frames(3)
    assert app.screen_mode == "ended"
    log, score = attempt_files(app)
    assert score["metrics"]["skin_punctures"]["value"] == 1
    assert score["metrics"]["fluoro_shots"]["value"] == 2
    assert score["steps"][0]["done"] and score["ended"] == "ended"
    assert 0 < score["score"] <= 100
    assert cli(["replay", str(log), "--verify"]) == 0
    data = read_log(log)
    assert data.end["reason"] == "ended" and not data.truncated
    kinds = [e.kind for events in data.events.values() for e in events]
    for kind in ("step_marked", "fluoro_shot", "skin_puncture", "target_reached",
                 "aspiration", "injection_started", "injection_stopped", "session_ended"):
        assert kind in kinds, kind


def test_gamepad_injection_under_ultrasound_with_hot_plug(make_app, block_world,
                                                          block_scenario, tmp_path):
    app = make_app(block_world, block_scenario)
    d = Driver(app)
    d.settle(lambda: "ultrasound" in app.imaging.surfaces)
    pad = d.pad_added()
    assert pad.instance_id in app.controls.pads.pads
    assert any(p.text == "Gamepad connected: Test pad" for p in app.feedback.prompts)
    for _ in range(4):  # Back confirms the next checklist step: 3 prep steps + imaging
        d.button(pad, 6)
        d.frames(1)
        d.button(pad, 6, False)
        d.frames(1)
    assert len(app.state.steps_done) == 4
    d.button(pad, 9)  # L3: needle beside the probe, in plane
    d.frames(1)
    d.button(pad, 9, False)
    d.frames(1)
    assert app.state.needle.entry_mm is not None
    d.frames(30)  # the bevel is turned to keep the needle in plane
    from simulator.needle import bevel_direction
    from simulator.probe import probe_axes

    _, elevation, beam = probe_axes(app.world, app.state.probe)
    drift = bevel_direction(app.state.needle)
    assert abs(drift @ elevation) < 0.05 and drift @ beam < 0  # in plane, toward the probe
    direction = np.asarray(app.state.needle.direction)
    d.axis(pad, 1, 0.8)  # left stick down: aim the tip deeper (the bevel bends it up)
    d.frames(50)
    d.axis(pad, 1, 0.0)
    d.frames(1)
    turned = np.degrees(np.arccos(np.clip(direction @ app.state.needle.direction, -1, 1)))
    assert 3.0 < turned < 8.0, turned
    d.axis(pad, 5, 0.6)  # right trigger part-way: advance
    d.until(lambda: app.state.needle.in_skin, 400)
    assert pad.rumbles, "no rumble on skin puncture"
    d.frames(10)
    depth = app.state.needle.depth_mm
    d.pad_removed(pad)  # unplugged mid-advance: the needle stops, nothing else changes
    assert app.controls.pads.pads == {}
    d.frames(20)
    assert app.state.needle.depth_mm == pytest.approx(depth, abs=0.3)
    assert app.session.log is not None and app.screen_mode == "playing"
    pad = d.pad_added()  # plugged back in (SDL gives it a new instance id)
    d.axis(pad, 5, 0.6)
    d.until(lambda: app.state.target_reached or app.state.needle.bone_contact, 900)
    d.axis(pad, 5, -1.0)
    d.frames(2)
    assert app.state.target_reached
    d.button(pad, 0)  # A: aspirate
    d.frames(1)
    d.button(pad, 0, False)
    d.button(pad, 1)  # B held: inject
    d.until(lambda: app.state.injected_ml[0] >= 2.0, 600)
    d.button(pad, 1, False)
    d.frames(2)
    window_checks(app, tmp_path / "us_window.png")
    d.button(pad, 6)  # Back: the next step is completion
    d.frames(1)
    d.button(pad, 6, False)
    d.frames(3)
    assert app.screen_mode == "ended"
    log, score = attempt_files(app)
    assert score["metrics"]["skin_punctures"]["value"] == 1
    assert cli(["replay", str(log), "--verify"]) == 0
    advances = [a.advance_mm_s for a in read_log(log).actions.values()]
    # 0.6 on the trigger -> 0.8 pressed -> dead zone and response curve -> 6.53 mm/s
    assert any(abs(a - 6.534) < 0.005 for a in advances), advances


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


def test_restart_and_closed_window_leave_complete_attempts(make_app, fluoro_world,
                                                           fluoro_scenario):
    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    prep_steps(d)
    first = app.folder
    d.tap(pygame.K_F5)
    assert app.attempt == 2 and app.folder != first
    old = read_log(first / LOG_NAME)
    assert old.end["reason"] == "restarted"
    assert json.loads((first / SCORE_NAME).read_text())["ended"] == "restarted"
    d.tap(pygame.K_1)
    d.post(pygame.QUIT)
    assert app.frame(DT) is False
    app.close("window closed")
    data = read_log(app.folder / LOG_NAME)
    assert data.end["reason"] == "window closed"
    assert (app.folder / SCORE_NAME).is_file()
    assert cli(["replay", str(app.folder / LOG_NAME), "--verify"]) == 0


def test_a_killed_app_still_leaves_a_loadable_log(fluoro_scenario, tmp_path):
    """SIGKILL mid-attempt: no end record, yet the log loads, replays and scores."""
    script = textwrap.dedent(f"""
        import os, signal, pygame
        from simulator.loading import load_world
        from simulator.app.loop import App
        world = load_world({str(fluoro_scenario)!r})
        app = App(world, scenario_path={str(fluoro_scenario)!r}, results={str(tmp_path)!r},
                  seed=3)
        def key(k, down=True):
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP,
                                                 key=k, mod=0, unicode="", scancode=0))
        for k in (pygame.K_1, pygame.K_2, pygame.K_n):
            key(k); app.frame(1 / 60); key(k, False); app.frame(1 / 60)
        key(pygame.K_SPACE)
        for _ in range(90):
            app.frame(1 / 60)
        print(app.folder, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == -9, done.stderr[-2000:]
    folder = Path(done.stdout.strip().splitlines()[-1])
    log = folder / LOG_NAME
    data = read_log(log)
    assert data.end is None and data.ticks >= 60  # heartbeats: once a second
    kinds = [e.kind for events in data.events.values() for e in events]
    assert "skin_puncture" in kinds
    assert cli(["replay", str(log), "--verify"]) == 0
    assert cli(["score", str(log)]) == 0
    assert json.loads((folder / SCORE_NAME).read_text())["metrics"]["skin_punctures"][
        "value"] == 1


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


def test_3d_view_lowers_its_resolution_rather_than_its_rate(block_world):
    from simulator.viz.worker import SCALES, SceneWorker

    class Stub:
        sizes = []

        def resize(self, size):
            self.sizes.append(size)

    worker = SceneWorker(block_world, (640, 340), min_fps=15.0)
    try:
        stub = Stub()
        for _ in range(8):
            worker._adapt(stub, 0.1)  # 10 frames/s: too slow
        assert worker.scale == SCALES[1] and stub.sizes == [(512, 272)]
        for _ in range(16):
            worker._adapt(stub, 0.1)
        assert worker.scale == SCALES[3]
        for _ in range(8):
            worker._adapt(stub, 0.01)  # fast again: back up one step
        assert worker.scale == SCALES[2] and stub.sizes[-1] == (416, 221)
    finally:
        worker.close()


def both_variant(us_scenario: Path) -> Path:
    data = yaml.safe_load(us_scenario.read_text())
    data.update(id="block_both", modality="both", carm={}, carm_start={"landmark": "target"})
    path = us_scenario.with_name("block_both.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


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


def test_a_crash_in_the_loop_still_saves_log_and_score(make_app, fluoro_world,
                                                       fluoro_scenario, monkeypatch):
    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    prep_steps(d)
    folder = app.folder

    def broken(state, ticks):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.trainee, "actions", broken)
    with pytest.raises(RuntimeError, match="boom"):
        app.run(max_seconds=5.0)
    data = read_log(folder / LOG_NAME)
    assert data.end["reason"] == "crashed: RuntimeError: boom"
    score = json.loads((folder / SCORE_NAME).read_text())
    assert score["ended"] == "crashed: RuntimeError: boom"
    assert [s["done"] for s in score["steps"][:3]] == [True, True, True]


def test_cli_run_saves_the_attempt_and_the_profile(block_scenario, tmp_path, capsys):
    results = tmp_path / "res"
    assert cli(["run", str(block_scenario), "--seconds", "2", "--results", str(results),
                "--profile", "--seed", "3", "--trainee", "Dr Test"]) == 0
    out = capsys.readouterr().out
    assert "app frame times" in out and "phase.simulate" in out
    profile = json.loads((results / "block_us" / "app-profile.json").read_text())
    assert profile["frame"]["n"] > 10
    (folder,) = [p for p in (results / "block_us").iterdir() if p.is_dir()]
    data = read_log(folder / LOG_NAME)
    assert data.header["trainee"] == "Dr Test" and data.header["seed"] == 3
    assert data.end["reason"] == "window closed"
    assert json.loads((folder / SCORE_NAME).read_text())["trainee"] == "Dr Test"
