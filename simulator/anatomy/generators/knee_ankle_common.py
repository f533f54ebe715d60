"""Small shape helpers used by the knee and ankle generators (on top of ``primitives``, which
holds the bone record, vector helpers and surface landmarks they share with the other joints).

All points are RAS millimetres, arrays ``(n, 3) float``. Every solid returned is a closed,
outward-oriented ``manifold3d.Manifold``.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr


def ellipsoid_points(center, radii, axes=None, count: int = 90) -> np.ndarray:
    """``(count, 3)`` points spread over an ellipsoid with semi-axes ``radii`` ``(3,)`` along
    the rows of ``axes`` ``(3, 3)`` (default: x, y, z), from a Fibonacci lattice."""
    k = np.arange(count) + 0.5
    polar = np.arccos(1 - 2 * k / count)
    azimuth = np.pi * (1 + 5**0.5) * k
    unit_pts = np.stack([np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar),
                         np.cos(polar)], 1)
    basis = np.eye(3) if axes is None else np.asarray(axes, float)
    scaled = unit_pts * np.maximum(np.asarray(radii, float), 0.2)
    return np.asarray(center, float) + scaled @ basis


def blob(ellipsoids, offset_mm: float, edge_mm: float, what: str,
         count: int = 90) -> mf.Manifold:
    """Smooth convex hull of ellipsoids ``[(center, radii), ...]`` whose radii are grown by
    ``offset_mm`` (negative shrinks: marrow; positive grows: cartilage, capsule)."""
    pts = [ellipsoid_points(c, np.asarray(r, float) + offset_mm, count=count)
           for c, r in ellipsoids]
    return pr.smooth_hull(np.concatenate(pts), edge_mm, what)


def first_hit(solid: mf.Manifold, origin_mm, direction, reach_mm: float = 300.0):
    """``(3,)`` first point where a ray from ``origin_mm`` (outside) meets ``solid``, or
    ``None``."""
    start = np.asarray(origin_mm, float)
    d = pr.unit(direction)
    hits = solid.ray_cast(start.tolist(), (start + reach_mm * d).tolist())
    if not hits:
        return None
    return np.asarray(min(hits, key=lambda h: h.distance).position, float)


def front_y(solid: mf.Manifold, x_mm: float, z_mm: float, start_y_mm: float,
            reach_mm: float) -> float:
    """Most anterior y of ``solid`` within 16 mm sideways and 2 mm up or down of
    ``(x_mm, z_mm)``: the highest first hit of 15 rays cast toward -y from ``y = start_y_mm``
    (in front of the model) over ``reach_mm``."""
    ys = [first_hit(solid, (x_mm + dx, start_y_mm, z_mm + dz), (0.0, -1.0, 0.0), reach_mm)
          for dx in (-16.0, -8.0, 0.0, 8.0, 16.0) for dz in (-2.0, 0.0, 2.0)]
    return max(float(y[1]) for y in ys if y is not None)


def warp(solid: mf.Manifold, displacement) -> mf.Manifold:
    """Move every vertex ``p`` of ``solid`` to ``p + displacement(p)`` (``(n, 3) -> (n, 3)``).
    The field must be smooth and small next to the local thickness (no folding)."""
    def move(points):
        p = np.asarray(points, float)
        return p + displacement(p)

    return solid.warp_batch(move)


def prism(polygon_mm, axis_point, axis, length_mm: float, u_axis) -> mf.Manifold:
    """Straight prism: the polygon ``(k, 2)`` given in the plane through ``axis_point``
    spanned by ``u_axis`` and ``axis x u_axis``, extruded ``length_mm`` along ``axis``
    (centred on the plane)."""
    poly = np.asarray(polygon_mm, float)
    area = np.sum(poly[:, 0] * np.roll(poly[:, 1], -1) - np.roll(poly[:, 0], -1) * poly[:, 1])
    section = mf.CrossSection([(poly if area > 0 else poly[::-1]).tolist()])
    solid = mf.Manifold.extrude(section, float(length_mm)).translate([0, 0, -length_mm / 2])
    w = pr.unit(axis)
    u = pr.unit(np.asarray(u_axis, float) - (np.asarray(u_axis, float) @ w) * w)
    v = np.cross(w, u)
    return solid.transform(pr.affine(np.column_stack([u, v, w]), axis_point))


def transformed(solid: mf.Manifold, matrix, pivot_mm) -> mf.Manifold:
    """``solid`` rotated by ``matrix`` ``(3, 3)`` about ``pivot_mm``."""
    m = np.asarray(matrix, float)
    pivot = np.asarray(pivot_mm, float)
    return solid.transform(pr.affine(m, pivot - m @ pivot))

