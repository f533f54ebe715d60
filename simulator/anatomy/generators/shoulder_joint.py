"""Articular structures of a right shoulder: cartilage, labrum, capsule, joint spaces.

Everything about the glenohumeral joint is star-shaped about the head centre ``H``, so each
solid is given by its radius toward every direction ``(alpha, phi)`` (see
``shoulder_frame``). The head cartilage covers 80 deg about the articular pole; the glenoid
cartilage lines the face inside the bony rim; the labrum is a wedge on the rim, ``h`` high at
the bone and tapering to the free edge ``w`` further out along the articular sphere. The capsule
runs from the glenoid neck just inside the rim, over the labrum, along the head a synovial gap
off the cartilage (deeper in the posterior recess and the inferior axillary pouch) and inserts
on the anatomical neck. The joint space is everything inside the capsule that is not bone,
cartilage or labrum; its posterior part beside the labrum is ``posterior_recess``, the target
of the posterior approach, the rest ``glenohumeral_cavity``.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.primitives import smoothstep
from simulator.anatomy.generators.shoulder_frame import (
    ARTICULAR_HALF_ANGLE_DEG,
    ShoulderFrame,
    star_solid,
)

FINE_MM = 1.2
PHI_COUNT = 72
RECESS_HALF_WIDTH_DEG = 55.0     # posterior recess about the posterior azimuth
TARGET_LATERAL_MM = 3.0          # target this far lateral of the labrum's free edge


def alpha_rows(f: ShoulderFrame, anchors, counts) -> np.ndarray:
    """Polar-angle rows ``(m, PHI_COUNT)``: ``counts[k]`` rows from ``anchors[k]`` up to (not
    including) ``anchors[k + 1]``, then the last anchor. Anchors are callables of ``phi`` or
    constants (radians) and must increase for every azimuth."""
    phi = np.linspace(0.0, 2 * np.pi, PHI_COUNT, endpoint=False)
    values = [np.broadcast_to(a(phi) if callable(a) else float(a), phi.shape) for a in anchors]
    rows = []
    for k, n in enumerate(counts):
        t = np.linspace(0.0, 1.0, n, endpoint=False)
        rows += [values[k] + tk * (values[k + 1] - values[k]) for tk in t]
    rows.append(values[-1])
    return np.array(rows)


class Joint:
    """Radius profiles of the capsule and joint space (all mm, angles in radians)."""

    def __init__(self, f: ShoulderFrame):
        self.f = f
        p = f.params
        self.w = p.labrum_width_mm / f.R_gi        # labrum width as an angle
        self.h = p.labrum_height_mm

    def rim(self, phi):
        return self.f.rim_alpha(phi)

    def free_edge(self, phi):
        """Polar angle of the labrum's free edge."""
        return self.f.rim_alpha(phi) + self.w

    def gap(self, alpha, phi):
        """Synovial gap between head cartilage and capsule: the posterior recess beside the
        labrum, the inferior axillary pouch, a thin layer elsewhere."""
        p = self.f.params
        back = np.cos(np.clip((np.angle(np.exp(1j * (phi - np.pi)))) / np.radians(
            RECESS_HALF_WIDTH_DEG) * np.pi / 2, -np.pi / 2, np.pi / 2)) ** 2
        near = 1.0 - smoothstep((alpha - self.free_edge(phi) - np.radians(22)) / np.radians(14))
        pouch = 1.5 * np.clip(-np.sin(phi), 0.0, 1.0) ** 2
        return p.synovial_mm + (p.recess_mm - p.synovial_mm) * back * near + pouch

    def cavity_radius(self, alpha, phi, extend_deg: float = 0.0):
        """Capsule inner surface; ``extend_deg`` moves the humeral insertion further out."""
        f = self.f
        g = self.gap(alpha, phi)
        over_labrum = f.R_gi + self.h + g
        over_head = f.R_c + g
        edge = self.free_edge(phi)
        lift = 1.0 - smoothstep((alpha - edge) / (2.5 / f.R_c))
        r = over_head + (over_labrum - over_head) * lift
        into_glenoid = smoothstep((self.rim(phi) - np.radians(1.0) - alpha) / np.radians(2.0))
        r = r + (f.R_gb + 1.0 - r) * into_glenoid
        att = f.attachment_alpha(phi) + np.radians(extend_deg)
        into_head = smoothstep((alpha - att) / np.radians(3.0))
        return r + (0.5 * f.R_h - r) * into_head

    def capsule_radius(self, alpha, phi):
        return self.cavity_radius(alpha, phi, extend_deg=4.0) + self.f.params.capsule_mm

    def rows(self) -> np.ndarray:
        f = self.f

        def before_insertion(q):
            return np.maximum(f.attachment_alpha(q) - np.radians(4.0),
                              self.free_edge(q) + np.radians(9.0))

        def past_insertion(q):
            return np.maximum(f.attachment_alpha(q) + np.radians(12.0),
                              before_insertion(q) + np.radians(8.0))

        return alpha_rows(f, [np.radians(4.0), lambda q: self.rim(q) - np.radians(8.0),
                              lambda q: self.free_edge(q) + np.radians(6.0), before_insertion,
                              past_insertion, np.radians(176.0)], [6, 12, 28, 10, 8])

    def target(self) -> np.ndarray:
        """Ideal tip position: posterior recess at mid-glenoid height, just lateral of the
        labrum's free edge, halfway across the gap between capsule and head cartilage."""
        f = self.f
        phi = np.pi
        alpha = self.free_edge(phi) + TARGET_LATERAL_MM / f.R_c
        r_in = f.R_c
        r_out = float(self.cavity_radius(alpha, phi))
        return f.point(alpha, phi, 0.5 * (r_in + r_out))


