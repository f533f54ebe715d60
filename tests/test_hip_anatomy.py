"""Generated hip anatomy: closed disjoint surfaces that measure up to the clinical numbers.

Every check measures the built meshes (rays, sections, containment) rather than reading the
generator's internals; the drawn parameters are only used as the expected values.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from scipy import ndimage
from scipy.spatial import ConvexHull, cKDTree

from simulator.anatomy.generators.hip import build
from simulator.anatomy.generators.hip_params import JOINT_SPACE_BY_KL_MM, draw_hip_params
from simulator.anatomy.patient import PatientParams
from simulator.anatomy.voxelize import Grid, voxelize

NAMES = {
    "skin", "subcutaneous_fat", "deep_tissue", "iliopsoas", "sartorius", "rectus_femoris",
    "gluteus_minimus", "gluteus_medius", "gluteus_maximus", "iliofemoral_ligament",
    "joint_capsule", "anterior_recess", "synovial_cavity", "femoral_head_cartilage",
    "acetabular_cartilage", "labrum", "femur", "femur_marrow", "pelvis", "pelvis_marrow",
    "femoral_artery", "femoral_vein", "femoral_nerve", "lateral_femoral_cutaneous_nerve",
    "lateral_circumflex_femoral_artery", "iliotibial_band", "gluteus_medius_tendon",
    "trochanteric_bursa",
}
LANDMARKS = {
    "femoral_head_center", "femoral_neck_base", "target_anterior_recess",
    "target_lateral_head_neck", "greater_trochanter_tip", "lesser_trochanter", "asis", "aiis",
    "pubic_tubercle", "femoral_artery_at_head", "femoral_nerve_at_head", "lfcn_at_asis",
    "target_trochanteric_bursa", "lateral_skin_over_trochanter",
}
# Each patient varies what its tests need and nothing they measure against each other, so
# six builds cover everything (fat and cartilage, effusion and cartilage are independent).
PATIENTS = {
    "default": PatientParams(),
    "bmi40": PatientParams(bmi=40.0),
    "male": PatientParams(sex="male"),
    "left": PatientParams(side="left"),
    "bmi22_kl2": PatientParams(bmi=22.0, oa_grade=2),
    "kl4_effusion": PatientParams(oa_grade=4, effusion_mm=6.0),
}


class Model:
    """A built model with trimesh views of its structures."""

    def __init__(self, patient: PatientParams, seed: int = 0):
        self.patient = patient
        self.params = draw_hip_params(patient, seed)
        self.model = build(patient, seed)
        self.by_name = {s.entry.name: s for s in self.model.structures}
        self.mesh = {name: trimesh.Trimesh(s.vertices, s.faces, process=False)
                     for name, s in self.by_name.items()}
        self.mark = {k: np.asarray(v, float) for k, v in self.model.landmarks.items()}

    def hits(self, name: str, origin, direction) -> np.ndarray:
        """Sorted distances along a ray to every crossing of structure ``name``."""
        d = np.asarray(direction, float) / np.linalg.norm(direction)
        loc, _, _ = self.mesh[name].ray.intersects_location(
            [np.asarray(origin, float)], [d], multiple_hits=True)
        return np.sort((loc - origin) @ d)

    def thickness(self, name: str, origin, direction) -> float:
        """Length of the first passage of the ray through ``name``."""
        t = self.hits(name, origin, direction)
        assert len(t) >= 2, f"ray misses {name}"
        return float(t[1] - t[0])

    def contains(self, name: str, point) -> bool:
        return bool(self.mesh[name].contains([np.asarray(point, float)])[0])

    def section_centroids(self, name: str, origin, normal) -> list[np.ndarray]:
        """Centroids of the closed loops cut by a plane, largest first."""
        section = self.mesh[name].section(plane_origin=origin, plane_normal=normal)
        if section is None:
            return []
        n = np.asarray(normal, float) / np.linalg.norm(normal)
        e1 = np.cross(n, [0.3, 0.5, 0.8])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(n, e1)
        loops = []
        for pts in section.discrete:
            q = (pts - origin) @ np.stack([e1, e2]).T
            x, y = q[:, 0], q[:, 1]
            cross = x * np.roll(y, -1) - np.roll(x, -1) * y
            area = 0.5 * cross.sum()
            if abs(area) < 1e-6:
                continue
            cx = ((x + np.roll(x, -1)) * cross).sum() / (6 * area)
            cy = ((y + np.roll(y, -1)) * cross).sum() / (6 * area)
            loops.append((abs(area), np.asarray(origin) + cx * e1 + cy * e2))
        return [c for _, c in sorted(loops, key=lambda item: -item[0])]


class _Lazy(dict):
    """Builds each patient's model on first use (test workers build only what they need)."""

    def __missing__(self, key):
        self[key] = Model(PATIENTS[key])
        return self[key]


