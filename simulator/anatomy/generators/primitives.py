"""Closed solids built from numpy arrays: lofts, swept tubes, thick sheets, spheres, cones.

Every function returns a ``manifold3d.Manifold`` that is closed and outward oriented, or raises
``ValueError`` naming the primitive (``what``) and the reason. Points are ``(..., 3) float``
in millimetres. These are the building blocks every joint generator shares; joint modules only
choose where to put them.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np
from scipy.interpolate import PchipInterpolator, make_interp_spline


@dataclass(frozen=True)
class Bone:
    """Outer solid, marrow solid and named points (RAS mm) of one bone."""

    outer: mf.Manifold
    marrow: mf.Manifold
    points: dict


def to_manifold(vertices: np.ndarray, faces: np.ndarray, what: str) -> mf.Manifold:
    """Wrap ``(n, 3) float`` vertices and ``(m, 3) int`` faces as a Manifold (must be closed)."""
    mesh = mf.Mesh64(vert_properties=np.ascontiguousarray(vertices, np.float64),
                     tri_verts=np.ascontiguousarray(faces, np.uint64))
    solid = mf.Manifold(mesh)
    if solid.is_empty():
        raise ValueError(f"{what}: not a closed oriented surface ({solid.status()})")
    return solid


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Signed volume (mm3) of a closed triangle surface; positive when oriented outward."""
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def _cap_faces(ring: np.ndarray, offset: int, want_forward: bool) -> np.ndarray:
    """Triangles closing ``ring`` ``(n, 3)`` (nearly planar, simple when projected on its
    best-fit plane). ``want_forward`` selects triangles that use the ring edges j -> j+1."""
    centred = ring - ring.mean(0)
    normal = np.cross(centred, np.roll(centred, -1, axis=0)).sum(0)  # Newell's method
    basis = basis_from_axis(normal)
    flat = centred @ basis[:2].T
    area = 0.5 * np.sum(flat[:, 0] * np.roll(flat[:, 1], -1) - np.roll(flat[:, 0], -1) * flat[:, 1])
    order = np.arange(len(ring)) if area > 0 else np.arange(len(ring))[::-1]
    tris = order[np.asarray(mf.triangulate([flat[order]]), np.int64)]
    forward = area > 0  # triangles now follow the counter-clockwise order
    if forward != want_forward:
        tris = tris[:, ::-1]
    return tris + offset


def loft(rings: np.ndarray, start_apex=None, end_apex=None, what: str = "loft") -> mf.Manifold:
    """Closed surface through ``rings`` ``(m, n, 3)``: ring ``i`` point ``j`` joins ring ``i+1``
    point ``j``. An end is closed by a fan to ``start_apex``/``end_apex`` ``(3,)`` when given,
    otherwise by triangulating the end ring as a (nearly planar) polygon."""
    rings = np.asarray(rings, float)
    m, n, _ = rings.shape
    parts = [rings.reshape(-1, 3)]
    i, j = np.meshgrid(np.arange(m - 1), np.arange(n), indexing="ij")
    a = (i * n + j).ravel()
    b = (i * n + (j + 1) % n).ravel()
    faces = [np.stack([a, b, b + n], 1), np.stack([a, b + n, a + n], 1)]
    jj = np.arange(n)
    count = m * n
    last = (m - 1) * n
    if start_apex is None:
        faces.append(_cap_faces(rings[0], 0, want_forward=False))
    else:
        parts.append(np.asarray(start_apex, float)[None])
        faces.append(np.stack([np.full(n, count), (jj + 1) % n, jj], 1))
        count += 1
    if end_apex is None:
        faces.append(_cap_faces(rings[-1], last, want_forward=True))
    else:
        parts.append(np.asarray(end_apex, float)[None])
        faces.append(np.stack([np.full(n, count), last + jj, last + (jj + 1) % n], 1))
    vertices = np.concatenate(parts)
    faces = np.concatenate(faces)
    if signed_volume(vertices, faces) < 0:
        faces = faces[:, ::-1]
    return to_manifold(vertices, faces, what)


