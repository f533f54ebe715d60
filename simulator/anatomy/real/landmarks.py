"""Landmarks and axes measured on the real bones of a right hip (a left hip is mirrored
into this frame first).

Everything is RAS mm on the bones' surfaces ``(n, 3)``; no generator frame is assumed. The
definitions follow the clinical ones as far as a surface allows:

- femoral head: least-squares sphere of the surface points within 1.5 mm of the sphere,
  iterated from the medial part of the femur's top 30 mm; anterior head-neck junction where
  the surface, followed from the head down the front of the neck, leaves the sphere by 1 mm;
- neck axis: from the head centre through the centroids of the neck sections 2-10 mm
  below the head, perpendicular to it (iterated);
  shaft axis: through the centroids of horizontal shaft sections 100 and 190 mm below the
  head; neck-shaft angle: 180 deg - the angle between them; anteversion: the neck axis
  against the posterior condylar axis, both projected on the plane normal to the shaft;
- greater trochanter tip: the highest point lateral of the neck base; lesser trochanter:
  the point furthest posteromedially from the shaft axis 40-80 mm below the head centre;
- acetabulum: the bone surface within 6 mm of the head sphere; rim: per 10 deg about the
  socket axis, the socket point nearest the opening; axis: normal of the rim's plane;
- ASIS: the most anterior point of the iliac crest region (above the head + 45 mm); AIIS:
  the most anterior point 10-35 mm above the head centre within 35 mm of it laterally;
  pubic tubercle: the most anterosuperior point 15-35 mm lateral of the symphysis;
- teardrop: the pelvic (medial) surface of the acetabular floor at the lowest level where
  a ray from the head's vertical axis going medially still crosses the floor: the bottom of
  the radiographic teardrop, where the floor meets the acetabular notch.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators.primitives import basis_from_axis, exit_point, to_manifold


def fit_sphere(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares sphere through ``points`` ``(n, 3)``: centre ``(3,)`` and radius (mm)."""
    a = np.column_stack([2.0 * points, np.ones(len(points))])
    b = (points**2).sum(1)
    sol = np.linalg.lstsq(a, b, rcond=None)[0]
    return sol[:3], float(np.sqrt(sol[3] + sol[:3] @ sol[:3]))


def _unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def angle_deg(a, b) -> float:
    return float(np.degrees(np.arccos(np.clip(_unit(a) @ _unit(b), -1.0, 1.0))))


def section_centroid(solid: mf.Manifold, point, normal) -> np.ndarray | None:
    """Area centroid ``(3,)`` of the largest piece of the section of ``solid`` by the plane
    through ``point`` normal to ``normal`` (None if the plane misses it)."""
    basis = basis_from_axis(normal)  # rows: u, v, normal
    rot = np.asarray(basis, float)
    m = np.zeros((3, 4))
    m[:, :3] = rot
    local = solid.transform(m)
    polys = local.slice(float(rot[2] @ np.asarray(point, float))).to_polygons()
    best, best_area = None, 0.0
    for poly in polys:
        x, y = poly[:, 0], poly[:, 1]
        cross = x * np.roll(y, -1) - np.roll(x, -1) * y
        area = 0.5 * cross.sum()
        if abs(area) > best_area:
            cx = ((x + np.roll(x, -1)) * cross).sum() / (6 * area)
            cy = ((y + np.roll(y, -1)) * cross).sum() / (6 * area)
            best, best_area = np.array([cx, cy]), abs(area)
    if best is None:
        return None
    return best[0] * rot[0] + best[1] * rot[1] + (rot[2] @ np.asarray(point, float)) * rot[2]