@pytest.fixture(scope="module")
def models():
    return _Lazy()


@pytest.fixture(scope="module")
def hip(models):
    return models["default"]


def _lateral(m: Model) -> np.ndarray:
    return np.array([-1.0 if m.patient.side == "left" else 1.0, 0.0, 0.0])


# -- structure and topology -------------------------------------------------------------------

def test_names_landmarks_and_manifest(hip):
    assert set(hip.by_name) == NAMES
    assert LANDMARKS <= set(hip.mark)
    manifest = hip.model.manifest()
    assert manifest.generator == {"name": "hip", "version": 2, "patient": PatientParams().key(),
                                  "seed": 0}
    assert manifest.structure("anterior_recess").role == "joint_cavity"
    assert manifest.structure("femoral_artery").tissue == "arterial_blood"
    assert manifest.structure("trochanteric_bursa").role == "bursa"
    assert manifest.structure("trochanteric_bursa").tissue == "bursa"
    for name in ("iliotibial_band", "gluteus_medius_tendon"):
        assert manifest.structure(name).role == "tendon"
    for name in ("iliofemoral_ligament", "joint_capsule", "iliotibial_band",
                 "gluteus_medius_tendon"):
        fibre = np.asarray(manifest.structure(name).fibre_direction)
        assert abs(np.linalg.norm(fibre) - 1.0) < 1e-9
    assert len({s.priority for s in manifest.structures}) == len(NAMES)


@pytest.mark.parametrize("key", ["default", "bmi40", "male", "left"])
def test_every_structure_is_closed_oriented_and_solid(models, key):
    for name, mesh in models[key].mesh.items():
        assert mesh.is_watertight, name
        assert mesh.is_winding_consistent, name
        assert mesh.volume > 0, name
        for piece in mesh.split(only_watertight=True):
            assert piece.volume > 1e-3, f"{name} has a flat or inverted piece"


def _cover_counts(m: Model, lo, hi, spacing_mm: float) -> np.ndarray:
    """How many structures hold each voxel centre (exact column parity, as the simulator
    rasterises its label volume)."""
    grid = Grid.covering(lo, hi, spacing_mm)
    count = np.zeros(grid.shape, np.uint8)
    for s in m.model.structures:
        count += voxelize(grid, [(s.vertices, s.faces)])
    return count


@pytest.mark.parametrize("key", ["default", "bmi40"])
def test_structures_are_disjoint_and_tile_the_body(models, key):
    m = models[key]
    everything = np.concatenate([s.vertices for s in m.model.structures])
    head = m.mark["femoral_head_center"]
    for lo, hi, spacing in ((everything.min(0) - 3, everything.max(0) + 3, 2.0),
                            (head - 45.0, head + 45.0, 0.5)):
        count = _cover_counts(m, lo, hi, spacing)
        assert count.max() == 1  # nobody claims a point twice
        # unclaimed voxels must all connect to the outside of the box: no pockets
        empty, _ = ndimage.label(count == 0)
        if spacing > 1.0:
            border = np.unique(np.concatenate([empty[[0, -1]].ravel(), empty[:, [0, -1]].ravel(),
                                               empty[:, :, [0, -1]].ravel()]))
            assert set(np.unique(empty)) - {0} <= set(border)
        else:  # the joint box lies inside the body: every voxel is claimed
            assert not np.any(count == 0)


