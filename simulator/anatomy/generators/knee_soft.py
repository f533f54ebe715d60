"""Outline, muscles, iliotibial band, vessels and nerves of a right knee.

The muscle envelope follows the femur above the joint and the flexed leg below it; its front
is set from the built extensor structures (quadriceps tendon, patella, patellar tendon, tibial
tuberosity) so the deep fascia lies just over them. Muscles are swept elliptical tubes; the
popliteal artery runs deepest in the popliteal fossa behind the capsule, the vein behind and
lateral to it and the tibial nerve most superficial (standard anatomy [U]); the common
peroneal nerve follows biceps femoris to wind round the fibular neck; the great saphenous vein
runs in the fat behind the medial condyle.
"""

from __future__ import annotations

import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.body import Outline
from simulator.anatomy.generators.knee_bones import KneeFrame

# Thigh sections (reference height above the joint line): lateral, medial, anterior (None =
# from the built structures), posterior half-extents of the envelope about the femoral axis.
_THIGH = [(215, 54, 58, 46, 56), (150, 53, 57, 45, 55), (110, 51, 56, None, 54),
          (90, 50, 55, None, 53), (72, 48, 54, None, 52), (58, 47, 52, None, 50),
          (46, 46, 50, None, 48), (34, 46, 49, None, 48), (22, 45, 49, None, 47),
          (10, 45, 49, None, 47)]
# Leg sections along the extended tibia (reference height): lateral, medial, anterior,
# posterior half-extents about a centre 20 mm behind the tibial axis.
_LEG = [(-10, 45, 47, None, 48), (-30, 45, 46, None, 52), (-60, 44, 42, None, 56),
        (-110, 42, 40, 36, 54),
        (-160, 38, 37, 35, 48), (-230, 34, 33, 34, 42)]
CY_THIGH = -8.0


def knee_outline(f: KneeFrame, fronts: dict) -> Outline:
    """Envelope sections; ``fronts`` maps reference heights to the y (world) the deep fascia
    must clear there (patella, tendons)."""
    sc, x0 = f.sc, f.origin[0]
    rows = []
    for zr, lat, med, ant, post in _THIGH:
        cx = x0 + sc * (f.shaft_x(zr) + 2.0 * (zr > 60))
        cy = CY_THIGH * sc
        if ant is None:
            ant = (fronts[zr] + 0.8 - cy) / sc
        rows.append((zr * sc, cx, cy, lat * sc, med * sc, ant * sc, post * sc, 2.4, 2.2))
    cos_f = np.cos(np.radians(f.params.flexion_deg))
    for zr, lat, med, ant, post in _LEG:
        c = f.tib((2.0, -20.0, zr))
        if ant is None:
            ant = ((fronts[zr] + 0.8 - c[1]) * cos_f) / sc
        rows.append((c[2], c[0], c[1], lat * sc, med * sc, ant * sc / cos_f,
                     post * sc / cos_f, 2.3, 2.2))
    rows.sort(key=lambda r: r[0])
    return Outline(np.array(rows))


def front_heights() -> tuple[list, list]:
    """Reference heights where ``knee_outline`` needs a front (thigh, leg)."""
    return ([r[0] for r in _THIGH if r[3] is None], [r[0] for r in _LEG if r[3] is None])


