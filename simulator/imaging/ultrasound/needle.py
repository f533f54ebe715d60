"""The needle in the image: an analytic steel cylinder drawn as a chain of point elements.

Each element of the shaft (every ``NEEDLE_ELEMENT_MM``) inside the slab adds, on the line
it falls on [R9-R11],

- a specular echo ``r * 2^-(theta/theta_c)^2`` plus a small diffuse part, with ``theta``
  the angle between the beam and the shaft's normal plane and the cut-off
  ``theta_c = atan(D_rx / 2z) / 2`` (the mirror echo leaves at 2 theta and must still hit
  the receive aperture ``D_rx``);
- the convex-cylinder factor ``min(1, 3 * OD / w)`` across a beam of width ``w``: elements
  are weighted by ``element / line spacing`` and by the pulse-echo elevation profile, so an
  in-plane shaft echoes ~ ``3 OD / w_elevation`` on every line it crosses and a short-axis
  shaft becomes a dot ~ ``3 OD / w_lateral``; the needle fades as it leaves the slice;
- a comet tail of lumen reverberations ``Delta z = ID * c0 / c_lumen`` apart, decaying by
  ``r * loss`` per round trip, only near specular incidence;
- a partial shadow beneath it: the share ``OD / w`` of the beam the shaft blocks.

The tip adds a point echo that does not depend on the angle (bevel scatter), so it stays
visible when the shaft does not.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simulator.imaging.ultrasound import params as P
from simulator.imaging.ultrasound.display import kernels
from simulator.imaging.ultrasound.lines import splat_pulse
from simulator.imaging.ultrasound.scan import ScanGeometry, shift_at
from simulator.needle_gauge import inner_diameter_mm, outer_diameter_mm

NEEDLE_U_MAX = 1.2       # elements beyond this many slice thicknesses are invisible
NEAR_MM = 10.0           # the stretch of shaft behind the tip ``needle_peaks_near`` draws


def steel_reflection(tissue_z: float = 1.65) -> float:
    z = P.STEEL_IMPEDANCE_MRAYL
    return (z - tissue_z) / (z + tissue_z)


def specular_cutoff_rad(geom: ScanGeometry, depth_mm) -> np.ndarray:
    """Angle beyond which the shaft's mirror echo misses the receive aperture ``(n,)``."""
    d = np.maximum(np.asarray(depth_mm, float), 1.0)
    d_rx = np.minimum(geom.preset.aperture_mm, d / 0.7)
    return 0.5 * np.arctan(d_rx / (2.0 * d))


def add_needle(rf: np.ndarray, geom: ScanGeometry, probe_from_world: np.ndarray,
               entry_mm, direction, inserted_mm: float, gauge: int, gap: np.ndarray,
               attenuation: np.ndarray, pulse_sigma: float) -> None:
    """Shadow and echoes of the inserted part of the needle, added to ``rf`` in place.

    ``rf`` is the axially focused buffer: echoes are drawn with the axial pulse applied
    (Gaussian of ``pulse_sigma`` samples); the lateral PSF comes after.
    """
    if inserted_mm <= 0.0:
        return
    rot = probe_from_world[:3, :3]
    e = rot @ np.asarray(entry_mm, float) + probe_from_world[:3, 3]
    n = rot @ np.asarray(direction, float)
    n = n / np.linalg.norm(n)
    reach = _in_slab(geom, e, n, float(inserted_mm))
    if reach is None:
        return
    t0, t1 = reach
    shadow = np.zeros(geom.n_lines)
    start = np.full(geom.n_lines, np.inf)
    args = _kernel_args(geom, e, n, gauge, float(geom.line_lateral[0]), gap, attenuation,
                        pulse_sigma, straight_shift_mm(geom, e, n, float(inserted_mm)))
    if t1 > t0:  # part of the shaft lies within reach of the slice
        _shaft(rf, t0, t1, *args, shadow, start, True)
        _apply_shadow(rf, shadow, start, P.NEEDLE_SHADOW_MAX)
        _shaft(rf, t0, t1, *args, shadow, start, False)
    _tip(rf, float(inserted_mm), *args)