def test_triangle_budget(hip):
    total = sum(len(s.faces) for s in hip.model.structures)
    assert 100_000 <= total <= 240_000


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
    diameters = {}
    for key in ("default", "male"):
        centre, radius = _head_fit(models[key])
        assert np.linalg.norm(centre - models[key].mark["femoral_head_center"]) < 0.5
        assert 2 * radius == pytest.approx(models[key].params.head_diameter_mm, abs=0.6)
        diameters[key] = 2 * radius
    assert 41.0 < diameters["default"] < 50.0
    assert 45.0 < diameters["male"] < 54.0
    assert diameters["male"] - diameters["default"] > 2.0


def _shaft_axis(m: Model) -> np.ndarray:
    z = np.array([0.0, 0.0, 1.0])
    upper = m.section_centroids("femur", m.mark["femoral_head_center"] - 110 * z, z)[0]
    lower = m.section_centroids("femur", m.mark["femoral_head_center"] - 180 * z, z)[0]
    d = lower - upper
    return d / np.linalg.norm(d)


def _neck_axis(m: Model) -> np.ndarray:
    head = m.mark["femoral_head_center"]
    guess = head - m.mark["femoral_neck_base"]
    guess /= np.linalg.norm(guess)
    r = m.params.head_radius_mm
    a = [c for c in m.section_centroids("femur", head - (r + 3) * guess, guess)
         if np.linalg.norm(c - (head - (r + 3) * guess)) < 8][0]
    b = [c for c in m.section_centroids("femur", head - (r + 9) * guess, guess)
         if np.linalg.norm(c - (head - (r + 9) * guess)) < 8][0]
    d = a - b
    return d / np.linalg.norm(d)


@pytest.mark.parametrize("key", ["default", "male", "left"])
def test_neck_shaft_angle_and_version(models, key):
    m = models[key]
    shaft, neck = _shaft_axis(m), _neck_axis(m)
    nsa = np.degrees(np.arccos(neck @ shaft))
    assert nsa == pytest.approx(m.params.neck_shaft_deg, abs=3.0)
    assert 120.0 < nsa < 136.0
    # version in the plane perpendicular to the shaft: anteversion minus internal rotation
    flat = neck - (neck @ shaft) * shaft
    version = np.degrees(np.arcsin(flat[1] / np.linalg.norm(flat)))
    expected = m.params.femoral_anteversion_deg - m.params.internal_rotation_deg
    assert version == pytest.approx(expected, abs=3.0)
    assert abs(version) < 12.0  # the neck is nearly coronal in the fluoroscopic position


