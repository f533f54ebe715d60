"""Scan conversion: from (line, sample) grey levels to a square-pixel display image.

The pixel -> (line, sample) map of a geometry and image size is computed once and cached;
each frame is then a bilinear gather. Image frame: column ``c`` and row ``r`` map to the
probe-frame point ``(x0 + c * s, 0, z0 + r * s)`` (``s`` = pixel spacing); with the probe
pose this gives ``world_from_image``. Pixels outside the sector are black.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from simulator.imaging.ultrasound.scan import ScanGeometry


@dataclass(frozen=True, eq=False)
class ScanConversion:
    """Index map of one geometry.

    Attributes
    ----------
    line, sample : (rows, cols) float32   fractional source position (-1: outside)
    pixel_mm : float                      square pixel spacing
    probe_from_image : (4, 4) float64     image (col, row, 0) -> probe frame (mm)
    """

    line: np.ndarray
    sample: np.ndarray
    pixel_mm: float
    probe_from_image: np.ndarray


def scan_conversion(geom: ScanGeometry, shape: tuple[int, int]) -> ScanConversion:
    """The index map (cached); a rocked probe's shifted geometry keeps the screen layout of
    its unshifted one (its lines start at the top of the image)."""
    return _scan_conversion(geom.unshifted, tuple(shape))


@lru_cache(maxsize=16)
def _scan_conversion(geom: ScanGeometry, shape: tuple[int, int]) -> ScanConversion:
    rows, cols = shape
    if geom.curved:
        r_in, r_out = geom.radius_mm, geom.radius_mm + geom.max_depth_mm
        half = float(geom.line_lateral[-1])
        width = 2.0 * r_out * math.sin(half)
        top = r_in * math.cos(half) - r_in
    else:
        width = float(geom.line_lateral[-1] - geom.line_lateral[0])
        top = 0.0
    height = geom.max_depth_mm - top
    s = max(width / cols, height / rows)
    x0 = -(cols - 1) / 2.0 * s
    z0 = top + s / 2.0
    x = x0 + np.arange(cols) * s
    z = z0 + np.arange(rows) * s
    xx, zz = np.meshgrid(x, z)
    pts = np.stack([xx.ravel(), np.zeros(xx.size), zz.ravel()], 1)
    line, depth = geom.line_coords(pts)
    sample = depth / geom.dz_mm - 0.5
    ok = ((line >= 0) & (line <= geom.n_lines - 1) & (depth >= 0)
          & (depth <= geom.max_depth_mm))
    line = np.where(ok, line, -1.0).reshape(shape).astype(np.float32)
    sample = np.where(ok, np.clip(sample, 0.0, geom.n_samples - 1), -1.0).reshape(shape)
    m = np.eye(4)
    m[:3, :3] = [[s, 0.0, 0.0], [0.0, 0.0, -s], [0.0, s, 0.0]]
    m[:3, 3] = [x0, 0.0, z0]
    return ScanConversion(line, sample.astype(np.float32), float(s), m)


def convert(grey: np.ndarray, sc: ScanConversion) -> np.ndarray:
    """Bilinear remap of ``(n_lines, n_samples)`` grey levels to a uint8 image."""
    out = np.empty(sc.line.shape, np.uint8)
    _remap(grey, sc.line, sc.sample, out)
    return out


@numba.njit(cache=True, nogil=True)
def _remap(grey, line, sample, out):
    rows, cols = line.shape
    n_lines, n = grey.shape
    for r in range(rows):
        for c in range(cols):
            lf = line[r, c]
            if lf < 0.0:
                out[r, c] = 0
                continue
            sf = sample[r, c]
            i0 = min(int(lf), n_lines - 2)
            j0 = min(int(sf), n - 2)
            fi = lf - i0
            fj = sf - j0
            v = ((1.0 - fi) * ((1.0 - fj) * grey[i0, j0] + fj * grey[i0, j0 + 1])
                 + fi * ((1.0 - fj) * grey[i0 + 1, j0] + fj * grey[i0 + 1, j0 + 1]))
            out[r, c] = np.uint8(min(max(v + 0.5, 0.0), 255.0))
