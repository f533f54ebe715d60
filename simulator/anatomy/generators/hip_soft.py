"""Body outline, muscles, vessels and nerves of a right hip.

Muscles are swept elliptical tubes between their bony attachments; where they overlap each
other, bone or the joint, overlap resolution trims them by priority. The femoral bundle is
placed from clinical relations rather than fixed coordinates: the artery over the medial third
of the head and ``artery_to_target_mm`` medial to the injection target, the vein medial to it,
the nerve lateral on the iliopsoas (NAVEL), the lateral circumflex artery crossing the
oblique-sagittal plane along the neck just distal-lateral of the target, and the lateral
femoral cutaneous nerve medial to the ASIS about 6 mm under the skin.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np
from scipy.interpolate import RectBivariateSpline

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.body import FatProfile, Outline
from simulator.anatomy.generators.hip_frame import HipFrame
from simulator.anatomy.generators.hip_joint import Capsule

# Muscle-envelope sections of the reference female (head centre at x = 85), rows of
# body.SECTION_FIELDS: z, cx, cy, lateral, medial, anterior, posterior, n_anterior, n_posterior.
# Trunk above, one thigh below the perineum (z < -75); the lateral extent clears the greater
# trochanter by about 8 mm, the anterior surface the ASIS by about 6 mm.
_OUTLINE_MM = np.array([
    (150, 0, -25, 138, 138, 95, 100, 3.0, 2.6),
    (100, 0, -25, 142, 142, 92, 100, 3.4, 2.6),
    (65, 0, -22, 146, 146, 82, 104, 4.5, 2.5),
    (30, 5, -20, 147, 150, 78, 105, 4.0, 2.4),
    (0, 10, -20, 146, 150, 78, 100, 4.0, 2.4),
    (-40, 20, -18, 134, 150, 76, 95, 3.5, 2.4),
    (-75, 30, -15, 119, 160, 72, 88, 3.6, 2.4),
    (-110, 80, -10, 66, 66, 66, 75, 2.3, 2.2),
    (-160, 85, -8, 60, 64, 62, 66, 2.2, 2.1),
    (-215, 88, -6, 56, 62, 60, 62, 2.1, 2.1),
    (-260, 89, -6, 55, 61, 59, 61, 2.1, 2.1),
], float)


MAX_FAT_BEND_MM = 75.0
# LFCN about 6 mm (5-7) under the skin near the ASIS on ultrasound (clinical.md s.1.2, normal
# BMI): skin + this fraction of the anterior fat puts it there at BMI 27 [U: deeper with BMI]
LFCN_FAT_FRACTION = 0.33
REFERENCE_HALF_WIDTH_MM = 85.0  # the reference outline's head centre x


@dataclass(frozen=True)
class TrochanterFatProfile(FatProfile):
    """Fat that thins to ``trochanter_mm`` over the trochanteric prominence.

    The thickness is the cardinal blend of ``FatProfile`` less ``dip * nx ** focus`` for
    outward normals with a lateral component ``nx`` (``dip = lateral_mm - trochanter_mm``):
    the full dip faces straight lateral and fades within about 30-45 degrees, so the flanks
    keep the lateral value. A thickness ``t(psi)`` varying with the normal's angle ``psi``
    keeps the skin convex while the envelope's radius of curvature exceeds ``-(t + t'')``;
    the envelope's lateral face is nearly flat, so the focus is the sharpest (at most 8)
    whose ``dip * max(d2/dpsi2 cos**focus)`` stays within ``MAX_FAT_BEND_MM``."""

    trochanter_mm: float = 0.0

    @property
    def focus(self) -> float:
        dip = max(self.lateral_mm - self.trochanter_mm, 1e-6)
        psi = np.linspace(0.0, 0.5 * np.pi, 721)
        c, s = np.cos(psi), np.sin(psi)
        for k in np.arange(8.0, 2.0, -0.25):
            bend = (k * (k - 1) * c ** (k - 2) * s**2 - k * c**k).max()
            if dip * bend <= MAX_FAT_BEND_MM:
                return float(k)
        return 2.0

    def thickness(self, normals: np.ndarray) -> np.ndarray:
        lateral = np.clip(normals[:, 0], 0.0, None)
        return (super().thickness(normals)
                - (self.lateral_mm - self.trochanter_mm) * lateral ** self.focus)


def hip_outline(f: HipFrame, bone_points: np.ndarray, clearance_mm: float = 8.0) -> Outline:
    """The reference outline scaled to this patient (positions medial to the head centre
    scale with the half-width, lateral ones and all y, z with the bone scale), then each
    section's quadrants grown until the real bones' points ``(n, 3)`` within 20 mm of its
    height lie ``clearance_mm`` inside it."""
    p = f.params
    k, s = p.half_width_mm / REFERENCE_HALF_WIDTH_MM, p.bone_scale
    hw_ref = REFERENCE_HALF_WIDTH_MM

    def mx(x):
        return np.where(x <= hw_ref, x * k, p.half_width_mm + (x - hw_ref) * s)

    ref = _OUTLINE_MM[::-1]  # listed top-down; the outline wants increasing z
    cx = mx(ref[:, 1])
    out = ref.copy()
    out[:, 0] = ref[:, 0] * s
    out[:, 1] = cx
    out[:, 2] = ref[:, 2] * s
    out[:, 3] = mx(ref[:, 1] + ref[:, 3]) - cx
    out[:, 4] = cx - mx(ref[:, 1] - ref[:, 4])
    out[:, 5:7] = ref[:, 5:7] * s
    for row in out:
        near = bone_points[np.abs(bone_points[:, 2] - row[0]) < 20.0]
        dx, dy = near[:, 0] - row[1], near[:, 1] - row[2]
        for side_col, sx in ((3, dx >= 0), (4, dx < 0)):
            for front_col, n_col, sy in ((5, 7, dy >= 0), (6, 8, dy < 0)):
                sel = sx & sy
                if not sel.any():
                    continue
                n = row[n_col]
                q = ((np.abs(dx[sel]) + clearance_mm) / row[side_col]) ** n \
                    + ((np.abs(dy[sel]) + clearance_mm) / row[front_col]) ** n
                grow = max(float(q.max()), 1.0) ** (1.0 / n)
                row[side_col] *= grow
                row[front_col] *= grow
    return Outline(out)


@dataclass(frozen=True)
class Belly:
    """An elliptical muscle section (centre, half-width along x, half-thickness along y)."""

    center: np.ndarray
    half_width_mm: float
    half_thickness_mm: float

    def front_y(self, x_mm: float) -> float:
        """Anterior surface y above ``x_mm`` (the centre y beyond the edges)."""
        q = 1.0 - ((x_mm - self.center[0]) / self.half_width_mm) ** 2
        return float(self.center[1] + self.half_thickness_mm * np.sqrt(max(q, 0.0)))


def iliopsoas_belly(f: HipFrame, cap: Capsule) -> Belly:
    """Iliopsoas section at the level of the head centre, lying on the anterior capsule."""
    sc = f.params.bone_scale
    front = cap.point(-0.25 * f.head_radius, 0.0, cap.thickness(-0.25 * f.head_radius))
    half_t = 9.0 * sc
    center = np.array([f.head_center[0] - 4.0 * sc, front[1] + half_t + 0.5, 0.0])
    return Belly(center, 20.0 * sc, half_t)


def muscles(f: HipFrame, outline: Outline, cap: Capsule, belly: Belly,
            femur_pts: dict, pelvis_pts: dict, gmed_end,
            ilium: mf.Manifold) -> dict[str, mf.Manifold]:
    """Shapes of the named hip muscles; the gluteus medius belly ends at ``gmed_end`` (3,), on
    its tendon above the lateral facet; the gluteals lie on the outer face of ``ilium``."""
    sc = f.params.bone_scale
    H = f.head_center
    ref = f.pelvis_map
    y = np.array([0.0, 1.0, 0.0])
    asis, aiis = pelvis_pts["asis"], pelvis_pts["aiis"]
    c = belly.center
    psoas = pr.tube(np.array([ref((48, -18, 160)), ref((56, -4, 95)), ref((66, 16, 48)),
                              c + np.array([-6, -4, 26]) * sc]), 15.0 * sc, step_mm=6.0,
                    ring_points=16, what="psoas")
    iliacus = pr.tube(np.array([ref((104, 14, 112)), ref((97, 22, 72)),
                                c + np.array([4, -4, 28]) * sc]),
                      np.array([24.0, 22.0, 18.0]) * sc, np.array([9.0, 10.0, 9.0]) * sc,
                      np.array([-0.6, 0.6, 0.2]), step_mm=6.0, ring_points=16, what="iliacus")
    common = pr.tube(np.array([c + np.array([0, -4, 30]) * sc, c,
                               c + np.array([0, -8, -30]) * sc,
                               c + np.array([-4, -26, -55]) * sc, femur_pts["lt_center"]]),
                     np.array([20.0, 20.0, 14.0, 9.0, 6.0]) * sc,
                     np.array([9.0, 9.0, 8.0, 6.0, 5.0]) * sc, y, step_mm=4.0, ring_points=24,
                     what="iliopsoas")

    sart_xz = [(asis[0] - 2 * sc, asis[2] - 8 * sc), (asis[0] - 7 * sc, 25 * sc),
               (asis[0] - 17 * sc, -25 * sc), (H[0] - 5 * sc, -90 * sc),
               (H[0] - 32 * sc, -160 * sc), (H[0] - 48 * sc, -235 * sc)]
    sart_path = outline.path_below(sart_xz, 8.0 * sc, step_mm=20.0)  # 3 mm under the fascia
    sart_path[0] = asis - np.array([0.0, 3.0, 3.0]) * sc
    sart_hint = np.array([outline.normal(*pt) for pt in sart_path])
    half_w = np.interp(sart_path[:, 2], [-300, -90 * sc, 25 * sc, asis[2] - 8 * sc, 300],
                       [16, 18, 14, 8, 8]) * sc
    half_t = np.interp(sart_path[:, 2], [-300, 25 * sc, asis[2] - 8 * sc, 300],
                       [5, 5, 3, 3]) * sc
    sartorius = pr.tube(sart_path, half_w, half_t, sart_hint, step_mm=6.0, ring_points=18,
                        what="sartorius")

    rect_path = np.array([aiis - np.array([0, 3, 2]) * sc, H + np.array([15, 34, 8]) * sc,
                          H + np.array([17, 38, -25]) * sc, H + np.array([18, 40, -75]) * sc,
                          H + np.array([15, 36, -150]) * sc, H + np.array([12, 33, -240]) * sc])
    rectus = pr.tube(rect_path, np.array([5.0, 7.0, 14.0, 20.0, 19.0, 16.0]) * sc,
                     np.array([4.0, 5.0, 9.0, 13.0, 12.0, 10.0]) * sc, y, step_mm=6.0,
                     ring_points=20, what="rectus femoris")

    gt_front = femur_pts["gt_front"]
    lateral = np.array([1.0, 0.0, 0.0])
    up = np.array([0.0, 0.0, 1.0])
    minimus = pr.tube(np.array([wing_point(f, ilium, 0.3, 0.55, 5 * sc),
                                wing_point(f, ilium, 0.25, 0.2, 6 * sc),
                                gt_front + (2 * lateral + 2 * up) * sc]),
                      np.array([28.0, 22.0, 10.0]) * sc, np.array([5.0, 5.0, 4.0]) * sc,
                      np.array([wing_normal(f, 0.3, 0.55), wing_normal(f, 0.25, 0.2),
                                lateral + y]), step_mm=5.0, ring_points=16, what="gluteus minimus")
    medius = pr.tube(np.array([wing_point(f, ilium, 0.5, 0.72, 13 * sc),
                               wing_point(f, ilium, 0.4, 0.3, 16 * sc),
                               np.asarray(gmed_end, float)]),
                     np.array([42.0, 32.0, 14.0]) * sc, np.array([11.0, 11.0, 6.0]) * sc,
                     np.array([wing_normal(f, 0.5, 0.72), wing_normal(f, 0.4, 0.3), lateral]),
                     step_mm=5.0, ring_points=16, what="gluteus medius")
    max_xz = [(50 * sc, 75 * sc), (H[0] - 5 * sc, 15 * sc), (H[0] + 25 * sc, -40 * sc),
              (H[0] + 48 * sc, -95 * sc)]
    max_path = outline.path_below(max_xz, 19.0 * sc, step_mm=25.0, anterior=False)
    z_keys = [-300, -95 * sc, -40 * sc, 15 * sc, 75 * sc, 300]
    maximus = pr.tube(max_path, np.interp(max_path[:, 2], z_keys, [24, 24, 50, 60, 45, 45]) * sc,
                      np.interp(max_path[:, 2], z_keys, [9, 9, 16, 20, 14, 14]) * sc,
                      np.array([outline.normal(*pt) for pt in max_path]), step_mm=5.0,
                      ring_points=24, what="gluteus maximus")
    return {"iliopsoas": pr.union([psoas, iliacus, common]), "sartorius": sartorius,
            "rectus_femoris": rectus, "gluteus_minimus": minimus, "gluteus_medius": medius,
            "gluteus_maximus": maximus}


# Iliac wing mid-surface control grid of the reference pelvis (RAS mm): columns run from the
# anterior border (ASIS-AIIS) to the posterior border (PSIS, sciatic notch), rows from the
# acetabular roof (v = 0) to the crest (v = 1). Mapped onto the patient by ``pelvis_map``, it
# only says where on the real wing a gluteal muscle attaches.
_WING_MM = np.array([
    [(96, 24, 30), (106, 38, 52), (118, 45, 70)],
    [(90, 2, 32), (101, 10, 66), (131, 10, 100)],
    [(74, -28, 32), (82, -36, 72), (106, -42, 112)],
    [(58, -56, 40), (48, -78, 62), (42, -98, 80)],
], float)


def _wing_mid(f: HipFrame, u, v) -> np.ndarray:
    """Mapped mid-surface points ``(len(u), len(v), 3)`` at parameters ``u``, ``v``."""
    control = f.pelvis_map(_WING_MM)
    uk, vk = np.linspace(0, 1, 4), np.linspace(0, 1, 3)
    return np.stack([RectBivariateSpline(uk, vk, control[..., c], kx=3, ky=2)(u, v)
                     for c in range(3)], -1)


def wing_normal(f: HipFrame, u: float, v: float) -> np.ndarray:
    """Outward (lateral) unit normal ``(3,)`` of the mapped wing at ``(u, v)``."""
    mid = _wing_mid(f, np.array([u - 0.01, u, u + 0.01]), np.array([v - 0.01, v, v + 0.01]))
    normal = np.cross(mid[2, 1] - mid[0, 1], mid[1, 2] - mid[1, 0])
    normal /= np.linalg.norm(normal)
    return normal if normal[0] >= 0 else -normal


def wing_point(f: HipFrame, ilium: mf.Manifold, u: float, v: float,
               above_mm: float) -> np.ndarray:
    """Point ``(3,)`` ``above_mm`` outside the real wing's outer (gluteal) face at ``(u, v)``:
    a ray from 40 mm out along the normal finds the face; where it misses the bone (beyond
    the real wing's edge) the point lies off the mapped mid-surface instead."""
    mid = _wing_mid(f, np.array([u]), np.array([v]))[0, 0]
    n = wing_normal(f, u, v)
    hits = ilium.ray_cast((mid + 40.0 * n).tolist(), (mid - 20.0 * n).tolist())
    base = np.asarray(hits[0].position, float) if hits else mid
    return base + above_mm * n


def neurovascular(f: HipFrame, outline: Outline, cap: Capsule, belly: Belly, femur_pts: dict,
                  pelvis_pts: dict, target,
                  fat: FatProfile) -> tuple[dict[str, mf.Manifold], dict]:
    """Femoral artery (with profunda), vein, nerve, lateral circumflex artery and LFCN (which
    comes out of the pelvis medial to the ASIS into the subcutaneous fat of ``fat``'s
    profile); returns the shapes and the landmarks on them."""
    p = f.params
    sc = p.bone_scale
    H, R = f.head_center, f.head_radius
    jx, jy, jz = p.vessel_jitter_mm
    r_a, r_v = 0.5 * p.artery_diameter_mm, 0.5 * p.vein_diameter_mm
    x_a = float(np.clip(target[0] - p.artery_to_target_mm, H[0] - 0.9 * R, H[0] - 0.4 * R))
    y_a = belly.front_y(x_a) + r_a + 0.3
    z_bif = -R - p.bifurcation_below_head_mm
    artery_pts = np.array([
        (x_a - 14 * sc + jx, 2 * sc, 130 * sc), (x_a - 8 * sc, 24 * sc + jy, 62 * sc),
        (x_a - 2 * sc, y_a - 4 * sc, 28 * sc), (x_a, y_a, 0.0), (x_a + 1, y_a - 1, z_bif),
        (x_a - 6 * sc, y_a - 5 * sc, z_bif - 55 * sc),
        (x_a - 14 * sc + jz, y_a - 16 * sc, -150 * sc), (x_a - 20 * sc, y_a - 24 * sc,
                                                         -240 * sc)])
    artery = pr.tube(artery_pts, r_a, step_mm=4.0, ring_points=16, what="femoral artery")
    prof_pts = np.array([(x_a + 1, y_a - 1, z_bif + 3), (x_a + 8 * sc, y_a - 11 * sc, z_bif - 12),
                         (x_a + 7 * sc, y_a - 24 * sc, z_bif - 50 * sc),
                         (x_a + 2 * sc, y_a - 40 * sc, -150 * sc),
                         (x_a - 2 * sc, y_a - 46 * sc, -240 * sc)])
    profunda = pr.tube(prof_pts, 0.8 * r_a, step_mm=4.0, ring_points=12, what="profunda")

    gap = r_a + r_v + 1.5
    vein_pts = artery_pts + np.array([-gap, -3.0, 0.0])
    vein_pts[0] += np.array([2.0, -6.0, 0.0]) * sc
    vein = pr.tube(vein_pts, r_v, step_mm=4.0, ring_points=18, what="femoral vein")

    x_n = x_a + p.nerve_lateral_mm
    y_n = belly.front_y(x_n) + 1.7 * sc
    nerve_pts = np.array([f.pelvis_map((60, -12, 135)), f.pelvis_map((66, 6, 90)),
                          (x_n - 4 * sc, y_n - 8 * sc, 45 * sc), (x_n, y_n, 22 * sc),
                          (x_n, y_n, 0.0), (x_n + 3 * sc, y_n - 4 * sc, -30 * sc)])
    nerve = pr.tube(nerve_pts, 4.0 * sc, 1.5 * sc, np.array([0.0, 1.0, 0.0]), step_mm=3.0,
                    ring_points=12, round_end=True, what="femoral nerve")

    # lateral circumflex (ascending branch): from the profunda, lying on the capsule along the
    # intertrochanteric line at the neck base, distal-lateral of the target, then up toward the
    # greater trochanter; an in-plane needle along the neck must pass over it
    r_c = 1.75 * sc
    s_cross = cap.s_target - 18.0 * sc
    cross = cap.point(s_cross, 0.0, cap.thickness(s_cross) + r_c + 0.8)
    origin = prof_pts[1] + np.array([0.0, 0.0, -2.0])
    gt_front = femur_pts["gt_front"] + np.array([4.0, 6.0, 4.0]) * sc
    mid = 0.5 * (origin + cross) + np.array([0.0, 3.0, -4.0]) * sc
    lcfa_pts = np.array([origin, mid, cross, 0.5 * (cross + gt_front) + np.array([0, 2, 0]),
                         gt_front])
    lcfa = pr.tube(lcfa_pts, r_c, step_mm=2.5, ring_points=12, round_end=True,
                   what="lateral circumflex femoral artery")

    asis = pelvis_pts["asis"]
    x_l = asis[0] - p.lfcn_medial_to_asis_mm
    r_l = 1.25
    lfcn_depth = p.skin_mm + LFCN_FAT_FRACTION * p.fat_anterior_mm  # centre under the skin

    def under_fascia(x_mm, z_mm):
        """Depth (mm) below the envelope that puts the nerve ``lfcn_depth`` under the skin
        (negative: out in the fat)."""
        q = outline.point_below(x_mm, z_mm, 0.0)
        fat_mm = float(fat.thickness(outline.normal(*q)[None, :2])[0])
        return lfcn_depth - p.skin_mm - fat_mm

    z_asis = asis[2] - 10 * sc
    lfcn_at_asis = outline.point_below(x_l, z_asis, under_fascia(x_l, z_asis))
    xz = [(x_l, z_asis), (x_l + 3 * sc, asis[2] - 50 * sc), (x_l + 9 * sc, -40 * sc),
          (x_l + 14 * sc, -130 * sc), (x_l + 16 * sc, -240 * sc)]
    below = outline.path_below(xz, [under_fascia(x, z) for x, z in xz], step_mm=20.0)
    lfcn_pts = np.concatenate([[f.pelvis_map((104, 16, 118)),
                                asis + np.array([4.0 - p.lfcn_medial_to_asis_mm, -10.0, 4.0])],
                               below])
    lfcn = pr.tube(lfcn_pts, r_l, step_mm=3.0, ring_points=8,
                   what="lateral femoral cutaneous nerve")
    shapes = {"femoral_artery": pr.union([artery, profunda]), "femoral_vein": vein,
              "femoral_nerve": nerve, "lateral_circumflex_femoral_artery": lcfa,
              "lateral_femoral_cutaneous_nerve": lfcn}
    marks = {"femoral_artery_at_head": artery_pts[3], "femoral_nerve_at_head": nerve_pts[4],
             "lfcn_at_asis": lfcn_at_asis}
    return shapes, marks