def muscles(f: KneeFrame) -> dict:
    """Shapes of the vasti, rectus femoris, hamstrings, gastrocnemius heads and tibialis
    anterior (the overlaps with the joint and tendons are trimmed by priority)."""
    sc = f.sc

    def fem(x, y, z):
        return f.fem((f.shaft_x(z) + x, y, z))

    def tube(points, w, t, hint, what, **kw):
        return pr.tube(np.array(points), np.asarray(w, float) * sc, np.asarray(t, float) * sc,
                       hint, step_mm=4.0, ring_points=20, what=what, **kw)

    out = {}
    out["rectus_femoris"] = tube([fem(2, 30, 240), fem(2, 29, 170), fem(2, 28, 125),
                                  fem(2, 27, 100)], [20, 19, 13, 7], [9, 9, 6, 3],
                                 (0, 1, 0), "rectus femoris", round_end=True)
    out["vastus_intermedius"] = tube([fem(6, 10, 240), fem(6, 9, 160), fem(5, 8, 110),
                                      fem(4, 10, 88)], [24, 24, 22, 18], [13, 13, 10, 5],
                                     (0, 1, 0), "vastus intermedius", round_end=True)
    # the vasti's distal fibres and aponeuroses cover the sides of the suprapatellar pouch
    # and merge into the quadriceps tendon (trimmed where they overlap it by priority)
    out["vastus_lateralis"] = tube([fem(36, 2, 240), fem(37, 0, 160), fem(31, 8, 100),
                                    fem(22, 18, 72), fem(17, 22, 56)],
                                   [20, 20, 18, 13, 7], [15, 15, 11, 6, 3], (1, 0.6, 0),
                                   "vastus lateralis", round_end=True)
    out["vastus_medialis"] = tube([fem(-30, 4, 240), fem(-35, 2, 150), fem(-34, 8, 90),
                                   fem(-28, 16, 58), fem(-20, 26, 44)],
                                  [15, 18, 19, 15, 8], [11, 15, 15, 11, 5], (-1, 0.3, 0),
                                  "vastus medialis", round_end=True)
    out["biceps_femoris"] = tube([fem(30, -38, 240), fem(32, -40, 120), f.fem((37, -30, 40)),
                                  f.tib((33, -22, -8)), f.tib((29, -17, -14))],
                                 [14, 13, 8, 5, 4], [12, 11, 6, 4, 3], (0.4, -1, 0),
                                 "biceps femoris")
    out["semimembranosus"] = tube([fem(-22, -42, 240), fem(-26, -42, 110),
                                   f.fem((-32, -32, 30)), f.tib((-28, -22, -6)),
                                   f.tib((-26, -16, -14))], [15, 14, 9, 6, 4],
                                  [13, 12, 7, 5, 3], (-0.3, -1, 0), "semimembranosus")
    out["gastrocnemius"] = pr.union([
        tube([f.fem((24, -26, 44)), f.fem((24, -38, 22)), f.tib((18, -46, -40)),
              f.tib((12, -54, -110)), f.tib((8, -52, -200))], [9, 11, 16, 17, 12],
             [7, 8, 12, 13, 8], (0.3, -1, 0), "lateral gastrocnemius", round_start=True),
        tube([f.fem((-24, -26, 46)), f.fem((-26, -38, 24)), f.tib((-18, -48, -40)),
              f.tib((-12, -56, -110)), f.tib((-8, -54, -200))], [10, 12, 18, 19, 13],
             [7, 9, 13, 14, 9], (-0.3, -1, 0), "medial gastrocnemius", round_start=True)])
    out["tibialis_anterior"] = tube([f.tib((20, 12, -28)), f.tib((21, 16, -70)),
                                     f.tib((19, 18, -140)), f.tib((16, 18, -240))],
                                    [10, 12, 11, 9], [9, 11, 10, 8], (1, 0.3, 0),
                                    "tibialis anterior", round_start=True)
    return out


def iliotibial_band(f: KneeFrame, outline: Outline) -> tuple:
    """Thin band under the lateral fascia from the thigh to Gerdy's tubercle; shape, fibre."""
    sc = f.sc
    pts = []
    for zr in (240.0, 150.0, 80.0, 30.0):
        z = f.femur_base[2] + zr * sc
        y = -6.0 * sc
        x = float(outline.surface_x(y, z, lateral=True)) - 2.5 * sc
        pts.append((x, y, z))
    pts.append(f.tib((25, 9, -12)))
    pts = np.array(pts)
    band = pr.tube(pts, 12.0 * sc, 1.4, (1.0, 0.0, 0.0), step_mm=4.0, ring_points=16,
                   what="iliotibial band")
    return band, tuple(pr.unit(pts[0] - pts[-1]))


