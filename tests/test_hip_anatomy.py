"""Generated hip anatomy: closed disjoint surfaces that measure up to the clinical numbers.

The bones are the real Visible Human femur and hip bone (both bodies are built: "default" is
the female, "male" the male; "left" the female's own left side). Bones, cartilage, soft
tissue over the front of the joint, the anterior recess and the femoral
neurovascular bundle; the lateral layers over the greater trochanter are tested in
test_hip_trochanter.py and the checks every generator's mesh set passes in
test_anatomy_mesh_sets.py. Every check measures the built meshes (rays, sections,
containment) rather than reading the generator's internals; the drawn parameters are only
used as the expected values.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from anatomy_joints import HIP
from anatomy_probe import Model, assert_tiles_the_body, joint_fixtures
from scipy.spatial import cKDTree

models, hip = joint_fixtures(HIP)


# -- structure and topology -------------------------------------------------------------------

@pytest.mark.parametrize("key", ["default", "bmi40"])
def test_structures_are_disjoint_and_tile_the_body(models, key):
    """Nobody claims a point twice, no pockets, and the box round the joint lies wholly
    inside the body."""
    m = models[key]
    assert_tiles_the_body(m, m.mark["femoral_head_center"], 45.0, 0.5, claimed_margin=0)


# -- bones and cartilage -----------------------------------------------------------------------

def _fit_sphere(points: np.ndarray) -> tuple[np.ndarray, float]:
    a = np.column_stack([2 * points, np.ones(len(points))])
    b = (points**2).sum(1)
    sol = np.linalg.lstsq(a, b, rcond=None)[0]
    return sol[:3], float(np.sqrt(sol[3] + sol[:3] @ sol[:3]))


def _head_fit(m: Model):
    centre = m.mark["femoral_head_center"]
    pole = centre - m.mark["femoral_neck_base"]
    pole /= np.linalg.norm(pole)
    v = m.by_name["femur"].vertices
    r = np.linalg.norm(v - centre, axis=1)
    cos = (v - centre) @ pole / np.maximum(r, 1e-9)
    near = v[(np.abs(r - m.params.head_radius_mm) < 1.0) & (cos > 0.2)]
    return _fit_sphere(near)


def test_head_diameter_matches_sex(models):
    """clinical.md s.4: men 49.2 +- 3.8 mm, women 45.3 +- 3.5 mm (radiographs, so a little
    magnified): within two SD for each body."""
    for key, (lo, hi) in (("default", (38.3, 52.3)), ("male", (41.6, 56.8))):
        centre, radius = _head_fit(models[key])
        assert np.linalg.norm(centre - models[key].mark["femoral_head_center"]) < 1.0
        assert 2 * radius == pytest.approx(models[key].params.head_diameter_mm, abs=1.0)
        assert lo < 2 * radius < hi, key


def _shaft_axis(m: Model) -> np.ndarray:
    z = np.array([0.0, 0.0, 1.0])
    upper = m.section_centroids("femur", m.mark["femoral_head_center"] - 110 * z, z)[0]
    lower = m.section_centroids("femur", m.mark["femoral_head_center"] - 180 * z, z)[0]
    d = lower - upper
    return d / np.linalg.norm(d)


def _neck_axis(m: Model) -> np.ndarray:
    """From the centre of the neck (mean centroid of sections 3 and 9 mm below the head)
    through the head centre, the usual definition of the neck axis."""
    head = m.mark["femoral_head_center"]
    guess = head - m.mark["femoral_neck_base"]
    guess /= np.linalg.norm(guess)
    r = m.params.head_radius_mm
    a = [c for c in m.section_centroids("femur", head - (r + 3) * guess, guess)
         if np.linalg.norm(c - (head - (r + 3) * guess)) < 8][0]
    b = [c for c in m.section_centroids("femur", head - (r + 9) * guess, guess)
         if np.linalg.norm(c - (head - (r + 9) * guess)) < 8][0]
    d = head - 0.5 * (a + b)
    return d / np.linalg.norm(d)


@pytest.mark.parametrize("key", ["default", "male", "left"])
def test_neck_shaft_angle_and_version(models, key):
    m = models[key]
    shaft, neck = _shaft_axis(m), _neck_axis(m)
    nsa = np.degrees(np.arccos(neck @ shaft))
    assert nsa == pytest.approx(m.params.neck_shaft_deg, abs=3.0)
    assert 115.0 < nsa < 136.0  # CT median 122 (IQR 118-126), series 129-133
    # version in the plane perpendicular to the shaft: anteversion minus internal rotation
    flat = neck - (neck @ shaft) * shaft
    version = np.degrees(np.arcsin(flat[1] / np.linalg.norm(flat)))
    expected = m.params.femoral_anteversion_deg - m.params.internal_rotation_deg
    assert version == pytest.approx(expected, abs=4.0)
    assert abs(version) < 12.0  # the neck is nearly coronal in the fluoroscopic position
    assert 5.0 < m.params.femoral_anteversion_deg < 25.0  # CT median 14 (F 16, M 12)


def test_acetabulum_orientation_and_depth(models):
    for key in ("default", "left"):
        m = models[key]
        labrum = m.by_name["labrum"].vertices
        centred = labrum - labrum.mean(0)
        normal = np.linalg.svd(centred, full_matrices=False)[2][2]  # axis of the rim ring
        normal *= np.sign(normal @ m.lateral)  # pointing out of the socket (lateral)
        side = normal @ m.lateral
        inclination = np.degrees(np.arctan2(side, -normal[2]))  # coronal projection
        version = np.degrees(np.arcsin(normal[1]))
        assert inclination == pytest.approx(m.params.acetabular_inclination_deg, abs=4.0)
        assert version == pytest.approx(m.params.acetabular_anteversion_deg, abs=4.0)
        # socket depth from the rim plane, along the axis, to the bone at the fossa floor
        rim = labrum[np.argsort(centred @ normal)[: len(labrum) // 3]].mean(0)
        deepest = m.hits("pelvis", rim, -normal)[0]
        assert 18.0 < deepest < 32.0
        assert 35.0 < inclination < 55.0 and 10.0 < version < 28.0  # clinical 39-45, 18


def _joint_space(m: Model) -> float:
    centre = m.mark["femoral_head_center"]
    roof = 0.35 * m.lateral + np.array([0.0, 0.0, 0.94])
    return (m.thickness("femoral_head_cartilage", centre, roof)
            + m.thickness("acetabular_cartilage", centre, roof))


def test_joint_space_narrows_with_oa_grade(models):
    """The real joint space is grade 0 (normal 4.19 +- 0.92, range 2-7 mm); later grades
    move the femur into the socket by the space they lose. The cartilage fills the space
    from the real (not quite spherical) head to the socket, so the roof's width follows the
    drawn value within the head's asphericity."""
    keys = ("default", "bmi22_kl2", "kl4_effusion")
    widths = [_joint_space(models[k]) for k in keys]
    assert 2.0 < widths[0] < 7.0
    for width, key in zip(widths, keys, strict=True):
        assert width == pytest.approx(models[key].params.joint_space_mm, abs=1.5), key
    lost = [models[k].params.narrowing_mm for k in keys]
    assert lost[0] == 0.0 and lost[2] > lost[1] > 0.5
    assert widths[0] - widths[1] == pytest.approx(lost[1], abs=0.6)
    assert widths[0] > widths[1] > widths[2] > 0.2