def resample_closed(curve: np.ndarray, count: int) -> np.ndarray:
    """``count`` points evenly spaced by arc length along the closed polyline ``(n, d)``,
    starting at ``curve[0]`` and keeping its direction."""
    closed = np.concatenate([curve, curve[:1]])
    seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, s[-1], count, endpoint=False)
    return np.stack([np.interp(t, s, closed[:, k]) for k in range(curve.shape[1])], 1)


def ellipse_ring(radius_a_mm: float, radius_b_mm: float, count: int) -> np.ndarray:
    """``(count, 2)`` points of the ellipse x = a cos, y = b sin, evenly spaced by arc length,
    counter-clockwise from (a, 0)."""
    theta = np.linspace(0.0, 2 * np.pi, 8 * count, endpoint=False)
    dense = np.stack([radius_a_mm * np.cos(theta), radius_b_mm * np.sin(theta)], 1)
    return resample_closed(dense, count)


def _per_point(value, k: int, vector: bool = False) -> np.ndarray:
    """Broadcast a scalar (or a ``(3,)`` vector) to one value per control point."""
    arr = np.asarray(value, float)
    shape = (k, 3) if vector else (k,)
    return np.broadcast_to(arr, shape).copy()


def sample_path(control_mm: np.ndarray, step_mm: float):
    """Smooth centreline through control points ``(k, 3)``.

    Returns
    -------
    points : (s, 3) float
        Samples about ``step_mm`` apart (first and last control points included).
    u : (s,) float
        Chord-length parameter of each sample in the control points' parameter (0..k-1 scaled
        to cumulative chord length), to interpolate per-control-point values.
    knots : (k,) float
        The control points' parameters.
    """
    control = np.asarray(control_mm, float)
    chord = np.linalg.norm(np.diff(control, axis=0), axis=1)
    if np.any(chord <= 1e-9):
        raise ValueError("path has repeated control points")
    knots = np.concatenate([[0.0], np.cumsum(chord)])
    spline = make_interp_spline(knots, control, k=min(3, len(control) - 1))
    dense_u = np.linspace(0.0, knots[-1], max(64, int(knots[-1] / step_mm * 8)))
    dense = spline(dense_u)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(dense, axis=0), axis=1))])
    count = max(2, int(np.ceil(arc[-1] / step_mm)) + 1)
    u = np.interp(np.linspace(0.0, arc[-1], count), arc, dense_u)
    return spline(u), u, knots


def _interp(knots, values, u):
    values = np.asarray(values, float)
    if values.ndim == 0 or len(knots) == 1:
        return np.full(len(u), float(values))
    if len(knots) == 2:
        return np.interp(u, knots, values)
    return PchipInterpolator(knots, values)(u)


