"""Exact ray and segment queries against all anatomy triangles, through a uniform cell grid.

The grid buckets triangles by the cells their bounding boxes touch; a query walks the cells a
segment passes (3-D DDA) and tests only their triangles, so a short needle step costs a few
dozen triangle tests whatever the size of the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

MAX_HITS = 512


@dataclass(frozen=True, eq=False)
class TriangleGrid:
    """Triangles of all structures bucketed in cubic cells.

    Attributes
    ----------
    v0, e1, e2 : (m, 3) float64
        First vertex and the two edge vectors of every triangle.
    normal : (m, 3) float64
        Unit outward normals.
    owner : (m,) int32
        Index of the structure each triangle belongs to.
    origin_mm : (3,) float64, cell_mm : float, dims : (3,) int64
        Grid placement.
    cell_start : (ncells + 1,) int64, cell_tris : (k,) int32
        CSR lists of triangle indices per cell (x fastest).
    """

    v0: np.ndarray
    e1: np.ndarray
    e2: np.ndarray
    normal: np.ndarray
    owner: np.ndarray
    origin_mm: np.ndarray
    cell_mm: float
    dims: np.ndarray
    cell_start: np.ndarray
    cell_tris: np.ndarray

    @classmethod
    def build(cls, meshes, cell_mm: float = 6.0, cache_key: str = "") -> TriangleGrid:
        """Bucket ``meshes`` (sequence of (vertices, faces)) into cells of ``cell_mm``.

        With ``cache_key`` (a digest of the meshes' content) the cell lists are kept in the
        anatomy cache, so a later start skips sorting them.
        """
        from simulator.anatomy import cache

        tris, owners = [], []
        for n, (vertices, faces) in enumerate(meshes):
            t = np.asarray(vertices, float)[np.asarray(faces)]
            tris.append(t)
            owners.append(np.full(len(t), n, np.int32))
        tri = np.concatenate(tris)
        owner = np.concatenate(owners)
        lo = tri.reshape(-1, 3).min(0) - 1.0
        hi = tri.reshape(-1, 3).max(0) + 1.0
        dims = np.maximum(np.ceil((hi - lo) / cell_mm).astype(np.int64), 1)
        c_lo = np.clip(np.floor((tri.min(1) - lo) / cell_mm).astype(np.int64), 0, dims - 1)
        c_hi = np.clip(np.floor((tri.max(1) - lo) / cell_mm).astype(np.int64), 0, dims - 1)
        span = c_hi - c_lo + 1
        count = span.prod(1)
        path = cache.cache_dir() / "grids" / f"{cache.digest(cache_key, cell_mm, 'v1')}"
        cell_start = cell_tris = None
        if cache_key:
            cell_start = cache.load_checked(path.with_suffix(".start.npy"),
                                            (int(dims.prod()) + 1,), np.int64)
            cell_tris = cache.load_checked(path.with_suffix(".tris.npy"), (int(count.sum()),),
                                           np.int32)
        if cell_start is None or cell_tris is None:
            cell_start, cell_tris = _cell_lists(c_lo, span, count, dims)
            if cache_key:
                cache.save_checked(path.with_suffix(".start.npy"), cell_start)
                cache.save_checked(path.with_suffix(".tris.npy"), cell_tris)
        e1 = tri[:, 1] - tri[:, 0]
        e2 = tri[:, 2] - tri[:, 0]
        normal = np.cross(e1, e2)
        normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-300)
        return cls(tri[:, 0].copy(), e1, e2, normal, owner, lo, float(cell_mm), dims,
                   np.array(cell_start), np.array(cell_tris))

    def _args(self):
        return (self.origin_mm, self.cell_mm, self.dims, self.cell_start, self.cell_tris,
                self.v0, self.e1, self.e2)

    def skin_entry(self, origin_mm, direction, max_mm: float):
        """Where a ray from ``origin_mm`` along unit ``direction`` first enters a surface:
        ``(point (3,), tri)``, or ``(None, -1)``. As ``World.skin_along`` searches: the hits
        up to the first entering one (:meth:`segment_hits` with ``until_entering``) decide,
        unless (grazing) none of them enters by the ray's own direction: then all hits."""
        point = np.empty(3)
        tri = _skin_entry(np.asarray(origin_mm, float), np.asarray(direction, float),
                          float(max_mm), *self._args(), self.normal, self.owner, point)
        return (point, tri) if tri >= 0 else (None, -1)

    def skin_from_outside(self, point_mm, outward, max_mm: float, start_mm: float,
                          beyond_mm: float, extra_mm: float):
        """``World.skin_near``'s search in one call: from ``point_mm`` along unit
        ``outward`` find the farthest surface within ``max_mm``; start ``beyond_mm`` past it
        (at least ``start_mm`` out) and search back inward, ``extra_mm`` past the point, with
        :meth:`skin_entry`. Returns ``(point (3,), tri)`` or ``(None, -1)``."""
        point = np.empty(3)
        tri = _skin_from_outside(np.asarray(point_mm, float), np.asarray(outward, float),
                                 float(max_mm), float(start_mm), float(beyond_mm),
                                 float(extra_mm), *self._args(), self.normal, self.owner,
                                 point)
        return (point, tri) if tri >= 0 else (None, -1)

    def segment_hits(self, start_mm, end_mm, until_entering: bool = False):
        """All crossings of the segment ``start -> end``, sorted along it; with
        ``until_entering`` only those up to (at least) the first that enters a surface, which
        saves walking the rest of a long ray once it has entered the body.

        Returns
        -------
        t_mm : (h,) float64
            Distance from ``start_mm`` to each hit.
        tri : (h,) int64
            Index of the triangle hit (``owner[tri]`` is its structure,
            ``normal[tri]`` its outward normal).
        """
        start = np.asarray(start_mm, float)
        delta = np.asarray(end_mm, float) - start
        length = float(np.linalg.norm(delta))
        if length == 0.0:
            return np.empty(0), np.empty(0, np.int64)
        out_t = np.empty(MAX_HITS)
        out_tri = np.empty(MAX_HITS, np.int64)
        d = delta / length
        if until_entering:
            n = _walk(start, d, length, *self._args(), out_t, out_tri, False, self.normal)
        else:
            n = _walk(start, d, length, *self._args(), out_t, out_tri)
        order = np.argsort(out_t[:n], kind="stable")
        t, tri = out_t[:n][order], out_tri[:n][order]
        if n > 1:
            # a ray through a shared edge or vertex hits each triangle there: count it once
            facing = self.normal[tri] @ d > 0.0
            owner = self.owner[tri]
            dup = np.zeros(n, bool)
            dup[1:] = ((np.diff(t) <= 1e-7 * (1.0 + t[1:])) & (owner[1:] == owner[:-1])
                       & (facing[1:] == facing[:-1]))
            t, tri = t[~dup], tri[~dup]
        return t, tri

    def nearest_hits(self, start_mm, direction, max_mm: float):
        """The nearest crossing of a ray and any crossings tied with it (within 1e-6 mm).

        Returns ``(t_mm, tri)`` like :meth:`segment_hits`; empty if nothing is hit.
        """
        start = np.asarray(start_mm, float)
        out_t = np.empty(MAX_HITS)
        out_tri = np.empty(MAX_HITS, np.int64)
        n = _walk(start, np.asarray(direction, float), float(max_mm), *self._args(),
                  out_t, out_tri, True)
        if n == 0:
            return out_t[:0], out_tri[:0]
        t, tri = out_t[:n], out_tri[:n]
        keep = t <= t.min() + 1e-6
        return t[keep], tri[keep]

    def first_hits(self, starts_mm, directions, max_mm: float):
        """First hit of many rays at once.

        Parameters
        ----------
        starts_mm, directions : (n, 3) float
            Ray origins and unit directions.
        max_mm : float
            Ray length.

        Returns
        -------
        t_mm : (n,) float64, ``inf`` where nothing is hit
        tri : (n,) int64, ``-1`` where nothing is hit
        """
        starts = np.ascontiguousarray(starts_mm, float).reshape(-1, 3)
        dirs = np.ascontiguousarray(directions, float).reshape(-1, 3)
        t = np.full(len(starts), np.inf)
        tri = np.full(len(starts), -1, np.int64)
        _first_many(starts, dirs, float(max_mm), *self._args(), t, tri)
        return t, tri


def _cell_lists(c_lo, span, count, dims) -> tuple[np.ndarray, np.ndarray]:
    """CSR cell lists ``cell_start (cells + 1,) int64, cell_tris (k,) int32`` of triangles
    whose bounding boxes cover cells ``c_lo .. c_lo + span - 1`` (``(m, 3)`` each)."""
    tri_idx = np.repeat(np.arange(len(count)), count)
    # position of each (triangle, cell) pair inside its triangle's box
    local = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    sx, sy = span[tri_idx, 0], span[tri_idx, 1]
    cx = c_lo[tri_idx, 0] + local % sx
    cy = c_lo[tri_idx, 1] + (local // sx) % sy
    cz = c_lo[tri_idx, 2] + local // (sx * sy)
    cell = cx + dims[0] * (cy + dims[1] * cz)
    order = np.argsort(cell, kind="stable")
    cell_tris = tri_idx[order].astype(np.int32)
    cell_start = np.searchsorted(cell[order], np.arange(dims.prod() + 1)).astype(np.int64)
    return cell_start, cell_tris


@numba.njit(cache=True, inline="always")
def _hit(o, d, v0, e1, e2, f):
    # Moeller-Trumbore; returns t or -1
    px = d[1] * e2[f, 2] - d[2] * e2[f, 1]
    py = d[2] * e2[f, 0] - d[0] * e2[f, 2]
    pz = d[0] * e2[f, 1] - d[1] * e2[f, 0]
    det = e1[f, 0] * px + e1[f, 1] * py + e1[f, 2] * pz
    if det == 0.0:
        return -1.0
    inv = 1.0 / det
    sx = o[0] - v0[f, 0]
    sy = o[1] - v0[f, 1]
    sz = o[2] - v0[f, 2]
    u = (sx * px + sy * py + sz * pz) * inv
    if u < 0.0 or u > 1.0:
        return -1.0
    qx = sy * e1[f, 2] - sz * e1[f, 1]
    qy = sz * e1[f, 0] - sx * e1[f, 2]
    qz = sx * e1[f, 1] - sy * e1[f, 0]
    v = (d[0] * qx + d[1] * qy + d[2] * qz) * inv
    if v < 0.0 or u + v > 1.0:
        return -1.0
    return (e2[f, 0] * qx + e2[f, 1] * qy + e2[f, 2] * qz) * inv


@numba.njit(cache=True)
def _walk(o, d, length, origin, cell, dims, cell_start, cell_tris, v0, e1, e2, out_t, out_tri,
          first_cell=False, normal=None):
    """3-D DDA over the cells the segment crosses; returns the number of hits written.

    With ``first_cell`` it stops after the first cell that holds a hit, which then holds the
    nearest hit and any ties with it. With ``normal`` (the triangles' ``(m, 3)`` normals) it
    stops once it is past the first hit entering a surface (``normal . d < 0``) by more than
    1e-6 mm, so the hits written are all those up to there.
    """
    # clip the segment to the grid box
    t0 = 0.0
    t1 = length
    for a in range(3):
        lo = origin[a]
        hi = origin[a] + dims[a] * cell
        if d[a] == 0.0:
            if o[a] < lo or o[a] > hi:
                return 0
        else:
            ta = (lo - o[a]) / d[a]
            tb = (hi - o[a]) / d[a]
            if ta > tb:
                ta, tb = tb, ta
            t0 = max(t0, ta)
            t1 = min(t1, tb)
    if t0 > t1:
        return 0
    idx = np.empty(3, np.int64)
    step = np.empty(3, np.int64)
    t_next = np.empty(3)
    t_delta = np.empty(3)
    for a in range(3):
        p = o[a] + d[a] * t0
        i = int(np.floor((p - origin[a]) / cell))
        idx[a] = min(max(i, 0), dims[a] - 1)
        if d[a] > 0.0:
            step[a] = 1
            t_next[a] = (origin[a] + (idx[a] + 1) * cell - o[a]) / d[a]
            t_delta[a] = cell / d[a]
        elif d[a] < 0.0:
            step[a] = -1
            t_next[a] = (origin[a] + idx[a] * cell - o[a]) / d[a]
            t_delta[a] = -cell / d[a]
        else:
            step[a] = 0
            t_next[a] = np.inf
            t_delta[a] = np.inf
    n = 0
    n_checked = 0
    t_enter = np.inf
    t_cell_lo = t0
    while True:
        t_cell_hi = min(t_next[0], t_next[1], t_next[2], t1)
        c = idx[0] + dims[0] * (idx[1] + dims[1] * idx[2])
        for s in range(cell_start[c], cell_start[c + 1]):
            f = cell_tris[s]
            t = _hit(o, d, v0, e1, e2, f)
            # count a hit only in the cell that contains it, so shared triangles count once
            if t >= t_cell_lo and t <= t_cell_hi and t >= 0.0 and t <= length:
                if t == t_cell_hi and t_cell_hi < t1:
                    continue  # belongs to the next cell
                if n < out_t.shape[0]:
                    out_t[n] = t
                    out_tri[n] = f
                    n += 1
        if first_cell and n > 0:
            return n
        if normal is not None:
            for s in range(n_checked, n):
                if t_enter > out_t[s] and np.dot(normal[out_tri[s]], d) < 0.0:
                    t_enter = out_t[s]
            n_checked = n
            if t_cell_hi > t_enter + 1e-6:
                return n
        if t_cell_hi >= t1:
            return n
        a = 0
        if t_next[1] < t_next[a]:
            a = 1
        if t_next[2] < t_next[a]:
            a = 2
        idx[a] += step[a]
        if idx[a] < 0 or idx[a] >= dims[a]:
            return n
        t_cell_lo = t_next[a]
        t_next[a] += t_delta[a]


@numba.njit(cache=True)
def _segment_hits(start, end, until_entering, origin, cell, dims, cell_start, cell_tris, v0,
                  e1, e2, normal, owner, out_t, out_tri):
    """:meth:`TriangleGrid.segment_hits` compiled, operation for operation (the length is
    ``sqrt(dot)`` as NumPy's norm, the sort stable): writes the hits into ``out_*``, returns
    how many."""
    delta = end - start
    length = math.sqrt(np.dot(delta, delta))
    if length == 0.0:
        return 0
    d = delta / length
    t = np.empty(MAX_HITS)
    f = np.empty(MAX_HITS, np.int64)
    if until_entering:
        n = _walk(start, d, length, origin, cell, dims, cell_start, cell_tris, v0, e1, e2, t,
                  f, False, normal)
    else:
        n = _walk(start, d, length, origin, cell, dims, cell_start, cell_tris, v0, e1, e2, t,
                  f)
    order = np.argsort(t[:n], kind="mergesort")
    m = 0
    for r in range(n):
        tri = f[order[r]]
        tr = t[order[r]]
        if r > 0:  # a hit on a shared edge or vertex is counted once
            prev = f[order[r - 1]]
            if (tr - t[order[r - 1]] <= 1e-7 * (1.0 + tr) and owner[tri] == owner[prev]
                    and (np.dot(normal[tri], d) > 0.0) == (np.dot(normal[prev], d) > 0.0)):
                continue
        out_t[m] = tr
        out_tri[m] = tri
        m += 1
    return m


@numba.njit(cache=True)
def _skin_entry(o, d, length, origin, cell, dims, cell_start, cell_tris, v0, e1, e2, normal,
                owner, point):
    """:meth:`TriangleGrid.skin_entry`: writes the point, returns the triangle (or -1)."""
    end = o + d * length
    t = np.empty(MAX_HITS)
    f = np.empty(MAX_HITS, np.int64)
    for until_entering in (True, False):
        n = _segment_hits(o, end, until_entering, origin, cell, dims, cell_start, cell_tris,
                          v0, e1, e2, normal, owner, t, f)
        for k in range(n):
            if np.dot(normal[f[k]], d) < 0.0:  # entering the body
                point[:] = o + d * t[k]
                return f[k]
    return -1


@numba.njit(cache=True)
def _skin_from_outside(p, n, max_mm, start_mm, beyond_mm, extra_mm, origin, cell, dims,
                       cell_start, cell_tris, v0, e1, e2, normal, owner, point):
    """:meth:`TriangleGrid.skin_from_outside`: writes the point, returns the triangle."""
    t = np.empty(MAX_HITS)
    f = np.empty(MAX_HITS, np.int64)
    m = _segment_hits(p, p + n * max_mm, False, origin, cell, dims, cell_start, cell_tris,
                      v0, e1, e2, normal, owner, t, f)
    reach = max(start_mm, t[:m].max() + beyond_mm) if m else start_mm
    inward = -n
    d = inward / math.sqrt(np.dot(inward, inward))
    return _skin_entry(p + n * reach, d, reach + extra_mm, origin, cell, dims, cell_start,
                       cell_tris, v0, e1, e2, normal, owner, point)


@numba.njit(cache=True, parallel=True)
def _first_many(starts, dirs, length, origin, cell, dims, cell_start, cell_tris, v0, e1, e2,
                out_t, out_tri):
    for r in numba.prange(starts.shape[0]):
        bt = np.empty(64)
        bf = np.empty(64, np.int64)
        n = _walk(starts[r], dirs[r], length, origin, cell, dims, cell_start, cell_tris,
                  v0, e1, e2, bt, bf, True)
        for s in range(n):
            if bt[s] < out_t[r]:
                out_t[r] = bt[s]
                out_tri[r] = bf[s]
