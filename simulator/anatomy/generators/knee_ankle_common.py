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


def transformed(solid: mf.Manifold, matrix, pivot_mm) -> mf.Manifold:
    """``solid`` rotated by ``matrix`` ``(3, 3)`` about ``pivot_mm``."""
    m = np.asarray(matrix, float)
    pivot = np.asarray(pivot_mm, float)
    return solid.transform(pr.affine(m, pivot - m @ pivot))

