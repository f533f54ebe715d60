"""The steel needle as an analytic hollow cylinder (cannula) with an optional solid stylet.

Per ray the steel path length is the chord through the outer cylinder minus the chord through
the lumen (plus the lumen chord again while the stylet is in), each clipped to the needle's
length. A 22 G needle seen side-on is only ~2 pixels wide at 512^2, so each pixel near it
averages the transmission of ``SUPERSAMPLE^2`` sub-rays over its area; the result is returned
as the pixel's effective line integral ``-log(mean exp(-mu * L))``. Only pixels within reach
of the projected shaft are visited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from simulator import needle_gauge
from simulator.scenario import Step
from simulator.tissues import tissue

SUPERSAMPLE = 4
STEEL_MU_PER_MM = tissue("steel").xray.mu_per_cm / 10.0


@dataclass(frozen=True)
class NeedleShape:
    """Where the needle is and what it is made of.

    Attributes
    ----------
    hub_mm, tip_mm : (3,) float
        Ends of the steel shaft (world mm).
    outer_radius_mm, inner_radius_mm : float
        Cannula radii.
    stylet : bool
        The lumen holds the solid steel stylet.
    """

    hub_mm: tuple[float, float, float]
    tip_mm: tuple[float, float, float]
    outer_radius_mm: float
    inner_radius_mm: float
    stylet: bool


def needle_shape(world, state) -> NeedleShape | None:
    """The needle of ``state`` (``None`` while it is still on the tray).

    The stylet of a spinal needle stays in while the needle is advanced and comes out before
    the first aspiration or injection (a syringe has to be attached).
    """
    n = state.needle
    if n.entry_mm is None:
        return None
    tip = np.asarray(n.tip_mm, float)
    hub = tip - np.asarray(n.direction, float) * world.scenario.needle.length_mm
    gauge = world.scenario.needle.gauge
    stylet = not state.deposits and Step.aspiration.value not in state.steps_done
    return NeedleShape(tuple(hub.tolist()), tuple(tip.tolist()),
                       needle_gauge.outer_diameter_mm(gauge) / 2.0,
                       needle_gauge.inner_diameter_mm(gauge) / 2.0, stylet)


@numba.njit(cache=True, inline="always")
def _chord(ox, oy, oz, dx, dy, dz, hx, hy, hz, ax, ay, az, length, radius):
    """Length of the ray ``o + t d`` (unit d) inside the cylinder of ``radius`` around the
    segment from ``h`` along unit ``a`` for ``length``."""
    wx, wy, wz = ox - hx, oy - hy, oz - hz
    da = dx * ax + dy * ay + dz * az
    wa = wx * ax + wy * ay + wz * az
    px, py, pz = dx - da * ax, dy - da * ay, dz - da * az
    qx, qy, qz = wx - wa * ax, wy - wa * ay, wz - wa * az
    qa = px * px + py * py + pz * pz
    qb = 2.0 * (px * qx + py * qy + pz * qz)
    qc = qx * qx + qy * qy + qz * qz - radius * radius
    if qa < 1e-14:
        if qc > 0.0:
            return 0.0
        t0, t1 = -1e30, 1e30
    else:
        disc = qb * qb - 4.0 * qa * qc
        if disc <= 0.0:
            return 0.0
        r = math.sqrt(disc)
        t0 = (-qb - r) / (2.0 * qa)
        t1 = (-qb + r) / (2.0 * qa)
    if abs(da) < 1e-14:
        if wa < 0.0 or wa > length:
            return 0.0
    else:
        s0 = -wa / da
        s1 = (length - wa) / da
        if s0 > s1:
            s0, s1 = s1, s0
        t0 = max(t0, s0)
        t1 = min(t1, s1)
    return max(t1 - t0, 0.0)


@numba.njit(cache=True, nogil=True)
def _needle_patch(x0, y0, nx_, ny_, size, centre, pitch, sid, source, u, v, beam, hub, axis,
                  length, r_out, r_in, stylet, mu, sub, seg, reach_px, out):
    for jj in range(ny_):
        j = y0 + jj
        for ii in range(nx_):
            i = x0 + ii
            # distance of the pixel centre from the projected shaft
            ex, ey = seg[2] - seg[0], seg[3] - seg[1]
            ll = ex * ex + ey * ey
            s = 0.0
            if ll > 0.0:
                s = min(max(((i - seg[0]) * ex + (j - seg[1]) * ey) / ll, 0.0), 1.0)
            ddx, ddy = i - seg[0] - s * ex, j - seg[1] - s * ey
            if ddx * ddx + ddy * ddy > reach_px * reach_px:
                out[jj, ii] = 0.0
                continue
            total = 0.0
            for sj in range(sub):
                fy = j - 0.5 + (sj + 0.5) / sub
                b = (fy - centre) * pitch
                for si in range(sub):
                    fx = i - 0.5 + (si + 0.5) / sub
                    a = (fx - centre) * pitch
                    dx = a * u[0] + b * v[0] + sid * beam[0]
                    dy = a * u[1] + b * v[1] + sid * beam[1]
                    dz = a * u[2] + b * v[2] + sid * beam[2]
                    nrm = math.sqrt(dx * dx + dy * dy + dz * dz)
                    dx, dy, dz = dx / nrm, dy / nrm, dz / nrm
                    steel = _chord(source[0], source[1], source[2], dx, dy, dz, hub[0], hub[1],
                                   hub[2], axis[0], axis[1], axis[2], length, r_out)
                    if steel > 0.0 and not stylet:
                        steel -= _chord(source[0], source[1], source[2], dx, dy, dz, hub[0],
                                        hub[1], hub[2], axis[0], axis[1], axis[2], length, r_in)
                    total += math.exp(-mu * steel)
            out[jj, ii] = -math.log(total / (sub * sub))


def needle_line_integral(shape: NeedleShape, projection, *, supersample: int = SUPERSAMPLE):
    """Line integral of the needle's steel on the pixels it can reach.

    Returns ``(y0, x0, patch)`` with ``patch (h, w) float64`` to be added at rows
    ``y0:y0+h``, columns ``x0:x0+w``; ``None`` if the needle is off the image.
    """
    pr = projection
    hub = np.asarray(shape.hub_mm, float)
    tip = np.asarray(shape.tip_mm, float)
    length = float(np.linalg.norm(tip - hub))
    if length == 0.0:
        return None
    axis = (tip - hub) / length
    ends = pr.project(np.stack([hub, tip]))
    depth = pr.depth_mm(np.stack([hub, tip]))
    if np.any(depth <= 1.0):
        return None
    reach_px = shape.outer_radius_mm * pr.sid_mm / depth.min() / pr.pixel_mm + 1.5
    lo = np.floor(ends.min(0) - reach_px).astype(int)
    hi = np.ceil(ends.max(0) + reach_px).astype(int)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, pr.size - 1)
    if np.any(hi < lo):
        return None
    nx_, ny_ = int(hi[0] - lo[0] + 1), int(hi[1] - lo[1] + 1)
    out = np.empty((ny_, nx_))
    _needle_patch(int(lo[0]), int(lo[1]), nx_, ny_, pr.size, pr.centre_px, pr.pixel_mm,
                  pr.sid_mm, pr.source_mm, pr.u, pr.v, pr.beam, hub, axis, length,
                  shape.outer_radius_mm, shape.inner_radius_mm, shape.stylet, STEEL_MU_PER_MM,
                  int(supersample), ends.ravel().astype(float), float(reach_px), out)
    return int(lo[1]), int(lo[0]), out


def steel_chord_mm(shape: NeedleShape, origin, direction) -> float:
    """Steel path length of one ray (mm): the closed form the renderer evaluates."""
    hub = np.asarray(shape.hub_mm, float)
    tip = np.asarray(shape.tip_mm, float)
    length = float(np.linalg.norm(tip - hub))
    axis = (tip - hub) / length
    o = np.asarray(origin, float)
    d = np.asarray(direction, float) / np.linalg.norm(direction)
    args = (o[0], o[1], o[2], d[0], d[1], d[2], hub[0], hub[1], hub[2], axis[0], axis[1],
            axis[2], length)
    steel = _chord(*args, shape.outer_radius_mm)
    if not shape.stylet:
        steel -= _chord(*args, shape.inner_radius_mm)
    return float(steel)
