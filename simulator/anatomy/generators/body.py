"""Lofted body outline with subcutaneous-fat and skin layers.

A body part is described by horizontal cross-sections (keyframes, one row per height) of the
*muscle envelope*, the deep fascia inside which muscles, bones, vessels and nerves lie. Each
section is a convex curve of four superellipse quadrants about ``(cx, cy)``:

    |x - cx| ** n / a ** n + |y - cy| ** n / b ** n = 1

with ``a`` = ``lateral_mm`` (toward +x) or ``medial_mm`` (toward -x), ``b`` = ``anterior_mm``
(+y) or ``posterior_mm`` (-y), and ``n`` = ``n_anterior`` or ``n_posterior`` for the front and
back halves (n = 2 is an ellipse, larger n a boxier outline). Section parameters are interpolated
in z with monotone cubic (PCHIP) splines, so the outline never overshoots its keyframes.

Fat is added outward along each section's normal with a thickness that depends on the normal
direction (``FatProfile``), then skin of constant thickness. Offsets are horizontal; they are
lengthened by ``1 / cos(slope)`` where the surface slopes in z, so the thickness measured
perpendicular to the surface stays close to the nominal value. Build for the right side
(lateral = +x); the assembly mirrors for the left.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np
from scipy.interpolate import PchipInterpolator

from simulator.anatomy.generators.primitives import box, loft

# The body layers every model ends its structure table with: name: (tissue, role, colour,
# priority). The deep filler takes whatever the structures inside the envelope leave.
LAYER_STRUCTURES = {
    "deep_tissue": ("muscle", "soft_tissue", "#cf8a78", 10),
    "subcutaneous_fat": ("subcutaneous_fat", "soft_tissue", "#f0d98c", 5),
    "skin": ("skin", "skin", "#dcae8e", 1),
}

SECTION_FIELDS = ("z_mm", "cx_mm", "cy_mm", "lateral_mm", "medial_mm", "anterior_mm",
                  "posterior_mm", "n_anterior", "n_posterior")


@dataclass(frozen=True)
class FatProfile:
    """Subcutaneous fat thickness (mm) by the direction the surface faces.

    Between the four cardinal values the thickness is blended with the squared components of
    the outward normal (C1 smooth around the body)."""

    lateral_mm: float
    anterior_mm: float
    medial_mm: float
    posterior_mm: float

    def thickness(self, normals: np.ndarray) -> np.ndarray:
        """Thickness ``(n,)`` mm for outward unit normals ``(n, 2)``."""
        nx, ny = normals[:, 0], normals[:, 1]
        side = np.where(nx > 0, self.lateral_mm, self.medial_mm)
        front = np.where(ny > 0, self.anterior_mm, self.posterior_mm)
        return side * nx**2 + front * ny**2


class Outline:
    """Muscle-envelope sections interpolated in z.

    Parameters
    ----------
    sections : (k, 9) float
        Rows of ``SECTION_FIELDS``, z increasing.
    """

    def __init__(self, sections: np.ndarray):
        sections = np.asarray(sections, float)
        if np.any(np.diff(sections[:, 0]) <= 0):
            raise ValueError("outline sections must have increasing z")
        self._spline = PchipInterpolator(sections[:, 0], sections[:, 1:], axis=0,
                                         extrapolate=True)

    def params(self, z_mm) -> np.ndarray:
        """Section parameters ``(..., 8)`` (the fields after ``z_mm``) at heights ``z_mm``."""
        return self._spline(np.asarray(z_mm, float))

    def ring(self, z_mm: float, count: int, x_keep_mm: float = -np.inf) -> np.ndarray:
        """``(count, 2)`` outline points at height ``z_mm``, counter-clockwise from lateral,
        evenly spaced by arc length where ``x >= x_keep_mm`` and about 6x sparser beyond
        (the part a medial cut will discard)."""
        cx, cy, lat, med, ant, post, n_ant, n_post = self.params(z_mm)
        t = np.linspace(0.0, 2 * np.pi, 16 * count, endpoint=False)
        c, s = np.cos(t), np.sin(t)
        n = np.where(s >= 0, n_ant, n_post)
        x = cx + np.where(c >= 0, lat, med) * np.sign(c) * np.abs(c) ** (2 / n)
        y = cy + np.where(s >= 0, ant, post) * np.sign(s) * np.abs(s) ** (2 / n)
        dense = np.stack([x, y], 1)
        closed = np.concatenate([dense, dense[:1]])
        seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
        mid_x = 0.5 * (closed[1:, 0] + closed[:-1, 0])
        weight = 0.15 + 0.85 / (1.0 + np.exp(-(mid_x - x_keep_mm + 10.0) / 4.0))
        w = np.concatenate([[0.0], np.cumsum(seg * weight)])
        target = np.linspace(0.0, w[-1], count, endpoint=False)
        return np.stack([np.interp(target, w, closed[:, k]) for k in range(2)], 1)

    def path_below(self, xz_mm, depth_mm, step_mm: float = 15.0,
                   anterior: bool = True) -> np.ndarray:
        """Control points ``(k, 3)`` following the envelope ``depth_mm`` below its anterior (or
        posterior) surface along the polyline ``xz_mm`` ``(m, 2)`` of (x, z) pairs, resampled
        about every ``step_mm`` so a spline through them stays under the surface. ``depth_mm``
        is a scalar or one value per (x, z) pair."""
        xz = np.asarray(xz_mm, float)
        depth = np.broadcast_to(np.asarray(depth_mm, float), (len(xz),))
        seg = np.linalg.norm(np.diff(xz, axis=0), axis=1)
        s = np.concatenate([[0.0], np.cumsum(seg)])
        t = np.linspace(0.0, s[-1], max(2, int(np.ceil(s[-1] / step_mm)) + 1))
        t = np.union1d(t, s)
        x, z, d = (np.interp(t, s, v) for v in (xz[:, 0], xz[:, 1], depth))
        return np.array([self.point_below(xi, zi, di, anterior)
                         for xi, zi, di in zip(x, z, d, strict=True)])

    def surface_y(self, x_mm, z_mm, anterior: bool = True):
        """Anterior (or posterior) envelope y at ``(x_mm, z_mm)`` (arrays broadcast); NaN
        where the vertical line misses the section."""
        x_mm, z_mm = np.broadcast_arrays(np.asarray(x_mm, float), np.asarray(z_mm, float))
        cx, cy, lat, med, ant, post, n_ant, n_post = np.moveaxis(self.params(z_mm), -1, 0)
        a = np.where(x_mm >= cx, lat, med)
        n = n_ant if anterior else n_post
        q = 1.0 - np.abs((x_mm - cx) / a) ** n
        root = np.where(q >= 0, np.abs(q) ** (1.0 / np.maximum(n, 1e-9)), np.nan)
        return cy + (ant if anterior else -post) * root

    def surface_x(self, y_mm, z_mm, lateral: bool = True):
        """Lateral (or medial) envelope x at ``(y_mm, z_mm)``; NaN where the line misses."""
        y_mm, z_mm = np.broadcast_arrays(np.asarray(y_mm, float), np.asarray(z_mm, float))
        cx, cy, lat, med, ant, post, n_ant, n_post = np.moveaxis(self.params(z_mm), -1, 0)
        front = y_mm >= cy
        b = np.where(front, ant, post)
        n = np.where(front, n_ant, n_post)
        q = 1.0 - np.abs((y_mm - cy) / b) ** n
        root = np.where(q >= 0, np.abs(q) ** (1.0 / n), np.nan)
        return cx + (lat if lateral else -med) * root

    def normal(self, x_mm: float, y_mm: float, z_mm: float) -> np.ndarray:
        """Outward unit normal ``(3,)`` (horizontal) of the section at height ``z_mm`` at
        the outline point nearest to the direction of ``(x_mm, y_mm)`` from the centre."""
        cx, cy, lat, med, ant, post, n_ant, n_post = self.params(z_mm)
        dx, dy = x_mm - cx, y_mm - cy
        a = lat if dx >= 0 else med
        b, n = (ant, n_ant) if dy >= 0 else (post, n_post)
        gx = np.sign(dx) * abs(dx / a) ** (n - 1) / a
        gy = np.sign(dy) * abs(dy / b) ** (n - 1) / b
        g = np.array([gx, gy, 0.0])
        return g / np.linalg.norm(g)

    def point_below(self, x_mm: float, z_mm: float, depth_mm: float,
                    anterior: bool = True) -> np.ndarray:
        """Point ``(3,)`` ``depth_mm`` inside the anterior (or posterior) envelope surface
        above (below) ``(x_mm, z_mm)``, measured along the surface normal."""
        y = float(self.surface_y(x_mm, z_mm, anterior))
        if not np.isfinite(y):
            raise ValueError(f"no envelope surface at x={x_mm:.1f}, z={z_mm:.1f}")
        surface = np.array([x_mm, y, z_mm])
        return surface - depth_mm * self.normal(x_mm, y, z_mm)


def _normals(ring: np.ndarray) -> np.ndarray:
    """Outward unit normals ``(n, 2)`` of a counter-clockwise closed ring ``(n, 2)``."""
    tangent = np.roll(ring, -1, axis=0) - np.roll(ring, 1, axis=0)
    normal = np.stack([tangent[:, 1], -tangent[:, 0]], 1)
    return normal / np.linalg.norm(normal, axis=1, keepdims=True)


def _offset_stack(rings: np.ndarray, z: np.ndarray, thickness) -> np.ndarray:
    """Offset each ring of ``rings`` ``(m, n, 2)`` outward by ``thickness(normals) (n,)``,
    lengthened by the surface slope in z (capped at 2.5x)."""
    normals = np.stack([_normals(r) for r in rings])
    dz = np.gradient(z)
    dr = np.einsum("mnk,mnk->mn", np.gradient(rings, axis=0) / dz[:, None, None], normals)
    stretch = np.minimum(np.sqrt(1.0 + dr**2), 2.5)
    out = np.empty_like(rings)
    for k in range(len(rings)):
        out[k] = rings[k] + (thickness(normals[k]) * stretch[k])[:, None] * normals[k]
    return out


def _stations(outline: Outline, z_lo: float, z_hi: float, step: float,
              x_min: float) -> np.ndarray:
    """Ring heights from ``z_lo`` to ``z_hi`` about ``step`` apart, up to 4x denser where the
    outline's extremes move quickly with height (e.g. where the thigh leaves the trunk)."""
    fine = np.linspace(z_lo, z_hi, int(np.ceil((z_hi - z_lo) / 2.0)) + 1)
    cx, cy, lat, med, ant, post = outline.params(fine)[:, :6].T
    medial = np.maximum(cx - med, x_min)  # only the part of the body that is kept
    extremes = np.stack([cx + lat, medial, cy + ant, cy - post], 1)
    slope = np.abs(np.diff(extremes, axis=0)).max(1) / np.diff(fine)
    density = np.minimum(1.0 + 1.5 * np.maximum(slope - 0.4, 0.0), 4.0) / step
    cumulative = np.concatenate([[0.0], np.cumsum(density * np.diff(fine))])
    n = int(np.ceil(cumulative[-1]))
    return np.interp(np.linspace(0.0, cumulative[-1], n + 1), cumulative, fine)


