"""Hip geometry without meshes: axes, radii and reference points of one right hip.

World frame: patient RAS in mm, femoral head centre at ``(half_width, 0, 0)`` (right side;
the assembly mirrors for the left). The femur is built in its own anatomical pose (posterior
condylar axis coronal) and then turned about the vertical through the head centre by the
limb's internal rotation, which takes the neck close to the coronal plane as in fluoroscopic
positioning. Pelvic reference points are for a female pelvis with half-width 85 mm; they are
scaled by ``half_width / 85`` in x and by ``bone_scale`` in y and z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.anatomy.generators.hip_params import HipParams
from simulator.anatomy.generators.primitives import rotation, unit

REFERENCE_HALF_WIDTH_MM = 85.0

# Right hemipelvis of the reference female, RAS mm, femoral head centre at (85, 0, 0).
PELVIS_POINTS_MM = {
    "asis": (118.0, 45.0, 70.0),
    "aiis": (96.0, 30.0, 36.0),
    "iliac_tubercle": (131.0, 10.0, 100.0),
    "crest_top": (106.0, -42.0, 112.0),
    "psis": (42.0, -98.0, 80.0),
    "sciatic_notch": (58.0, -60.0, 38.0),
    "si_anterior": (48.0, -66.0, 55.0),
    "ischial_spine": (60.0, -52.0, -12.0),
    "ischial_tuberosity": (62.0, -38.0, -60.0),
    "pubic_tubercle": (24.0, 48.0, -17.0),
    "symphysis_top": (4.0, 43.0, -20.0),
    "symphysis_bottom": (4.0, 30.0, -58.0),
    "iliopectineal_eminence": (66.0, 30.0, 8.0),
}


@dataclass(frozen=True)
class HipFrame:
    """Axes and sizes derived from ``HipParams`` (all world RAS mm, right side).

    Attributes
    ----------
    head_center : (3,) float
    neck_axis : (3,) float
        Unit vector from the neck base toward the head centre.
    neck_superior, neck_anterior : (3,) float
        Unit vectors perpendicular to ``neck_axis`` (toward +z and +y).
    neck_base : (3,) float
        Centre of the neck where it meets the intertrochanteric region.
    shaft_point, shaft_dir : (3,) float
        Where the neck axis meets the shaft axis, and the distal shaft direction.
    femur_from_local : (3, 3) float
        Rotation from the femur's anatomical pose (internal rotation applied).
    acetabular_axis : (3,) float
        Unit normal of the acetabular opening, pointing out of the socket.
    """

    params: HipParams
    head_center: np.ndarray
    neck_axis: np.ndarray
    neck_superior: np.ndarray
    neck_anterior: np.ndarray
    neck_base: np.ndarray
    shaft_point: np.ndarray
    shaft_dir: np.ndarray
    femur_from_local: np.ndarray
    acetabular_axis: np.ndarray

    @property
    def head_radius(self) -> float:
        return self.params.head_radius_mm

    @property
    def cartilage_radius(self) -> float:
        """Outer radius of the femoral head cartilage (= inner acetabular cartilage)."""
        return self.head_radius + self.params.femoral_cartilage_mm

    @property
    def socket_radius(self) -> float:
        """Radius of the bony acetabular socket."""
        return self.head_radius + self.params.joint_space_mm

    @property
    def rim_height(self) -> float:
        """Rim plane offset along ``acetabular_axis`` from the head centre (socket depth =
        socket radius + rim height)."""
        return max(0.3, self.params.acetabular_depth_mm - self.socket_radius)

    @property
    def neck_base_distance(self) -> float:
        return self.head_radius + self.params.neck_length_mm

    def neck_radii(self, s_mm):
        """Semi-axes (superior-inferior, anterior-posterior) ``(..., 2)`` of the elliptical neck
        section at ``s_mm`` along ``neck_axis`` from the head centre (negative toward the
        base): a waist just below the head flaring quadratically toward the trochanters."""
        s = np.asarray(s_mm, float)
        scale = self.params.bone_scale
        waist_si = 0.345 * self.params.head_diameter_mm
        waist_ap = 0.85 * waist_si
        s_waist = -(self.head_radius + 2.0 * scale)
        s_base = -self.neck_base_distance
        flare = np.clip((s_waist - s) / (s_waist - s_base), 0.0, None) ** 2
        return np.stack([waist_si * (1 + 0.45 * flare), waist_ap * (1 + 0.15 * flare)], -1)

    def neck_point(self, s_mm, angle_rad, offset_mm=0.0):
        """Point ``(..., 3)`` on the neck surface (plus ``offset_mm`` along the section
        normal) at axial position ``s_mm`` and angle about the axis (0 = anterior,
        pi/2 = superior)."""
        s, ang, off = np.broadcast_arrays(np.asarray(s_mm, float),
                                          np.asarray(angle_rad, float),
                                          np.asarray(offset_mm, float))
        radii = self.neck_radii(s)
        a, b = radii[..., 0], radii[..., 1]
        c, sn = np.cos(ang), np.sin(ang)
        # ellipse point and its outward normal in (anterior, superior) coordinates
        px, py = b * c, a * sn
        nx, ny = c / b, sn / a
        norm = np.hypot(nx, ny)
        px, py = px + off * nx / norm, py + off * ny / norm
        return (self.head_center + s[..., None] * self.neck_axis
                + px[..., None] * self.neck_anterior + py[..., None] * self.neck_superior)

    def head_neck_junction_s(self, angle_rad: float) -> float:
        """Axial position where the neck surface meets the head sphere at ``angle_rad``."""
        a, b = self.neck_radii(-self.head_radius)
        r = 1.0 / np.hypot(np.cos(angle_rad) / b, np.sin(angle_rad) / a)
        return -float(np.sqrt(self.head_radius**2 - r**2))

    def femur_point(self, local_mm) -> np.ndarray:
        """World position of points ``(..., 3)`` given in the femur's anatomical pose relative
        to the head centre."""
        return self.head_center + np.asarray(local_mm, float) @ self.femur_from_local.T

    def pelvis_point(self, name: str) -> np.ndarray:
        """World position of a named pelvic reference point (see ``PELVIS_POINTS_MM``)."""
        return self.pelvis_map(PELVIS_POINTS_MM[name])

    def pelvis_map(self, reference_mm) -> np.ndarray:
        """Map reference-pelvis coordinates ``(..., 3)`` to this patient."""
        p = self.params
        k = np.array([p.half_width_mm / REFERENCE_HALF_WIDTH_MM, p.bone_scale, p.bone_scale])
        return np.asarray(reference_mm, float) * k


def hip_frame(params: HipParams) -> HipFrame:
    """Derive the hip axes and reference positions from drawn parameters."""
    beta = np.radians(params.shaft_adduction_deg)
    shaft_local = np.array([-np.sin(beta), 0.0, -np.cos(beta)])
    theta = np.radians(270.0 - params.shaft_adduction_deg - params.neck_shaft_deg)
    neck_coronal = np.array([np.cos(theta), 0.0, np.sin(theta)])
    neck_local = rotation(shaft_local, np.radians(params.femoral_anteversion_deg)) @ neck_coronal
    if neck_local[1] < 0:  # anteversion turns the head forward
        neck_local = (rotation(shaft_local, -np.radians(params.femoral_anteversion_deg))
                      @ neck_coronal)
    # internal rotation of the right limb turns its front toward the midline (-x)
    femur_from_local = rotation((0.0, 0.0, 1.0), np.radians(params.internal_rotation_deg))
    head = np.array([params.half_width_mm, 0.0, 0.0])
    u = femur_from_local @ neck_local
    superior = unit(np.array([0.0, 0.0, 1.0]) - u[2] * u)
    anterior = np.cross(superior, u)
    if anterior[1] < 0:
        anterior = -anterior
    shaft_dir = femur_from_local @ shaft_local
    axis_distance = 50.0 * params.bone_scale
    inclination = np.radians(params.acetabular_inclination_deg)
    version = np.radians(params.acetabular_anteversion_deg)
    acetabular = np.array([np.cos(version) * np.sin(inclination), np.sin(version),
                           -np.cos(version) * np.cos(inclination)])
    return HipFrame(
        params=params, head_center=head, neck_axis=u, neck_superior=superior,
        neck_anterior=anterior,
        neck_base=head - (params.head_radius_mm + params.neck_length_mm) * u,
        shaft_point=head - axis_distance * u, shaft_dir=shaft_dir,
        femur_from_local=femur_from_local, acetabular_axis=acetabular)
