"""Learning-mode coaching names the key that fixes what it points out, and that key moves
things the right way: rocking back level, rocking toward the needle, steering back into the
scan plane; and the supervisor's knowledge no image shows: a danger on the needle's path
and the tip's depth relative to the target."""

import math
from dataclasses import replace

import numpy as np
import pytest

from simulator.app import guidance, path_check
from simulator.imaging.ultrasound import render_ultrasound
from simulator.probe import move_probe, probe_axes
from simulator.step import initial_state

KEYS = {("probe_rock", 1): "ROCK+", ("probe_rock", -1): "ROCK-"}


def _key_of(axis: str, sign: int) -> str:
    return KEYS.get((axis, sign), "?")


@pytest.mark.parametrize("rock_deg", [12.0, -12.0])
def test_a_rocked_probe_is_told_to_rock_back_with_the_key_that_levels_it(hip_us_world,
                                                                          rock_deg):
    """Play-test 3: rocking away gave "slide 6 mm toward the feet". The cue now names the
    rock, and its key turns the rock toward level, for either sign."""
    world = hip_us_world
    state = initial_state(world)
    rocked = replace(state, probe=move_probe(world, state.probe, (0.0, 0.0), 0.0, 0.0,
                                             math.radians(rock_deg)))
    q = guidance.view_quality(world, render_ultrasound(world, rocked), _key_of)
    rock_advice = [c.advice for c in q.checks if not c.ok and "rocked" in c.advice]
    assert rock_advice, q.advice
    said = rock_advice[0]
    assert "rock it back level" in said
    sign = 1 if "(ROCK+)" in said else -1 if "(ROCK-)" in said else 0
    assert sign, said
    after = move_probe(world, rocked.probe, (0.0, 0.0), 0.0, 0.0, sign * math.radians(5))
    assert abs(after.rock_rad) < abs(rocked.probe.rock_rad)


@pytest.mark.parametrize("rock_deg", [10.0, -10.0])
def test_rocking_toward_the_needle_squares_the_beam_to_the_shaft(hip_us_world, rock_deg):
    world = hip_us_world
    probe = initial_state(world).probe
    probe = move_probe(world, probe, (0.0, 0.0), 0.0, 0.0, math.radians(rock_deg))
    long_axis, _, beam = probe_axes(world, probe)
    shaft = np.asarray(beam) * math.cos(math.radians(50)) + np.asarray(long_axis) * \
        math.sin(math.radians(50))                          # a needle in the plane at 40 deg
    sign = guidance.rock_toward_needle_sign(world, probe, shaft)
    moved = move_probe(world, probe, (0.0, 0.0), 0.0, 0.0, sign * math.radians(3))
    other = move_probe(world, probe, (0.0, 0.0), 0.0, 0.0, -sign * math.radians(3))
    assert abs(probe_axes(world, moved)[2] @ shaft) < abs(probe_axes(world, probe)[2] @ shaft)
    assert abs(probe_axes(world, other)[2] @ shaft) > abs(probe_axes(world, probe)[2] @ shaft)


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_the_steer_key_named_for_an_off_plane_tip_points_back_at_the_plane(hip_us_world,
                                                                           side):
    """``aim_yaw`` plus turns the needle toward the probe's +elevation (the app's steering):
    the sign named must be the one toward the plane, from either side."""
    world = hip_us_world
    probe = initial_state(world).probe
    _, elevation, beam = probe_axes(world, probe)
    tip = np.asarray(probe.contact_mm) + 30.0 * np.asarray(beam) + side * 4.0 * elevation
    sign = guidance.steer_toward_plane_sign(world, probe, tip)
    assert sign == -int(side)


def test_a_path_through_the_lfcn_is_warned_and_one_clear_of_it_is_not(hip_fluoro_world):
    """Play-test 3 hit the LFCN on the bull's-eye path (straight down the AP beam onto the
    target) with no warning: the supervisor's check finds the nerve on that path, and
    nothing on a parallel one 20 mm to the side."""
    world = hip_fluoro_world
    target = np.asarray(world.target_point, float)
    down_the_beam = np.array([0.0, -1.0, 0.0])          # anterior to posterior (RAS)
    ahead = path_check.danger_ahead(world, target + (0.0, 80.0, 0.0), down_the_beam)
    assert ahead is not None and ahead.structure == "lateral_femoral_cutaneous_nerve"
    assert 0.0 < ahead.distance_mm < 80.0
    assert path_check.danger_ahead(world, target + (20.0, 80.0, 0.0), down_the_beam) is None


