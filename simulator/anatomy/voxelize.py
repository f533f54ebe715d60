"""Label volume from closed meshes by column rasterisation (exact parity per voxel centre).

Each voxel column is a ray along +z through the voxel centres. Every triangle marks where the
column enters (+1) or leaves (-1) the mesh; a running sum along z is then > 0 inside. Shared
edges are decided by a canonical edge function with a top-left rule, so a column through an
edge is counted by exactly one of the two triangles and watertight meshes give exact fills.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np


@dataclass(frozen=True)
class Grid:
    """A regular voxel grid: voxel (i, j, k) has centre ``origin_mm + (i+.5, j+.5, k+.5) * h``.

    Attributes
    ----------
    origin_mm : (3,) float
        Corner of voxel (0, 0, 0), world millimetres.
    spacing_mm : float
        Isotropic voxel size ``h``.
    shape : tuple of 3 int
    """

    origin_mm: tuple[float, float, float]
    spacing_mm: float
    shape: tuple[int, int, int]

    @classmethod
    def covering(cls, lo_mm, hi_mm, spacing_mm: float) -> Grid:
        """Smallest grid with spacing ``spacing_mm`` covering the box ``[lo_mm, hi_mm]``."""
        lo = np.asarray(lo_mm, float)
        hi = np.asarray(hi_mm, float)
        shape = np.maximum(np.ceil((hi - lo) / spacing_mm).astype(int), 1)
        return cls(tuple(lo.tolist()), float(spacing_mm), tuple(int(s) for s in shape))

    @property
    def hi_mm(self) -> np.ndarray:
        return np.asarray(self.origin_mm) + np.asarray(self.shape) * self.spacing_mm

    def index_of(self, points_mm: np.ndarray) -> np.ndarray:
        """Voxel indices ``(n, 3) int`` of points ``(n, 3)``; may lie outside the grid."""
        return np.floor((np.asarray(points_mm) - self.origin_mm) / self.spacing_mm).astype(np.int64)


@numba.njit(cache=True, inline="always")
def _edge(ax, ay, bx, by, px, py):
    # Canonical orientation: the same two endpoints give bitwise-opposite values whichever
    # way round they are passed, so neighbouring triangles agree on shared edges.
    if ax < bx or (ax == bx and ay < by):
        return (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    return -((ax - bx) * (py - by) - (ay - by) * (px - bx))


@numba.njit(cache=True, inline="always")
def _covers(w, ax, ay, bx, by):
    if w > 0.0:
        return True
    if w < 0.0:
        return False
    dx = bx - ax
    dy = by - ay
    return dy > 0.0 or (dy == 0.0 and dx < 0.0)


@numba.njit(cache=True)
def _column_crossings(tri, origin, h, lo, diff):
    """Add +1/-1 crossings of every triangle into ``diff`` (columns from ``lo``)."""
    ni, nj, nk1 = diff.shape
    for f in range(tri.shape[0]):
        x0, y0, z0 = tri[f, 0, 0], tri[f, 0, 1], tri[f, 0, 2]
        x1, y1, z1 = tri[f, 1, 0], tri[f, 1, 1], tri[f, 1, 2]
        x2, y2, z2 = tri[f, 2, 0], tri[f, 2, 1], tri[f, 2, 2]
        area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
        if area == 0.0:
            continue
        sign = -1
        if area < 0.0:  # faces -z: the +z column enters the mesh here; make it CCW
            x1, y1, z1, x2, y2, z2 = x2, y2, z2, x1, y1, z1
            sign = 1
        # plane z(x, y) through the three vertices
        nx = (y1 - y0) * (z2 - z0) - (z1 - z0) * (y2 - y0)
        ny = (z1 - z0) * (x2 - x0) - (x1 - x0) * (z2 - z0)
        nz = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
        i_lo = max(int(np.ceil((min(x0, x1, x2) - origin[0]) / h - 0.5)), lo[0])
        i_hi = min(int(np.floor((max(x0, x1, x2) - origin[0]) / h - 0.5)), lo[0] + ni - 1)
        j_lo = max(int(np.ceil((min(y0, y1, y2) - origin[1]) / h - 0.5)), lo[1])
        j_hi = min(int(np.floor((max(y0, y1, y2) - origin[1]) / h - 0.5)), lo[1] + nj - 1)
        for i in range(i_lo, i_hi + 1):
            px = origin[0] + (i + 0.5) * h
            for j in range(j_lo, j_hi + 1):
                py = origin[1] + (j + 0.5) * h
                if not _covers(_edge(x1, y1, x2, y2, px, py), x1, y1, x2, y2):
                    continue
                if not _covers(_edge(x2, y2, x0, y0, px, py), x2, y2, x0, y0):
                    continue
                if not _covers(_edge(x0, y0, x1, y1, px, py), x0, y0, x1, y1):
                    continue
                z = z0 - (nx * (px - x0) + ny * (py - y0)) / nz
                k = int(np.ceil((z - origin[2]) / h - 0.5)) - lo[2]
                k = min(max(k, 0), nk1 - 1)
                diff[i - lo[0], j - lo[1], k] += sign


@numba.njit(cache=True)
def _fill(labels, diff, lo, value, overwrite_below):
    ni, nj, nk1 = diff.shape
    for i in range(ni):
        for j in range(nj):
            run = 0
            for k in range(nk1 - 1):
                run += diff[i, j, k]
                if run > 0:
                    cur = labels[lo[0] + i, lo[1] + j, lo[2] + k]
                    if cur == 0 or overwrite_below[cur]:
                        labels[lo[0] + i, lo[1] + j, lo[2] + k] = value


def voxelize(grid: Grid, meshes, priorities=None) -> np.ndarray:
    """Label volume ``grid.shape uint8``: 0 outside every mesh, ``n + 1`` inside mesh ``n``.

    Parameters
    ----------
    grid : Grid
    meshes : sequence of (vertices (v, 3) float, faces (f, 3) int)
        Closed, consistently oriented surfaces; at most 255.
    priorities : sequence of int, optional
        Where meshes overlap the higher priority wins (ties: the later mesh).
    """
    if len(meshes) > 255:
        raise ValueError("at most 255 structures fit a uint8 label volume")
    priorities = list(priorities) if priorities is not None else [0] * len(meshes)
    labels = np.zeros(grid.shape, np.uint8)
    origin = np.asarray(grid.origin_mm, float)
    h = grid.spacing_mm
    order = sorted(range(len(meshes)), key=lambda n: priorities[n])
    for n in order:
        vertices, faces = meshes[n]
        tri = np.asarray(vertices, float)[np.asarray(faces)]
        if tri.size == 0:
            continue
        lo_idx = np.floor((tri.reshape(-1, 3).min(0) - origin) / h).astype(np.int64) - 1
        hi_idx = np.ceil((tri.reshape(-1, 3).max(0) - origin) / h).astype(np.int64) + 1
        lo_idx = np.clip(lo_idx, 0, np.asarray(grid.shape))
        hi_idx = np.clip(hi_idx, 0, np.asarray(grid.shape))
        if np.any(hi_idx <= lo_idx):
            continue
        size = hi_idx - lo_idx
        diff = np.zeros((size[0], size[1], size[2] + 1), np.int8)
        _column_crossings(tri, origin, h, lo_idx, diff)
        # Where this mesh overlaps an already written label of lower/equal priority, it wins.
        overwrite = np.zeros(256, np.bool_)
        for m in order[: order.index(n)]:
            overwrite[m + 1] = True
        _fill(labels, diff, lo_idx, n + 1, overwrite)
    return labels
