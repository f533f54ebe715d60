"""Generated knee anatomy: closed disjoint surfaces that measure up to the clinical numbers.

The bones, cartilage, menisci, ligaments and thigh and calf muscles are the real Visible
Human ones (both bodies are built: "default" is the female, "male" the male; "left" the
female's own left side). Every check measures the built meshes (rays, sections,
containment); the drawn parameters are only used as expected values. clinical.md 3.2:
suprapatellar recess between the quadriceps-tendon fat pad and the prefemoral fat pad, 1-3 cm
deep (scenario range), >= 5 mm of fluid is an effusion; the quadriceps tendon is the
structure to avoid. The checks every generator's mesh set passes are in
test_anatomy_mesh_sets.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from anatomy_joints import KNEE
from anatomy_probe import (
    Model,
    assert_depth_grows_with_bmi,
    assert_tiles_the_body,
    depth_under_skin,
    joint_fixtures,
)

from simulator.anatomy.generators.knee_params import JOINT_SPACE_BY_KL_MM

models, knee = joint_fixtures(KNEE)


# -- structure and topology -------------------------------------------------------------------

def test_quadriceps_tendon_runs_along_the_thigh(knee):
    fibre = knee.model.manifest().structure("quadriceps_tendon").fibre_direction
    assert abs(fibre[2]) > 0.9


def test_structures_are_disjoint_and_tile_the_body(knee):
    # fine grid over the extensor mechanism and joint: every point claimed once; a couple
    # of voxels of numerical slivers (< 0.1 mm3, where two surfaces nearly touch) tolerated
    centre = knee.mark["patella_center"] - np.array([0.0, 15.0, 5.0])
    assert_tiles_the_body(knee, centre, 30.0, 0.5, slivers=2)


# -- the real bones ----------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["default", "male"])
def test_the_bones_are_the_real_ones_of_each_body(models, key):
    m = models[key]
    # patella 40-50 mm high (the real ones: 47 and 46 mm), epicondylar width 70-95 mm
    pole = m.mark["superior_patellar_pole"]
    patella = m.mesh["patella"].vertices
    assert 40.0 < patella[:, 2].max() - patella[:, 2].min() < 52.0
    assert abs(patella[:, 2].max() - pole[2]) < 3.0
    width = (m.mark["lateral_epicondyle"] - m.mark["medial_epicondyle"]) @ m.lateral
    assert 70.0 < width < 95.0, width
    # the real femur is no solid of revolution: its shaft section is not a circle
    shaft = m.mesh["femur"].section(plane_origin=m.mark["knee_joint_center"] + [0, 0, 120],
                                    plane_normal=[0, 0, 1]).vertices
    radius = np.linalg.norm(shaft[:, :2] - shaft[:, :2].mean(0), axis=1)
    assert radius.max() - radius.min() > 2.0


# -- the suprapatellar recess -------------------------------------------------------------------

def test_recess_depth_follows_bmi_within_the_clinical_range(models):
    depth = assert_depth_grows_with_bmi(models, "target_suprapatellar_recess", 10.0, 30.0)
    assert depth["bmi40"] - depth["bmi18"] > 8.0


@pytest.mark.slow  # two knees built for it alone (25 s of CPU); the female body's depth over
# BMI keeps the clinical range in the default run
def test_recess_depth_of_the_male_body_is_in_the_clinical_range(models):
    depth = {k: depth_under_skin(models[k], models[k].mark["target_suprapatellar_recess"])
             for k in ("male_bmi18", "male", "male_bmi40")}
    # the male's thicker tendon and fat pads (and a patella riding higher) put the obese
    # knee a few mm past the 3 cm placeholder range
    assert 10.0 <= depth["male_bmi18"] and depth["male"] <= 30.0, depth
    assert depth["male_bmi40"] <= 35.0, depth
    assert depth["male_bmi18"] < depth["male"] < depth["male_bmi40"], depth


def _recess_ray(m: Model):
    """From inside the femur at the recess target's height, out through the target."""
    target = m.mark["target_suprapatellar_recess"]
    femur = m.centroid("femur", target[2])
    out = target - femur
    out[2] = 0.0
    return femur, out / np.linalg.norm(out)