def test_acetabulum_orientation_and_depth(models):
    for key in ("default", "left"):
        m = models[key]
        labrum = m.by_name["labrum"].vertices
        centred = labrum - labrum.mean(0)
        normal = np.linalg.svd(centred, full_matrices=False)[2][2]  # axis of the rim ring
        normal *= np.sign(normal @ _lateral(m))  # pointing out of the socket (lateral)
        side = normal @ _lateral(m)
        inclination = np.degrees(np.arctan2(side, -normal[2]))  # coronal projection
        version = np.degrees(np.arcsin(normal[1]))
        assert inclination == pytest.approx(m.params.acetabular_inclination_deg, abs=4.0)
        assert version == pytest.approx(m.params.acetabular_anteversion_deg, abs=4.0)
        # socket depth from the rim plane, along the axis, to the bone at the fossa floor
        rim = labrum[np.argsort(centred @ normal)[: len(labrum) // 3]].mean(0)
        deepest = m.hits("pelvis", rim, -normal)[0]
        assert 22.0 < deepest < 30.0


def _joint_space(m: Model) -> float:
    centre = m.mark["femoral_head_center"]
    roof = 0.35 * _lateral(m) + np.array([0.0, 0.0, 0.94])
    return (m.thickness("femoral_head_cartilage", centre, roof)
            + m.thickness("acetabular_cartilage", centre, roof))


def test_joint_space_narrows_with_oa_grade(models):
    keys = ("default", "bmi22_kl2", "kl4_effusion")
    widths = [_joint_space(models[k]) for k in keys]
    for width, grade, key in zip(widths, (0, 2, 4), keys, strict=True):
        assert width == pytest.approx(models[key].params.joint_space_mm, abs=0.15)
        assert width == pytest.approx(JOINT_SPACE_BY_KL_MM[grade], rel=0.15)
    assert widths[0] > widths[1] > widths[2] > 0.3


def test_cortex_is_thin_at_the_head_and_thick_in_the_shaft(hip):
    centre = hip.mark["femoral_head_center"]
    up = np.array([0.0, 0.0, 1.0])
    assert 1.0 < hip.thickness("femur", centre + 10 * up, up) < 2.5
    shaft_centre = hip.section_centroids("femur", centre - 150 * up, up)[0]
    assert 3.0 < hip.thickness("femur", shaft_centre, _lateral(hip)) < 6.5


def test_bony_landmarks_lie_on_their_bones(hip):
    def near(name, point, tol):
        surface = trimesh.sample.sample_surface(hip.mesh[name], 200_000, seed=1)[0]
        return np.min(np.linalg.norm(surface - point, axis=1)) < tol

    for key in ("asis", "aiis", "pubic_tubercle"):
        assert near("pelvis", hip.mark[key], 1.5), key
    for key in ("greater_trochanter_tip", "lesser_trochanter"):
        assert near("femur", hip.mark[key], 1.5), key
    assert hip.contains("femur_marrow", hip.mark["femoral_head_center"])
    assert hip.contains("femur_marrow", hip.mark["femoral_neck_base"])
    gt = hip.mark["greater_trochanter_tip"] - hip.mark["femoral_head_center"]
    assert abs(gt[2]) < 12.0 and gt[0] > 30.0  # lateral, tip about level with the head centre


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
        side = _lateral(m)[0]
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
        side = _lateral(m)[0]
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


def test_lfcn_medial_to_asis_under_the_fat(hip):
    point = hip.mark["lfcn_at_asis"]
    assert hip.contains("lateral_femoral_cutaneous_nerve", point)
    assert 10.0 < hip.mark["asis"][0] - point[0] < 30.0
    depth_to_fat = hip.hits("subcutaneous_fat", point, [0.0, 1.0, 0.0])[0]
    assert depth_to_fat < 5.0


# -- greater trochanter: gluteus medius tendon, trochanteric bursa, iliotibial band ------------

def _facet_ray(m: Model):
    """From inside the trochanter out through the bursa target toward the lateral skin."""
    target = m.mark["target_trochanteric_bursa"]
    out = m.mark["lateral_skin_over_trochanter"] - target
    out /= np.linalg.norm(out)
    return target - 15.0 * out, out


def _over_facet(m: Model) -> dict[str, np.ndarray]:
    """Crossings of each layer along the facet ray (the femur: its outer surface only)."""
    origin, out = _facet_ray(m)
    layers = {n: m.hits(n, origin, out)[:2] for n in (
        "gluteus_medius_tendon", "trochanteric_bursa", "iliotibial_band", "subcutaneous_fat")}
    layers["femur"] = m.hits("femur", origin, out)[-1:]  # [0] is the marrow/cortex boundary
    layers["skin"] = m.hits("skin", origin, out)[-1:]
    return layers


@pytest.mark.parametrize("key", ["default", "male", "left"])
def test_bursa_lies_between_tendon_and_itb_on_the_lateral_facet(models, key):
    m = models[key]
    origin, out = _facet_ray(m)
    assert out @ _lateral(m) > 0.9  # the probe sits on the lateral surface
    at = _over_facet(m)
    # bone, tendon, bursa, band and fat follow each other with no gap and nothing between
    order = ["femur", "gluteus_medius_tendon", "trochanteric_bursa", "iliotibial_band",
             "subcutaneous_fat"]
    for deep, superficial in zip(order, order[1:], strict=False):
        assert at[superficial][0] == pytest.approx(at[deep][-1], abs=0.05), (deep, superficial)
    p = m.params
    for name, expected in (("gluteus_medius_tendon", p.gmed_tendon_mm),
                           ("trochanteric_bursa", p.bursa_mm), ("iliotibial_band", p.itb_mm)):
        assert at[name][1] - at[name][0] == pytest.approx(expected, abs=0.25), name
    assert m.contains("trochanteric_bursa", m.mark["target_trochanteric_bursa"])
    # the facet is on the lateral face of the greater trochanter, below its tip
    facet = origin + at["femur"][0] * out
    head, tip = m.mark["femoral_head_center"], m.mark["greater_trochanter_tip"]
    assert (facet - head) @ _lateral(m) > 50.0
    assert 10.0 < tip[2] - facet[2] < 45.0
    assert m.mark["lesser_trochanter"][2] < facet[2]


def test_bursa_covers_the_bare_posterior_facet(hip):
    """Turning from lateral toward posterior, the bursa stays on the trochanter and, past the
    tendon's edge, lies straight on the bone."""
    origin, out = _facet_ray(hip)
    flat = np.array([out[0], out[1], 0.0]) / np.hypot(out[0], out[1])
    for angle, on_bone in ((30, False), (65, True), (80, True), (95, True)):
        a = np.radians(angle)
        d = np.cos(a) * flat + np.sin(a) * np.array([0.0, -1.0, 0.0])
        bone = hip.hits("femur", origin, d)[-1]
        bursa = hip.hits("trochanteric_bursa", origin, d)[:2]
        tendon = hip.hits("gluteus_medius_tendon", origin, d)
        assert len(bursa) == 2 and 1.5 < bursa[1] - bursa[0] < 4.0, angle
        if on_bone:
            assert bursa[0] == pytest.approx(bone, abs=0.05), angle
            assert len(tendon) == 0 or tendon[0] > bursa[1], angle
        else:
            assert tendon[0] == pytest.approx(bone, abs=0.05) and tendon[1] <= bursa[0] + 0.05


def _trochanter_depth(m: Model) -> float:
    at = _over_facet(m)
    return float(at["skin"][0] - at["femur"][0])


def test_soft_tissue_depth_over_the_trochanter_by_sex_and_bmi(models):
    """Skin to lateral facet: women 30 mm (IQR 23-40), men 20 mm (17-30), weakly with BMI."""
    depth = {k: _trochanter_depth(models[k]) for k in ("default", "male", "bmi22_kl2", "bmi40")}
    for key, d in depth.items():
        assert d == pytest.approx(models[key].params.trochanter_depth_mm, abs=0.6), key
    assert 23.0 <= depth["default"] <= 40.0 and abs(depth["default"] - 30.0) < 3.5
    assert 17.0 <= depth["male"] <= 30.0 and abs(depth["male"] - 20.0) < 2.5
    assert depth["default"] - depth["male"] > 6.0
    # mild growth with BMI: well under the anterior fat's, and BMI 22-40 stays near the IQR
    per_bmi = (depth["bmi40"] - depth["bmi22_kl2"]) / 18.0
    assert 0.4 < per_bmi < 1.0
    assert 22.0 < depth["bmi22_kl2"] and depth["bmi40"] < 43.0
    # the bursa (the target) lies the tendon and half the bursa above the bone
    m = models["default"]
    target_depth = float(np.linalg.norm(m.mark["lateral_skin_over_trochanter"]
                                        - m.mark["target_trochanteric_bursa"]))
    expected = depth["default"] - m.params.gmed_tendon_mm - 0.5 * m.params.bursa_mm
    assert target_depth == pytest.approx(expected, abs=0.6)


@pytest.mark.parametrize("key", ["default", "bmi40", "male"])
def test_skin_stays_convex_over_the_trochanter(models, key):
    """The fat thins over the trochanter without grooving the skin."""
    m = models[key]
    for dz in (0.0, -40.0):
        origin = m.mark["target_trochanteric_bursa"] + np.array([0.0, 0.0, dz]) - 20.0 * _lateral(m)
        skin = []
        for angle in np.radians(np.arange(-80.0, 81.0, 4.0)):  # round the side, front to back
            d = np.cos(angle) * _lateral(m) + np.array([0.0, np.sin(angle), 0.0])
            skin.append(origin + m.hits("skin", origin, d)[-1] * d)
        skin = np.array(skin)[:, :2]
        hull = ConvexHull(skin)
        inside = -(skin @ hull.equations[:, :2].T + hull.equations[:, 2]).max(axis=1)
        assert inside.max() < 0.5, (key, dz, inside.max())


def test_gluteus_medius_tendon_runs_from_its_muscle_to_the_bone(hip):
    tendon = hip.by_name["gluteus_medius_tendon"].vertices
    for other in ("gluteus_medius", "femur"):
        gap = cKDTree(hip.by_name[other].vertices).query(tendon)[0].min()
        assert gap < 0.5, other  # they share a boundary
    fibre = np.asarray(hip.model.manifest().structure("gluteus_medius_tendon").fibre_direction)
    assert abs(fibre[2]) > 0.7  # the tendon runs down onto the facet
    itb = np.asarray(hip.model.manifest().structure("iliotibial_band").fibre_direction)
    assert abs(itb[2]) > 0.95  # along the thigh


def test_iliotibial_band_runs_down_the_thigh_under_the_fat(hip):
    z = np.array([0.0, 0.0, 1.0])
    level = hip.mark["target_trochanteric_bursa"] - 80.0 * z
    shaft = hip.section_centroids("femur", level, z)[0]
    band = hip.section_centroids("iliotibial_band", level, z)
    assert band and (band[0] - shaft) @ _lateral(hip) > 20.0
    band_out = hip.hits("iliotibial_band", shaft, _lateral(hip))[1]
    assert hip.hits("subcutaneous_fat", shaft, _lateral(hip))[0] == pytest.approx(band_out,
                                                                                 abs=0.05)
    assert 1.5 < hip.thickness("iliotibial_band", shaft, _lateral(hip)) < 3.5


def test_trochanteric_layers_stay_off_the_anterior_approach(models):
    """The anterior recess approach and the joint effusion leave the lateral layers alone."""
    m = models["default"]
    target = m.mark["target_anterior_recess"]
    for name in ("gluteus_medius_tendon", "trochanteric_bursa", "iliotibial_band"):
        assert len(m.hits(name, target, [0.0, 1.0, 0.0])) == 0, name
        assert np.all(m.by_name[name].vertices[:, 0] > m.mark["femoral_head_center"][0])
    # the bursa does not communicate with the joint: an effusion does not distend it
    effusion = models["kl4_effusion"]
    assert effusion.mesh["trochanteric_bursa"].volume == pytest.approx(
        m.mesh["trochanteric_bursa"].volume, rel=1e-6)


# -- determinism and sides ------------------------------------------------------------------------

def test_same_seed_same_arrays_other_seed_differs(hip):
    again = build(PatientParams(), 0)
    for a, b in zip(hip.model.structures, again.structures, strict=True):
        assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)
    assert again.landmarks == hip.model.landmarks
    other = build(PatientParams(), 1)
    femur = {s.entry.name: s for s in other.structures}["femur"]
    assert femur.vertices.shape != hip.by_name["femur"].vertices.shape or not np.allclose(
        femur.vertices, hip.by_name["femur"].vertices)


def test_left_is_the_mirror_of_right(models):
    right, left = models["default"], models["left"]
    flip = np.array([-1.0, 1.0, 1.0])
    for name in NAMES:
        a = right.by_name[name].vertices * flip
        b = left.by_name[name].vertices
        assert np.array_equal(a[np.lexsort(a.T[::-1])], b[np.lexsort(b.T[::-1])]), name
        assert left.mesh[name].volume == pytest.approx(right.mesh[name].volume, rel=1e-9)
    for key in LANDMARKS:
        assert np.allclose(left.mark[key], right.mark[key] * flip)
    assert left.mark["femoral_head_center"][0] < 0 < right.mark["femoral_head_center"][0]
