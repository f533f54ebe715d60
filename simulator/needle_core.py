"""Compiled needle-tissue core: tissue lookup along the needle, surface crossings and the
membrane / bone loop of one advance, for the per-tick hot path of ``simulator.needle``.

Every function computes exactly what the NumPy formulation in ``simulator.anatomy.model``
and ``simulator.needle`` computes, operation for operation (NumPy's 3-vector dot product is
``np.dot`` here too, norms are ``sqrt(dot)``, sums keep their order), so logs recorded with
either replay identically. Kernels are cached on disk (``cache=True``).

Crossings come back as three parallel arrays ``(t_mm (h,), structure (h,), entering (h,))``;
an advance's events as ``(kind, structure)`` rows with the kinds below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from simulator.anatomy.raycast import MAX_HITS, _walk
from simulator.jit_vectors import cross

LEFT, ENTERED, BONE = 0, 1, 2          # event kinds of an advance
PENETRABLE, PUNCTURE_MM, DEFLECTION = 0, 1, 2   # columns of the mechanics table
MAX_EVENTS = 8 * (MAX_HITS + 2)  # 8 membrane steps, each all its crossings + 2


@dataclass(frozen=True, eq=False)
class TissueCore:
    """The arrays the kernels read, gathered once per world.

    Attributes
    ----------
    mechanics : (labels + 1, 3) float64
        Per label (row 0 = outside): penetrable (1/0), puncture_mm, deflection_scale.
    labels : (nx, ny, nz) uint8
        Label volume, bit 0x80 set where a voxel is not certainly one structure.
    origin_mm : (3,) float64, spacing_mm : float
        Label volume placement.
    grid : tuple
        ``TriangleGrid._args()`` plus the triangles' ``normal (m, 3)`` and ``owner (m,)``.
    classify_dir : (3,) float64
        Direction of the exact point-classification ray (``Anatomy.exact_label_at``).
    """

    mechanics: np.ndarray
    labels: np.ndarray
    origin_mm: np.ndarray
    spacing_mm: float
    grid: tuple
    classify_dir: np.ndarray

    @classmethod
    def of(cls, anatomy, tissue_of) -> TissueCore:
        from simulator.anatomy.model import _CLASSIFY_DIR

        mech = np.zeros((len(tissue_of), 3))
        for label, tissue in enumerate(tissue_of):
            if tissue is not None:
                m = tissue.mechanical
                mech[label] = (float(m.penetrable), m.puncture_mm, m.deflection_scale)
        tri = anatomy.triangles
        grid = (*tri._args(), tri.normal, tri.owner)
        return cls(mech, np.asarray(anatomy.labels), np.asarray(anatomy._origin, float),
                   float(anatomy._h), grid, np.asarray(_CLASSIFY_DIR, float))

    def label_at(self, point_mm) -> int:
        """As ``Anatomy.label_at``."""
        return int(_label_at(np.asarray(point_mm, float), self.labels, self.origin_mm,
                             self.spacing_mm, self.classify_dir, *self.grid))

    def crossings(self, start_mm, end_mm):
        """As ``Anatomy.segment_crossings``: ``(t_mm, structure, entering)`` arrays."""
        t = np.empty(MAX_HITS)
        s = np.empty(MAX_HITS, np.int64)
        e = np.empty(MAX_HITS, np.bool_)
        n = _crossings(np.asarray(start_mm, float), np.asarray(end_mm, float), *self.grid,
                       t, s, e)
        return t[:n], s[:n], e[:n]

    def retract(self, tip, entry, shaft, depth_mm: float):
        """The crossings (as :meth:`crossings`) from ``tip`` back to ``depth_mm`` along the
        ``shaft`` from ``entry``, and the label at that new tip (``simulator.needle.retract``)."""
        t = np.empty(MAX_HITS)
        s = np.empty(MAX_HITS, np.int64)
        e = np.empty(MAX_HITS, np.bool_)
        label = np.empty(1, np.int64)
        n = _retract(np.asarray(tip, float), np.asarray(entry, float),
                     np.asarray(shaft, float), float(depth_mm), self.labels, self.origin_mm,
                     self.spacing_mm, self.classify_dir, *self.grid, t, s, e, label)
        return (t[:n], s[:n], e[:n]), int(label[0])

    def turn(self, shaft, yaw_rad: float, pitch_rad: float) -> np.ndarray:
        """The unit ``shaft`` (3,) turned by ``yaw_rad`` and ``pitch_rad`` (3,)."""
        return _turn(np.asarray(shaft, float), float(yaw_rad), float(pitch_rad))

    def steer(self, shaft, heading, entry, tip, depth_mm: float, yaw_rad: float,
              pitch_rad: float):
        """``simulator.needle.steer`` of a needle in tissue: the shaft pivoted about the
        entry by ``yaw_rad``, ``pitch_rad``. Returns ``None`` when the tip would sweep into
        bone, else ``(direction (3,), heading (3,) or None, label at the new tip,
        crossings)`` with the crossings as :meth:`crossings` gives them."""
        out = np.empty(7)
        t = np.empty(MAX_HITS)
        s = np.empty(MAX_HITS, np.int64)
        e = np.empty(MAX_HITS, np.bool_)
        bend = np.empty(0) if heading is None else np.asarray(heading, float)
        m = _steer(np.asarray(shaft, float), bend, np.asarray(entry, float),
                   np.asarray(tip, float), float(depth_mm), float(yaw_rad), float(pitch_rad),
                   self.mechanics, out, self.labels, self.origin_mm, self.spacing_mm,
                   self.classify_dir, *self.grid, t, s, e)
        if m < 0:
            return None
        return (out[0:3], None if heading is None else out[3:6], int(out[6]),
                (t[:m], s[:m], e[:m]))

    def advance(self, tip, heading, entry, shaft, bevel_rad: float, remaining_mm: float,
                tent_mm: float, curvature_per_mm: float, stop_gap_mm: float,
                max_heading_cos: float):
        """``simulator.needle.advance`` once the tip is in tissue: the bevel's direction
        (``needle.bevel_direction``), the membrane loop, and where the needle settles.

        ``tip``, ``heading`` (3,) are updated in place. Returns ``(tent_mm, events, depth_mm,
        direction, label)``: ``events`` ``(k, 2) int64`` rows of ``(kind, structure)``; the
        shaft's new unit ``direction`` (3,) from ``entry`` to the tip (``None`` when the tip
        is at the entry); ``label`` the structure holding the tip.
        """
        events = np.empty((MAX_EVENTS, 2), np.int64)
        state = np.array([remaining_mm, tent_mm])
        settled = np.empty(5)
        n = _advance_needle(tip, heading, np.asarray(entry, float), np.asarray(shaft, float),
                            float(bevel_rad), state, curvature_per_mm, stop_gap_mm,
                            max_heading_cos, self.mechanics, events, settled, self.labels,
                            self.origin_mm, self.spacing_mm, self.classify_dir, *self.grid)
        direction = settled[2:] if settled[1] > 1e-9 else None
        return float(state[1]), events[:n], float(settled[1]), direction, int(settled[0])


@numba.njit(cache=True)
def _norm(v):
    return math.sqrt(np.dot(v, v))


@numba.njit(cache=True)
def _exact_label(p, direction, origin, cell, dims, cell_start, cell_tris, v0, e1, e2, normal,
                 owner):
    t = np.empty(MAX_HITS)
    f = np.empty(MAX_HITS, np.int64)
    n = _walk(p, direction, 1e4, origin, cell, dims, cell_start, cell_tris, v0, e1, e2, t, f,
              True)
    if n == 0:
        return 0
    t_min = t[:n].min()
    for k in range(n):
        if t[k] <= t_min + 1e-6 and np.dot(normal[f[k]], direction) > 0.0:
            return owner[f[k]] + 1
    return 0


@numba.njit(cache=True)
def _label_at(p, labels, vol_origin, h, direction, origin, cell, dims, cell_start, cell_tris,
              v0, e1, e2, normal, owner):
    i = int((p[0] - vol_origin[0]) // h)
    j = int((p[1] - vol_origin[1]) // h)
    k = int((p[2] - vol_origin[2]) // h)
    if (0 <= i < labels.shape[0] and 0 <= j < labels.shape[1]
            and 0 <= k < labels.shape[2]):
        v = labels[i, j, k]
        if not v & 0x80:
            return int(v)
    return _exact_label(p, direction, origin, cell, dims, cell_start, cell_tris, v0, e1, e2,
                        normal, owner)


@numba.njit(cache=True)
def _crossings(start, end, origin, cell, dims, cell_start, cell_tris, v0, e1, e2, normal,
               owner, out_t, out_s, out_e):
    """Writes the crossings of ``start -> end`` into ``out_*``; returns how many."""
    delta = end - start
    length = _norm(delta)
    if length == 0.0:
        return 0
    # the segment TriangleGrid.segment_hits walks: start -> start + delta
    delta2 = (start + delta) - start
    length2 = _norm(delta2)
    if length2 == 0.0:
        return 0
    d2 = delta2 / length2
    t = np.empty(MAX_HITS)
    f = np.empty(MAX_HITS, np.int64)
    n = _walk(start, d2, length2, origin, cell, dims, cell_start, cell_tris, v0, e1, e2, t, f)
    order = np.argsort(t[:n], kind="mergesort")
    kept = np.empty(n, np.int64)
    m = 0
    for r in range(n):  # a hit on a shared edge or vertex is counted once
        tri = f[order[r]]
        tr = t[order[r]]
        if r > 0:
            prev = f[order[r - 1]]
            if (tr - t[order[r - 1]] <= 1e-7 * (1.0 + tr) and owner[tri] == owner[prev]
                    and (np.dot(normal[tri], d2) > 0.0) == (np.dot(normal[prev], d2) > 0.0)):
                continue
        out_t[m] = tr
        out_s[m] = owner[tri] + 1
        kept[m] = tri
        m += 1
    d = delta / length
    for r in range(m):
        out_e[r] = np.dot(normal[kept[r]], d) < 0.0
    # coincident surfaces (a shared interface): leave the old structure, then enter; a
    # stable insertion sort on (t rounded to 1e-5 mm, entering)
    for r in range(1, m):
        kt, ks, ke = out_t[r], out_s[r], out_e[r]
        key = np.rint(kt * 1e5)
        q = r - 1
        while q >= 0:
            other = np.rint(out_t[q] * 1e5)
            if other > key or (other == key and out_e[q] and not ke):
                out_t[q + 1], out_s[q + 1], out_e[q + 1] = out_t[q], out_s[q], out_e[q]
                q -= 1
            else:
                break
        out_t[q + 1], out_s[q + 1], out_e[q + 1] = kt, ks, ke
    return m


@numba.njit(cache=True)
def _emit(events, n, kind, structure):
    if n < events.shape[0]:
        events[n, 0] = kind
        events[n, 1] = structure
        return n + 1
    return n


@numba.njit(cache=True)
def _perpendicular_basis(direction):
    """``simulator.geometry.perpendicular_basis``, operation for operation."""
    d = direction / _norm(direction)
    if abs(d[2]) < 0.95:
        ref = np.array([0.0, 0.0, 1.0])
    else:
        ref = np.array([0.0, 1.0, 0.0])
    a = cross(ref, d)
    a = a / _norm(a)
    return a, cross(d, a)


@numba.njit(cache=True)
def _bevel_direction(shaft, bevel_rad):
    """``simulator.needle.bevel_direction``, operation for operation."""
    a, b = _perpendicular_basis(shaft)
    return math.cos(bevel_rad) * a + math.sin(bevel_rad) * b


@numba.njit(cache=True)
def _retract(tip, entry, shaft, depth, labels, vol_origin, h, direction, origin, cell, dims,
             cell_start, cell_tris, v0, e1, e2, normal, owner, out_t, out_s, out_e, label):
    """:meth:`TissueCore.retract`: writes the crossings and ``label[0]``; returns how many
    crossings."""
    new_tip = entry + shaft * depth
    label[0] = _label_at(new_tip, labels, vol_origin, h, direction, origin, cell, dims,
                         cell_start, cell_tris, v0, e1, e2, normal, owner)
    return _crossings(tip, new_tip, origin, cell, dims, cell_start, cell_tris, v0, e1, e2,
                      normal, owner, out_t, out_s, out_e)


@numba.njit(cache=True)
def _turn(shaft, yaw, pitch):
    """The shaft's unit direction turned by ``yaw``, ``pitch`` (rad) about its
    perpendicular basis (``simulator.needle.steer``)."""
    a, b = _perpendicular_basis(shaft)
    turned = shaft + a * math.tan(yaw) + b * math.tan(pitch)
    return turned / _norm(turned)


@numba.njit(cache=True)
def _steer(shaft, heading, entry, tip, depth, yaw, pitch, mech, out, labels, vol_origin, h,
           direction, origin, cell, dims, cell_start, cell_tris, v0, e1, e2, normal, owner,
           out_t, out_s, out_e):
    """:meth:`TissueCore.steer`: writes ``out`` = (new direction (3,), new heading (3,),
    label at the new tip) and the crossings; returns how many crossings, or -1 when the
    tip would sweep into bone."""
    new_dir = _turn(shaft, yaw, pitch)
    out[0:3] = new_dir
    if heading.shape[0] == 3:  # keep the tip's bend relative to the shaft
        bent = new_dir + (heading - shaft)
        out[3:6] = bent / _norm(bent)
    new_tip = entry + new_dir * depth
    m = _crossings(tip, new_tip, origin, cell, dims, cell_start, cell_tris, v0, e1, e2,
                   normal, owner, out_t, out_s, out_e)
    for c in range(m):
        if out_e[c] and mech[out_s[c], PENETRABLE] == 0.0:
            return -1
    out[6] = _label_at(new_tip, labels, vol_origin, h, direction, origin, cell, dims,
                       cell_start, cell_tris, v0, e1, e2, normal, owner)
    return m


@numba.njit(cache=True)
def _advance_needle(tip, heading, entry, shaft, bevel_rad, state, curvature, stop_gap,
                    max_heading_cos, mech, events, settled, labels, vol_origin, h, direction,
                    origin, cell, dims, cell_start, cell_tris, v0, e1, e2, normal, owner):
    """:meth:`TissueCore.advance`: the membrane loop, then ``settled`` = (label at the tip,
    depth, direction (3,)) as ``simulator.needle._settle`` computes them."""
    n = _advance(tip, heading, shaft, _bevel_direction(shaft, bevel_rad), state, curvature,
                 stop_gap, max_heading_cos, mech, events, labels, vol_origin, h, direction,
                 origin, cell, dims, cell_start, cell_tris, v0, e1, e2, normal, owner)
    offset = tip - entry
    depth = _norm(offset)
    settled[0] = _label_at(tip, labels, vol_origin, h, direction, origin, cell, dims,
                           cell_start, cell_tris, v0, e1, e2, normal, owner)
    settled[1] = depth
    if depth > 1e-9:
        settled[2:] = offset / depth
    return n


@numba.njit(cache=True)
def _advance(tip, heading, shaft, bevel, state, curvature, stop_gap, max_heading_cos, mech,
             events, labels, vol_origin, h, direction, origin, cell, dims, cell_start,
             cell_tris, v0, e1, e2, normal, owner):
    remaining, tent = state[0], state[1]
    ct = np.empty(MAX_HITS)
    cs = np.empty(MAX_HITS, np.int64)
    ce = np.empty(MAX_HITS, np.bool_)
    n = 0
    for _ in range(8):  # at most a few membranes per tick
        if remaining <= 1e-9:
            break
        label = _label_at(tip, labels, vol_origin, h, direction, origin, cell, dims,
                          cell_start, cell_tris, v0, e1, e2, normal, owner)
        scale = mech[label, DEFLECTION] if label else 0.0
        # bend the heading toward the bevel, at most the largest bend off the shaft
        bent = heading + bevel * math.tan(curvature * scale * remaining)
        bent = bent / _norm(bent)
        if not np.dot(bent, shaft) < max_heading_cos:
            heading[:] = bent
        travel = heading.copy()
        m = _crossings(tip, tip + travel * remaining, origin, cell, dims, cell_start,
                       cell_tris, v0, e1, e2, normal, owner, ct, cs, ce)
        blocker = -1
        for c in range(m):
            if ce[c] and (mech[cs[c], PENETRABLE] == 0.0 or mech[cs[c], PUNCTURE_MM] > 0.0):
                blocker = c
                break
        if blocker < 0:
            for c in range(m):
                n = _emit(events, n, ENTERED if ce[c] else LEFT, cs[c])
            tip[:] = tip + travel * remaining
            break
        bt = ct[blocker]
        for c in range(m):
            if ct[c] < bt - 1e-6:
                n = _emit(events, n, ENTERED if ce[c] else LEFT, cs[c])
        tip[:] = tip + travel * max(bt - stop_gap, 0.0)
        remaining -= bt
        structure = cs[blocker]
        if mech[structure, PENETRABLE] == 0.0:
            n = _emit(events, n, BONE, structure)
            break
        tent += max(remaining, 0.0)
        if tent < mech[structure, PUNCTURE_MM]:
            break
        # popped through: the membrane relaxes and the tip carries on inside
        remaining, tent = tent - mech[structure, PUNCTURE_MM], 0.0
        tip[:] = tip + travel * (2 * stop_gap)
        for c in range(m):
            if abs(ct[c] - bt) <= 1e-6 and c != blocker and not ce[c]:
                n = _emit(events, n, LEFT, cs[c])
        n = _emit(events, n, ENTERED, structure)
    state[0], state[1] = remaining, tent
    return n
