"""Generated tendons, vessels and nerves of a right ankle and the deep fascia (the muscle
envelope) around the real bones and muscles and them.

In front of the joint, from medial to lateral [S: clinical.md 3.6, standard anatomy]:
tibialis anterior (over the medial third of the joint, where the real Visible Human male's
tibialis anterior crosses it), extensor hallucis longus, the anterior
tibial artery with its two venae comitantes and the deep peroneal nerve lateral to it (between
EHL and EDL, lateral to tibialis anterior), extensor digitorum longus. They lie on the capsule
under the extensor retinaculum (the deep fascia here) and run on over the dorsum of the foot.
The superficial peroneal nerve runs in the fat anterolaterally, the great saphenous vein and
saphenous nerve in the fat in front of the medial malleolus. Positions across the joint are
offsets from the real talar dome top (``AnkleFrame.ref``); depths come from ray casts onto the
real bones and the generated capsule.
"""

from __future__ import annotations

import numpy as np

from simulator.anatomy.generators import knee_ankle_common as kc
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.ankle_bones import AnkleFrame
from simulator.anatomy.generators.body import Outline

# Tendon and bundle positions across the front of the joint (x, reference mm from the
# joint centre, positive lateral): tibialis anterior, EHL and EDL where the real male
# muscles' tendons cross the joint line (-8, +5.5, +20 mm) [measured on the Denver meshes].
X_TA, X_EHL, X_ARTERY, X_EDL = -7.5, 5.5, 11.0, 19.5

DORSUM_SHARES = (0.6, 0.8, 0.97)  # stations over the foot bones: shares of the way from
                                  # the dome top to the front of the navicular
SECTION_STEP_MM = 8.0
SECTION_BAND_MM = 6.0      # points within this height of a section shape it
FASCIA_CLEARANCE_MM = 1.0  # deep fascia outside the deep structures
N_FRONT, N_BACK = 4.5, 2.3  # superellipse exponents of the envelope's halves


def approach_x_ref(p) -> float:
    """Reference x (mm from the joint centre, positive lateral) of the sagittal approach
    plane: midway between the lateral edge of tibialis anterior and the medial edge of the
    extensor hallucis longus, over the flat of the talar dome (the transducer "between the
    tendons of tibialis anterior and extensor hallucis longus" [S: anterior approach])."""
    ta_edge = X_TA + 0.5 * p.ta_tendon_mm[0] / p.scale
    ehl_edge = X_EHL - 0.5 * p.ehl_tendon_mm[0] / p.scale
    return 0.5 * (ta_edge + ehl_edge)


def ankle_outline(deep_points: np.ndarray, z_lo_mm: float, z_hi_mm: float) -> Outline:
    """Muscle envelope (deep fascia) around ``deep_points`` ``(n, 3)`` (the vertices of the
    real bones and muscles and of the generated deep structures): every ``SECTION_STEP_MM``
    from ``z_lo_mm`` to ``z_hi_mm`` a section centred on the points within
    ``SECTION_BAND_MM`` of its height, each quadrant the smallest (by area) that holds them
    ``FASCIA_CLEARANCE_MM`` inside."""
    rows = []
    for z in np.arange(z_lo_mm, z_hi_mm + SECTION_STEP_MM, SECTION_STEP_MM):
        pts = deep_points[np.abs(deep_points[:, 2] - z) < SECTION_BAND_MM][:, :2]
        cx, cy = 0.5 * (pts.min(0) + pts.max(0))
        d = pts - (cx, cy)
        lat, ant = _quadrant(d[(d[:, 0] >= 0) & (d[:, 1] >= 0)], N_FRONT)
        med, ant_m = _quadrant(d[(d[:, 0] < 0) & (d[:, 1] >= 0)], N_FRONT)
        lat_b, post = _quadrant(d[(d[:, 0] >= 0) & (d[:, 1] < 0)], N_BACK)
        med_b, post_m = _quadrant(d[(d[:, 0] < 0) & (d[:, 1] < 0)], N_BACK)
        # a section has one half-width per side and one half-depth per half: the larger
        rows.append([z, cx, cy, max(lat, lat_b), max(med, med_b), max(ant, ant_m),
                     max(post, post_m), N_FRONT, N_BACK])
    return Outline(np.array(rows))


