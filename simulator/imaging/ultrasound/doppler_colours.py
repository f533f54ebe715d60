"""Colour maps of the Doppler display, and the colour box outline.

- Velocity ("BART": blue away, red toward): from dark red at low velocity toward the probe
  through red to yellow at the Nyquist velocity; away from the probe dark blue through
  blue to cyan. An aliased jet therefore shows yellow next to cyan (the mosaic a
  sonographer reads as aliasing).
- Power: amplitude only, dark orange to pale yellow.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

BOX_OUTLINE_RGB = (225, 225, 210)


def _ramp(stops: list[tuple[float, tuple[int, int, int]]], n: int) -> np.ndarray:
    x = np.linspace(0.0, 1.0, n)
    pos = [p for p, _ in stops]
    return np.stack([np.interp(x, pos, [c[k] for _, c in stops]) for k in range(3)], 1)


@lru_cache(maxsize=1)
def velocity_lut() -> np.ndarray:
    """``(256, 3)`` uint8: index ``round(127.5 + 127.5 * v / v_nyquist)`` (0 = full speed
    away, 255 = full speed toward the probe)."""
    toward = _ramp([(0.0, (110, 0, 0)), (0.45, (215, 20, 10)), (0.8, (255, 120, 0)),
                    (1.0, (255, 245, 90))], 128)
    away = _ramp([(0.0, (0, 10, 120)), (0.45, (20, 60, 230)), (0.8, (40, 160, 255)),
                  (1.0, (120, 245, 255))], 128)
    return np.concatenate([away[::-1], toward]).round().astype(np.uint8)


@lru_cache(maxsize=1)
def power_lut() -> np.ndarray:
    """``(256, 3)`` uint8: index = power Doppler amplitude 0..1 times 255."""
    return _ramp([(0.0, (90, 20, 0)), (0.4, (200, 80, 0)), (0.8, (255, 170, 30)),
                  (1.0, (255, 240, 160))], 256).round().astype(np.uint8)


def velocity_rgb(velocity: np.ndarray, scale: float) -> np.ndarray:
    """RGB ``(..., 3)`` float32 of velocities (same units as ``scale``, the Nyquist
    velocity; positive toward the probe)."""
    idx = np.clip(np.rint(127.5 + 127.5 * velocity / scale), 0, 255).astype(np.intp)
    return velocity_lut()[idx].astype(np.float32)


def power_rgb(power: np.ndarray) -> np.ndarray:
    """RGB ``(..., 3)`` float32 of power Doppler amplitudes 0..1."""
    idx = np.clip(np.rint(power * 255.0), 0, 255).astype(np.intp)
    return power_lut()[idx].astype(np.float32)


def polyline_pixels(cols: np.ndarray, rows: np.ndarray, shape: tuple[int, int]):
    """``(rows, cols)`` integer pixels of a one-pixel polyline through the image points
    ``(cols, rows)``, inside an image of ``shape``."""
    c = np.asarray(cols, float)
    r = np.asarray(rows, float)
    steps = np.maximum(np.ceil(np.hypot(np.diff(c), np.diff(r)) * 2.0).astype(int), 1)
    k = np.repeat(np.arange(len(steps)), steps)
    start = np.concatenate([[0], np.cumsum(steps)[:-1]])
    t = (np.arange(len(k)) - start[k]) / steps[k]
    pc = np.rint(c[k] + t * (c[k + 1] - c[k])).astype(int)
    pr = np.rint(r[k] + t * (r[k + 1] - r[k])).astype(int)
    ok = (pc >= 0) & (pc < shape[1]) & (pr >= 0) & (pr < shape[0])
    return pr[ok], pc[ok]
