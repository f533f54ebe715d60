"""Proximal humerus, scapula and lateral clavicle of a right shoulder (outer and core solids).

No real shoulder source is at hand, so the bones are generated, as signed distance fields
(``shoulder_fields``) whose pieces blend into one surface, from standard adult dimensions
[U] (clinical.md gives none) for the reference female, scaled with the head radius:

- humerus: the articular head (radius of curvature 22 mm F / 24.5 mm M, ``shoulder_params``)
  trimmed at the anatomical neck; its axis 135 deg from the shaft (neck-shaft angle 130-140
  deg) and, with the arm in neutral, about 24 deg behind the coronal plane (retroversion
  20-30 deg; the head faces the glenoid, ``shoulder_frame``). The greater tuberosity stands
  3-4 mm lateral of the head with its top 8-10 mm below the head's apex, the lesser
  tuberosity on the front; between them, facing forward, the bicipital groove (about 9 mm
  wide, 4-6 mm deep) in which the long head of biceps runs. Metaphysis about 34 mm across,
  surgical neck 25 mm, shaft 21-22 mm.
- scapula: the glenoid fossa (pear-shaped, 33 x 24 mm F / 38 x 28 mm M, 6 deg retroverted)
  on its neck; a thin blade (2.5 mm in the fossae, 6 mm at the lateral border, 4 mm at the
  medial border) bowed round the chest wall; the spine, a 5 mm plate with an 8-10 mm crest,
  rising from the medial border to the acromion, a flat plate 8 mm thick over the head;
  the coracoid hooking forward from the superior neck.
- clavicle: its flattened lateral end to the acromioclavicular joint (3 mm gap).

The humerus and scapula are filled on the real bones' voxel grid and split into a cortical
shell and a cancellous core at the local cortical thickness (humeral head and metaphysis
1.5 mm, shaft 3 mm, scapula 1.2 mm [U]) by the same routine as the real bones; the
clavicle, a tube, has its core as the tube shrunk by 1.5 mm.
"""

from __future__ import annotations

import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators import shoulder_fields as sf
from simulator.anatomy.generators.primitives import Bone, exit_point
from simulator.anatomy.generators.shoulder_frame import NECK_CUT, ShoulderFrame

BLEND_MM = 4.0           # how far pieces of one bone blend into each other
GROOVE_DEG = 62.0        # bicipital groove, from lateral toward anterior about the shaft
GROOVE_RADIUS_MM = 4.5
# humeral metaphysis and shaft: (distance down the shaft axis from the head level, radius)
_SHAFT_MM = np.array([(-6, 13.0), (6, 17.0), (22, 15.5), (40, 12.5), (60, 11.5), (100, 11.0),
                      (400, 10.5)])


def _about_shaft(f: ShoulderFrame, down, radius, theta_deg) -> np.ndarray:
    """World point ``down`` the shaft, ``radius`` from its axis toward ``theta_deg`` (from
    lateral toward anterior); mm of the reference female."""
    t = np.radians(theta_deg)
    return f.hum(down, radius * np.cos(t), radius * np.sin(t))


def _shaft_radius(down) -> np.ndarray:
    return np.interp(down, _SHAFT_MM[:, 0], _SHAFT_MM[:, 1])


def _tuberosity_axes(f: ShoulderFrame, theta_deg: float) -> np.ndarray:
    t = np.radians(theta_deg)
    radial = np.cos(t) * f.lateral + np.sin(t) * f.anterior
    return np.stack([f.shaft, radial, np.cross(f.shaft, radial)])


def groove_path(f: ShoulderFrame, lift_mm: float = 1.0) -> np.ndarray:
    """Axis of the bicipital groove ``(m, 3)`` from its top down the shaft, ``lift_mm`` off
    the metaphysis' surface (mm of the reference female)."""
    down = np.array([-2.0, 10.0, 25.0, 45.0, 75.0])
    return _about_shaft(f, down, _shaft_radius(down) + lift_mm, GROOVE_DEG)


