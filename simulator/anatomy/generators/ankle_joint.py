"""Generated articular structures in front of a right ankle on the real bones: the anterior
recess, the intra-articular fat pad and the anterior capsule.

Every sagittal slice of the joint (13 slices across the real talar cartilage, one of them
moved onto the approach plane, where the target lies) is sampled
along a fan of rays from a point in front of the real anterior tibial lip: the fan meets the
anterior tibia a few mm above the lip, the lip, the talar dome (its cartilage) and the dorsal
talar neck, the two limbs of the "V". Along each ray the anterior
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
from simulator.anatomy.generators.ankle_bones import AnkleFrame

FAN_DEG = np.linspace(22.0, -62.0, 34)   # ray angles from -y, positive upward
SLICES = 13
EDGE_INSET_MM = 2.0    # slices stop this far inside the talar cartilage's edges
FAN_AHEAD_MM = 20.0    # the fans' centre in front of the anterior tibial lip (x scale)
TARGET_AHEAD_MM, TARGET_BELOW_MM = 0.0, 8.0  # the target's aim from the tibial margin (x scale)


@dataclass(frozen=True)
class Front:
    """Samples of the anterior joint, per slice ``k`` (x) and ray ``i``.

    Attributes
    ----------
    x : (k,) float
        World x of the slices (medial to lateral).
    target_slice : int
        Index of the slice in the approach plane.
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
    target_slice: int
    bone: np.ndarray
    ray: np.ndarray
    capsule: np.ndarray
    capsule_normal: np.ndarray


def sample_front(f: AnkleFrame, bones: mf.Manifold, approach_x: float) -> Front:
    """Cast the fans and lay the capsule curve over the V in each slice; ``approach_x``
    (world x) is the sagittal plane of the approach: the nearest slice moves onto it, so
    the target lies on sampled bone rather than between two slices."""
    sc = f.sc
    xs = np.linspace(f.trochlea_x[0] + EDGE_INSET_MM, f.trochlea_x[1] - EDGE_INSET_MM, SLICES)
    # the grid slice nearest the approach plane moves onto it (even spacing keeps the lofts
    # between slices free of twists that open slivers)
    xs[np.argmin(np.abs(xs - approach_x))] = approach_x
    phi = np.radians(FAN_DEG)
    dirs = np.stack([np.zeros_like(phi), -np.cos(phi), np.sin(phi)], 1)
    bone, ray, capsule, normals = [], [], [], []
    for x in xs:
        centre = np.array([x, f.lip[1] + FAN_AHEAD_MM * sc, f.origin[2] - 4.0 * sc])
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
    return Front(xs, int(np.argmin(np.abs(xs - approach_x))), np.array(bone), np.array(ray),
                 np.array(capsule), np.array(normals))


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
    # target: recess mid-depth on the talar dome (the hits past the deepest point of the V)
    # nearest a point TARGET_BELOW_MM under the slice's anterior tibial margin (its last
    # tibial hit before the V), in the approach plane
    k = fr.target_slice
    hits = fr.bone[k]
    deepest = int(np.argmin(hits[:, 1]))
    margin = hits[int(np.argmax(np.diff(hits[: deepest + 1, 1]) < -3.0))]
    aim = margin + f.sc * np.array([0.0, TARGET_AHEAD_MM, -TARGET_BELOW_MM])
    i = deepest + int(np.argmin(np.linalg.norm(hits[deepest:, 1:] - aim[1:], axis=1)))
    target = hits[i] - 0.5 * rec * fr.ray[k, i]
    return shapes, {"target_anterior_recess": target}


def capsule(f: AnkleFrame, fr: Front) -> mf.Manifold:
    """The anterior capsule: a sheet from the bone to the front of the capsule that covers the
    recess and fat pad, a little larger than them so that no surfaces coincide (coincident
    faces leave slivers)."""
    t = f.params.capsule_mm
    n = fr.capsule_normal[:, None, :]
    return _sheet(fr, fr.bone + 0.9 * fr.ray, fr.capsule + (t + 0.2) * n, "capsule")
