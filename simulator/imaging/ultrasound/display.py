"""From the complex line buffer to display grey levels: PSF, envelope, noise, TGC, log.

- PSF [R3]: separable Gaussian in complex baseband. Axial FWHM = pulse length / 2 (fixed);
  lateral FWHM from ``scan.lateral_fwhm_mm`` (narrowest at the transmit focus, widening
  beyond it), converted to lines at each depth. The bilinear splat of point scatterers
  already spreads them by a tent of variance 1/6 bin^2, which the kernels leave out.
  Specular echoes are drawn with the axial pulse already applied (``pulse_sigma``, peak =
  ``r``); the lateral kernel sums to 1 (an interface seen on every line keeps ``r``).
- Envelope: magnitude of the baseband signal plus receiver noise that changes with
  ``(seed, tick)``.
- The per-frame kernels here (lateral PSF, envelope, log) run on one thread: a few
  milliseconds of work that thread barriers would only slow down on a busy machine.
- Display [R14]: ``grey = 255 * clip((20 log10(env) + gain + TGC(z) + DR) / DR, 0, 1)``
  (gain includes a fixed ``DISPLAY_OFFSET_DB``);
  TGC = the scanner's built-in depth gain plus the eight user bands (piecewise linear
  through the band centres).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from simulator.imaging.ultrasound import params as P
from simulator.imaging.ultrasound.scan import ScanGeometry
from simulator.imaging.ultrasound.speckle import _mix

MAX_HALF_WIDTH = 16
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


@dataclass(frozen=True, eq=False)
class Kernels:
    """PSF kernels of one geometry.

    Attributes
    ----------
    axial : (2 ha + 1,) float32                  peak 1
    lateral : (n_samples, 2 hl + 1) float32      one kernel per depth row, each summing to 1
    axial_power : float, lateral_power : (n_samples,) float64
        Power gain of bilinear splat + kernel for uncorrelated point sources.
    """

    axial: np.ndarray
    lateral: np.ndarray
    axial_power: float
    lateral_power: np.ndarray


def _gauss(sigma: float, half: int) -> np.ndarray:
    x = np.arange(-half, half + 1, dtype=float)
    return np.exp(-0.5 * (x / sigma) ** 2)


def _splat_power(k: np.ndarray) -> float:
    return float((2.0 / 3.0) * (k ** 2).sum() + (1.0 / 3.0) * (k[1:] * k[:-1]).sum())


def _kernel_sigma(fwhm_bins: float) -> float:
    s2 = (fwhm_bins / _FWHM_PER_SIGMA) ** 2 - 1.0 / 6.0
    return math.sqrt(max(s2, 0.09))


@lru_cache(maxsize=32)
def kernels(geom: ScanGeometry) -> Kernels:
    sa = _kernel_sigma(geom.axial_fwhm_mm / geom.dz_mm)
    ha = min(int(math.ceil(3.0 * sa)), MAX_HALF_WIDTH)
    axial = _gauss(sa, ha)
    sl = [_kernel_sigma(f / s) for f, s in zip(geom.lateral_fwhm_mm, geom.line_spacing_mm,
                                                strict=True)]
    hl = min(int(math.ceil(3.0 * max(sl))), MAX_HALF_WIDTH)
    lateral = np.stack([_gauss(s, hl) for s in sl])
    lateral /= lateral.sum(1, keepdims=True)
    lat_power = np.array([_splat_power(k) for k in lateral])
    return Kernels(axial.astype(np.float32), lateral.astype(np.float32), _splat_power(axial),
                   lat_power)


def pulse_sigma(geom: ScanGeometry) -> float:
    """Axial pulse envelope (Gaussian sigma, samples) for echoes placed at exact depths."""
    return geom.axial_fwhm_mm / geom.dz_mm / _FWHM_PER_SIGMA


def attenuated_speckle(raw: np.ndarray, gain: np.ndarray, weights: np.ndarray,
                       echoes: np.ndarray, k: Kernels, first: int, last: int,
                       rf: np.ndarray, att: np.ndarray, attenuation: np.ndarray) -> None:
    """Lines ``first..last`` of the static buffer, in place: ``rf = echoes + axial PSF of
    sum_k raw_k * gain_k`` and ``att = sum_k weights_k * attenuation_k``.

    ``raw`` ``(K, n_lines, n)`` are the unattenuated scatterer buffers; ``gain`` holds the
    lines ``first..last`` only (``(K, last - first + 1, n)``: attenuation times the share of
    tissue left beside injected fluid). Each scatterer is attenuated at its own depth and then
    spread by the pulse, as a real echo is.
    """
    _combine(raw, gain, weights.astype(np.float32), echoes, k.axial, first, last, rf, att,
             attenuation)


@numba.njit(cache=True, parallel=True, nogil=True)
def _combine(raw, gain, wk, echoes, ker, first, last, rf, att, attenuation):
    k_n, _, n = raw.shape
    h = (ker.shape[0] - 1) // 2
    for i in numba.prange(first, last + 1):
        row = np.zeros(n, np.complex64)
        g = i - first
        for j in range(n):
            acc = np.complex64(0.0)
            a = np.float32(0.0)
            for k in range(k_n):
                acc += raw[k, i, j] * gain[k, g, j]
                a += wk[k] * attenuation[k, i, j]
            row[j] = acc
            att[i, j] = a
        for j in range(n):
            acc = echoes[i, j]
            for m in range(max(-h, -j), min(h, n - 1 - j) + 1):
                acc += ker[m + h] * row[j + m]
            rf[i, j] = acc


def convolve_lateral(rf: np.ndarray, k: Kernels) -> np.ndarray:
    """Lateral PSF (beam width at each depth) of a complex64 buffer (new array)."""
    out = np.empty_like(rf)
    _lateral(rf, np.ascontiguousarray(k.lateral.T), out)
    return out


@numba.njit(cache=True, nogil=True)
def _lateral(rf, ker_t, out):
    """``ker_t`` is ``(2h + 1, n_samples)``: the kernel of every depth, tap-major, so the
    inner loop runs along contiguous samples."""
    n_lines, n = rf.shape
    h = (ker_t.shape[0] - 1) // 2
    for i in range(n_lines):
        for j in range(n):
            out[i, j] = 0.0
        for m in range(max(-h, -i), min(h, n_lines - 1 - i) + 1):
            src = rf[i + m]
            kr = ker_t[m + h]
            for j in range(n):
                out[i, j] += kr[j] * src[j]


def envelope(rf: np.ndarray, seed: int, tick: int) -> np.ndarray:
    """``|rf + noise|`` as float32 ``(n_lines, n_samples)``; noise from ``(seed, tick)``."""
    out = np.empty(rf.shape, np.float32)
    key = (int(seed) * 0x9E3779B97F4A7C15 + int(tick) * 0xC2B2AE3D27D4EB4F + 7) & (2 ** 64 - 1)
    _envelope(rf, np.uint64(key), P.NOISE_RMS * math.sqrt(3.0), out)
    return out


@numba.njit(cache=True, nogil=True)
def _envelope(rf, key, scale, out):
    n_lines, n = rf.shape
    inv = 1.0 / 65536.0
    mask = np.uint64(0xFFFF)
    for i in range(n_lines):
        for j in range(n):
            h = _mix(key ^ np.uint64(i * n + j) * np.uint64(0x9E3779B97F4A7C15))
            a = np.float64(h & mask) * inv
            b = np.float64((h >> np.uint64(16)) & mask) * inv
            c = np.float64((h >> np.uint64(32)) & mask) * inv
            d = np.float64((h >> np.uint64(48)) & mask) * inv
            re = rf[i, j].real + scale * (a + b - 1.0)
            im = rf[i, j].imag + scale * (c + d - 1.0)
            out[i, j] = math.sqrt(re * re + im * im)


def gain_curve_db(geom: ScanGeometry, gain_db: float, tgc_db) -> np.ndarray:
    """Total display gain at each sample depth ``(n_samples,)``, dB."""
    d = geom.depth_mm
    bands = np.asarray(tgc_db, float)
    centres = (np.arange(len(bands)) + 0.5) / len(bands) * geom.max_depth_mm
    user = np.interp(d, centres, bands)
    built_in = P.BASELINE_TGC_DB_CM_MHZ * geom.frequency_mhz * d / 10.0
    return gain_db + built_in + user + P.DISPLAY_OFFSET_DB


def log_compress(env: np.ndarray, gain_db: np.ndarray, dynamic_range_db: float) -> np.ndarray:
    """Grey levels 0..255 as float32 ``(n_lines, n_samples)``."""
    out = np.empty(env.shape, np.float32)
    _log(env, gain_db.astype(np.float32), np.float32(dynamic_range_db), out)
    return out


@numba.njit(cache=True, nogil=True)
def _log(env, gain, dr, out):
    n_lines, n = env.shape
    to_db = np.float32(20.0 / math.log(10.0))
    scale = np.float32(255.0) / dr
    for i in range(n_lines):
        for j in range(n):
            db = to_db * np.log(max(env[i, j], np.float32(1e-12))) + gain[j]
            out[i, j] = min(max((db + dr) * scale, np.float32(0.0)), np.float32(255.0))