def test_effusion_thickens_the_recess(models):
    thick = {k: models[k].thickness("suprapatellar_recess", *_recess_ray(models[k]))
             for k in ("default", "kl4_effusion6")}
    assert thick["default"] == pytest.approx(2.0, abs=0.6)  # collapsed recess, normal
    assert thick["kl4_effusion6"] >= 5.0  # clinical.md: >= 5 mm fluid is an effusion
    assert thick["kl4_effusion6"] - thick["default"] == pytest.approx(6.0, abs=1.2)


@pytest.mark.parametrize("key", ["default", "male"])
def test_recess_lies_between_the_fat_pads_under_the_quadriceps_tendon(models, key):
    m = models[key]
    target = m.mark["target_suprapatellar_recess"]
    tendon = m.centroid("quadriceps_tendon", target[2])
    start = np.array([tendon[0], m.centroid("femur", target[2])[1], target[2]])
    layers = ["femur", "prefemoral_fat_pad", "suprapatellar_recess", "suprapatellar_fat_pad",
              "quadriceps_tendon", "subcutaneous_fat", "skin"]
    hits = {n: m.hits(n, start, [0.0, 1.0, 0.0]) for n in layers}
    exits = [hits[n][hits[n] > 0][-1] for n in layers]  # the last surface each ray leaves
    assert exits == sorted(exits)


def test_target_is_in_the_recess_under_the_lateral_edge_of_the_tendon(models):
    for key in ("default", "male", "left", "kl4_effusion6"):
        m = models[key]
        target = m.mark["target_suprapatellar_recess"]
        assert m.contains("suprapatellar_recess", target), key
        section = m.mesh["quadriceps_tendon"].section(plane_origin=target,
                                                      plane_normal=[0, 0, 1])
        x = section.vertices[:, 0] * m.lateral[0]
        # under the lateral half of the tendon, toward its edge (a patella riding laterally
        # can carry the edge past the side of the femur: the target stays on its front)
        lateral = target[0] * m.lateral[0]
        assert 0.5 * (x.min() + x.max()) + 4.0 <= lateral <= x.max() + 1.0, key
        # the tendon lies in front of the recess
        assert section.vertices[:, 1].min() > target[1]
        assert m.mark["superior_patellar_pole"][2] + 8.0 < target[2]  # just above the patella


def test_fat_follows_bmi_and_sex(models):
    def fat(key):
        m = models[key]
        return m.thickness("subcutaneous_fat", m.mark["target_suprapatellar_recess"],
                           [0.0, 1.0, 0.0])

    values = {k: fat(k) for k in ("bmi18", "default", "bmi40", "male")}
    assert values["bmi18"] < values["default"] < values["bmi40"]
    assert values["male"] < values["default"]
    assert values["default"] == pytest.approx(models["default"].params.fat_anterior_mm, rel=0.3)


# -- patellofemoral and tibiofemoral joints ----------------------------------------------------

def _pf_gap(m: Model, lateral_mm: float) -> float:
    """Fluid gap between the patellar cartilage and the femur's articular surface (cartilage
    or bone) straight back from mid-pole, ``lateral_mm`` lateral of the patella centre."""
    centre = m.mark["patella_center"] + lateral_mm * m.lateral
    back = np.array([0.0, -1.0, 0.0])
    leave = m.hits("patellar_cartilage", centre, back)
    reach = np.concatenate([m.hits("femoral_cartilage", centre, back),
                            m.hits("femur", centre, back)])
    reach = reach[reach > leave[-1]] if len(leave) else reach
    return float(reach.min() - leave[-1] if len(leave) and len(reach) else np.nan)