def _proud_of(m: Model, reference: Model, bone: str, near, radius_mm: float) -> float:
    """Farthest any surface point of ``bone`` within ``radius_mm`` of ``near`` stands outside
    the same bone of ``reference`` (aligned on the femoral head centre)."""
    shift = reference.mark["femoral_head_center"] - m.mark["femoral_head_center"]
    v = m.by_name[bone].vertices + shift
    v = v[np.linalg.norm(v - (near + shift), axis=1) < radius_mm]
    ref = trimesh.Trimesh(reference.by_name[bone].vertices, reference.by_name[bone].faces)
    depth = trimesh.proximity.signed_distance(ref, v)  # positive inside the reference
    return float(max(-depth.min(), 0.0))


@pytest.mark.slow  # 20-80 s each on 2 cores: the default run stays near 5 minutes
def test_osteophytes_only_from_grade_3(models):
    """KL grade 4 grows large osteophytes (4.5 mm proud) round the head-neck junction and on
    the superolateral acetabular rim; grades 0 and 2 have none (the narrowing moves the
    femur, the alignment on the head centre takes that out)."""
    kl0, kl2, kl4 = models["default"], models["bmi22_kl2"], models["kl4_effusion"]
    junction = kl4.mark["femoral_head_neck_junction"]
    assert 3.5 < _proud_of(kl4, kl0, "femur", junction, 20.0) < 6.0
    assert _proud_of(kl2, kl0, "femur", kl2.mark["femoral_head_neck_junction"], 20.0) < 0.8
    head = kl4.mark["femoral_head_center"]
    assert 3.0 < _proud_of(kl4, kl0, "pelvis", head, 45.0) < 7.0


def test_cortex_is_thin_at_the_head_and_thick_in_the_shaft(hip):
    centre = hip.mark["femoral_head_center"]
    up = np.array([0.0, 0.0, 1.0])
    assert 1.0 < hip.thickness("femur", centre + 10 * up, up) < 2.5
    shaft_centre = hip.section_centroids("femur", centre - 150 * up, up)[0]
    assert 3.0 < hip.thickness("femur", shaft_centre, hip.lateral) < 6.5


