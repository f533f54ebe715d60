"""Tissue speckle from a world-anchored field of point scatterers.

Scatterers sit one per cell of a world-aligned cubic lattice (about
``SCATTERERS_PER_CELL`` per resolution cell), jittered inside the cell, each with a complex
random amplitude; all three come from a hash of the cell index and the seed, so the field
is fixed to the anatomy: a still probe sees the same speckle every frame, a moved probe sees
the same scatterers from elsewhere, and an elevational move of a slice thickness reaches
new ones [R3]. A cell of a tissue with scatter density ``mu0`` holds a scatterer with that
probability (``mu0 = 1``: fully developed speckle; 0: anechoic) [R1, R2].

Each scatterer in the slab adds ``a * w(y) * E * exp(-2 i k z)`` into the complex baseband
buffer of its nearest elevation sub-surface at its (fractional) line and depth, split over
the four nearest bins, where ``w(y)`` is the pulse-echo elevation profile, ``E`` the
scatter amplitude of the tissue it falls in and ``z`` its depth (the round-trip phase).
Attenuation and injected fluid multiply the buffers later, per sub-surface and sample, so
each scatterer is attenuated at its own depth, and then the point-spread function spreads
the sum (``display``); a per-depth factor keeps the mean speckle level independent of the
scatterer count per resolution cell.

Cost: the lattice points near the slab are visited column by column (a column runs along
the world axis closest to the elevation direction, and only its stretch that can reach the
slab is hashed), about a million per hip frame. ``coarsen`` (the low-detail frame of a
moving probe) takes a coarser lattice; the per-depth factor keeps the level unchanged.
"""

from __future__ import annotations

import math
import threading

import numba
import numpy as np

from simulator.imaging.ultrasound import params as P
from simulator.imaging.ultrasound.lines import LineMaps, disp_from_world
from simulator.imaging.ultrasound.scan import ScanGeometry, shift_at, shift_max

N_BUFFERS = 2     # fixed, so the summation order (and the image) never depends on threads
_MASK = np.uint64(0xFF)


def resolution_cell_mm3(geom: ScanGeometry) -> np.ndarray:
    """Resolution cell volume at each depth ``(n_samples,)``: axial x lateral x pulse-echo
    elevation FWHM."""
    return geom.axial_fwhm_mm * geom.lateral_fwhm_mm * geom.elevation_fwhm_mm / math.sqrt(2.0)


def lattice_spacing_mm(geom: ScanGeometry, coarsen: int = 0) -> float:
    """Scatterer lattice spacing: ``SCATTERERS_PER_CELL`` in the smallest resolution cell,
    on a 2^(1/4) ladder so that small setting changes keep the same scatterers.

    ``coarsen`` steps up the ladder (the low-detail mode of a moving probe): each step has
    2^(3/4) fewer lattice points to visit, and fewer scatterers only where the resolution
    cell is small enough that the thinning of :func:`keep_fraction` was not already
    dropping that many."""
    s = (float(resolution_cell_mm3(geom).min()) / P.SCATTERERS_PER_CELL) ** (1.0 / 3.0)
    return float(2.0 ** ((round(4.0 * math.log2(s)) + int(coarsen)) / 4.0))