def test_patellofemoral_space_holds_the_target_and_widens_with_effusion(models):
    for key in ("default", "left", "male"):
        m = models[key]
        target = m.mark["target_patellofemoral"]
        assert m.contains("patellofemoral_space", target), key
        offset = (target - m.mark["patella_center"]) @ m.lateral
        assert offset > 8.0, key  # under the lateral facet, toward its margin
        # the fluid film is thin where the cartilages meet (0.8 mm + effusion; the patella is
        # seated along its own axis, so a straight-back ray can find the left knee's closer)
        gap = min(_pf_gap(m, dx) for dx in np.linspace(-10.0, 10.0, 9))
        assert 0.0 < gap <= m.params.pf_gap_mm + 0.7, key
        if key != "left":
            assert gap == pytest.approx(m.params.pf_gap_mm, abs=0.7), key
    gaps = {k: min(_pf_gap(models[k], dx) for dx in np.linspace(-10.0, 10.0, 9))
            for k in ("default", "kl4_effusion6")}
    assert gaps["kl4_effusion6"] > gaps["default"] + 1.0


@pytest.mark.parametrize("key", ["default", "male", "kl4_effusion6"])
def test_joint_space_follows_the_oa_grade_in_both_compartments(models, key):
    """Bone to bone under each condyle's weight-bearing middle (``knee_landmarks``: vertical
    rays from the lowest 10 mm of the condyle within 6 mm sideways of its lowest point),
    measured on the built meshes: the grade's joint space in the narrower compartment, the
    other no narrower (the atlas knees' medial compartment gapes; the generator evens it
    within a 4 deg turn of the femur)."""
    from simulator.anatomy.real.knee_landmarks import knee_landmarks

    m = models[key]
    marks = knee_landmarks(*((m.by_name[n].vertices, m.by_name[n].faces)
                             for n in ("femur", "patella", "tibia")))
    want = JOINT_SPACE_BY_KL_MM[m.patient.oa_grade]
    spaces = sorted((marks.lateral_joint_space_mm, marks.medial_joint_space_mm))
    assert spaces[0] == pytest.approx(want, abs=0.6), (key, spaces)
    assert spaces[1] < want + 12.0, (key, spaces)


def test_cortex_and_marrow(models):
    for key in ("default", "male"):
        m = models[key]
        assert m.contains("patella_marrow", m.mark["patella_center"])
        shaft = m.centroid("femur", m.mark["knee_joint_center"][2] + 130.0)
        assert 2.0 < m.thickness("femur", shaft, [0.0, 1.0, 0.0]) < 8.0


# -- vessels and nerves -------------------------------------------------------------------------

def test_popliteal_bundle_lies_behind_the_joint_in_order(models):
    for key in ("default", "male", "left"):
        m = models[key]
        z = m.mark["knee_joint_center"][2] + 25.0
        y = {n: m.centroid(n, z)[1] for n in ("popliteal_artery", "popliteal_vein",
                                                "tibial_nerve")}
        back_of_femur = m.mesh["femur"].section(plane_origin=[0, 0, z],
                                                plane_normal=[0, 0, 1]).vertices[:, 1].min()
        # deep to superficial: artery, vein, nerve, all behind the condyles
        assert back_of_femur > y["popliteal_artery"] > y["popliteal_vein"] > y["tibial_nerve"]
        artery = m.mark["popliteal_artery_at_joint"]
        assert abs(artery[0] - m.mark["knee_joint_center"][0]) < 15.0
        assert m.contains("popliteal_artery", artery)
        # the common peroneal nerve winds round the back of the fibular neck
        nerve = m.mark["peroneal_nerve_at_fibular_neck"]
        assert m.contains("common_peroneal_nerve", nerve)
        assert np.linalg.norm(nerve - m.mark["fibular_head"]) < 45.0


def test_recess_target_is_far_from_the_neurovascular_bundle(knee):
    target = knee.mark["target_suprapatellar_recess"]
    for name in ("popliteal_artery", "popliteal_vein", "tibial_nerve",
                 "common_peroneal_nerve"):
        nearest = np.min(np.linalg.norm(knee.by_name[name].vertices - target, axis=1))
        assert nearest > 40.0, name  # "need not worry about any major vessels or nerves"


