"""Heel-to-toe rocking of the ultrasound probe (issue 12 item 3): the beam turns in the image
plane about the elevation axis, held rates move it, it is bounded, and logged actions carry it
(older logs without it replay as before)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from simulator.probe import MAX_ROCK_RAD, probe_axes
from simulator.state import Action
from simulator.step import initial_state, step


def test_rocking_turns_the_beam_in_the_image_plane(block_world):
    probe = initial_state(block_world).probe
    long0, elev0, beam0 = probe_axes(block_world, probe)
    long1, elev1, beam1 = probe_axes(block_world, replace(probe, rock_rad=math.radians(10)))
    np.testing.assert_allclose(elev1, elev0, atol=1e-12)       # same image plane
    assert math.degrees(math.acos(beam0 @ beam1)) == pytest.approx(10.0)
    assert beam1 @ long0 > 0                                   # toward the long axis's + end
    assert abs(long1 @ beam1) < 1e-12


def test_held_rock_moves_the_probe_and_stops_at_the_limit(block_world):
    state = initial_state(block_world)
    start = state.probe
    for _ in range(10):
        state, _ = step(block_world, state, Action(probe_rock_rad_s=0.5))
    assert state.probe.rock_rad > 0.05
    assert state.probe.contact_mm == start.contact_mm
    assert state.probe.tilt_rad == start.tilt_rad
    for _ in range(2000):
        state, _ = step(block_world, state, Action(probe_rock_rad_s=-5.0))
    assert state.probe.rock_rad == pytest.approx(-MAX_ROCK_RAD)


def test_logged_rock_round_trips_and_bad_values_are_refused():
    action = Action(probe_rock_rad_s=0.25)
    assert action.to_json() == {"probe_rock_rad_s": 0.25}
    assert Action.from_json(action.to_json()) == action
    assert Action.from_json({"probe_tilt_rad_s": 0.1}).probe_rock_rad_s == 0.0
    for bad in ("fast", float("nan"), 1e9):
        with pytest.raises(ValueError, match="probe_rock_rad_s"):
            Action.from_json({"probe_rock_rad_s": bad})
