"""Joint space, capsule and ligaments, muscles, nerves, vessels and body outline of the
sacroiliac region.

The synovial joint is the ear-shaped slab between the two auricular surfaces; a capsule 3 mm
wider round its margin closes it ventrally and caudally (the ventral capsule is what a needle
pushed too deep goes through), and the posterior (and interosseous) sacroiliac ligaments fill
the cleft dorsal to it and bridge the dorsal joint line. Muscles are swept tubes between their
attachments; bilateral muscles are one structure each. Ventral to the joint lie the
presacral fat, the internal iliac artery and vein on the pelvic wall, the lumbosacral trunk
over the sacral ala and the S1 root leaving its foramen for the greater sciatic notch. The
muscle envelope is a stack of horizontal superellipse sections whose back passes
``over_joint_mm`` behind the target, so the depth to the joint follows the fat (BMI).
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.body import Outline
from simulator.anatomy.generators.sij_frame import SijFrame


def _mirror(solid: mf.Manifold) -> mf.Manifold:
    return solid.mirror([1.0, 0.0, 0.0])


def _both(solid: mf.Manifold) -> mf.Manifold:
    return solid + _mirror(solid)


def _slab(f: SijFrame, outline: np.ndarray, n_lo: float, n_hi: float, what: str) -> mf.Manifold:
    rings = [f.joint(outline[:, 0], outline[:, 1], n) for n in (n_lo, n_hi)]
    return pr.loft(np.array(rings), what=what)


def joint_parts(f: SijFrame) -> dict[str, mf.Manifold]:
    """``sacroiliac_joint`` (target), the capsule, the posterior ligaments and the same on the
    contralateral side (mirrored)."""
    sc = f.sc
    half = 0.5 * f.params.joint_space_mm
    cavity = _slab(f, f.outline(72), -half - 0.4, half + 0.4, "sacroiliac joint")
    grow = f.params.capsule_mm
    capsule = _slab(f, f.outline(72, grow_mm=grow), -half - 0.6, half + 0.6, "capsule")
    # ventral capsule: a thin sheet over the ventral joint line bridging the two bones
    l_v = np.linspace(-f.half_length - grow, f.half_length + grow, 9)
    w_v = f.centre_w(l_v) + f.half_width(l_v, grow)
    ventral = pr.hull_points(np.concatenate([
        f.joint(l_v, w_v + dv, n) for dv in (-2.0, 1.5) for n in (-6.0 * sc, 6.0 * sc)]),
        "ventral capsule")
    capsule = capsule + ventral
    # posterior ligaments: the cleft dorsal of the joint and a pad over the dorsal joint line
    l_d = np.linspace(-f.half_length - 2.0, f.half_length + 1.0, 12)
    edge = f.dorsal_edge_w(l_d)
    pts = [f.joint(l_d, edge + 1.0, n) for n in (-half - 0.6, half + 0.6)]
    for dw, n in ((-24.0, -12.0), (-24.0, 14.0), (-8.0, -14.0), (-8.0, 16.0)):
        pts.append(f.joint(l_d, edge + dw * sc, n * sc))
    ligaments = pr.hull_points(np.concatenate(pts), "posterior sacroiliac ligaments")
    return {"sacroiliac_joint": cavity, "contralateral_sacroiliac_joint": _mirror(cavity),
            "sacroiliac_capsule": capsule,
            "posterior_sacroiliac_ligaments": ligaments,
            "contralateral_sacroiliac_ligaments": _mirror(capsule + ligaments)}


def muscles(f: SijFrame) -> dict[str, mf.Manifold]:
    """Erector spinae/multifidus, gluteus maximus and medius, piriformis, iliacus and psoas
    (both sides each)."""
    sc = f.sc

    def w(*p):
        return np.array(p, float) * sc

    y = np.array([0.0, 1.0, 0.0])
    x = np.array([1.0, 0.0, 0.0])
    erector = pr.tube(np.array([w(24, -62, 80), w(24, -58, 30), w(22, -50, -20),
                                w(16, -44, -60), w(10, -40, -85)]),
                      np.array([24.0, 24.0, 20.0, 13.0, 8.0]) * sc,
                      np.array([22.0, 20.0, 14.0, 9.0, 5.0]) * sc, y, step_mm=5.0,
                      ring_points=20, round_end=True, what="erector spinae")
    gmax = pr.tube(np.array([w(46, -66, 10), w(62, -72, -40), w(92, -76, -90),
                             w(130, -64, -130)]),
                   np.array([22.0, 40.0, 50.0, 45.0]) * sc,
                   np.array([10.0, 14.0, 18.0, 18.0]) * sc,
                   np.array([(0.3, -1, 0), (0.2, -1, 0), (0.2, -1, 0), (0.4, -1, 0)]),
                   step_mm=5.0, ring_points=20, round_start=True, what="gluteus maximus")
    gmed = pr.tube(np.array([w(112, -36, 30), w(134, -20, -10), w(150, -10, -60),
                             w(158, -4, -110)]),
                   np.array([34.0, 32.0, 26.0, 18.0]) * sc, np.array([10.0, 11.0, 11.0, 9.0]) * sc,
                   np.array([x, x, x, x]), step_mm=5.0, ring_points=18, round_start=True,
                   what="gluteus medius")
    piriformis = pr.tube(np.array([f.sac(52 * sc, 18 * sc, -16 * sc),
                                   w(50, -28, -66), w(80, -44, -86), w(120, -54, -102)]),
                         np.array([12.0, 13.0, 11.0, 9.0]) * sc,
                         np.array([6.0, 8.0, 8.0, 7.0]) * sc,
                         np.array([(0, 1, 0), (0, 1, 0.3), (0.2, 1, 0.5), (0.2, 1, 0.5)]),
                         step_mm=4.0, ring_points=16, round_start=True, what="piriformis")
    iliacus = pr.tube(np.array([w(96, 6, 30), w(94, 14, -10), w(92, 30, -60),
                                w(84, 46, -110)]),
                      np.array([26.0, 26.0, 22.0, 18.0]) * sc,
                      np.array([9.0, 11.0, 12.0, 11.0]) * sc,
                      np.array([(-0.6, 0.8, 0), (-0.6, 0.8, 0), (-0.3, 1, 0), (0, 1, 0)]),
                      step_mm=5.0, ring_points=16, what="iliacus")
    psoas = pr.tube(np.array([w(38, 6, 90), w(46, 16, 30), w(60, 28, -30), w(74, 44, -90),
                              w(80, 54, -130)]),
                    np.array([17.0, 19.0, 17.0, 14.0, 12.0]) * sc, step_mm=5.0, ring_points=16,
                    what="psoas")
    return {"erector_spinae": _both(erector), "gluteus_maximus": _both(gmax),
            "gluteus_medius": _both(gmed), "piriformis": _both(piriformis),
            "iliacus": _both(iliacus), "psoas": _both(psoas)}


def neurovascular(f: SijFrame, s1_foramen) -> tuple[dict, dict]:
    """S1 root, lumbosacral trunk, internal iliac artery and vein (injected side) and the
    presacral fat; returns shapes and landmarks."""
    p = f.params
    sc = f.sc
    ventral_edge = f.joint(np.array([-0.5, 0.0, 0.5]) * f.half_length,
                           f.centre_w(np.array([-0.5, 0.0, 0.5]) * f.half_length)
                           + f.half_width(np.array([-0.5, 0.0, 0.5]) * f.half_length), 0.0)
    front = f.W  # dorsal -> ventral across the joint
    # S1 root: from the canal out through the S1 foramen, then across the ventral sacrum
    _, _, dorsal = f.along(14.0 * sc)
    s1 = np.asarray(s1_foramen, float)
    root_path = np.array([f.sac(8.0 * sc, 6.0 * sc, 6.0 * sc), s1 + 2.0 * dorsal,
                          s1 - 14.0 * sc * dorsal, s1 - 24.0 * sc * dorsal + np.array(
                              [8.0, 0.0, -14.0]) * sc,
                          ventral_edge[2] + (p.vessels_ventral_mm - 2.0) * front
                          + np.array([0.0, 0.0, -14.0]) * sc])
    root = pr.tube(root_path, p.root_radius_mm, step_mm=2.5, ring_points=12, round_start=True,
                   round_end=True, what="S1 nerve root")
    # lumbosacral trunk: over the ala, ventral to the upper joint, to the sciatic notch
    trunk_path = np.array([f.sac(-40.0 * sc, 34.0 * sc, -14.0 * sc),
                           f.sac(2.0 * sc, 36.0 * sc, -24.0 * sc),
                           ventral_edge[0] + 9.0 * front,
                           ventral_edge[1] + 10.0 * front,
                           ventral_edge[2] + (p.vessels_ventral_mm + 3.0) * front
                           + np.array([2.0, 0.0, -16.0]) * sc])
    trunk = pr.tube(trunk_path, p.root_radius_mm, step_mm=3.0, ring_points=12,
                    round_start=True, round_end=True, what="lumbosacral trunk")
    # internal iliac vessels on the pelvic wall in front of the joint
    r_a, r_v = p.artery_radius_mm, p.vein_radius_mm
    gap = p.vessels_ventral_mm + r_v + 6.0
    side = np.array([1.0, 0.0, 0.0])
    artery_path = np.array([ventral_edge[0] + (gap + 10.0) * front + np.array([0, 0, 34.0]),
                            ventral_edge[0] + (gap + 4.0) * front + 4.0 * side,
                            ventral_edge[1] + gap * front + 6.0 * side,
                            ventral_edge[2] + gap * front + 8.0 * side
                            + np.array([0.0, 0.0, -20.0]) * sc])
    artery = pr.tube(artery_path, r_a, step_mm=3.0, ring_points=16, round_start=True,
                     round_end=True, what="internal iliac artery")
    behind = side + front
    vein_path = artery_path - (r_a + r_v + 1.5) * behind / np.linalg.norm(behind)  # dorsomedial
    vein = pr.tube(vein_path, r_v, step_mm=3.0, ring_points=16, round_start=True,
                   round_end=True, what="internal iliac vein")
    # presacral fat: a layer in front of the sacrum, out to the ventral joint lines
    s_p = np.linspace(6.0, 92.0, 7) * sc
    pts = []
    for s in s_p:
        for xx in np.linspace(-50.0, 50.0, 5) * sc:
            pts.append(f.sac(s, xx, -12.0 * sc))
            pts.append(f.sac(s, xx, -34.0 * sc))
    presacral = pr.hull_points(np.array(pts), "presacral space")
    shapes = {"s1_nerve_root": root, "lumbosacral_trunk": trunk,
              "internal_iliac_artery": artery, "internal_iliac_vein": vein,
              "presacral_space": presacral}
    marks = {"s1_root_at_foramen": s1 - 6.0 * sc * dorsal,
             "internal_iliac_artery_at_joint": artery_path[2]}
    return shapes, marks


def sij_outline(f: SijFrame, bone_points: np.ndarray) -> Outline:
    """Muscle-envelope sections: a boxy trunk over the pelvis. The back passes
    ``over_joint_mm`` behind the target at its height and at least 4 mm behind every bone
    point ``(n, 3)`` (so the posterior iliac spines and the sacral crest stay covered)."""
    sc = f.sc
    target = f.target()
    n_post = 3.2
    # z (mm, x scale), lateral half-width, anterior (reference female)
    rows = [(-150, 150, 78), (-110, 160, 82), (-70, 166, 88), (-30, 166, 92), (10, 162, 95),
            (50, 152, 96), (90, 146, 96)]
    want = -(target[1] - f.params.over_joint_mm)
    sections = []
    for z, lat, ant in rows:
        zz, lat = z * sc, lat * sc
        post = want / (1.0 - (abs(target[0]) / lat) ** n_post) ** (1.0 / n_post)
        near = bone_points[np.abs(bone_points[:, 2] - zz) < 25.0]
        if len(near):
            x = np.minimum(np.abs(near[:, 0]) / lat, 0.99)
            need = -near[:, 1] / (1.0 - x**n_post) ** (1.0 / n_post) + 4.0
            post = max(post, float(need.max()))
        sections.append((zz, 0.0, 0.0, lat, lat, ant * sc, post, 2.3, n_post))
    return Outline(np.array(sections))