def speckle_rf(geom: ScanGeometry, maps: LineMaps, probe_from_world: np.ndarray,
               mu0: np.ndarray, amplitude: np.ndarray, row_scale: np.ndarray,
               seed: int, septa: np.ndarray | None = None,
               septa_axes: np.ndarray | None = None, lobules: np.ndarray | None = None,
               coarsen: int = 0) -> np.ndarray:
    """Complex baseband scatter buffers ``(K, n_lines, n_samples) complex64``, one per
    elevation sub-surface (a scatterer goes to the nearest), before the PSF and before
    attenuation. ``amplitude`` is ``(n_labels, n_lines)``: scatter amplitude per label
    and line (fibre anisotropy included). ``septa`` ``(n_labels,)`` and ``septa_axes``
    ``(n_labels, 2, 3)`` add the world-anchored fibre-septa texture of muscle bellies,
    ``lobules`` ``(n_labels,)`` the septa between fat lobules.
    ``coarsen``: lattice steps above the full-detail spacing (see ``lattice_spacing_mm``)."""
    n_labels = len(mu0)
    if septa is None:
        septa = np.zeros(n_labels)
        septa_axes = np.zeros((n_labels, 2, 3))
    if lobules is None:
        lobules = np.zeros(n_labels)
    spacing = lattice_spacing_mm(geom, coarsen)
    world_from_probe = np.linalg.inv(probe_from_world)
    ey = probe_from_world[1, :3]
    axis_a = int(np.argmax(np.abs(ey)))
    axis_b, axis_c = [a for a in range(3) if a != axis_a]
    w0, zf, zr = geom.elevation_args()
    y_max = P.SLAB_U_MAX * float(geom.elevation_fwhm_mm.max()) + spacing
    # bounding box of the slab in the two world axes other than the column axis
    outline = _fan_outline(geom)
    corners = np.concatenate([outline + [0.0, y_max, 0.0], outline - [0.0, y_max, 0.0]])
    world = corners @ world_from_probe[:3, :3].T + world_from_probe[:3, 3]
    lo = np.floor(world.min(0) / spacing).astype(np.int64) - 1
    hi = np.floor(world.max(0) / spacing).astype(np.int64) + 1
    shape = (len(P.SUBPLANE_U), geom.n_lines, geom.n_samples)
    out = np.zeros(shape, np.complex64)     # the result (kept by the caller's cache)
    spare = _scratch(shape)                 # the second thread's buffer, reused
    du = P.SUBPLANE_U[1] - P.SUBPLANE_U[0]
    keep = keep_fraction(geom, coarsen)
    _splat(np.ascontiguousarray(probe_from_world[:3, :3]),
           np.ascontiguousarray(probe_from_world[:3, 3]), axis_a, axis_b, axis_c,
           lo[axis_b], hi[axis_b], lo[axis_c], hi[axis_c], spacing, y_max,
           np.uint64((seed * 0x9E3779B97F4A7C15 + 1) & 0xFFFFFFFFFFFFFFFF),
           geom.curved, geom.radius_mm, float(geom.line_lateral[0]), geom.line_step,
           geom.dz_mm, geom.max_depth_mm, w0, zf, zr, P.SLAB_U_MAX, du, len(P.SUBPLANE_U) // 2,
           maps.gap_mm, maps.label, amplitude.astype(np.float64), mu0.astype(np.float64),
           row_scale.astype(np.float64), keep, _window_max(keep, geom.max_shift_mm / geom.dz_mm),
           1.0 / keep, 1.0 / geom.elevation_fwhm_mm,
           4.0 * math.pi / geom.wavelength_mm, P.CONTACT_DEPTH_MM,
           np.ascontiguousarray(geom.line_shift_mm, np.float64), geom.max_shift_mm,
           np.asarray(septa, np.float64), np.ascontiguousarray(septa_axes, np.float64),
           1.0 / P.SEPTA_MM, _band(P.SEPTA_THICKNESS_MM / P.SEPTA_MM),
           np.asarray(lobules, np.float64), 1.0 / P.LOBULE_MM,
           _band(P.LOBULE_SEPTUM_MM / P.LOBULE_MM), out, spare)
    _add_buffer(out, spare)
    return out


def row_scale(geom: ScanGeometry, ax_power: float, lat_power: np.ndarray,
              coarsen: int = 0) -> np.ndarray:
    """Per-depth scatter amplitude giving RMS speckle ``SPECKLE_LEVEL`` after the PSF.

    Expected power of a sample = amplitude variance x scatterers per bin x elevation
    integral of w^2 x power gain of the (bilinear splat + PSF) kernels.
    """
    s = lattice_spacing_mm(geom, coarsen)
    density = keep_fraction(geom, coarsen) / s ** 3
    w2 = geom.elevation_fwhm_mm * math.sqrt(math.pi / (16.0 * math.log(2.0)))
    per_bin = density * geom.dz_mm * geom.line_spacing_mm * w2
    var_a = 1.0 / 3.0
    return P.SPECKLE_LEVEL / np.sqrt(var_a * per_bin * ax_power * lat_power)


