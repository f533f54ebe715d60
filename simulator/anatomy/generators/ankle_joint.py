"""Articular structures of a right ankle: cartilage, lining, capsule, anterior recess, fat pad.

The talar cartilage covers the trochlea and the upper part of its malleolar facets; the
tibial cartilage fills the rest of the joint space under the plafond and on the medial
malleolus, so the loaded joint shows cartilage on cartilage. In front, every sagittal slice of
the joint (13 slices across the trochlea) is sampled along a fan of rays from a point in
front of the joint: the fan meets the anterior tibia a few mm above the lip, the lip, the
talar dome and the dorsal talar neck, the two limbs of the "V". Along each ray the anterior
recess (fluid, ``recess_mm`` deep, the injection target) lies on the bone; the capsule runs
over the front of the convex hull of the recess, so it bridges the V, and the
intra-articular fat pad fills the V under it [S: clinical.md 3.6, sonographic target];
pre-capsular fat lies in front of the capsule around the tendons [U]. The slices' polygons are
lofted across the joint.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np
from scipy.spatial import ConvexHull

from simulator.anatomy.generators import knee_ankle_common as kc
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.ankle_bones import LINING_MM, AnkleFrame, talus

FAN_DEG = np.linspace(22.0, -62.0, 34)   # ray angles from -y, positive upward
SLICES = 13


@dataclass(frozen=True)
class Front:
    """Samples of the anterior joint, per slice ``k`` (x) and ray ``i``.

    Attributes
    ----------
    x : (k,) float
        World x of the slices (medial to lateral).
    bone : (k, i, 3) float
        First cartilage or bone surface along each ray.
    ray : (k, i, 3) float
        Unit ray directions (toward the bone).
    capsule : (k, i, 3) float
        Inner capsule surface, one point per ray (same order, tibia to talar neck).
    capsule_normal : (k, 3) float
        Unit forward normal of each slice's capsule chord.
    """

    x: np.ndarray
    bone: np.ndarray
    ray: np.ndarray
    capsule: np.ndarray
    capsule_normal: np.ndarray


def articular_region(f: AnkleFrame, margin_mm: float = 0.0) -> mf.Manifold:
    """Where the talus is articular: above a plane 5 mm under the dome centre (foot frame),
    i.e. the trochlea and the upper part of the malleolar facets."""
    sc = f.sc
    box = pr.box(f.dome_center + np.array([-40.0, -40.0, -5.0 * sc - margin_mm]),
                 f.dome_center + np.array([40.0, 40.0, 40.0]))
    return kc.transformed(box, f.foot_rotation, f.dome_center)


def cartilage(f: AnkleFrame, tibial_block) -> dict[str, mf.Manifold]:
    """Talar cartilage (the talus grown on its articular surface) and tibial cartilage (the
    rest of the joint space, where the tibia lies: plafond and medial malleolar facet)."""
    p = f.params
    region = articular_region(f)
    talar = talus(f, p.talar_cartilage_mm, head=False) ^ region
    shell = (talus(f, p.joint_space_mm, head=False) ^ region) - talus(
        f, p.talar_cartilage_mm, head=False)
    return {"talar_cartilage": talar, "tibial_cartilage": shell ^ tibial_block(0.5)}


def sample_front(f: AnkleFrame, bones: mf.Manifold) -> Front:
    """Cast the fans and lay the capsule curve over the V in each slice."""
    sc = f.sc
    lat, med = 13.5 * sc, -13.5 * sc
    xs = f.origin[0] + np.linspace(med, lat, SLICES)
    phi = np.radians(FAN_DEG)
    dirs = np.stack([np.zeros_like(phi), -np.cos(phi), np.sin(phi)], 1)
    bone, ray, capsule, normals = [], [], [], []
    for x in xs:
        centre = np.array([x, f.origin[1] + 34.0 * sc, f.origin[2] - 4.0 * sc])
        hits, last = [], 20.0
        for d in dirs:  # a ray that misses (slice edge) keeps the previous distance
            h = kc.first_hit(bones, centre, d, 120.0)
            last = last if h is None else float(np.linalg.norm(h - centre))
            hits.append(centre + last * d if h is None else h)
        hits = np.array(hits)
        bone.append(hits)
        ray.append(dirs)
        cap, n = _capsule_curve(f, centre, hits, dirs)
        capsule.append(cap)
        normals.append(n)
    return Front(xs, np.array(bone), np.array(ray), np.array(capsule), np.array(normals))


def _capsule_curve(f: AnkleFrame, centre, hits, dirs):
    """Capsule inner surface for one slice, one point per ray: the front of the convex hull
    of the recess surface, 1 mm further out, so the capsule bridges the V between tibia and
    talus and the intra-articular fat pad fills it (at least 1 mm thick elsewhere, at least
    ``fat_pad_mm`` over the apex of the V). Returns the points and the slice's forward unit
    normal."""
    p = f.params
    top = hits - p.recess_mm * dirs
    yz = top[:, 1:]
    hull = yz[ConvexHull(yz).vertices]
    edges = np.stack([hull, np.roll(hull, -1, axis=0)], 1)
    out = []
    for d in dirs[:, 1:]:  # first crossing of the ray from the centre with the hull
        t_best = np.inf
        for a, b in edges:
            m = np.array([d, a - b]).T
            if abs(np.linalg.det(m)) < 1e-12:
                continue
            t, u = np.linalg.solve(m, a - centre[1:])
            if t > 0.0 and -1e-9 <= u <= 1.0 + 1e-9:
                t_best = min(t, t_best)
        out.append(t_best)
    depth = np.linalg.norm(top - centre, axis=1)
    t_hull = np.minimum(np.array(out), depth)
    apex = int(np.argmax(depth - t_hull))
    extra = max(p.fat_pad_mm - (depth[apex] - t_hull[apex]), 1.0)
    curve = centre + (t_hull - extra)[:, None] * dirs
    chord = curve[-1] - curve[0]
    normal = np.array([0.0, chord[2], -chord[1]]) / np.linalg.norm(chord)
    if normal[1] < 0:
        normal = -normal
    return curve, normal


def _sheet(front: Front, inner, outer, what: str) -> mf.Manifold:
    """Loft the closed polygons (inner points forward, outer points back) of every slice."""
    rings = np.concatenate([inner, outer[:, ::-1]], axis=1)
    return pr.loft(rings, what=what)


def front_structures(f: AnkleFrame, fr: Front) -> tuple[dict, dict]:
    """Anterior recess, fat pad and the front of the capsule (shapes) and the target."""
    p = f.params
    rec, t = p.recess_mm, p.capsule_mm
    n = fr.capsule_normal[:, None, :]
    shapes = {
        # each layer overlaps the next a little; priority decides (fat pad > recess)
        "anterior_recess": _sheet(fr, fr.bone + 1.5 * fr.ray, fr.bone - (rec + 0.3) * fr.ray,
                                  "anterior recess"),
        "anterior_fat_pad": _sheet(fr, fr.bone - rec * fr.ray, fr.capsule + 0.3 * n,
                                   "anterior fat pad"),
        "capsule_front": _sheet(fr, fr.capsule - 0.3 * n, fr.capsule + t * n,
                                "anterior capsule"),  # the front of the capsule (for fronts)
        # fat between the capsule and the deep fascia, round the tendons (which win where
        # they overlap); clipped to the fascia by the assembly
        "precapsular_fat_pad": pr.smooth_hull(np.concatenate([
            (fr.capsule + (t - 0.2) * n).reshape(-1, 3),
            (fr.capsule + 14.0 * f.sc * n).reshape(-1, 3)]), 2.5, "pre-capsular fat"),
    }
    # target: recess mid-depth over the dome just distal to the anterior tibial lip, in the
    # slice just medial to tibialis anterior
    k = int(np.argmin(np.abs(fr.x - (f.origin[0] - 11.3 * f.sc))))
    rel = fr.bone[k] - f.dome_center
    radius = np.hypot(rel[:, 1], rel[:, 2])
    on_dome = np.abs(radius - (p.dome_radius_mm + p.talar_cartilage_mm)) < 0.6
    i = int(np.argmax(on_dome)) + 2
    target = fr.bone[k, i] - 0.5 * rec * fr.ray[k, i]
    return shapes, {"target_anterior_recess": target}


def lining(f: AnkleFrame, fr: Front) -> tuple:
    """Inner (synovial lining: a film around the articular talus; the anterior recess is its
    own structure) and outer (capsule: the film grown by the capsule thickness, plus a sheet
    from the bone to the front of the capsule that covers the recess and fat pad, a little
    larger than them so that no surfaces coincide: coincident faces leave slivers)."""
    p = f.params
    g, t = p.synovial_mm, p.capsule_mm
    n = fr.capsule_normal[:, None, :]
    region = articular_region(f, 2.0)
    inner = talus(f, p.joint_space_mm + g + 1.0, LINING_MM, head=False) ^ region
    outer = pr.union([talus(f, p.joint_space_mm + g + 1.0 + t, LINING_MM, head=False)
                      ^ articular_region(f, 2.0 + t),
                      _sheet(fr, fr.bone + 0.9 * fr.ray, fr.capsule + (t + 0.2) * n, "capsule")])
    return inner, outer
