"""Drives the trainer app headless for the app tests: synthetic keyboard, mouse and gamepad
events, frames with a fixed elapsed time, the block-phantom scenario variants, and checks of
what an attempt leaves behind (window pixels, saved log and score).

Test modules load it as a plugin (``pytest_plugins = ["app_driver"]``) for its fixtures
(``make_app``, ``fluoro_scenario``, ``fluoro_world``) and import its helpers (and ``pygame``);
importing it skips the test module when pygame or pyvista is missing.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

# without the app extras, the test module importing this one is skipped
pygame = pytest.importorskip("pygame")
pytest.importorskip("pyvista")

from simulator.app.loop import App  # noqa: E402
from simulator.app.results import LOG_NAME, SCORE_NAME  # noqa: E402

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


def both_variant(us_scenario: Path) -> Path:
    """The block phantom with both modalities (same anatomy folder)."""
    data = yaml.safe_load(us_scenario.read_text())
    data.update(id="block_both", modality="both", carm={}, carm_start={"landmark": "target"})
    path = us_scenario.with_name("block_both.yaml")
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

    def settle(self, condition, seconds: float = 180.0) -> None:
        """Run frames (without advancing the simulation) until ``condition()`` holds: for
        the imaging and 3D workers, which render at their own pace. ``seconds`` only guards
        against a hang: a cold first frame compiles kernels on a busy 2-core CI machine."""
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