@dataclass(frozen=True)
class FemurLandmarks:
    """Measured on a right femur (RAS mm; unit vectors)."""

    head_centre: np.ndarray
    head_radius_mm: float
    neck_axis: np.ndarray          # from the neck toward the head centre
    neck_base: np.ndarray          # neck axis point at the base of the neck
    head_neck_junction: np.ndarray  # anterior head-neck junction on the surface
    shaft_axis: np.ndarray         # up the shaft
    shaft_point: np.ndarray        # shaft axis point 100 mm below the head centre
    greater_trochanter_tip: np.ndarray
    lesser_trochanter: np.ndarray
    posterior_condylar_axis: np.ndarray  # medial -> lateral condyle

    @property
    def neck_shaft_angle_deg(self) -> float:
        return 180.0 - angle_deg(self.neck_axis, self.shaft_axis)

    @property
    def anteversion_deg(self) -> float:
        """Positive when the head points anterior of the condylar plane."""
        up = self.shaft_axis
        neck = self.neck_axis - (self.neck_axis @ up) * up
        cond = self.posterior_condylar_axis - (self.posterior_condylar_axis @ up) * up
        # the neck points medially (to the head), the condylar axis laterally
        angle = angle_deg(neck, -cond)
        return angle if _anterior(neck, cond, up) else -angle


def _anterior(neck, cond, up) -> bool:
    """The neck's horizontal direction points anterior of the condylar line."""
    front = np.cross(up, cond)  # for a right femur, up x (medial->lateral) points anterior
    front = front if front[1] > 0 else -front
    return float(neck @ front) > 0.0


def femur_landmarks(vertices: np.ndarray, faces: np.ndarray) -> FemurLandmarks:
    """Landmarks of a right femur given by its closed surface."""
    v = np.asarray(vertices, float)
    solid = to_manifold(v, faces, "femur")
    top = v[v[:, 2] > v[:, 2].max() - 30.0]
    centre, radius = fit_sphere(top[top[:, 0] < top[:, 0].min() + 35.0])  # medial: the head
    for _ in range(8):
        r = np.linalg.norm(v - centre, axis=1)
        centre, radius = fit_sphere(v[np.abs(r - radius) < 1.5])
    # neck axis: start toward the centroid of the bone 1.4-2.2 radii from the head centre
    r = np.linalg.norm(v - centre, axis=1)
    axis = _unit(centre - v[(r > 1.4 * radius) & (r < 2.2 * radius)].mean(0))
    for _ in range(8):  # the axis runs from the head centre through the neck's sections
        pts = [section_centroid(solid, centre - t * axis, axis)
               for t in np.linspace(radius + 2.0, radius + 10.0, 5)]
        pts = np.array([p for p in pts if p is not None])
        axis = _unit(centre - pts.mean(0))
    # neck base: where the neck section stops narrowing into the trochanteric region
    neck_base = centre - (radius + 14.0) * axis
    # shaft
    c1 = section_centroid(solid, centre - np.array([0, 0, 100.0]), (0, 0, 1))
    c2 = section_centroid(solid, centre - np.array([0, 0, 190.0]), (0, 0, 1))
    shaft = _unit(c1 - c2)
    # trochanters
    lateral = v[(v - centre) @ -axis > radius + 10.0]
    gt = lateral[np.argmax(lateral[:, 2])]
    band = v[(v[:, 2] < centre[2] - 40.0) & (v[:, 2] > centre[2] - 80.0)]
    rel = band - c1 - ((band - c1) @ shaft)[:, None] * shaft
    postmed = _unit(np.array([-1.0, -1.0, 0.0]))
    lt = band[np.argmax(rel @ postmed)]
    # posterior condylar axis from the distal 35 mm
    low = v[v[:, 2] < v[:, 2].min() + 35.0]
    mid_x = np.median(low[:, 0])
    med, lat = low[low[:, 0] < mid_x], low[low[:, 0] >= mid_x]
    condyles = _unit(lat[np.argmin(lat[:, 1])] - med[np.argmin(med[:, 1])])
    # anterior head-neck junction: along the anterior neck surface, where it leaves the sphere
    front = _unit(np.cross(axis, np.cross(np.array([0.0, 1.0, 0.0]), axis)))
    front = front if front[1] > 0 else -front
    junction = None
    for s in np.arange(0.4 * radius, radius + 10.0, 0.5):
        q = exit_point(solid, centre - s * axis, front, 60.0)
        if abs(float(np.linalg.norm(q - centre)) - radius) > 1.0:
            junction = q
            break
    if junction is None:
        raise ValueError("femur landmarks: no head-neck junction found")
    return FemurLandmarks(centre, radius, axis, neck_base, junction, shaft, c1, gt, lt,
                          condyles)