def keep_fraction(geom: ScanGeometry, coarsen: int = 0) -> np.ndarray:
    """Share of lattice scatterers used at each depth ``(n_samples,)``.

    Where the resolution cell (axial x lateral x pulse-echo elevation FWHM) is large, fewer
    scatterers still give ``SCATTERERS_PER_CELL`` per cell; a scatterer is kept when its own
    fixed random number is below the share, so the choice barely changes as the probe moves.
    """
    cell = resolution_cell_mm3(geom)
    return np.minimum(1.0, P.SCATTERERS_PER_CELL * lattice_spacing_mm(geom, coarsen) ** 3 / cell)


def _window_max(keep: np.ndarray, rows: float) -> np.ndarray:
    """``keep`` ``(n,)`` with each row's value the largest over it and the ``rows`` (a
    contact shift, in rows) above it."""
    out = keep.copy()
    for m in range(1, min(int(math.ceil(rows)) + 1, len(keep))):
        np.maximum(out[m:], keep[:-m], out=out[m:])
    return out


def _band(thickness_cells: float) -> float:
    """Half-width, in noise value, of the band ``|v - 1/2| < b`` whose sheets are
    ``thickness_cells`` noise cells thick (``2 b / |grad v|``): the smoothstep value noise
    crosses 1/2 with a gradient of about 0.6 per cell [measured: median slope 0.48 along a
    line, times 4/pi for the magnitude]."""
    return 0.3 * thickness_cells


def _fan_outline(geom: ScanGeometry) -> np.ndarray:
    """Probe-frame points ``(m, 3)`` around the image (face, far edge, sides)."""
    lines = np.linspace(0, geom.n_lines - 1, 33)
    near = geom.points(lines, np.full(33, -5.0))
    far = geom.points(lines, np.full(33, geom.max_depth_mm + 2.0))
    return np.concatenate([near, far])


@numba.njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, inline="always")
def _byte(h, n):
    return np.float64((h >> np.uint64(8 * n)) & _MASK) * (1.0 / 256.0)


@numba.njit(cache=True, inline="always")
def _value(ix, iy, seed):
    return np.float64(_mix(np.uint64(ix) * np.uint64(0x9E3779B97F4A7C15)
                           ^ np.uint64(iy) * np.uint64(0xC2B2AE3D27D4EB4F) ^ seed)
                      >> np.uint64(40)) * (1.0 / 16777216.0)


@numba.njit(cache=True, inline="always")
def _atan(x):
    """arctan to ~1e-7 rad (Cephes' single-precision range reduction and polynomial): a
    fraction of glibc's cost, and 1e-5 of a scanline's angle step."""
    ax = abs(x)
    if ax > 2.414213562373095:
        y0 = 0.5 * math.pi
        v = -1.0 / ax
    elif ax > 0.4142135623730950:
        y0 = 0.25 * math.pi
        v = (ax - 1.0) / (ax + 1.0)
    else:
        y0 = 0.0
        v = ax
    z = v * v
    r = y0 + ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z
               - 3.33329491539e-1) * z * v + v)
    return r if x >= 0.0 else -r


@numba.njit(cache=True, inline="always")
def _value3(ix, iy, iz, seed):
    return _value(ix, iy ^ (iz * 0x2545F491), seed)


@numba.njit(cache=True, inline="always")
def _sheet(v, band, strength, interior):
    """Echo multiplier of a septum: ``interior + strength`` on the level set ``v = 1/2`` of
    the noise, falling linearly to ``interior`` at ``|v - 1/2| = band`` (a thin closed
    sheet)."""
    d = abs(v - 0.5)
    return interior + strength * (1.0 - d / band) if d < band else interior


