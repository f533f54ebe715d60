"""Signed distance fields (mm, negative inside) for the generated shoulder bones.

The bones are built as fields rather than unions of closed pieces so that the pieces blend
(``smooth_min``) into one organic surface with no creases where they meet: the head into the
tuberosities, the scapular spine into the acromion and the blade. Every function takes points
``(n, 3)`` (world RAS mm) and returns ``(n,)`` distances. ``bone_from_field`` fills the field
on the bone importer's voxel grid and derives the cortical shell and cancellous core exactly
as for the real bones (``extract.solids_from_fill``).
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators.assembly import mesh_arrays
from simulator.anatomy.generators.primitives import to_manifold
from simulator.anatomy.real.extract import VOXEL_MM, solids_from_fill
from simulator.anatomy.voxelize import Grid

BLOCK = 4          # voxels per coarse block side
# a block's centre this close to the surface is sampled voxel by voxel: the block's half
# diagonal (2.1 mm) plus room for the fields that only bound the distance
BAND_MM = 3.6


def smooth_min(a: np.ndarray, b: np.ndarray, k_mm: float) -> np.ndarray:
    """Union of two fields blended over about ``k_mm`` (polynomial smooth minimum)."""
    h = np.clip(0.5 + 0.5 * (b - a) / k_mm, 0.0, 1.0)
    return b * (1.0 - h) + a * h - k_mm * h * (1.0 - h)


def smooth_cut(a: np.ndarray, b: np.ndarray, k_mm: float) -> np.ndarray:
    """Field ``a`` with the solid of ``b`` removed, the cut's edges rounded over ``k_mm``."""
    return -smooth_min(-a, b, k_mm)


def capsule_chain(p: np.ndarray, path_mm, radius_mm) -> np.ndarray:
    """Round tube along the polyline ``path_mm`` ``(m, 3)`` whose radius runs linearly
    between the ``(m,)`` ``radius_mm`` at its vertices; the ends are rounded."""
    path = np.asarray(path_mm, float)
    radius = np.asarray(radius_mm, float)
    out = np.full(len(p), np.inf)
    for a, b, ra, rb in zip(path[:-1], path[1:], radius[:-1], radius[1:], strict=True):
        ab = b - a
        t = np.clip(((p - a) @ ab) / (ab @ ab), 0.0, 1.0)
        d = np.linalg.norm(p - a - t[:, None] * ab, axis=1) - (ra + t * (rb - ra))
        out = np.minimum(out, d)
    return out


def ellipsoid(p: np.ndarray, center_mm, axes: np.ndarray, radii_mm) -> np.ndarray:
    """Ellipsoid with unit ``axes`` ``(3, 3)`` (rows) and semi-axes ``radii_mm`` (3,)
    (a close bound on the distance, exact on the surface)."""
    r = np.asarray(radii_mm, float)
    q = (p - np.asarray(center_mm, float)) @ np.asarray(axes, float).T
    k0 = np.linalg.norm(q / r, axis=1)
    k1 = np.linalg.norm(q / r**2, axis=1)
    return k0 * (k0 - 1.0) / np.maximum(k1, 1e-9)


