"""What a trainee relies on in the trainer window (issue 11): the end of an attempt never
freezes the window, unfinished attempts are recorded as abandoned, the controls are in the
image's terms, and learning mode shows the target and the task (assessment mode does not).

Runs the real window loop headless (SDL dummy driver), as ``test_app_session`` does.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

pytest.register_assert_rewrite("app_driver")

from app_driver import Driver, attempt_files, prep_steps, pygame  # noqa: E402

from simulator.app.results import SCORE_NAME  # noqa: E402

pytest_plugins = ["app_driver"]


def test_the_score_screen_follows_the_last_action_without_freezing(make_app, block_world,
                                                                   block_scenario,
                                                                   monkeypatch):
    from simulator import danger_map

    real = danger_map.danger_distance_field
    monkeypatch.setattr(danger_map, "_FIELDS", {})  # as in a fresh process

    def slow(world):  # a slow machine: the map takes seconds
        time.sleep(1.5)
        return real(world)

    monkeypatch.setattr(danger_map, "danger_distance_field", slow)
    app = make_app(block_world, block_scenario)
    d = Driver(app)
    prep_steps(d)
    d.tap(pygame.K_n)
    d.key(pygame.K_SPACE)
    d.until(lambda: app.state.needle.in_skin, 600)
    d.frames(20)
    d.key(pygame.K_SPACE, False)
    d.key(pygame.K_F10)
    took = []
    while app.screen_mode != "ended":
        t = time.perf_counter()
        d.frames(1)
        took.append(time.perf_counter() - t)
        assert len(took) < 5000, "no score screen"
    # frames went on while the score was computed, with "Scoring..." on screen
    assert max(took) < 0.5, max(took)
    assert app.doc is not None and app.doc["metrics"]["closest_danger_mm"]["value"] > 0


def test_restart_and_early_end_are_abandoned_not_failed(make_app, block_world,
                                                        block_scenario):
    app = make_app(block_world, block_scenario)
    d = Driver(app)
    assert app.trainee_name  # the OS user, never blank
    prep_steps(d)
    first = app.folder
    d.tap(pygame.K_F5)
    app.wait_for_scores()
    score = json.loads((first / SCORE_NAME).read_text())
    assert score["status"] == "abandoned" and score["ended"] == "restarted"
    assert score["trainee"] == app.trainee_name
    d.tap(pygame.K_F10)  # ended early: nothing injected, nothing finished
    d.until(lambda: app.screen_mode == "ended", 3000)
    _, score = attempt_files(app)
    assert score["status"] == "abandoned"
    app.screenshot(app.folder / "end.png")
    assert app.doc["status"] == "abandoned"


def test_q_quits_and_y_takes_the_next_syringe(make_app, block_world, block_scenario):
    app = make_app(block_world, block_scenario)
    d = Driver(app)
    bindings = app.bindings.commands
    q_commands = [n for n, c in bindings.items() if pygame.K_q in c.keys]
    assert q_commands == ["quit"]
    d.tap(pygame.K_q)  # while playing: nothing (quit is for the pause and score screens)
    assert not app.quit_requested and app.state.syringe == 0
    d.tap(pygame.K_y)
    assert app.state.syringe == (1 % len(block_world.scenario.syringes))


def test_fluoroscopy_keys_move_the_needle_the_named_way_in_the_image(make_app, fluoro_world,
                                                                     fluoro_scenario):
    app = make_app(fluoro_world, fluoro_scenario)
    d = Driver(app)
    d.tap(pygame.K_f)
    d.settle(lambda: "fluoroscopy" in app.imaging.frames)
    projection = app.imaging.frames["fluoroscopy"].projection
    d.tap(pygame.K_n)  # on the beam centre, along the beam

    def entry_px():
        return projection.project(np.asarray(app.state.needle.entry_mm))[0]

    def tip_px():
        return projection.project(np.asarray(app.state.needle.tip_mm))[0]

    # (key, which pixel, expected move: +x = right on the image, +y = down)
    for key, where, axis, sign in ((pygame.K_l, entry_px, 0, +1), (pygame.K_j, entry_px, 0, -1),
                                   (pygame.K_i, entry_px, 1, -1), (pygame.K_k, entry_px, 1, +1)):
        before = where()
        d.key(key)
        d.frames(20)
        d.key(key, False)
        d.frames(1)
        move = where() - before
        assert sign * move[axis] > 3.0 * abs(move[1 - axis]) and sign * move[axis] > 2.0, \
            (pygame.key.name(key), move)
    d.key(pygame.K_SPACE)  # into the skin, then aim: the tip moves as named
    d.until(lambda: app.state.needle.depth_mm > 15.0, 600)
    d.key(pygame.K_SPACE, False)
    for key, axis, sign in ((pygame.K_d, 0, +1), (pygame.K_a, 0, -1), (pygame.K_w, 1, -1),
                            (pygame.K_s, 1, +1)):
        before = tip_px()
        d.key(key)
        d.frames(30)
        d.key(key, False)
        d.frames(1)
        move = tip_px() - before
        assert sign * move[axis] > 2.0 * abs(move[1 - axis]) and sign * move[axis] > 1.0, \
            (pygame.key.name(key), move)