@numba.njit(cache=True, nogil=True)
def _septa(qa, qb, qc, ax_a, ax_b, ax_c, axes, inv, band, strength, seed):
    """Echo multiplier of the perimysium at a world point: the level set of a 2-D value
    noise in the plane across the fibres, so its sheets run along them and close around
    fascicle bundles (streaks in long axis, a fine network in short axis)."""
    x = 0.0
    y = 0.0
    for a in range(3):
        v = qa if a == ax_a else (qb if a == ax_b else qc)
        x += axes[0, a] * v
        y += axes[1, a] * v
    x *= inv
    y *= inv
    ix = int(math.floor(x))
    iy = int(math.floor(y))
    fx = x - ix
    fy = y - iy
    fx = fx * fx * (3.0 - 2.0 * fx)
    fy = fy * fy * (3.0 - 2.0 * fy)
    v = ((1.0 - fy) * ((1.0 - fx) * _value(ix, iy, seed) + fx * _value(ix + 1, iy, seed))
         + fy * ((1.0 - fx) * _value(ix, iy + 1, seed) + fx * _value(ix + 1, iy + 1, seed)))
    return _sheet(v, band, strength, 1.0)


@numba.njit(cache=True, nogil=True)
def _lobule_septa(qa, qb, qc, ax_a, ax_b, ax_c, inv, band, strength, seed):
    """Echo multiplier of the fibrous septa of fat at a world point: the level set of a 3-D
    value noise, closed walls around lobules."""
    x = (qa if ax_a == 0 else (qb if ax_b == 0 else qc)) * inv
    y = (qa if ax_a == 1 else (qb if ax_b == 1 else qc)) * inv
    z = (qa if ax_a == 2 else (qb if ax_b == 2 else qc)) * inv
    ix = int(math.floor(x))
    iy = int(math.floor(y))
    iz = int(math.floor(z))
    fx = x - ix
    fy = y - iy
    fz = z - iz
    fx = fx * fx * (3.0 - 2.0 * fx)
    fy = fy * fy * (3.0 - 2.0 * fy)
    fz = fz * fz * (3.0 - 2.0 * fz)
    v = 0.0
    for dz in range(2):
        wz = fz if dz else 1.0 - fz
        for dy in range(2):
            wy = fy if dy else 1.0 - fy
            v += wz * wy * ((1.0 - fx) * _value3(ix, iy + dy, iz + dz, seed)
                            + fx * _value3(ix + 1, iy + dy, iz + dz, seed))
    return _sheet(v, band, strength, P.LOBULE_INTERIOR)


_SCRATCH = threading.local()


def _scratch(shape) -> np.ndarray:
    """A zeroed complex64 buffer of ``shape``, reused by this thread (no fresh pages to
    fault in for every pose)."""
    buf = getattr(_SCRATCH, "buf", None)
    if buf is None or buf.shape != shape:
        buf = _SCRATCH.buf = np.zeros(shape, np.complex64)
    else:
        buf.fill(0.0)
    return buf


@numba.njit(cache=True, parallel=True, nogil=True)
def _add_buffer(out, spare):
    """``out += spare`` (fixed order, so the sum never depends on the threads)."""
    n_k, n_lines = out.shape[0], out.shape[1]
    for kl in numba.prange(n_k * n_lines):
        k = kl // n_lines
        i = kl % n_lines
        out[k, i] += spare[k, i]


