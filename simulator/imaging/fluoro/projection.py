"""Pinhole (cone-beam) projection of the C-arm: world millimetres -> detector pixels.

Pixel convention (OpenCV style): pixel ``(row i, col j)`` has its centre at continuous image
coordinates ``(x=j, y=i)``; ``x`` grows along ``detector_u`` (toward the patient's left in
the AP view), ``y`` along ``detector_v`` (toward the feet), so the image reads like an AP
radiograph. The detector is square, ``size x size`` pixels of ``pixel_mm``, centred on the
central ray.

Frames, named ``a_from_b``:

- ``detector_from_world`` (4x4): origin at the focal spot, axes ``(u, v, beam)``; a point's
  third coordinate is its depth along the central ray. With the AP display convention the
  frame is a mirror image of a right-handed camera (``u x v = -beam``), so the rotation block
  has determinant -1.
- ``pixel_from_world`` (3x4): ``K @ detector_from_world[:3]`` with
  ``K = [[f, 0, c], [0, f, c], [0, 0, 1]]``, ``f = SID / pixel_mm``, ``c = (size - 1) / 2``;
  ``[x, y, 1] ~ pixel_from_world @ [X, 1]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.carm import Geometry


@dataclass(frozen=True, eq=False)
class Projection:
    """Geometry of one image: where the focal spot and detector are and how pixels map.

    Attributes
    ----------
    size : int
        Image width = height in pixels.
    pixel_mm : float
        Detector pixel pitch (mm at the detector plane).
    source_mm : (3,) float
        Focal spot, world mm.
    detector_centre_mm : (3,) float
        Where the central ray meets the detector.
    u, v, beam : (3,) float
        Unit detector column and row directions and the central ray direction.
    sid_mm, sic_mm : float
        Source-to-image (detector) and source-to-isocentre distances.
    """

    size: int
    pixel_mm: float
    source_mm: np.ndarray
    detector_centre_mm: np.ndarray
    u: np.ndarray
    v: np.ndarray
    beam: np.ndarray
    sid_mm: float
    sic_mm: float

    @classmethod
    def from_geometry(cls, g: Geometry, *, size: int, detector_mm: float, sid_mm: float,
                      sic_mm: float) -> Projection:
        return cls(int(size), float(detector_mm) / int(size), np.asarray(g.source_mm, float),
                   np.asarray(g.detector_centre_mm, float), np.asarray(g.detector_u, float),
                   np.asarray(g.detector_v, float), np.asarray(g.beam, float), float(sid_mm),
                   float(sic_mm))

    # -- matrices --------------------------------------------------------------------------
    @property
    def focal_px(self) -> float:
        """Focal length in pixels (SID / pixel pitch)."""
        return self.sid_mm / self.pixel_mm

    @property
    def centre_px(self) -> float:
        """Principal point (both axes), continuous pixel coordinates."""
        return (self.size - 1) / 2.0

    @property
    def detector_from_world(self) -> np.ndarray:
        """4x4: world mm -> (u, v, depth) mm with the origin at the focal spot."""
        m = np.eye(4)
        m[0, :3], m[1, :3], m[2, :3] = self.u, self.v, self.beam
        m[:3, 3] = -m[:3, :3] @ self.source_mm
        return m

    @property
    def intrinsics(self) -> np.ndarray:
        """3x3 camera matrix ``K`` (pixels)."""
        f, c = self.focal_px, self.centre_px
        return np.array([[f, 0.0, c], [0.0, f, c], [0.0, 0.0, 1.0]])

    @property
    def pixel_from_world(self) -> np.ndarray:
        """3x4 projection matrix (homogeneous world mm -> homogeneous pixels)."""
        return self.intrinsics @ self.detector_from_world[:3]

    @property
    def magnification_at_isocentre(self) -> float:
        return self.sid_mm / self.sic_mm

    # -- points ----------------------------------------------------------------------------
    def project(self, points_mm) -> np.ndarray:
        """Continuous pixel coordinates ``(n, 2)`` (x = column, y = row) of points ``(n, 3)``."""
        p = np.asarray(points_mm, float).reshape(-1, 3)
        d = (p - self.source_mm) @ np.stack([self.u, self.v, self.beam], 1)
        return self.focal_px * d[:, :2] / d[:, 2:3] + self.centre_px

    def depth_mm(self, points_mm) -> np.ndarray:
        """Distance ``(n,)`` of points from the focal spot along the central ray."""
        p = np.asarray(points_mm, float).reshape(-1, 3)
        return (p - self.source_mm) @ self.beam

    def detector_point(self, xy) -> np.ndarray:
        """World position ``(n, 3)`` on the detector of continuous pixel coordinates ``(n, 2)``."""
        xy = np.asarray(xy, float).reshape(-1, 2) - self.centre_px
        return (self.detector_centre_mm + xy[:, :1] * self.pixel_mm * self.u
                + xy[:, 1:2] * self.pixel_mm * self.v)

    def ray(self, xy) -> tuple[np.ndarray, np.ndarray]:
        """Focal spot ``(3,)`` and unit ray directions ``(n, 3)`` through pixel coordinates."""
        d = self.detector_point(xy) - self.source_mm
        return self.source_mm.copy(), d / np.linalg.norm(d, axis=1, keepdims=True)

    def key(self) -> tuple:
        """Hashable identity of the geometry (rounded to 1e-6 mm / 1e-9), for caches."""
        parts = np.concatenate([self.source_mm, self.detector_centre_mm, self.u, self.v,
                                self.beam])
        return (self.size, round(self.pixel_mm, 9), round(self.sid_mm, 6),
                round(self.sic_mm, 6), tuple(np.round(parts, 6).tolist()))

    def to_json(self) -> dict:
        """Plain description for ``fluoro.json``."""
        return {
            "size_px": self.size,
            "pixel_mm": self.pixel_mm,
            "pixel_convention": "pixel (row i, col j) centred at (x=j, y=i); x along u, "
                                "y along v",
            "source_to_detector_mm": self.sid_mm,
            "source_to_isocentre_mm": self.sic_mm,
            "magnification_at_isocentre": self.magnification_at_isocentre,
            "source_mm": self.source_mm.tolist(),
            "detector_centre_mm": self.detector_centre_mm.tolist(),
            "detector_u": self.u.tolist(),
            "detector_v": self.v.tolist(),
            "beam": self.beam.tolist(),
            "intrinsics": self.intrinsics.tolist(),
            "detector_from_world": self.detector_from_world.tolist(),
            "pixel_from_world": self.pixel_from_world.tolist(),
        }
