"""Where each scanline crosses the anatomy: mesh slicing by the elevation sub-surfaces.

The beam is a slab, not a plane. It is sampled by ``K`` sub-surfaces ``y = u_k * W(depth)``
(``W`` = slice thickness, ``u_k`` from ``params.SUBPLANE_U``), which curve with the lens
focus. Every triangle of every structure is cut by each sub-surface into a 2-D segment in
the probe's (x, z) plane, and each segment is intersected with the scanlines it spans. The
result per (sub-surface, line) is the sorted list of surface crossings: depth, structure,
entering or leaving, the cosine between the beam and the smooth surface normal, and how
steeply the surface's depth changes across the slab (its elevation slope), with which the
line walk spreads each sub-surface's echo over the depths its strip of the slab sees.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from simulator.imaging.ultrasound import params as P
from simulator.imaging.ultrasound.scan import ScanGeometry, shift_at
from simulator.world import World

MAX_HITS = 96          # crossings kept per (sub-surface, line)
ABOVE_FACE_MM = 25.0   # crossings this far above the face still count (skin entry, contact)
CHUNK = 16             # triangles per culling chunk (neighbours in space: Morton order)
MAX_SLOPE = 10.0       # a surface this steep across the slab spreads its echo very wide


@dataclass(frozen=True, eq=False)
class MeshArrays:
    """All structures as one triangle soup with smooth normals.

    Attributes
    ----------
    vertices, normals : (nv, 3) float64     world mm, unit outward vertex normals (the
                                            vertices faces use, in the faces' order)
    faces : (nf, 3) int64                   indices into ``vertices``, in Morton order of
                                            their centroids (neighbours in space together)
    label : (nf,) int32                     structure label (1-based) of each triangle
    crease : (nf,) bool                     a vertex normal differs from the face normal by
                                            more than 30 deg: use the flat normal there
    chunk_lo, chunk_hi : (nc, 3) float64    bounding box of each run of ``CHUNK`` faces, so
                                            a probe pose visits only the chunks its slab cuts
    """

    vertices: np.ndarray
    normals: np.ndarray
    faces: np.ndarray
    label: np.ndarray
    crease: np.ndarray
    chunk_lo: np.ndarray
    chunk_hi: np.ndarray


@lru_cache(maxsize=8)
def mesh_arrays(world: World) -> MeshArrays:
    """The anatomy of ``world`` as flat arrays (cached per world)."""
    vs, ns, fs, ls = [], [], [], []
    offset = 0
    for s, vn in zip(world.anatomy.structures, world.vertex_normals, strict=True):
        vs.append(s.vertices)
        ns.append(vn)
        fs.append(s.faces + offset)
        ls.append(np.full(len(s.faces), s.index, np.int32))
        offset += len(s.vertices)
    v = np.ascontiguousarray(np.concatenate(vs), np.float64)
    vn = np.ascontiguousarray(np.concatenate(ns), np.float64)
    f = np.concatenate(fs).astype(np.int64)
    tri = v[f]                                     # (nf, 3 corners, 3)
    order = _morton_order(tri.mean(1))
    f = f[order]
    tri = tri[order]
    # vertices renumbered in the order the sorted faces first use them, so a pose's
    # candidate faces read neighbouring vertices (far fewer cache misses than the
    # structures' own numbering)
    used, first_use = np.unique(f.ravel(), return_index=True)
    v_order = used[np.argsort(first_use)]
    new_index = np.empty(len(v), np.int64)
    new_index[v_order] = np.arange(len(v_order))
    v = np.ascontiguousarray(v[v_order])
    vn = np.ascontiguousarray(vn[v_order])
    f = np.ascontiguousarray(new_index[f])
    n_chunks = -(-len(f) // CHUNK)
    pad = n_chunks * CHUNK - len(f)
    lo = np.concatenate([tri.min(1), np.repeat(tri[-1:].min(1), pad, 0)])
    hi = np.concatenate([tri.max(1), np.repeat(tri[-1:].max(1), pad, 0)])
    lo = lo.reshape(n_chunks, CHUNK, 3).min(1)
    hi = hi.reshape(n_chunks, CHUNK, 3).max(1)
    return MeshArrays(v, vn, f, np.concatenate(ls)[order],
                      np.concatenate(world.creases)[order], lo, hi)


def _morton_order(points: np.ndarray) -> np.ndarray:
    """Indices sorting ``points`` (n, 3) along a Z-order curve (10 bits per axis)."""
    lo, hi = points.min(0), points.max(0)
    q = ((points - lo) / np.maximum(hi - lo, 1e-9) * 1023.0).astype(np.uint32)
    code = np.zeros(len(points), np.uint32)
    for axis in range(3):   # bit b of an axis goes to bit 3 b + axis
        code |= _spread_bits(q[:, axis]) << np.uint32(axis)
    return np.argsort(code, kind="stable")


def _spread_bits(x: np.ndarray) -> np.ndarray:
    """10-bit integers ``(n,) uint32`` with two zero bits after each bit (bit b -> 3 b)."""
    x = x & np.uint32(0x3FF)
    for shift, mask in ((16, 0x030000FF), (8, 0x0300F00F), (4, 0x030C30C3), (2, 0x09249249)):
        x = (x | (x << np.uint32(shift))) & np.uint32(mask)
    return x


@dataclass(frozen=True, eq=False)
class Hits:
    """Surface crossings per sub-surface and scanline, sorted by depth.

    Attributes
    ----------
    depth_mm : (K, n_lines, MAX_HITS) float64   depth along the line (world, before contact
                                                compression, less the line's contact shift)
    label : (K, n_lines, MAX_HITS) int32        structure crossed
    entering : (K, n_lines, MAX_HITS) bool      True where the line enters the structure
    cos : (K, n_lines, MAX_HITS) float64        |cos| between beam and smooth normal
    slope : (K, n_lines, MAX_HITS) float64      |d depth / d elevation| of the surface
                                                (mm per mm, capped at ``MAX_SLOPE``)
    count : (K, n_lines) int64
    """

    depth_mm: np.ndarray
    label: np.ndarray
    entering: np.ndarray
    cos: np.ndarray
    slope: np.ndarray
    count: np.ndarray


def slice_scene(mesh: MeshArrays, probe_from_world: np.ndarray, geom: ScanGeometry) -> Hits:
    """All crossings of the scanlines with the anatomy for one probe pose (at the depths
    along each line less its contact shift, ``geom.line_shift_mm``)."""
    u = np.asarray(P.SUBPLANE_U, np.float64)
    shift = np.ascontiguousarray(geom.line_shift_mm, np.float64)
    s_max = geom.max_shift_mm
    # a rocked probe's lines may settle deeper still (``lines.settle_on_skin``)
    reach = geom.max_depth_mm + 2.0 + (P.MAX_SETTLE_MM if geom.base is not None else 0.0)
    w0, zf, zr = geom.elevation_args()
    rot = np.ascontiguousarray(probe_from_world[:3, :3])
    off = np.ascontiguousarray(probe_from_world[:3, 3])
    # cull with the image's box in probe x and z (linear in the vertices, so exact for a
    # triangle of any size; polar depth and angle are not)
    if geom.curved:
        x_half = (geom.radius_mm + reach + s_max) * math.sin(
            geom.line_lateral[-1])
        z_lo = geom.radius_mm * (math.cos(geom.line_lateral[-1]) - 1.0) - ABOVE_FACE_MM
    else:
        x_half = geom.line_lateral[-1] + 2.0 * geom.line_step
        z_lo = -ABOVE_FACE_MM
    z_hi = reach + s_max
    # the outermost sub-surface at a chunk's depths bounds them all (the slice thickness
    # grows away from its focus: its largest value is at the nearest or farthest depth)
    cand = _chunk_faces(mesh.chunk_lo, mesh.chunk_hi, rot, off, -x_half, x_half,
                        float(np.abs(u).max()), w0, zf, zr, geom.radius_mm, z_lo, z_hi,
                        len(mesh.faces), s_max)
    vp, vn, vw, stamp, pose = _vertex_scratch(len(mesh.vertices))
    _vertices_to_probe(mesh.vertices, mesh.normals, mesh.faces, cand, rot, off, geom.curved,
                       geom.radius_mm, w0, zf, zr, vp, vn, vw, stamp, pose, shift,
                       float(geom.line_lateral[0]), geom.line_step, s_max > 0.0)
    counts = np.empty(len(cand), np.int64)
    _count_crossings(mesh.faces, cand, vp, vw, u, -x_half, x_half, z_lo, z_hi, counts)
    starts = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=starts[1:])
    n_seg = int(starts[-1])
    seg_k = np.empty(n_seg, np.int64)
    seg_lab = np.empty(n_seg, np.int32)
    seg_geo = np.empty((n_seg, 13))
    _write_segments(mesh.faces, cand, mesh.label, mesh.crease, vp, vn, vw, u, counts, starts,
                    seg_k, seg_lab, seg_geo)
    k_n, n_lines = len(u), geom.n_lines
    depth = np.empty((k_n, n_lines, MAX_HITS))
    label = np.empty((k_n, n_lines, MAX_HITS), np.int32)
    entering = np.empty((k_n, n_lines, MAX_HITS), np.bool_)
    cos = np.empty((k_n, n_lines, MAX_HITS))
    slope = np.empty((k_n, n_lines, MAX_HITS))
    count = np.zeros((k_n, n_lines), np.int64)
    _segments_to_hits(seg_k, seg_lab, seg_geo, geom.curved, geom.radius_mm,
                      float(geom.line_lateral[0]), geom.line_step, n_lines, -ABOVE_FACE_MM,
                      reach, shift, depth, label, entering, cos, slope,
                      count)
    _sort_hits(depth, label, entering, cos, slope, count)
    return Hits(depth, label, entering, cos, slope, count)


_SCRATCH = threading.local()


def _vertex_scratch(nv: int):
    """Probe-frame vertex arrays ``(vp (nv, 3), vn (nv, 3), vw (nv,))``, reused by this
    thread (only the candidate faces' vertices are written and read each pose, so nothing
    needs clearing), the pose ``stamp (nv,)`` of each vertex's last transform and this
    pose's number: a vertex shared by several candidate faces is transformed once."""
    arrays = getattr(_SCRATCH, "arrays", None)
    if arrays is None or len(arrays[2]) < nv:
        arrays = _SCRATCH.arrays = (np.empty((nv, 3)), np.empty((nv, 3)), np.empty(nv),
                                    np.zeros(nv, np.int64))
        _SCRATCH.pose = 0
    _SCRATCH.pose += 1
    return (*arrays, _SCRATCH.pose)


@numba.njit(cache=True, nogil=True)
def _chunk_faces(lo, hi, rot, off, x_lo, x_hi, u_max, w0, zf, zr, radius, z_lo, z_hi, nf,
                 s_max):
    """Faces of the chunks whose bounding box reaches into the image's box in x and z and
    into the slab ``|y| <= u_max * W(depth)`` over the box's own depth range (probe
    frame; ``radius`` 0 for a linear array; the beam at a depth less up to ``s_max`` of
    contact shift)."""
    out = np.empty(nf, np.int64)
    m = 0
    centre = np.empty(3)
    reach = np.empty(3)
    for c in range(lo.shape[0]):
        for a in range(3):
            centre[a] = off[a]
            reach[a] = 0.0
            for e in range(3):
                centre[a] += rot[a, e] * 0.5 * (lo[c, e] + hi[c, e])
                reach[a] += abs(rot[a, e]) * 0.5 * (hi[c, e] - lo[c, e])
        if centre[0] + reach[0] < x_lo or centre[0] - reach[0] > x_hi:
            continue
        if centre[2] + reach[2] < z_lo or centre[2] - reach[2] > z_hi:
            continue
        # depth range of the box: at least its nearest z, at most its farthest corner
        d0 = centre[2] - reach[2]
        d1 = centre[2] + reach[2]
        if radius > 0.0:  # polar depth: hypot(x, z + R) - R, never below z
            zc = max(abs(d0 + radius), abs(d1 + radius))
            d1 = math.hypot(abs(centre[0]) + reach[0], zc) - radius
        off_focus = max(abs(d0 - s_max - zf), abs(d1 - zf))
        y_half = u_max * w0 * math.sqrt(1.0 + (off_focus / zr) ** 2) + 1e-6
        if centre[1] + reach[1] < -y_half or centre[1] - reach[1] > y_half:
            continue
        for f in range(c * CHUNK, min((c + 1) * CHUNK, nf)):
            out[m] = f
            m += 1
    return out[:m]


@numba.njit(cache=True, nogil=True)
def _vertices_to_probe(v, n, faces, cand, rot, off, curved, radius, w0, zf, zr, vp, vn, vw,
                       stamp, pose, shift, lat0, step, shifted):
    """Probe-frame position, normal and slice thickness of the candidate faces' vertices
    (the others are left unset); ``stamp`` marks the vertices done for ``pose``. The slice
    thickness is the beam's at the vertex's depth on its line less that line's ``shift``."""
    for c in range(cand.shape[0]):
        for corner in range(3):
            i = faces[cand[c], corner]
            if stamp[i] == pose:
                continue
            stamp[i] = pose
            for a in range(3):
                vp[i, a] = (rot[a, 0] * v[i, 0] + rot[a, 1] * v[i, 1] + rot[a, 2] * v[i, 2]
                            + off[a])
                vn[i, a] = rot[a, 0] * n[i, 0] + rot[a, 1] * n[i, 1] + rot[a, 2] * n[i, 2]
            if curved:
                zc = vp[i, 2] + radius
                d = math.sqrt(vp[i, 0] * vp[i, 0] + zc * zc) - radius
            else:
                d = vp[i, 2]
            if shifted:
                lat = math.atan2(vp[i, 0], vp[i, 2] + radius) if curved else vp[i, 0]
                d -= shift_at(shift, (lat - lat0) / step)
            vw[i] = w0 * math.sqrt(1.0 + ((d - zf) / zr) ** 2)


@numba.njit(cache=True, inline="always")
def _side(y, w, u):
    return y - u * w >= 0.0


@numba.njit(cache=True, nogil=True)
def _count_crossings(faces, cand, vp, vw, u, x_lo, x_hi, z_lo, z_hi, counts):
    for fc in range(cand.shape[0]):
        f = cand[fc]
        a, b, c = faces[f, 0], faces[f, 1], faces[f, 2]
        counts[fc] = 0
        if max(vp[a, 0], vp[b, 0], vp[c, 0]) < x_lo or min(vp[a, 0], vp[b, 0], vp[c, 0]) > x_hi:
            continue
        if max(vp[a, 2], vp[b, 2], vp[c, 2]) < z_lo or min(vp[a, 2], vp[b, 2], vp[c, 2]) > z_hi:
            continue
        n = 0
        for k in range(u.shape[0]):
            sa = _side(vp[a, 1], vw[a], u[k])
            sb = _side(vp[b, 1], vw[b], u[k])
            sc = _side(vp[c, 1], vw[c], u[k])
            if not (sa == sb and sb == sc):
                n += 1
        counts[fc] = n


@numba.njit(cache=True, nogil=True)
def _write_segments(faces, cand, labels, crease, vp, vn, vw, u, counts, starts, seg_k,
                    seg_lab, seg_geo):
    """Segment record: x1, z1, x2, z2, n1 (3), n2 (3), flat normal (3)."""
    for fc in range(cand.shape[0]):
        if counts[fc] == 0:
            continue
        f = cand[fc]
        idx = (faces[f, 0], faces[f, 1], faces[f, 2])
        # flat normal in the probe frame
        e1x = vp[idx[1], 0] - vp[idx[0], 0]
        e1y = vp[idx[1], 1] - vp[idx[0], 1]
        e1z = vp[idx[1], 2] - vp[idx[0], 2]
        e2x = vp[idx[2], 0] - vp[idx[0], 0]
        e2y = vp[idx[2], 1] - vp[idx[0], 1]
        e2z = vp[idx[2], 2] - vp[idx[0], 2]
        fx = e1y * e2z - e1z * e2y
        fy = e1z * e2x - e1x * e2z
        fz = e1x * e2y - e1y * e2x
        out = starts[fc]
        for k in range(u.shape[0]):
            g0 = vp[idx[0], 1] - u[k] * vw[idx[0]]
            g1 = vp[idx[1], 1] - u[k] * vw[idx[1]]
            g2 = vp[idx[2], 1] - u[k] * vw[idx[2]]
            s0, s1, s2 = g0 >= 0.0, g1 >= 0.0, g2 >= 0.0
            if s0 == s1 and s1 == s2:
                continue
            m = 0
            for e in range(3):
                p = idx[e]
                q = idx[(e + 1) % 3]
                gp = g0 if e == 0 else (g1 if e == 1 else g2)
                gq = g1 if e == 0 else (g2 if e == 1 else g0)
                if (gp >= 0.0) == (gq >= 0.0):
                    continue
                t = gp / (gp - gq)
                base = 0 if m == 0 else 2
                seg_geo[out, base] = vp[p, 0] + t * (vp[q, 0] - vp[p, 0])
                seg_geo[out, base + 1] = vp[p, 2] + t * (vp[q, 2] - vp[p, 2])
                nb = 4 if m == 0 else 7
                for a in range(3):
                    if crease[f]:
                        seg_geo[out, nb + a] = (fx, fy, fz)[a]
                    else:
                        seg_geo[out, nb + a] = vn[p, a] + t * (vn[q, a] - vn[p, a])
                m += 1
                if m == 2:
                    break
            seg_geo[out, 10] = fx
            seg_geo[out, 11] = fy
            seg_geo[out, 12] = fz
            seg_k[out] = k
            seg_lab[out] = labels[f]
            out += 1


@numba.njit(cache=True, nogil=True)
def _segments_to_hits(seg_k, seg_lab, seg_geo, curved, radius, lat0, step, n_lines, d_lo,
                      d_hi, shift, depth, label, entering, cos, slope, count):
    # each line's direction, once per line rather than once per crossing
    line_ux = np.empty(n_lines)
    line_uz = np.empty(n_lines)
    for i in range(n_lines):
        lat = lat0 + i * step
        line_ux[i] = math.sin(lat)
        line_uz[i] = math.cos(lat)
    for s in range(seg_k.shape[0]):
        k = seg_k[s]
        x1, z1, x2, z2 = seg_geo[s, 0], seg_geo[s, 1], seg_geo[s, 2], seg_geo[s, 3]
        if curved:
            a1 = math.atan2(x1, z1 + radius)
            a2 = math.atan2(x2, z2 + radius)
        else:
            a1, a2 = x1, x2
        lo, hi = min(a1, a2), max(a1, a2)
        i0 = max(int(math.ceil((lo - lat0) / step)), 0)
        i1 = min(int(math.ceil((hi - lat0) / step)) - 1, n_lines - 1)
        for i in range(i0, i1 + 1):
            lat = lat0 + i * step
            if curved:
                ux, uz = line_ux[i], line_uz[i]
                g1 = ux * (z1 + radius) - uz * x1
                g2 = ux * (z2 + radius) - uz * x2
                if g1 == g2:
                    continue
                t = g1 / (g1 - g2)
                x = x1 + t * (x2 - x1)
                z = z1 + t * (z2 - z1)
                d = ux * x + uz * (z + radius) - radius
            else:
                ux, uz = 0.0, 1.0
                if x1 == x2:
                    continue
                t = (lat - x1) / (x2 - x1)
                d = z1 + t * (z2 - z1)
            d -= shift[i]
            if d < d_lo or d > d_hi or t < -1e-9 or t > 1.0 + 1e-9:
                continue
            nx = seg_geo[s, 4] + t * (seg_geo[s, 7] - seg_geo[s, 4])
            ny = seg_geo[s, 5] + t * (seg_geo[s, 8] - seg_geo[s, 5])
            nz = seg_geo[s, 6] + t * (seg_geo[s, 9] - seg_geo[s, 6])
            nn = math.sqrt(nx * nx + ny * ny + nz * nz)
            c = abs(nx * ux + nz * uz) / nn if nn > 0.0 else 1.0
            # along the line the surface satisfies n.u dd + n_y dy = 0
            n_u = abs(nx * ux + nz * uz)
            sl = abs(ny) / n_u if n_u * MAX_SLOPE > abs(ny) else MAX_SLOPE
            m = count[k, i]
            if m >= depth.shape[2]:
                continue
            depth[k, i, m] = d
            label[k, i, m] = seg_lab[s]
            entering[k, i, m] = seg_geo[s, 10] * ux + seg_geo[s, 12] * uz < 0.0
            cos[k, i, m] = min(c, 1.0)
            slope[k, i, m] = sl
            count[k, i] = m + 1


@numba.njit(cache=True, nogil=True)
def _sort_hits(depth, label, entering, cos, slope, count):
    k_n, n_lines = count.shape
    for kl in range(k_n * n_lines):
        k = kl // n_lines
        i = kl % n_lines
        n = count[k, i]
        for a in range(1, n):
            d, lab, ent, c = depth[k, i, a], label[k, i, a], entering[k, i, a], cos[k, i, a]
            sl = slope[k, i, a]
            b = a - 1
            # ties: leaving before entering, so shared interfaces read "leave A, enter B"
            while b >= 0 and (depth[k, i, b] > d or (depth[k, i, b] == d and entering[k, i, b]
                                                      and not ent)):
                depth[k, i, b + 1] = depth[k, i, b]
                label[k, i, b + 1] = label[k, i, b]
                entering[k, i, b + 1] = entering[k, i, b]
                cos[k, i, b + 1] = cos[k, i, b]
                slope[k, i, b + 1] = slope[k, i, b]
                b -= 1
            depth[k, i, b + 1] = d
            label[k, i, b + 1] = lab
            entering[k, i, b + 1] = ent
            cos[k, i, b + 1] = c
            slope[k, i, b + 1] = sl
