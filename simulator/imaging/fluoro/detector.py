"""From line integrals to the displayed frame: exposure, quantum noise, blur, log, window.

Exposure (fluoroscopy.md s.5, DeepDRR's Poisson model): the automatic brightness control sets
the tube output so that the detector behind the patient receives a fixed air kerma per
frame, so the noise level depends on the frame type, the pixel size and the low-dose setting
rather than on the patient. ``DETECTOR_NGY_PER_PULSE`` at the detector and
``QUANTA_PER_MM2_PER_NGY`` (60 keV photons, ``1 / (E * (mu_en/rho)_air)``) with a detective
quantum efficiency give the mean quanta per pixel behind the reference anatomy (the median
over the central part of the field, where the control measures). A spot image costs
``carm.SPOT_PULSES`` pulses and is correspondingly less noisy; low-dose mode halves the kerma
per pulse but its 256^2 pixels are four times larger.

Quantum noise is Poisson: exact below ``EXACT_POISSON_BELOW`` quanta, its normal limit above.
The scintillator spreads the detected quanta (Gaussian, ``BLUR_MM`` at the detector), which
also correlates the noise as on a real panel. These per-frame kernels run on one thread:
on a shared 2-core machine the barrier of a parallel region costs more than it saves at
these sizes. The displayed value is the log of the detected
signal, windowed on the anatomy, dense = dark. Like the image processing of a real C-arm,
a share (``COMPRESSION``) of the large-scale thickness variation (the anatomy blurred over
``COMPRESSION_SIGMA_MM``) is taken out first, so thick and thin parts of the field both keep
their local bone detail, and an unsharp mask (``EDGE_GAIN``, ``EDGE_SIGMA_MM``) sharpens
cortical outlines, noise included, as the edge enhancement of a C-arm's image chain does.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simulator import carm as carm_model

DETECTOR_NGY_PER_PULSE = 40.0        # typical pulsed-fluoroscopy detector entrance dose
QUANTA_PER_MM2_PER_NGY = 34.2        # 60 keV: 1 / (9.61e-15 J * 3.04e-3 m2/kg), per mm2 nGy
DQE = 0.65
EXACT_POISSON_BELOW = 20.0
BLUR_MM = 0.35
WINDOW_PERCENTILES = (2.0, 99.8)     # of the anatomy's line integrals inside the field
BODY_FRACTION = 0.25                 # pixels below this share of the median are air
GAMMA = 1.4                          # > 1 keeps soft tissue light, bone mid-grey
COMPRESSION = 0.75
EDGE_GAIN = 1.0                      # unsharp mask: v + gain * (v - blurred v)
EDGE_SIGMA_MM = 2.4                  # at the detector (~1.4 mm at the isocentre)
COMPRESSION_SIGMA_MM = 25.0


def quanta_per_pixel(pixel_mm: float, *, spot: bool, low_dose: bool) -> float:
    """Mean detected quanta per pixel behind the reference anatomy for one frame."""
    kerma = DETECTOR_NGY_PER_PULSE * (carm_model.SPOT_PULSES if spot else 1.0)
    if low_dose:
        kerma *= carm_model.LOW_DOSE_FACTOR
    return kerma * QUANTA_PER_MM2_PER_NGY * DQE * pixel_mm * pixel_mm


def field_mask(size: int, pixel_mm: float, field_mm: float,
               intensifier_mm: float | None) -> np.ndarray:
    """Exposed pixels ``(size, size) bool``: inside the square collimated field (width at the
    detector) and, with an image intensifier, inside its circular input field."""
    c = (size - 1) / 2.0
    r = (np.arange(size) - c) * pixel_mm
    inside = np.abs(r) <= field_mm / 2.0
    mask = inside[:, None] & inside[None, :]
    if intensifier_mm is not None:
        mask &= (r[:, None] ** 2 + r[None, :] ** 2) <= (intensifier_mm / 2.0) ** 2
    return mask


def compression_offset(line_integrals: np.ndarray, mask: np.ndarray,
                       pixel_mm: float) -> np.ndarray:
    """Offset ``(h, w) float32`` subtracted from the log image before windowing:
    ``COMPRESSION`` times the exposed anatomy blurred over ``COMPRESSION_SIGMA_MM``
    (normalised convolution on an 8x coarser grid, so unexposed pixels do not leak in)."""
    from scipy.ndimage import gaussian_filter

    f = 8
    h, w = line_integrals.shape
    hc, wc = -(-h // f), -(-w // f)
    pad_l = np.zeros((hc * f, wc * f), np.float32)
    pad_m = np.zeros((hc * f, wc * f), np.float32)
    pad_l[:h, :w] = np.where(mask, line_integrals, 0.0)
    pad_m[:h, :w] = mask
    small_l = pad_l.reshape(hc, f, wc, f).mean((1, 3))
    small_m = pad_m.reshape(hc, f, wc, f).mean((1, 3))
    sigma = COMPRESSION_SIGMA_MM / (pixel_mm * f)
    low = gaussian_filter(small_l, sigma, mode="nearest") / np.maximum(
        gaussian_filter(small_m, sigma, mode="nearest"), 1e-6)
    out = np.empty((h, w), np.float32)
    _upsample(low.astype(np.float32), f, COMPRESSION, out)
    return out


@numba.njit(cache=True, nogil=True)
def _upsample(small, f, scale, out):
    """Bilinear upsampling by ``f`` (coarse cell centres at ``(k + 0.5) f - 0.5``), times
    ``scale``."""
    hc, wc = small.shape
    h, w = out.shape
    for j in range(h):
        y = min(max((j + 0.5) / f - 0.5, 0.0), hc - 1.0)
        j0 = min(int(y), hc - 2) if hc > 1 else 0
        fy = y - j0
        for i in range(w):
            x = min(max((i + 0.5) / f - 0.5, 0.0), wc - 1.0)
            i0 = min(int(x), wc - 2) if wc > 1 else 0
            fx = x - i0
            j1 = min(j0 + 1, hc - 1)
            i1 = min(i0 + 1, wc - 1)
            top = small[j0, i0] * (1.0 - fx) + small[j0, i1] * fx
            bottom = small[j1, i0] * (1.0 - fx) + small[j1, i1] * fx
            out[j, i] = scale * (top * (1.0 - fy) + bottom * fy)


def window(line_integrals: np.ndarray, mask: np.ndarray) -> tuple[float, float, float]:
    """``(lo, hi, reference)``: display window and the exposure-control reference line
    integral, from the anatomy alone (so the needle and contrast do not shift the grey
    levels). Air is left out; the reference is the median of the central half of the field."""
    values = line_integrals[mask]
    if values.size == 0:
        return 0.0, 1.0, 0.0
    sample = values[:: max(1, values.size // 20000)]
    median = float(np.median(sample))
    body = sample[sample > BODY_FRACTION * median] if median > 0 else sample
    if body.size == 0:
        body = sample
    lo, hi = np.percentile(body, WINDOW_PERCENTILES)
    size = line_integrals.shape[0]
    q = size // 4
    centre = line_integrals[q:size - q, q:size - q][mask[q:size - q, q:size - q]]
    reference = float(np.median(centre)) if centre.size else median
    if hi - lo < 1e-3:
        hi = lo + 1e-3
    return float(lo), float(hi), reference


def gaussian_taps(sigma_px: float) -> np.ndarray:
    """Normalised 1-D Gaussian kernel (odd length)."""
    radius = max(1, int(math.ceil(3.0 * sigma_px)))
    x = np.arange(-radius, radius + 1, dtype=float)
    k = np.exp(-0.5 * (x / max(sigma_px, 1e-6)) ** 2)
    return k / k.sum()


def detected_quanta(line_integrals: np.ndarray, n0: float, rng: np.random.Generator):
    """Noisy detected quanta ``(h, w) float32`` for unattenuated quanta ``n0`` per pixel.

    One standard normal deviate per pixel from ``rng``: above ``EXACT_POISSON_BELOW`` quanta
    the count is ``lam + sqrt(lam) z``; below, ``z`` is turned into a uniform ``Phi(z)`` and the
    count drawn exactly from the Poisson distribution by inverting its CDF.
    """
    z = rng.standard_normal(line_integrals.shape, dtype=np.float32)
    out = np.empty(line_integrals.shape, np.float32)
    _quanta(np.ascontiguousarray(line_integrals, np.float32), float(n0), z, out)
    return out


@numba.njit(cache=True, nogil=True)
def _quanta(line, n0, z, out):
    h, w = line.shape
    for j in range(h):
        for i in range(w):
            lam = n0 * math.exp(-line[j, i])
            if lam >= EXACT_POISSON_BELOW:
                out[j, i] = lam + math.sqrt(lam) * z[j, i]
                continue
            u = 0.5 * math.erfc(-z[j, i] / math.sqrt(2.0))
            k = 0
            p = math.exp(-lam)
            cdf = p
            while cdf < u and k < 200:
                k += 1
                p *= lam / k
                cdf += p
            out[j, i] = k


@numba.njit(cache=True, nogil=True)
def _blur_rows(a, taps, out):
    h, w = a.shape
    r = taps.shape[0] // 2
    for j in range(h):
        row = a[j]
        for i in range(w):
            acc = 0.0
            if r <= i < w - r:  # interior: no clamping
                for k in range(-r, r + 1):
                    acc += taps[k + r] * row[i + k]
            else:
                for k in range(-r, r + 1):
                    acc += taps[k + r] * row[min(max(i + k, 0), w - 1)]
            out[j, i] = acc


@numba.njit(cache=True, nogil=True)
def _blur_col_row(a, taps, j, acc):
    """Row ``j`` of the column pass of a separable blur of ``a`` (h, w) into ``acc`` (w,),
    edges clamped; whole rows at a time (contiguous, vectorised)."""
    h, w = a.shape
    r = taps.shape[0] // 2
    acc[:] = 0.0
    for k in range(-r, r + 1):
        src = a[min(max(j + k, 0), h - 1)]
        t = taps[k + r]
        for i in range(w):
            acc[i] += t * src[i]


@numba.njit(cache=True, nogil=True)
def _log_cols(a, taps, n0, offset, out):
    """Column pass of the detector blur, then ``-ln(I / n0) - offset``."""
    h, w = a.shape
    acc = np.empty(w)
    for j in range(h):
        _blur_col_row(a, taps, j, acc)
        for i in range(w):
            out[j, i] = -math.log(max(acc[i], 0.5) / n0) - offset[j, i]


@numba.njit(cache=True, nogil=True)
def _halve(a):
    h, w = a.shape
    out = np.empty(((h + 1) // 2, (w + 1) // 2), np.float32)
    for j in range(out.shape[0]):
        for i in range(out.shape[1]):
            j1 = min(2 * j + 1, h - 1)
            i1 = min(2 * i + 1, w - 1)
            out[j, i] = 0.25 * (a[2 * j, 2 * i] + a[2 * j, i1] + a[j1, 2 * i] + a[j1, i1])
    return out


@numba.njit(cache=True, nogil=True)
def _separable(a, taps):
    tmp = np.empty_like(a)
    _blur_rows(a, taps, tmp)
    out = np.empty_like(a)
    acc = np.empty(a.shape[1])
    for j in range(a.shape[0]):
        _blur_col_row(tmp, taps, j, acc)
        out[j] = acc
    return out


@numba.njit(cache=True, nogil=True)
def _enhanced_row(v, low, gain, j, row):
    """Row ``j`` of ``v + gain (v - low)`` into ``row`` (w,), with ``low`` (v on the
    half-resolution grid, smoothed) sampled bilinearly at full resolution."""
    w = v.shape[1]
    hc, wc = low.shape
    y = min(max((j + 0.5) / 2.0 - 0.5, 0.0), hc - 1.0)
    j0 = min(int(y), max(hc - 2, 0))
    j1 = min(j0 + 1, hc - 1)
    fy = y - j0
    for i in range(w):
        x = min(max((i + 0.5) / 2.0 - 0.5, 0.0), wc - 1.0)
        i0 = min(int(x), max(wc - 2, 0))
        i1 = min(i0 + 1, wc - 1)
        fx = x - i0
        smooth = ((low[j0, i0] * (1.0 - fx) + low[j0, i1] * fx) * (1.0 - fy)
                  + (low[j1, i0] * (1.0 - fx) + low[j1, i1] * fx) * fy)
        row[i] = v[j, i] + gain * (v[j, i] - smooth)


@numba.njit(cache=True, nogil=True)
def _window(v, low, gain, lo, hi, lut, mask, out):
    """``e = v + gain (v - low)`` (``low`` on the half-resolution grid, bilinear), windowed
    through ``lut`` (grey level for ``(hi - e) / (hi - lo)`` in ``len(lut)`` steps)."""
    h, w = v.shape
    n = lut.shape[0] - 1
    scale = n / (hi - lo)
    e = np.empty(w)
    for j in range(h):
        _enhanced_row(v, low, gain, j, e)
        for i in range(w):
            if mask[j, i]:
                k = int((hi - e[i]) * scale + 0.5)
                out[j, i] = lut[min(max(k, 0), n)]
            else:
                out[j, i] = 0


def grey_levels(invert: bool, steps: int = 4096) -> np.ndarray:
    """Look-up table ``(steps,) uint8``: grey level of the window position 0 (dense) .. 1."""
    x = np.linspace(0.0, 1.0, steps) ** GAMMA
    if invert:
        x = 1.0 - x
    return np.round(x * 255.0).astype(np.uint8)


def enhance(values: np.ndarray, pixel_mm: float) -> np.ndarray:
    """The edge-enhanced image ``v + EDGE_GAIN (v - G v)`` (float32), for windowing."""
    v = np.ascontiguousarray(values, np.float32)
    low = _edge_low(v, pixel_mm)
    out = np.empty(v.shape, np.float32)
    _enhanced(v, low, EDGE_GAIN, out)
    return out


def _edge_low(v: np.ndarray, pixel_mm: float) -> np.ndarray:
    """The unsharp mask's blurred image: ``v`` halved and smoothed over ``EDGE_SIGMA_MM``."""
    return _separable(_halve(v), gaussian_taps(EDGE_SIGMA_MM / pixel_mm / 2.0).astype(
        np.float32))


@numba.njit(cache=True, nogil=True)
def _enhanced(v, low, gain, out):
    for j in range(v.shape[0]):
        _enhanced_row(v, low, gain, j, out[j])


def display(counts: np.ndarray, n0: float, pixel_mm: float, offset: np.ndarray, lo: float,
            hi: float, mask: np.ndarray, *, invert: bool = False) -> np.ndarray:
    """Detected quanta -> ``uint8`` display: detector blur, log, compression (subtract
    ``offset``), edge enhancement, window and mask. Dense (high line integral) is dark unless
    ``invert``; unexposed pixels are black.
    """
    taps = gaussian_taps(BLUR_MM / pixel_mm)
    tmp = np.empty_like(counts)
    _blur_rows(counts, taps, tmp)
    v = np.empty(counts.shape, np.float32)
    _log_cols(tmp, taps, float(n0), offset, v)
    low = _edge_low(v, pixel_mm)
    out = np.empty(counts.shape, np.uint8)
    _window(v, low, EDGE_GAIN, float(lo), float(hi), grey_levels(bool(invert)), mask, out)
    return out
