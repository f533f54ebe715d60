"""The sacroiliac joint space, capsule and posterior ligaments in the gap between the real bones.

Over a grid in the joint plane, the sacrum's surface facing the ilium and the ilium's surface
facing the sacrum give two height maps along the joint normal. The synovial space lies between
them wherever they are less than ``CAVITY_GAP_MM`` apart (so it follows the real, uneven gap
and ends where the surfaces part), grown ``INTO_BONE_MM`` into each bone so that no sliver of
filler is left against the cortex (the bones win the overlap). The capsule is the same region
where they are less than ``CAVITY_GAP_MM + 2 * capsule`` apart: it closes the space where the
bones part round its margin, ventrally toward the pelvis and caudally. The posterior (and
interosseous) sacroiliac ligaments fill the cleft dorsal to the posterior joint line and bridge
it, slice by slice along the measured line.

Everything is computed in the joint frame of ``sij_landmarks`` (``l`` caudal along the joint,
``w`` dorsal to ventral across it, ``n`` sacrum to ilium) on a ``GRID_MM`` grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np
from scipy.ndimage import distance_transform_edt, gaussian_filter
from scipy.spatial import cKDTree

from simulator.anatomy.generators import primitives as pr

CAVITY_GAP_MM = 4.0      # the auricular gap of sij_landmarks: facing closer than this
INTO_BONE_MM = 0.5
GRID_MM = 0.7
MARGIN_MM = 7.0          # grid beyond the auricular patch
SIMPLIFY_MM = 0.1        # marching-cubes surfaces kept within this of the grid contour
SPECK_MM3 = 5.0
INSIDE_MM = 1.0          # mid-gap points (the target's candidates) this far inside the margin
SAMPLE_MM = 0.6          # spacing of the surface samples the distances are measured to


@dataclass(frozen=True)
class JointFrame:
    """Joint frame in the model frame: ``centre`` (3,) and the unit axes (3,) of the
    ``(l, w, n)`` coordinates."""

    centre: np.ndarray
    long_axis: np.ndarray   # l: caudal along the joint
    across: np.ndarray      # w: dorsal -> ventral
    normal: np.ndarray      # n: sacrum -> ilium

    @property
    def axes(self) -> np.ndarray:
        """``(3, 3)`` rows: the long axis, across and normal."""
        return np.stack([self.long_axis, self.across, self.normal])

    def local(self, points) -> np.ndarray:
        """``(..., 3)`` world points to ``(l, w, n)`` coordinates."""
        return (np.asarray(points, float) - self.centre) @ self.axes.T

    def world(self, lwn) -> np.ndarray:
        """``(..., 3)`` ``(l, w, n)`` coordinates to world points."""
        return self.centre + np.asarray(lwn, float) @ self.axes


@dataclass(frozen=True)
class JointSpace:
    """The joint's space and capsule solids and the grid measurements the landmarks use."""

    cavity: mf.Manifold
    capsule: mf.Manifold
    mid_gap: np.ndarray      # (k, 3) grid points midway between the bones, INSIDE_MM in
    gap_mm: np.ndarray       # (k,) bone-to-bone distance across the space at those points


