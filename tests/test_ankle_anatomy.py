"""Generated ankle anatomy: closed disjoint surfaces that measure up to the clinical numbers.

clinical.md 3.6: the target is the anterior recess, capsule over the fat pad in the V between
the anterior tibia and the talar dome, reached medial to tibialis anterior; the anterior
tibial artery and deep peroneal nerve run between the EHL and EDL tendons, lateral to
tibialis anterior; the superficial peroneal nerve is anterolateral; depth 1-2.5 cm (scenario
range). Every check measures the built meshes; drawn parameters are only expected values.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from scipy import ndimage

from simulator.anatomy.generators.ankle import build
from simulator.anatomy.generators.ankle_params import JOINT_SPACE_BY_KL_MM, draw_ankle_params
from simulator.anatomy.patient import PatientParams
from simulator.anatomy.voxelize import Grid, voxelize

NAMES = {
    "tibia", "tibia_marrow", "fibula", "fibula_marrow", "talus", "talus_marrow", "calcaneus",
    "calcaneus_marrow", "navicular", "navicular_marrow", "talar_cartilage",
    "tibial_cartilage", "anterior_fat_pad", "anterior_recess", "synovial_cavity",
    "joint_capsule", "tibialis_anterior_tendon", "extensor_hallucis_longus_tendon",
    "extensor_digitorum_longus_tendon", "achilles_tendon", "tibialis_posterior_tendon",
    "peroneal_tendons", "anterior_tibial_artery", "posterior_tibial_artery",
    "anterior_tibial_veins", "great_saphenous_vein", "deep_peroneal_nerve",
    "superficial_peroneal_nerve", "saphenous_nerve", "tibial_nerve",
    "flexor_hallucis_longus", "extensor_muscles", "peroneus_brevis", "soleus",
    "precapsular_fat_pad", "kager_fat_pad", "deep_tissue", "subcutaneous_fat", "skin",
}
LANDMARKS = {
    "ankle_joint_center", "talar_dome_top", "target_anterior_recess", "anterior_recess_skin",
    "medial_malleolus", "lateral_malleolus", "anterior_tibial_lip",
    "anterior_tibial_artery_at_joint", "deep_peroneal_nerve_at_joint",
}
PATIENTS = {
    "default": PatientParams(),
    "bmi18": PatientParams(bmi=18.0),
    "bmi40": PatientParams(bmi=40.0),
    "left": PatientParams(side="left"),
    # cartilage and effusion are independent of each other: one build covers both
    "kl4_effusion5": PatientParams(oa_grade=4, effusion_mm=5.0),
}


class Model:
    """A built model with trimesh views of its structures."""

    def __init__(self, patient: PatientParams, seed: int = 0):
        self.patient = patient
        self.params = draw_ankle_params(patient, seed)
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

    def thickness(self, name: str, origin, direction) -> float:
        t = self.hits(name, origin, direction)
        assert len(t) >= 2, f"ray misses {name}"
        return float(t[1] - t[0])

    def contains(self, name: str, point) -> bool:
        return bool(self.mesh[name].contains([np.asarray(point, float)])[0])

    def section_x(self, name: str, z_mm: float) -> tuple[float, float, float]:
        """Lateral coordinate (x times the side, so larger = more lateral) of the section of
        ``name`` at height ``z_mm``: (min, centre, max) of its largest loop."""
        section = self.mesh[name].section(plane_origin=[0, 0, z_mm], plane_normal=[0, 0, 1])
        assert section is not None, f"{name} does not cross z={z_mm:.1f}"
        loop = max(section.discrete, key=len)
        x = loop[:, 0] * self.side
        return float(x.min()), float(loop.mean(0)[0] * self.side), float(x.max())


class _Lazy(dict):
    def __missing__(self, key):
        self[key] = Model(PATIENTS[key])
        return self[key]


@pytest.fixture(scope="module")
def models():
    return _Lazy()


@pytest.fixture(scope="module")
def ankle(models):
    return models["default"]


# -- structure and topology -------------------------------------------------------------------

def test_names_landmarks_and_manifest(ankle):
    assert set(ankle.by_name) == NAMES
    assert LANDMARKS <= set(ankle.mark)
    manifest = ankle.model.manifest()
    assert manifest.generator == {"name": "ankle", "version": 1,
                                  "patient": PatientParams().key(), "seed": 0}
    assert manifest.structure("anterior_recess").role == "joint_cavity"
    entry = manifest.structure("anterior_fat_pad")
    assert (entry.tissue, entry.role) == ("subcutaneous_fat", "soft_tissue")
    for name in ("tibialis_anterior_tendon", "extensor_hallucis_longus_tendon",
                 "extensor_digitorum_longus_tendon", "achilles_tendon"):
        entry = manifest.structure(name)
        assert entry.role == "tendon"
        assert abs(np.linalg.norm(entry.fibre_direction) - 1.0) < 1e-9
    assert manifest.structure("anterior_tibial_artery").tissue == "arterial_blood"
    assert manifest.structure("deep_peroneal_nerve").role == "nerve"
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


def test_structures_are_disjoint_and_tile_the_body(ankle):
    everything = np.concatenate([s.vertices for s in ankle.model.structures])
    count = _cover_counts(ankle, everything.min(0) - 3, everything.max(0) + 3, 2.0)
    assert count.max() == 1
    assert _pocket_voxels(count) == 0
    # fine grid over the front of the joint: every point claimed once; a couple of voxels
    # of numerical slivers (< 0.1 mm3, where two surfaces nearly touch) tolerated
    centre = ankle.mark["target_anterior_recess"] - np.array([0.0, 8.0, 2.0])
    fine = _cover_counts(ankle, centre - 22.0, centre + 22.0, 0.5)
    assert (fine > 1).sum() <= 2
    assert _pocket_voxels(fine) <= 2


def test_triangle_budget(ankle):
    total = sum(len(s.faces) for s in ankle.model.structures)
    assert 120_000 <= total <= 330_000


# -- the anterior recess ------------------------------------------------------------------------

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
    depth = {k: _depth_under_skin(models[k], models[k].mark["target_anterior_recess"])
             for k in ("bmi18", "default", "bmi40")}
    for key, value in depth.items():
        assert 10.0 <= value <= 25.0, (key, value)
    assert depth["bmi18"] < depth["default"] < depth["bmi40"]


def _dome_ray(m: Model):
    """From inside the talus out through the recess target, toward a point in front of the
    joint (34 mm in front of and 4 mm below the dome top, reference size)."""
    target = m.mark["target_anterior_recess"]
    front = m.mark["ankle_joint_center"] + m.params.scale * np.array([0.0, 34.0, -4.0])
    front[0] = target[0]
    out = (front - target) / np.linalg.norm(front - target)
    return target - 12.0 * out, out


def test_effusion_thickens_the_recess(models):
    thick = {}
    for key in ("default", "kl4_effusion5"):
        m = models[key]
        origin, out = _dome_ray(m)
        thick[key] = m.thickness("anterior_recess", origin, out)
    assert thick["default"] == pytest.approx(1.5, abs=0.5)
    assert thick["kl4_effusion5"] - thick["default"] == pytest.approx(5.0, abs=1.0)


def test_target_in_the_recess_over_the_dome_below_the_tibial_lip(models):
    for key in ("default", "left", "kl4_effusion5"):
        m = models[key]
        target = m.mark["target_anterior_recess"]
        assert m.contains("anterior_recess", target), key
        lip = m.mark["anterior_tibial_lip"]
        assert lip[2] - 9.0 < target[2] < lip[2], key  # just distal to the anterior lip
        origin, out = _dome_ray(m)
        # going out from the dome: cartilage, then the recess (with the target), then the
        # intra-articular fat pad and the capsule, before the skin
        first = {n: m.hits(n, origin, out)[0] for n in
                 ("talar_cartilage", "anterior_recess", "anterior_fat_pad", "joint_capsule",
                  "skin")}
        assert list(first) == sorted(first, key=first.get), key


def test_joint_space_narrows_with_oa_grade(models):
    widths = {}
    for key, grade in (("default", 0), ("kl4_effusion5", 4)):
        m = models[key]
        top = m.mark["talar_dome_top"]
        start = top - np.array([0.0, 0.0, 5.0])  # inside the talus, under the dome top
        talus = m.hits("talus", start, [0.0, 0.0, 1.0])
        tibia = m.hits("tibia", start, [0.0, 0.0, 1.0])
        widths[key] = tibia[0] - talus[talus < tibia[0]].max()
        assert widths[key] == pytest.approx(JOINT_SPACE_BY_KL_MM[grade], abs=0.35), key
        # loaded joint: talar and tibial cartilage meet at the top of the dome
        cart = m.hits("talar_cartilage", start, [0.0, 0.0, 1.0])
        tib_cart = m.hits("tibial_cartilage", start, [0.0, 0.0, 1.0])
        assert abs(tib_cart[0] - cart[1]) < 0.3, key
    assert widths["default"] - widths["kl4_effusion5"] > 2.0


def test_cortex_and_marrow(ankle):
    talus, marrow = ankle.mesh["talus"], ankle.mesh["talus_marrow"]
    assert talus.volume < 0.5 * marrow.volume  # a shell of cortex round its marrow
    assert ankle.contains("talus_marrow", ankle.mark["talar_dome_top"] - [0.0, 0.0, 8.0])


# -- danger structures -------------------------------------------------------------------------

def test_artery_and_nerve_between_ehl_and_edl_lateral_to_tibialis_anterior(models):
    for key in ("default", "left"):
        m = models[key]
        z = m.mark["ankle_joint_center"][2]
        ta = m.section_x("tibialis_anterior_tendon", z)
        ehl = m.section_x("extensor_hallucis_longus_tendon", z)
        edl = m.section_x("extensor_digitorum_longus_tendon", z)
        artery = m.section_x("anterior_tibial_artery", z)
        nerve = m.section_x("deep_peroneal_nerve", z)
        assert ta[1] < ehl[1] < artery[1] < edl[1], key
        assert ehl[1] < nerve[1] < edl[1], key
        assert artery[0] > ta[2] and nerve[0] > ta[2], key  # lateral to tibialis anterior
        # both well clear of the target, which lies medial to tibialis anterior's edge
        target = m.mark["target_anterior_recess"][0] * m.side
        assert artery[0] - target > 12.0 and nerve[0] - target > 12.0, key
        assert target < ta[0] + 1.5, key
        assert m.contains("anterior_tibial_artery", m.mark["anterior_tibial_artery_at_joint"])
        assert m.contains("deep_peroneal_nerve", m.mark["deep_peroneal_nerve_at_joint"])


def test_superficial_nerves_and_saphenous_vein_lie_in_the_fat(ankle):
    z = ankle.mark["ankle_joint_center"][2]
    centre = ankle.mark["ankle_joint_center"][0]
    spn = ankle.section_x("superficial_peroneal_nerve", z)
    gsv = ankle.section_x("great_saphenous_vein", z)
    assert spn[1] > centre + 8.0  # anterolateral
    assert gsv[1] < ankle.mark["medial_malleolus"][0] + 8.0  # in front of the medial malleolus
    for name, out in (("superficial_peroneal_nerve", (0.3, 1.0, 0.0)),
                      ("great_saphenous_vein", (-1.0, 0.5, 0.0))):
        section = ankle.mesh[name].section(plane_origin=[0, 0, z], plane_normal=[0, 0, 1])
        point = max(section.discrete, key=len).mean(0)
        out = np.array(out) * (ankle.side, 1.0, 1.0)
        # outside the deep fascia, with only fat (a few mm) between it and the skin
        assert not ankle.contains("deep_tissue", point), name
        skin = ankle.hits("skin", point, out)[0]
        assert skin < ankle.params.fat_anterior_mm + 4.0, name
        deep = ankle.hits("deep_tissue", point, out)
        assert not np.any(deep < skin), name


# -- determinism and sides ------------------------------------------------------------------------

def test_same_seed_same_arrays_other_seed_differs(ankle):
    again = build(PatientParams(), 0)
    for a, b in zip(ankle.model.structures, again.structures, strict=True):
        assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)
    assert again.landmarks == ankle.model.landmarks
    other = build(PatientParams(), 1)
    talus = {s.entry.name: s for s in other.structures}["talus"]
    assert talus.vertices.shape != ankle.by_name["talus"].vertices.shape or not np.allclose(
        talus.vertices, ankle.by_name["talus"].vertices)


def test_left_is_the_mirror_of_right(models):
    right, left = models["default"], models["left"]
    flip = np.array([-1.0, 1.0, 1.0])
    for name in NAMES:
        a = right.by_name[name].vertices * flip
        b = left.by_name[name].vertices
        assert np.array_equal(a[np.lexsort(a.T[::-1])], b[np.lexsort(b.T[::-1])]), name
    for key in LANDMARKS:
        assert np.allclose(left.mark[key], right.mark[key] * flip)
