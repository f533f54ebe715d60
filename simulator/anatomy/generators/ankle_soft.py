"""Tendons, vessels, nerves, muscles, fat pads and the outline of a right ankle.

In front of the joint, from medial to lateral [S: clinical.md 3.6, standard anatomy]:
tibialis anterior (over the medial third of the joint), extensor hallucis longus, the anterior
tibial artery with its two venae comitantes and the deep peroneal nerve lateral to it (between
EHL and EDL, lateral to tibialis anterior), extensor digitorum longus. They lie on the capsule
under the extensor retinaculum (the deep fascia here) and run on over the dorsum of the foot.
The superficial peroneal nerve runs in the fat anterolaterally, the great saphenous vein and
saphenous nerve in the fat in front of the medial malleolus. Behind: Achilles tendon over
Kager's fat pad, flexor hallucis longus, the posterior tibial bundle and tibialis posterior
behind the medial malleolus, the peroneal tendons behind the lateral malleolus.
"""

from __future__ import annotations

import numpy as np

from simulator.anatomy.generators import knee_ankle_common as kc
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.ankle_bones import AnkleFrame
from simulator.anatomy.generators.body import Outline

# Tendon and bundle positions across the front of the joint (x, reference mm from the
# joint centre, positive lateral).
X_TA, X_EHL, X_ARTERY, X_EDL = -6.0, 2.5, 8.5, 18.5

# Envelope sections (reference height): centre x, centre y, lateral, medial, anterior (None =
# from the structures in front), posterior.
# The dorsum of the foot (deep fascia): (y, z) reference points from the ankle to the cut.
DORSUM = [(38.0, -15.0), (47.0, -19.0), (62.0, -25.0), (84.0, -31.0)]
_OUTLINE = [(110, 2, -12, 31, 30, None, 44), (70, 2, -11, 30, 29, None, 41),
            (40, 2, -9, 31, 29.5, None, 38), (20, 1.5, -8, 32, 30, None, 36),
            (5, 1.5, -6, 32.5, 30.5, None, 37), (-6, 1.5, -2, 33, 31, None, 46),
            *[(z, 1, 14, 33.5, 33, y - 14.0, 64) for y, z in DORSUM],
            (-45, 2, 14, 35, 35, 80, 68), (-80, 3, 14, 35, 35, 80, 68)]


def front_rows() -> list[float]:
    """Reference heights where the outline needs the front of the deep structures."""
    return [r[0] for r in _OUTLINE if r[5] is None]


def ankle_outline(f: AnkleFrame, fronts: dict) -> Outline:
    """Envelope sections; ``fronts`` maps reference heights to the world y the deep fascia
    must clear there."""
    sc = f.sc
    rows = []
    for z, cx, cy, lat, med, ant, post in _OUTLINE:
        ycen = f.origin[1] + cy * sc
        a = (fronts[z] + 0.5 - ycen) if ant is None else ant * sc
        rows.append((f.origin[2] + z * sc, f.origin[0] + cx * sc, ycen, lat * sc, med * sc, a,
                     post * sc, 2.4, 2.3))
    return Outline(np.array(rows[::-1]))


def _front_y(front_solid, f: AnkleFrame, x_ref: float, z_ref: float) -> float:
    """Front (world y) of the deep structures at ``(x_ref, z_ref)``, or nearer the midline
    where nothing lies in front of the bones there (beside the tibia up the leg)."""
    for k in (1.0, 0.7, 0.4, 0.0):
        hit = kc.first_hit(front_solid, f.ref((k * x_ref, 120.0, z_ref)), (0.0, -1.0, 0.0),
                           250.0)
        if hit is not None:
            return float(hit[1])
    raise ValueError(f"nothing in front at x={x_ref}, z={z_ref}")