def test_depth_to_target_is_signed_along_the_shaft(hip_fluoro_world):
    world = hip_fluoro_world
    target = np.asarray(world.target_point, float)
    d = np.array([0.0, -1.0, 0.0])
    assert path_check.depth_to_target_mm(world, target - 12.0 * d, d) == pytest.approx(12.0)
    assert path_check.depth_to_target_mm(world, target + 5.0 * d, d) == pytest.approx(-5.0)


def test_fluoroscopy_coaching_warns_of_the_lfcn_and_gives_depth_with_keys(hip_fluoro_world):
    """The lines a learning-mode trainee reads under the fluoroscopy image: the bull's-eye
    path over the target is warned (naming the nerve, that X-ray does not show it, and the
    keys that move the entry and aim), and once in, how deep the tip is against the target
    with the key to advance and how to check depth."""
    pytest.importorskip("pygame")
    from simulator.app.bindings import load_bindings
    from simulator.app.overlay import ImagingOverlay
    from simulator.state import Needle

    world = hip_fluoro_world
    overlay = ImagingOverlay(world, None, load_bindings(None), learning=True)
    target = np.asarray(world.target_point, float)
    down = (0.0, -1.0, 0.0)
    hit = world.skin_along(target + (0.0, 150.0, 0.0), np.array(down), 300.0)
    on_skin = Needle(entry_mm=tuple(hit.point), direction=down)
    overlay.lines = []
    overlay._warn_danger(on_skin, shown_on="fluoroscopy", screen_of=_ap_screen)
    (warning, _), = overlay.lines
    assert "lateral femoral cutaneous nerve" in warning and "not seen on X-ray" in warning
    assert "move the entry" in warning
    depth = float((target - np.asarray(hit.point)) @ np.asarray(down))
    inside = Needle(entry_mm=tuple(hit.point), direction=down, depth_mm=depth - 20.0,
                    in_skin=True)
    line, _ = overlay._depth_line(inside)
    assert line.startswith("Depth: the tip is 20 mm short of the target") and "(Space)" in line
    past = replace(inside, depth_mm=depth + 6.0)
    assert overlay._depth_line(past)[0] == "Depth: the tip is 6 mm past the target: pull " \
                                           "back (C)"


def _ap_screen(points_mm):
    """An AP image seen from the front: the patient's right on the left, head up, 1 px/mm."""
    p = np.asarray(points_mm, float)
    return np.stack([-p[:, 0], -p[:, 2]], axis=1)


ENTRY_KEYS = {("entry_sideways", 1): (1.0, 0.0), ("entry_sideways", -1): (-1.0, 0.0),
              ("entry_forward", 1): (0.0, -1.0), ("entry_forward", -1): (0.0, 1.0)}


def test_the_lfcn_warning_says_which_way_to_move_the_entry_and_that_way_clears_it(
        hip_fluoro_world):
    """fl_05: four red lines over the image named keys but not a direction. The warning is
    one short line (two at most under the image) naming the way to move the entry and the
    key that moves it that way on the image; moving it that way clears the path."""
    pytest.importorskip("pygame")
    from simulator.app.bindings import load_bindings
    from simulator.app.overlay import ImagingOverlay
    from simulator.state import Needle

    world = hip_fluoro_world
    bindings = load_bindings(None)
    overlay = ImagingOverlay(world, None, bindings, learning=True)
    target = np.asarray(world.target_point, float)
    down = np.array([0.0, -1.0, 0.0])
    hit = world.skin_along(target + (0.0, 150.0, 0.0), down, 300.0)
    on_skin = Needle(entry_mm=tuple(hit.point), direction=tuple(down))
    overlay.lines = []
    overlay._warn_danger(on_skin, shown_on="fluoroscopy", screen_of=_ap_screen)
    (warning, _), = overlay.lines
    assert len(warning) <= 120, warning
    words = warning.split("move the entry ")[1]
    way, key = words.rsplit(" (", 1)
    key = key.rstrip(")")
    away = overlay._danger[1]
    assert way == guidance.direction_words(world, away)
    # the named key moves the entry that way on the image
    (axis, sign), = [a for a in ENTRY_KEYS if overlay.key_of(*a) == key]
    on_image = _ap_screen([hit.point + 10.0 * away])[0] - _ap_screen([hit.point])[0]
    assert np.dot(on_image, ENTRY_KEYS[(axis, sign)]) > 0.5 * np.linalg.norm(on_image)
    # and moving the entry that way (over the skin) clears the path of the nerve
    assert any(path_check.danger_ahead(world, np.asarray(hit.point) + mm * away, down)
               is None for mm in (5.0, 10.0, 15.0, 20.0))
    assert path_check.danger_ahead(world, np.asarray(hit.point), down) is not None


