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
from simulator.imaging.ultrasound.scan import ScanGeometry
from simulator.spread import InjectateField

STRIDE = 4


def fluid_fraction(field: InjectateField, geom: ScanGeometry, world_from_probe: np.ndarray,
                   gap: np.ndarray) -> np.ndarray:
    """Injectate fraction ``(K, n_lines, n_samples)`` float32 (0..1)."""
    out = np.zeros((len(P.SUBPLANE_U), geom.n_lines, geom.n_samples), np.float32)
    w0, zf, zr = geom.elevation_args()
    grid = field.grid
    _sample(np.ascontiguousarray(field.fluid, np.float32),
            np.asarray(grid.origin_mm, float), float(grid.spacing_mm),
            np.ascontiguousarray(world_from_probe[:3, :3]),
            np.ascontiguousarray(world_from_probe[:3, 3]), np.asarray(P.SUBPLANE_U, float),
            geom.curved, geom.radius_mm, float(geom.line_lateral[0]), geom.line_step,
            geom.depth_mm, w0, zf, zr, gap, P.CONTACT_DEPTH_MM, STRIDE, out)
    return out


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


@numba.njit(cache=True, parallel=True)
def _sample(vol, origin, h, rot, off, us, curved, radius, lat0, step, depth, w0, zf, zr, gap,
            dc, stride, out):
    k_n, n_lines, n = out.shape
    for i in numba.prange(n_lines):
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
                dw = dd + g * (1.0 - dd / dc) if (dd < dc and g > 0.0) else dd
                y = us[k] * w0 * math.sqrt(1.0 + ((dw - zf) / zr) ** 2)
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
