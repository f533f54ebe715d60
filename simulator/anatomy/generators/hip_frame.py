"""Hip geometry without meshes: the axes, radii and reference points of one right hip,
measured on its placed real bones (``hip_real``).

World frame: patient RAS in mm, femoral head centre near ``(half_width, 0, 0)`` (right side;
the assembly mirrors for the left). The neck is described by its measured surface: the
distance from the neck axis to the femur's surface on a grid of axial positions and angles
about the axis, so the capsule and the recess are laid on the real neck. Soft tissue that is
placed by coordinates of a reference female pelvis (``PELVIS_POINTS_MM``, femoral head centre
at (85, 0, 0)) goes through the affine map that takes the reference landmarks onto the
measured ones (``pelvis_map``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import manifold3d as mf
import numpy as np
from scipy.interpolate import RegularGridInterpolator

from simulator.anatomy.generators.hip_params import HipParams
from simulator.anatomy.generators.hip_real import Placement, RealHip
from simulator.anatomy.generators.primitives import unit
from simulator.anatomy.raycast import TriangleGrid

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
REFERENCE_HEAD_MM = (85.0, 0.0, 0.0)
# reference points matched to measured landmarks for the affine map
_MATCHED = ("asis", "aiis", "pubic_tubercle", "ischial_tuberosity")
NECK_STEP_MM = 1.0
NECK_ANGLES = 36
NECK_ANGLE_GRID = np.linspace(0.0, 2 * np.pi, NECK_ANGLES + 1)


@dataclass(frozen=True)
class HipFrame:
    """Axes and sizes of one placed real hip (all world RAS mm, right side).

    Attributes
    ----------
    head_center : (3,) float
    neck_axis : (3,) float
        Unit vector from the neck base toward the head centre.
    neck_superior, neck_anterior : (3,) float
        Unit vectors perpendicular to ``neck_axis`` (toward +z and +y).
    neck_base : (3,) float
        Neck axis point ``neck_base_distance`` from the head centre.
    shaft_point, shaft_dir : (3,) float
        A shaft axis point 100 mm below the head and the distal shaft direction.
    acetabular_axis : (3,) float
        Unit normal of the acetabular rim plane, pointing out of the socket.
    rim_height : float
        Rim plane offset (mm) along ``acetabular_axis`` from the head centre.
    neck_s : (k,) float
        Axial positions (mm from the head centre along ``neck_axis``, decreasing).
    neck_rho : (k, NECK_ANGLES + 1) float
        Distance from the axis to the femur surface at ``neck_s`` and angles
        ``0 .. 2 pi`` (0 = anterior, pi/2 = superior; last column repeats the first).
    pelvis_affine : (3, 4) float
        Map from reference-pelvis coordinates to the world.
    """

    params: HipParams
    head_center: np.ndarray
    neck_axis: np.ndarray
    neck_superior: np.ndarray
    neck_anterior: np.ndarray
    shaft_point: np.ndarray
    shaft_dir: np.ndarray
    acetabular_axis: np.ndarray
    rim_height: float
    neck_s: np.ndarray
    neck_rho: np.ndarray
    pelvis_affine: np.ndarray

    @property
    def head_radius(self) -> float:
        return self.params.head_radius_mm

    @property
    def cartilage_radius(self) -> float:
        """Outer radius of the femoral head cartilage (= inner acetabular cartilage)."""
        return self.head_radius + self.params.femoral_cartilage_mm

    @property
    def socket_radius(self) -> float:
        """Radius of the acetabular cartilage's outer sphere (on the bony socket)."""
        return self.head_radius + self.params.joint_space_mm

    @property
    def neck_base_distance(self) -> float:
        return self.head_radius + self.params.neck_length_mm

    @property
    def neck_base(self) -> np.ndarray:
        return self.head_center - self.neck_base_distance * self.neck_axis

    @cached_property
    def _rho_table(self) -> RegularGridInterpolator:
        return RegularGridInterpolator((-self.neck_s, NECK_ANGLE_GRID), self.neck_rho,
                                       bounds_error=False, fill_value=None)

    def _rho(self, s_mm, angle_rad) -> np.ndarray:
        s, ang = np.broadcast_arrays(np.asarray(s_mm, float), np.asarray(angle_rad, float))
        q = np.stack([-s, np.mod(ang, 2 * np.pi)], -1)
        return self._rho_table(q.reshape(-1, 2)).reshape(s.shape)

    def neck_direction(self, angle_rad) -> np.ndarray:
        ang = np.asarray(angle_rad, float)[..., None]
        return np.cos(ang) * self.neck_anterior + np.sin(ang) * self.neck_superior

    def neck_point(self, s_mm, angle_rad, offset_mm=0.0):
        """Point ``(..., 3)`` on the real neck surface (plus ``offset_mm`` outward from the
        axis) at axial position ``s_mm`` and angle about the axis (0 = anterior,
        pi/2 = superior)."""
        s, ang, off = np.broadcast_arrays(np.asarray(s_mm, float),
                                          np.asarray(angle_rad, float),
                                          np.asarray(offset_mm, float))
        rho = self._rho(s, ang) + off
        return (self.head_center + s[..., None] * self.neck_axis
                + rho[..., None] * self.neck_direction(ang))

    @cached_property
    def _junction_table(self) -> np.ndarray:
        s = self.neck_s[self.neck_s <= -0.4 * self.head_radius]
        out = []
        for k in range(NECK_ANGLES + 1):
            r = np.hypot(s, self.neck_rho[self.neck_s <= -0.4 * self.head_radius, k])
            off = np.nonzero(np.abs(r - self.head_radius) > 1.0)[0]
            out.append(s[off[0]] if len(off) else s[-1])
        return np.array(out)

    def head_neck_junction_s(self, angle_rad):
        """Axial position where the surface, followed from the head toward the base, leaves
        the head sphere by 1 mm at ``angle_rad`` (array-friendly)."""
        ang = np.mod(np.asarray(angle_rad, float), 2 * np.pi)
        out = np.interp(ang, NECK_ANGLE_GRID, self._junction_table)
        return float(out) if out.ndim == 0 else out

    def pelvis_point(self, name: str) -> np.ndarray:
        """World position of a named reference-pelvis point (see ``PELVIS_POINTS_MM``)."""
        return self.pelvis_map(PELVIS_POINTS_MM[name])

    def pelvis_map(self, reference_mm) -> np.ndarray:
        """Map reference-pelvis coordinates ``(..., 3)`` to this patient."""
        return Placement.apply(self.pelvis_affine, reference_mm)