def test_bony_landmarks_lie_on_their_bones(hip):
    def near(name, point, tol):
        surface = trimesh.sample.sample_surface(hip.mesh[name], 200_000, seed=1)[0]
        return np.min(np.linalg.norm(surface - point, axis=1)) < tol

    for key in ("asis", "aiis", "pubic_tubercle", "ischial_tuberosity", "teardrop"):
        assert near("pelvis", hip.mark[key], 1.5), key
    for key in ("greater_trochanter_tip", "lesser_trochanter", "femoral_head_neck_junction"):
        assert near("femur", hip.mark[key], 1.5), key
    assert hip.contains("femur_marrow", hip.mark["femoral_head_center"])
    assert hip.contains("femur_marrow", hip.mark["femoral_neck_base"])
    gt = hip.mark["greater_trochanter_tip"] - hip.mark["femoral_head_center"]
    assert abs(gt[2]) < 20.0 and gt[0] > 30.0  # lateral, tip about level with the head centre
    teardrop = hip.mark["teardrop"] - hip.mark["femoral_head_center"]
    assert teardrop[0] < -hip.params.head_radius_mm and -30.0 < teardrop[2] < 0.0


def test_bones_lie_inside_the_muscle_envelope(models):
    """Bone is never trimmed by the fat layer: a few mm of soft tissue cover even the ASIS and
    the greater trochanter."""
    for key in ("bmi22_kl2", "male"):
        m = models[key]
        fat = cKDTree(m.by_name["subcutaneous_fat"].vertices)
        for bone, cover_mm in (("femur", 5.0), ("pelvis", 1.0)):  # the ASIS is subcutaneous
            assert fat.query(m.by_name[bone].vertices)[0].min() > cover_mm, (key, bone)


# -- soft tissue ----------------------------------------------------------------------------------

def _fat(m: Model) -> tuple[float, float]:
    """Subcutaneous fat in front of and behind the head centre."""
    centre = m.mark["femoral_head_center"]
    return (m.thickness("subcutaneous_fat", centre, [0.0, 1.0, 0.0]),
            m.thickness("subcutaneous_fat", centre, [0.0, -1.0, 0.0]))


def test_fat_follows_bmi_and_sex(models):
    anterior = {k: _fat(models[k])[0] for k in ("bmi22_kl2", "default", "bmi40")}
    assert anterior["bmi22_kl2"] < anterior["default"] < anterior["bmi40"]
    assert 8.0 < anterior["default"] < 16.0  # derived median 10-11 mm, IQR 6-20
    assert anterior["bmi40"] > anterior["bmi22_kl2"] + 10.0
    # flank and buttock keep the CT lateral/anterior ratio (2.68 F, 1.97 M); straight over
    # the trochanter the fat thins to the soft-tissue depth there (tested below)
    for key, lo, hi in (("default", 2.2, 3.1), ("bmi40", 2.2, 3.1), ("male", 1.6, 2.4)):
        front, back = _fat(models[key])
        assert front == pytest.approx(models[key].params.fat_anterior_mm, rel=0.2)
        assert lo < back / front < hi, key


def test_skin_and_depth_to_joint(models):
    for key in ("default", "bmi40"):
        m = models[key]
        centre = m.mark["femoral_head_center"]
        assert m.thickness("skin", centre, [0.0, 1.0, 0.0]) == pytest.approx(2.0, abs=0.4)
    thin, thick = (models[k].hits("skin", models[k].mark["target_anterior_recess"],
                                  [0, 1, 0])[-1] for k in ("bmi22_kl2", "bmi40"))
    assert 35.0 < thin < thick < 110.0


def test_iliopsoas_covers_the_front_of_the_head(hip):
    centre = hip.mark["femoral_head_center"]
    assert 14.0 < hip.thickness("iliopsoas", centre, [0.0, 1.0, 0.0]) < 21.0


# -- joint spaces ---------------------------------------------------------------------------------

def _recess_ray(m: Model):
    target = m.mark["target_anterior_recess"]
    head, base = m.mark["femoral_head_center"], m.mark["femoral_neck_base"]
    axis = (head - base) / np.linalg.norm(head - base)
    out = target - head - ((target - head) @ axis) * axis
    depth = np.linalg.norm(out)
    # from the neck axis (in the marrow) straight out through the target: the femur is crossed
    # twice (marrow/cortex, cortex/recess), then the recess, capsule and ligament
    return target - depth * out / depth, out / depth


