"""Frame and bones of a right knee: distal femur, patella, proximal tibia and fibula.

World frame: patient RAS mm, the tibiofemoral contact (joint line) centre at
``(KNEE_X_MM, 0, 0)``. The femur keeps its anatomical pose (shaft tilted ``valgus_deg`` so it
runs up and medially); the leg (tibia, fibula, leg soft tissue) is built extended and turned
about the flexion axis through the posterior condyles by ``flexion_deg``, so the condyles roll
on the plateau with a constant joint space. Reference coordinates below are for the female
reference knee and scale with ``KneeParams.scale``; cartilage thickness does not scale.

Each bone is a union of smooth convex hulls of ellipsoids plus lofted shafts; the trochlear
groove is pressed into the front of the femur by a smooth displacement field, the notch is cut
out. The marrow repeats the construction shrunk by the cortex (about 1.2 mm at the ends,
4-4.5 mm in the shafts), cartilage grows it by the cartilage thickness.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np
from scipy.interpolate import PchipInterpolator

from simulator.anatomy.generators import knee_ankle_common as kc
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.knee_params import KneeParams

KNEE_X_MM = 85.0     # joint centre lateral of the body midline [U]
FINE_MM = 2.0        # edge length at articular surfaces
LINING_MM = 3.0      # edge length of the synovial lining and capsule
COARSE_MM = 3.5

# Femoral epiphysis ellipsoids (centre, radii) relative to the lowest point of the condyles:
# posterior "wheel" and distal extension facet of each condyle, trochlear block, ridges,
# epicondyles.
_FEMUR_BLOBS = [
    ((20, -8, 21), (13, 21, 21)), ((20, 6, 24), (13, 21, 24)),
    ((-20, -9, 21), (14, 21, 21)), ((-20, 5, 24), (14, 21, 24)),
    ((0, 3, 40), (29, 20, 22)), ((16, 6, 38), (12, 20, 22)), ((-15, 5, 38), (12, 19, 21)),
    ((33, -8, 28), (5, 9, 9)), ((-34, -8, 30), (6, 10, 10)),
]
# Metaphysis and shaft sections: height, centre y, half-widths x and y.
_FEMUR_SHAFT = np.array([(44, -4, 31, 22), (60, -5, 25, 19), (76, -5, 19, 16),
                         (100, -5, 15.5, 14.5), (140, -5, 14.5, 13.8), (400, -5, 14, 13.5)])
# Intercondylar notch: an arched tunnel between the condyles, given by (y, roof height) at
# its back and front; 21 mm wide, open below the condyles.
_NOTCH_ARCHES = ((-36.0, 31.0), (-22.0, 30.0), (14.0, 8.0))
_NOTCH_HALF_WIDTH = 10.5
# Tibia relative to the centre of its plateau (extended leg): plateau rings (z, y centre,
# half-widths), tuberosity and Gerdy's tubercle, shaft sections.
_TIBIA_RINGS = [(0.0, -3, 36, 24), (-8.0, -3, 37, 25), (-14.0, -3, 36, 24.5)]
_TIBIA_BLOBS = [((3, 15, -30), (9, 5, 15)), ((22, 10, -14), (7, 4, 6))]
# Metaphysis flaring concavely from the shaft to the plateau rim, then the shaft.
_TIBIA_SHAFT = np.array([(-5, -3, 36.8, 24.8), (-12, -3, 36.3, 24.5), (-20, -3.5, 33, 23),
                         (-32, -4, 27.5, 21),
                         (-45, -3, 21, 18.5), (-60, -2.5, 16.5, 15.5), (-80, -2, 14, 13.5),
                         (-110, -1, 13, 12.5), (-400, -1, 12, 11.5)])


@dataclass(frozen=True)
class KneeFrame:
    """Reference points and the leg's rotation (world RAS mm, right knee).

    Attributes
    ----------
    origin : (3,) float
        Joint-line centre (where the femoral and tibial cartilage meet).
    femur_base : (3,) float
        Lowest point of the femoral condyle bone (origin + femoral cartilage).
    tibia_top : (3,) float
        Centre of the tibial plateau bone, extended-leg frame.
    axis_point : (3,) float
        On the flexion axis (x direction) through the posterior condyle centres.
    leg_rotation : (3, 3) float
        Turns the extended leg about the flexion axis (the foot goes posterior).
    """

    params: KneeParams
    origin: np.ndarray
    femur_base: np.ndarray
    tibia_top: np.ndarray
    axis_point: np.ndarray
    leg_rotation: np.ndarray

    @property
    def sc(self) -> float:
        return self.params.scale

    def fem(self, ref_mm) -> np.ndarray:
        """Femur reference points ``(..., 3)`` (relative to the condyle bottom) to world."""
        return self.femur_base + self.sc * np.asarray(ref_mm, float)

    def leg(self, world_extended) -> np.ndarray:
        """Points ``(..., 3)`` placed with the leg extended, turned into the flexed pose."""
        p = np.asarray(world_extended, float) - self.axis_point
        return self.axis_point + p @ self.leg_rotation.T

    def tib(self, ref_mm) -> np.ndarray:
        """Tibia reference points (relative to the plateau centre, extended) to world."""
        return self.leg(self.tibia_top + self.sc * np.asarray(ref_mm, float))

    @property
    def leg_axis(self) -> np.ndarray:
        """Unit vector down the tibial shaft."""
        return self.leg_rotation @ np.array([0.0, 0.0, -1.0])

    def shaft_x(self, z_ref):
        """Femoral shaft centre x offset (reference mm) at reference height ``z_ref``: the
        anatomical axis runs medially going up."""
        tilt = np.tan(np.radians(self.params.valgus_deg))
        return -tilt * np.clip(np.asarray(z_ref, float) - 40.0, 0.0, None)


def knee_frame(p: KneeParams) -> KneeFrame:
    origin = np.array([KNEE_X_MM, 0.0, 0.0])
    femur_base = origin + np.array([0.0, 0.0, p.femoral_cartilage_mm])
    tibia_top = origin - np.array([0.0, 0.0, p.tibial_cartilage_mm])
    axis_point = femur_base + p.scale * np.array([0.0, -8.0, 21.0])
    rot = pr.rotation((1.0, 0.0, 0.0), -np.radians(p.flexion_deg))
    return KneeFrame(p, origin, femur_base, tibia_top, axis_point, rot)


def _groove(f: KneeFrame):
    """Displacement field ``(n, 3) -> (n, 3)`` pressing the trochlear groove into the front of
    the femur: a rounded V (facet slopes about 23 deg lateral, 25 deg medial), 6 mm deep,
    fading out above the trochlea and toward the back."""
    sc = f.sc
    depth, r0 = 6.0 * sc, 4.0 * sc
    x_groove = f.femur_base[0] - 1.0 * sc

    def field(p):
        x = p[:, 0] - x_groove
        slope = np.where(x > 0, 0.42, 0.47)
        v = depth - slope * (np.sqrt(x**2 + r0**2) - r0)
        v = 1.5 * np.logaddexp(0.0, v / 1.5)  # soft clip at zero
        zr = (p[:, 2] - f.femur_base[2]) / sc
        yr = (p[:, 1] - f.femur_base[1]) / sc
        w = pr.smoothstep((60.0 - zr) / 10.0) * pr.smoothstep((zr - 2.0) / 8.0)
        w = w * pr.smoothstep((yr - 4.0) / 10.0)
        out = np.zeros_like(p)
        out[:, 1] = -v * w
        return out

    return field


def intercondylar_notch(f: KneeFrame, grow_mm: float) -> mf.Manifold:
    """The notch between the condyles (grown by ``grow_mm``), as a solid to subtract."""
    sc = f.sc
    half = _NOTCH_HALF_WIDTH * sc + grow_mm
    t = np.linspace(0.0, np.pi, 9)
    pts = []
    for y, roof in _NOTCH_ARCHES:
        top = roof * sc + grow_mm
        arch_z = top - half * 0.85 * (1.0 - np.sin(t))
        for x, z in zip(half * np.cos(t), arch_z, strict=True):
            pts.append(f.fem((0.0, y * sc, 0.0)) + np.array([x, 0.0, z]))
        for x in (-half, half):
            pts.append(f.fem((0.0, y * sc, -15.0)) + np.array([x, 0.0, 0.0]))
    return pr.smooth_hull(np.array(pts), FINE_MM, "intercondylar notch")


def _loft_sections(f: KneeFrame, table, offset_mm, z_lo, z_hi, femoral: bool, step=2.5):
    """Loft elliptical sections ``(height, y, half_x, half_y)`` (reference mm, PCHIP between
    rows) from ``z_lo`` to ``z_hi`` of the femur (``femoral``, valgus tilt) or the tibia."""
    place = f.fem if femoral else f.tib
    table = np.asarray(table, float)
    table = table[np.argsort(table[:, 0])]
    spline = PchipInterpolator(table[:, 0], table[:, 1:], axis=0)
    # finer near the epiphysis, where the section changes, coarser along the shaft
    zs = np.concatenate([np.arange(z_lo, min(z_hi, 110.0), step),
                         np.arange(min(z_hi, 110.0), z_hi, 3 * step)]) if z_lo > 0 else \
        np.concatenate([np.arange(z_lo, max(z_lo, -70.0), 3 * step),
                        np.arange(max(z_lo, -70.0), z_hi, step)])
    zs = np.append(zs, z_hi)
    theta = np.linspace(0.0, 2 * np.pi, 40, endpoint=False)
    rings = []
    for z in zs:
        cy, a, b = spline(z)
        a, b = a + offset_mm / f.sc, b + offset_mm / f.sc
        x0 = f.shaft_x(z) if femoral else 0.0
        ring = np.stack([x0 + a * np.cos(theta), cy + b * np.sin(theta),
                         np.full_like(theta, z)], 1)
        rings.append(place(ring))
    return pr.loft(np.array(rings), what="shaft")


def femur(f: KneeFrame, z_top_mm: float) -> tuple[pr.Bone, dict]:
    """Distal femur up to world height ``z_top_mm``; returns the bone and the builder of its
    offset surfaces (``"outer"(offset_mm)`` for cartilage and capsule shapes)."""
    sc = f.sc
    top_ref = (z_top_mm - f.femur_base[2]) / sc
    groove = _groove(f)

    def epiphysis(offset, edge=None):
        blobs = [(f.fem(c), np.asarray(r, float) * sc) for c, r in _FEMUR_BLOBS]
        edge = edge or (FINE_MM if offset >= 0 else 2.0 * FINE_MM)
        return kc.warp(kc.blob(blobs, offset, edge, "femoral condyles"), groove)

    def solid(offset, edge=None):
        shaft = _loft_sections(f, _FEMUR_SHAFT, offset, 30.0, top_ref, True,
                               step=2.5 if offset >= 0 and edge is None else 5.0)
        return pr.union([epiphysis(offset, edge), shaft]) - intercondylar_notch(f, -offset)

    outer = solid(0.0)
    marrow = pr.union([epiphysis(-1.2), _loft_sections(f, _femur_marrow_sections(), 0.0, 32.0,
                                                       top_ref, True, step=5.0)])
    marrow = (marrow - intercondylar_notch(f, 1.2)) ^ outer
    points = {
        "lateral_epicondyle": pr.surface_point(outer, f.fem((31, -8, 28)), (1, 0, 0), 60.0),
        "medial_epicondyle": pr.surface_point(outer, f.fem((-32, -8, 30)), (-1, 0, 0), 60.0),
    }
    return pr.Bone(outer, marrow, points), {"epiphysis": epiphysis, "solid": solid}


def _femur_marrow_sections():
    """Marrow sections: cortex 1.5 mm at the metaphysis growing to 4.5 mm in the shaft."""
    t = np.interp(_FEMUR_SHAFT[:, 0], [44, 76, 110], [1.5, 2.5, 4.5])
    out = _FEMUR_SHAFT.copy()
    out[:, 2] -= t
    out[:, 3] -= t
    return out


def tibia(f: KneeFrame, z_bottom_ref: float) -> tuple[pr.Bone, callable]:
    """Proximal tibia down to ``z_bottom_ref`` (reference mm below the plateau); returns the
    bone and its offset builder ``plateau(offset_mm)`` (the epiphysis only)."""
    sc = f.sc
    # the plateau is modelled without its posterior slope (about 7 deg [U]) so that the
    # condyles roll on it with exactly the joint space at any flexion

    def plateau(offset, edge=None):
        theta = np.linspace(0.0, 2 * np.pi, 40, endpoint=False)
        pts = []
        for z, cy, a, b in _TIBIA_RINGS:
            a2, b2 = a + offset / sc, b + offset / sc
            y = cy + b2 * np.sin(theta)
            zz = np.full_like(y, z + (offset / sc if z == 0.0 else 0.0))
            pts.append(np.stack([a2 * np.cos(theta), y, zz], 1))
        edge = edge or (FINE_MM if offset >= 0 else 2.0 * FINE_MM)
        hull = pr.smooth_hull(f.tib(np.concatenate(pts)), edge, "tibial plateau")
        spines = [pr.ellipsoid(f.tib(c), np.asarray(r, float) * sc + offset, edge_mm=edge)
                  for c, r in (((4.5, -2, 0.5), (2.5, 9, 4)), ((-4.0, -2, 0.5), (2.5, 9, 4)))]
        tuberosity = [pr.ellipsoid(f.tib(c), np.asarray(r, float) * sc + offset, edge_mm=edge)
                      for c, r in _TIBIA_BLOBS]
        return pr.union([hull, *spines, *tuberosity])

    def shaft(table, step):
        return _loft_sections(f, table, 0.0, z_bottom_ref, -5.0, False, step=step)

    outer = pr.union([plateau(0.0), shaft(_TIBIA_SHAFT, 3.0)])
    inner = _TIBIA_SHAFT.copy()
    t = np.interp(-inner[:, 0], [20, 55, 100], [1.2, 2.0, 4.0])
    inner[:, 2] -= t
    inner[:, 3] -= t
    marrow = pr.union([plateau(-1.2), shaft(inner, 6.0)]) ^ outer
    points = {"tibial_tuberosity": pr.surface_point(outer, f.tib((3, 14, -31)), f.leg(
        f.axis_point + np.array([0.0, 1.0, 0.0])) - f.axis_point, 60.0),
        "gerdy_tubercle": pr.surface_point(outer, f.tib((22, 8, -13)), (1, 0.3, 0), 60.0)}
    return pr.Bone(outer, marrow, points), plateau


def fibula(f: KneeFrame, z_bottom_ref: float) -> pr.Bone:
    """Fibular head below the posterolateral plateau and the upper shaft."""
    sc = f.sc
    path = np.array([(28, -17, -40), (30, -15, -70), (31, -13, z_bottom_ref)])

    def build(shrink, coarsen=1.0):
        head = pr.smooth_hull(f.tib(np.concatenate([
            kc.ellipsoid_points((27, -17, -21), np.array([10.0, 10.0, 11.0]) - shrink / sc),
            kc.ellipsoid_points((28, -17, -42), np.array([7.0, 7.0, 2.0]) - shrink / sc)])),
            COARSE_MM * 0.6 * coarsen, "fibular head")
        shaft = pr.tube(f.tib(path), np.array([7.0, 7.0, 6.5]) * sc - shrink,
                        step_mm=4.0 * coarsen, ring_points=int(16 / coarsen), what="fibula")
        return pr.union([head, shaft])

    outer = build(0.0)
    marrow = build(1.8 * sc, coarsen=1.5) ^ outer
    points = {"fibular_head": pr.surface_point(outer, f.tib((27, -17, -21)), (1, 0, 0.3),
                                                60.0)}
    return pr.Bone(outer, marrow, points)
