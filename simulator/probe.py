"""Keeping the ultrasound probe on the skin: placement, sliding, rotation, tilt, rocking,
settings."""

from __future__ import annotations

import math

import numba
import numpy as np

from simulator.geometry import clamp, frame, vec, wrap_angle
from simulator.jit_vectors import cross
from simulator.state import Probe, replace_probe
from simulator.transducer import PRESETS
from simulator.world import World

MAX_SLIDE_MM_S = 40.0
MAX_TURN_RAD_S = math.radians(60.0)
MAX_TILT_RAD = math.radians(45.0)
MAX_ROCK_RAD = math.radians(30.0)   # heel-to-toe: beyond this one end of the face lifts off
MIN_BOX_MM, MAX_BOX_MM = 4.0, 80.0   # Doppler colour box size and reach


def probe_axes(world: World, probe: Probe) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long axis, elevation axis and beam direction (unit vectors, world frame).

    Tilt fans the beam about the long axis; rocking then turns beam and long axis together
    about the elevation axis (heel-to-toe), so the image plane stays the same plane."""
    axes = _axes(np.asarray(probe.normal, float), float(probe.rotation_rad),
                 float(probe.tilt_rad), float(probe.rock_rad), float(world.side_sign))
    return axes[0], axes[1], axes[2]


@numba.njit(cache=True)
def _axes(n, rotation_rad, tilt_rad, rock_rad, side_sign):
    """:func:`probe_axes` as rows ``(3, 3)``: long axis, elevation, beam. Written as the
    NumPy helpers (``geometry.unit``, ``cross``, ``rotate``) compute, operation for
    operation, so poses and images are bit for bit those of earlier versions."""
    up = np.array([0.0, 0.0, 1.0])
    superior = up - np.dot(up, n) * n
    if math.sqrt(np.dot(superior, superior)) < 1e-6:  # skin facing up or down: anterior
        superior = np.array([0.0, 1.0, 0.0]) - n[1] * n
    superior = superior / math.sqrt(np.dot(superior, superior))
    medial = -side_sign * cross(n, superior)
    long_axis = math.cos(rotation_rad) * superior + math.sin(rotation_rad) * medial
    beam = _rotate(-n, long_axis, tilt_rad)
    elevation = cross(beam, long_axis)
    if rock_rad:
        long_axis = _rotate(long_axis, elevation, rock_rad)
        beam = _rotate(beam, elevation, rock_rad)
    out = np.empty((3, 3))
    out[0], out[1], out[2] = long_axis, elevation, beam
    return out


@numba.njit(cache=True)
def _rotate(v, k, angle_rad):
    """``geometry.rotate`` (Rodrigues)."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return v * c + cross(k, v) * s + k * np.dot(k, v) * (1.0 - c)


@numba.njit(cache=True)
def _slide_target(n, contact, long_axis, slide0, slide1):
    """Where a slide of ``slide0`` along the long axis (in the skin plane) and ``slide1``
    across it takes the contact point ``(3,)``, before it drops back onto the skin."""
    along = long_axis - np.dot(long_axis, n) * n
    along = along / math.sqrt(np.dot(along, along))
    return contact + along * slide0 + cross(n, along) * slide1


def world_from_probe(world: World, probe: Probe) -> np.ndarray:
    """4x4 transform from the probe frame (x long axis, y elevation, z depth) to world."""
    long_axis, elevation, beam = probe_axes(world, probe)
    return frame(probe.contact_mm, long_axis, elevation, beam)


def place_probe(world: World, point_mm, outward, rotation_rad: float, tilt_rad: float,
                base: Probe) -> Probe | None:
    """Put the probe on the skin where a line through ``point_mm`` along ``outward`` meets it."""
    hit = world.skin_near(point_mm, outward)
    if hit is None:
        return None
    return replace_probe(base, contact_mm=vec(hit.point), normal=vec(hit.normal),
                         rotation_rad=float(rotation_rad),
                         tilt_rad=float(np.clip(tilt_rad, -MAX_TILT_RAD, MAX_TILT_RAD)))


def move_probe(world: World, probe: Probe, slide_mm, rotate_rad: float,
               tilt_rad: float, rock_rad: float = 0.0) -> Probe:
    """Slide along the skin (long axis, elevation), turn, tilt and rock heel-to-toe; stays
    on the skin."""
    if slide_mm[0] or slide_mm[1]:
        n = np.asarray(probe.normal, float)
        # slide in the skin plane, then drop back onto the skin along the normal
        target = _slide_target(n, np.asarray(probe.contact_mm, float),
                               probe_axes(world, probe)[0], float(slide_mm[0]),
                               float(slide_mm[1]))
        hit = world.skin_near(target, n)
        if hit is not None:
            probe = replace_probe(probe, contact_mm=vec(hit.point), normal=vec(hit.normal))
    if rotate_rad or tilt_rad:
        probe = replace_probe(probe, rotation_rad=wrap_angle(probe.rotation_rad + rotate_rad),
                              tilt_rad=clamp(probe.tilt_rad + tilt_rad, MAX_TILT_RAD))
    if rock_rad:
        probe = replace_probe(probe, rock_rad=clamp(probe.rock_rad + rock_rad, MAX_ROCK_RAD))
    return probe


SETTING_LIMITS = {
    "depth_mm": lambda p: PRESETS[p].depth_range_mm,
    "gain_db": lambda p: (-30.0, 30.0),
    "frequency_mhz": lambda p: PRESETS[p].band_mhz,
    "focus_mm": lambda p: (5.0, PRESETS[p].depth_range_mm[1]),
    # probe pressure and the Doppler controls
    "pressure": lambda p: (0.0, 1.0),
    "doppler_mode": lambda p: (0, 2),
    "box_lateral_mm": lambda p: (-MAX_BOX_MM, MAX_BOX_MM),
    "box_depth_mm": lambda p: (0.0, PRESETS[p].depth_range_mm[1]),
    "box_width_mm": lambda p: (MIN_BOX_MM, MAX_BOX_MM),
    "box_height_mm": lambda p: (MIN_BOX_MM, MAX_BOX_MM),
    "doppler_scale_cm_s": lambda p: (2.0, 150.0),
    "doppler_gain_db": lambda p: (-20.0, 20.0),
    "wall_filter_cm_s": lambda p: (0.0, 20.0),
}
INTEGER_SETTINGS = frozenset({"doppler_mode"})


def apply_settings(probe: Probe, preset: str, settings) -> Probe:
    """Apply ``(name, value)`` scanner settings, clamped to the preset's range.

    Names: depth_mm, gain_db, frequency_mhz, focus_mm, tgc0_db .. tgc7_db
    (time-gain compensation bands, shallow to deep, each -20..+20 dB), pressure and the
    Doppler controls (``SETTING_LIMITS``; ``doppler_mode`` is rounded to 0, 1 or 2).
    """
    for name, value in settings:
        if name in SETTING_LIMITS:
            lo, hi = SETTING_LIMITS[name](preset)
            value = float(np.clip(value, lo, hi))
            probe = replace_probe(probe, **{name: int(round(value))
                                            if name in INTEGER_SETTINGS else value})
        elif name.startswith("tgc") and name.endswith("_db") and name[3:-3].isdigit():
            band = int(name[3:-3])
            if 0 <= band < len(probe.tgc_db):
                tgc = list(probe.tgc_db)
                tgc[band] = float(np.clip(value, -20.0, 20.0))
                probe = replace_probe(probe, tgc_db=tuple(tgc))
    return probe