def test_fluoroscopy_depth_line_does_not_call_the_capsule_wall_the_target(hip_fluoro_world):
    """Level with the target but in the capsule wall (the play-tester read "level with the
    target" in green there and injected into the wall): the line says where the tip is and
    to advance; in the joint it says level with the target."""
    pytest.importorskip("pygame")
    from simulator.app.bindings import load_bindings
    from simulator.app.overlay import ImagingOverlay
    from simulator.state import Needle

    world = hip_fluoro_world
    overlay = ImagingOverlay(world, None, load_bindings(None), learning=True)
    target = np.asarray(world.target_point, float)
    down = np.array((0.0, -1.0, 0.0))
    hit = world.skin_along(target + (0.0, 150.0, 0.0), down, 300.0)
    depth = float((target - np.asarray(hit.point)) @ down)
    level = Needle(entry_mm=tuple(hit.point), direction=tuple(down), depth_mm=depth,
                   in_skin=True, tip_label=world.anatomy.structure("joint_capsule").index)
    line, _ = overlay._depth_line(level)
    assert line.startswith("Depth: the tip is level with the target but in the joint capsule")
    assert "advance a little (Space)" in line
    in_joint = replace(level, tip_label=world.target_label)
    assert overlay._depth_line(in_joint)[0] == "Depth: the tip is level with the target"


AXIS_KEYS = {(axis, sign): f"{axis}{'+' if sign > 0 else '-'}"
             for axis in ("probe_rotate", "probe_along", "probe_across")
             for sign in (1, -1)}


def _named(advice: str, axis: str) -> int:
    """The sign of the key for ``axis`` the advice names (0: none)."""
    return 1 if f"{axis}+" in advice else -1 if f"{axis}-" in advice else 0


def test_the_turn_key_the_view_cue_names_turns_toward_the_standard_view(hip_us_world):
    """The hip starts transverse: the cue names the rotate key, and turning with it makes
    the turn still to do smaller (play-test 3 item 5: every action names its key)."""
    import re

    world = hip_us_world
    probe = initial_state(world).probe

    def advice(p):
        return guidance.turn_or_slide_words(world, p, "femur",
                                            lambda axis, sign: AXIS_KEYS[(axis, sign)])

    said = advice(probe)
    sign = _named(said, "probe_rotate")
    assert sign, said
    before = int(re.search(r"about (\d+)°", said).group(1))
    turned = move_probe(world, probe, (0.0, 0.0), sign * math.radians(10), 0.0)
    after = re.search(r"about (\d+)°", advice(turned))
    assert after is None or int(after.group(1)) < before


@pytest.mark.parametrize("start_mm", [(12.0, 0.0), (-12.0, 0.0), (0.0, 12.0), (0.0, -12.0)])
def test_the_slide_key_named_moves_the_probe_the_named_way(hip_us_world, start_mm):
    """``slide_key`` names, for a wanted move, the key(s) whose slide goes that way: both
    signs of both slide axes."""
    world = hip_us_world
    probe = initial_state(world).probe
    moved = move_probe(world, probe, start_mm, 0.0, 0.0)
    wanted = np.asarray(probe.contact_mm) - np.asarray(moved.contact_mm)   # back to start
    keys = guidance.slide_key(world, moved, wanted, lambda a, s: AXIS_KEYS[(a, s)])
    axis = "probe_along" if start_mm[0] else "probe_across"
    sign = _named(keys, axis)
    assert sign, keys
    slide = (sign * 5.0, 0.0) if axis == "probe_along" else (0.0, sign * 5.0)
    after = move_probe(world, moved, slide, 0.0, 0.0)
    assert np.linalg.norm(np.asarray(after.contact_mm) - probe.contact_mm) < \
        np.linalg.norm(np.asarray(moved.contact_mm) - probe.contact_mm)
