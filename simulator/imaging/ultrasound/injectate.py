"""Injected fluid along the scanlines, from the spread model shared with fluoroscopy.

``simulator.spread.injectate_field`` gives the fluid fraction on a 1 mm grid; here it is
sampled at every sub-surface and line, every ``STRIDE`` samples (the grid is far coarser
than the samples), and interpolated between.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simulator.imaging.ultrasound import params as P
from simulator.imaging.ultrasound.lines import world_from_disp
from simulator.imaging.ultrasound.scan import ScanGeometry
from simulator.spread import InjectateField

STRIDE = 4


def fluid_fraction(field: InjectateField, geom: ScanGeometry, world_from_probe: np.ndarray,
                   gap: np.ndarray) -> tuple[np.ndarray, tuple[int, int] | None]:
    """Injectate fraction ``(K, n_lines, n_samples)`` float32 (0..1) and the range of lines
    ``(first, last)`` it touches (``None``: none)."""
    out = np.zeros((len(P.SUBPLANE_U), geom.n_lines, geom.n_samples), np.float32)
    lines = _lines_touched(field, geom, world_from_probe)
    if lines is None:
        return out, None
    w0, zf, zr = geom.elevation_args()
    _, _, crop, origin = _fluid_box(field)
    _sample(crop, origin, float(field.grid.spacing_mm),
            np.ascontiguousarray(world_from_probe[:3, :3]),
            np.ascontiguousarray(world_from_probe[:3, 3]), np.asarray(P.SUBPLANE_U, float),
            geom.curved, geom.radius_mm, float(geom.line_lateral[0]), geom.line_step,
            geom.depth_mm, w0, zf, zr, gap, np.ascontiguousarray(geom.line_shift_mm, np.float64),
            P.CONTACT_DEPTH_MM, STRIDE, lines[0], lines[1], out)
    return out, lines


def _lines_touched(field: InjectateField, geom: ScanGeometry, world_from_probe: np.ndarray):
    """Lines whose slab passes near the fluid (its voxel box, 2 mm margin), or ``None``."""
    box = _fluid_box(field)
    if box is None:
        return None
    lo, hi = box[:2]
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                        for z in (lo[2], hi[2])])
    pfw = np.linalg.inv(world_from_probe)
    p = corners @ pfw[:3, :3].T + pfw[:3, 3]
    line, depth = geom.line_coords(p)
    if depth.max() < 0.0:
        return None
    first = int(np.clip(np.floor(line.min()) - 2, 0, geom.n_lines - 1))
    last = int(np.clip(np.ceil(line.max()) + 2, 0, geom.n_lines - 1))
    if line.max() < 0 or line.min() > geom.n_lines - 1:
        return None
    return first, last


_BOXES: dict[int, tuple] = {}


def _fluid_box(field: InjectateField):
    """``(lo, hi, crop, crop_origin)``: world box of the fluid voxels with a 2 mm margin, and
    the fluid volume cropped to them with one empty voxel around (trilinear samples are the
    same; samples away from the fluid stop at the bounds test), or ``None``. Memoised per
    field object: one field serves every frame and probe pose until the next injection."""
    hit = _BOXES.get(id(field))
    if hit is not None and hit[0] is field:
        return hit[1]
    idx = np.argwhere(field.fluid > 0.0)
    box = None
    if len(idx):
        h = field.grid.spacing_mm
        origin = np.asarray(field.grid.origin_mm, float)
        lo = origin + idx.min(0) * h - 2.0
        hi = origin + (idx.max(0) + 1) * h + 2.0
        a = np.maximum(idx.min(0) - 1, 0)
        b = np.minimum(idx.max(0) + 2, field.fluid.shape)
        crop = np.ascontiguousarray(field.fluid[a[0]:b[0], a[1]:b[1], a[2]:b[2]], np.float32)
        box = (lo, hi, crop, origin + a * h)
    if len(_BOXES) >= 16:
        _BOXES.pop(next(iter(_BOXES)))
    _BOXES[id(field)] = (field, box)
    return box


@numba.njit(cache=True, inline="always")
def _trilinear(vol, origin, h, x, y, z):
    fx = (x - origin[0]) / h - 0.5
    fy = (y - origin[1]) / h - 0.5
    fz = (z - origin[2]) / h - 0.5
    i0, j0, k0 = int(math.floor(fx)), int(math.floor(fy)), int(math.floor(fz))
    nx, ny, nz = vol.shape
    if i0 < -1 or j0 < -1 or k0 < -1 or i0 >= nx or j0 >= ny or k0 >= nz:
        return 0.0
    ax, ay, az = fx - i0, fy - j0, fz - k0
    acc = 0.0
    for di in range(2):
        ii = i0 + di
        if ii < 0 or ii >= nx:
            continue
        wx = ax if di else 1.0 - ax
        for dj in range(2):
            jj = j0 + dj
            if jj < 0 or jj >= ny:
                continue
            wy = ay if dj else 1.0 - ay
            for dk in range(2):
                kk = k0 + dk
                if kk < 0 or kk >= nz:
                    continue
                acc += wx * wy * (az if dk else 1.0 - az) * vol[ii, jj, kk]
    return acc


@numba.njit(cache=True, parallel=True, nogil=True)
def _sample(vol, origin, h, rot, off, us, curved, radius, lat0, step, depth, w0, zf, zr, gap,
            shift, dc, stride, first, last, out):
    k_n, n_lines, n = out.shape
    for i in numba.prange(first, last + 1):
        g = gap[i]
        if not np.isfinite(g):
            continue
        lat = lat0 + i * step
        for k in range(k_n):
            prev_j = -1
            prev_v = 0.0
            j = 0
            while True:
                dd = depth[j]
                dw = world_from_disp(dd, g, dc)
                y = us[k] * w0 * math.sqrt(1.0 + ((dw - zf) / zr) ** 2)
                dw += shift[i]   # the line starts beyond the face by its contact shift
                if curved:
                    px = (radius + dw) * math.sin(lat)
                    pz = (radius + dw) * math.cos(lat) - radius
                else:
                    px = lat
                    pz = dw
                x = rot[0, 0] * px + rot[0, 1] * y + rot[0, 2] * pz + off[0]
                yy = rot[1, 0] * px + rot[1, 1] * y + rot[1, 2] * pz + off[1]
                z = rot[2, 0] * px + rot[2, 1] * y + rot[2, 2] * pz + off[2]
                v = _trilinear(vol, origin, h, x, yy, z)
                out[k, i, j] = v
                if prev_j >= 0:
                    for m in range(prev_j + 1, j):
                        f = (m - prev_j) / (j - prev_j)
                        out[k, i, m] = prev_v + f * (v - prev_v)
                prev_j, prev_v = j, v
                if j == n - 1:
                    break
                j = min(j + stride, n - 1)