def test_anterior_recess_depth_grows_with_effusion(models):
    depth = {}
    for key in ("default", "kl4_effusion"):
        m = models[key]
        origin, out = _recess_ray(m)
        depth[key] = m.thickness("anterior_recess", origin, out)
        capsule = m.hits("joint_capsule", origin, out)
        bone = m.hits("femur", origin, out)[1]  # [0] is the marrow/cortex boundary
        depth[key + "_capsule"] = capsule[1] - bone  # outer capsule surface to bone
    assert 1.45 < depth["default"] < 2.2
    assert depth["kl4_effusion"] - depth["default"] == pytest.approx(6.0, abs=0.6)
    assert 4.5 < depth["default_capsule"] < 6.5  # normal: about 5-6 mm
    assert depth["kl4_effusion_capsule"] - depth["default_capsule"] == pytest.approx(6.0, abs=0.8)


def test_targets_are_inside_the_joint(models):
    for key in ("default", "male", "left", "kl4_effusion"):
        m = models[key]
        assert m.contains("anterior_recess", m.mark["target_anterior_recess"]), key
        lateral = m.mark["target_lateral_head_neck"]
        assert m.contains("anterior_recess", lateral) or m.contains("synovial_cavity", lateral)


def test_capsule_envelops_the_recess(hip):
    origin, out = _recess_ray(hip)
    order = []
    for name in ("femur", "anterior_recess", "joint_capsule", "iliofemoral_ligament"):
        order.append(hip.hits(name, origin, out)[1 if name == "femur" else 0])
    assert order == sorted(order)  # bone, recess, capsule, then the ligament outside


# -- vessels and nerves ---------------------------------------------------------------------------

def test_artery_over_medial_third_and_target_lateral_to_it(models):
    for key in ("default", "male", "left", "bmi40"):
        m = models[key]
        side = m.lateral[0]
        head = m.mark["femoral_head_center"]
        r = m.params.head_radius_mm
        artery = m.section_centroids("femoral_artery", head, [0, 0, 1])[0]
        offset = (artery[0] - head[0]) * side
        assert -r <= offset <= -r / 3, key
        assert m.contains("femoral_artery", m.mark["femoral_artery_at_head"])
        lateral_gap = (m.mark["target_anterior_recess"][0] - artery[0]) * side
        assert 20.0 <= lateral_gap <= 30.0, key


def test_navel_order(models):
    for key in ("default", "left"):
        m = models[key]
        side = m.lateral[0]
        head = m.mark["femoral_head_center"]
        x = {n: m.section_centroids(n, head, [0, 0, 1])[0][0] * side
             for n in ("femoral_nerve", "femoral_artery", "femoral_vein")}
        assert x["femoral_nerve"] > x["femoral_artery"] > x["femoral_vein"]
        assert x["femoral_nerve"] - x["femoral_artery"] == pytest.approx(10.0, abs=3.0)
        assert m.contains("femoral_nerve", m.mark["femoral_nerve_at_head"])


def test_artery_bifurcates_below_the_head(hip):
    head = hip.mark["femoral_head_center"]
    z = np.array([0.0, 0.0, 1.0])
    r = hip.params.head_radius_mm
    assert len(hip.section_centroids("femoral_artery", head - (r - 2) * z, z)) == 1
    below = head - (r + hip.params.bifurcation_below_head_mm + 12) * z
    assert len(hip.section_centroids("femoral_artery", below, z)) == 2


def test_circumflex_artery_crosses_the_neck_plane_near_the_target(hip):
    target = hip.mark["target_anterior_recess"]
    head, base = hip.mark["femoral_head_center"], hip.mark["femoral_neck_base"]
    axis = (head - base) / np.linalg.norm(head - base)
    normal = np.cross(axis, [0.0, 1.0, 0.0])
    cuts = hip.section_centroids("lateral_circumflex_femoral_artery", target, normal)
    assert cuts, "the circumflex artery does not cross the plane along the neck"
    offset = cuts[0] - target
    assert 8.0 < np.linalg.norm(offset) < 25.0
    assert offset @ axis < -5.0  # distal-lateral, toward the neck base
    assert offset[1] > 3.0  # superficial to the capsule


def test_lfcn_medial_to_asis_about_6mm_under_the_skin(hip):
    """clinical.md s.1.2: 10-25 mm medial of the ASIS and about 6 mm (5-7) deep to the skin
    on ultrasound at normal BMI (the default patient, BMI 27)."""
    point = hip.mark["lfcn_at_asis"]
    assert hip.contains("lateral_femoral_cutaneous_nerve", point)
    assert 10.0 < hip.mark["asis"][0] - point[0] < 30.0
    assert 5.0 < hip.hits("skin", point, [0.0, 1.0, 0.0])[-1] < 7.0