def path_frames(points: np.ndarray, hints: np.ndarray | None):
    """Tangents, thickness and width directions ``(s, 3)`` along a sampled path. The thickness
    direction follows ``hints`` ``(s, 3)`` made perpendicular to the tangent; without hints it
    is parallel-transported from an arbitrary start."""
    tangent = np.gradient(points, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    thick = np.empty_like(points)
    if hints is None:
        seed = np.eye(3)[np.argmin(np.abs(tangent[0]))]
        prev = seed
        for k, t in enumerate(tangent):
            v = prev - (prev @ t) * t
            thick[k] = prev = v / np.linalg.norm(v)
    else:
        v = hints - np.einsum("ij,ij->i", hints, tangent)[:, None] * tangent
        norm = np.linalg.norm(v, axis=1, keepdims=True)
        if np.any(norm < 1e-6):
            raise ValueError("a thickness hint is parallel to the path")
        thick = v / norm
    width = np.cross(thick, tangent)
    return tangent, thick, width


def tube(path_mm, radius_w_mm, radius_t_mm=None, hint=None, *, step_mm: float = 2.0,
         ring_points: int = 16, round_start: bool = False, round_end: bool = False,
         what: str = "tube") -> mf.Manifold:
    """Elliptical tube swept along a smooth curve through ``path_mm`` ``(k, 3)``.

    ``radius_w_mm`` (width) and ``radius_t_mm`` (thickness, default = width) are scalars or
    ``(k,)`` per control point; the thickness axis follows ``hint`` (``(3,)`` or ``(k, 3)``).
    Ends are flat, or rounded (half-ellipsoids) when ``round_start``/``round_end``. Raises
    ``ValueError`` if the path bends too tightly for the cross-section (rings would fold).
    """
    control = np.asarray(path_mm, float)
    k = len(control)
    points, u, knots = sample_path(control, step_mm)
    rw = _interp(knots, _per_point(radius_w_mm, k), u)
    rt = rw if radius_t_mm is None else _interp(knots, _per_point(radius_t_mm, k), u)
    hints = None
    if hint is not None:
        h = _per_point(hint, k, vector=True)
        hints = np.stack([_interp(knots, h[:, c], u) for c in range(3)], 1)
    tangent, thick, width = path_frames(points, hints)
    unit = ellipse_ring(1.0, 1.0, ring_points)
    rings = (points[:, None, :]
             + unit[None, :, 0, None] * rw[:, None, None] * width[:, None, :]
             + unit[None, :, 1, None] * rt[:, None, None] * thick[:, None, :])
    advance = np.einsum("mnj,mj->mn", np.diff(rings, axis=0),
                        0.5 * (tangent[1:] + tangent[:-1]))
    if np.any(advance <= 0.0):
        raise ValueError(f"{what}: path bends too tightly for its cross-section")
    start_apex = end_apex = None
    cap_angles = np.linspace(0.0, np.pi / 2, 5)[1:-1]
    if round_start:
        cap_len = 0.5 * (rw[0] + rt[0])
        extra = [points[0] + (rings[0] - points[0]) * np.cos(a) - tangent[0] * cap_len * np.sin(a)
                 for a in cap_angles[::-1]]
        rings = np.concatenate([np.array(extra), rings])
        start_apex = points[0] - tangent[0] * cap_len
    if round_end:
        cap_len = 0.5 * (rw[-1] + rt[-1])
        extra = [points[-1] + (rings[-1] - points[-1]) * np.cos(a)
                 + tangent[-1] * cap_len * np.sin(a) for a in cap_angles]
        rings = np.concatenate([rings, np.array(extra)])
        end_apex = points[-1] + tangent[-1] * cap_len
    return loft(rings, start_apex, end_apex, what)


def thick_sheet(mid_mm: np.ndarray, thickness_mm: np.ndarray, *, edge_points: int = 5,
                what: str = "sheet") -> mf.Manifold:
    """Plate around the mid-surface grid ``(nu, nv, 3)`` with thickness ``(nu, nv)`` mm.

    Each ``u`` column becomes a closed cross-section (one face, a half-round edge at ``v = 1``,
    the other face back, a half-round edge at ``v = 0``); the columns are lofted along ``u``
    and the ``u`` ends closed flat. The mid-surface must curve gently compared with the
    thickness.
    """
    mid = np.asarray(mid_mm, float)
    half = 0.5 * np.asarray(thickness_mm, float)[..., None]
    du = np.gradient(mid, axis=0)
    dv = np.gradient(mid, axis=1)
    normal = np.cross(du, dv)
    normal /= np.linalg.norm(normal, axis=2, keepdims=True)
    along_v = dv / np.linalg.norm(dv, axis=2, keepdims=True)
    top = mid + half * normal
    bottom = mid - half * normal
    angles = np.linspace(0.0, np.pi, edge_points + 2)[1:-1]
    cos, sin = np.cos(angles)[None, :, None], np.sin(angles)[None, :, None]

    def round_edge(j, sign):
        # half circle from one face to the other, bulging along +-v
        c, n, t, h = (a[:, j][:, None, :] for a in (mid, normal, along_v, half))
        return c + h * (sign * cos * n + sin * sign * t)

    rings = np.concatenate([top, round_edge(-1, 1.0), bottom[:, ::-1], round_edge(0, -1.0)],
                           axis=1)
    return loft(rings, what=what)


def sphere(center_mm, radius_mm: float, edge_mm: float) -> mf.Manifold:
    """Geodesic sphere with edges about ``edge_mm`` long."""
    segments = max(8, int(np.ceil(2 * np.pi * radius_mm / edge_mm / 4)) * 4)
    return mf.Manifold.sphere(float(radius_mm), segments).translate(
        [float(c) for c in center_mm])


def ellipsoid(center_mm, radii_mm, axes=None, edge_mm: float = 2.0) -> mf.Manifold:
    """Ellipsoid with semi-axes ``radii_mm`` ``(3,)`` along the rows of ``axes`` ``(3, 3)``."""
    radii = np.asarray(radii_mm, float)
    unit = sphere((0, 0, 0), 1.0, edge_mm / radii.max())
    rot = np.eye(3) if axes is None else np.asarray(axes, float).T
    return unit.transform(affine(rot @ np.diag(radii), center_mm))


def affine(matrix: np.ndarray, translation_mm) -> list:
    """3x4 affine for ``Manifold.transform`` from a ``(3, 3)`` matrix and a translation."""
    return np.column_stack([np.asarray(matrix, float),
                            np.asarray(translation_mm, float)]).tolist()


def basis_from_axis(axis) -> np.ndarray:
    """Rows ``(3, 3)``: two unit vectors perpendicular to ``axis`` and ``axis`` itself."""
    z = np.asarray(axis, float) / np.linalg.norm(axis)
    helper = np.eye(3)[np.argmin(np.abs(z))]
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z])


