"""Peritrochanteric soft tissue of a right hip: gluteus medius tendon, trochanteric bursa and
iliotibial band (clinical.md s.3.1).

Over the lateral facet of the greater trochanter the layers are, deep to superficial: bone,
the gluteus medius tendon inserting on the facet, the sub-gluteus-maximus ("trochanteric")
bursa, which also covers the bare posterior facet, then the iliotibial band (ITB) right under
the subcutaneous fat. The tendon and the bursa are thick sheets laid on the bone surface,
parametrised by polar angle ``theta`` (0 = up the shaft) and azimuth ``phi`` (0 = the
patient's lateral, negative = posterior) about the centre of the trochanter's main body; the
facet centre is where the direction ``theta = 90, phi = 0`` leaves the bone. The ITB is a
sheet under the lateral muscle envelope running down the thigh. The envelope (deep fascia)
is shaped onto the trochanter locally (``FasciaDip``) so that it lies exactly tendon + bursa
+ ITB from the facet; the fat over it thins straight laterally (``hip_soft``) to give the
clinical skin-to-bone depth, while the flanks and the anterior hip keep their fat.

Each shape reaches into the structure beneath it, whose higher priority trims it, so the
layers meet without gaps: the tendon starts inside the bone, and the bursa fills everything
from the bone up to its outer surface that the tendon does not claim (so it lies straight on
the bone beyond the tendon's edge, as on the posterior facet).
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np
from scipy.ndimage import gaussian_filter

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.body import Outline
from simulator.anatomy.generators.hip_params import HipParams

EMBED_MM = 0.8          # how far the tendon and bursa sheets start inside the bone
ITB_OVERLAP_MM = 0.3    # the band reaches this far into the bursa beneath it
STEP_DEG = 4.0
SPAN_INSIDE_SECTION = 0.99  # share of a section's front / back the fascia sheet may reach
THETA_DEG = np.arange(14.0, 126.0 + 1e-9, STEP_DEG)
PHI_DEG = np.arange(-104.0, 40.0 + 1e-9, STEP_DEG)
# (theta range, phi range) in degrees of each sheet on the common grid
TENDON_RANGE = ((14.0, 118.0), (-40.0, 36.0))
BURSA_RANGE = ((50.0, 126.0), (-104.0, 28.0))
FACET_DEG = (90.0, 0.0)


def _plateau(x, lo, hi, ramp):
    """1 on ``[lo + ramp, hi - ramp]``, easing to 0 at ``lo`` and ``hi``."""
    return pr.smoothstep((x - lo) / ramp) * pr.smoothstep((hi - x) / ramp)


@dataclass(frozen=True)
class TrochanterSurface:
    """The lateral and posterior surface of the greater trochanter on the (theta, phi) grid.

    Attributes
    ----------
    centre : (3,) float
        Centre of the trochanter's main body (inside the bone).
    points, normals : (len(THETA_DEG), len(PHI_DEG), 3) float
        Bone surface points (lightly smoothed) and their outward unit normals.
    """

    centre: np.ndarray
    points: np.ndarray
    normals: np.ndarray

    def index(self, theta_deg: float, phi_deg: float) -> tuple[int, int]:
        return (int(np.argmin(np.abs(THETA_DEG - theta_deg))),
                int(np.argmin(np.abs(PHI_DEG - phi_deg))))

    def window(self, rng) -> tuple[slice, slice]:
        """Grid slices covering ``((theta_lo, theta_hi), (phi_lo, phi_hi))``."""
        (t0, t1), (p0, p1) = rng
        i0, j0 = self.index(t0, p0)
        i1, j1 = self.index(t1, p1)
        return slice(i0, i1 + 1), slice(j0, j1 + 1)

    @property
    def facet_point(self) -> np.ndarray:
        """Centre of the lateral facet on the bone surface."""
        return self.points[self.index(*FACET_DEG)]

    @property
    def facet_normal(self) -> np.ndarray:
        return self.normals[self.index(*FACET_DEG)]


def trochanter_surface(femur_outer: mf.Manifold, centre, up) -> TrochanterSurface:
    """Cast rays from ``centre`` over the grid to the femur's outer surface. ``up`` is the
    shaft's upward axis; azimuth 0 is the world's lateral (+x) direction made perpendicular
    to it."""
    centre = np.asarray(centre, float)
    up = np.asarray(up, float) / np.linalg.norm(up)
    lateral = np.array([1.0, 0.0, 0.0]) - up[0] * up
    lateral /= np.linalg.norm(lateral)
    anterior = np.cross(up, lateral)
    theta = np.radians(THETA_DEG)[:, None, None]
    phi = np.radians(PHI_DEG)[None, :, None]
    dirs = (np.cos(theta) * up + np.sin(theta) * (np.cos(phi) * lateral
                                                  + np.sin(phi) * anterior))
    radius = np.empty(dirs.shape[:2])
    for idx in np.ndindex(radius.shape):
        d = dirs[idx]
        hits = femur_outer.ray_cast((centre + 80.0 * d).tolist(), centre.tolist())
        if not hits:
            raise ValueError("trochanter surface: a ray from the trochanter misses the femur")
        radius[idx] = float(np.linalg.norm(np.asarray(hits[0].position) - centre))
    # smooth enough (about 8 degrees) that sheets laid on the real, bumpy trochanter do not
    # fold over themselves in its hollows
    radius = gaussian_filter(radius, sigma=2.0, mode="nearest")
    points = centre + radius[..., None] * dirs
    normals = np.cross(np.gradient(points, axis=0), np.gradient(points, axis=1))
    normals /= np.linalg.norm(normals, axis=2, keepdims=True)
    normals *= np.sign(np.einsum("ijk,ijk->ij", normals, dirs))[..., None]
    return TrochanterSurface(centre, points, normals)


def tendon_thickness(p: HipParams, theta_deg, phi_deg) -> np.ndarray:
    """Gluteus medius tendon thickness (mm) on the bone at ``(theta, phi)`` (broadcast): full
    over its insertion band, fading out below it and at its front and back edges (0 beyond)."""
    theta, phi = np.broadcast_arrays(np.asarray(theta_deg, float), np.asarray(phi_deg, float))
    (_, t_hi), (p_lo, p_hi) = TENDON_RANGE
    below = pr.smoothstep((t_hi + 6.0 - theta) / 14.0)
    across = _plateau(phi, p_lo - 8.0, p_hi + 8.0, 16.0)
    return p.gmed_tendon_mm * below * across


def _sheet(surface: TrochanterSurface, rng, lo_mm, hi_mm, what: str) -> mf.Manifold:
    """Thick sheet between offsets ``lo_mm`` and ``hi_mm`` (grids over ``rng``) along the bone
    normals."""
    rows, cols = surface.window(rng)
    base, normal = surface.points[rows, cols], surface.normals[rows, cols]
    mid = base + 0.5 * (lo_mm + hi_mm)[..., None] * normal
    return pr.thick_sheet(mid, hi_mm - lo_mm, edge_points=3, what=what)


def _grid(rng):
    (t0, t1), (p0, p1) = rng
    theta = THETA_DEG[(THETA_DEG >= t0 - 1e-9) & (THETA_DEG <= t1 + 1e-9)]
    phi = PHI_DEG[(PHI_DEG >= p0 - 1e-9) & (PHI_DEG <= p1 + 1e-9)]
    return np.meshgrid(theta, phi, indexing="ij")


def gmed_tendon(surface: TrochanterSurface, p: HipParams) -> mf.Manifold:
    """Gluteus medius tendon: a band over the superolateral trochanter inserting on the lateral
    facet (its top row meets the muscle belly)."""
    theta, phi = _grid(TENDON_RANGE)
    hi = tendon_thickness(p, theta, phi)
    return _sheet(surface, TENDON_RANGE, np.full_like(hi, -EMBED_MM), hi, "gluteus medius tendon")


def trochanteric_bursa(surface: TrochanterSurface, p: HipParams) -> mf.Manifold:
    """Sub-gluteus-maximus bursa: ``bursa_mm`` thick over the tendon on the lateral facet and on
    the bare posterior facet, thinning toward its rim."""
    theta, phi = _grid(BURSA_RANGE)
    (t0, t1), (p0, p1) = BURSA_RANGE
    rim = 0.35 + 0.65 * _plateau(theta, t0, t1, 14.0) * _plateau(phi, p0, p1, 20.0)
    hi = tendon_thickness(p, theta, phi) + p.bursa_mm * rim
    return _sheet(surface, BURSA_RANGE, np.full_like(hi, -EMBED_MM), hi, "trochanteric bursa")


def bursa_target(surface: TrochanterSurface, p: HipParams) -> np.ndarray:
    """Mid-thickness of the bursa over the centre of the lateral facet."""
    t = float(tendon_thickness(p, *FACET_DEG))
    return surface.facet_point + (t + 0.5 * p.bursa_mm) * surface.facet_normal


def layers_over_facet(p: HipParams) -> float:
    """Tendon + bursa + ITB thickness over the facet centre: the fascia's clearance there."""
    return float(tendon_thickness(p, *FACET_DEG)) + p.bursa_mm + p.itb_mm


