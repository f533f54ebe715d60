"""What every anatomy generator's mesh set must be, whatever the joint: the named structures
and landmarks with their manifest roles and tissues, closed oriented solid surfaces, a
triangle budget, the same arrays for the same seed, and a left side that is the exact mirror
of the right (or, for models on real bones, the body's own left side).

Each test runs once per joint (hip, knee, ankle, shoulder, SIJ); the joint-specific anatomy is
tested in test_<joint>_anatomy.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from anatomy_joints import JOINTS
from anatomy_probe import Joint, Models

GENERATOR_VERSION = {"hip": 4, "knee": 3, "ankle": 2, "shoulder": 3, "sij": 3}
# the patients whose surfaces are checked closed, oriented and solid
CLOSED = {
    "hip": ("default", "bmi40", "male", "left"),
    "knee": ("default", "bmi40", "left"),
    "ankle": ("default", "bmi40", "left"),
    "shoulder": ("default", "bmi40_effusion", "male", "left"),
    "sij": ("default", "bmi40", "male", "left"),
}
# joints whose split pieces may have either orientation, so long as they are not flat (a
# cortical shell round its cancellous core splits into the outer surface and the inward-facing
# wall of the core's void: the shoulder's bones are built that way since generator 3)
UNSIGNED_PIECES = {"knee", "ankle", "shoulder"}
TRIANGLES = {"hip": (100_000, 300_000), "knee": (150_000, 400_000),
             "ankle": (120_000, 330_000), "shoulder": (100_000, 230_000),
             "sij": (250_000, 450_000)}
# a structure compared between seeds
SEED_PROBE = {"hip": "femur", "knee": "femur", "ankle": "talus", "shoulder": "scapula",
              "sij": "sacroiliac_joint"}
# a landmark on the patient's side of the midline, and joints whose mirrored structures are
# compared by volume too
SIDED_MARK = {"hip": "femoral_head_center", "shoulder": "humeral_head_center",
              "ankle": "talar_dome_top",
              "sij": "target_sij_inferior", "knee": "knee_joint_center"}
MIRRORED_VOLUMES: set[str] = set()
# models built on real bones (the left model is the real left side of the same body): the
# structures compared between the sides, the first a bone
REAL_SIDES = {"hip": ("femur", "pelvis", "femoral_head_cartilage"),
              "ankle": ("tibia", "talus", "calcaneus"),
              "sij": ("ilium", "sacrum", "sacroiliac_joint"),
              "knee": ("femur", "patella", "tibia")}


# module scope: pytest runs every test of one joint before building the next joint's models
@pytest.fixture(scope="module", params=list(JOINTS))
def joint(request) -> Joint:
    return JOINTS[request.param]


@pytest.fixture(scope="module")
def models(joint, built_models) -> Models:
    return Models(joint, built_models)


def test_names_landmarks_and_manifest(joint, models):
    m = models["default"]
    assert set(m.by_name) == joint.names
    assert joint.landmarks <= set(m.mark)
    manifest = m.model.manifest()
    assert manifest.generator == {"name": joint.name, "version": GENERATOR_VERSION[joint.name],
                                  "patient": joint.patients["default"].key(), "seed": 0}
    for role, names in joint.roles.items():
        for name in names:
            assert manifest.structure(name).role == role, name
    for tissue, names in joint.tissues.items():
        for name in names:
            assert manifest.structure(name).tissue == tissue, name
    for name in joint.fibred:
        assert abs(np.linalg.norm(manifest.structure(name).fibre_direction) - 1.0) < 1e-9, name
    assert len({s.priority for s in manifest.structures}) == len(joint.names)


@pytest.mark.slow  # 20-80 s each on 2 cores: the default run stays near 5 minutes
def test_every_structure_is_closed_oriented_and_solid(joint, models):
    for key in CLOSED[joint.name]:
        for name, mesh in models[key].mesh.items():
            assert mesh.is_watertight, (key, name)
            assert mesh.is_winding_consistent, (key, name)
            assert mesh.volume > 0, (key, name)
            for piece in mesh.split(only_watertight=True):
                volume = abs(piece.volume) if joint.name in UNSIGNED_PIECES else piece.volume
                assert volume > 1e-3, f"{key}: {name} has a flat or inverted piece"


def test_triangle_budget(joint, models):
    lo, hi = TRIANGLES[joint.name]
    assert lo <= sum(len(s.faces) for s in models["default"].model.structures) <= hi


@pytest.mark.slow  # 20-80 s each on 2 cores: the default run stays near 5 minutes
def test_same_seed_same_arrays_other_seed_differs(joint, models):
    m = models["default"]
    again = joint.build(m.patient, 0)
    for a, b in zip(m.model.structures, again.structures, strict=True):
        assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)
    assert again.landmarks == m.model.landmarks
    other = joint.build(m.patient, 1)
    name = SEED_PROBE[joint.name]
    a = {s.entry.name: s for s in other.structures}[name].vertices
    b = m.by_name[name].vertices
    assert a.shape != b.shape or not np.allclose(a, b)


def test_left_is_the_mirror_of_right(joint, models):
    right, left = models["default"], models["left"]
    flip = np.array([-1.0, 1.0, 1.0])
    if joint.name in REAL_SIDES:
        # a real left side: not a copy, but the same body's joint within a few millimetres
        names = REAL_SIDES[joint.name]
        assert not np.array_equal(np.sort(right.by_name[names[0]].vertices[:, 1]),
                                  np.sort(left.by_name[names[0]].vertices[:, 1]))
        for name in names:
            assert left.mesh[name].volume == pytest.approx(right.mesh[name].volume, rel=0.2)
        for key in joint.landmarks:
            assert np.linalg.norm(left.mark[key] - right.mark[key] * flip) < 25.0, key
        mark = SIDED_MARK[joint.name]
        assert left.mark[mark][0] < 0 < right.mark[mark][0]
        return
    for name in joint.names:
        a = right.by_name[name].vertices * flip
        b = left.by_name[name].vertices
        assert np.array_equal(a[np.lexsort(a.T[::-1])], b[np.lexsort(b.T[::-1])]), name
        if joint.name in MIRRORED_VOLUMES:
            assert left.mesh[name].volume == pytest.approx(right.mesh[name].volume, rel=1e-9)
    for key in joint.landmarks:
        assert np.allclose(left.mark[key], right.mark[key] * flip)
    if joint.name in SIDED_MARK:
        mark = SIDED_MARK[joint.name]
        assert left.mark[mark][0] < 0 < right.mark[mark][0]
