"""Proximal humerus, scapula and lateral clavicle of a right shoulder (outer and marrow solids).

Each bone is a union of simple pieces: a trimmed sphere and hulls for the humeral head,
tuberosities and metaphysis, a lofted shaft; a lofted glenoid and neck, a thick plate for the
blade, swept tubes for the scapular spine, coracoid and clavicle, a rounded hull for the
acromion. The marrow is the same construction with every piece shrunk by the local cortical
thickness (about 1.5 mm at the head and glenoid, 1.2 mm in the scapula, 3 mm in the humeral
shaft) [U]. Dimensions are for the reference female and scale with the head radius.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.primitives import Bone, exit_point, smoothstep, sphere_points
from simulator.anatomy.generators.shoulder_frame import NECK_CUT, ShoulderFrame

FINE_MM = 1.5
COARSE_MM = 3.5


def _hull_of_spheres(spheres, shrink: float, edge_mm: float, what: str) -> mf.Manifold:
    """Hull of spheres; the outer surface (``shrink`` 0) is rounded off, a marrow (shrunk)
    hull stays plain so it cannot bulge through the rounded cortex."""
    pts = np.concatenate([sphere_points(c, r - shrink, 80) for c, r in spheres])
    hull = pr.hull_points(pts, what)
    if shrink:
        return hull
    return hull.smooth_out(60.0, 0.5).refine_to_length(edge_mm)


def _ring(center, axis_a, axis_b, ra, rb, count) -> np.ndarray:
    t = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
    return (np.asarray(center) + ra * np.cos(t)[:, None] * axis_a
            + rb * np.sin(t)[:, None] * axis_b)


# Humeral shaft sections: distance down the shaft axis (mm, x scale) and radius.
_SHAFT_MM = np.array([(16, 17.0), (30, 13.5), (45, 12.0), (70, 11.2), (120, 10.8),
                      (400, 10.5)])


def humerus(f: ShoulderFrame, z_bottom_mm: float) -> Bone:
    """Head, anatomical neck, tuberosities, metaphysis and shaft down past ``z_bottom_mm``."""
    sc = f.sc
    H, p = f.H, f.pole
    R = f.R_h
    length = (f.shaft_top[2] - z_bottom_mm) / abs(f.shaft[2]) + 10.0
    # the neck hull starts 2 mm inside the trimmed head (no coincident edges to fuse)
    cut_center = H - (NECK_CUT * R - 2.0) * p
    cut_radius = 0.93 * np.sqrt(1 - NECK_CUT**2) * R
    basis = pr.basis_from_axis(p)
    gt = [(f.hum(-13, 10, -6), 8.0 * sc), (f.hum(0, 11, -4), 9.0 * sc),
          (f.hum(-6, 8, -13), 8.0 * sc), (f.hum(12, 10, -5), 8.0 * sc)]
    lt = [(f.hum(6, 0, 14), 6.5 * sc), (f.hum(16, -2, 11), 6.0 * sc)]
    tuberosity = f.hum(95, 12, 1)

    def pieces(shrink_head, shrink, shaft_cortex, coarsen=1.0):
        edge = FINE_MM * coarsen
        head = pr.sphere(H, R - shrink_head, edge).trim_by_plane(
            p.tolist(), float(p @ H - NECK_CUT * R + shrink_head))
        disc = _ring(cut_center, basis[0], basis[1], cut_radius - shrink_head,
                     cut_radius - shrink_head, 48)
        neck_ring = _ring(f.hum(30, 0, 0), f.lateral, f.anterior, 13.5 * sc - shrink,
                          13.5 * sc - shrink, 48)
        metaphysis = pr.hull_points(np.concatenate([disc, neck_ring]), "humeral neck")
        below = _SHAFT_MM[:, 0] * sc
        keep = below < length + 80.0
        below = np.concatenate([below[keep], [length]])
        radius = np.concatenate([_SHAFT_MM[keep, 1] * sc, [_SHAFT_MM[keep, 1][-1] * sc]])
        cortex = np.interp(below, [30.0 * sc, 70.0 * sc], [shrink, shaft_cortex])
        stations = np.concatenate([np.arange(below[0], 80.0 * sc, 3.0 * coarsen),
                                   np.arange(80.0 * sc, below[-1], 10.0), below[-1:]])
        r = np.interp(stations, below, radius - cortex)
        rings = np.array([_ring(f.hum(s / sc, 0, 0), f.lateral, f.anterior, rk, rk,
                                int(36 / coarsen)) for s, rk in zip(stations, r, strict=True)])
        shaft = pr.loft(rings, what="humeral shaft")
        return [head, metaphysis, shaft,
                _hull_of_spheres(gt, 2 * shrink, COARSE_MM * coarsen, "greater tuberosity"),
                _hull_of_spheres(lt, 2 * shrink, COARSE_MM * coarsen, "lesser tuberosity"),
                pr.ellipsoid(tuberosity, np.array([5.0, 6.0, 14.0]) * sc - shrink,
                             np.stack([f.lateral, f.anterior, f.shaft]), COARSE_MM)]

    outer = pr.union(pieces(0.0, 0.0, 0.0))
    marrow = pr.union(pieces(1.5 * sc, 1.5 * sc, 3.0 * sc, coarsen=1.6)) ^ outer
    points = {
        "greater_tuberosity": exit_point(outer, gt[1][0], f.lateral, 60.0),
        "lesser_tuberosity": exit_point(outer, lt[0][0], f.anterior, 60.0),
        "humeral_head_top": exit_point(outer, H, (0.0, 0.0, 1.0), 60.0),
    }
    return Bone(outer, marrow, points)


# Scapular blade outline in scapular coordinates (a lateral, b up; mm, reference female):
# lateral border and medial border from the inferior angle (u = 0) to the superior border.
_LATERAL_BORDER = np.array([(-80, -112), (-62, -88), (-38, -55), (-22, -34), (-14, -20),
                            (-15, 0), (-16, 18)], float)
_MEDIAL_BORDER = np.array([(-88, -106), (-95, -80), (-100, -40), (-102, -10), (-102, 8),
                           (-101, 24), (-98, 36)], float)
_BORDER_U = np.array([0.0, 0.18, 0.42, 0.6, 0.72, 0.86, 1.0])


def _blade(f: ShoulderFrame, shrink: float, nu: int, nv: int) -> mf.Manifold:
    u = np.linspace(0.0, 1.0, nu)
    v = np.linspace(0.0, 1.0, nv)
    lat = np.stack([np.interp(u, _BORDER_U, _LATERAL_BORDER[:, k]) for k in range(2)], 1)
    med = np.stack([np.interp(u, _BORDER_U, _MEDIAL_BORDER[:, k]) for k in range(2)], 1)
    # keep the plate inside its outline when shrunk for the marrow
    lat = lat + np.array([-shrink, 0.0])
    med = med + np.array([shrink, 0.0])
    ab = lat[:, None, :] + v[None, :, None] * (med - lat)[:, None, :]
    a, b = ab[..., 0], ab[..., 1]
    c = -0.0022 * (a + 58.0) ** 2 + 2.0     # convex behind, following the chest wall
    mid = f.scap(a, b, c)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    pillar = 9.0 * np.exp(-((vv * 70.0) / 9.0) ** 2)          # thick lateral border
    neck = 10.0 * smoothstep((uu - 0.62) / 0.2) * np.exp(-((vv * 70.0) / 16.0) ** 2)
    rim = 2.0 * np.exp(-(((1 - vv) * 70.0) / 5.0) ** 2)        # medial border
    thick = (3.0 + pillar + neck + rim) * f.sc - 2.0 * shrink
    return pr.thick_sheet(mid, np.maximum(thick, 0.8), edge_points=4, what="scapular blade")


def _glenoid(f: ShoulderFrame, shrink: float, count: int) -> mf.Manifold:
    """Glenoid and neck: the rim outline lofted medially along ``-g``, narrowing at the
    neck; the articular sphere is subtracted by the caller."""
    phi = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
    r = f.rim_radius(phi)
    radial = np.cos(phi)[:, None] * f.g_ant + np.sin(phi)[:, None] * f.g_sup
    lateral = float(np.min(f.R_gb * np.cos(f.rim_alpha(phi)))) - 3.0
    stations = [(lateral, 1.0), (f.R_gb + 5.0, 1.0), (f.R_gb + 10.0, 0.86),
                (f.R_gb + 17.0, 0.8)]
    rings = [f.H - t * f.g + (s * r - shrink)[:, None] * radial for t, s in stations]
    return pr.loft(np.array(rings), what="glenoid")


def scapula(f: ShoulderFrame) -> Bone:
    """Glenoid, neck, blade, spine, acromion and coracoid of the right scapula."""
    sc = f.sc
    H = f.H
    top = f.acromion_under_z
    up = np.array([0.0, 0.0, 1.0])

    def acro(dx, dy, dz):
        return np.array([H[0] + dx * sc, H[1] + dy * sc, top + dz])

    acromion_pts = [acro(17, -24, 3.5), acro(21, -6, 3.5), acro(14, 14, 3.2), acro(7, 23, 3.0),
                    acro(-6, 17, 3.5), acro(-6, -2, 4.0), acro(-4, -20, 4.0)]
    angle = acromion_pts[0]
    spine_path = np.array([f.scap(-100, 4, 2), f.scap(-72, 7, 8), f.scap(-45, 11, 14),
                           f.scap(-28, 17, 18), f.scap(-16, 28, 22),
                           angle + np.array([-6.0, -6.0, -1.0]) * sc])
    spine_w = np.array([5.0, 8.0, 10.0, 10.0, 9.0, 7.0]) * sc
    spine_t = np.array([3.5, 3.5, 4.0, 4.5, 5.0, 5.0]) * sc
    base = f.G - 6.0 * sc * f.g + 14.0 * sc * f.g_sup + 4.0 * sc * f.g_ant
    coracoid_path = np.array([base, base + np.array([-2.0, 6.0, 12.0]) * sc,
                              base + np.array([0.0, 20.0, 14.0]) * sc,
                              base + np.array([10.0, 34.0, 6.0]) * sc])
    coracoid_r = np.array([8.0, 7.0, 6.0, 5.0]) * sc

    def build(shrink, coarsen=1.0):
        parts = [_glenoid(f, shrink, int(64 / coarsen)),
                 _blade(f, shrink, int(26 / coarsen), int(12 / coarsen)),
                 pr.tube(spine_path, spine_w - shrink, spine_t - shrink, up,
                         step_mm=3.0 * coarsen, ring_points=int(16 / coarsen),
                         round_start=True, what="scapular spine"),
                 _hull_of_spheres([(q, 3.5) for q in acromion_pts], shrink,
                                  COARSE_MM * coarsen, "acromion"),
                 pr.tube(coracoid_path, coracoid_r - shrink, step_mm=3.0 * coarsen,
                         ring_points=int(14 / coarsen), round_start=True, round_end=True,
                         what="coracoid")]
        solid = pr.union(parts)
        return solid - pr.sphere(H, f.R_gb + (0.9 * shrink if shrink else 0.0), FINE_MM)

    outer = build(0.0)
    marrow = build(1.2 * sc, coarsen=1.6) ^ outer
    points = {
        "acromion_angle": exit_point(outer, angle - np.array([0, 0, 1.0]), (0.6, -0.6, 0.3),
                                     60.0),
        "acromion_lateral": exit_point(outer, acro(16, 0, 3.5), (1.0, 0.0, 0.0), 60.0),
        "acromion_anterior": acromion_pts[3],
        "ac_facet": acromion_pts[4],
        "coracoid_tip": exit_point(outer, coracoid_path[-1],
                                   coracoid_path[-1] - coracoid_path[-2], 60.0),
        "glenoid_center": f.G.copy(),
    }
    return Bone(outer, marrow, points)


def clavicle(f: ShoulderFrame, ac_facet, x_cut_mm: float) -> Bone:
    """Lateral clavicle from the acromioclavicular joint (3 mm gap) to past ``x_cut_mm``."""
    sc = f.sc
    start = np.asarray(ac_facet, float) + np.array([-4.5, 0.0, 1.0]) * sc
    H = f.H
    path = np.array([start, np.array([H[0] - 30 * sc, 24 * sc, start[2] + 2]),
                     np.array([H[0] - 70 * sc, 36 * sc, start[2]]),
                     np.array([x_cut_mm - 12.0, 42 * sc, start[2] - 5])])
    rw = np.array([10.0, 9.0, 7.5, 7.5]) * sc
    rt = np.array([4.5, 5.5, 6.5, 7.0]) * sc
    hint = np.array([0.0, 0.0, 1.0])

    def build(shrink, coarsen=1.0):
        return pr.tube(path, rw - shrink, rt - shrink, hint, step_mm=3.0 * coarsen,
                       ring_points=int(18 / coarsen), round_start=True, what="clavicle")

    outer = build(0.0)
    marrow = build(1.5 * sc, 1.6) ^ outer
    return Bone(outer, marrow, {"clavicle_lateral_end": start})