def straight_shift_mm(geom: ScanGeometry, e: np.ndarray, n: np.ndarray,
                      inserted_mm: float) -> np.ndarray:
    """The contact shift ``(n_lines,)`` the needle is drawn with, so a straight needle stays
    straight under a rocked probe.

    The tissue under the lifted end is pushed up by a shift that varies from line to line
    (``ScanGeometry.line_shift_mm``); a rigid needle does not bend with it. Its shift is
    linear along the shaft instead: the tissue's own shift where the shaft enters the lines
    (nearest its entry ``e``, probe frame mm) and at the tip (``inserted_mm`` along the unit
    direction ``n``), so the shaft meets the tissue at the image edge and the tip lies in the
    tissue it is in; mid-shaft it may sit a few mm off the tissue it crosses. With no shift
    (a probe flat on the skin) the tissue's shift, unchanged.
    """
    if geom.base is None:
        return geom.line_shift_mm
    if geom.curved:  # where the shaft crosses each line's ray from the apex
        c, s = np.cos(geom.line_lateral), np.sin(geom.line_lateral)
        along = n[0] * c - n[2] * s
        off = (e[2] + geom.radius_mm) * s - e[0] * c
    else:
        along = np.full(geom.n_lines, n[0])
        off = geom.line_lateral - e[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t_line = np.where(np.abs(along) > 1e-9, off / along, np.inf)
    crossed = (t_line >= 0.0) & (t_line <= inserted_mm)
    if not crossed.any():
        return geom.line_shift_mm
    t_a = float(t_line[crossed].min())
    s_a = float(geom.line_shift_mm[crossed][np.argmin(t_line[crossed])])
    (tip_line,), _ = geom.unshifted.line_coords((e + inserted_mm * n)[None])
    s_tip = float(geom.shift_at(tip_line))
    share = np.clip((t_line - t_a) / max(inserted_mm - t_a, 1e-9), 0.0, 1.0)
    return s_a + (s_tip - s_a) * np.nan_to_num(share, nan=1.0)


def needle_peaks_near(geom: ScanGeometry, probe_from_world: np.ndarray, entry_mm, direction,
                      inserted_mm: float, gauge: int, pulse_sigma: float,
                      spot_mm: float, shadow_mm: float) -> tuple[float, float, float]:
    """Brightest echo of the bevel and of the shaft (its last ``NEAR_MM``, with the comet
    tail) within ``spot_mm`` of the tip, after the lateral PSF, with no tissue or
    attenuation, and the largest share of the beam the shaft's last ``shadow_mm`` blocks on
    those lines (its shadow):
    what ``add_needle`` draws there (the same kernels, on the few lines around the tip), for
    the tip-visibility measure. Zeros for a tip outside the image. Given a rocked probe's
    shifted geometry (``scan.rocked_geometry``) it draws the tip where the frame does.
    """
    rot = probe_from_world[:3, :3]
    e = rot @ np.asarray(entry_mm, float) + probe_from_world[:3, 3]
    n = rot @ np.asarray(direction, float)
    n = n / np.linalg.norm(n)
    t1 = float(inserted_mm)
    (line,), (depth_mm,) = geom.line_coords((e + t1 * n)[None])
    reach = _in_slab(geom, e, n, t1)
    if reach is None or not 0.0 <= line <= geom.n_lines - 1 or depth_mm > geom.max_depth_mm:
        return 0.0, 0.0, 0.0
    j = min(int(depth_mm / geom.dz_mm), geom.n_samples - 1)
    k = kernels(geom.unshifted)
    h = k.lateral.shape[1] // 2
    spot_lines = spot_mm / float(geom.line_spacing_mm[j])
    first = max(int(round(line - spot_lines)) - h - 1, 0)
    last = min(int(round(line + spot_lines)) + h + 1, geom.n_lines - 1)
    n_lines = last - first + 1
    args = _kernel_args(geom, e, n, gauge, float(geom.line_lateral[first]), np.zeros(n_lines),
                        np.ones((n_lines, geom.n_samples), np.float32), pulse_sigma,
                        straight_shift_mm(geom, e, n, t1)[first:last + 1])
    window = (line - first, depth_mm / geom.dz_mm - 0.5, spot_lines, spot_mm / geom.dz_mm)
    bevel = np.zeros((n_lines, geom.n_samples), np.complex64)
    _tip(bevel, t1, *args)
    shaft = np.zeros_like(bevel)
    shadow = np.zeros(n_lines)
    if reach[1] > reach[0]:
        # only the last NEAR_MM can echo near the tip: PSF and comet tail reach a few mm
        _shaft(shaft, max(reach[0], t1 - NEAR_MM), reach[1], *args, shadow,
               np.full(n_lines, np.inf), False)
        # the wedge that points at the tip: the shadow of the shaft's last ``shadow_mm``
        if reach[1] > t1 - shadow_mm:
            _shaft(shaft, max(reach[0], t1 - shadow_mm), reach[1], *args, shadow,
                   np.full(n_lines, np.inf), True)
    return (_spot_peak(bevel, k.lateral, *window), _spot_peak(shaft, k.lateral, *window),
            min(float(shadow.max()), P.NEEDLE_SHADOW_MAX))


@numba.njit(cache=True, nogil=True)
def _spot_peak(rf, lateral, line, sample, radius_lines, radius_samples):
    """Largest envelope, after the lateral PSF (``lateral`` ``(n_samples, 2h + 1)``), within
    the ellipse of radii ``radius_lines`` x ``radius_samples`` around (line, sample)."""
    n_lines, n = rf.shape
    h = (lateral.shape[1] - 1) // 2
    best = 0.0
    for i in range(max(int(line - radius_lines), 0), min(int(line + radius_lines) + 2, n_lines)):
        for j in range(max(int(sample - radius_samples), 0),
                       min(int(sample + radius_samples) + 2, n)):
            di = (i - line) / radius_lines
            dj = (j - sample) / radius_samples
            if di * di + dj * dj > 1.0:
                continue
            acc = 0j
            for m in range(max(-h, -i), min(h, n_lines - 1 - i) + 1):
                acc += lateral[j, m + h] * rf[i + m, j]
            best = max(best, abs(acc))
    return best


def _in_slab(geom: ScanGeometry, e: np.ndarray, n: np.ndarray, inserted_mm: float
             ) -> tuple[float, float] | None:
    """Stretch ``(t0, t1)`` of the shaft (mm from the entry ``e``, probe frame, along unit
    ``n``) within ``NEEDLE_U_MAX`` slice thicknesses of the plane (``t0 >= t1``: none);
    ``None`` for a needle parallel to the plane beyond that reach (nothing of it shows)."""
    y_lim = NEEDLE_U_MAX * float(geom.elevation_fwhm_mm.max())
    t0, t1 = 0.0, inserted_mm
    if abs(n[1]) > 1e-9:
        ta, tb = sorted(((-y_lim - e[1]) / n[1], (y_lim - e[1]) / n[1]))
        return max(t0, ta), min(t1, tb)
    return (t0, t1) if abs(e[1]) <= y_lim else None


def _kernel_args(geom: ScanGeometry, e: np.ndarray, n: np.ndarray, gauge: int, lat0: float,
                 gap: np.ndarray, attenuation: np.ndarray, pulse_sigma: float,
                 shift: np.ndarray) -> tuple:
    """The arguments ``_shaft`` and ``_tip`` share, for lines starting at ``lat0`` (``gap``
    and ``shift`` ``(n_lines,)``, ``attenuation`` ``(n_lines, n_samples)`` of those lines)."""
    w0, zf, zr = geom.elevation_args()
    od, idm = outer_diameter_mm(gauge), inner_diameter_mm(gauge)
    reverb_mm = idm * P.C0_MM_US * 1000.0 / P.LUMEN_SPEED_M_S
    return (e, n, geom.curved, geom.radius_mm, lat0, geom.line_step, geom.dz_mm,
            geom.max_depth_mm, w0, zf, zr, gap, np.ascontiguousarray(shift, np.float64),
            attenuation, float(geom.preset.aperture_mm),
            od, steel_reflection(), reverb_mm / geom.dz_mm, geom.lateral_fwhm_mm,
            geom.line_spacing_mm, pulse_sigma)


@numba.njit(cache=True, inline="always")
def locate_point(p, curved, radius, lat0, step, dz, d_max, n_lines, n, gap, shift):
    """(line float, sample float, depth, lateral) of a probe point, or line < 0 if
    outside. The depth is the display depth: along the line from the face, less the line's
    contact ``shift`` (the tissue, and the needle in it, pushed up against the face)."""
    if curved:
        zc = p[2] + radius
        lat = math.atan2(p[0], zc)
        dw = math.sqrt(p[0] * p[0] + zc * zc) - radius
    else:
        lat = p[0]
        dw = p[2]
    lf = (lat - lat0) / step
    if lf < 0.0 or lf > n_lines - 1:
        return -1.0, 0.0, 0.0, 0.0
    dw -= shift_at(shift, lf)
    if dw < 0.0 or dw > d_max:
        return -1.0, 0.0, 0.0, 0.0
    if not np.isfinite(gap[int(lf + 0.5)]):
        return -1.0, 0.0, 0.0, 0.0
    # the needle is rigid: drawn at its true place (no contact compression), straight
    jf = dw / dz - 0.5
    if jf < 0.0 or jf > n - 1:
        return -1.0, 0.0, 0.0, 0.0
    return lf, jf, dw, lat


@numba.njit(cache=True, inline="always")
def splat_point(rf, lf, jf, value, sigma):
    """Echo shaped by the axial pulse at fractional (line, sample), split over two lines."""
    n_lines = rf.shape[0]
    i0 = int(math.floor(lf))
    fi = lf - i0
    if 0 <= i0 < n_lines:
        splat_pulse(rf[i0], jf, value * (1.0 - fi), sigma)
    if 0 <= i0 + 1 < n_lines:
        splat_pulse(rf[i0 + 1], jf, value * fi, sigma)


@numba.njit(cache=True, nogil=True)
def _shaft(rf, t0, t1, e, nd, curved, radius, lat0, step, dz, d_max, w0, zf, zr, gap, shift,
           att, aperture, od, r, reverb_bins, lat_fwhm, spacing, sigma, shadow, start, shadow_pass):
    n_lines, n = rf.shape
    ln2x8 = 8.0 * math.log(2.0)
    d_el = P.NEEDLE_ELEMENT_MM
    m_n = int((t1 - t0) / d_el) + 1
    p = np.empty(3)
    for m in range(m_n):
        t = t0 + (m + 0.5) * d_el
        if t > t1:
            break
        for a in range(3):
            p[a] = e[a] + t * nd[a]
        lf, jf, dw, lat = locate_point(p, curved, radius, lat0, step, dz, d_max, n_lines, n, gap,
                                       shift)
        if lf < 0.0:
            continue
        w = w0 * math.sqrt(1.0 + ((dw - zf) / zr) ** 2)
        u = p[1] / w
        ew = math.exp(-ln2x8 * u * u)
        if ew < 1e-4:
            continue
        i = int(lf + 0.5)
        jn = min(int(jf + 0.5), n - 1)
        ds = spacing[jn]
        if curved:
            ux, uz = math.sin(lat), math.cos(lat)
        else:
            ux, uz = 0.0, 1.0
        sin_t = min(abs(ux * nd[0] + uz * nd[2]), 1.0)
        theta = math.asin(sin_t)
        across = math.cos(theta)  # the element's extent across the beam, per unit length
        w2 = w / math.sqrt(2.0)  # pulse-echo slice thickness
        if shadow_pass:  # the share of the beam cross-section the shaft blocks
            block = d_el * across / ds * od / w2 * ew
            i0 = int(math.floor(lf))
            fi = lf - i0
            for di in range(2):
                ii = i0 + di
                if 0 <= ii < n_lines:
                    shadow[ii] += block * (fi if di else 1.0 - fi)
                    start[ii] = min(start[ii], jf)
            continue
        base = d_el / ds * min(1.0, P.NEEDLE_CONVEX_GAIN * od / w2) * ew * P.NEEDLE_ECHO_SCALE
        d_rx = min(aperture, dw / 0.7)
        theta_c = 0.5 * math.atan(d_rx / (2.0 * max(dw, 1.0)))
        # the mirror part counts the element's extent across the beam, so an oblique shaft
        # does not pile up on a line; the rough part does not
        spec = 2.0 ** (-((theta / theta_c) ** 2)) * across
        a_att = att[i, jn]
        splat_point(rf, lf, jf, (r * spec + P.NEEDLE_DIFFUSE) * base * a_att, sigma)
        amp = r * spec * base * a_att * (1.0 - r * r) * spec
        for k in range(1, P.NEEDLE_REVERBS + 1):
            splat_point(rf, lf, jf + k * reverb_bins, amp, sigma)
            amp *= r * P.NEEDLE_REVERB_LOSS


@numba.njit(cache=True, nogil=True)
def _apply_shadow(rf, shadow, start, max_block):
    n_lines, n = rf.shape
    for i in range(n_lines):
        if shadow[i] <= 0.0:
            continue
        f = 1.0 - min(shadow[i], max_block)
        j0 = int(start[i]) + 2
        for j in range(max(j0, 0), n):
            rf[i, j] *= f


@numba.njit(cache=True, nogil=True)
def _tip(rf, t, e, nd, curved, radius, lat0, step, dz, d_max, w0, zf, zr, gap, shift, att,
         aperture, od, r, reverb_bins, lat_fwhm, spacing, sigma):
    n_lines, n = rf.shape
    p = np.empty(3)
    for a in range(3):
        p[a] = e[a] + t * nd[a]
    lf, jf, dw, lat = locate_point(p, curved, radius, lat0, step, dz, d_max, n_lines, n, gap,
                                   shift)
    if lf < 0.0:
        return
    jn = min(int(jf + 0.5), n - 1)
    i = int(lf + 0.5)
    echo = tip_echo(dw, p[1], w0, zf, zr, lat_fwhm[jn], spacing[jn])
    splat_point(rf, lf, jf, echo * att[i, jn], sigma)


@numba.njit(cache=True, inline="always")
def tip_echo(depth_mm, elevation_mm, w0, zf, zr, lateral_fwhm_mm, line_spacing_mm):
    """Unattenuated amplitude of the tip's bevel echo at ``depth_mm`` and ``elevation_mm``
    off the image plane (probe frame), for the envelope after the lateral PSF.

    The renderer draws it (``_tip``; the tip-visibility measure draws it the same way,
    ``needle_peaks_near``).
    """
    w = w0 * math.sqrt(1.0 + ((depth_mm - zf) / zr) ** 2)
    u = elevation_mm / w
    ew = math.exp(-8.0 * math.log(2.0) * u * u)
    lines_per_beam = 1.064 * lateral_fwhm_mm / line_spacing_mm
    return P.NEEDLE_TIP_ECHO * P.NEEDLE_ECHO_SCALE * ew * max(lines_per_beam, 1.0)