def humerus(f: ShoulderFrame, z_bottom_mm: float) -> Bone:
    """Head, anatomical neck, tuberosities, bicipital groove, metaphysis and shaft down past
    ``z_bottom_mm``."""
    sc, H, R = f.sc, f.H, f.R_h
    length = (f.shaft_top[2] - z_bottom_mm) / abs(f.shaft[2]) / sc + 10.0
    down = np.concatenate([_SHAFT_MM[_SHAFT_MM[:, 0] < length, 0], [length]])
    axis = f.hum(down, 0.0, 0.0)
    axis_r = _shaft_radius(down) * sc
    gt_c, gt_ax = _about_shaft(f, 4.0, 13.0, -15.0), _tuberosity_axes(f, -15.0)
    lt_c, lt_ax = _about_shaft(f, 14.0, 13.0, 105.0), _tuberosity_axes(f, 105.0)
    groove = groove_path(f)

    def field(p):
        head = np.maximum(np.linalg.norm(p - H, axis=1) - R, -((p - H) @ f.pole + NECK_CUT * R))
        body = sf.capsule_chain(p, axis, axis_r)
        body = sf.smooth_min(body, sf.ellipsoid(p, gt_c, gt_ax, np.array([15, 7, 14]) * sc),
                             BLEND_MM)
        body = sf.smooth_min(body, sf.ellipsoid(p, lt_c, lt_ax, np.array([11, 7, 7]) * sc),
                             BLEND_MM)
        body = sf.smooth_cut(body, sf.capsule_chain(p, groove, np.full(len(groove),
                                                                       GROOVE_RADIUS_MM * sc)),
                             1.5)
        # the anatomical neck: a shallow waist where the head meets the metaphysis
        return sf.smooth_min(head, body, 2.0)

    reach = (axis_r + 4.0 * sc)[:, None]
    lo = np.minimum(H - R - 4.0, (axis - reach).min(0))
    hi = np.maximum(H + R + 4.0, (axis + reach).max(0))

    def cortex(points):
        below = (points - f.shaft_top) @ f.shaft / sc
        return sc * np.interp(below, [30.0, 70.0], [1.5, 3.0])

    outer, core = sf.bone_from_field(field, lo, hi, cortex, "humerus")
    points = {
        "greater_tuberosity": exit_point(outer, f.hum(0, 11, -4), f.lateral, 60.0),
        "lesser_tuberosity": exit_point(outer, lt_c, lt_ax[1], 60.0),
        "bicipital_groove": exit_point(outer, _about_shaft(f, 20.0, 0.0, 0.0),
                                       _tuberosity_axes(f, GROOVE_DEG)[1], 60.0),
        "humeral_head_top": exit_point(outer, H, (0.0, 0.0, 1.0), 60.0),
    }
    return Bone(outer, core, points)


# Scapular blade outline in scapular coordinates (a lateral, b up; mm, reference female):
# up the lateral border from the inferior angle to the neck, along the superior border to the
# superior angle and down the medial border.
_BLADE = np.array([(-80, -112), (-62, -88), (-38, -55), (-22, -34), (-14, -20), (-14, 0),
                   (-16, 16), (-40, 26), (-70, 32), (-98, 36), (-101, 24), (-102, 8),
                   (-102, -10), (-100, -40), (-95, -80), (-88, -106)], float)


def _blade_mid(a) -> np.ndarray:
    """Mid-surface of the blade (posterior offset, mm): bowed round the chest wall."""
    return -0.0022 * (a + 58.0) ** 2 + 2.0


def _blade_half_mm(a, b) -> np.ndarray:
    """Half-thickness of the blade: thin fossae, thickened lateral and medial borders."""
    lateral_a = np.interp(b, _BLADE[:6, 1], _BLADE[:6, 0])
    return (1.25 + 1.75 * np.exp(-((a - lateral_a) / 9.0) ** 2)
            + 0.75 * np.exp(-((a + 101.0) / 5.0) ** 2))


def _glenoid_field(f: ShoulderFrame, p: np.ndarray) -> np.ndarray:
    """Glenoid and neck: the pear-shaped rim outline carried medially along ``-g``, narrowing
    at the neck, its face hollowed by the articular sphere."""
    q = p - f.H
    u = -(q @ f.g)                       # medial distance from the head centre
    along_a, along_s = q @ f.g_ant, q @ f.g_sup
    phi = np.arctan2(along_s, along_a)
    lateral = float(np.min(f.R_gb * np.cos(f.rim_alpha(np.linspace(0, 2 * np.pi, 64))))) - 3.0
    scale = np.interp(u, [f.R_gb + 5.0, f.R_gb + 10.0, f.R_gb + 17.0], [1.0, 0.86, 0.8])
    radial = np.hypot(along_a, along_s) - scale * f.rim_radius(phi)
    solid = np.maximum(radial, np.maximum(lateral - u, u - (f.R_gb + 18.0 * f.sc)))
    return np.maximum(solid, f.R_gb - np.linalg.norm(q, axis=1))