@dataclass(frozen=True)
class FasciaDip:
    """The deep fascia (lateral muscle envelope) shaped onto the trochanter.

    Over the facet the envelope lies ``depth_mm`` deeper than the outline's smooth lateral
    face (or ``-depth_mm`` higher, where the trochanter stands out more), so tendon, bursa
    and ITB fill the space to it exactly; the change eases out within about 25 mm above,
    below, in front and behind (``window``) and leaves the outline's surface at a shallow
    angle. Positions on the lateral face are ``(z, y)`` pairs; ``y_mid`` follows the
    outline's centre line through the facet."""

    outline: Outline
    facet: np.ndarray
    depth_mm: float
    scale: float

    def y_mid(self, z_mm):
        cy = self.outline.params(z_mm)[..., 1]
        return cy + self.facet[1] - float(self.outline.params(self.facet[2])[1])

    def window(self, z_mm, y_mm):
        """1 over the trochanter, easing to 0 (smooth plateau in z and y)."""
        sc, zf = self.scale, self.facet[2]
        dy = np.asarray(y_mm, float) - self.y_mid(z_mm)
        ramp_z, ramp_y = 25.0 * sc, 22.0 * sc
        in_z = _plateau(np.asarray(z_mm, float), zf - (15.0 * sc + ramp_z),
                        zf + 12.0 * sc + ramp_z, ramp_z)
        in_y = _plateau(dy, -(20.0 * sc + ramp_y), 20.0 * sc + ramp_y, ramp_y)
        return in_z * in_y

    def _edge(self, z_mm, y_mm):
        """Signed offset (mm, + outward) from the outline surface of the solid that makes the
        change: the new fascia (``-depth_mm``) on the plateau, 0.5 mm beyond the surface
        outside the window, so the solid crosses the envelope at a shallow angle."""
        sign = 1.0 if self.depth_mm >= 0.0 else -1.0
        return sign * (0.5 - (abs(self.depth_mm) + 0.5) * self.window(z_mm, y_mm))

    def fascia(self, z_mm, y_mm):
        """Offset (mm, + outward) of the shaped envelope from the outline surface."""
        edge = self._edge(z_mm, y_mm)
        return np.minimum(edge, 0.0) if self.depth_mm >= 0.0 else np.maximum(edge, 0.0)

    def surface(self, z_mm, y_mm):
        """Points and outward normals ``(..., 3)`` of the outline's lateral face at
        ``(z, y)``."""
        z, y = np.broadcast_arrays(np.asarray(z_mm, float), np.asarray(y_mm, float))
        x = self.outline.surface_x(y, z)
        if not np.all(np.isfinite(x)):
            raise ValueError("fascia dip: a point leaves the lateral envelope")
        points = np.stack([x, y, z], -1)
        normals = np.array([self.outline.normal(*q) for q in points.reshape(-1, 3)])
        return points, normals.reshape(points.shape)

    def _half_span_mm(self, z_mm: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Reach ``(len(z), len(v))`` of the sheet's rows from ``y_mid`` (in front for
        ``v >= 0``, behind otherwise): 47 mm (scaled), short of the section's own front and
        back (``SPAN_INSIDE_SECTION`` of them), where a slim thigh far from the facet would
        leave the lateral face."""
        cy, ant, post = np.moveaxis(self.outline.params(z_mm)[:, [1, 4, 5]], -1, 0)
        y_mid = self.y_mid(z_mm)
        front = np.minimum(47.0 * self.scale, cy + SPAN_INSIDE_SECTION * ant - y_mid)
        back = np.minimum(47.0 * self.scale, y_mid - (cy - SPAN_INSIDE_SECTION * post))
        return np.where(v[None, :] >= 0.0, front[:, None], back[:, None])

    def apply(self, envelope: mf.Manifold) -> mf.Manifold:
        """The envelope with the dip cut out of it (or the rise added to it)."""
        sc, zf = self.scale, self.facet[2]
        z = np.arange(zf - 70.0 * sc, zf + 67.0 * sc, 3.0)
        v = np.linspace(-1.0, 1.0, 33)
        zz = np.broadcast_to(z[:, None], (len(z), len(v)))
        y = self.y_mid(z)[:, None] + self._half_span_mm(z, v) * v[None, :]
        points, normals = self.surface(zz, y)
        edge = self._edge(zz, y)
        lo, hi = (edge, np.full_like(edge, 1.5)) if self.depth_mm >= 0.0 else (
            np.full_like(edge, -1.5), edge)
        mid = points + (0.5 * (lo + hi))[..., None] * normals
        solid = pr.thick_sheet(mid, hi - lo, edge_points=3, what="fascia over the trochanter")
        return envelope - solid if self.depth_mm >= 0.0 else envelope + solid


def fascia_dip(outline: Outline, surface: TrochanterSurface, p: HipParams) -> FasciaDip:
    """The dip that puts the envelope ``layers_over_facet`` from the facet."""
    q = surface.facet_point + layers_over_facet(p) * surface.facet_normal
    depth = envelope_distance(outline, q, outline.normal(*q))
    return FasciaDip(outline, np.asarray(surface.facet_point, float), depth, p.bone_scale)


def envelope_distance(outline: Outline, point, direction, reach_mm: float = 120.0) -> float:
    """Distance (mm) from ``point`` (inside the envelope) along the lateral-pointing
    ``direction`` to the outline's lateral surface (negative if the point lies outside)."""
    point = np.asarray(point, float)
    d = np.asarray(direction, float) / np.linalg.norm(direction)

    def inside(t):
        q = point + t * d
        return float(outline.surface_x(q[1], q[2])) - q[0]

    lo, hi = (0.0, reach_mm) if inside(0.0) > 0.0 else (-reach_mm, 0.0)
    if not inside(lo) > 0.0 > inside(hi):
        raise ValueError("envelope_distance: no lateral envelope surface along the ray")
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if inside(mid) > 0.0 else (lo, mid)
    return 0.5 * (lo + hi)


