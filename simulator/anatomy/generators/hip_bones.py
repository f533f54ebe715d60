"""Femur and hemipelvis solids (outer surface and marrow) of a right hip.

Each bone is a union of simple pieces: a sphere for the head, lofts for the neck and for the
metaphysis-and-shaft, smoothed hulls of spheres for the trochanters and the acetabular block,
swept tubes for the rami, columns and rims, and a thick curved plate for the iliac wing.
The marrow is the same construction with every piece shrunk by the local cortical thickness,
so the cortex (outer - marrow) keeps a controlled thickness: about 1.5 mm at the head, 2 mm at
the neck and trochanters, 4.5 mm in the shaft and 1.4 mm in the pelvis. All positions come
from ``HipFrame``.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np
from scipy.interpolate import PchipInterpolator, RectBivariateSpline

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.hip_frame import HipFrame

FINE_MM = 1.5      # edge length at the head, neck and acetabulum
COARSE_MM = 4.0    # edge length elsewhere on bone


def _neck_loft(f: HipFrame, offset_mm: float, s_from: float, s_to: float,
               edge_mm: float = FINE_MM) -> mf.Manifold:
    stations = np.arange(s_from, s_to, -edge_mm)
    count = int(np.ceil(2 * np.pi * f.neck_radii(s_from)[0] / edge_mm / 8)) * 8
    angles = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
    rings = f.neck_point(stations[:, None], angles[None, :], offset_mm)
    return pr.loft(rings, what="femoral neck")


# Proximal metaphysis sections along the shaft axis, in mm (x bone scale): distance below the
# neck-shaft axis intersection, medio-lateral and antero-posterior half-widths, and lateral
# shift of the section centre (negative = toward the calcar / lesser trochanter).
_METAPHYSIS_MM = np.array([
    # below, half_ml, half_ap, shift
    (-12, 16.0, 15.0, 4.0),
    (-2, 19.0, 17.0, 2.0),
    (10, 21.0, 17.0, -3.0),
    (22, 19.0, 16.0, -3.0),
    (34, 16.5, 15.2, -1.0),
    (48, 15.0, 14.7, 0.0),
    (64, 14.6, 14.5, 0.0),
    (90, 14.5, 14.5, 0.0),
    (150, 13.8, 13.8, 0.0),
    (260, 13.2, 13.2, 0.0),
])


def femur_axes(f: HipFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors ``(3,)`` of the proximal femur: up the shaft, lateral and anterior in the
    femur's own (internally rotated) pose."""
    beta = np.radians(f.params.shaft_adduction_deg)
    down = f.shaft_dir
    lateral = f.femur_from_local @ np.array([np.cos(beta), 0.0, -np.sin(beta)])
    anterior = np.cross(down, lateral)
    anterior *= np.sign(anterior[1])
    return -down, lateral, anterior


def trochanter_spheres(f: HipFrame) -> list[tuple[np.ndarray, float]]:
    """Centres and radii (mm) of the spheres whose smoothed hull is the greater trochanter:
    the tip, the main body (its lateral surface is the lateral facet), the anterior and the
    posterosuperior parts."""
    sc = f.params.bone_scale
    up, lateral, anterior = femur_axes(f)

    def at(along_up, along_lat, along_ant):
        return f.shaft_point + sc * (along_up * up + along_lat * lateral + along_ant * anterior)

    return [(at(34, 6, -6), 8.0 * sc), (at(12, 8, -3), 15.0 * sc), (at(16, 6, 8), 10.0 * sc),
            (at(24, 2, -10), 9.0 * sc)]


