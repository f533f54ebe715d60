"""A trainee's attempt with the trainer app, driven headless by synthetic keyboard and joystick
events, from first key to saved results.

Each test runs the real window loop (``App.frame``) under SDL's dummy video driver with the
3D view rendered off-screen on its worker thread, then checks what a trainee would leave
behind: the saved log (it must replay identically), the score and the window's pixels, however
the attempt ends (completed, restarted, window closed, crashed or killed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.register_assert_rewrite("app_driver")  # its checks report like a test's

from app_driver import DT, Driver, attempt_files, prep_steps, pygame, window_checks  # noqa: E402

from simulator.app.results import LOG_NAME, SCORE_NAME  # noqa: E402
from simulator.cli import main as cli  # noqa: E402
from simulator.log import read_log  # noqa: E402

pytest_plugins = ["app_driver"]  # fixtures: make_app, fluoro_scenario, fluoro_world


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
    d.until(lambda: app.screen_mode == "ended", 3000)  # scored in the background
    log, score = attempt_files(app)
    assert score["metrics"]["skin_punctures"]["value"] == 1
    assert score["metrics"]["fluoro_shots"]["value"] == 2
    assert score["steps"][0]["done"] and score["ended"] == "ended"
    assert 0 < score["score"] <= 100
    assert cli(["replay", str(log), "--verify", "--scenarios", str(fluoro_scenario.parent)]) == 0
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
    d.until(lambda: app.screen_mode == "ended", 3000)  # scored in the background
    log, score = attempt_files(app)
    assert score["metrics"]["skin_punctures"]["value"] == 1
    assert cli(["replay", str(log), "--verify", "--scenarios", str(block_scenario.parent)]) == 0
    advances = [a.advance_mm_s for a in read_log(log).actions.values()]
    # 0.6 on the trigger -> 0.8 pressed -> dead zone and response curve -> 6.53 mm/s
    assert any(abs(a - 6.534) < 0.005 for a in advances), advances


def test_restart_and_closed_window_leave_complete_attempts(make_app, fluoro_world,
                                                           fluoro_scenario):
    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    prep_steps(d)
    first = app.folder
    d.tap(pygame.K_F5)
    assert app.attempt == 2 and app.folder != first
    app.wait_for_scores()  # the restarted attempt is saved in the background
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
    assert cli(["replay", str(app.folder / LOG_NAME), "--verify", "--scenarios",
                str(fluoro_scenario.parent)]) == 0


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
    # it replays and scores, flagged incomplete (exit 1): no end record
    pin = ["--scenarios", str(fluoro_scenario.parent)]
    assert cli(["replay", str(log), "--verify", *pin]) == 1
    assert cli(["score", str(log), *pin]) == 1
    assert json.loads((folder / SCORE_NAME).read_text())["log_status"] == "incomplete"
    assert json.loads((folder / SCORE_NAME).read_text())["metrics"]["skin_punctures"][
        "value"] == 1


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