def scapula(f: ShoulderFrame) -> Bone:
    """Glenoid, neck, blade, spine, acromion and coracoid of the right scapula."""
    sc, H = f.sc, f.H
    half = 4.0 * sc                       # acromion 8 mm thick
    top = f.acromion_under_z

    def acro(dx, dy):
        return np.array([H[0] + dx * sc, H[1] + dy * sc, top + half])

    acromion = [acro(-6, -2), acro(-4, -20), acro(15, -22), acro(19, -6), acro(12, 13),
                acro(5, 21), acro(-6, 15)]

    def on_blade(a, b, lift):
        return f.scap(a, b, _blade_mid(a) + lift)

    root = [on_blade(-102, 8, 1.0), on_blade(-70, 12, 1.5), on_blade(-45, 17, 2.0),
            on_blade(-26, 23, 2.5), acro(-8, 0) - np.array([0.0, 0.0, half])]
    crest = [on_blade(-102, 10, 6.0), on_blade(-70, 15, 13.0), on_blade(-45, 21, 19.0),
             on_blade(-22, 27, 23.0), acro(-2, -19)]
    base = f.G - 6.0 * sc * f.g + 14.0 * sc * f.g_sup + 4.0 * sc * f.g_ant
    coracoid = np.array([base, base + np.array([-2.0, 6.0, 12.0]) * sc,
                         base + np.array([0.0, 20.0, 14.0]) * sc,
                         base + np.array([10.0, 34.0, 6.0]) * sc])
    to_scap = np.stack([f.e1, f.e2, f.e3]) / sc

    def field(p):
        a, b, c = ((p - f.G) @ to_scap.T).T
        outline = sf.polygon_distance_2d(np.stack([a, b], 1), _BLADE)
        blade = (np.hypot(np.maximum(outline, 0.0), c - _blade_mid(a))
                 - _blade_half_mm(a, b)) * sc
        spine = sf.smooth_min(sf.strip(p, root, crest, 2.5 * sc),
                              sf.capsule_chain(p, crest[:-1] + [acro(8, -22)],
                                               np.array([3.0, 4.0, 4.5, 4.5, 4.0]) * sc),
                              2.0)
        bone = sf.smooth_min(blade, _glenoid_field(f, p), BLEND_MM)
        bone = sf.smooth_min(bone, spine, BLEND_MM)
        bone = sf.smooth_min(bone, sf.plate(p, acromion, half), BLEND_MM)
        bone = sf.smooth_min(bone, sf.capsule_chain(p, coracoid,
                                                    np.array([8.0, 7.0, 6.0, 5.0]) * sc),
                             BLEND_MM)
        # the articular face stays the sphere the cartilage lies on
        return np.maximum(bone, f.R_gb - np.linalg.norm(p - H, axis=1))

    corners = np.concatenate([f.scap(_BLADE[:, 0], _BLADE[:, 1], 0.0), acromion, coracoid,
                              [H - f.R_gb * f.g - 6.0 * f.g_ant]])
    lo, hi = corners.min(0) - 12.0, corners.max(0) + 12.0
    hi[0] = min(hi[0], H[0] + 30.0 * sc)
    outer, core = sf.bone_from_field(field, lo, hi, lambda q: np.full(len(q), 1.2 * sc),
                                     "scapula")
    points = {
        "acromion_angle": exit_point(outer, acro(13, -18), (0.6, -0.6, 0.3), 60.0),
        "acromion_lateral": exit_point(outer, acro(14, 0), (1.0, 0.0, 0.0), 60.0),
        "acromion_anterior": acro(5, 21),
        "ac_facet": acro(-6, 15),
        "coracoid_tip": exit_point(outer, coracoid[-1], coracoid[-1] - coracoid[-2], 60.0),
        "glenoid_center": f.G.copy(),
        "scapular_spine_crest": exit_point(outer, crest[2] - 3.0 * f.e3, f.e3, 40.0),
    }
    return Bone(outer, core, points)


def clavicle(f: ShoulderFrame, ac_facet, x_cut_mm: float) -> Bone:
    """Lateral clavicle from the acromioclavicular joint (3 mm gap) to past ``x_cut_mm``;
    flat at its lateral end, rounder medially."""
    sc = f.sc
    start = np.asarray(ac_facet, float) + np.array([-4.5, 0.0, 1.0]) * sc
    H = f.H
    path = np.array([start, np.array([H[0] - 30 * sc, 24 * sc, start[2] + 2]),
                     np.array([H[0] - 70 * sc, 36 * sc, start[2]]),
                     np.array([x_cut_mm - 12.0, 42 * sc, start[2] - 5])])
    rw = np.array([11.0, 9.5, 7.5, 7.5]) * sc
    rt = np.array([4.0, 5.0, 6.5, 7.0]) * sc
    hint = np.array([0.0, 0.0, 1.0])

    def build(shrink, coarsen=1.0):
        return pr.tube(path, rw - shrink, rt - shrink, hint, step_mm=3.0 * coarsen,
                       ring_points=int(18 / coarsen), round_start=True, what="clavicle")

    outer = build(0.0)
    # the core runs out through the medial cut, like the humeral shaft's
    return Bone(outer, build(1.5 * sc, 1.6) ^ outer, {"clavicle_lateral_end": start})