def neurovascular(f: KneeFrame, outline: Outline) -> tuple[dict, dict]:
    """Popliteal artery (with the anterior tibial branch), vein, tibial and common peroneal
    nerves, great saphenous vein; shapes and landmarks."""
    p = f.params
    sc = f.sc
    jx, jy, jz = p.vessel_jitter_mm

    def fem(x, y, z):
        return f.fem((f.shaft_x(z) + x, y, z))

    trunk = [fem(-14 + jx, -26, 240), fem(-8, -30, 150), f.fem((-2 + 0.5 * jx, -33 + jy, 60)),
             f.fem((0, -40 + jy, 20)), f.tib((0, -36 + jy, -14)), f.tib((1, -31, -45)),
             f.tib((0, -32, -80)), f.tib((-4, -34, -240))]
    trunk = np.array(trunk)
    r_a = 0.5 * p.artery_diameter_mm
    anterior_tibial = np.array([trunk[6] + (0, 0, 4), f.tib((12, -20, -74)),
                                f.tib((17, -5, -80)), f.tib((16, 6, -110)),
                                f.tib((14, 8, -240))])
    artery = pr.union([
        pr.tube(trunk, r_a, step_mm=3.0, ring_points=16, what="popliteal artery"),
        pr.tube(anterior_tibial, 0.7 * r_a, step_mm=3.0, ring_points=12,
                what="anterior tibial artery")])
    back = np.array([0.0, -1.0, 0.0])
    side = np.array([1.0, 0.0, 0.0])
    r_v = 0.5 * p.vein_diameter_mm
    vein_pts = trunk + (r_a + r_v + 0.8) * (0.8 * back + 0.45 * side)
    vein = pr.tube(vein_pts, r_v, step_mm=3.0, ring_points=16, what="popliteal vein")
    w_n, t_n = p.tibial_nerve_mm
    nerve_pts = vein_pts + (r_v + 0.5 * t_n + 1.5) * (0.85 * back + 0.5 * side)
    nerve_pts[0] += np.array([6.0, -10.0, 0.0]) * sc
    tibial = pr.tube(nerve_pts, 0.5 * w_n, 0.5 * t_n, back, step_mm=3.0, ring_points=12,
                     what="tibial nerve")
    w_c, t_c = p.peroneal_nerve_mm
    peroneal_pts = np.array([nerve_pts[0] + np.array([6.0, -2.0, -4.0]) * sc,
                             fem(24, -44, 140), f.fem((31, -36, 50)), f.fem((33, -31, 12)),
                             f.tib((35, -27, -22)), f.tib((38, -13, -36)),
                             f.tib((33, 2, -46))])
    peroneal = pr.tube(peroneal_pts, 0.5 * w_c, 0.5 * t_c, step_mm=2.5, ring_points=10,
                       what="common peroneal nerve")
    # great saphenous vein: in the fat behind the medial condyle
    r_s = 0.5 * p.saphenous_vein_mm
    fat = p.fat_medial_mm
    gsv = []
    for zr in (215.0, 120.0, 40.0, -20.0, -110.0, -170.0):
        z = f.femur_base[2] + zr * sc
        cx, cy, lat, med, ant, post = outline.params(z)[:6]
        y = cy - 0.3 * post
        x = float(outline.surface_x(y, z, lateral=False))
        gsv.append((x - 0.5 * fat, y, z))
    saphenous = pr.tube(np.array(gsv), r_s, step_mm=4.0, ring_points=12,
                        what="great saphenous vein")
    shapes = {"popliteal_artery": artery, "popliteal_vein": vein, "tibial_nerve": tibial,
              "common_peroneal_nerve": peroneal, "great_saphenous_vein": saphenous}
    marks = {"popliteal_artery_at_joint": trunk[3], "tibial_nerve_at_joint": nerve_pts[3],
             "peroneal_nerve_at_fibular_neck": peroneal_pts[5]}
    return shapes, marks