def _rim_prism(f: ShoulderFrame, scale: float, t_lateral: float, t_medial: float) -> mf.Manifold:
    """The glenoid outline (scaled) extruded along ``g`` between two distances from ``H``."""
    phi = np.linspace(0.0, 2 * np.pi, 96, endpoint=False)
    radial = np.cos(phi)[:, None] * f.g_ant + np.sin(phi)[:, None] * f.g_sup
    r = scale * f.rim_radius(phi)[:, None]
    rings = [f.H - t * f.g + r * radial for t in (t_lateral, t_medial)]
    return pr.loft(np.array(rings), what="glenoid prism")


def cartilage_and_labrum(f: ShoulderFrame, joint: Joint) -> dict[str, mf.Manifold]:
    """Shapes of ``humeral_head_cartilage``, ``glenoid_cartilage`` and ``glenoid_labrum``."""
    H = f.H
    head = pr.sphere(H, f.R_c, FINE_MM) ^ pr.cone(
        H, f.pole, np.radians(ARTICULAR_HALF_ANGLE_DEG), f.R_c + 2.0, 96)
    glenoid = (pr.sphere(H, f.R_gb + 1.0, FINE_MM) - pr.sphere(H, f.R_gi, FINE_MM)) ^ \
        _rim_prism(f, 1.0, 0.3 * f.R_gi, f.R_gb + 3.0)
    h, w = joint.h, joint.w

    def labrum_radius(alpha, phi):
        rim = joint.rim(phi)
        taper = np.clip((alpha - rim) / w, 0.0, 1.0)
        r = f.R_gi + h * (1.0 - taper) - 0.6 * taper
        return np.where(alpha > rim + w, f.R_gi - 2.0, r)

    rows = alpha_rows(f, [np.radians(4.0), lambda q: joint.rim(q) - np.radians(3.0),
                          lambda q: joint.free_edge(q) + np.radians(1.0), np.radians(176.0)],
                      [6, 14, 10])
    wedge = star_solid(f, labrum_radius, rows, "labrum")
    return {"humeral_head_cartilage": head, "glenoid_cartilage": glenoid,
            "glenoid_labrum": wedge - pr.sphere(H, f.R_gi, FINE_MM)}


def joint_spaces(f: ShoulderFrame, joint: Joint) -> dict[str, mf.Manifold]:
    """Shapes of ``posterior_recess``, ``glenohumeral_cavity`` and ``joint_capsule``."""
    rows = joint.rows()
    cavity = star_solid(f, joint.cavity_radius, rows, "joint cavity")
    capsule = star_solid(f, joint.capsule_radius, rows, "joint capsule")
    half = np.radians(RECESS_HALF_WIDTH_DEG)
    pts = [f.H]
    for phi in np.linspace(np.pi - half, np.pi + half, 7):
        for alpha in (joint.rim(phi) - np.radians(15.0), joint.free_edge(phi)
                      + np.radians(30.0)):
            pts.append(f.point(alpha, phi, f.R_gb + 20.0))
    wedge = pr.hull_points(np.array(pts), "posterior recess wedge")
    return {"posterior_recess": cavity ^ wedge, "glenohumeral_cavity": cavity,
            "joint_capsule": capsule}
