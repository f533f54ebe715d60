"""Small shape helpers shared by the knee and ankle generators (on top of ``primitives``).

All points are RAS millimetres, arrays ``(n, 3) float``. Every solid returned is a closed,
outward-oriented ``manifold3d.Manifold``. These helpers are generic; they live here rather
than in ``primitives`` only so that the knee and ankle generators could be written alongside
edits to the shared modules.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr


@dataclass(frozen=True)
class Bone:
    """Outer solid, marrow solid and named points (RAS mm) of one bone."""

    outer: mf.Manifold
    marrow: mf.Manifold
    points: dict


def rotation(axis, angle_rad: float) -> np.ndarray:
    """Rotation matrix ``(3, 3)`` about ``axis`` by ``angle_rad`` (right-hand rule)."""
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    skew = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle_rad) * skew + (1 - np.cos(angle_rad)) * skew @ skew


def unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def smoothstep(x):
    """0 below 0, 1 above 1, C1 smooth in between (array-friendly)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


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


def smooth_hull(points_mm, edge_mm: float, what: str = "hull") -> mf.Manifold:
    """Convex hull of ``(n, 3)`` points with rounded creases, refined to edges ~``edge_mm``."""
    return pr.hull_points(points_mm, what).smooth_out(60.0, 0.5).refine_to_length(edge_mm)


def blob(ellipsoids, offset_mm: float, edge_mm: float, what: str,
         count: int = 90) -> mf.Manifold:
    """Smooth convex hull of ellipsoids ``[(center, radii), ...]`` whose radii are grown by
    ``offset_mm`` (negative shrinks: marrow; positive grows: cartilage, capsule)."""
    pts = [ellipsoid_points(c, np.asarray(r, float) + offset_mm, count=count)
           for c, r in ellipsoids]
    return smooth_hull(np.concatenate(pts), edge_mm, what)


def surface_point(solid: mf.Manifold, inside_mm, direction, reach_mm: float = 60.0):
    """``(3,)`` point where a ray from ``inside_mm`` (inside ``solid``) along ``direction``
    first leaves the surface."""
    start = np.asarray(inside_mm, float)
    d = unit(direction)
    hits = solid.ray_cast(start.tolist(), (start + reach_mm * d).tolist())
    if not hits:
        raise ValueError("surface_point: the ray does not leave the solid")
    return np.asarray(hits[0].position, float)


def first_hit(solid: mf.Manifold, origin_mm, direction, reach_mm: float = 300.0):
    """``(3,)`` first point where a ray from ``origin_mm`` (outside) meets ``solid``, or
    ``None``."""
    start = np.asarray(origin_mm, float)
    d = unit(direction)
    hits = solid.ray_cast(start.tolist(), (start + reach_mm * d).tolist())
    if not hits:
        return None
    return np.asarray(min(hits, key=lambda h: h.distance).position, float)


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
    w = unit(axis)
    u = unit(np.asarray(u_axis, float) - (np.asarray(u_axis, float) @ w) * w)
    v = np.cross(w, u)
    return solid.transform(pr.affine(np.column_stack([u, v, w]), axis_point))


def transformed(solid: mf.Manifold, matrix, pivot_mm) -> mf.Manifold:
    """``solid`` rotated by ``matrix`` ``(3, 3)`` about ``pivot_mm``."""
    m = np.asarray(matrix, float)
    pivot = np.asarray(pivot_mm, float)
    return solid.transform(pr.affine(m, pivot - m @ pivot))



def resolve(parts, body: mf.Manifold) -> list:
    """``assembly.resolve`` (same rule: each point goes to the highest-priority shape that
    holds it), except that enclosed voids survive: a bone's marrow or a nerve wholly inside
    another structure leaves a hole in it. ``assembly._drop_flat_pieces`` keeps only
    positive-volume components, which fills such holes back in and makes the two structures
    overlap; here only tiny components are dropped, voids and solids alike."""
    priorities = [p.priority for p in parts]
    if len(set(priorities)) != len(priorities):
        raise ValueError("part priorities must be unique")
    regions = []
    taken = mf.Manifold()
    for part in sorted(parts, key=lambda p: -p.priority):
        clipped = part.shape ^ body
        if part.within is not None:
            clipped = clipped ^ part.within
        region = _drop_flat(clipped - taken)
        if region.is_empty() or region.volume() <= 0.0:
            raise ValueError(f"structure {part.name!r} is empty after overlap resolution")
        regions.append((part, region))
        taken = taken + clipped
    return regions


def _drop_flat(solid: mf.Manifold, min_volume_mm3: float = 0.1) -> mf.Manifold:
    """Drop components smaller than ``min_volume_mm3`` either way: flat shreds, and the
    slivers (with matching voids in a neighbour) that booleans leave where two surfaces
    nearly touch; 0.1 mm3 is below one 0.5 mm voxel."""
    pieces = solid.decompose()
    keep = [p for p in pieces if abs(p.volume()) > min_volume_mm3]
    if len(keep) == len(pieces):
        return solid
    return mf.Manifold.compose(keep) if keep else mf.Manifold()