def _surface_samples(vertices: np.ndarray, faces: np.ndarray, near: np.ndarray,
                     reach_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Points ``(p, 3)`` about ``SAMPLE_MM`` apart (sparser on the longest edges) on the
    faces within ``reach_mm`` of ``near`` ``(q, 3)``, and the unit outward normals
    ``(p, 3)`` of their faces."""
    d, _ = cKDTree(near).query(vertices, distance_upper_bound=reach_mm)
    keep = np.isfinite(d)[faces].any(1)
    tri = vertices[faces[keep]]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-12
    edge = np.percentile(np.linalg.norm(tri - np.roll(tri, 1, axis=1), axis=2), 95)
    k = int(np.ceil(edge / SAMPLE_MM))
    i, j = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
    sel = i + j <= k
    a, b = i[sel] / k, j[sel] / k
    bary = np.stack([1.0 - a - b, a, b], 1)                    # (s, 3)
    points = np.einsum("sk,fkc->fsc", bary, tri).reshape(-1, 3)
    return points, np.repeat(normal, len(bary), axis=0)


def _heights(samples: tuple[np.ndarray, np.ndarray], frame: JointFrame, lo: np.ndarray,
             shape: tuple[int, int], facing: float) -> np.ndarray:
    """``shape`` map over the ``(l, w)`` grid from ``lo`` of the ``n`` of the surface samples
    whose normal faces ``facing * n``: the largest (``facing`` +1, the sacrum's surface toward
    the ilium) or smallest (-1, the ilium's toward the sacrum); NaN where none."""
    where, normal = samples
    keep = facing * (normal @ frame.normal) > 0.3
    lwn = frame.local(where[keep])
    i = np.floor((lwn[:, :2] - lo[:2]) / GRID_MM).astype(int)
    ok = (i >= 0).all(1) & (i[:, 0] < shape[0]) & (i[:, 1] < shape[1])
    out = np.full(shape, -np.inf)
    np.maximum.at(out, (i[ok, 0], i[ok, 1]), facing * lwn[ok, 2])
    return np.where(np.isfinite(out), facing * out, np.nan)


def _footprint(mask: np.ndarray) -> np.ndarray:
    """Signed distance (mm, positive inside) to the edge of the 2D ``mask``, smoothed."""
    inside = distance_transform_edt(mask) - 0.5
    outside = distance_transform_edt(~mask) - 0.5
    return gaussian_filter(np.where(mask, inside, -outside) * GRID_MM, 1.0)


def _filled(height: np.ndarray) -> np.ndarray:
    """``height`` with its NaNs set to the nearest known value, lightly smoothed."""
    _, (i, j) = distance_transform_edt(np.isnan(height), return_indices=True)
    return gaussian_filter(height[i, j], 1.0)


def _contour(field: np.ndarray, lo: np.ndarray, frame: JointFrame, what: str) -> mf.Manifold:
    """Closed surface where ``field`` (on the joint-frame grid from ``lo``) is positive,
    without specks under ``SPECK_MM3`` (where the real gap pinches off, the space may come
    in more than one piece)."""
    from skimage.measure import marching_cubes

    padded = np.pad(field, 1, constant_values=-1.0)
    verts, faces, _, _ = marching_cubes(padded, 0.0, spacing=(GRID_MM,) * 3)
    verts = frame.world(verts + lo - GRID_MM)
    faces = faces.astype(np.int64)
    solid = pr.to_manifold(verts, faces, what)
    if solid.volume() < 0:  # marching cubes winds toward increasing values
        solid = pr.to_manifold(verts, faces[:, ::-1].copy(), what)
    pieces = [p for p in solid.simplify(SIMPLIFY_MM).decompose() if p.volume() > SPECK_MM3]
    return mf.Manifold.compose(pieces)


def joint_space(frame: JointFrame, sacrum: tuple, ilium: tuple, patch: np.ndarray,
                capsule_mm: float) -> JointSpace:
    """Space and capsule between the placed ``sacrum`` and ``ilium`` (vertices ``(n, 3)``,
    faces ``(m, 3)`` each) round the auricular ``patch`` ``(k, 3)`` (model frame).

    Over a grid in the joint plane, the sacrum's surface facing the ilium and the ilium's
    facing the sacrum give two height maps along ``n``; the space lies between them where
    they are less than ``CAVITY_GAP_MM`` apart, the capsule where less than that plus two
    capsule thicknesses."""
    reach = MARGIN_MM + 2.0 * capsule_mm + CAVITY_GAP_MM
    local = frame.local(patch)
    lo = local.min(0) - MARGIN_MM
    hi = local.max(0) + MARGIN_MM
    axes = [np.arange(a, b + GRID_MM, GRID_MM) for a, b in zip(lo, hi, strict=True)]
    shape2 = (len(axes[0]), len(axes[1]))
    n_sac = _heights(_surface_samples(*sacrum, patch, reach), frame, lo, shape2, 1.0)
    n_ili = _heights(_surface_samples(*ilium, patch, reach), frame, lo, shape2, -1.0)
    gap = n_ili - n_sac
    with np.errstate(invalid="ignore"):
        cavity_mask = (gap > 0.0) & (gap < CAVITY_GAP_MM)
        capsule_mask = (gap > 0.0) & (gap < CAVITY_GAP_MM + 2.0 * capsule_mm)
    low, high = _filled(n_sac)[..., None], _filled(n_ili)[..., None]
    n = axes[2][None, None, :]
    between = np.minimum(n - low, high - n) + INTO_BONE_MM
    footprint = _footprint(cavity_mask)
    cavity = _contour(np.minimum(between, footprint[..., None]), lo, frame,
                      "sacroiliac joint space")
    capsule = _contour(np.minimum(between, _footprint(capsule_mask)[..., None]), lo, frame,
                       "sacroiliac capsule")
    i, j = np.nonzero(cavity_mask & (footprint > INSIDE_MM))
    mid = np.stack([axes[0][i] + 0.5 * GRID_MM, axes[1][j] + 0.5 * GRID_MM,
                    0.5 * (n_sac[i, j] + n_ili[i, j])], 1)
    return JointSpace(cavity, capsule, frame.world(mid), gap[i, j])


def posterior_ligaments(frame: JointFrame, posterior_line: np.ndarray,
                        size: float) -> mf.Manifold:
    """The cleft dorsal to the posterior joint line ``(k, 3)`` and a pad bridging it: one
    hull per pair of neighbouring line points, 24 mm dorsal and 12-16 mm to either side."""
    pieces = []
    offsets = [(w, n) for w, n in ((1.0, -2.0), (1.0, 2.0), (-8.0, -14.0), (-8.0, 16.0),
                                   (-24.0, -12.0), (-24.0, 14.0))]
    for a, b in zip(posterior_line[:-1], posterior_line[1:], strict=True):
        pts = [p + size * (w * frame.across + n * frame.normal) for p in (a, b) for w, n in offsets]
        pieces.append(pr.hull_points(np.array(pts), "posterior sacroiliac ligaments"))
    return pr.union(pieces)


def target_point(space: JointSpace, frame: JointFrame, above_caudal_mm: float,
                 inside_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """The target (3,): midway across the space, ``above_caudal_mm`` cranial of the space's
    caudal end and ``inside_mm`` ventral of its dorsal edge at that level; and the caudal
    margin (3,), the caudal end of the space's mid-gap."""
    lwn = frame.local(space.mid_gap)
    caudal = space.mid_gap[np.argmax(lwn[:, 0])]
    level = lwn[:, 0].max() - above_caudal_mm
    band = np.abs(lwn[:, 0] - level) < 1.5
    want = lwn[band, 1].min() + inside_mm
    pick = np.argmin(np.abs(lwn[band, 1] - want) + np.abs(lwn[band, 0] - level))
    return space.mid_gap[band][pick], caudal
