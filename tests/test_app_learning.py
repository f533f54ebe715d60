"""What a trainee relies on in the trainer window (issue 11): the end of an attempt never
freezes the window, unfinished attempts are recorded as abandoned, the controls are in the
image's terms, and learning mode shows the target and the task (assessment mode does not).

Runs the real window loop headless (SDL dummy driver), as ``test_app_session`` does.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pytest

pytest.register_assert_rewrite("app_driver")

from app_driver import Driver, attempt_files, prep_steps, pygame  # noqa: E402

from simulator.app import overlay  # noqa: E402
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
    d.frames(1)
    scoring = 0
    give_up = time.monotonic() + 300.0  # a hang, not a slow machine (no timing is asserted)
    while app.screen_mode == "scoring":  # the window goes on, saying so, while it scores
        d.frames(1)
        scoring += 1
        assert time.monotonic() < give_up, "no score screen"
    assert scoring >= 2 and app.screen_mode == "ended"
    assert app.doc is not None and app.doc.value("closest_danger_mm") > 0


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
    assert app.doc.status == "abandoned"


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
    def moves_as_named(keys, where, frames, ratio, least):
        """Each key moves ``where()`` along its axis the named way, hardly across it."""
        for key, axis, sign in keys:
            before = where()
            d.key(key)
            d.frames(frames)
            d.key(key, False)
            d.frames(1)
            move = where() - before
            assert sign * move[axis] > ratio * abs(move[1 - axis]) and sign * move[axis] > least, \
                (pygame.key.name(key), move)

    # (key, image axis, expected sign: +x = right on the image, +y = down)
    moves_as_named(((pygame.K_l, 0, +1), (pygame.K_j, 0, -1), (pygame.K_i, 1, -1),
                    (pygame.K_k, 1, +1)), entry_px, 20, 3.0, 2.0)
    d.key(pygame.K_SPACE)  # into the skin, then aim: the tip moves as named
    d.until(lambda: app.state.needle.depth_mm > 15.0, 600)
    d.key(pygame.K_SPACE, False)
    moves_as_named(((pygame.K_d, 0, +1), (pygame.K_a, 0, -1), (pygame.K_w, 1, -1),
                    (pygame.K_s, 1, +1)), tip_px, 30, 2.0, 1.0)


# -- the target on screen (learning mode only) -------------------------------------------
TARGET_RGB, PATH_RGB = overlay.TARGET, overlay.PATH  # the colours the trainee sees


def _count(app, rgb, panel: str = "imaging") -> int:
    """Pixels of exactly ``rgb`` in a panel of the window (imaging view or 3D view)."""
    lay = getattr(app.layout, panel)
    pixels = pygame.surfarray.pixels3d(app.screen)[lay.left:lay.right, lay.top:lay.bottom]
    return int(np.all(pixels == np.array(rgb, np.uint8), axis=2).sum())


@pytest.mark.parametrize("mode", ["learning", "assessment"])
def test_target_marker_and_needle_path_only_in_learning_mode(make_app, block_world,
                                                             block_scenario, mode):
    app = make_app(block_world, block_scenario, mode=mode)
    d = Driver(app)
    d.settle(lambda: "ultrasound" in app.imaging.surfaces and app.scene.latest())
    d.frames(1)
    learning = mode == "learning"
    assert (_count(app, TARGET_RGB) > 40) is learning  # the ring and the outline
    assert (_count(app, TARGET_RGB, "scene") > 40) is learning  # ringed in the 3D view
    assert bool(app.overlay.lines) is learning
    d.tap(pygame.K_n)  # needle on the skin: its path is drawn until it goes in
    d.settle(lambda: app.imaging.shown_ticks.get("ultrasound", -1) >= app.state.tick - 1)
    d.frames(1)
    assert (_count(app, PATH_RGB) > 30) is learning


def test_following_the_plane_advice_brings_the_target_into_the_image(make_app, block_world,
                                                                     block_scenario):
    """Off plane: the step is refused with the distance in words; the key the screen names
    brings the target in; then the step is accepted."""
    from simulator.app.guidance import plane_offset

    app = make_app(block_world, block_scenario)
    d = Driver(app)
    prep_steps(d)
    d.key(pygame.K_UP)  # sweep the plane away from the target
    d.frames(45)
    d.key(pygame.K_UP, False)
    d.settle(lambda: app.imaging.frames.get("ultrasound") is not None
             and app.imaging.frames["ultrasound"].probe == app.state.probe)
    d.frames(1)
    (advice, _), *_ = app.overlay.lines
    assert "mm toward" in advice and "from the scan plane" in advice, advice
    d.tap(pygame.K_4)
    assert "imaging_setup" not in app.state.steps_done
    refusal = [p.text for p in app.feedback.prompts if p.text.startswith("Not yet")]
    assert refusal and "from the scan plane" in refusal[-1]
    key = advice[advice.rindex("(") + 1:-1]  # "... slide the probe that way (Down)"
    d.key(pygame.key.key_code(key))
    d.until(lambda: abs(plane_offset(app.world, app.state.probe,
                                     app.world.target_point).distance_mm) < 1.0, 200)
    d.key(pygame.key.key_code(key), False)
    d.settle(lambda: app.imaging.frames["ultrasound"].probe == app.state.probe)
    d.frames(1)
    assert app.overlay.lines[0][0].startswith("Target (green ring): in the scan plane")
    d.tap(pygame.K_4)
    assert "imaging_setup" in app.state.steps_done


def test_assessment_mode_accepts_any_imaging_set_up(make_app, block_world, block_scenario):
    app = make_app(block_world, block_scenario, mode="assessment")
    d = Driver(app)
    prep_steps(d)
    d.key(pygame.K_UP)
    d.frames(45)
    d.key(pygame.K_UP, False)
    d.tap(pygame.K_4)
    assert "imaging_setup" in app.state.steps_done


@pytest.mark.parametrize("mode", ["learning", "assessment"])
def test_fluoroscopy_target_and_down_the_beam_bullseye(make_app, fluoro_world,
                                                       fluoro_scenario, mode):
    app = make_app(fluoro_world, fluoro_scenario, mode=mode)
    d = Driver(app)
    d.tap(pygame.K_n)  # along the beam
    d.key(pygame.K_SPACE)
    d.frames(40)
    d.key(pygame.K_SPACE, False)
    d.tap(pygame.K_f)
    d.settle(lambda: "fluoroscopy" in app.imaging.frames)
    d.frames(1)
    hub = app.imaging.frames["fluoroscopy"].projection.project(
        np.asarray(app.state.needle.tip_mm) - np.asarray(app.state.needle.direction)
        * fluoro_world.scenario.needle.length_mm)[0]
    where = app.imaging.surfaces["fluoroscopy"].get_rect(center=app.layout.imaging.center)
    centre = np.asarray(where.topleft) + hub * where.width / \
        app.imaging.frames["fluoroscopy"].image.shape[1]
    ring = pygame.surfarray.pixels3d(app.screen)[int(centre[0]) - 12:int(centre[0]) + 13,
                                                 int(centre[1]) - 12:int(centre[1]) + 13]
    assert np.all(ring == 250, axis=2).sum() > 20  # the hub's white ring, in both modes
    assert (_count(app, TARGET_RGB) > 20) is (mode == "learning")


# -- instructions and coaching that are never cut off --------------------------------------
def test_task_coaching_and_controls_fit_the_window(hip_us_world):
    from simulator.app.bindings import load_bindings
    from simulator.app.draw import Layout, Text
    from simulator.app.feedback import Feedback
    from simulator.app.hud import Hud
    from simulator.app.screens import draw_controls, draw_task
    from simulator.step import initial_state

    pygame.font.init()
    size = (1280, 720)
    surf, text, bindings = pygame.Surface(size), Text(), load_bindings()
    window = surf.get_rect()
    sc = hip_us_world.scenario
    # T: the whole task, every word, inside the window above the footer
    task = draw_task(surf, text, sc, "footer")
    assert " ".join(line for line, _ in task).split() == sc.instructions.split()
    assert all(window.contains(r) and r.bottom < size[1] - 30 for _, r in task)
    # the prompt panel: coaching naming the target and the volume, nothing outside the panel
    hud = Hud(hip_us_world, text, Layout(size), bindings, learning=True)
    state = initial_state(hip_us_world)
    for done in range(len(sc.procedure.steps)):
        state = replace(state, steps_done=tuple(s.value for s in sc.procedure.steps[:done]))
        lines = hud.draw_prompts(surf, state, Feedback(hip_us_world, learning=True), 0.0)
        assert all(hud.layout.prompts.contains(r) for _, r in lines), lines
        shown = " ".join(line for line, _ in lines)
        assert shown.startswith("Next: ") and "Task: " in shown
    injection = hud._hint(sc.procedure.steps[6])
    assert "5 mL" in injection and "anterior recess" in hud._hint(sc.procedure.steps[3])
    # injected only part of the dose: the coaching says so rather than "needle out"
    part = replace(state, steps_done=tuple(s.value for s in sc.procedure.steps[:7]),
                   injected_ml=(1.0,))
    lines = hud.draw_prompts(surf, part, Feedback(hip_us_world, learning=True), 0.0)
    assert lines[0][0].startswith("Next: Inject the rest of the 5 mL"), lines[0]
    # assessment mode names the step, no coaching
    bare = Hud(hip_us_world, text, Layout(size), bindings, learning=False)
    assert bare._hint(sc.procedure.steps[3]) == "Imaging set up (Enter)"
    # F1: every label whole, inside the window, clear of the footer and of each other
    rows = draw_controls(surf, text, bindings, "Controls", "footer")
    from simulator.app.screens import controls_rows

    labels = [what for _, group in controls_rows(bindings) for what, _, _ in group]
    assert [" ".join(r[0].split()) for r in rows] == [" ".join(w.split()) for w in labels]
    rects = [r for _, r in rows]
    assert all(window.contains(r) and r.bottom < size[1] - 50 for r in rects)
    assert not any(a.colliderect(b) for k, a in enumerate(rects) for b in rects[k + 1:])


def test_t_brings_the_task_back(make_app, block_world, block_scenario):
    app = make_app(block_world, block_scenario)
    d = Driver(app)
    prep_steps(d)
    d.tap(pygame.K_t)
    assert app.screen_mode == "paused" and app.paused_by == "instructions"
    tick = app.state.tick
    d.frames(10)
    assert app.state.tick == tick  # reading the task pauses the clock
    d.tap(pygame.K_t)
    assert app.screen_mode == "playing"


def test_a_seam_between_two_structures_does_not_read_as_outside(hip_us_world):
    """Under the skin, a tip no structure holds sits in the seam between two surfaces."""
    from simulator.app.hud import tip_place
    from simulator.step import initial_state

    needle = initial_state(hip_us_world).needle
    joint = hip_us_world.anatomy.structure("anterior_recess").index
    assert tip_place(hip_us_world, replace(needle, in_skin=True, tip_label=0)) == \
        "between tissue layers"
    assert tip_place(hip_us_world, replace(needle, in_skin=True, tip_label=joint)) == \
        "anterior recess"
    assert tip_place(hip_us_world, replace(needle, in_skin=False, tip_label=0)) == "outside"
