"""Per-material path lengths through closed triangle meshes by rasterising projected triangles.

For a closed, outward-oriented surface the length of a ray inside it is ``sum(sign * t)`` over
all the ray's hits with the surface (``t`` the distance from the focal spot, ``sign`` +1 where
the ray leaves, -1 where it enters); the hits need no sorting (Vidal et al., TPCG 2009). Each
triangle is projected onto the detector and every pixel centre it covers receives its signed
distance, so a full image costs one pass over the triangles.

Watertightness carries over to the image: vertices are projected once and shared by their
triangles, and pixel centres on a shared edge are given to exactly one of the two triangles by
the canonical edge function and top-left rule of :mod:`simulator.anatomy.voxelize` (evaluated
with the same operations, edge terms hoisted out of the pixel loop).

Two accumulation modes:

- ``linear``: each triangle adds ``+-t`` to a material channel (and, for a structure nested
  inside another, subtracts it from the enclosing structure's channel); exact for disjoint or
  properly nested surfaces, one pass, no per-pixel storage.
- ``sweep``: every hit is stored per pixel (counting pass, then filling pass), sorted along the
  ray and swept; between hits the open structure of highest priority owns the segment. Exact
  for any overlap, slower; the fallback when surfaces overlap partially.

Distances are accumulated relative to the isocentre distance (``t - SIC``, within a few
hundred mm) so that float32 keeps ~0.1 um resolution per hit; the offsets cancel for closed
surfaces.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numba
import numpy as np
from numba import prange

BAND_ROWS = 32
INTERLEAVE = 16  # sets of bands handed to the threads
TIE_MM = 1e-3  # hits closer than this along a ray count as simultaneous (sweep)
MIN_DEPTH_MM = 1.0  # triangles closer to the focal spot than this are not projected
SPAN_MARGIN_PX = 1e-3  # slack on a row's crossing columns (their rounding is < 1e-9 px)


@numba.njit(cache=True, nogil=True)
def project_vertices(vertices, source, u, v, beam, focal_px, centre_px):
    """Pixel coordinates ``(n, 2)`` and depths ``(n,)`` of world vertices ``(n, 3)``."""
    n = vertices.shape[0]
    xy = np.empty((n, 2))
    depth = np.empty(n)
    for i in range(n):
        dx = vertices[i, 0] - source[0]
        dy = vertices[i, 1] - source[1]
        dz = vertices[i, 2] - source[2]
        z = dx * beam[0] + dy * beam[1] + dz * beam[2]
        depth[i] = z
        zz = z if z > MIN_DEPTH_MM else MIN_DEPTH_MM
        xy[i, 0] = focal_px * (dx * u[0] + dy * u[1] + dz * u[2]) / zz + centre_px
        xy[i, 1] = focal_px * (dx * v[0] + dy * v[1] + dz * v[2]) / zz + centre_px
    return xy, depth


@numba.njit(cache=True, nogil=True)
def bin_triangles(xy, depth, faces, size, band_rows):
    """Bucket triangles by the bands of ``band_rows`` image rows their pixel box touches.

    Returns ``(band_start (nb + 1,), band_tris (k,))`` in CSR form; triangles off the image,
    degenerate in projection or too close to the focal spot are dropped.
    """
    nf = faces.shape[0]
    nb = (size + band_rows - 1) // band_rows
    lo = np.empty(nf, np.int64)
    hi = np.empty(nf, np.int64)
    count = np.zeros(nb + 1, np.int64)
    for f in range(nf):
        a, b, c = faces[f, 0], faces[f, 1], faces[f, 2]
        lo[f] = 1
        hi[f] = 0
        if depth[a] <= MIN_DEPTH_MM or depth[b] <= MIN_DEPTH_MM or depth[c] <= MIN_DEPTH_MM:
            continue
        x0 = min(xy[a, 0], xy[b, 0], xy[c, 0])
        x1 = max(xy[a, 0], xy[b, 0], xy[c, 0])
        if math.ceil(x0) > math.floor(x1) or x1 < 0.0 or x0 > size - 1.0:
            continue
        y0 = max(math.ceil(min(xy[a, 1], xy[b, 1], xy[c, 1])), 0.0)
        y1 = min(math.floor(max(xy[a, 1], xy[b, 1], xy[c, 1])), size - 1.0)
        if y0 > y1:
            continue
        lo[f] = int(y0) // band_rows
        hi[f] = int(y1) // band_rows
        for b_ in range(lo[f], hi[f] + 1):
            count[b_ + 1] += 1
    for b_ in range(nb):
        count[b_ + 1] += count[b_]
    tris = np.empty(count[nb], np.int32)
    cursor = count[:nb].copy()
    for f in range(nf):
        for b_ in range(lo[f], hi[f] + 1):
            tris[cursor[b_]] = f
            cursor[b_] += 1
    return count, tris


@numba.njit(cache=True, inline="always")
def _canonical(ax, ay, bx, by):
    """Edge a->b of a counter-clockwise triangle as ``(Px, Py, Qx - Px, Qy - Py, sign, tie)``.

    ``sign * ((Qx - Px) * (y - Py) - (Qy - Py) * (x - Px))`` is exactly ``voxelize._edge`` (P, Q
    in canonical order), and ``tie`` is ``voxelize._covers``' top-left rule for a point on it.
    """
    tie = (by - ay) > 0.0 or ((by - ay) == 0.0 and (bx - ax) < 0.0)
    if ax < bx or (ax == bx and ay < by):
        return ax, ay, bx - ax, by - ay, 1.0, tie
    return bx, by, ax - bx, ay - by, -1.0, tie


@numba.njit(cache=True, inline="always")
def _slope(ay, bx, by, ax):
    """``dx/dy`` of the edge a-b (0 for a horizontal edge, which :func:`_row_x` skips)."""
    return 0.0 if ay == by else (bx - ax) / (by - ay)


@numba.njit(cache=True, inline="always")
def _row_x(ax, ay, by, slope, y):
    """x where the edge a-b (``slope`` from :func:`_slope`) meets the row at ``y``; 1e30 if
    it does not reach that row. Only bounds the columns tested, so its rounding (a
    multiplication where a division would be exact to the last bit) never decides a pixel."""
    if (y < ay and y < by) or (y > ay and y > by) or ay == by:
        return 1e30
    return ax + (y - ay) * slope


@numba.njit(cache=True, nogil=True)
def ray_lengths(size, pitch, sid):
    """Distance from the focal spot to every pixel centre ``(size, size)`` float64, mm
    (row ``j``, column ``i``): the factor turning a hit's depth along the beam axis into
    its distance along the ray, the same operations per pixel as the rasteriser used."""
    centre = (size - 1) / 2.0
    out = np.empty((size, size))
    for j in range(size):
        b_mm = (float(j) - centre) * pitch
        for i in range(size):
            a_mm = (float(i) - centre) * pitch
            out[j, i] = math.sqrt(a_mm * a_mm + b_mm * b_mm + sid * sid)
    return out


@numba.njit(cache=True, parallel=True, nogil=True)
def rasterise(mode, xy, vertices, faces, owner, band_start, band_tris, band_rows, size,
              source, u, v, beam, pitch, sid, sic, ray_mm, chan_plus, chan_minus, out_len,
              counts, offsets, hit_t, hit_code):
    """One pass over the triangles, bands of rows in parallel.

    Parameters
    ----------
    mode : int
        0: add signed distances to ``out_len`` (``linear``); 1: count hits per pixel into
        ``counts``; 2: store hits at ``offsets[p] + counts[p]`` (``counts`` zeroed first).
    xy : (n, 2) float64
        Projected vertices (pixels); ``vertices`` (n, 3) world mm.
    ray_mm : (size, size) float64
        :func:`ray_lengths` of this detector.
    faces : (m, 3) int, owner : (m,) int
        Triangles and the structure each belongs to.
    chan_plus, chan_minus : (s,) int
        Per structure: channel that gains its length and channel that loses it (-1: none).
    out_len : (channels, size, size) float32
    counts : (size * size,) int32 ; offsets : (size * size + 1,) int64
    hit_t : (k,) float32 ; hit_code : (k,) int32
        Hit distance (minus SIC) and ``2 * structure + leaving``.
    """
    centre = (size - 1) / 2.0
    nb = band_start.shape[0] - 1
    # bands dealt out in turn (band w, w + INTERLEAVE, ...), so both threads get rows from
    # the whole image, busy middle and empty edges alike; every band still writes only
    # its own rows
    for w in prange(INTERLEAVE):
        for band in range(w, nb, INTERLEAVE):
            r_lo = band * band_rows
            r_hi = min(r_lo + band_rows, size) - 1
            for k in range(band_start[band], band_start[band + 1]):
                f = band_tris[k]
                s = owner[f]
                if mode == 0 and chan_plus[s] < 0 and chan_minus[s] < 0:
                    continue
                ia, ib, ic = faces[f, 0], faces[f, 1], faces[f, 2]
                x0, y0 = xy[ia, 0], xy[ia, 1]
                x1, y1 = xy[ib, 0], xy[ib, 1]
                x2, y2 = xy[ic, 0], xy[ic, 1]
                area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
                if area == 0.0:
                    continue
                if area < 0.0:
                    x1, y1, x2, y2 = x2, y2, x1, y1
                i_lo = max(int(math.ceil(min(x0, x1, x2))), 0)
                i_hi = min(int(math.floor(max(x0, x1, x2))), size - 1)
                j_lo = max(int(math.ceil(min(y0, y1, y2))), r_lo)
                j_hi = min(int(math.floor(max(y0, y1, y2))), r_hi)
                if i_lo > i_hi or j_lo > j_hi:
                    continue   # no pixel centre in this band
                # plane of the triangle (world), oriented by the original winding (outward)
                ax = vertices[ia, 0]
                ay = vertices[ia, 1]
                az = vertices[ia, 2]
                e1x = vertices[ib, 0] - ax
                e1y = vertices[ib, 1] - ay
                e1z = vertices[ib, 2] - az
                e2x = vertices[ic, 0] - ax
                e2y = vertices[ic, 1] - ay
                e2z = vertices[ic, 2] - az
                nx = e1y * e2z - e1z * e2y
                ny = e1z * e2x - e1x * e2z
                nz = e1x * e2y - e1y * e2x
                num = nx * (ax - source[0]) + ny * (ay - source[1]) + nz * (az - source[2])
                if num == 0.0:
                    continue
                leaving = num > 0.0
                sign = 1.0 if leaving else -1.0
                nu = nx * u[0] + ny * u[1] + nz * u[2]
                nv = nx * v[0] + ny * v[1] + nz * v[2]
                nw = (nx * beam[0] + ny * beam[1] + nz * beam[2]) * sid
                cp = chan_plus[s]
                cm = chan_minus[s]
                # the three edges in canonical form (see voxelize._edge): the same two endpoints
                # give bitwise-opposite values in both triangles sharing them
                px_a, py_a, ex_a, ey_a, sg_a, tie_a = _canonical(x1, y1, x2, y2)
                px_b, py_b, ex_b, ey_b, sg_b, tie_b = _canonical(x2, y2, x0, y0)
                px_c, py_c, ex_c, ey_c, sg_c, tie_c = _canonical(x0, y0, x1, y1)
                m01 = _slope(y0, x1, y1, x0)
                m12 = _slope(y1, x2, y2, x1)
                m20 = _slope(y2, x0, y0, x2)
                for j in range(j_lo, j_hi + 1):
                    py = float(j)
                    b_mm = (py - centre) * pitch
                    # columns where this row meets the triangle, widened by SPAN_MARGIN_PX (far
                    # above the rounding of the crossings): the exact edge tests below still
                    # decide every pixel, this only skips the bounding box's empty corners
                    xa = _row_x(x0, y0, y1, m01, py)
                    xb = _row_x(x1, y1, y2, m12, py)
                    xc = _row_x(x2, y2, y0, m20, py)
                    s_lo = min(xa, xb, xc)
                    s_hi = max(-xa if xa == 1e30 else xa, -xb if xb == 1e30 else xb,
                               -xc if xc == 1e30 else xc)
                    r0 = max(i_lo, int(math.ceil(s_lo - SPAN_MARGIN_PX)))
                    r1 = min(i_hi, int(math.floor(s_hi + SPAN_MARGIN_PX)))
                    # columns surely inside: more than SPAN_MARGIN_PX from both crossings
                    # on a row as far from every vertex (so no edge meeting it is near
                    # horizontal and its crossing is well conditioned); the exact tests
                    # decide the rest (s_lo, s_hi are 1e30 when no edge reaches the row)
                    sure0 = r1 + 1
                    sure1 = r1
                    if (abs(py - y0) > SPAN_MARGIN_PX and abs(py - y1) > SPAN_MARGIN_PX
                            and abs(py - y2) > SPAN_MARGIN_PX and s_hi - s_lo > 0.0):
                        sure0 = int(math.ceil(s_lo + SPAN_MARGIN_PX))
                        sure1 = int(math.floor(s_hi - SPAN_MARGIN_PX))
                    ty_a = ex_a * (py - py_a)
                    ty_b = ex_b * (py - py_b)
                    ty_c = ex_c * (py - py_c)
                    for i in range(r0, r1 + 1):
                        px = float(i)
                        if i < sure0 or i > sure1:
                            w = sg_a * (ty_a - ey_a * (px - px_a))
                            if w < 0.0 or (w == 0.0 and not tie_a):
                                continue
                            w = sg_b * (ty_b - ey_b * (px - px_b))
                            if w < 0.0 or (w == 0.0 and not tie_b):
                                continue
                            w = sg_c * (ty_c - ey_c * (px - px_c))
                            if w < 0.0 or (w == 0.0 and not tie_c):
                                continue
                        p = j * size + i
                        if mode == 1:
                            counts[p] += 1
                            continue
                        a_mm = (px - centre) * pitch
                        den = nu * a_mm + nv * b_mm + nw
                        if den == 0.0:
                            continue
                        t = num / den * ray_mm[j, i] - sic
                        if mode == 0:
                            if cp >= 0:
                                out_len[cp, j, i] += sign * t
                            if cm >= 0:
                                out_len[cm, j, i] -= sign * t
                        else:
                            q = offsets[p] + counts[p]
                            hit_t[q] = t
                            hit_code[q] = 2 * s + (1 if leaving else 0)
                            counts[p] += 1


@numba.njit(cache=True, parallel=True, nogil=True)
def sweep(size, offsets, hit_t, hit_code, rank, chan, n_struct, max_hits, out_len):
    """Sort each pixel's hits along the ray and give every segment to the open structure of
    highest ``rank``; adds segment lengths to ``out_len[chan[winner]]``.

    Unmatched exits (open surfaces) are ignored and structures still open after the last hit
    end there, so a broken mesh cannot produce negative or runaway lengths.
    """
    for j in prange(size):
        depth = np.zeros(n_struct, np.int32)
        open_list = np.empty(n_struct, np.int32)
        ts = np.empty(max(max_hits, 1), np.float32)
        cs = np.empty(max(max_hits, 1), np.int32)
        for i in range(size):
            p = j * size + i
            lo = offsets[p]
            n = offsets[p + 1] - lo
            if n < 2:
                continue
            for k in range(n):  # insertion sort by distance
                t = hit_t[lo + k]
                c = hit_code[lo + k]
                m = k
                while m > 0 and ts[m - 1] > t:
                    ts[m] = ts[m - 1]
                    cs[m] = cs[m - 1]
                    m -= 1
                ts[m] = t
                cs[m] = c
            # hits within TIE_MM are simultaneous: take entries first, so a ray grazing a
            # surface (in and out at one point) or crossing a shared interface never leaves
            # a structure open by the order rounding happened to give
            k = 0
            while k < n:
                m = k + 1
                while m < n and ts[m] - ts[m - 1] <= TIE_MM:
                    m += 1
                if m - k > 1:
                    lo_ = k
                    for q in range(k, m):
                        if not cs[q] & 1:
                            tq, cq = ts[q], cs[q]
                            for r in range(q, lo_, -1):
                                ts[r] = ts[r - 1]
                                cs[r] = cs[r - 1]
                            ts[lo_] = tq
                            cs[lo_] = cq
                            lo_ += 1
                k = m
            n_open = 0
            winner = -1
            prev = ts[0]
            for k in range(n):
                t = ts[k]
                if winner >= 0:
                    out_len[chan[winner], j, i] += t - prev
                prev = t
                s = cs[k] >> 1
                if cs[k] & 1:  # leaving
                    if depth[s] == 0:
                        continue
                    depth[s] -= 1
                    if depth[s] == 0:
                        for m in range(n_open):
                            if open_list[m] == s:
                                open_list[m] = open_list[n_open - 1]
                                n_open -= 1
                                break
                else:
                    depth[s] += 1
                    if depth[s] == 1:
                        open_list[n_open] = s
                        n_open += 1
                winner = -1
                for m in range(n_open):
                    if winner < 0 or rank[open_list[m]] > rank[winner]:
                        winner = open_list[m]
            for m in range(n_open):
                depth[open_list[m]] = 0


@numba.njit(cache=True, parallel=True, nogil=True)
def finish(lengths, mu, max_mm, line):
    """Clamp path lengths to ``[0, max_mm]`` in place and write ``line = sum_m mu_m L_m``
    (rows in parallel; each pixel sums its channels in channel order)."""
    nc, h, w = lengths.shape
    for j in prange(h):
        line[j, :] = 0.0
        for c in range(nc):
            m = mu[c]
            for i in range(w):
                v = lengths[c, j, i]
                if v < 0.0:
                    v = 0.0
                elif v > max_mm:
                    v = max_mm
                lengths[c, j, i] = v
                line[j, i] += m * v


@lru_cache(maxsize=4)
def _ray_lengths(size: int, pitch: float, sid: float) -> np.ndarray:
    """:func:`ray_lengths`, kept per detector geometry (read-only)."""
    out = ray_lengths(size, pitch, sid)
    out.setflags(write=False)
    return out


def path_lengths(vertices, faces, owner, chan_plus, chan_minus, rank, chan, n_channels,
                 projection, method: str = "linear") -> np.ndarray:
    """Path length per channel ``(n_channels, size, size) float32``, mm (not yet clamped).

    ``vertices (n, 3) float64``, ``faces (m, 3) int32``, ``owner (m,) int32``; per structure
    ``chan_plus``/``chan_minus`` (linear mode), ``rank`` and ``chan`` (sweep mode).
    """
    pr = projection
    size = pr.size
    xy, depth = project_vertices(vertices, pr.source_mm, pr.u, pr.v, pr.beam, pr.focal_px,
                                 pr.centre_px)
    band_start, band_tris = bin_triangles(xy, depth, faces, size, BAND_ROWS)
    out = np.zeros((n_channels, size, size), np.float32)
    common = (xy, vertices, faces, owner, band_start, band_tris, BAND_ROWS, size, pr.source_mm,
              pr.u, pr.v, pr.beam, pr.pixel_mm, pr.sid_mm, pr.sic_mm,
              _ray_lengths(size, float(pr.pixel_mm), float(pr.sid_mm)))
    empty_i = np.zeros(1, np.int32)
    empty_o = np.zeros(2, np.int64)
    empty_t = np.zeros(1, np.float32)
    if method == "linear":
        rasterise(0, *common, chan_plus, chan_minus, out, empty_i, empty_o, empty_t, empty_i)
    elif method == "sweep":
        counts = np.zeros(size * size, np.int32)
        rasterise(1, *common, chan_plus, chan_minus, out, counts, empty_o, empty_t, empty_i)
        offsets = np.zeros(size * size + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        hit_t = np.empty(int(offsets[-1]), np.float32)
        hit_code = np.empty(int(offsets[-1]), np.int32)
        max_hits = int(counts.max()) if counts.size else 0
        counts[:] = 0
        rasterise(2, *common, chan_plus, chan_minus, out, counts, offsets, hit_t, hit_code)
        sweep(size, offsets, hit_t, hit_code, rank, chan, len(rank), max_hits, out)
    else:
        raise ValueError(f"unknown method {method!r}; use 'linear' or 'sweep'")
    return out
