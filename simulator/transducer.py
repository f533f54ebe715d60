"""Ultrasound probe presets and beam geometry in the probe frame.

Probe frame: origin at the centre of the probe face on the skin, x along the probe's long axis
(image width), y elevation (slice thickness), z depth into the body. The same geometry decides
what the renderer images and whether the needle tip is "in the beam" for scoring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Preset:
    """A probe type.

    Attributes
    ----------
    kind : 'curvilinear' or 'linear'
    band_mhz : (lo, hi)
        Selectable centre frequencies.
    radius_mm : float
        Radius of curvature of the array (0 for linear).
    sector_rad : float
        Full field angle (curvilinear) ; ``aperture_mm`` is the array length.
    elevation_mm : float
        Element height (slice thickness at the face).
    elevation_focus_mm : float
        Depth of the fixed elevation (lens) focus.
    slice_focus_mm : float
        Slice thickness (FWHM) at the elevation focus.
    """

    kind: str
    band_mhz: tuple[float, float]
    centre_mhz: float
    depth_range_mm: tuple[float, float]
    radius_mm: float
    sector_rad: float
    aperture_mm: float
    elevation_mm: float
    elevation_focus_mm: float
    slice_focus_mm: float


# Curvilinear C5-2-like: 2-6 MHz, ~70 deg sector, radius 50 mm, element height 7 mm
# (ultrasound.md 2.3: C5-2 presets, i4h 73 deg / 45 mm / 7 mm elevation).
# Linear L12-5-like: 6-12 MHz, 40 mm aperture, depth 2-8 cm (ultrasound.md 2.3).
PRESETS = {
    "curvilinear": Preset("curvilinear", (2.0, 6.0), 3.5, (30.0, 150.0), 50.0,
                          math.radians(70.0), 2 * 50.0 * math.sin(math.radians(35.0)),
                          7.0, 60.0, 3.0),
    "linear": Preset("linear", (6.0, 12.0), 7.5, (20.0, 80.0), 0.0, 0.0, 40.0,
                     4.0, 20.0, 1.2),
}


def slice_thickness_mm(preset: Preset, depth_mm) -> np.ndarray:
    """Elevational slice thickness (FWHM) at a depth below the face, mm.

    A Gaussian-beam profile through the lens focus, matched to the element height at the face.
    """
    w0 = preset.slice_focus_mm
    zf = preset.elevation_focus_mm
    z_r = zf / math.sqrt((preset.elevation_mm / w0) ** 2 - 1.0)
    z = np.asarray(depth_mm, float)
    return w0 * np.sqrt(1.0 + ((z - zf) / z_r) ** 2)


def image_coords(preset: Preset, points_probe) -> tuple[np.ndarray, np.ndarray]:
    """Lateral and axial image coordinates of probe-frame points ``(n, 3)``.

    Returns ``(lateral, depth)``: for a linear probe ``(x, z)``; for a curvilinear probe the
    beam angle (rad) and the depth below the face along that beam (mm).
    """
    p = np.asarray(points_probe, float).reshape(-1, 3)
    if preset.kind == "linear":
        return p[:, 0], p[:, 2]
    r = preset.radius_mm
    zc = p[:, 2] + r  # from the virtual apex, which sits r above the face
    angle = np.arctan2(p[:, 0], zc)
    depth = np.hypot(p[:, 0], zc) - r
    return angle, depth


def in_beam(preset: Preset, depth_mm: float, points_probe) -> np.ndarray:
    """Whether probe-frame points lie inside the imaged slab ``(n,) bool``.

    Inside the image (sector or rectangle, above ``depth_mm``) and within half the slice
    thickness of the image plane.
    """
    p = np.asarray(points_probe, float).reshape(-1, 3)
    lateral, depth = image_coords(preset, p)
    half = (preset.sector_rad if preset.kind == "curvilinear" else preset.aperture_mm) / 2
    inside = (np.abs(lateral) <= half) & (depth >= 0.0) & (depth <= depth_mm)
    return inside & (np.abs(p[:, 1]) <= slice_thickness_mm(preset, depth) / 2.0)