def iliotibial_band(dip: FasciaDip, p: HipParams, z_top_mm: float,
                    z_bottom_mm: float) -> mf.Manifold:
    """The ITB: ``itb_mm`` thick just inside the lateral muscle envelope, dip included (clip
    it to the envelope), centred on the trochanter, about 60 mm wide over it and 40 mm down
    the thigh."""
    sc = p.bone_scale
    zf = dip.facet[2]
    near = (zf - 45.0 * sc, min(zf + 45.0 * sc, z_top_mm))
    z = np.unique(np.concatenate([  # 3 mm rows over the trochanter, 8 mm down the thigh
        np.linspace(z_bottom_mm, near[0], int(np.ceil((near[0] - z_bottom_mm) / 8.0)) + 1),
        np.linspace(*near, int(np.ceil((near[1] - near[0]) / 3.0)) + 1),
        np.linspace(near[1], z_top_mm, int(np.ceil((z_top_mm - near[1]) / 3.0)) + 1)]))
    half = sc * np.interp(z, [z_bottom_mm, zf - 60.0 * sc, zf, z_top_mm],
                          [20.0, 20.0, 30.0, 30.0])
    v = np.linspace(-1.0, 1.0, 17)
    zz = np.broadcast_to(z[:, None], (len(z), len(v)))
    y = dip.y_mid(z)[:, None] + half[:, None] * v[None, :]
    points, normals = dip.surface(zz, y)
    fascia = dip.fascia(zz, y)
    lo, hi = fascia - (p.itb_mm + ITB_OVERLAP_MM), fascia + 0.6
    mid = points + (0.5 * (lo + hi))[..., None] * normals
    return pr.thick_sheet(mid, hi - lo, edge_points=3, what="iliotibial band")
