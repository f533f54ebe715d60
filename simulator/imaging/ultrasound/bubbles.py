"""The injection seen as it happens: the echogenic microbubble swirl at the needle tip.

Injectate pushed through a needle carries microbubbles, strong point scatterers that show
as a bright, flickering swirl where the fluid is flowing (the clinical sign that the
injection is going where the tip is). While the trainee injects, ``N_BUBBLES`` bubbles are
drawn each frame among the injected fluid voxels within ``RADIUS_MM`` of the tip (and at the
tip itself), denser near the tip; positions and phases change with ``(seed, tick)``, so the
swirl moves from frame to frame and follows the fluid: it spreads along the recess of an
intra-articular injection and stays in a tight ball in a dense wall. Each bubble is a point
echo with the elevation beam profile and the attenuation at its depth, added to the axially
focused buffer before the lateral PSF, like the needle tip.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simulator.imaging.ultrasound.needle import locate_point, splat_point
from simulator.imaging.ultrasound.scan import ScanGeometry
from simulator.spread import InjectateField

N_BUBBLES = 160        # bubbles drawn per frame [design]
RADIUS_MM = 8.0        # how far from the tip the swirl reaches [design]
FALLOFF_MM = 2.5       # bubble density falls as exp(-distance / FALLOFF_MM) [design]
BUBBLE_ECHO = 0.15     # point echo of one bubble cluster, amplitude (as strong as the steel tip)
MIN_FLUID = 0.3        # voxels with less injected fluid than this carry no bubbles


def bubble_points(field: InjectateField | None, tip_mm, seed: int,
                  tick: int) -> tuple[np.ndarray, np.ndarray]:
    """World positions ``(N_BUBBLES, 3)`` and complex amplitudes ``(N_BUBBLES,)`` of this
    frame's bubbles around ``tip_mm``."""
    tip = np.asarray(tip_mm, float)
    rng = np.random.default_rng([int(seed), int(tick), 0xB0B])
    centres = tip[None, :]
    if field is not None:
        h = float(field.grid.spacing_mm)
        origin = np.asarray(field.grid.origin_mm, float)
        lo = np.maximum(np.floor((tip - RADIUS_MM - origin) / h).astype(int), 0)
        hi = np.minimum(np.ceil((tip + RADIUS_MM - origin) / h).astype(int) + 1,
                        field.fluid.shape)
        if np.all(hi > lo):
            sub = field.fluid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
            idx = np.argwhere(sub >= MIN_FLUID) + lo
            c = origin + (idx + 0.5) * h
            c = c[np.linalg.norm(c - tip, axis=1) <= RADIUS_MM]
            centres = np.concatenate([centres, c])
    d = np.linalg.norm(centres - tip, axis=1)
    p = np.exp(-d / FALLOFF_MM)
    pick = rng.choice(len(centres), size=N_BUBBLES, p=p / p.sum())
    jitter = rng.uniform(-0.5, 0.5, (N_BUBBLES, 3)) * (1.0 if field is not None else 2.0)
    points = centres[pick] + jitter
    amp = BUBBLE_ECHO * (rng.normal(size=N_BUBBLES) + 1j * rng.normal(size=N_BUBBLES))
    return points, amp / math.sqrt(2.0)


def add_bubbles(rf: np.ndarray, geom: ScanGeometry, probe_from_world: np.ndarray,
                field: InjectateField | None, tip_mm, seed: int, tick: int,
                gap: np.ndarray, attenuation: np.ndarray, pulse_sigma: float) -> None:
    """Add this frame's bubble echoes to ``rf`` ``(n_lines, n_samples)`` in place."""
    points, amp = bubble_points(field, tip_mm, seed, tick)
    p = points @ probe_from_world[:3, :3].T + probe_from_world[:3, 3]
    w0, zf, zr = geom.elevation_args()
    _splat_bubbles(rf, np.ascontiguousarray(p), amp.astype(np.complex128), geom.curved,
                   geom.radius_mm, float(geom.line_lateral[0]), geom.line_step, geom.dz_mm,
                   geom.max_depth_mm, gap, np.ascontiguousarray(geom.line_shift_mm, np.float64),
                   attenuation, w0, zf, zr, geom.lateral_fwhm_mm,
                   geom.line_spacing_mm, pulse_sigma)


@numba.njit(cache=True, nogil=True)
def _splat_bubbles(rf, p, amp, curved, radius, lat0, step, dz, d_max, gap, shift, att, w0, zf,
                   zr, lat_fwhm, spacing, sigma):
    n_lines, n = rf.shape
    for b in range(p.shape[0]):
        lf, jf, dw, _ = locate_point(p[b], curved, radius, lat0, step, dz, d_max, n_lines, n,
                                     gap, shift)
        if lf < 0.0:
            continue
        jn = min(int(jf + 0.5), n - 1)
        w = w0 * math.sqrt(1.0 + ((dw - zf) / zr) ** 2)
        u = p[b, 1] / w
        # a point target: elevation profile, and the lateral PSF (normalised to sum 1)
        # spreads it over the lines of one beam width
        lines_per_beam = max(1.064 * lat_fwhm[jn] / spacing[jn], 1.0)
        value = amp[b] * math.exp(-8.0 * math.log(2.0) * u * u) * lines_per_beam
        splat_point(rf, lf, jf, value * att[int(lf + 0.5), jn], sigma)