def extensors(f: AnkleFrame, front_solid) -> tuple[dict, dict, dict]:
    """Tibialis anterior, EHL and EDL tendons (on the capsule, then over the dorsum), the
    anterior tibial artery, its veins and the deep peroneal nerve between EHL and EDL.
    Returns shapes, fibre directions and landmarks."""
    p = f.params
    sc = f.sc

    def y_on(x, z, lift):
        # near the joint, tendons lateral to the capsule's edge ride over its lateral corner;
        # a tendon passes over the most prominent thing within a few mm up or down
        xc = float(np.clip(x, -11.0, 12.0)) if -25.0 < z < 30.0 else x
        return max(_front_y(front_solid, f, xc, z + dz) for dz in (-6.0, 0.0, 6.0)) + lift

    def path(x_top, x_joint, x_foot, lift, foot_end):
        """Control points from the leg over the joint and along the dorsum; ``foot_end`` is
        the x at the foot cut."""
        pts = [f.ref((x_top, 0.0, 112.0)), f.ref((x_top, 0.0, 60.0))]
        pts[0][1] = y_on(x_top, 112.0, lift)
        pts[1][1] = y_on(x_top, 60.0, lift)
        for z in (25.0, 8.0, -4.0, -10.0):
            q = f.ref((x_joint, 0.0, z))
            q[1] = y_on(x_joint, z, lift)
            pts.append(q)
        # along the dorsum, under the fascia; a joint distended by a large effusion pushes
        # the tendon forward, and the dorsal course with it (no kink over the bulge)
        shift = max(0.0, float(pts[-1][1] - f.ref((0.0, DORSUM[1][0], 0.0))[1]) + 12.0 * f.sc)
        for y, z in DORSUM[1:]:
            q = f.ref((x_foot + (foot_end - x_foot) * (y - 38.0) / 46.0, y, z - lift - 0.8))
            pts.append(q + np.array([0.0, shift, 0.0]))
        return np.array(pts)

    shapes, fibres = {}, {}
    for name, (x, x_foot, end, (w, t)) in {
        "tibialis_anterior_tendon": (X_TA, X_TA - 6.0, -20.0, p.ta_tendon_mm),
        "extensor_hallucis_longus_tendon": (X_EHL, X_EHL - 1.0, -9.0, p.ehl_tendon_mm),
        "extensor_digitorum_longus_tendon": (X_EDL, X_EDL, 19.0, p.edl_tendon_mm),
    }.items():
        pts = path(x + 2.0, x, x_foot, 0.6 + 0.5 * t, end)
        shapes[name] = pr.tube(pts, 0.5 * w * np.ones(len(pts)), 0.5 * t, (0.0, 1.0, 0.3),
                               step_mm=3.0, ring_points=16, what=name)
        fibres[name] = tuple(pr.unit(pts[1] - pts[3]))
    x_a = X_ARTERY + p.bundle_shift_mm / sc
    r_a, r_v = 0.5 * p.artery_diameter_mm, 0.5 * p.vein_diameter_mm
    art = path(x_a - 1.0, x_a, x_a - 2.0, 0.3 + r_a, x_a - 6.0)
    art[5:] += np.array([0.0, 0.0, -1.5 * r_a])  # dorsalis pedis, on the tarsal bones
    art[0][1] -= 8.0 * sc  # deep on the interosseous membrane higher up
    art[1][1] -= 4.0 * sc
    shapes["anterior_tibial_artery"] = pr.tube(art, r_a, step_mm=2.5, ring_points=12,
                                               what="anterior tibial artery")
    # venae comitantes either side and a little deeper, the nerve lateral and in front
    side = r_a + r_v + 0.3
    veins = [pr.tube(art + np.array([dx, -0.6, 0.0]), r_v, step_mm=2.5, ring_points=10,
                     what="vena comitans") for dx in (-side, side)]
    shapes["anterior_tibial_veins"] = pr.union(veins)
    w_n, t_n = p.deep_peroneal_mm
    nerve = art + np.array([1.0, r_a + 0.5 * t_n + 0.3, 0.0])  # in front of the artery
    shapes["deep_peroneal_nerve"] = pr.tube(nerve, 0.5 * w_n, 0.5 * t_n, (0.0, 1.0, 0.0),
                                            step_mm=2.5, ring_points=10,
                                            what="deep peroneal nerve")
    marks = {"anterior_tibial_artery_at_joint": art[4], "deep_peroneal_nerve_at_joint": nerve[4]}
    return shapes, fibres, marks