@dataclass(frozen=True)
class PelvisLandmarks:
    """Measured on a right hip bone (RAS mm)."""

    asis: np.ndarray
    aiis: np.ndarray
    pubic_tubercle: np.ndarray
    symphysis: np.ndarray           # most medial point of the pubis
    ischial_tuberosity: np.ndarray
    acetabular_rim: np.ndarray      # (k, 3) rim points
    acetabular_axis: np.ndarray     # out of the socket
    acetabular_centre: np.ndarray   # socket sphere centre
    acetabular_radius_mm: float
    teardrop: np.ndarray

    @property
    def inclination_deg(self) -> float:
        """Radiographic inclination: the axis against vertical in the coronal projection."""
        n = self.acetabular_axis
        return float(np.degrees(np.arctan2(abs(n[0]), -n[2])))

    @property
    def anteversion_deg(self) -> float:
        n = self.acetabular_axis
        return float(np.degrees(np.arcsin(np.clip(n[1], -1.0, 1.0))))


def pelvis_landmarks(vertices: np.ndarray, faces: np.ndarray, head_centre,
                     head_radius_mm: float) -> PelvisLandmarks:
    """Landmarks of a right hip bone, the femoral head sphere given (it sits in the socket)."""
    v = np.asarray(vertices, float)
    solid = to_manifold(v, faces, "hip bone")
    h = np.asarray(head_centre, float)
    R = head_radius_mm
    r = np.linalg.norm(v - h, axis=1)
    socket = v[r < R + 6.0]
    centre, radius = fit_sphere(socket)
    axis = _unit(h - socket.mean(0))
    basis = basis_from_axis(axis)
    d = socket - h
    ang = np.arctan2(d @ basis[1], d @ basis[0])
    rim = []
    for lo in np.radians(np.arange(-180.0, 180.0, 10.0)):
        sel = d[(ang >= lo) & (ang < lo + np.radians(10.0))]
        if len(sel):
            rim.append(h + sel[np.argmax(sel @ axis)])
    rim = np.array(rim)
    normal = np.linalg.svd(rim - rim.mean(0))[2][2]
    axis = _unit(normal if normal @ axis > 0 else -normal)

    upper = v[v[:, 2] > h[2] + 45.0]
    asis = upper[np.argmax(upper[:, 1])]
    near = v[(v[:, 2] > h[2] + 10.0) & (v[:, 2] < h[2] + 35.0) & (np.abs(v[:, 0] - h[0]) < 35.0)]
    aiis = near[np.argmax(near[:, 1])]
    x_min = v[:, 0].min()
    symphysis = v[np.argmin(v[:, 0])]
    pubis = v[(v[:, 0] > x_min + 15.0) & (v[:, 0] < x_min + 35.0) & (v[:, 2] < h[2])]
    tubercle = pubis[np.argmax(pubis[:, 1] + pubis[:, 2])]
    low = v[v[:, 2] < h[2] - 30.0]
    ischial = low[np.argmin(low[:, 2] - 0.3 * low[:, 1])]
    teardrop = None
    for dz in np.arange(0.0, 1.2 * R, 1.0):  # down the medial wall of the acetabular floor
        start = h - np.array([0.0, 0.0, dz])
        hits = solid.ray_cast(start.tolist(), (start - np.array([R + 30.0, 0.0, 0.0])).tolist())
        if len(hits) < 2:
            break
        teardrop = np.asarray(hits[1].position, float)
    if teardrop is None:
        raise ValueError("pelvis landmarks: no acetabular floor medial to the head")
    return PelvisLandmarks(asis, aiis, tubercle, symphysis, ischial, rim, axis, centre,
                           radius, teardrop)