@numba.njit(cache=True, parallel=True, nogil=True)
def _splat(rot, off, ax_a, ax_b, ax_c, ib0, ib1, ic0, ic1, s, y_max, seed, curved, radius,
           lat0, step, dz, d_max, w0, zf, zr, u_max, du, k_mid, gap, label, amp, mu0, scale,
           keep, keep_max, inv_keep, inv_w_row, two_k, dc, shift, s_max, septa, sax, inv_septa,
           band_septa, lobules, inv_lobule, band_lobule, out0, out1):
    n_lines = label.shape[1]
    n = label.shape[2]
    k_n = label.shape[0]
    ra, rb, rc = rot[1, ax_a], rot[1, ax_b], rot[1, ax_c]
    # a point's elevation differs from its cell centre's by at most this (b, c jitter)
    margin = 0.5 * s * (abs(rb) + abs(rc))
    # in-plane drift of a column across the slab, plus a cell
    drift = y_max * math.sqrt(max(1.0 - ra * ra, 0.0)) / abs(ra) + 2.0 * s
    half_lat = (n_lines - 1) * step / 2.0
    n_tab = 1024
    cos_t = np.cos(np.arange(n_tab) * (2.0 * math.pi / n_tab))
    sin_t = np.sin(np.arange(n_tab) * (2.0 * math.pi / n_tab))
    n_el = 256
    el_t = np.exp(-8.0 * math.log(2.0) * (np.arange(n_el + 1) * (u_max / n_el)) ** 2)
    ph_scale = two_k / (2.0 * math.pi) * n_tab
    inv_step = 1.0 / step
    inv_dz = 1.0 / dz
    inv_zr = 1.0 / zr
    el_scale = n_el / u_max
    # rows of the rotation for the three lattice axes
    xa, xb, xc = rot[0, ax_a], rot[0, ax_b], rot[0, ax_c]
    za, zb, zc_ = rot[2, ax_a], rot[2, ax_b], rot[2, ax_c]
    k1 = np.uint64(0x8CB92BA72F3D8DD7)
    k2 = np.uint64(0xD6E8FEB86659FD93)
    k3 = np.uint64(0xA0761D6478BD642F)
    for t in numba.prange(N_BUFFERS):
        buf = out0 if t == 0 else out1
        for ib in range(ib0 + t, ib1 + 1, N_BUFFERS):
            for ic in range(ic0, ic1 + 1):
                pb = (ib + 0.5) * s
                pc = (ic + 0.5) * s
                rest = rb * pb + rc * pc + off[1]
                # where the column crosses the image plane (y = 0): skip columns that miss
                # the fan, and keep only the slab's thickness at that depth
                pa0 = -rest / ra
                cx = xa * pa0 + xb * pb + xc * pc + off[0]
                cz = za * pa0 + zb * pb + zc_ * pc + off[2]
                if curved:
                    czc = cz + radius
                    cd = math.sqrt(cx * cx + czc * czc) - radius
                    clat = math.atan2(cx, czc) * (radius + max(cd, 0.0))
                    half = half_lat * (radius + max(cd, 0.0))
                else:
                    cd = cz
                    clat = cx
                    half = half_lat
                # the contact shift of the lines this column's points can fall on
                s_col = 0.0
                if s_max > 0.0:
                    r_c = radius + max(cd, 0.0) if curved else 1.0
                    s_col = shift_max(shift, (clat - drift) / r_c - lat0,
                                      (clat + drift) / r_c - lat0, inv_step)
                if cd < -drift or cd > d_max + s_col + drift or abs(clat) > half + drift:
                    continue
                # the beam's width at the display depth: up to s_col shallower (contact)
                dc0 = max(cd - drift - s_col, 0.0)
                dc1 = cd + drift
                wc = max(w0 * math.sqrt(1.0 + ((dc0 - zf) * inv_zr) ** 2),
                         w0 * math.sqrt(1.0 + ((dc1 - zf) * inv_zr) ** 2))
                if zf > dc0 and zf < dc1:
                    wc = max(wc, w0)
                y_lim = min(u_max * wc + s, y_max)
                # cells whose centre is within y_lim + margin of the image plane
                lo = (-y_lim - margin - rest) / ra
                hi = (y_lim + margin - rest) / ra
                if lo > hi:
                    lo, hi = hi, lo
                hb = _mix(np.uint64(ib) * k2 ^ np.uint64(ic) * k3 ^ seed)
                for ia in range(int(math.floor(lo / s)), int(math.floor(hi / s)) + 1):
                    h = _mix(np.uint64(ia) * k1 ^ hb)
                    qa = (ia + _byte(h, 0)) * s
                    qb = (ib + _byte(h, 1)) * s
                    qc = (ic + _byte(h, 2)) * s
                    y = ra * qa + rb * qb + rc * qc + off[1]
                    if abs(y) > y_lim:
                        continue
                    px = xa * qa + xb * qb + xc * qc + off[0]
                    pz = za * qa + zb * qb + zc_ * qc + off[2]
                    if curved:
                        zc = pz + radius
                        if zc <= 0.0:
                            continue
                        dw = math.sqrt(px * px + zc * zc) - radius
                    else:
                        zc = 1.0
                        dw = pz
                    if dw < 0.0 or dw > d_max + s_col:
                        continue
                    # early slab test with the widest slice at the display depths this
                    # depth can have
                    e_d = max(abs(dw - zf), abs(dw - s_col - zf)) * inv_zr
                    yw = u_max * w0
                    if y * y > yw * yw * (1.0 + e_d * e_d):
                        continue
                    b3 = _byte(h, 3)
                    if dw - s_col >= dc:  # below the contact layer: the display depth is
                        # the world depth less at most s_col, so the thinning test with the
                        # largest share over those rows can come before the line's angle
                        je = min(int(math.floor(dw * inv_dz - 0.5 + 0.5)), n - 1)
                        if b3 >= keep_max[je]:
                            continue
                    lat = _atan(px / zc) if curved else px  # zc > 0
                    lf = (lat - lat0) * inv_step
                    if lf < 0.0 or lf > n_lines - 1:
                        continue
                    i = int(lf + 0.5)
                    g = gap[i]
                    if not np.isfinite(g):
                        continue
                    dd = disp_from_world(dw - shift_at(shift, lf), g, dc)
                    jf = dd * inv_dz - 0.5
                    jn = int(math.floor(jf + 0.5))
                    if jn < 0 or jn >= n:
                        continue
                    # thinning: fewer scatterers where the resolution cell is large
                    if b3 >= keep[jn]:
                        continue
                    u = y * inv_w_row[jn]
                    au = abs(u)
                    if au > u_max:
                        continue
                    k = int(math.floor(u / du + 0.5)) + k_mid
                    k = min(max(k, 0), k_n - 1)
                    lab = label[k, i, jn]
                    # an independent draw for the tissue's scatter density
                    if _byte(h, 4) >= mu0[lab]:
                        continue
                    e = amp[lab, i]
                    if e == 0.0:
                        continue
                    if septa[lab] > 0.0:
                        e *= _septa(qa, qb, qc, ax_a, ax_b, ax_c, sax[lab], inv_septa,
                                    band_septa, septa[lab], seed)
                    elif lobules[lab] > 0.0:
                        e *= _lobule_septa(qa, qb, qc, ax_a, ax_b, ax_c, inv_lobule,
                                           band_lobule, lobules[lab], seed)
                    wgt = e * el_t[int(au * el_scale + 0.5)] * scale[jn]
                    ar = _byte(h, 5) + _byte(h, 6) - 1.0
                    ai = _byte(h, 7) + b3 * inv_keep[jn] - 1.0
                    m = int(dw * ph_scale) & (n_tab - 1)
                    c = cos_t[m]
                    sn = -sin_t[m]
                    vr = wgt * (ar * c - ai * sn)
                    vi = wgt * (ar * sn + ai * c)
                    i0 = int(math.floor(lf))
                    fi = lf - i0
                    j0 = int(math.floor(jf))
                    fj = jf - j0
                    for di in range(2):
                        ii = i0 + di
                        if ii < 0 or ii >= n_lines:
                            continue
                        wi = fi if di else 1.0 - fi
                        for dj in range(2):
                            jj = j0 + dj
                            if jj < 0 or jj >= n:
                                continue
                            wj = fj if dj else 1.0 - fj
                            buf[k, ii, jj] += complex(vr * wi * wj, vi * wi * wj)
