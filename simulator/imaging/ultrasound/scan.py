"""Scan geometry and beam model: scanlines, samples, point-spread widths, elevation profile.

Probe frame (as in ``simulator.transducer``): x along the array (image width), y elevation,
z depth. A curvilinear array has its virtual apex at ``(0, 0, -radius)``; scanline ``i``
leaves the face at angle ``line_lateral[i]`` (rad) from the apex. A linear array's lines are
parallel to z at ``x = line_lateral[i]`` (mm). Depth is measured along a line from the face,
exactly as ``transducer.image_coords`` does, so the image and the "tip in beam" score agree.

Contact under a rocked probe: rocking turns the probe about its contact point, so one end of
the face lifts off the skin. A real probe presses the tissue up against its face, and the skin
stays at the top of the image; here each line's samples start ``line_shift_mm[i]`` beyond the
face along the line (the air gap the rock opened on it), so sample depth ``d`` on line ``i``
lies at ``d + line_shift_mm[i]`` from the face (``rocked_geometry``). ``points`` and
``line_coords`` include the shift; the screen layout (scan conversion) is the unshifted
geometry's (``unshifted``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numba
import numpy as np

from simulator.imaging.ultrasound import params as P
from simulator.transducer import PRESETS, Preset, image_coords, slice_thickness_mm


@dataclass(frozen=True, eq=False)
class ScanGeometry:
    """Scanlines, samples and the beam at one set of scanner settings.

    Attributes
    ----------
    preset : Preset
    curved : bool
    radius_mm : float
        Apex-to-face radius (0 for a linear array).
    line_lateral : (n_lines,) float64
        Beam angle (rad, curvilinear) or lateral position (mm, linear) of each line.
    line_step : float
        Spacing of ``line_lateral`` (rad or mm).
    depth_mm : (n_samples,) float64
        Depth of each sample below the face; ``dz_mm`` apart, the first at ``dz_mm / 2``.
    line_spacing_mm : (n_samples,) float64
        Distance between neighbouring lines at each sample depth.
    elevation_fwhm_mm : (n_samples,) float64
        One-way slice thickness at each depth (``transducer.slice_thickness_mm``).
    axial_fwhm_mm : float
        Pulse-echo axial resolution (envelope FWHM).
    lateral_fwhm_mm : (n_samples,) float64
        Pulse-echo lateral resolution at each depth (transmit focus x dynamic receive).
    wavelength_mm, frequency_mhz, focus_mm, max_depth_mm : float
    line_shift_mm : (n_lines,) float64
        How far beyond the face each line's first sample starts (mm, along the line): the
        tissue pushed up against the lifted part of a rocked probe's face; zeros when flat.
    base : ScanGeometry or None
        The unshifted geometry this one shifts (``None``: this one is unshifted).
    """

    preset: Preset
    curved: bool
    radius_mm: float
    line_lateral: np.ndarray
    line_step: float
    depth_mm: np.ndarray
    dz_mm: float
    line_spacing_mm: np.ndarray
    elevation_fwhm_mm: np.ndarray
    axial_fwhm_mm: float
    lateral_fwhm_mm: np.ndarray
    wavelength_mm: float
    frequency_mhz: float
    focus_mm: float
    max_depth_mm: float
    line_shift_mm: np.ndarray
    base: ScanGeometry | None = None

    @property
    def unshifted(self) -> ScanGeometry:
        """The geometry without the contact shift: the screen layout of the image."""
        return self if self.base is None else self.base

    @property
    def max_shift_mm(self) -> float:
        return 0.0 if self.base is None else float(self.line_shift_mm.max())

    def shift_at(self, lines) -> np.ndarray:
        """Contact shift (mm) at (fractional) line indices, linear between lines."""
        return np.interp(np.asarray(lines, float), np.arange(self.n_lines), self.line_shift_mm)

    @property
    def n_lines(self) -> int:
        return len(self.line_lateral)

    @property
    def n_samples(self) -> int:
        return len(self.depth_mm)

    def elevation_args(self) -> tuple[float, float, float]:
        """``(w0, z_focus, z_rayleigh)`` of the slice-thickness profile (for numba code)."""
        p = self.preset
        z_r = p.elevation_focus_mm / math.sqrt((p.elevation_mm / p.slice_focus_mm) ** 2 - 1.0)
        return p.slice_focus_mm, p.elevation_focus_mm, z_r

    def points(self, lines, depths_mm) -> np.ndarray:
        """Probe-frame points ``(n, 3)`` at (fractional) line indices and depths."""
        lines = np.asarray(lines, float)
        d = np.asarray(depths_mm, float)
        if self.base is not None:
            d = d + self.shift_at(lines)
        lat = self.line_lateral[0] + lines * self.line_step
        out = np.zeros(np.broadcast(lat, d).shape + (3,))
        if self.curved:
            r = self.radius_mm + d
            out[..., 0] = r * np.sin(lat)
            out[..., 2] = r * np.cos(lat) - self.radius_mm
        else:
            out[..., 0] = lat
            out[..., 2] = d
        return out

    def line_coords(self, points_probe) -> tuple[np.ndarray, np.ndarray]:
        """Fractional line index and depth (mm) of probe-frame points ``(n, 3)``."""
        lat, depth = image_coords(self.preset, points_probe)
        line = (lat - self.line_lateral[0]) / self.line_step
        if self.base is not None:
            depth = depth - self.shift_at(line)
        return line, depth

    def line_directions(self) -> np.ndarray:
        """Unit beam direction of every line in the probe frame ``(n_lines, 3)``."""
        u = np.zeros((self.n_lines, 3))
        if self.curved:
            u[:, 0] = np.sin(self.line_lateral)
            u[:, 2] = np.cos(self.line_lateral)
        else:
            u[:, 2] = 1.0
        return u


@lru_cache(maxsize=32)
def scan_geometry(preset_name: str, depth_mm: float, frequency_mhz: float,
                  focus_mm: float, n_lines: int = P.N_LINES,
                  n_samples: int = P.N_SAMPLES) -> ScanGeometry:
    """The geometry for a preset and the scanner settings (cached)."""
    preset = PRESETS[preset_name]
    curved = preset.kind == "curvilinear"
    if curved:
        half = preset.sector_rad / 2
    else:
        half = preset.aperture_mm / 2
    lateral = np.linspace(-half, half, n_lines)
    step = float(lateral[1] - lateral[0])
    dz = depth_mm / n_samples
    depth = (np.arange(n_samples) + 0.5) * dz
    spacing = step * (preset.radius_mm + depth) if curved else np.full(n_samples, step)
    lam = P.wavelength_mm(frequency_mhz)
    shift = np.zeros(n_lines)
    shift.setflags(write=False)
    return ScanGeometry(
        preset=preset, curved=curved, radius_mm=preset.radius_mm if curved else 0.0,
        line_lateral=lateral, line_step=step, depth_mm=depth, dz_mm=dz,
        line_spacing_mm=spacing, elevation_fwhm_mm=slice_thickness_mm(preset, depth),
        axial_fwhm_mm=P.PULSE_CYCLES * lam / 2.0,
        lateral_fwhm_mm=lateral_fwhm_mm(preset, lam, focus_mm, depth),
        wavelength_mm=lam, frequency_mhz=float(frequency_mhz), focus_mm=float(focus_mm),
        max_depth_mm=float(depth_mm), line_shift_mm=shift)


MIN_SKIN_COS = 0.1   # a line this oblique to the skin meets it ten lengths away: cap there


@lru_cache(maxsize=64)
def rocked_geometry(geom: ScanGeometry, rock_rad: float) -> ScanGeometry:
    """``geom`` with the contact shift of a probe rocked by ``rock_rad`` heel-to-toe
    (``simulator.probe``: about the elevation axis through the contact point; ``geom``
    itself when flat).

    The skin is taken as the plane the flat probe's face touches at the contact point. In
    the image plane of the unrocked probe it is ``z = 0``; a point ``(x, z)`` of the rocked
    probe frame lies at ``z_u = z cos(rock) - x sin(rock)`` below it. A line leaving the face
    at ``p`` along ``u`` reaches the skin after ``t = -z_u(p) / z_u(u)`` mm; the lift is what
    the rock adds to the flat face's own gap there (``t`` at rock 0: nil for a linear
    array, the curved face's sag at its ends, which the line walk's contact layer closes):
    ``shift = max(t_rocked - t_flat, 0)``. Under the pressed part (negative lift) nothing
    changes.
    """
    rock = float(rock_rad)
    if rock == 0.0:
        return geom
    face = geom.points(np.arange(geom.n_lines), np.zeros(geom.n_lines))   # (n_lines, 3)
    u = geom.line_directions()
    c, s = math.cos(rock), math.sin(rock)
    z_face = face[:, 2] * c - face[:, 0] * s
    z_dir = np.maximum(u[:, 2] * c - u[:, 0] * s, MIN_SKIN_COS)
    lift = -z_face / z_dir - (-face[:, 2] / u[:, 2])
    shift = np.maximum(lift, 0.0)
    shift.setflags(write=False)
    return replace(geom, line_shift_mm=shift, base=geom)


@numba.njit(cache=True, inline="always")
def shift_at(shift, lf):
    """Contact shift ``shift`` ``(n_lines,)`` (``ScanGeometry.line_shift_mm``) at fractional
    line ``lf``, linear between lines (for numba code)."""
    n = shift.shape[0]
    if lf <= 0.0:
        return shift[0]
    if lf >= n - 1:
        return shift[n - 1]
    i = int(lf)
    return shift[i] + (lf - i) * (shift[i + 1] - shift[i])


@numba.njit(cache=True, inline="always")
def shift_max(shift, lat_lo, lat_hi, inv_step):
    """Largest contact shift over the lines from lateral offset ``lat_lo`` to ``lat_hi``
    (from the first line; rad or mm as the lines' spacing ``1 / inv_step``)."""
    lf0 = lat_lo * inv_step
    lf1 = lat_hi * inv_step
    best = max(shift_at(shift, lf0), shift_at(shift, lf1))
    n = shift.shape[0]
    for i in range(max(int(math.ceil(lf0)), 0), min(int(math.floor(lf1)), n - 1) + 1):
        best = max(best, shift[i])
    return best


def lateral_fwhm_mm(preset: Preset, wavelength_mm: float, focus_mm: float,
                    depth_mm) -> np.ndarray:
    """Pulse-echo lateral FWHM ``(n,)`` at depths: fixed transmit focus x dynamic receive.

    Transmit: a beam converging from the active aperture ``D`` to a waist ``lambda F#`` at
    the focus and diverging beyond it. Receive: ``lambda * max(F#_rx, z / D)``. Gaussian
    profiles multiply, so ``1/w^2 = 1/w_tx^2 + 1/w_rx^2``.
    """
    z = np.maximum(np.asarray(depth_mm, float), 1e-3)
    d_max = P.ACTIVE_APERTURE_FRACTION * preset.aperture_mm
    zf = max(float(focus_mm), 1.0)
    d_tx = min(zf / P.TX_F_NUMBER_MIN, d_max)
    w0 = wavelength_mm * zf / d_tx
    w_tx = np.sqrt(w0 ** 2 + (0.5 * d_tx * (z - zf) / zf) ** 2)
    w_rx = wavelength_mm * np.maximum(P.RX_F_NUMBER, z / d_max)
    return 1.0 / np.sqrt(1.0 / w_tx ** 2 + 1.0 / w_rx ** 2)


def subplane_weights() -> np.ndarray:
    """Pulse-echo elevation weights of the slicing sub-planes ``(K,)``, summing to 1."""
    w = elevation_weight(P.SUBPLANE_U)
    return w / w.sum()


def elevation_weight(u) -> np.ndarray:
    """Pulse-echo amplitude at elevation ``u`` (in one-way slice thicknesses)."""
    u = np.asarray(u, float)
    return np.exp(-8.0 * math.log(2.0) * u ** 2)
