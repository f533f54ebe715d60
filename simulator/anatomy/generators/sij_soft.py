"""Soft tissue of the sacroiliac region placed from the real bones: multifidus and erector
spinae over the dorsal sacrum, the S1 root, lumbosacral trunk, internal iliac vessels and
presacral fat ventral to the joint, and the muscle envelope round the real bones and muscles.

Points on the real sacrum are found by rays (``pr.ray_crossing``) from outside it; the joint's
lines and frame come from ``sij_landmarks`` (``JointFrame``). The S1 root leaves the sacrum on
its ventral surface 45 % of the way from the midline to the joint centre at the level of the
joint's cranial end (the ventral S1 foramen, about 25-30 mm from the midline in adults [U]),
and runs caudally and laterally over the ventral sacrum to the greater sciatic notch below the
joint. The internal iliac artery and vein run down the pelvic wall ``vessels_ventral_mm`` in
front of the anterior joint line; the lumbosacral trunk crosses the ala between them and the
joint. Presacral fat lies 3-20 mm in front of the ventral sacrum.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.body import Outline
from simulator.anatomy.generators.sij_joint import JointFrame
from simulator.anatomy.generators.sij_params import SijParams

FRONT = np.array([0.0, 1.0, 0.0])
UP = np.array([0.0, 0.0, 1.0])
N_POSTERIOR, N_ANTERIOR = 3.2, 2.3    # superellipse exponents of the envelope's back, front


def ventral_point(sacrum: mf.Manifold, x_mm: float, z_mm: float) -> np.ndarray:
    """``(3,)`` first point of the sacrum met from the front at ``(x_mm, z_mm)``."""
    return pr.ray_crossing(sacrum, [x_mm, 300.0, z_mm], -FRONT, 600.0)


def dorsal_point(sacrum: mf.Manifold, x_mm: float, z_mm: float) -> np.ndarray:
    """``(3,)`` first point of the sacrum met from behind at ``(x_mm, z_mm)``."""
    return pr.ray_crossing(sacrum, [x_mm, -300.0, z_mm], FRONT, 600.0)


def _z_range(sacrum: mf.Manifold) -> tuple[float, float]:
    lo, hi = sacrum.bounding_box()[2], sacrum.bounding_box()[5]
    return float(lo), float(hi)


def erector_spinae(sacrum: mf.Manifold, size: float) -> mf.Manifold:
    """Multifidus and erector spinae of both sides: from above the sacrum down its dorsal
    surface to the level of S3, 15 mm from the midline (sacral grooves)."""
    z_lo, z_hi = _z_range(sacrum)
    out = []
    for side in (1.0, -1.0):
        x = side * 16.0 * size
        zs = np.linspace(z_hi - 18.0, z_lo + 0.45 * (z_hi - z_lo), 5)
        back = np.array([dorsal_point(sacrum, x, z) for z in zs])
        dorsal_most, ventral_most = back[:, 1].min(), back[:, 1].max()
        path = np.array([back[0] + np.array([0.0, -24.0 * size, 60.0 * size]),
                         [x, dorsal_most - 14.0 * size, zs[0]],
                         [x, ventral_most - 8.0 * size, zs[-1]]])
        out.append(pr.tube(path, np.array([22.0, 20.0, 8.0]) * size,
                           np.array([20.0, 14.0, 5.0]) * size, FRONT,
                           step_mm=5.0, ring_points=20, round_end=True,
                           what="erector spinae"))
    return pr.union(out)


def neurovascular(p: SijParams, frame: JointFrame, sacrum: mf.Manifold,
                  anterior_line: np.ndarray, caudal: np.ndarray) -> tuple[dict, dict]:
    """S1 root, lumbosacral trunk, internal iliac artery and vein (injected side) and the
    presacral fat; returns shapes and landmarks ``s1_foramen``, ``s1_root_at_foramen``,
    ``internal_iliac_artery_at_joint``."""
    sc = p.size
    cranial = anterior_line[0]
    foramen = ventral_point(sacrum, 0.45 * frame.centre[0], cranial[2] - 4.0 * sc)
    notch = caudal + (p.vessels_ventral_mm + 6.0) * frame.across + np.array([4.0, 0.0, -18.0]) * sc
    root_path = np.array([foramen - 3.0 * FRONT, foramen + 5.0 * FRONT,
                          foramen + 9.0 * FRONT + np.array([8.0, 0.0, -16.0]) * sc,
                          0.5 * (foramen + notch) + 8.0 * FRONT, notch])
    root = pr.tube(root_path, p.root_radius_mm, step_mm=2.5, ring_points=12,
                   round_start=True, round_end=True, what="S1 nerve root")
    k = len(anterior_line)
    upper, middle, lower = anterior_line[[0, k // 2, k - 1]]
    front = frame.across
    trunk_path = np.array([upper + 8.0 * front + np.array([-12.0, 0.0, 40.0]) * sc,
                           upper + 8.0 * front, middle + 8.0 * front,
                           lower + (p.vessels_ventral_mm + 2.0) * front
                           + np.array([2.0, 0.0, -16.0]) * sc])
    trunk = pr.tube(trunk_path, p.root_radius_mm, step_mm=3.0, ring_points=12,
                    round_start=True, round_end=True, what="lumbosacral trunk")
    r_a, r_v = p.artery_radius_mm, p.vein_radius_mm
    gap = p.vessels_ventral_mm + r_v + 6.0
    side = np.array([1.0, 0.0, 0.0])
    artery_path = np.array([upper + (gap + 10.0) * front + np.array([0.0, 0.0, 34.0]),
                            upper + (gap + 4.0) * front + 4.0 * side,
                            middle + gap * front + 6.0 * side,
                            lower + gap * front + 8.0 * side + np.array([0.0, 0.0, -20.0]) * sc])
    artery = pr.tube(artery_path, r_a, step_mm=3.0, ring_points=16, round_start=True,
                     round_end=True, what="internal iliac artery")
    behind = side + front
    vein_path = artery_path - (r_a + r_v + 1.5) * behind / np.linalg.norm(behind)
    vein = pr.tube(vein_path, r_v, step_mm=3.0, ring_points=16, round_start=True,
                   round_end=True, what="internal iliac vein")
    z_lo, z_hi = _z_range(sacrum)
    pts = []
    for z in np.linspace(z_lo + 0.3 * (z_hi - z_lo), z_hi - 12.0, 6):
        for x in np.linspace(-0.45, 0.45, 5) * frame.centre[0]:
            hits = sacrum.ray_cast([x, 300.0, z], [x, -300.0, z])
            if hits:   # the apex is narrower than the grid
                v = np.asarray(hits[0].position, float)
                pts += [v + 3.0 * FRONT, v + 20.0 * sc * FRONT]
    presacral = pr.hull_points(np.array(pts), "presacral space")
    shapes = {"s1_nerve_root": root, "lumbosacral_trunk": trunk,
              "internal_iliac_artery": artery, "internal_iliac_vein": vein,
              "presacral_space": presacral}
    marks = {"s1_foramen": foramen, "s1_root_at_foramen": foramen + 5.0 * FRONT,
             "internal_iliac_artery_at_joint": artery_path[2]}
    return shapes, marks


def sij_outline(points: np.ndarray, clearance_mm: float, z_lo_mm: float,
                z_hi_mm: float) -> Outline:
    """Muscle-envelope sections every 20 mm from ``z_lo_mm`` to ``z_hi_mm``, centred on the
    midline (x = 0), each the boxy superellipse that holds the points ``(n, 3)`` (real bones
    and muscles) within 12 mm of its height ``clearance_mm`` inside it."""
    sections = []
    for z in np.arange(z_lo_mm - 20.0, z_hi_mm + 40.0, 20.0):
        near = points[np.abs(points[:, 2] - z) < 12.0]
        if not len(near):
            near = points[np.argsort(np.abs(points[:, 2] - z))[:200]]
        lat = 1.12 * (np.abs(near[:, 0]).max() + clearance_mm)
        x = np.minimum((np.abs(near[:, 0]) + clearance_mm) / lat, 0.99)
        reach = {}
        for name, n, sign in (("ant", N_ANTERIOR, 1.0), ("post", N_POSTERIOR, -1.0)):
            y = np.maximum(sign * near[:, 1], 0.0) + clearance_mm
            reach[name] = float((y / (1.0 - x**n) ** (1.0 / n)).max())
        sections.append((z, 0.0, 0.0, lat, lat, reach["ant"], reach["post"], N_ANTERIOR,
                         N_POSTERIOR))
    return Outline(np.array(sections))