def femur(f: HipFrame, z_bottom_mm: float) -> pr.Bone:
    """Femur down past ``z_bottom_mm``: head, neck, trochanters, metaphysis and shaft."""
    p = f.params
    sc = p.bone_scale
    R = f.head_radius
    up, lateral, anterior = femur_axes(f)
    down = -up
    ax = f.shaft_point
    s_base = -f.neck_base_distance

    def at(along_up, along_lat, along_ant):
        return ax + sc * (along_up * up + along_lat * lateral + along_ant * anterior)

    gt_spheres = trochanter_spheres(f)
    lt_center, lt_base = at(-36, -16, -9), at(-28, 0, 0)
    length = (ax[2] - z_bottom_mm) / abs(down[2]) + 10.0
    table = _METAPHYSIS_MM[_METAPHYSIS_MM[:, 0] * sc < length + 60.0]
    table = np.concatenate([table, [[length / sc, *table[-1, 1:]]]])

    def metaphysis(cortex_top, cortex_bottom, count, coarsen):
        below = table[:, 0] * sc
        cortex = np.interp(table[:, 0], [30.0, 65.0], [cortex_top, cortex_bottom])
        theta = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
        rings = []
        for k in range(len(table)):
            a, b = (table[k, 1] - cortex[k]) * sc, (table[k, 2] - cortex[k]) * sc
            centre = ax + below[k] * down + table[k, 3] * sc * lateral
            rings.append(centre + a * np.cos(theta)[:, None] * lateral
                         + b * np.sin(theta)[:, None] * anterior)
        rings = np.array(rings)
        below_fine = np.concatenate([np.arange(below[0], 70.0 * sc, 2.5 * coarsen),
                                     np.arange(70.0 * sc, below[-1], 8.0), below[-1:]])
        rings = PchipInterpolator(below, rings, axis=0)(below_fine)
        return pr.loft(rings, what="femoral metaphysis and shaft")

    def pieces(shrink_head, shrink, shaft_cortex, coarsen=1.0):
        edge = FINE_MM * coarsen
        gt_pts = np.concatenate([pr.sphere_points(c, r - shrink, 90) for c, r in gt_spheres])
        trochanter = pr.smooth_hull(gt_pts, COARSE_MM * coarsen, "greater trochanter")
        lt_pts = np.concatenate([pr.sphere_points(lt_center, 7.0 * sc - shrink),
                                 pr.sphere_points(lt_base, 10.0 * sc - shrink)])
        lesser = pr.hull_points(lt_pts, "lesser trochanter")
        return [pr.sphere(f.head_center, R - shrink_head, edge),
                _neck_loft(f, -shrink, -0.6 * R, s_base - 2.0, edge),
                metaphysis(shrink / sc, shaft_cortex / sc, int(40 / coarsen), coarsen),
                trochanter, lesser]

    outer = pr.union(pieces(0.0, 0.0, 0.0))
    marrow = pr.union(pieces(1.5 * sc, 2.0 * sc, 4.5 * sc, coarsen=1.8)) ^ outer
    points = {
        "greater_trochanter_tip": pr.surface_point(outer, gt_spheres[0][0], up),
        "lesser_trochanter": pr.surface_point(outer, lt_center, lt_center - lt_base),
        # attachment helpers for muscles (not landmarks)
        "gt_lateral": gt_spheres[1][0] + gt_spheres[1][1] * lateral,
        "gt_front": gt_spheres[2][0] + gt_spheres[2][1] * anterior,
        "gt_centre": gt_spheres[1][0],
        "lt_center": lt_center,
    }
    return pr.Bone(outer, marrow, points)


# Iliac wing mid-surface control grid (reference pelvis, RAS mm): columns run from the
# anterior border (ASIS-AIIS) to the posterior border (PSIS, sciatic notch), rows from the
# acetabular roof (v = 0) to the crest (v = 1). The middle row is pulled medially and forward
# so the inner (iliac fossa) face is concave.
_WING_MM = np.array([
    [(96, 24, 30), (106, 38, 52), (118, 45, 70)],
    [(90, 2, 32), (101, 10, 66), (131, 10, 100)],
    [(74, -28, 32), (82, -36, 72), (106, -42, 112)],
    [(58, -56, 40), (48, -78, 62), (42, -98, 80)],
], float)
_WING_THICKNESS_MM = np.array([[16, 7, 7], [20, 3.5, 8], [20, 3.5, 7], [18, 12, 12]], float)


def _wing_grid(f: HipFrame, u, v):
    """Mid-surface points ``(len(u), len(v), 3)`` and thickness ``(len(u), len(v))`` of the
    iliac wing at parameters ``u`` (anterior 0 -> posterior 1), ``v`` (roof 0 -> crest 1)."""
    control = f.pelvis_map(_WING_MM)
    uk, vk = np.linspace(0, 1, 4), np.linspace(0, 1, 3)
    mid = np.stack([RectBivariateSpline(uk, vk, control[..., c], kx=3, ky=2)(u, v)
                    for c in range(3)], -1)
    thick = RectBivariateSpline(uk, vk, _WING_THICKNESS_MM, kx=3, ky=2)(u, v)
    return mid, thick * f.params.bone_scale


def wing_point(f: HipFrame, u: float, v: float, above_mm: float = 0.0) -> np.ndarray:
    """Point ``(3,)`` ``above_mm`` outside the outer (gluteal, lateral) face of the iliac wing
    at parameters ``(u, v)``."""
    uu = np.array([u - 0.01, u, u + 0.01])
    vv = np.array([v - 0.01, v, v + 0.01])
    mid, thick = _wing_grid(f, uu, vv)
    normal = np.cross(mid[2, 1] - mid[0, 1], mid[1, 2] - mid[1, 0])
    normal /= np.linalg.norm(normal)
    if normal[0] < 0:
        normal = -normal
    return mid[1, 1] + (0.5 * thick[1, 1] + above_mm) * normal


def _wing(f: HipFrame, shrink: float, nu=34, nv=13) -> mf.Manifold:
    margin = shrink / 150.0
    u = np.linspace(margin, 1 - margin, nu)
    v = np.linspace(2.5 * margin, 1 - 2.5 * margin, nv)
    mid, thick = _wing_grid(f, u, v)
    return pr.thick_sheet(mid, np.maximum(thick - 2 * shrink, 0.8), edge_points=4,
                          what="iliac wing")