def subcutaneous(f: AnkleFrame, outline: Outline) -> dict:
    """Superficial peroneal nerve (anterolateral) and great saphenous vein with the saphenous
    nerve (in front of the medial malleolus), in the middle of the fat."""
    p = f.params
    sc = f.sc

    def in_fat(points_xz, fat_mm, lateral):
        out = []
        for x, z in points_xz:
            zz = f.origin[2] + z * sc
            xx = f.origin[0] + x * sc
            y = float(outline.surface_y(xx, zz, anterior=True))
            surface = np.array([xx, y, zz])
            normal = outline.normal(xx, y, zz)
            out.append(surface + 0.5 * fat_mm * normal)
        return np.array(out)

    spn = in_fat([(26, 110), (20, 50), (15, 10), (12, -10)], p.fat_lateral_mm, True)
    gsv = in_fat([(-27, 110), (-27, 40), (-25, 5), (-22, -12)], p.fat_medial_mm, False)
    r_s = 0.5 * p.saphenous_vein_mm
    return {
        "superficial_peroneal_nerve": pr.tube(spn, 0.5 * p.superficial_peroneal_mm,
                                              step_mm=3.0, ring_points=10,
                                              what="superficial peroneal nerve"),
        "great_saphenous_vein": pr.tube(gsv, r_s, step_mm=3.0, ring_points=12,
                                        what="great saphenous vein"),
        "saphenous_nerve": pr.tube(gsv + np.array([r_s + 1.2, 0.0, 0.0]), 0.8, step_mm=3.0,
                                   ring_points=8, what="saphenous nerve"),
    }


def posterior(f: AnkleFrame) -> tuple[dict, dict]:
    """Muscles, tendons, vessels and nerve behind and beside the joint; shapes and fibres."""
    sc = f.sc

    def tube(points, w, t, hint, what, foot=False, **kw):
        pts = [f.foot(q) if foot and q[2] < -5 else f.ref(q) for q in points]
        return pr.tube(np.array(pts), np.asarray(w, float) * sc, np.asarray(t, float) * sc,
                       hint, step_mm=4.0, ring_points=16, what=what, **kw)

    shapes = {
        "achilles_tendon": tube([(1, -36, 120), (1, -40, 50), (1, -44, 5), (2, -49, -30)],
                                [9, 7, 7, 10], [4, 3.5, 3.5, 3], (0, 1, 0), "Achilles tendon",
                                foot=True),
        "tibialis_posterior_tendon": tube([(-10, -14, 120), (-17, -13, 20), (-22, -11, -2),
                                           (-25, 2, -22), (-22, 36, -28)], 4, 2.5,
                                          (1, 1, 0), "tibialis posterior", foot=True),
        "peroneal_tendons": tube([(20, -16, 120), (24, -15, 20), (27, -12, -6), (28, -2, -30),
                                  (24, 20, -42)], 6, 3, (1, 0.3, 0), "peroneal tendons",
                                 foot=True),
        "flexor_hallucis_longus": tube([(-4, -22, 120), (-5, -22, 40), (-6, -21, 8),
                                        (-9, -18, -14), (-13, -4, -38)], [11, 9, 5, 3, 3],
                                       [8, 7, 4, 3, 3], (0, 1, 0), "FHL", foot=True),
        "soleus": tube([(0, -32, 125), (0, -33, 80), (0, -34, 55)], [26, 22, 12],
                       [11, 9, 4], (0, 1, 0), "soleus", round_end=True),
        "extensor_muscles": tube([(11, 6, 125), (9, 9, 80), (6, 12, 50), (4, 14, 38)],
                                 [11, 10, 7, 4], [8, 7, 5, 3], (0.4, 1, 0),
                                 "extensor muscle bellies", round_end=True),
        "peroneus_brevis": tube([(22, -10, 125), (22, -11, 60), (23, -13, 30)], [9, 8, 4],
                                [6, 5, 3], (1, 0, 0), "peroneus brevis", round_end=True),
        "posterior_tibial_artery": tube([(-14, -18, 120), (-16, -19, 20), (-20, -17, 0),
                                         (-25, -8, -22), (-24, 8, -40)], 1.6, 1.6, None,
                                        "posterior tibial artery", foot=True),
        "tibial_nerve": tube([(-11, -22, 120), (-14, -23, 20), (-18, -21, 0),
                              (-23, -12, -22), (-23, 4, -42)], 2.6, 1.8, (1, 0, 0),
                             "tibial nerve", foot=True),
    }
    kager = pr.smooth_hull(np.concatenate([
        f.ref(kc.ellipsoid_points((0, -33, 40), (9, 4, 18))),
        f.ref(kc.ellipsoid_points((0, -32, 5), (11, 6, 12))),
        f.foot(kc.ellipsoid_points((1, -36, -22), (9, 5, 6)))]), 2.5, "Kager's fat pad")
    shapes["kager_fat_pad"] = kager
    fibres = {"achilles_tendon": tuple(pr.unit((0.0, 0.05, 1.0))),
              "tibialis_posterior_tendon": (0.0, 0.0, 1.0), "peroneal_tendons": (0.0, 0.0, 1.0)}
    return shapes, fibres
