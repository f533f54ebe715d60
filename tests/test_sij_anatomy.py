"""Generated sacroiliac anatomy: closed disjoint surfaces that measure up to the clinical numbers.

Every check measures the built meshes (rays, principal axes, distances, containment); the drawn
parameters only supply expected values. Clinical numbers from clinical.md s.3.5: prone, target
the inferior posterior joint 1-2 cm cranial of its caudal margin, 4-8 cm deep (scaled with
BMI); danger: through the ventral capsule into the pelvis, nerve roots.
The checks every generator's mesh set passes are in test_anatomy_mesh_sets.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from anatomy_joints import SIJ
from anatomy_probe import Model, assert_tiles_the_body, joint_fixtures
from scipy.spatial import cKDTree

from simulator.anatomy.generators.sij_params import JOINT_SPACE_BY_KL_MM

DANGERS = ("s1_nerve_root", "lumbosacral_trunk", "internal_iliac_artery", "internal_iliac_vein",
           "presacral_space")

models, sij = joint_fixtures(SIJ)


def _joint_axes(m: Model):
    """Principal axes of the injected joint's space: long (caudal), depth (ventral) and
    normal (toward the ilium), from its mesh."""
    v = m.by_name["sacroiliac_joint"].vertices
    centre = v.mean(0)
    _, _, vt = np.linalg.svd(v - centre, full_matrices=False)
    long, depth, normal = vt
    long = long * -np.sign(long[2])             # caudal
    depth = depth * np.sign(depth[1])           # ventral
    normal = normal * np.sign(normal[0] * m.side)  # lateral, toward the ilium
    return centre, long, depth, normal


# -- structure and topology --------------------------------------------------------------------

@pytest.mark.parametrize("key", ["default", "thin_kl3"])
def test_structures_are_disjoint_and_tile_the_body(models, key):
    """Nobody claims a point twice, no pockets, and the box round the joint lies wholly
    inside the body."""
    m = models[key]
    assert_tiles_the_body(m, m.mark["target_sij_inferior"], 30.0, 0.4, claimed_margin=0)


# -- the joint and its target ------------------------------------------------------------------

@pytest.mark.parametrize("key", ["default", "male", "left", "bmi40"])
def test_target_in_the_inferior_posterior_joint(models, key):
    m = models[key]
    target = m.mark["target_sij_inferior"]
    assert m.contains("sacroiliac_joint", target)
    centre, long, depth, _ = _joint_axes(m)
    v = m.by_name["sacroiliac_joint"].vertices
    caudal = (v - centre) @ long
    assert 10.0 <= caudal.max() - (target - centre) @ long <= 20.0  # 1-2 cm above the margin
    # posterior: in the dorsal part of the joint at that level, a few mm from the joint line
    level = np.abs((v - target) @ long) < 3.0
    across = (v[level] - target) @ depth
    assert across.min() > -6.0 and across.max() > 15.0
    margin = m.mark["sij_caudal_margin"]
    assert abs((margin - centre) @ long - caudal.max()) < 1.5


def test_joint_plane_is_oblique_with_its_ventral_end_lateral(models):
    for key in ("default", "left"):
        m = models[key]
        _, long, depth, normal = _joint_axes(m)
        horizontal = np.array([depth[0] * m.side, depth[1]])
        angle = np.degrees(np.arctan2(horizontal[0], horizontal[1]))  # from straight ahead
        assert 15.0 < angle < 35.0, key  # ~25 deg off sagittal, ventral end lateral
        assert long[2] < -0.8  # runs down the sacrum


def test_joint_space_width_and_oa_narrowing(models):
    width = {}
    for key in ("default", "thin_kl3"):
        m = models[key]
        target = m.mark["target_sij_inferior"]
        _, _, _, normal = _joint_axes(m)
        t = m.hits("sacroiliac_joint", target - 10.0 * normal, normal)
        width[key] = t[1] - t[0]
        assert width[key] == pytest.approx(m.params.joint_space_mm, abs=0.15), key
        # the sacrum medial and the ilium lateral, right against the joint space
        assert m.hits("sacrum", target, -normal)[0] == pytest.approx(0.5 * width[key], abs=0.1)
        assert m.hits("ilium", target, normal)[0] == pytest.approx(0.5 * width[key], abs=0.1)
    assert width["thin_kl3"] < width["default"] - 0.5
    assert JOINT_SPACE_BY_KL_MM[3] < JOINT_SPACE_BY_KL_MM[1]


def _depth(m: Model) -> float:
    target = m.mark["target_sij_inferior"]
    return float(m.hits("skin", target, [0.0, -1.0, 0.0])[-1])


def test_target_depth_4_to_8_cm_growing_with_bmi(models):
    depth = {k: _depth(models[k]) for k in ("thin_kl3", "default", "bmi40", "male")}
    for key, d in depth.items():
        assert 40.0 <= d <= 80.0, (key, d)
        m = models[key]
        along = np.linalg.norm(m.mark["sij_entry_skin"] - m.mark["target_sij_inferior"])
        assert 40.0 <= along <= 85.0, (key, along)
    assert depth["thin_kl3"] < depth["default"] < depth["bmi40"]
    assert depth["bmi40"] - depth["thin_kl3"] > 15.0


def test_needle_down_the_joint_plane_crosses_ligament_not_bone(models):
    for key in ("default", "male", "left"):
        m = models[key]
        target, entry = m.mark["target_sij_inferior"], m.mark["sij_entry_skin"]
        names = ["skin", "subcutaneous_fat", "posterior_sacroiliac_ligaments", "sacroiliac_joint",
                 "sacrum", "ilium", *DANGERS]
        order = [n for _, n in m.along(entry - 2.0 * (target - entry) / np.linalg.norm(
            target - entry), target, names)]
        assert order[:2] == ["skin", "subcutaneous_fat"], (key, order)
        assert order[-2:] == ["posterior_sacroiliac_ligaments", "sacroiliac_joint"], (key, order)
        assert not {"sacrum", "ilium", *DANGERS} & set(order), (key, order)
        # the needle comes from behind, medial to the joint (contralateral oblique C-arm)
        d = (target - entry) / np.linalg.norm(target - entry)
        assert d[1] > 0.8 and d[0] * m.side > 0.15


# -- dangers ventral to the joint --------------------------------------------------------------

@pytest.mark.parametrize("key", ["default", "male", "left"])
def test_through_the_ventral_capsule_lies_the_pelvis(models, key):
    m = models[key]
    target = m.mark["target_sij_inferior"]
    _, _, depth, _ = _joint_axes(m)
    joint = m.hits("sacroiliac_joint", target, depth)[0]  # ventral end of the joint space
    capsule = m.hits("sacroiliac_capsule", target, depth)
    assert capsule[0] == pytest.approx(joint, abs=0.2)  # the capsule closes it ventrally
    beyond = target + (capsule[1] + 0.5) * depth
    first = min((m.hits(n, beyond, depth)[:1] for n in DANGERS), key=lambda t: t[0]
                if len(t) else np.inf)
    assert len(first) and first[0] < 25.0  # a danger within 2.5 cm in front of the capsule
    for name in DANGERS:
        assert np.linalg.norm(m.by_name[name].vertices - target, axis=1).min() > 12.0, name


@pytest.mark.parametrize("key", ["default", "left"])
def test_internal_iliac_vessels_lie_in_front_of_the_joint(models, key):
    m = models[key]
    target = m.mark["target_sij_inferior"]
    _, long, depth, _ = _joint_axes(m)
    joint = m.by_name["sacroiliac_joint"].vertices
    for name in ("internal_iliac_artery", "internal_iliac_vein"):
        vessel = m.by_name[name].vertices
        gap, nearest = cKDTree(vessel).query(joint)
        assert 4.0 < gap.min() < 30.0, name  # on the pelvic wall, about 1 cm in front
        closest = vessel[nearest[np.argmin(gap)]]
        assert (closest - target) @ depth > 15.0, name  # ventral, not behind the joint
    point = m.mark["internal_iliac_artery_at_joint"]
    assert m.contains("internal_iliac_artery", point)


def test_s1_root_leaves_through_its_foramen(models):
    for key in ("default", "left"):
        m = models[key]
        foramen = m.mark["s1_foramen"]
        assert 20.0 < foramen[0] * m.side < 32.0  # about 26 mm from the midline
        assert not m.contains("sacrum", foramen) and not m.contains("sacrum_marrow", foramen)
        assert m.contains("s1_nerve_root", m.mark["s1_root_at_foramen"])
        root = m.by_name["s1_nerve_root"].vertices
        assert root[:, 1].max() > m.mark["sacral_promontory"][1] - 25.0  # reaches the front
        presacral = m.by_name["presacral_space"].vertices
        assert presacral[:, 1].mean() > m.mark["s1_foramen"][1]  # in front of the sacrum


def test_extreme_patient_still_builds_a_reachable_joint(models):
    """Obese, worn and left-sided: the target stays in a thin joint space within 4-8 cm of the
    skin (along the needle) and the approach still misses bone and the dangers."""
    m = models["extreme"]
    target, entry = m.mark["target_sij_inferior"], m.mark["sij_entry_skin"]
    assert m.contains("sacroiliac_joint", target)
    assert 40.0 <= np.linalg.norm(entry - target) <= 90.0
    order = [n for _, n in m.along(entry, target, ["sacrum", "ilium", *DANGERS])]
    assert order == []


# -- landmarks, determinism and sides -----------------------------------------------------------

def test_landmarks_lie_where_they_are_named(models):
    for key in ("default", "bmi40", "left"):
        m = models[key]
        for name in ("posterior_skin_over_sij", "sij_entry_skin"):
            assert m.distance("skin", m.mark[name])[0] < 0.3, (key, name)
        for name in ("psis", "piis"):
            assert m.distance("ilium", m.mark[name])[0] < 1.5, (key, name)
        assert m.contains("sacroiliac_joint", m.mark["sij_isocentre"])
        assert m.contains("sacroiliac_joint", m.mark["sij_centre"])
    m = models["default"]
    # the posterior superior iliac spine is dorsal of the joint and above the target
    assert m.mark["psis"][1] < m.mark["target_sij_inferior"][1] - 10.0
    assert m.mark["psis"][2] > m.mark["target_sij_inferior"][2] + 15.0


# -- the real Visible Human sacrum and ilia (the bones the SIJ model is being moved onto) -----

REAL_JOINTS = [(sex, side) for sex in ("female", "male") for side in ("right", "left")]


@pytest.fixture(scope="module")
def real_joints():
    from simulator.anatomy.real.bones import real_bone
    from simulator.anatomy.real.sij_landmarks import sij_landmarks

    out = {}
    for sex, side in REAL_JOINTS:
        sacrum = real_bone(sex, None, "sacrum").outer_vertices
        out[sex, side] = sij_landmarks(sacrum, real_bone(sex, side, "hip_bone").outer_vertices)
    return out


@pytest.mark.parametrize("sex, side", REAL_JOINTS)
def test_real_auricular_surfaces_face_each_other_across_a_narrow_joint(real_joints, sex, side):
    j = real_joints[sex, side]
    lateral = 1.0 if side == "right" else -1.0
    assert j.normal[0] * lateral > 0.8                     # sacrum -> ilium is lateral
    assert 1.5 < j.gap_mm < 4.0                            # a synovial joint, not a fusion
    both = np.concatenate([j.sacral_surface, j.iliac_surface])
    assert 45.0 < np.ptp(both @ j.long_axis) < 85.0        # the ear's craniocaudal extent
    # PSIS: dorsal of the joint, at about its upper half
    assert 30.0 < (j.centre - j.psis)[1] < 60.0


@pytest.mark.parametrize("sex, side", REAL_JOINTS)
def test_real_joint_lines_need_a_contralateral_oblique_and_the_medial_line_is_posterior(
        real_joints, sex, side):
    """clinical.md s.3.5: the C-arm is rotated 15-30 deg to the contralateral side to line
    up the joint (measured here to +-3 deg: the lines are sampled per 4 mm slice), and in a
    straight PA view the more medial joint line is the posterior one."""
    j = real_joints[sex, side]
    assert 12.0 <= j.axial_angle_deg <= 33.0, j.axial_angle_deg
    assert len(j.anterior_line) == len(j.posterior_line) >= 10
    medial_posterior = np.abs(j.posterior_line[:, 0]) < np.abs(j.anterior_line[:, 0])
    assert medial_posterior.mean() > 0.8
    assert np.all(j.posterior_line[:, 1] <= j.anterior_line[:, 1])   # dorsal of it