def _affine_fit(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares affine ``(3, 4)`` taking points ``source`` ``(n, 3)`` to ``target``."""
    a = np.column_stack([source, np.ones(len(source))])
    return np.linalg.lstsq(a, target, rcond=None)[0].T


def hip_frame(params: HipParams, hip: RealHip, place: Placement,
              femur_outer: mf.Manifold) -> HipFrame:
    """Measure the placed hip's axes, its neck surface and the reference-pelvis map."""
    fm, pm = hip.femur_marks, hip.pelvis_marks
    head = Placement.apply(place.femur, fm.head_centre)
    u = Placement.rotate(place.femur, fm.neck_axis)
    superior = unit(np.array([0.0, 0.0, 1.0]) - u[2] * u)
    anterior = np.cross(superior, u)
    if anterior[1] < 0:
        anterior = -anterior
    axis = pm.acetabular_axis
    rim = Placement.apply(place.pelvis, pm.acetabular_rim)
    rim_height = float(np.mean((rim - head) @ axis))

    neck_s = np.arange(0.3 * params.head_radius_mm,
                       -(params.head_radius_mm + params.neck_length_mm + 8.0), -NECK_STEP_MM)
    angles = NECK_ANGLE_GRID
    mesh = femur_outer.to_mesh64()
    grid = TriangleGrid.build([(np.asarray(mesh.vert_properties)[:, :3],
                                np.asarray(mesh.tri_verts, np.int64))])
    ss, aa = np.meshgrid(neck_s, angles, indexing="ij")
    starts = head + ss[..., None] * u
    dirs = np.cos(aa)[..., None] * anterior + np.sin(aa)[..., None] * superior
    t, _ = grid.first_hits(starts.reshape(-1, 3), dirs.reshape(-1, 3), 80.0)
    if not np.all(np.isfinite(t)):
        raise ValueError("hip frame: a neck ray misses the femur")
    rho = t.reshape(ss.shape)

    reference = np.array([PELVIS_POINTS_MM[n] for n in _MATCHED] + [REFERENCE_HEAD_MM])
    measured = np.array([getattr(pm, n) for n in _MATCHED] + [fm.head_centre])
    return HipFrame(
        params=params, head_center=head, neck_axis=u, neck_superior=superior,
        neck_anterior=anterior,
        shaft_point=Placement.apply(place.femur, fm.shaft_point),
        shaft_dir=-Placement.rotate(place.femur, fm.shaft_axis), acetabular_axis=axis,
        rim_height=rim_height, neck_s=neck_s, neck_rho=rho,
        pelvis_affine=_affine_fit(reference, Placement.apply(place.pelvis, measured)))
