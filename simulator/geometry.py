"""Small vector and transform helpers; transforms are named ``a_from_b`` (4x4, mm)."""

from __future__ import annotations

import math

import numpy as np

Vec3 = tuple[float, float, float]


def vec(v) -> Vec3:
    """Plain float tuple (hashable, JSON-friendly) from any 3-vector."""
    return (float(v[0]), float(v[1]), float(v[2]))


def clamp(x: float, limit: float) -> float:
    """``x`` limited to ``[-limit, limit]`` (cheap scalar clip)."""
    return -limit if x < -limit else limit if x > limit else float(x)


def wrap_angle(angle_rad: float) -> float:
    """``angle_rad`` wrapped to ``[-pi, pi)``."""
    return float((angle_rad + math.pi) % (2 * math.pi) - math.pi)


def cross(a, b) -> np.ndarray:
    """Cross product of two 3-vectors (much cheaper than ``np.cross`` for single vectors)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


def unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    n = float(np.linalg.norm(v))
    if n == 0.0:
        raise ValueError("zero-length vector has no direction")
    return v / n


def rotate(v, axis, angle_rad: float) -> np.ndarray:
    """Rotate ``v`` about the unit ``axis`` by ``angle_rad`` (Rodrigues)."""
    v = np.asarray(v, float)
    k = np.asarray(axis, float)
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return v * c + cross(k, v) * s + k * float(k @ v) * (1.0 - c)


def perpendicular_basis(direction) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors ``(a, b)`` with ``a, b, direction`` right-handed and orthogonal.

    ``a`` is as horizontal as possible (perpendicular to world z), so "yaw" and "pitch" of a
    needle keep their meaning whatever its direction.
    """
    d = unit(direction)
    ref = np.array([0.0, 0.0, 1.0]) if abs(d[2]) < 0.95 else np.array([0.0, 1.0, 0.0])
    a = unit(cross(ref, d))
    b = cross(d, a)
    return a, b


def frame(origin, x_axis, y_axis, z_axis) -> np.ndarray:
    """4x4 ``world_from_local`` from an origin and three orthonormal axes (columns)."""
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = x_axis, y_axis, z_axis, origin
    return m


def apply(a_from_b: np.ndarray, points_b) -> np.ndarray:
    """Transform points ``(n, 3)`` (or one ``(3,)``) from frame b to frame a."""
    p = np.asarray(points_b, float)
    return p @ a_from_b[:3, :3].T + a_from_b[:3, 3]


def invert(a_from_b: np.ndarray) -> np.ndarray:
    """``b_from_a`` of a rigid transform."""
    r = a_from_b[:3, :3]
    m = np.eye(4)
    m[:3, :3] = r.T
    m[:3, 3] = -r.T @ a_from_b[:3, 3]
    return m


def angle_between(u, v) -> float:
    """Angle in radians between two vectors."""
    c = float(np.clip(unit(u) @ unit(v), -1.0, 1.0))
    return math.acos(c)