def _dot2(v: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", v, v)


def triangle_distance(p: np.ndarray, a, b, c) -> np.ndarray:
    """Unsigned distance from points ``p`` to the triangle ``a, b, c`` (each (3,))."""
    a, b, c = (np.asarray(v, float) for v in (a, b, c))
    ba, cb, ac = b - a, c - b, a - c
    pa, pb, pc = p - a, p - b, p - c
    nor = np.cross(ba, ac)
    outside = (np.sign(pa @ np.cross(ba, nor)) + np.sign(pb @ np.cross(cb, nor))
               + np.sign(pc @ np.cross(ac, nor))) < 2.0
    edges = np.minimum.reduce([
        _dot2(np.clip((pa @ ba) / (ba @ ba), 0, 1)[:, None] * ba - pa),
        _dot2(np.clip((pb @ cb) / (cb @ cb), 0, 1)[:, None] * cb - pb),
        _dot2(np.clip((pc @ ac) / (ac @ ac), 0, 1)[:, None] * ac - pc)])
    plane = (pa @ nor) ** 2 / (nor @ nor)
    return np.sqrt(np.where(outside, edges, plane))


def plate(p: np.ndarray, corners_mm, half_thickness_mm: float) -> np.ndarray:
    """Plate round the surface spanned by the fan of triangles from ``corners_mm[0]``
    over the polygon ``corners_mm`` ``(m, 3)``: ``2 * half_thickness_mm`` thick, its edges
    rounded."""
    q = np.asarray(corners_mm, float)
    d = np.min([triangle_distance(p, q[0], q[k], q[k + 1]) for k in range(1, len(q) - 1)], 0)
    return d - half_thickness_mm


def strip(p: np.ndarray, near_mm, far_mm, half_thickness_mm: float) -> np.ndarray:
    """Plate round the ribbon between the polylines ``near_mm`` and ``far_mm`` (both
    ``(m, 3)``, matching vertices), ``2 * half_thickness_mm`` thick."""
    n, f = np.asarray(near_mm, float), np.asarray(far_mm, float)
    tris = [(n[k], n[k + 1], f[k + 1]) for k in range(len(n) - 1)]
    tris += [(n[k], f[k + 1], f[k]) for k in range(len(n) - 1)]
    return np.min([triangle_distance(p, *t) for t in tris], 0) - half_thickness_mm


def polygon_distance_2d(q: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Signed distance (negative inside) from 2D points ``q`` ``(n, 2)`` to the closed
    ``polygon`` ``(m, 2)``."""
    poly = np.asarray(polygon, float)
    best = np.full(len(q), np.inf)
    inside = np.zeros(len(q), bool)
    for a, b in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        ab = b - a
        t = np.clip(((q - a) @ ab) / (ab @ ab), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(q - a - t[:, None] * ab, axis=1))
        crosses = (a[1] > q[:, 1]) != (b[1] > q[:, 1])
        x_at = a[0] + (q[:, 1] - a[1]) * ab[0] / np.where(ab[1] == 0, 1e-12, ab[1])
        inside ^= crosses & (q[:, 0] < x_at)
    return np.where(inside, -best, best)


def _filled(field, grid: Grid) -> np.ndarray:
    """Boolean voxels of ``grid`` where ``field`` is negative. The field is sampled once per
    block of ``BLOCK`` voxels on a side, and voxel by voxel only in blocks whose centre lies
    within ``BAND_MM`` of the surface (elsewhere the whole block takes its centre's side)."""
    h = grid.spacing_mm
    nb = -(-np.asarray(grid.shape) // BLOCK)
    origin = np.asarray(grid.origin_mm, float)
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in nb], indexing="ij"), -1).reshape(-1, 3)
    coarse = field(origin + (idx + 0.5) * BLOCK * h)
    out = np.repeat(np.repeat(np.repeat((coarse < 0.0).reshape(nb), BLOCK, 0), BLOCK, 1),
                    BLOCK, 2)
    near = idx[np.abs(coarse) < BAND_MM]
    offsets = np.stack(np.meshgrid(*[np.arange(BLOCK)] * 3, indexing="ij"), -1).reshape(-1, 3)
    for start in range(0, len(near), 20_000):      # bounded memory
        vox = (near[start:start + 20_000, None, :] * BLOCK + offsets).reshape(-1, 3)
        inside = field(origin + (vox + 0.5) * h) < 0.0
        out[vox[:, 0], vox[:, 1], vox[:, 2]] = inside
    return out[:grid.shape[0], :grid.shape[1], :grid.shape[2]]


def bone_from_field(field, lo_mm, hi_mm, cortex_mm, what: str
                    ) -> tuple[mf.Manifold, mf.Manifold]:
    """Outer solid and cancellous core of the bone where ``field(points (n, 3))`` is
    negative inside the box ``[lo_mm, hi_mm]``; ``cortex_mm(points) -> (n,)`` is the
    cortical thickness (mm)."""
    grid = Grid.covering(np.asarray(lo_mm, float), np.asarray(hi_mm, float), VOXEL_MM)
    solids = solids_from_fill(_filled(field, grid), grid, cortex_mm, what)
    # rebuilt from their arrays, as the real bones are loaded: a simplified solid
    # keeps its 0.3-0.4 mm tolerance, and booleans with it would then re-triangulate the
    # surfaces it shares with its neighbours differently in each (slivers between them)
    outer, core = (to_manifold(*mesh_arrays(s), what) for s in solids)
    return outer, core
