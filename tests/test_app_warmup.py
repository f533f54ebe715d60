"""The trainer's start: the first image comes before the 3D view is built, and the needle
kernels are prepared (with progress on screen) before the trainee can touch the needle, so
no compile freezes the window at the first puncture."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

pytest.register_assert_rewrite("app_driver")

from app_driver import Driver, pygame  # noqa: E402

from simulator.session import Session  # noqa: E402
from simulator.warmup import _procedure, warm_needle  # noqa: E402

pytest_plugins = ["app_driver"]


def test_the_scripted_procedure_punctures_injects_and_withdraws(block_world):
    """The warm-up covers the needle's kernels only if its script really goes through the
    skin, injects and comes out again."""
    session = Session(block_world, seed=0)
    kinds = set()
    for phase in _procedure(block_world):
        for action in phase:
            kinds.update(e.kind for e in session.step(action)[1])
    assert {"skin_puncture", "injection_started", "withdraw"} <= kinds
    assert not session.state.needle.in_skin


def test_warm_needle_reports_every_stage(block_world):
    seen = []
    warm_needle(block_world, lambda done, total, what: seen.append((done, total)))
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_window_waits_for_the_warm_up_then_the_trainee_drives(make_app, block_world,
                                                              block_scenario):
    app = make_app(block_world, block_scenario, warm_up=True)
    d = Driver(app)
    d.frames(2)
    assert app.state.tick == 0                  # nothing runs before the first image ...
    assert app.scene_worker is None             # ... and the 3D view waits for it
    d.settle(lambda: "ultrasound" in app.imaging.surfaces)
    assert app.scene_worker is not None
    d.settle(lambda: not app.warming)
    assert app.warm.error is None
    assert app.warm.status()[0] == app.warm.status()[1]
    d.tap(pygame.K_n)                           # now the needle key places the needle
    d.frames(3)
    assert app.state.tick > 0 and app.state.needle.entry_mm is not None


def _hold_the_warm_up(app, monkeypatch):
    """Keep ``app`` preparing the scanner until the returned event is set."""
    release = threading.Event()
    monkeypatch.setattr(type(app), "warming", property(lambda _: not release.is_set()))
    return release


def test_keys_pressed_while_preparing_act_once_the_scanner_is_ready(make_app, block_world,
                                                                   block_scenario,
                                                                   monkeypatch):
    """The checklist keys a new user presses while the scanner is prepared are kept, not
    dropped: they act, in order, on the first tick once it is ready."""
    app = make_app(block_world, block_scenario, warm_up=True)
    d = Driver(app)
    d.settle(lambda: "ultrasound" in app.imaging.surfaces)
    release = _hold_the_warm_up(app, monkeypatch)
    d.tap(pygame.K_n)                           # place the needle
    d.frames(5, dt=0.5)
    assert app.warming and app.state.tick == 0 and app.state.needle.entry_mm is None
    assert app._kept == ["place_needle"]
    release.set()
    d.frames(2)
    assert app._kept == []
    assert app.state.needle.entry_mm is not None


def test_the_procedure_clock_starts_when_the_scanner_is_ready(make_app, block_world,
                                                             block_scenario, monkeypatch):
    """Seconds spent preparing the scanner are not procedure time: the clock reads no more
    than the first frame's time once it is ready, however long the preparation took."""
    app = make_app(block_world, block_scenario, warm_up=True)
    d = Driver(app)
    d.settle(lambda: "ultrasound" in app.imaging.surfaces)
    release = _hold_the_warm_up(app, monkeypatch)
    d.frames(20, dt=0.25)                       # five seconds of preparation
    assert app.state.tick == 0
    release.set()
    d.frames(1, dt=0.1)
    assert app.state.tick * block_world.dt_s == pytest.approx(0.1, abs=block_world.dt_s)


def test_without_warm_up_the_window_starts_at_once(make_app, block_world, block_scenario):
    app = make_app(block_world, block_scenario)
    d = Driver(app)
    d.frames(3)
    assert app.state.tick > 0 and not app.warming


def test_a_slow_first_state_shows_progress_not_a_black_window(make_app, block_world,
                                                              block_scenario, monkeypatch):
    """A first start compiles the first state's kernels inside the window's start: the
    window shows "Starting the scanner... (n s)" meanwhile."""
    from simulator.app.loop import App

    real = App.new_attempt

    def slow(self):
        time.sleep(1.3)   # past the one second after which the wait shows its seconds
        real(self)

    monkeypatch.setattr(App, "new_attempt", slow)
    app = make_app(block_world, block_scenario)
    banner = app.layout.imaging
    pixels = pygame.surfarray.array3d(app.screen)[banner.left:banner.right,
                                                 banner.centery - 30:banner.centery + 30]
    assert (pixels.max(axis=2) > 200).any()     # the banner's white words were drawn
    assert app.session is not None and app.state.tick == 0


def test_a_held_key_moves_by_the_time_held_also_at_a_low_frame_rate(make_app, block_world,
                                                                     block_scenario):
    """On a busy machine frames come 4-10 a second: the probe still slides by the key's
    rate times the time it was held, not by the number of frames."""
    app = make_app(block_world, block_scenario)
    d = Driver(app)
    d.frames(2)
    start = np.asarray(app.state.probe.contact_mm, float)
    rate = app.bindings.axes["probe_along"].rate
    d.key(pygame.K_RIGHT)
    for _ in range(5):
        d.frames(1, dt=0.2)                     # one second held, in five slow frames
    d.key(pygame.K_RIGHT, False)
    d.frames(1, dt=0.0)
    moved = float(np.linalg.norm(np.asarray(app.state.probe.contact_mm) - start))
    assert moved == pytest.approx(rate * 1.0, rel=0.1)


def test_closing_before_the_first_image_saves_the_attempt_and_returns(make_app, block_world,
                                                                       block_scenario):
    """A trainee who closes the window during a (slow) first start is not kept waiting for
    the warm-ups: the window closes and the attempt is saved."""
    app = make_app(block_world, block_scenario, warm_up=True)
    closing = threading.Thread(target=app.close, args=("closed at the start",))
    closing.start()                                     # no frame, no image yet
    closing.join(120)
    assert not closing.is_alive(), "the window did not close"
    assert app.scoring.prepared.done()
    assert (app.folder / "session.jsonl").is_file()
