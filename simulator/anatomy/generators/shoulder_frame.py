"""Shoulder geometry without meshes: axes, radii and the glenoid outline of one right shoulder.

World frame: patient RAS mm, humeral head centre ``H`` at ``(half_width, 0, 0)`` (right side;
the assembly mirrors for the left). Three bases are used:

- the glenoid basis ``g`` (glenoid axis: unit normal of the glenoid face, pointing from the
  glenoid to the head), ``g_sup`` (superior) and ``g_ant`` (anterior); directions about ``H``
  are given as a polar angle ``alpha`` from ``-g`` (the glenoid centre) and an azimuth ``phi``
  (0 = anterior, pi/2 = superior, pi = posterior, 3 pi/2 = inferior);
- the scapular basis ``e1`` (lateral in the scapular plane), ``e2`` (up) and ``e3`` (normal
  of the blade, pointing posterolaterally) with origin at the glenoid face centre ``G``;
- the humeral basis: ``pole`` (articular pole of the head), ``shaft`` (distal shaft
  direction), ``lateral`` and ``anterior`` perpendicular to the shaft.

The articular surfaces are concentric about ``H``: head bone ``R_h``, head cartilage ``R_c``,
glenoid cartilage inner surface ``R_gi`` (after a synovial film) and glenoid bone ``R_gb``.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators.primitives import loft, unit_rows
from simulator.anatomy.generators.shoulder_params import ShoulderParams

ARTICULAR_HALF_ANGLE_DEG = 80.0   # head cartilage about its pole
NECK_CUT = 0.3                    # anatomical neck plane, in head radii below the centre


@dataclass(frozen=True)
class ShoulderFrame:
    """Axes and sizes derived from ``ShoulderParams`` (world RAS mm, right side)."""

    params: ShoulderParams
    H: np.ndarray
    g: np.ndarray
    g_sup: np.ndarray
    g_ant: np.ndarray
    e1: np.ndarray
    e2: np.ndarray
    e3: np.ndarray
    pole: np.ndarray
    shaft: np.ndarray
    lateral: np.ndarray
    anterior: np.ndarray

    # -- radii ------------------------------------------------------------------------------
    @property
    def R_h(self) -> float:
        return self.params.head_radius_mm

    @property
    def R_c(self) -> float:
        return self.R_h + self.params.head_cartilage_mm

    @property
    def R_gi(self) -> float:
        return self.R_c + self.params.film_mm

    @property
    def R_gb(self) -> float:
        return self.R_gi + self.params.glenoid_cartilage_mm

    @property
    def sc(self) -> float:
        return self.params.bone_scale

    @property
    def G(self) -> np.ndarray:
        """Centre of the bony glenoid face."""
        return self.H - self.R_gb * self.g

    # -- directions about the head centre ---------------------------------------------------
    def direction(self, alpha, phi) -> np.ndarray:
        """Unit directions ``(..., 3)`` at polar angle ``alpha`` from ``-g`` and azimuth
        ``phi`` (0 anterior, pi/2 superior)."""
        a, f = np.broadcast_arrays(np.asarray(alpha, float), np.asarray(phi, float))
        radial = np.cos(f)[..., None] * self.g_ant + np.sin(f)[..., None] * self.g_sup
        return np.cos(a)[..., None] * -self.g + np.sin(a)[..., None] * radial

    def point(self, alpha, phi, radius) -> np.ndarray:
        """``H + radius * direction(alpha, phi)``."""
        r = np.asarray(radius, float)
        return self.H + r[..., None] * self.direction(alpha, phi)

    def rim_radius(self, phi) -> np.ndarray:
        """Glenoid outline radius (mm, in the face plane) toward azimuth ``phi``: an ellipse
        33 x 24 mm (F) narrowed by 15 % superiorly (pear shape)."""
        f = np.asarray(phi, float)
        half_w = 0.5 * self.params.glenoid_width_mm * (1.0 - 0.15 * np.sin(f))
        half_h = 0.5 * self.params.glenoid_height_mm
        return 1.0 / np.hypot(np.cos(f) / half_w, np.sin(f) / half_h)

    def rim_alpha(self, phi) -> np.ndarray:
        """Polar angle of the bony glenoid rim (on the sphere ``R_gb``) toward ``phi``."""
        return np.arcsin(np.clip(self.rim_radius(phi) / self.R_gb, 0.0, 0.95))

    def attachment_alpha(self, phi) -> np.ndarray:
        """Polar angle where the capsule inserts on the humerus toward ``phi``: the
        articular margin (80 deg from the pole) plus 5 deg, and down to 30 deg more along
        the inferior neck (the axillary pouch)."""
        f = np.asarray(phi, float)
        theta = np.radians(ARTICULAR_HALF_ANGLE_DEG + 5.0 + 30.0 * np.clip(-np.sin(f), 0, 1))
        tau = np.radians(self.params.head_tilt_deg)
        a, b = np.cos(tau), np.sin(f) * np.sin(tau)
        return np.arctan2(b, a) + np.arccos(np.clip(np.cos(theta) / np.hypot(a, b), -1, 1))

    # -- scapular and humeral frames -------------------------------------------------------
    def scap(self, a, b, c) -> np.ndarray:
        """World point from scapular coordinates: ``a`` along ``e1`` (lateral), ``b`` up,
        ``c`` along ``e3`` (posterior), from ``G``; scaled by the bone scale."""
        a, b, c = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float),
                                      np.asarray(c, float))
        k = self.sc
        return (self.G + k * a[..., None] * self.e1 + k * b[..., None] * self.e2
                + k * c[..., None] * self.e3)

    @property
    def shaft_top(self) -> np.ndarray:
        """Point where the shaft axis meets the head level (6 mm lateral of ``H``)."""
        return self.H + 6.0 * self.sc * self.lateral

    def hum(self, down, lat, ant) -> np.ndarray:
        """World point from humeral coordinates: ``down`` along the shaft from
        ``shaft_top``, ``lat`` lateral, ``ant`` anterior (mm, scaled)."""
        d, la, an = np.broadcast_arrays(np.asarray(down, float), np.asarray(lat, float),
                                        np.asarray(ant, float))
        k = self.sc
        return (self.shaft_top + k * d[..., None] * self.shaft + k * la[..., None] * self.lateral
                + k * an[..., None] * self.anterior)

    @property
    def acromion_under_z(self) -> float:
        """Height of the acromion undersurface: above the head cartilage, capsule,
        supraspinatus tendon and bursa, plus 1.8 mm (gives an acromiohumeral distance of
        about 12 mm, normal 7-14 mm)."""
        p = self.params
        stack = (p.head_cartilage_mm + p.synovial_mm + p.capsule_mm + p.supraspinatus_tendon_mm
                 + p.bursa_mm + 1.8)
        return float(self.H[2] + self.R_h + stack)


def shoulder_frame(params: ShoulderParams) -> ShoulderFrame:
    """Derive the shoulder axes from drawn parameters."""
    z = np.array([0.0, 0.0, 1.0])
    psi = np.radians(params.scapular_plane_deg)
    e1 = np.array([np.cos(psi), np.sin(psi), 0.0])
    e3 = np.array([np.sin(psi), -np.cos(psi), 0.0])
    version = np.radians(params.glenoid_version_deg)
    incl = np.radians(params.glenoid_inclination_deg)
    heading = psi + version
    g = np.array([np.cos(incl) * np.cos(heading), np.cos(incl) * np.sin(heading), np.sin(incl)])
    g_sup = unit_rows(z - (z @ g) * g)
    g_ant = -np.cross(g, g_sup)
    tau = np.radians(params.head_tilt_deg)
    pole = np.cos(tau) * -g + np.sin(tau) * g_sup
    # shaft 135 deg from the pole, in the plane of the pole and the vertical, pointing down
    up_perp = unit_rows(z - (z @ pole) * pole)
    shaft = unit_rows(np.cos(np.radians(135.0)) * pole - np.sin(np.radians(135.0)) * up_perp)
    lateral = unit_rows(-pole - (-pole @ shaft) * shaft)
    anterior = np.cross(shaft, lateral)
    if anterior[1] < 0:
        anterior = -anterior
    H = np.array([params.half_width_mm, 0.0, 0.0])
    return ShoulderFrame(params=params, H=H, g=g, g_sup=g_sup, g_ant=g_ant, e1=e1, e2=z.copy(),
                         e3=e3, pole=pole, shaft=shaft, lateral=lateral, anterior=anterior)


def star_solid(f: ShoulderFrame, radius_fn, alpha: np.ndarray, what: str) -> mf.Manifold:
    """Closed solid that is star-shaped about ``H``: the surface point toward direction
    ``(alpha, phi)`` lies at ``radius_fn(alpha, phi)`` mm.

    ``alpha`` is ``(m, n)``: ring ``i`` samples polar angles ``alpha[i]`` at ``n`` azimuths
    spread over the full circle; rows must increase for every azimuth and stay inside
    ``(0, pi)``. The two poles (``-g`` and ``+g``) close the surface.
    """
    m, n = alpha.shape
    phi = np.broadcast_to(np.linspace(0.0, 2 * np.pi, n, endpoint=False), (m, n))
    if np.any(np.diff(alpha, axis=0) <= 0) or alpha.min() <= 0 or alpha.max() >= np.pi:
        raise ValueError(f"{what}: polar angles must increase inside (0, pi)")
    rings = f.point(alpha, phi, radius_fn(alpha, phi))
    start = f.point(0.0, 0.0, float(np.mean(radius_fn(np.zeros(8), np.linspace(0, 6, 8)))))
    end = f.point(np.pi, 0.0, float(np.mean(radius_fn(np.full(8, np.pi),
                                                      np.linspace(0, 6, 8)))))
    return loft(rings, start, end, what)
