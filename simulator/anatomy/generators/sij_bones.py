"""Sacrum, both ilia near the sacroiliac joints and L5 (outer and marrow solids).

The sacrum is a loft of boxy sections (superellipses, exponent 3) along its curved axis, with
the sacral canal, the S1-S4 foramina and a median crest, cut flush with both joint planes
(minus half the joint space). Each ilium is the hull of its auricular surface and its
tuberosity, cut flush with the joint plane from the other side, plus a thick curved plate
for the wing up to the crest, and knobs for the posterior superior and inferior iliac
spines; the left ilium is the mirror of the right. Cortex about 1.2-1.5 mm [U]. Dimensions are
for the reference female (clinical.md has none for the sacrum: standard adult anatomy [U]).
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np
from scipy.interpolate import PchipInterpolator, RectBivariateSpline

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.primitives import Bone, exit_point
from simulator.anatomy.generators.sij_frame import SijFrame

COARSE_MM = 3.0

# Sacral sections along the axis (mm, reference female): arc length, half-width, ventral and
# dorsal extent of the lateral masses from the axis. Down to S3 the lateral masses reach past
# the joint plane (so the auricular surface is cut flush by it); below, the inferolateral
# angle narrows the sacrum toward its apex.
_SACRUM_MM = np.array([
    (-1, 55, 18, 24), (0, 55, 18, 24), (12, 54, 18, 23), (25, 52, 16, 21), (38, 50, 14, 19),
    (52, 49, 12, 16), (64, 47, 10, 13), (74, 36, 8, 11), (84, 24, 7, 9), (93, 15, 6, 7),
    (100, 9, 5, 6),
], float)
_FORAMINA = ((14, 26, 5.0), (36, 24, 4.5), (56, 21, 4.0), (72, 18, 3.3))  # s, x, radius


def _superellipse(half_w, ventral, dorsal, count, exponent=3.0):
    t = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    e = 2.0 / exponent
    x = half_w * np.sign(c) * np.abs(c) ** e
    d = np.where(s > 0, dorsal, ventral) * np.sign(s) * np.abs(s) ** e
    return x, d


def _half_space_toward(solid: mf.Manifold, point, normal, offset: float) -> mf.Manifold:
    """Keep the part of ``solid`` where ``normal . (x - point) <= -offset``."""
    n = -np.asarray(normal, float)
    return solid.trim_by_plane(n.tolist(), float(n @ np.asarray(point)) + offset)


def sacrum(f: SijFrame) -> Bone:
    """Sacrum with canal, foramina and median crest, flush with both joint planes."""
    sc = f.sc
    table = _SACRUM_MM.copy()
    table[:, 0] *= f.params.sacral_length_mm / 100.0
    table[:, 1] *= f.params.sacral_width_mm / 110.0
    table[:, 2:] *= sc
    half = 0.5 * f.params.joint_space_mm

    def build(shrink, count=64, step=3.0):
        s_fine = np.arange(table[0, 0], table[-1, 0], step)
        s_fine = np.append(s_fine, table[-1, 0])
        spline = PchipInterpolator(table[:, 0], table[:, 1:], axis=0)
        rings = []
        for s, (hw, ven, dor) in zip(s_fine, spline(s_fine), strict=True):
            x, d = _superellipse(hw - shrink, ven - shrink, dor - shrink, count)
            rings.append(f.sac(np.full(count, s), x, d))
        body = pr.loft(np.array(rings), what="sacrum")
        crest_s = np.linspace(2.0, 0.85 * table[-1, 0], 6)
        crest = pr.tube(f.sac(crest_s, 0.0, spline(crest_s)[:, 2] + 3.0 * sc),
                        3.5 * sc - shrink, 6.0 * sc - shrink, f.dorsal,
                        step_mm=4.0, ring_points=12, round_start=True, round_end=True,
                        what="median sacral crest")
        canal_s = np.linspace(-6.0, 0.82 * table[-1, 0], 6)
        canal = pr.tube(f.sac(canal_s, 0.0, 0.45 * spline(canal_s)[:, 2]),
                        np.linspace(11.0, 4.5, 6) * sc + shrink,
                        np.linspace(5.5, 2.5, 6) * sc + shrink, f.dorsal, step_mm=4.0,
                        ring_points=16, what="sacral canal")
        holes = [canal]
        for s, x, r in _FORAMINA:
            for side in (1.0, -1.0):
                _, _, dorsal = f.along(s * sc)
                c = f.sac(s * sc, side * x * sc, 0.0)
                holes.append(pr.tube(np.array([c - 40 * dorsal, c + 40 * dorsal]),
                                     r * sc + shrink, step_mm=20.0, ring_points=16,
                                     what="foramen"))
        solid = body + crest - pr.union(holes)
        for mirror in (1.0, -1.0):
            c = f.C * np.array([mirror, 1.0, 1.0])
            n = f.N * np.array([mirror, 1.0, 1.0])
            solid = _half_space_toward(solid, c, n, half + shrink)
        return solid

    outer = build(0.0)
    marrow = build(1.4 * sc, count=40, step=5.0) ^ outer
    s1 = _FORAMINA[0]
    points = {"s1_foramen": f.sac(s1[0] * sc, s1[1] * sc, 0.0),
              "sacral_promontory": exit_point(outer, f.sac(4.0, 0.0, 0.0), -f.dorsal, 80.0)}
    return Bone(outer, marrow, points)


# Iliac wing mid-surface control grid (reference female, world mm with the S1 endplate centre
# at the origin): columns posterior (joint) -> anterior (ASIS), rows sciatic notch -> crest.
_WING_MM = np.array([
    [(54, -40, -52), (56, -36, -12), (62, -48, 22)],
    [(86, -16, -46), (94, -14, 0), (106, -32, 40)],
    [(112, 22, -42), (122, 20, -6), (128, 6, 32)],
    [(124, 48, -36), (134, 46, -10), (132, 40, 10)],
], float)
_WING_THICKNESS_MM = np.array([[26, 26, 16], [14, 7, 9], [12, 4, 8], [14, 8, 10]], float)


def _wing(f: SijFrame, shrink: float, nu=22, nv=12) -> mf.Manifold:
    sc = f.sc
    u = np.linspace(0.0, 1.0, nu)
    v = np.linspace(0.0, 1.0, nv)
    control = _WING_MM * sc
    uk, vk = np.linspace(0, 1, 4), np.linspace(0, 1, 3)
    mid = np.stack([RectBivariateSpline(uk, vk, control[..., c], kx=3, ky=2)(u, v)
                    for c in range(3)], -1)
    thick = RectBivariateSpline(uk, vk, _WING_THICKNESS_MM, kx=3, ky=2)(u, v) * sc
    return pr.thick_sheet(mid, np.maximum(thick - 2 * shrink, 0.8), edge_points=4,
                          what="iliac wing")


def ilium(f: SijFrame) -> tuple[Bone, Bone]:
    """Right (injected-side) ilium and its mirror, the left one."""
    sc = f.sc
    half = 0.5 * f.params.joint_space_mm
    ring = f.outline(48, grow_mm=2.0)
    psis = f.joint(-0.15 * f.half_length, float(f.dorsal_edge_w(-0.15 * f.half_length))
                   - 20.0 * sc, 10.0 * sc)
    piis = f.joint(0.92 * f.half_length, float(f.dorsal_edge_w(0.6 * f.half_length))
                   - 4.0 * sc, 9.0 * sc)

    def build(shrink, coarsen=1.0):
        pts = [f.joint(ring[:, 0], ring[:, 1], half + shrink),
               f.joint(ring[:, 0], ring[:, 1], 26.0 * sc - shrink)]
        # iliac tuberosity: dorsal of the upper two thirds of the joint
        l_t = np.linspace(-f.half_length, 0.35 * f.half_length, 8)
        for n in (half + shrink + 1.0, 24.0 * sc - shrink):
            pts.append(f.joint(l_t, f.dorsal_edge_w(l_t) - 16.0 * sc + shrink, n))
        block = pr.hull_points(np.concatenate(pts), "iliac auricular block").smooth_out(
            40.0, 0.6).refine_to_length(COARSE_MM * coarsen)
        parts = [block, _wing(f, shrink, int(22 / coarsen), int(12 / coarsen)),
                 pr.sphere(psis, 9.0 * sc - shrink, COARSE_MM * coarsen),
                 pr.sphere(piis, 7.0 * sc - shrink, COARSE_MM * coarsen)]
        solid = pr.union(parts)
        n = f.N
        return solid.trim_by_plane(n.tolist(), float(n @ f.C) + half + shrink)

    outer = build(0.0)
    marrow = build(1.3 * sc, coarsen=1.5) ^ outer
    right = Bone(outer, marrow, {"psis": exit_point(outer, psis, -f.W, 80.0),
                                 "piis": exit_point(outer, piis, -f.W, 80.0)})
    left = Bone(outer.mirror([1.0, 0.0, 0.0]), marrow.mirror([1.0, 0.0, 0.0]), {})
    return right, left


def l5(f: SijFrame) -> Bone:
    """Fifth lumbar vertebra above the sacrum: body, arch, spinous and transverse processes."""
    sc = f.sc
    tilt = np.radians(f.params.sacral_tilt_deg - 25.0)  # lumbosacral angle
    up = np.array([0.0, np.sin(tilt), np.cos(tilt)])
    back = np.array([0.0, -np.cos(tilt), np.sin(tilt)])
    lateral = np.array([1.0, 0.0, 0.0])
    base = 11.0 * sc * up   # over the L5-S1 disc

    def at(u, x, b):
        return base + u * sc * up + x * sc * lateral + b * sc * back

    def build(shrink, count=40):
        rings = []
        for u in (0.0, 27.0):
            x, d = _superellipse(24.0 * sc - shrink, 16.0 * sc - shrink, 16.0 * sc - shrink,
                                 count, 2.5)
            rings.append(at(u, 0, 0) + x[:, None] * lateral + d[:, None] * back)
        body = pr.loft(np.array(rings), what="L5 body")
        arch = pr.tube(np.array([at(14, -13, 12), at(14, -13, 24), at(12, -6, 33),
                                 at(12, 6, 33), at(14, 13, 24), at(14, 13, 12)]),
                       5.0 * sc - shrink, step_mm=3.0, ring_points=12, round_start=True,
                       round_end=True, what="L5 arch")
        spinous = pr.tube(np.array([at(12, 0, 32), at(6, 0, 52)]), 4.0 * sc - shrink,
                          9.0 * sc - shrink, lateral, step_mm=4.0, ring_points=12,
                          round_start=True, round_end=True, what="L5 spinous process")
        transverse = pr.tube(np.array([at(16, -48, 22), at(15, -14, 20), at(15, 14, 20),
                                       at(16, 48, 22)]), 6.0 * sc - shrink, step_mm=4.0,
                             ring_points=12, round_start=True, round_end=True,
                             what="L5 transverse processes")
        return pr.union([body, arch, spinous, transverse])

    outer = build(0.0)
    marrow = build(1.3 * sc, 28) ^ outer
    return Bone(outer, marrow, {})
