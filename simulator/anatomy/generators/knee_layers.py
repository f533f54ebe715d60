"""The extensor side of a right knee: suprapatellar stack, tendons, fat pads, lining, capsule.

Above the patella the layers over the anterior femur are built as offsets along horizontal
rays from the femoral shaft axis (angle ``alpha`` from straight anterior, positive lateral):

    femur | prefemoral fat pad | suprapatellar recess | suprapatellar fat pad | quadriceps tendon

(prefemoral fat pad 7 mm and suprapatellar fat pad 5 mm, thinning upward [U]; recess 2 mm +
effusion [S]; tendon 6.5 mm [U]; the recess wraps about 80 deg each side and thins toward its
top, about 60 mm above the upper patellar pole). Below the patella the patellar tendon runs to
the tibial tuberosity over Hoffa's fat pad (a hull behind the tendon, above the tibia and in
front of the notch). The rays start on the real femur's section centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.knee_bones import KneeFrame
from simulator.anatomy.generators.knee_joint import Patella

ALPHA_DEG = np.linspace(-82.0, 82.0, 29)
POUCH_TOP_ABOVE_POLE_MM = 58.0
TARGET_MAX_ALPHA_DEG = 45.0


@dataclass(frozen=True)
class Stack:
    """Femur surface samples along horizontal rays and the layer thickness functions.

    Attributes
    ----------
    z : (nu,) float
        World heights of the sample rows.
    alpha : (nv,) float
        Ray angles, rad (0 = anterior, positive toward lateral +x).
    base : (nu, nv, 3) float
        Femoral bone surface points.
    radial : (nu, nv, 3) float
        Unit horizontal ray directions.
    pole_z : float
        World height of the upper patellar pole.
    """

    frame: KneeFrame
    z: np.ndarray
    alpha: np.ndarray
    base: np.ndarray
    radial: np.ndarray
    pole_z: float

    def _zr(self):
        return (self.z[:, None] - self.pole_z) / self.frame.sc  # above the upper pole

    def prefemoral(self):
        p, zr = self.frame.params, self._zr()
        a = np.abs(np.degrees(self.alpha))[None, :]
        along = (pr.smoothstep((zr + 8.0) / 10.0)
                 * (1.0 - 0.7 * pr.smoothstep((zr - 10.0) / 45.0)))
        across = 1.0 - 0.75 * pr.smoothstep((a - 40.0) / 35.0)
        return np.maximum(p.prefemoral_fat_mm * along * across, 0.6)

    def recess(self):
        p, zr = self.frame.params, self._zr()
        a = np.abs(np.degrees(self.alpha))[None, :]
        top = 1.0 - 0.75 * pr.smoothstep((zr - (POUCH_TOP_ABOVE_POLE_MM - 18.0)) / 18.0)
        side = 1.0 - 0.6 * pr.smoothstep((a - 50.0) / 30.0)
        return p.recess_mm * top * side

    def suprapatellar(self):
        p, zr = self.frame.params, self._zr()
        a = np.abs(np.degrees(self.alpha))[None, :]
        along = 1.0 - 0.85 * pr.smoothstep((zr - 2.0) / 30.0)
        across = 1.0 - pr.smoothstep((a - 30.0) / 30.0)
        return np.maximum(p.suprapatellar_fat_mm * along * across, 0.3)

    def point(self, depth_mm) -> np.ndarray:
        """Points ``(nu, nv, 3)`` ``depth_mm`` ``(nu, nv)`` out from the femur."""
        return self.base + np.asarray(depth_mm)[..., None] * self.radial

    def sheet(self, lo_mm, hi_mm, rows=slice(None), what="sheet") -> mf.Manifold:
        """Closed layer between offsets ``lo_mm`` and ``hi_mm`` ``(nu, nv)`` (rows ``rows``)."""
        lo, hi = np.asarray(lo_mm)[rows], np.asarray(hi_mm)[rows]
        mid = self.base[rows] + (0.5 * (lo + hi))[..., None] * self.radial[rows]
        return pr.thick_sheet(mid, np.maximum(hi - lo, 0.3), edge_points=3, what=what)


def suprapatellar_stack(f: KneeFrame, femur_outer: mf.Manifold, femur_points: np.ndarray,
                        pat: Patella) -> Stack:
    """Sample the anterior femur from below the upper patellar pole to the pouch top (rays
    from the middle of the femur's section, ``femur_points`` ``(n, 3)`` its surface)."""
    sc = f.sc
    pole_z = float(pat.world(np.array([0.0, 0.0, 0.5 * pat.height]))[2])
    z = np.linspace(pole_z - 10.0 * sc, pole_z + (POUCH_TOP_ABOVE_POLE_MM + 4.0) * sc, 30)
    base, radial = [], []
    for zk in z:
        band = femur_points[np.abs(femur_points[:, 2] - zk) < 2.0]
        centre = np.array([*(0.5 * (band.min(0) + band.max(0)))[:2], zk])
        dirs = np.stack([np.sin(ALPHA_DEG * np.pi / 180), np.cos(ALPHA_DEG * np.pi / 180),
                         np.zeros_like(ALPHA_DEG)], 1)
        radial.append(dirs)
        base.append([pr.surface_point(femur_outer, centre, d, 80.0) for d in dirs])
    return Stack(f, z, np.radians(ALPHA_DEG), np.array(base), np.array(radial), pole_z)


def extensor_layers(f: KneeFrame, st: Stack, pat: Patella, tuberosity: np.ndarray,
                    hoffa_floor: np.ndarray) -> tuple[dict, dict, dict]:
    """Shapes of the fat pads, the recess, the tendons; fibre directions; landmarks.
    ``tuberosity`` ``(3,)`` is where the patellar tendon inserts, ``hoffa_floor`` ``(k, 3)``
    the bone and cartilage points the infrapatellar fat pad reaches back to (the front of
    the tibial plateau and of the femoral condyles under the trochlea)."""
    p = f.params
    sc = f.sc
    pf, rec, sp = st.prefemoral(), st.recess(), st.suprapatellar()
    # the recess sheet overlaps both fat pads, which win by priority: exact layer depths
    overlap = 0.4
    top_rows = slice(0, None)
    shapes = {
        "prefemoral_fat_pad": st.sheet(np.full_like(pf, -1.0), pf, top_rows,
                                       "prefemoral fat pad"),
        "suprapatellar_recess": st.sheet(pf - overlap, pf + rec + overlap, top_rows,
                                         "suprapatellar recess"),
        "suprapatellar_fat_pad": st.sheet(pf + rec, pf + rec + sp + overlap, top_rows,
                                          "suprapatellar fat pad"),
    }
    # quadriceps tendon: from the front of the upper pole up over the fat pad
    t_q, w_q = p.quad_tendon_mm
    top = pf + rec + sp
    rows = [k for k in range(len(st.z)) if st.z[k] > st.pole_z + 4.0 * sc][::4]
    attach = pat.world(np.array([0.0, 0.15 * pat.ridge_depth, 0.5 * pat.height - 5.0 * sc]))
    # the tendon runs from the patella (often lateral of the shaft) to the front of the shaft
    x_top = st.point(top)[rows[-1], len(ALPHA_DEG) // 2, 0]

    def tendon_x(z):
        return attach[0] + np.clip((z - attach[2]) / (st.z[rows[-1]] - attach[2]), 0.0,
                                   1.0) * (x_top - attach[0])

    surface = st.point(top + 0.5 * t_q - 0.6)
    front = np.abs(ALPHA_DEG) <= 60.0  # x grows with the ray angle here
    on_stack = [np.array([tendon_x(st.z[k]),
                          np.interp(tendon_x(st.z[k]), surface[k, front, 0],
                                    surface[k, front, 1]), st.z[k]]) for k in rows]
    above = on_stack[-1] + np.array([0.0, -2.0, 30.0 * sc])
    q_path = np.array([attach, *on_stack, above])
    shapes["quadriceps_tendon"] = pr.tube(q_path, 0.5 * w_q, 0.5 * t_q, (0.0, 1.0, 0.0),
                                          step_mm=3.0, ring_points=24, what="quadriceps tendon")
    # patellar tendon: lower pole to the tibial tuberosity
    t_p, w_p = p.patellar_tendon_mm
    low = pat.world(np.array([0.0, 0.05 * pat.ridge_depth, -0.5 * pat.height + 4.0 * sc]))
    tub = tuberosity
    axis = pr.unit(tub - low)
    normal = pr.unit(np.cross(axis, (1.0, 0.0, 0.0)))
    normal *= np.sign(normal[1])
    shapes["patellar_tendon"] = pr.tube(np.array([low, low + 0.5 * (tub - low), tub]),
                                        0.5 * w_p, 0.5 * t_p, normal, step_mm=3.0,
                                        ring_points=24, what="patellar tendon")
    # Hoffa's fat pad behind the patellar tendon, over the tibia, in front of the notch
    deep = [low + s * (tub - low) - 0.2 * t_p * normal + x * np.array([1.0, 0, 0])
            for s in (0.05, 0.35, 0.65, 0.85) for x in (-11.0 * sc, 11.0 * sc)]
    hoffa_pts = np.array([*deep, pat.world(np.array([-6.0, -0.5 * pat.ridge_depth,
                                                     -0.5 * pat.height + 5.0])),
                          pat.world(np.array([6.0, -0.5 * pat.ridge_depth,
                                              -0.5 * pat.height + 5.0])),
                          *hoffa_floor])
    grow = 1.5 * np.concatenate([np.eye(3), -np.eye(3)])
    shapes["infrapatellar_fat_pad"] = pr.smooth_hull(
        (hoffa_pts[:, None, :] + grow[None]).reshape(-1, 3), 2.0, "Hoffa's fat pad")
    fibres = {"quadriceps_tendon": tuple(pr.unit(q_path[-1] - q_path[0])),
              "patellar_tendon": tuple(axis)}
    # target: mid-recess, under the lateral edge of the tendon, 15 mm above the pole
    kz = int(np.argmin(np.abs(st.z - (st.pole_z + 15.0 * sc))))
    mid = st.point(pf + 0.5 * rec)[kz]
    edge_x = tendon_x(st.z[kz]) + 0.5 * w_q - 2.0
    # (a patella riding laterally can carry the tendon's edge past the femur's side: the
    # target then stays on the front of the femur, within TARGET_MAX_ALPHA_DEG)
    front = np.abs(ALPHA_DEG) <= TARGET_MAX_ALPHA_DEG
    kv = int(np.argmin(np.where(front, np.abs(mid[:, 0] - edge_x), np.inf)))
    marks = {"target_suprapatellar_recess": mid[kv],
             "superior_patellar_pole": pat.world(np.array([0.0, 0.0, 0.5 * pat.height]))}
    return shapes, fibres, marks
