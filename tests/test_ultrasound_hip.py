"""The hip scenario's ultrasound view after the scripted expert has placed the probe:
the femoral head/neck bone line where a ray cast puts it, a shadow under it, and the
capsule and anterior recess in the slice."""

from __future__ import annotations

import numpy as np
import pytest
from us_phantoms import envelope_db

from simulator.anatomy.manifest import Role
from simulator.imaging.ultrasound import render_ultrasound


def _placed(world):
    """State a few ticks after the expert put the probe on the skin and set depth/focus."""
    from simulator.policies import make_policy
    from simulator.step import initial_state, step

    policy = make_policy("expert", world, 0)
    state = initial_state(world)
    placed_at = None
    while state.tick < 20_000:
        action = policy(world, state)
        state, _ = step(world, state, action)
        if action.place_probe is not None:
            placed_at = state.tick
        if placed_at is not None and state.tick >= placed_at + 10:
            return world, state
    pytest.fail("the expert never placed the probe")


@pytest.fixture(scope="module")
def placed(hip_us_world):
    return _placed(hip_us_world)


@pytest.fixture(scope="module")
def effusion_placed():
    """The same case in a patient with a 5 mm effusion in the anterior recess."""
    from conftest import REPO

    from simulator.loading import world_for
    from simulator.scenario import load_scenario

    path = REPO / "scenarios" / "hip_anterior_us.yaml"
    scenario = load_scenario(path)
    patient = scenario.anatomy.patient.model_copy(update={"effusion_mm": 5.0})
    anatomy = scenario.anatomy.model_copy(update={"patient": patient})
    return _placed(world_for(scenario.model_copy(update={"anatomy": anatomy}), path))


def test_bone_line_where_the_anatomy_is_with_shadow(placed):
    world, state = placed
    frame = render_ultrasound(world, state)
    g = frame.geometry
    wfp = frame.world_from_probe
    bones = {s.index for s in world.anatomy.structures if s.role == Role.bone}
    beams = g.line_directions() @ wfp[:3, :3].T
    contrast = []
    for i in range(0, g.n_lines, 2):
        origin = wfp[:3, :3] @ g.points(i, 0.0) + wfp[:3, 3]
        hit = world.anatomy.first_surface(origin, beams[i], g.max_depth_mm - 20.0,
                                          labels=bones)
        if hit is None or abs(np.dot(hit[1].normal, beams[i])) < 0.9:
            continue  # no bone, or a surface too oblique to echo back
        depth = float(np.linalg.norm(hit[0] - origin))
        col = frame.envelope[i].astype(float)
        j = int(round(depth / g.dz_mm - 0.5))
        win = int(round(1.0 / g.dz_mm))
        jp = j - win + int(np.argmax(col[j - win:j + win + 1]))
        above = col[j - int(8 / g.dz_mm):j - int(3 / g.dz_mm)].mean()
        below = col[j + int(5 / g.dz_mm):j + int(15 / g.dz_mm)].mean()
        # the brightest echo near the surface is the surface, at the ray-cast depth
        assert abs(g.depth_mm[jp] - depth) <= 2.0 * g.axial_fwhm_mm, (i, depth, g.depth_mm[jp])
        assert envelope_db(below) - envelope_db(above) <= -25.0, i  # acoustic shadow
        contrast.append(envelope_db(col[jp]) - envelope_db(above))
    assert len(contrast) >= 5, "the expert's view should show the femoral head/neck"
    # R6 on the anatomy: the bone line stands >= 20 dB out of the soft tissue (capsule,
    # ligament, muscle) over it where it faces the probe (was 18 dB with 5 fixed slices)
    assert np.median(contrast) >= 20.0, contrast


def test_capsule_and_recess_are_in_the_slice(placed):
    """Without effusion the recess is a potential space (stripe sign) but in the slice."""
    world, state = placed
    frame = render_ultrasound(world, state)
    names = {world.name(int(v)) for v in np.unique(frame.label) if v}
    assert {"femur", "joint_capsule", "anterior_recess"} <= names, names


def test_an_effusion_shows_as_an_anechoic_recess_under_the_capsule(effusion_placed):
    world, state = effusion_placed
    frame = render_ultrasound(world, state)
    names = {world.name(int(v)) for v in np.unique(frame.label) if v}
    assert {"femur", "joint_capsule", "anterior_recess"} <= names, names
    from scipy.ndimage import binary_erosion

    def inner(name):  # samples of the structure at least ~1 PSF from its boundary
        mask = frame.label == world.anatomy.structure(name).index
        return frame.envelope[binary_erosion(mask, structure=np.ones((3, 7), bool))]

    capsule, recess = inner("joint_capsule"), inner("anterior_recess")
    assert len(recess) >= 20
    # synovial fluid is anechoic: darker than the fibrous capsule around it
    assert envelope_db(recess.mean()) - envelope_db(capsule.mean()) <= -3.0