@dataclass(frozen=True)
class BodyLayers:
    """Nested closed solids: ``body`` (outer skin surface, cut to the model box), ``fat_outer``
    (skin inner surface) and ``envelope`` (fat inner surface / deep fascia). The inner two run
    past the body's z ends so that, once clipped to the body, every layer shows in the cut."""

    body: mf.Manifold
    fat_outer: mf.Manifold
    envelope: mf.Manifold
    outline: Outline

    def shapes(self) -> dict[str, mf.Manifold]:
        """Shapes of the ``LAYER_STRUCTURES``: each layer is the solid inside its outer
        surface; higher-priority structures take the space within."""
        return {"deep_tissue": self.envelope, "subcutaneous_fat": self.fat_outer,
                "skin": self.body}


def build_layers(outline: Outline, fat: FatProfile, *, skin_mm: float, z_lo_mm: float,
                 z_hi_mm: float, x_min_mm: float, ring_points: int = 112,
                 z_step_mm: float = 9.0, margin_mm: float = 14.0) -> BodyLayers:
    """Loft the envelope, fat and skin surfaces between ``z_lo_mm`` and ``z_hi_mm``; the body is
    cut flat at both z ends and at ``x = x_min_mm`` (the medial end)."""
    z_body = _stations(outline, z_lo_mm, z_hi_mm, z_step_mm, x_min_mm)
    extra = int(np.ceil(margin_mm / z_step_mm))
    z = np.concatenate([z_lo_mm - z_step_mm * np.arange(extra, 0, -1), z_body,
                        z_hi_mm + z_step_mm * np.arange(1, extra + 1)])
    envelope = np.stack([outline.ring(zk, ring_points, x_min_mm) for zk in z])
    fat_outer = _offset_stack(envelope, z, fat.thickness)
    skin_outer = _offset_stack(fat_outer, z, lambda n: np.full(len(n), skin_mm))

    def solid(rings2d, zs, what):
        rings = np.concatenate([rings2d, np.broadcast_to(zs[:, None, None],
                                                         rings2d.shape[:2] + (1,))], axis=2)
        return loft(rings, what=what)

    inner = slice(extra, extra + len(z_body))
    body = solid(skin_outer[inner], z_body, "body outline")
    lo = np.array([x_min_mm, -1e4, z_lo_mm - 1.0])
    body = body ^ box(lo, np.array([1e4, 1e4, z_hi_mm + 1.0]))
    return BodyLayers(body=body, fat_outer=solid(fat_outer, z, "fat outer surface"),
                      envelope=solid(envelope, z, "muscle envelope"), outline=outline)