def pelvis(f: HipFrame) -> pr.Bone:
    """Right hemipelvis: acetabulum, iliac wing, pubic rami, ischium, cut at the symphysis."""
    sc = f.params.bone_scale
    H = f.head_center
    n = f.acetabular_axis
    P = f.pelvis_point
    ref = f.pelvis_map
    anterior = np.array([0.0, 1.0, 0.0])
    asis_c = P("asis") - 6.0 * sc * anterior
    aiis_c = P("aiis") - 6.0 * sc * anterior
    tubercle_c = P("pubic_tubercle") - 5.0 * sc * anterior
    edge_v = np.linspace(0.0, 1.0, 7)
    crest, _ = _wing_grid(f, np.linspace(0.02, 0.98, 9), np.array([0.97]))
    border, _ = _wing_grid(f, np.array([0.015]), edge_v[1:])
    tubes = [
        # (path, radius_w, radius_t, hint): the rim of the wing, rami, columns
        (crest[:, 0], 5.0, 5.0, None),
        (border[0, ::-1], 5.0, 5.0, None),
        (np.array([P("si_anterior"), ref((56, -40, 36)), ref((62, -10, 22)),
                   P("iliopectineal_eminence"), ref((46, 41, -6)), tubercle_c]), 6.0, 6.0,
         None),
        (np.array([H + sc * np.array([-20, 16, -6]), ref((46, 36, -10)), tubercle_c,
                   ref((10, 42, -24))]), 10.0, 8.0, (0.0, 1.0, 0.4)),
        (np.array([ref((9, 44, -16)), ref((7, 38, -38)), ref((9, 30, -60))]), 10.0, 8.0,
         (0.0, 1.0, 0.0)),
        (np.array([ref((9, 30, -58)), ref((22, 18, -70)), ref((40, 0, -74)),
                   P("ischial_tuberosity")]), 8.0, 5.5, (0.0, 1.0, -1.0)),
        (np.array([P("sciatic_notch") + sc * np.array([4, 6, -4]), ref((70, -46, 14)),
                   P("ischial_spine"), ref((62, -44, -38)), P("ischial_tuberosity")]),
         np.array([10.0, 11.0, 9.0, 11.0, 12.0]), None, None),
    ]
    socket = f.socket_radius
    hull_spheres = [(H - 7.0 * sc * n, socket + 11.0 * sc),
                    (H + sc * np.array([-2, -4, 26]), 14.0 * sc),
                    (H + sc * np.array([-16, -26, 8]), 14.0 * sc),
                    (H + sc * np.array([-24, 14, -4]), 11.0 * sc)]
    bumps = [(asis_c, 6.0 * sc), (aiis_c, 6.0 * sc), (tubercle_c, 5.0 * sc),
             (P("ischial_spine"), 5.0 * sc)]
    cut_x = P("symphysis_top")[0] - 2.0 * sc

    def build(shrink, coarsen=1.0):
        hull_pts = np.concatenate([pr.sphere_points(c, r - shrink, 90) for c, r in hull_spheres])
        block = pr.smooth_hull(hull_pts, COARSE_MM * coarsen, "acetabular block")
        block = block.trim_by_plane((-n).tolist(), float(-(H @ n) - f.rim_height + shrink))
        parts = [block, _wing(f, shrink, int(34 / coarsen), int(13 / coarsen))]
        for path, rw, rt, hint in tubes:
            rw = np.asarray(rw, float) * sc - shrink
            rt = rw if rt is None else rt * sc - shrink
            parts.append(pr.tube(path, rw, rt, hint, step_mm=1.7 * COARSE_MM * coarsen,
                                 ring_points=int(12 / coarsen), round_start=True,
                                 round_end=True, what="pelvic bar"))
        parts.append(pr.ellipsoid(P("ischial_tuberosity"), sc * np.array([13, 15, 17]) - shrink,
                                  edge_mm=COARSE_MM))
        parts += [pr.sphere(c, r - shrink, COARSE_MM) for c, r in bumps]
        solid = pr.union(parts).trim_by_plane([1.0, 0.0, 0.0], float(cut_x + shrink))
        return solid - pr.sphere(H, socket + (2.0 * sc if shrink else 0.0), FINE_MM)

    outer = build(0.0)
    marrow = build(1.4 * sc, coarsen=1.7) ^ outer
    forward = np.array([0.0, 1.0, 0.2])
    points = {"asis": pr.surface_point(outer, asis_c, forward),
              "aiis": pr.surface_point(outer, aiis_c, forward),
              "pubic_tubercle": pr.surface_point(outer, tubercle_c, forward),
              "ischial_tuberosity": pr.surface_point(outer, P("ischial_tuberosity"), (0, -0.3, -1)),
              "aiis_center": aiis_c}  # attachment helper
    return pr.Bone(outer, marrow, points)