def _quadrant(offsets: np.ndarray, n: float) -> tuple[float, float]:
    """Half-axes ``(a, b)`` of the smallest-area superellipse quadrant (exponent ``n``)
    holding ``offsets`` ``(k, 2)`` (absolute values used) ``FASCIA_CLEARANCE_MM`` inside:
    for each trial ``a`` the least ``b`` that holds them, then the pair with least ``a b``."""
    q = np.abs(offsets) + FASCIA_CLEARANCE_MM
    if len(q) == 0:
        return 2.0, 2.0
    best = None
    for a in q[:, 0].max() * np.linspace(1.02, 2.5, 60):
        b = float(np.max(q[:, 1] / (1.0 - (q[:, 0] / a) ** n) ** (1.0 / n)))
        if best is None or a * b < best[0] * best[1]:
            best = (float(a), b)
    return best


def _front_y(front_solid, f: AnkleFrame, x_ref: float, z_ref: float) -> float:
    """Front (world y) of the deep structures at ``(x_ref, z_ref)``, or nearer the midline
    where nothing lies in front of the bones there (beside the tibia up the leg)."""
    for k in (1.0, 0.7, 0.4, 0.0):
        hit = kc.first_hit(front_solid, f.leg((k * x_ref, 120.0, z_ref)), (0.0, -1.0, 0.0),
                           250.0)
        if hit is not None:
            return float(hit[1])
    raise ValueError(f"nothing in front at x={x_ref}, z={z_ref}")


def _dorsum_z(foot_bones, f: AnkleFrame, x_ref: float, y_mm: float, below: float) -> float:
    """Top (world z) of the real foot bones under ``(x_ref, y_mm)`` (``y_mm`` world), or
    nearer the middle of the joint where nothing lies under it, or ``below``."""
    for k in (1.0, 0.7, 0.4, 0.0):
        start = f.ref((k * x_ref, 0.0, 40.0))
        start[1] = y_mm
        hit = kc.first_hit(foot_bones, start, (0.0, 0.0, -1.0), 150.0)
        if hit is not None:
            return float(hit[2])
    return below