# -- the real knee bones and the registered Visible Human soft tissue ------------------------
# (meshes/sources/: HRA bones, Denver cartilage, ligaments and muscles registered per knee)

REAL_KNEES = [(sex, side) for sex in ("male", "female") for side in ("right", "left")]
# share of a registered muscle's volume inside the atlas bones: the two segmentations differ
# (knee flexion, the atlas femur's filled condylar holes); the short head of biceps femoris,
# on the linea aspera, is the worst at about 12 %
MUSCLE_IN_BONE = 0.15


def _right_knee(sex, side):
    from simulator.anatomy.real.bones import real_bone

    bones = [real_bone(sex, side, n) for n in ("femur", "patella", "tibia")]
    bones = [b.mirrored() if side == "left" else b for b in bones]
    return [(b.outer_vertices, b.outer_faces) for b in bones]


@pytest.fixture(scope="module", params=REAL_KNEES, ids=["-".join(k) for k in REAL_KNEES])
def real_marks(request):
    from simulator.anatomy.real.knee_landmarks import knee_landmarks

    return knee_landmarks(*_right_knee(*request.param))


def test_real_patella_lies_in_front_of_the_trochlear_groove(real_marks):
    m = real_marks
    # the patella rides the trochlea: over the groove (within 20 mm sideways), in front of it
    assert abs(m.patella_centre[0] - m.trochlear_groove[0]) < 20.0
    assert m.patella_centre[1] - m.trochlear_groove[1] > 10.0
    assert m.lateral_patellar_border[0] > m.patella_centre[0] + 15.0
    assert m.superior_patellar_pole[2] - m.inferior_patellar_pole[2] > 35.0  # height 40-50 mm


def test_real_condyles_sit_on_the_plateau_with_a_joint_space(real_marks):
    m = real_marks
    assert m.lateral_condyle_distal[0] > m.medial_condyle_distal[0] + 20.0
    # bone to bone: the two cartilage layers (no knee JSW range in clinical.md: the generator
    # uses 5 mm at grade 0 [U]); both compartments open. The atlas knees' medial compartment
    # gapes (8-13 mm: the two segmentations' poses differ); the generator closes it to the
    # grade's joint space
    for space in (m.lateral_joint_space_mm, m.medial_joint_space_mm):
        assert 0.8 < space < 14.0


@pytest.mark.parametrize(("sex", "side"), REAL_KNEES)
def test_registered_tissue_lies_on_the_real_bones(sex, side):
    import trimesh

    from simulator.anatomy.real.bones import real_bone, real_soft

    tissue = real_soft(sex, side, "knee")
    on = {"femoral_cartilage": "femur", "patellar_cartilage": "patella",
          "tibial_cartilage_lateral": "tibia", "tibial_cartilage_medial": "tibia",
          "menisci": "tibia"}
    for name, bone in on.items():
        b = real_bone(sex, side, bone)
        _, dist, _ = trimesh.proximity.closest_point(
            trimesh.Trimesh(b.outer_vertices, b.outer_faces, process=False), tissue[name][0])
        assert np.median(dist) < 4.5, (name, np.median(dist))


@pytest.mark.parametrize(("sex", "side"), REAL_KNEES)
def test_registered_muscles_do_not_cut_into_the_bones(sex, side):
    from simulator.anatomy.generators.primitives import to_manifold
    from simulator.anatomy.real.bones import real_bone, real_soft
    from simulator.anatomy.real.knee_import import MUSCLES

    tissue = real_soft(sex, side, "knee")
    bones = [real_bone(sex, side, n) for n in ("femur", "patella", "tibia", "fibula")]
    bone = to_manifold(bones[0].outer_vertices, bones[0].outer_faces, "femur")
    for b in bones[1:]:
        bone = bone + to_manifold(b.outer_vertices, b.outer_faces, "bone")
    for name in MUSCLES:
        muscle = to_manifold(*tissue[name], name)
        assert (muscle ^ bone).volume() < MUSCLE_IN_BONE * muscle.volume(), name
