"""Generated knee anatomy: closed disjoint surfaces that measure up to the clinical numbers.

Every check measures the built meshes (rays, sections, containment); the drawn parameters
are only used as expected values. clinical.md 3.2: suprapatellar recess between the
quadriceps-tendon fat pad and the prefemoral fat pad, 1-3 cm deep (scenario range), >= 5 mm
of fluid is an effusion; the quadriceps tendon is the structure to avoid.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from scipy import ndimage

from simulator.anatomy.generators.knee import build
from simulator.anatomy.generators.knee_params import JOINT_SPACE_BY_KL_MM, draw_knee_params
from simulator.anatomy.patient import PatientParams
from simulator.anatomy.voxelize import Grid, voxelize

NAMES = {
    "femur", "femur_marrow", "patella", "patella_marrow", "tibia", "tibia_marrow", "fibula",
    "fibula_marrow", "femoral_cartilage", "patellar_cartilage", "tibial_cartilage", "menisci",
    "cruciate_ligaments", "quadriceps_tendon", "patellar_tendon", "suprapatellar_fat_pad",
    "prefemoral_fat_pad", "infrapatellar_fat_pad", "patellofemoral_space",
    "suprapatellar_recess", "synovial_cavity", "joint_capsule", "iliotibial_band",
    "popliteal_artery", "popliteal_vein", "great_saphenous_vein", "tibial_nerve",
    "common_peroneal_nerve", "rectus_femoris", "vastus_intermedius", "vastus_lateralis",
    "vastus_medialis", "biceps_femoris", "semimembranosus", "gastrocnemius",
    "tibialis_anterior", "deep_tissue", "subcutaneous_fat", "skin",
}
LANDMARKS = {
    "knee_joint_center", "patella_center", "target_suprapatellar_recess",
    "target_patellofemoral", "superior_patellar_pole", "suprapatellar_skin",
    "lateral_patellar_skin", "tibial_tuberosity", "fibular_head", "lateral_epicondyle",
    "medial_epicondyle", "popliteal_artery_at_joint", "tibial_nerve_at_joint",
    "peroneal_nerve_at_fibular_neck",
}
PATIENTS = {
    "default": PatientParams(),
    "bmi18": PatientParams(bmi=18.0),
    "bmi40": PatientParams(bmi=40.0),
    "male": PatientParams(sex="male"),
    "left": PatientParams(side="left"),
    # cartilage and effusion are independent of each other: one build covers both
    "kl4_effusion6": PatientParams(oa_grade=4, effusion_mm=6.0),
}


class Model:
    """A built model with trimesh views of its structures."""

    def __init__(self, patient: PatientParams, seed: int = 0):
        self.patient = patient
        self.params = draw_knee_params(patient, seed)
        self.model = build(patient, seed)
        self.by_name = {s.entry.name: s for s in self.model.structures}
        self.mesh = {name: trimesh.Trimesh(s.vertices, s.faces, process=False)
                     for name, s in self.by_name.items()}
        self.mark = {k: np.asarray(v, float) for k, v in self.model.landmarks.items()}
        self.lateral = np.array([-1.0 if patient.side == "left" else 1.0, 0.0, 0.0])

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

    def order(self, origin, direction, names) -> list[str]:
        """``names`` sorted by where the ray first enters each (names it misses dropped)."""
        first = {}
        for n in names:
            t = self.hits(n, origin, direction)
            t = t[t > 0]
            if len(t):
                first[n] = t[0]
        return sorted(first, key=first.get)

    def centroid(self, name: str, z_mm: float) -> np.ndarray:
        """Centroid of the largest loop of ``name`` cut by the plane z = ``z_mm``."""
        section = self.mesh[name].section(plane_origin=[0, 0, z_mm], plane_normal=[0, 0, 1])
        assert section is not None, f"{name} does not cross z={z_mm:.1f}"
        loops = sorted(section.discrete, key=lambda p: -len(p))
        return loops[0].mean(0)


class _Lazy(dict):
    def __missing__(self, key):
        self[key] = Model(PATIENTS[key])
        return self[key]


@pytest.fixture(scope="module")
def models():
    return _Lazy()


@pytest.fixture(scope="module")
def knee(models):
    return models["default"]


# -- structure and topology -------------------------------------------------------------------

def test_names_landmarks_and_manifest(knee):
    assert set(knee.by_name) == NAMES
    assert LANDMARKS <= set(knee.mark)
    manifest = knee.model.manifest()
    assert manifest.generator == {"name": "knee", "version": 1,
                                  "patient": PatientParams().key(), "seed": 0}
    for name in ("suprapatellar_recess", "patellofemoral_space", "synovial_cavity"):
        assert manifest.structure(name).role == "joint_cavity"
    for name in ("suprapatellar_fat_pad", "prefemoral_fat_pad", "infrapatellar_fat_pad"):
        entry = manifest.structure(name)
        assert (entry.tissue, entry.role) == ("subcutaneous_fat", "soft_tissue")
    for name in ("quadriceps_tendon", "patellar_tendon"):
        entry = manifest.structure(name)
        assert entry.role == "tendon"
        assert abs(np.linalg.norm(entry.fibre_direction) - 1.0) < 1e-9
    # the quadriceps tendon runs along the thigh, the patellar tendon down and back
    assert abs(manifest.structure("quadriceps_tendon").fibre_direction[2]) > 0.9
    assert len({s.priority for s in manifest.structures}) == len(NAMES)


@pytest.mark.parametrize("key", ["default", "bmi40", "left"])
def test_every_structure_is_closed_oriented_and_solid(models, key):
    for name, mesh in models[key].mesh.items():
        assert mesh.is_watertight, name
        assert mesh.is_winding_consistent, name
        assert mesh.volume > 0, name
        for piece in mesh.split(only_watertight=True):
            assert abs(piece.volume) > 1e-3, f"{name} has a flat piece"


def _cover_counts(m: Model, lo, hi, spacing_mm: float) -> np.ndarray:
    """How many structures hold each voxel centre (the simulator's exact voxeliser)."""
    grid = Grid.covering(lo, hi, spacing_mm)
    count = np.zeros(grid.shape, np.uint8)
    for s in m.model.structures:
        count += voxelize(grid, [(s.vertices, s.faces)])
    return count


def _pocket_voxels(count: np.ndarray) -> int:
    """Unclaimed voxels that do not connect to the outside of the box (holes in the body)."""
    empty, _ = ndimage.label(count == 0)
    border = np.unique(np.concatenate([empty[[0, -1]].ravel(), empty[:, [0, -1]].ravel(),
                                       empty[:, :, [0, -1]].ravel()]))
    return int(((empty > 0) & ~np.isin(empty, border)).sum())


def test_structures_are_disjoint_and_tile_the_body(knee):
    everything = np.concatenate([s.vertices for s in knee.model.structures])
    count = _cover_counts(knee, everything.min(0) - 3, everything.max(0) + 3, 2.0)
    assert count.max() == 1
    assert _pocket_voxels(count) == 0
    # fine grid over the extensor mechanism and joint: every point claimed once; a couple
    # of voxels of numerical slivers (< 0.1 mm3, where two surfaces nearly touch) tolerated
    centre = knee.mark["patella_center"] - np.array([0.0, 15.0, 5.0])
    fine = _cover_counts(knee, centre - 30.0, centre + 30.0, 0.5)
    assert (fine > 1).sum() <= 2
    assert _pocket_voxels(fine) <= 2


def test_triangle_budget(knee):
    total = sum(len(s.faces) for s in knee.model.structures)
    assert 150_000 <= total <= 400_000


# -- the suprapatellar recess -------------------------------------------------------------------

def _depth_under_skin(m: Model, point) -> float:
    """Shortest distance from ``point`` to the outer skin within 60 deg of straight anterior
    (the depth a probe on the skin would show), from a fan of rays."""
    best = np.inf
    for polar in np.radians(np.arange(0.0, 61.0, 5.0)):
        for azimuth in np.radians(np.arange(0.0, 360.0, 20.0)):
            d = np.array([np.sin(polar) * np.cos(azimuth), np.cos(polar),
                          np.sin(polar) * np.sin(azimuth)])
            t = m.hits("skin", point, d)
            if len(t):
                best = min(best, float(t[-1]))
    return best


def test_recess_depth_follows_bmi_within_the_clinical_range(models):
    depth = {k: _depth_under_skin(models[k], models[k].mark["target_suprapatellar_recess"])
             for k in ("bmi18", "default", "bmi40")}
    for key, value in depth.items():
        assert 10.0 <= value <= 30.0, (key, value)
    assert depth["bmi18"] < depth["default"] < depth["bmi40"]
    assert depth["bmi40"] - depth["bmi18"] > 8.0


def _recess_ray(m: Model):
    """From inside the femur at the recess target's height, out through the target."""
    target = m.mark["target_suprapatellar_recess"]
    femur = m.centroid("femur", target[2])
    out = target - femur
    out[2] = 0.0
    return femur, out / np.linalg.norm(out)


def test_effusion_thickens_the_recess(models):
    thick = {}
    for key in ("default", "kl4_effusion6"):
        m = models[key]
        origin, out = _recess_ray(m)
        thick[key] = m.thickness("suprapatellar_recess", origin, out)
    assert thick["default"] == pytest.approx(2.0, abs=0.6)  # collapsed recess, normal
    assert thick["kl4_effusion6"] >= 5.0  # clinical.md: >= 5 mm fluid is an effusion
    assert thick["kl4_effusion6"] - thick["default"] == pytest.approx(6.0, abs=1.2)


def test_recess_lies_between_the_fat_pads_under_the_quadriceps_tendon(knee):
    target = knee.mark["target_suprapatellar_recess"]
    tendon = knee.centroid("quadriceps_tendon", target[2])
    start = np.array([tendon[0], knee.centroid("femur", target[2])[1], target[2]])
    layers = ["femur", "prefemoral_fat_pad", "suprapatellar_recess", "suprapatellar_fat_pad",
              "quadriceps_tendon", "subcutaneous_fat", "skin"]
    hits = {n: knee.hits(n, start, [0.0, 1.0, 0.0]) for n in layers}
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
        edge = x.max()
        assert -4.0 <= target[0] * m.lateral[0] - edge <= 1.0, key  # at the lateral edge
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
    """Fluid gap between patellar and femoral cartilage along the patella's back axis, at
    mid-pole, ``lateral_mm`` lateral of the patella centre."""
    centre = m.mark["patella_center"] + lateral_mm * m.lateral
    back = np.array([0.0, -1.0, -0.2])
    leave = m.hits("patellar_cartilage", centre, back)
    reach = m.hits("femoral_cartilage", centre, back)
    return float(reach[0] - leave[-1] if len(leave) else np.nan)


def test_patellofemoral_space_opens_laterally_and_holds_the_target(models):
    for key in ("default", "left", "male"):
        m = models[key]
        target = m.mark["target_patellofemoral"]
        assert m.contains("patellofemoral_space", target), key
        offset = (target - m.mark["patella_center"]) @ m.lateral
        assert offset > 0.3 * m.params.patella_mm[1]  # under the lateral facet, near its margin
        # the space widens toward the lateral margin (lateral patellofemoral angle)
        lateral = 0.3 * m.params.patella_mm[1]
        assert _pf_gap(m, lateral) > _pf_gap(m, 0.0) + 0.5, key
    gaps = {k: _pf_gap(models[k], 0.0) for k in ("default", "kl4_effusion6")}
    assert gaps["kl4_effusion6"] > gaps["default"]


def test_joint_space_narrows_with_oa_grade(models):
    widths = {}
    for key, grade in (("default", 0), ("kl4_effusion6", 4)):
        m = models[key]
        # medial compartment: rays down the leg axis from inside the medial condyle, at a
        # range of positions front to back; the narrowest bone-to-bone gap is the joint space
        axis = np.array([0.0, -np.sin(np.radians(m.params.flexion_deg)),
                         -np.cos(np.radians(m.params.flexion_deg))])
        gaps = []
        for dy in np.linspace(-20.0, 10.0, 31):
            top = m.mark["knee_joint_center"] - 20.0 * m.lateral + np.array([0.0, dy, 12.0])
            femur, tibia = m.hits("femur", top, axis), m.hits("tibia", top, axis)
            if len(tibia) and np.any(femur < tibia[0]):
                # leave the cortex (the ray starts in the marrow), then enter the tibia
                gaps.append(tibia[0] - femur[femur < tibia[0]].max())
        widths[key] = min(gaps)
        assert widths[key] == pytest.approx(JOINT_SPACE_BY_KL_MM[grade], abs=0.6), key
    assert widths["default"] - widths["kl4_effusion6"] > 3.0


def test_cortex_and_marrow(knee):
    # the patella's marrow is a void inside its cortex
    patella = knee.mesh["patella"]
    marrow = knee.mesh["patella_marrow"]
    assert patella.volume == pytest.approx(
        patella.convex_hull.volume - marrow.volume, rel=0.15)
    assert knee.contains("patella_marrow", knee.mark["patella_center"])
    shaft = knee.centroid("femur", knee.mark["knee_joint_center"][2] + 150.0)
    assert 3.0 < knee.thickness("femur", shaft, [0.0, 1.0, 0.0]) < 6.5


# -- vessels and nerves -------------------------------------------------------------------------

def test_popliteal_bundle_lies_behind_the_joint_in_order(models):
    for key in ("default", "left"):
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
        assert np.linalg.norm(nerve - m.mark["fibular_head"]) < 25.0


def test_recess_target_is_far_from_the_neurovascular_bundle(knee):
    target = knee.mark["target_suprapatellar_recess"]
    for name in ("popliteal_artery", "popliteal_vein", "tibial_nerve",
                 "common_peroneal_nerve"):
        nearest = np.min(np.linalg.norm(knee.by_name[name].vertices - target, axis=1))
        assert nearest > 40.0, name  # "need not worry about any major vessels or nerves"


# -- determinism and sides ------------------------------------------------------------------------

def test_same_seed_same_arrays_other_seed_differs(knee):
    again = build(PatientParams(), 0)
    for a, b in zip(knee.model.structures, again.structures, strict=True):
        assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)
    assert again.landmarks == knee.model.landmarks
    other = build(PatientParams(), 1)
    femur = {s.entry.name: s for s in other.structures}["femur"]
    assert femur.vertices.shape != knee.by_name["femur"].vertices.shape or not np.allclose(
        femur.vertices, knee.by_name["femur"].vertices)


def test_left_is_the_mirror_of_right(models):
    right, left = models["default"], models["left"]
    flip = np.array([-1.0, 1.0, 1.0])
    for name in NAMES:
        a = right.by_name[name].vertices * flip
        b = left.by_name[name].vertices
        assert np.array_equal(a[np.lexsort(a.T[::-1])], b[np.lexsort(b.T[::-1])]), name
    for key in LANDMARKS:
        assert np.allclose(left.mark[key], right.mark[key] * flip)