def extensors(f: AnkleFrame, front_solid, foot_bones,
              foot_front: float) -> tuple[dict, dict, dict]:
    """Tibialis anterior, EHL and EDL tendons (on the capsule, then over the dorsum of the
    real ``foot_bones``, whose front is at world y ``foot_front``), the anterior tibial
    artery, its veins and the deep peroneal nerve between EHL and EDL. Returns shapes, fibre
    directions and landmarks."""
    p = f.params
    sc = f.sc

    def y_on(x, z, lift, half):
        # near the joint, tendons lateral to the capsule's edge ride over its lateral corner;
        # a tendon passes over the most prominent thing within a few mm up or down and
        # under its width (``half`` reference mm either side)
        def front(xx, zz):
            xc = float(np.clip(xx, -11.0, 12.0)) if -25.0 < zz < 30.0 else xx
            return _front_y(front_solid, f, xc, zz)
        return max(front(x + dx, z + dz) for dz in (-6.0, 0.0, 6.0)
                   for dx in {-half, 0.0, half}) + lift

    def path(x_top, x_joint, x_foot, lift, foot_end, half=0.0):
        """Control points from the leg over the joint and along the dorsum; ``foot_end`` is
        the x at the foot cut; ``half`` the half-width (reference mm) that rests on what
        lies under it."""
        pts = [f.leg((x_top, 0.0, 112.0)), f.leg((x_top, 0.0, 60.0))]
        pts[0][1] = y_on(x_top, 112.0, lift, half)
        pts[1][1] = y_on(x_top, 60.0, lift, half)
        for z in (25.0, 8.0, -4.0):
            q = f.leg((x_joint, 0.0, z))
            q[1] = y_on(x_joint, z, lift, half)
            pts.append(q)
        # down over the talar neck and the navicular, on the bones, then out of the model
        # through the midfoot cut (a joint distended by a large effusion pushes the tendon
        # forward: the stations stay ahead of it, at the height of the bones under them or,
        # beyond the navicular, of its front)
        ys = f.origin[1] + np.array(DORSUM_SHARES) * (foot_front - f.origin[1])
        last_y, z = float(pts[-1][1]), float(pts[-1][2])
        for k, (share, y) in enumerate(zip(DORSUM_SHARES[1:], ys[1:], strict=True), 1):
            x = x_foot + (foot_end - x_foot) * (share - DORSUM_SHARES[0]) / (
                DORSUM_SHARES[-1] - DORSUM_SHARES[0])
            y = max(float(y), last_y + 4.0 * k * f.sc)
            z = _dorsum_z(foot_bones, f, x, min(y, foot_front - 1.0), z - lift) + lift
            q = f.ref((x, 0.0, 0.0))
            q[1:] = y, z
            pts.append(q)
        # a taut tendon bridges a hollow between two bones: no station below the next
        stations = len(DORSUM_SHARES) - 1
        for i in range(len(pts) - 2, len(pts) - stations - 1, -1):
            pts[i][2] = max(pts[i][2], pts[i + 1][2])
        pts.append(pts[-1] + f.sc * np.array([0.0, 14.0, -3.0]))
        return np.array(pts)

    shapes, fibres = {}, {}
    for name, (x, x_foot, end, (w, t)) in {
        # tibialis anterior heads on medially over the talar neck toward the medial
        # cuneiform; EHL converges on it toward the great toe
        "tibialis_anterior_tendon": (X_TA, -9.0, -20.0, p.ta_tendon_mm),
        "extensor_hallucis_longus_tendon": (X_EHL, 3.5, -9.0, p.ehl_tendon_mm),
        "extensor_digitorum_longus_tendon": (X_EDL, X_EDL, 19.0, p.edl_tendon_mm),
    }.items():
        pts = path(x + 2.0, x, x_foot, 0.6 + 0.5 * t, end, half=0.5 * w / sc)
        shapes[name] = pr.tube(pts, 0.5 * w * np.ones(len(pts)), 0.5 * t, (0.0, 1.0, 0.3),
                               step_mm=3.0, ring_points=16, what=name)
        fibres[name] = tuple(pr.unit(pts[1] - pts[3]))
    x_a = X_ARTERY + p.bundle_shift_mm / sc
    r_a, r_v = 0.5 * p.artery_diameter_mm, 0.5 * p.vein_diameter_mm
    art = path(x_a - 1.0, x_a, x_a - 2.0, 0.3 + r_a, x_a - 6.0)
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
    nerve (in front of the medial malleolus), in the middle of the fat. Their courses are
    given as (share of the envelope's half-width, positive lateral; reference height)."""
    p = f.params
    sc = f.sc

    def in_fat(points_xz, fat_mm):
        out = []
        for share, z in points_xz:
            zz = f.origin[2] + z * sc
            cx, _, lat, med = outline.params(zz)[:4]
            xx = cx + share * (lat if share > 0 else med)
            y = float(outline.surface_y(xx, zz, anterior=True))
            surface = np.array([xx, y, zz])
            normal = outline.normal(xx, y, zz)
            out.append(surface + 0.5 * fat_mm * normal)
        return np.array(out)

    spn = in_fat([(0.75, 110), (0.6, 50), (0.45, 10), (0.4, -10)], p.fat_lateral_mm)
    gsv = in_fat([(-0.85, 110), (-0.85, 40), (-0.8, 5), (-0.75, -12)], p.fat_medial_mm)
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
