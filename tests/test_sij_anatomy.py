"""Generated sacroiliac anatomy: closed disjoint surfaces that measure up to the clinical numbers.

Every check measures the built meshes (rays, principal axes, distances, containment); the drawn
parameters only supply expected values. Clinical numbers from clinical.md s.3.5: prone, target
the inferior posterior joint 1-2 cm cranial of its caudal margin, 4-8 cm deep (scaled with
BMI); danger: through the ventral capsule into the pelvis, nerve roots.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from scipy import ndimage
from scipy.spatial import cKDTree

from simulator.anatomy.generators.sij import build
from simulator.anatomy.generators.sij_params import JOINT_SPACE_BY_KL_MM, draw_sij_params
from simulator.anatomy.patient import PatientParams
from simulator.anatomy.voxelize import Grid, voxelize

NAMES = {
    "sacrum_marrow", "sacrum", "ilium_marrow", "ilium", "contralateral_ilium_marrow",
    "contralateral_ilium", "l5_marrow", "l5_vertebra", "sacroiliac_joint",
    "contralateral_sacroiliac_joint", "sacroiliac_capsule", "posterior_sacroiliac_ligaments",
    "contralateral_sacroiliac_ligaments", "internal_iliac_artery", "internal_iliac_vein",
    "s1_nerve_root", "lumbosacral_trunk", "presacral_space", "piriformis", "psoas", "iliacus",
    "erector_spinae", "gluteus_maximus", "gluteus_medius", "deep_tissue", "subcutaneous_fat",
    "skin",
}
LANDMARKS = {
    "target_sij_inferior", "sij_caudal_margin", "sij_centre", "sij_isocentre",
    "posterior_skin_over_sij", "sij_entry_skin", "psis", "piis", "s1_foramen",
    "sacral_promontory", "s1_root_at_foramen", "internal_iliac_artery_at_joint",
}
DANGERS = ("s1_nerve_root", "lumbosacral_trunk", "internal_iliac_artery", "internal_iliac_vein",
           "presacral_space")
SCENARIO_PATIENT = PatientParams(sex="female", bmi=27.0, side="right", oa_grade=1)
PATIENTS = {
    "default": SCENARIO_PATIENT,
    "thin_kl3": PatientParams(bmi=20.0, oa_grade=3),
    "bmi40": PatientParams(bmi=40.0, oa_grade=1),
    "male": PatientParams(sex="male", oa_grade=1),
    "left": PatientParams(side="left", oa_grade=1),
    "extreme": PatientParams(sex="male", bmi=45.0, oa_grade=4, effusion_mm=8.0, side="left"),
}


class Model:
    """A built model with trimesh views of its structures."""

    def __init__(self, patient: PatientParams, seed: int = 0):
        self.patient = patient
        self.params = draw_sij_params(patient, seed)
        self.model = build(patient, seed)
        self.by_name = {s.entry.name: s for s in self.model.structures}
        self.mesh = {name: trimesh.Trimesh(s.vertices, s.faces, process=False)
                     for name, s in self.by_name.items()}
        self.mark = {k: np.asarray(v, float) for k, v in self.model.landmarks.items()}
        self.side = -1.0 if patient.side == "left" else 1.0

    def hits(self, name: str, origin, direction) -> np.ndarray:
        d = np.asarray(direction, float) / np.linalg.norm(direction)
        loc, _, _ = self.mesh[name].ray.intersects_location(
            [np.asarray(origin, float)], [d], multiple_hits=True)
        return np.sort((loc - origin) @ d)

    def contains(self, name: str, point) -> bool:
        return bool(self.mesh[name].contains([np.asarray(point, float)])[0])

    def distance(self, name: str, points) -> np.ndarray:
        """Exact distances ``(n,)`` from points to the surface of ``name``."""
        s = self.by_name[name]
        tree = cKDTree(s.vertices)
        edges = np.linalg.norm(s.vertices[s.faces] - s.vertices[s.faces[:, [1, 2, 0]]], axis=2)
        reach = float(edges.max())
        out = []
        for p in np.atleast_2d(np.asarray(points, float)):
            r0 = tree.query(p)[0]
            near = tree.query_ball_point(p, r0 + reach)
            faces = np.flatnonzero(np.isin(s.faces, near).any(axis=1))
            tri = s.vertices[s.faces[faces]]
            closest = trimesh.triangles.closest_point(tri, np.repeat(p[None], len(tri), 0))
            out.append(np.sqrt(((closest - p) ** 2).sum(1)).min())
        return np.array(out)

    def along(self, start, end, names) -> list[tuple[float, str]]:
        """``(distance, name)`` of every point where the segment enters one of ``names``."""
        start, end = np.asarray(start, float), np.asarray(end, float)
        length = np.linalg.norm(end - start)
        d = (end - start) / length
        out = []
        for name in names:
            t = self.hits(name, start, d)
            t = t[(t > 1e-6) & (t < length)]
            inside = self.contains(name, start)
            for k, tk in enumerate(t):
                if (k % 2 == 0) != inside:
                    out.append((float(tk), name))
        return sorted(out)

    def joint_axes(self):
        """Principal axes of the injected joint's space: long (caudal), depth (ventral) and
        normal (toward the ilium), from its mesh."""
        v = self.by_name["sacroiliac_joint"].vertices
        centre = v.mean(0)
        _, _, vt = np.linalg.svd(v - centre, full_matrices=False)
        long, depth, normal = vt
        long = long * -np.sign(long[2])             # caudal
        depth = depth * np.sign(depth[1])           # ventral
        normal = normal * np.sign(normal[0] * self.side)  # lateral, toward the ilium
        return centre, long, depth, normal


class _Lazy(dict):
    def __missing__(self, key):
        self[key] = Model(PATIENTS[key])
        return self[key]


@pytest.fixture(scope="module")
def models():
    return _Lazy()


@pytest.fixture(scope="module")
def sij(models):
    return models["default"]


# -- structure and topology --------------------------------------------------------------------

def test_names_landmarks_and_manifest(sij):
    assert set(sij.by_name) == NAMES
    assert LANDMARKS <= set(sij.mark)
    manifest = sij.model.manifest()
    assert manifest.generator == {"name": "sij", "version": 1, "patient": SCENARIO_PATIENT.key(),
                                  "seed": 0}
    assert manifest.structure("sacroiliac_joint").role == "joint_cavity"
    assert manifest.structure("sacroiliac_capsule").role == "capsule"
    assert manifest.structure("s1_nerve_root").role == "nerve"
    assert manifest.structure("lumbosacral_trunk").role == "nerve"
    assert manifest.structure("internal_iliac_artery").role == "artery"
    assert manifest.structure("internal_iliac_vein").role == "vein"
    assert manifest.structure("presacral_space").tissue == "subcutaneous_fat"
    assert len({s.priority for s in manifest.structures}) == len(NAMES)


@pytest.mark.parametrize("key", ["default", "bmi40", "male", "left"])
def test_every_structure_is_closed_oriented_and_solid(models, key):
    for name, mesh in models[key].mesh.items():
        assert mesh.is_watertight, name
        assert mesh.is_winding_consistent, name
        assert mesh.volume > 0, name
        for piece in mesh.split(only_watertight=True):
            assert piece.volume > 1e-3, f"{name} has a flat or inverted piece"


@pytest.mark.parametrize("key", ["default", "thin_kl3"])
def test_structures_are_disjoint_and_tile_the_body(models, key):
    m = models[key]
    everything = np.concatenate([s.vertices for s in m.model.structures])
    target = m.mark["target_sij_inferior"]
    for lo, hi, spacing in ((everything.min(0) - 3, everything.max(0) + 3, 2.0),
                            (target - 30.0, target + 30.0, 0.4)):
        grid = Grid.covering(lo, hi, spacing)
        count = np.zeros(grid.shape, np.uint8)
        for s in m.model.structures:
            count += voxelize(grid, [(s.vertices, s.faces)])
        assert count.max() == 1  # nobody claims a point twice
        empty, _ = ndimage.label(count == 0)
        border = np.unique(np.concatenate([empty[[0, -1]].ravel(), empty[:, [0, -1]].ravel(),
                                           empty[:, :, [0, -1]].ravel()]))
        assert set(np.unique(empty)) - {0} <= set(border)  # no pockets inside the body
    assert not np.any(count == 0)  # the box round the joint lies wholly inside the body


def test_triangle_budget(sij):
    total = sum(len(s.faces) for s in sij.model.structures)
    assert 80_000 <= total <= 220_000


# -- the joint and its target ------------------------------------------------------------------

@pytest.mark.parametrize("key", ["default", "male", "left", "bmi40"])
def test_target_in_the_inferior_posterior_joint(models, key):
    m = models[key]
    target = m.mark["target_sij_inferior"]
    assert m.contains("sacroiliac_joint", target)
    centre, long, depth, _ = m.joint_axes()
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
        _, long, depth, normal = m.joint_axes()
        horizontal = np.array([depth[0] * m.side, depth[1]])
        angle = np.degrees(np.arctan2(horizontal[0], horizontal[1]))  # from straight ahead
        assert 15.0 < angle < 35.0, key  # ~25 deg off sagittal, ventral end lateral
        assert long[2] < -0.8  # runs down the sacrum


def test_joint_space_width_and_oa_narrowing(models):
    width = {}
    for key in ("default", "thin_kl3"):
        m = models[key]
        target = m.mark["target_sij_inferior"]
        _, _, _, normal = m.joint_axes()
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
    _, _, depth, _ = m.joint_axes()
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
    _, long, depth, _ = m.joint_axes()
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


def test_same_seed_same_arrays_other_seed_differs(sij):
    again = build(SCENARIO_PATIENT, 0)
    for a, b in zip(sij.model.structures, again.structures, strict=True):
        assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)
    assert again.landmarks == sij.model.landmarks
    other = build(SCENARIO_PATIENT, 1)
    a = {s.entry.name: s for s in other.structures}["sacroiliac_joint"].vertices
    b = sij.by_name["sacroiliac_joint"].vertices
    assert a.shape != b.shape or not np.allclose(a, b)


def test_left_is_the_mirror_of_right(models):
    right, left = models["default"], models["left"]
    flip = np.array([-1.0, 1.0, 1.0])
    for name in NAMES:
        a = right.by_name[name].vertices * flip
        b = left.by_name[name].vertices
        assert np.array_equal(a[np.lexsort(a.T[::-1])], b[np.lexsort(b.T[::-1])]), name
    for key in LANDMARKS:
        assert np.allclose(left.mark[key], right.mark[key] * flip)
    assert left.mark["target_sij_inferior"][0] < 0 < right.mark["target_sij_inferior"][0]