def hull_points(points_mm, what: str = "hull") -> mf.Manifold:
    """Convex hull of ``(n, 3)`` points."""
    solid = mf.Manifold.hull_points(np.asarray(points_mm, float).tolist())
    if solid.is_empty():
        raise ValueError(f"{what}: degenerate hull")
    return solid


def cone(apex_mm, axis, half_angle_rad: float, length_mm: float,
         segments: int = 48) -> mf.Manifold:
    """Solid circular cone from ``apex_mm`` along ``axis`` (half angle < 90 degrees)."""
    basis = basis_from_axis(axis)
    theta = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    radius = length_mm * np.tan(half_angle_rad)
    rim = (np.asarray(apex_mm, float) + length_mm * basis[2]
           + radius * (np.cos(theta)[:, None] * basis[0] + np.sin(theta)[:, None] * basis[1]))
    return hull_points(np.concatenate([np.asarray(apex_mm, float)[None], rim]), "cone")


def revolve(profile_rh_mm: np.ndarray, origin_mm, axis, segments: int) -> mf.Manifold:
    """Solid of revolution of the polygon ``(k, 2)`` given as (radius, height along ``axis``)
    about the axis through ``origin_mm``."""
    poly = np.asarray(profile_rh_mm, float)
    area = np.sum(poly[:, 0] * np.roll(poly[:, 1], -1) - np.roll(poly[:, 0], -1) * poly[:, 1])
    section = mf.CrossSection([(poly if area > 0 else poly[::-1]).tolist()])
    solid = mf.Manifold.revolve(section, int(segments))
    if solid.is_empty():
        raise ValueError("revolve: empty solid (profile must lie at positive radius)")
    return solid.transform(affine(basis_from_axis(axis).T, origin_mm))


def box(lo_mm, hi_mm) -> mf.Manifold:
    """Axis-aligned box between corners ``lo_mm`` and ``hi_mm``."""
    lo = np.asarray(lo_mm, float)
    size = np.asarray(hi_mm, float) - lo
    return mf.Manifold.cube(size.tolist()).translate(lo.tolist())


