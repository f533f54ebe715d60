"""Body outline, vessels and nerves of a right hip (the muscles are the real Visible Human
ones, ``hip_real``; the iliopsoas's section in front of the head, ``iliopsoas_belly``,
only guides the vessels).

The femoral bundle is
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


def hip_outline(f: HipFrame, bone_points: np.ndarray) -> Outline:
    """The reference outline scaled to this patient (positions medial to the head centre
    scale with the half-width, lateral ones and all y, z with the bone scale), then each
    section's quadrants grown until the real bones' points ``(n, 3)`` within 20 mm of its
    height lie 8 mm inside it. (Grown around the real muscles too, the lateral envelope would
    stand off the greater trochanter where the cadaver's gluteals bulge, and the clinical
    depth over the trochanter would have to be made up with fat: the muscles are clipped to
    this envelope instead.)"""
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
        _grow_section(row, bone_points[np.abs(bone_points[:, 2] - row[0]) < 20.0], 8.0)
    return Outline(out)


def _grow_section(row: np.ndarray, points: np.ndarray, clearance_mm: float) -> None:
    """Scale the quadrants of the section ``row`` (``body.SECTION_FIELDS``) in place until
    ``points`` ``(n, 3)`` lie ``clearance_mm`` inside it."""
    dx, dy = points[:, 0] - row[1], points[:, 1] - row[2]
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
