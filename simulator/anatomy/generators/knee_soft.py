"""Outline, muscles, iliotibial band, vessels and nerves of a right knee.

The muscle envelope is fitted around the real bones and muscles and the built extensor
structures (quadriceps tendon, patella, patellar tendon), so the deep fascia lies just over
them. The muscles are the real ones apart from tibialis anterior (the knee sources stop at the
calf's posterior compartment), a swept elliptical tube. The popliteal artery runs deepest
in the popliteal fossa behind the capsule, the vein behind and lateral to it and the tibial
nerve most superficial (standard anatomy [U]); the common peroneal nerve follows biceps
femoris to wind round the fibular neck; the great saphenous vein runs in the fat behind the
medial condyle.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.body import Outline
from simulator.anatomy.generators.knee_bones import KneeFrame

SECTION_STEP_MM = 15.0
SECTION_BAND_MM = 8.0      # points this far above and below a section shape it
FASCIA_MM = 1.0            # the deep fascia clears the muscles, bones and tendons by this
N_ANTERIOR, N_POSTERIOR = 2.4, 2.2


def knee_outline(hard: np.ndarray, muscles: np.ndarray, tendon: np.ndarray, z_lo_mm: float,
                 z_hi_mm: float) -> Outline:
    """Envelope sections every ``SECTION_STEP_MM`` from ``z_lo_mm`` to ``z_hi_mm``, about
    the middle of the points ``(n, 3)`` within ``SECTION_BAND_MM`` of its height: the
    ``hard`` ones (bones, patella, tendons) and the real ``muscles``. Each quadrant is the
    smallest super-ellipse quadrant that holds them ``FASCIA_MM`` inside, except in front
    where the quadriceps ``tendon`` runs: there the front holds the hard points only, so the
    deep fascia lies on the tendon (the vasti lie beside it; the cadaver's registered vasti
    can bulge past it, and the envelope clips them)."""
    rows = []
    for z in np.arange(z_lo_mm, z_hi_mm + SECTION_STEP_MM, SECTION_STEP_MM):
        band = [pts[np.abs(pts[:, 2] - z) < SECTION_BAND_MM] for pts in (hard, muscles,
                                                                         tendon)]
        near = np.concatenate(band[:2])
        lo, hi = near.min(0), near.max(0)
        cx, cy = 0.5 * (lo[:2] + hi[:2])
        dx, dy = near[:, 0] - cx, near[:, 1] - cy
        ext = {}
        for sx, side in ((1.0, "lat"), (-1.0, "med")):
            for sy, face, n in ((1.0, "ant", N_ANTERIOR), (-1.0, "post", N_POSTERIOR)):
                sel = (sx * dx >= 0) & (sy * dy >= 0)
                ext[side, face] = _quadrant(np.abs(dx[sel]) + FASCIA_MM,
                                            np.abs(dy[sel]) + FASCIA_MM, n)
        # the section has one lateral and one medial half-width: the wider quadrant's
        lat = max(ext["lat", "ant"][0], ext["lat", "post"][0])
        med = max(ext["med", "ant"][0], ext["med", "post"][0])
        ant = max(ext["lat", "ant"][1], ext["med", "ant"][1])
        post = max(ext["lat", "post"][1], ext["med", "post"][1])
        if len(band[2]):
            front = band[0][band[0][:, 1] >= cy]
            u = np.abs(front[:, 0] - cx) + FASCIA_MM
            a = np.where(front[:, 0] >= cx, lat, med)
            room = 1.0 - np.minimum(u / a, 0.999) ** N_ANTERIOR
            ant = float(np.max((front[:, 1] - cy + FASCIA_MM) / room ** (1.0 / N_ANTERIOR)))
        rows.append((z, cx, cy, lat, med, ant, post, N_ANTERIOR, N_POSTERIOR))
    return Outline(np.array(rows))


def _quadrant(u: np.ndarray, v: np.ndarray, n: float) -> tuple[float, float]:
    """Half-axes ``(a, b)`` of the least-area quadrant ``(u/a)**n + (v/b)**n <= 1`` holding
    the points ``u, v >= 0`` ``(k,)``."""
    if len(u) == 0:
        return 1.0, 1.0
    best = None
    for a in u.max() * np.linspace(1.01, 2.0, 60):
        room = 1.0 - (u / a) ** n
        b = float(np.max(v / room ** (1.0 / n)))
        if best is None or a * b < best[0] * best[1]:
            best = (float(a), b)
    return best


def tibialis_anterior(f: KneeFrame) -> mf.Manifold:
    """Tibialis anterior: a tube down the anterolateral tibia from the lateral condyle."""
    sc = f.sc
    path = f.tib(np.array([(20, 12, -28), (21, 16, -70), (19, 18, -140), (16, 18, -240)]))
    return pr.tube(path, np.array([10, 12, 11, 9]) * sc, np.array([9, 11, 10, 8]) * sc,
                   (1, 0.3, 0), step_mm=4.0, ring_points=20, what="tibialis anterior",
                   round_start=True)


def iliotibial_band(f: KneeFrame, outline: Outline, z_top: float) -> tuple:
    """Thin band under the lateral fascia from the thigh (the model's top, ``z_top``) to
    Gerdy's tubercle; shape, fibre."""
    sc = f.sc
    pts = []
    for z in (z_top, f.femur_base[2] + 0.5 * (z_top - f.femur_base[2]) + 15.0 * sc,
              f.femur_base[2] + 40.0 * sc, f.femur_base[2] + 20.0 * sc):
        y = -6.0 * sc
        x = float(outline.surface_x(y, z, lateral=True)) - 2.5 * sc
        pts.append((x, y, z))
    pts.append(f.tib((25, 9, -12)))
    pts = np.array(pts)
    band = pr.tube(pts, 12.0 * sc, 1.4, (1.0, 0.0, 0.0), step_mm=4.0, ring_points=16,
                   what="iliotibial band")
    return band, tuple(pr.unit(pts[0] - pts[-1]))


def neurovascular(f: KneeFrame, outline: Outline, fibular_neck: np.ndarray, z_lo: float,
                  z_hi: float) -> tuple[dict, dict]:
    """Popliteal artery (with the anterior tibial branch), vein, tibial and common peroneal
    nerves (round the real fibular neck, ``fibular_neck`` ``(3,)`` the middle of its
    section), great saphenous vein (over the model's height, ``z_lo`` to ``z_hi``); shapes
    and landmarks."""
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
                             fibular_neck + np.array([6.0, -12.0, 14.0]) * sc,
                             fibular_neck + np.array([12.0, -5.0, 0.0]) * sc,
                             fibular_neck + np.array([5.0, 9.0, -10.0]) * sc])
    peroneal = pr.tube(peroneal_pts, 0.5 * w_c, 0.5 * t_c, step_mm=2.5, ring_points=10,
                       what="common peroneal nerve")
    # great saphenous vein: in the fat behind the medial condyle
    r_s = 0.5 * p.saphenous_vein_mm
    fat = p.fat_medial_mm
    gsv = []
    for z in np.linspace(z_hi, z_lo, 6):
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
