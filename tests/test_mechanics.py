"""Needle mechanics on the block phantom: puncture, membranes, bone, bevel, steering."""

import math

import numpy as np
import pytest

from simulator import events as ev
from simulator.session import Session
from simulator.state import Action


def _placed(world, entry=(0.0, 40.0, 0.0), direction=(0.0, -1.0, 0.0)):
    s = Session(world)
    _, events = s.step(Action(place_needle=(entry, direction)))
    assert events[0].kind == ev.NEEDLE_PLACED
    return s


def _advance(s, mm, speed=10.0):
    kinds = []
    for _ in range(int(round(mm / (speed * s.world.dt_s)))):
        _, events = s.step(Action(advance_mm_s=speed))
        kinds += [e.kind for e in events]
    return kinds


def test_skin_tents_before_it_is_punctured(block_world):
    s = _placed(block_world)
    kinds = _advance(s, 3.0)
    assert ev.SKIN_PUNCTURE not in kinds
    assert not s.state.needle.in_skin and s.state.needle.tent_mm == pytest.approx(3.0, abs=0.2)
    kinds = _advance(s, 2.0)
    assert ev.SKIN_PUNCTURE in kinds and s.state.needle.in_skin


def test_needle_stops_on_cortical_bone(block_world):
    s = _placed(block_world)
    kinds = _advance(s, 70.0)
    assert ev.BONE_CONTACT in kinds
    tip = np.asarray(s.state.needle.tip_mm)
    assert tip[1] == pytest.approx(-5.0, abs=0.1)  # the bone's surface, not beyond
    assert s.state.needle.bone_contact
    assert block_world.name(s.state.needle.tip_label) == "recess"
    assert kinds.count(ev.CAPSULE_ENTERED) == 1 and ev.TARGET_REACHED in kinds


def test_capsule_pops_after_tenting(block_world):
    s = _placed(block_world)
    _advance(s, 45.0, speed=5.0)  # 4 mm skin tenting + 39.5 mm to the capsule at y = 0.5
    n = s.state.needle
    assert block_world.name(n.tip_label) == "muscle" and n.tent_mm > 0.0
    kinds = _advance(s, 2.5, speed=5.0)
    assert ev.CAPSULE_ENTERED in kinds


def test_bevel_deflects_about_1mm_per_cm_and_flipping_reverses_it(block_world):
    s = _placed(block_world, entry=(20.0, 40.0, 30.0))
    _advance(s, 4.5)
    start = np.asarray(s.state.needle.tip_mm)
    _advance(s, 40.0)
    tip = np.asarray(s.state.needle.tip_mm)
    lateral = np.linalg.norm((tip - start)[[0, 2]])
    assert 1.5 <= lateral <= 4.0  # curvature gives 6 mm over 60 mm, ~2.7 mm over 40
    s2 = _placed(block_world, entry=(20.0, 40.0, 30.0))
    s2.step(Action(flip_bevel=True))
    _advance(s2, 44.5)
    tip2 = np.asarray(s2.state.needle.tip_mm)
    assert np.dot((tip - start)[[0, 2]], (tip2 - start)[[0, 2]]) < 0


def test_steering_pivots_about_the_entry_point(block_world):
    s = _placed(block_world)
    _advance(s, 25.0)
    entry = s.state.needle.entry_mm
    depth = s.state.needle.depth_mm
    tip0 = np.asarray(s.state.needle.tip_mm)
    for _ in range(60):
        s.step(Action(steer_rad_s=(math.radians(10.0), 0.0)))
    n = s.state.needle
    assert n.entry_mm == entry and n.depth_mm == pytest.approx(depth)
    assert np.linalg.norm(np.asarray(n.tip_mm) - tip0) > 2.0


def test_retracting_to_zero_leaves_the_skin(block_world):
    s = _placed(block_world)
    _advance(s, 20.0)
    _, events = s.step(Action(withdraw=True))
    assert [e.kind for e in events][-1] == ev.WITHDRAW
    assert not s.state.needle.in_skin and s.state.needle.depth_mm == 0.0


def test_entry_outside_the_zone_is_refused(block_world):
    s = Session(block_world)
    _, events = s.step(Action(place_needle=((55.0, 40.0, 55.0), (0.0, -1.0, 0.0))))
    assert events[0].kind == ev.ENTRY_REFUSED and s.state.needle.entry_mm is None


def test_aspiration_from_the_artery_returns_blood(block_world):
    s = _placed(block_world, entry=(-30.0, 40.0, 0.0))
    kinds = _advance(s, 48.0)  # 4 mm skin tenting, artery top at 41 mm, wall tents 1 mm
    assert ev.DANGER_CONTACT in kinds
    _, events = s.step(Action(aspirate=True))
    result = [e for e in events if e.kind == ev.ASPIRATION][0]
    assert result.data["result"] == "arterial_blood"


def test_injection_pressure_low_in_joint_high_in_capsule(block_world):
    s = _placed(block_world)
    _advance(s, 70.0)  # on bone, tip in the recess
    _, events = s.step(Action(inject_ml_s=0.5))
    started = [e for e in events if e.kind == ev.INJECTION_STARTED][0]
    assert started.data["compartment"] == "intra_articular"
    assert started.data["pressure_kpa"] < 35
    s2 = _placed(block_world, entry=(8.0, 40.0, 0.0))
    _advance(s2, 41.5, speed=5.0)
    for _ in range(600):
        if block_world.name(s2.state.needle.tip_label) == "capsule":
            break
        s2.step(Action(advance_mm_s=2.0))
    _, events = s2.step(Action(inject_ml_s=0.5))
    started = [e for e in events if e.kind == ev.INJECTION_STARTED][0]
    assert started.data["compartment"] == "capsule_wall"
    assert started.data["pressure_kpa"] > 100