def union(solids) -> mf.Manifold:
    """Union of an iterable of Manifolds."""
    return mf.Manifold.batch_boolean(list(solids), mf.OpType.Add)


def sphere_points(center_mm, radius_mm: float, count: int = 60) -> np.ndarray:
    """``(count, 3)`` points spread evenly over a sphere (Fibonacci lattice), e.g. for hulls."""
    k = np.arange(count) + 0.5
    polar = np.arccos(1 - 2 * k / count)
    azimuth = np.pi * (1 + 5**0.5) * k
    unit = np.stack([np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar),
                     np.cos(polar)], 1)
    return np.asarray(center_mm, float) + radius_mm * unit


def smooth_hull(points_mm, edge_mm: float, what: str = "hull") -> mf.Manifold:
    """Convex hull of ``(n, 3)`` points with its creases rounded (tangent smoothing, then
    refinement to edges about ``edge_mm``); it bulges slightly beyond the plain hull."""
    return hull_points(points_mm, what).smooth_out(60.0, 0.5).refine_to_length(edge_mm)


# -- small vector helpers ------------------------------------------------------------------
# ``unit`` and ``unit_rows`` give the same direction but may differ in the last bit (the plain
# vector norm and the norm along an axis round differently); each generator keeps to the one
# it was written with, so that its meshes stay bit-identical.

def unit(v) -> np.ndarray:
    """The vector ``v`` ``(3,)`` divided by its norm."""
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def unit_rows(v) -> np.ndarray:
    """``v`` ``(..., 3)`` divided by its norm along the last axis (each row a unit vector)."""
    v = np.asarray(v, float)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def rotation(axis, angle_rad: float) -> np.ndarray:
    """Rotation matrix ``(3, 3)`` about ``axis`` by ``angle_rad`` (right-hand rule)."""
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    skew = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle_rad) * skew + (1 - np.cos(angle_rad)) * skew @ skew


def smoothstep(x):
    """0 below 0, 1 above 1, C1 smooth in between (array-friendly)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


# -- landmarks on surfaces -----------------------------------------------------------------

def ray_crossing(solid: mf.Manifold, start_mm, direction_unit, reach_mm: float, *,
                 outermost: bool = False) -> np.ndarray:
    """``(3,)`` crossing of the surface of ``solid`` on the segment of length ``reach_mm``
    from ``start_mm`` along the unit vector ``direction_unit``: the first one, or with
    ``outermost`` the last one. Raises ``ValueError`` when the segment meets no surface."""
    start = np.asarray(start_mm, float)
    hits = solid.ray_cast(start.tolist(), (start + reach_mm * direction_unit).tolist())
    if not hits:
        raise ValueError("landmark ray does not reach the surface")
    return np.asarray(hits[-1 if outermost else 0].position, float)


def surface_point(solid: mf.Manifold, inside_mm, direction, reach_mm: float = 40.0):
    """``(3,)`` point where a ray from ``inside_mm`` (inside ``solid``) along ``direction``
    (normalised with ``unit``) first leaves the surface; used to put landmarks exactly on a
    surface."""
    return ray_crossing(solid, inside_mm, unit(direction), reach_mm)


def exit_point(solid: mf.Manifold, inside_mm, direction, reach_mm: float):
    """``surface_point`` with ``direction`` normalised by ``unit_rows`` (the shoulder and
    sacroiliac generators' convention)."""
    return ray_crossing(solid, inside_mm, unit_rows(direction), reach_mm)


def entry_point(solid: mf.Manifold, inside_mm, direction, reach_mm: float):
    """The outermost crossing of ``solid`` on the ray from ``inside_mm`` along ``direction``
    (normalised by ``unit_rows``): where a needle coming the other way meets the skin."""
    return ray_crossing(solid, inside_mm, unit_rows(direction), reach_mm, outermost=True)
