"""The injection seen as it happens, on the hip scenario's anatomical view (the expert's
probe pose): a microbubble swirl at the tip while injecting, a visible change within a
millilitre, a distended recess after an intra-articular 5 mL, and a capsule-wall 5 mL that
does not look like it (issue 12 item 2, issue 11 item 7)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_ultrasound_hip import _placed

from simulator.anatomy.manifest import Role
from simulator.imaging.ultrasound import render_ultrasound
from simulator.state import Deposit, Needle

DARK = 40          # grey level below which a pixel reads anechoic
CHANGED = 40       # grey-level change that counts as a visible change


@pytest.fixture(scope="module")
def view(hip_us_world):
    world, state = _placed(hip_us_world)
    frame = render_ultrasound(world, state)
    return world, state, frame


def _spot(world, frame, name):
    """(line, sample, world point, label) of ``name`` nearest the image's centre line."""
    g = frame.geometry
    idx = world.anatomy.structure(name).index
    lines, samples = np.nonzero(frame.label == idx)
    m = int(np.argmin(np.abs(lines - g.n_lines // 2)))
    i, j = int(lines[m]), int(samples[m])
    wfp = frame.world_from_probe
    point = wfp[:3, :3] @ g.points(i, g.depth_mm[j]) + wfp[:3, 3]
    return i, j, point, idx


def _inject(view, name, compartment, ml, **state_changes):
    world, state, frame = view
    i, j, point, idx = _spot(world, frame, name)
    dep = Deposit(0, compartment, idx, tuple(point), ml, state.tick, 10.0)
    return render_ultrasound(world, replace(state, deposits=(dep,), **state_changes)), i, j


def _area_mm2(frame, mask):
    g = frame.geometry
    return float(mask.sum() * g.dz_mm * np.median(g.line_spacing_mm))


def _collection(world, before, after):
    """Newly anechoic region: (extent across lines mm, median height above the bone mm)."""
    g = before.geometry
    new = (after.grey < DARK) & (before.grey >= DARK)
    roles = np.array([None] + [s.role for s in world.anatomy.structures], dtype=object)
    lines = np.flatnonzero(new.sum(1) >= 3)
    height = []
    for i in lines:
        bone = np.flatnonzero(roles[before.label[i]] == Role.bone)
        if len(bone):
            height.append((bone[0] - np.flatnonzero(new[i]).mean()) * g.dz_mm)
    extent = len(lines) * float(np.median(g.line_spacing_mm))
    return extent, float(np.median(height)) if height else np.inf


def test_injecting_shows_a_moving_bubble_swirl_at_the_tip(view):
    world, state, frame = view
    g = frame.geometry
    i, j, point, idx = _spot(world, frame, "anterior_recess")
    wfp = frame.world_from_probe
    d = wfp[:3, 0] + 1.2 * wfp[:3, 2]
    d /= np.linalg.norm(d)
    needle = Needle(entry_mm=tuple(point - 60.0 * d), direction=tuple(d), depth_mm=60.0,
                    in_skin=True, tip_label=idx)
    dep = (Deposit(0, "intra_articular", idx, tuple(point), 0.3, state.tick, 10.0),)
    still = render_ultrasound(world, replace(state, needle=needle, deposits=dep))
    now = render_ultrasound(world, replace(state, needle=needle, deposits=dep,
                                           injecting=True))
    later = render_ultrasound(world, replace(state, needle=needle, deposits=dep,
                                             injecting=True, tick=state.tick + 3))
    near = (slice(max(i - 8, 0), i + 9), slice(max(j - int(3 / g.dz_mm), 0),
                                               j + int(3 / g.dz_mm)))
    # bright echoes round the tip while the plunger moves, gone when it stops ...
    assert now.grey[near].mean() - still.grey[near].mean() >= 15.0
    # ... and they swirl: not the same pattern from frame to frame
    assert np.abs(now.grey[near] - later.grey[near]).mean() >= 10.0


@pytest.mark.parametrize("name, compartment", [("anterior_recess", "intra_articular"),
                                               ("joint_capsule", "capsule_wall")])
def test_one_millilitre_changes_the_image(view, name, compartment):
    """The image follows the deposit's volume the frame it is made (no lag), so 1 mL, given
    within a second at any usual rate, is a visible change of the region."""
    world, state, frame = view
    after, _, _ = _inject(view, name, compartment, 1.0)
    assert _area_mm2(frame, np.abs(after.grey - frame.grey) > CHANGED) >= 20.0


def test_intra_articular_5ml_distends_the_recess_along_the_neck(view):
    world, state, frame = view
    after, _, _ = _inject(view, "anterior_recess", "intra_articular", 5.0)
    new_dark = (after.grey < DARK) & (frame.grey >= DARK)
    assert _area_mm2(frame, new_dark) >= 25.0   # was 0.8 mm2: the fluid vanished in the cavity
    extent, height = _collection(world, frame, after)
    assert extent >= 20.0, extent               # the recess fills along the femoral neck
    assert height <= 5.0, height                # against the bone, under the capsule


def test_capsule_wall_5ml_does_not_look_intra_articular(view):
    """A hard fail must not look like success: the wall balloons and the fluid dissects
    out over the capsule - a local collection further from the bone, not a long recess."""
    world, state, frame = view
    ia, _, _ = _inject(view, "anterior_recess", "intra_articular", 5.0)
    wall, _, _ = _inject(view, "joint_capsule", "capsule_wall", 5.0)
    ia_extent, ia_height = _collection(world, frame, ia)
    wall_extent, wall_height = _collection(world, frame, wall)
    assert wall_extent <= 0.5 * ia_extent, (wall_extent, ia_extent)
    assert wall_height >= ia_height + 1.0, (wall_height, ia_height)


def test_a_mesh_gap_at_the_tip_does_not_split_the_bolus_to_outside(view):
    """Issue 11 item 7: between the capsule's and the recess's meshes the tip can sit in a
    sub-millimetre gap labelled 0; injecting there keeps filling the open bolus."""
    from simulator.injection import deposit

    world, state, frame = view
    _, _, point, idx = _spot(world, frame, "anterior_recess")
    d = np.array([0.0, 0.0, -1.0])
    needle = Needle(entry_mm=tuple(point - 50.0 * d), direction=tuple(d), depth_mm=50.0,
                    in_skin=True, tip_label=0)
    open_bolus = Deposit(0, "intra_articular", idx, tuple(point), 1.0, state.tick, 10.0)
    s = replace(state, needle=needle, deposits=(open_bolus,), injecting=True)
    (grown,) = deposit(s, world, 0.1, 10.0)
    assert grown.compartment == "intra_articular"
    assert grown.volume_ml == pytest.approx(1.1)


@pytest.mark.slow   # ~23 s: six more worlds to load (the hip's 1 mL test runs by default)
@pytest.mark.parametrize("scenario", [
    "hip_trochanteric_bursa_us", "knee_lateral_midpatellar_us", "shoulder_sasd_bursa_us",
    "shoulder_gh_posterior_us", "ankle_anterior_us",
    pytest.param("knee_suprapatellar_us", marks=pytest.mark.xfail(strict=True, reason=(
        "1 mL into the suprapatellar recess changes only 11 mm2 of the start frame: the "
        "recess is already fluid-dark there, and the collection does not yet distend it "
        "visibly at 1 mL"))),
])
def test_one_millilitre_into_each_scenarios_target_changes_its_start_view(scenario):
    """Every ultrasound scenario (issue 12 "Done when": injection visible within 1 s of 1 mL):
    1 mL into the scenario's target, where it shows nearest the middle of the start view,
    changes >= 20 mm2 of the image by a visible step (measured 26-64 mm2)."""
    from simulator.injection import COMPARTMENT_OF_ROLE
    from simulator.loading import load_world
    from simulator.step import initial_state

    world = load_world(scenario)
    state = initial_state(world)
    frame = render_ultrasound(world, state)
    target = world.anatomy.structure(world.scenario.targets[0].structure)
    compartment = COMPARTMENT_OF_ROLE[target.role]
    after, _, _ = _inject((world, state, frame), target.name, compartment, 1.0)
    assert _area_mm2(frame, np.abs(after.grey - frame.grey) > CHANGED) >= 20.0
