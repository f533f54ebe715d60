"""Sacroiliac landmarks measured on the real Visible Human sacrum and hip bone (RAS mm).

The auricular surfaces are the parts of the two bones' outer surfaces that face each other
across the joint: sacrum vertices within ``AURICULAR_GAP_MM`` of the hip bone and hip-bone
vertices within it of the sacrum. A plane fitted to both patches gives the joint frame: the
normal ``n`` (sacrum to ilium, lateral), the long axis ``l`` (caudal) and the
axis across it ``w`` (dorsal to ventral). The anterior and posterior joint lines are the
ventral and dorsal edges of the patch, slice by slice along ``l`` (``l`` is the in-plane
direction closest to caudal). ``axial_angle_deg`` is the median angle, in the axial plane,
between the anteroposterior axis and the line from the posterior to the anterior joint line
of each slice: the contralateral C-arm rotation that superimposes the two lines
(clinical.md s.3.5 gives 15-30 deg). The posterior superior iliac spine is the most
posterior point of the ilium within 45 mm of the joint's centre sideways and above the level
0.3 joint-lengths below that centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

AURICULAR_GAP_MM = 4.0     # the two surfaces face each other closer than this
LINE_SLICE_MM = 4.0        # slice width along the joint for the joint lines


@dataclass(frozen=True)
class SijLandmarks:
    """Joint frame and landmarks of one sacroiliac joint (RAS mm, unit vectors)."""

    sacral_surface: np.ndarray     # (n, 3) auricular surface of the sacrum
    iliac_surface: np.ndarray      # (m, 3) auricular surface of the ilium
    centre: np.ndarray             # (3,) middle of the joint
    normal: np.ndarray             # (3,) sacrum -> ilium
    long_axis: np.ndarray          # (3,) along the joint, caudal
    across: np.ndarray             # (3,) across the joint, dorsal -> ventral
    anterior_line: np.ndarray      # (k, 3) ventral joint line, cranial to caudal
    posterior_line: np.ndarray     # (k, 3) dorsal joint line, cranial to caudal
    gap_mm: float                  # median bone-to-bone distance across the joint
    axial_angle_deg: float         # C-arm rotation that superimposes the two lines
    psis: np.ndarray               # (3,) posterior superior iliac spine


def _facing(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of ``a`` within the gap of ``b`` and the distances."""
    d, _ = cKDTree(b).query(a, distance_upper_bound=AURICULAR_GAP_MM)
    keep = np.isfinite(d)
    return a[keep], d[keep]


def sij_landmarks(sacrum_vertices: np.ndarray, hip_vertices: np.ndarray) -> SijLandmarks:
    """Measure one joint from the sacrum's ``(n, 3)`` and one hip bone's ``(m, 3)`` outer
    surface vertices (RAS mm, the same body frame)."""
    sac, d_sac = _facing(np.asarray(sacrum_vertices, float), np.asarray(hip_vertices, float))
    ili, _ = _facing(np.asarray(hip_vertices, float), np.asarray(sacrum_vertices, float))
    if len(sac) < 50 or len(ili) < 50:
        raise ValueError("the sacrum and hip bone do not meet at an auricular surface")
    both = np.concatenate([sac, ili])
    centre = both.mean(0)
    _, _, vt = np.linalg.svd(both - centre, full_matrices=False)
    normal = vt[2] * np.sign(vt[2] @ (ili.mean(0) - sac.mean(0)))
    down = np.array([0.0, 0.0, -1.0])
    long_axis = down - (down @ normal) * normal           # in the plane, caudal
    long_axis /= np.linalg.norm(long_axis)
    across = np.cross(normal, long_axis)
    across *= np.sign(across[1])                          # dorsal -> ventral (+y anterior)
    anterior, posterior = _joint_lines(both, centre, long_axis, across)
    step = anterior - posterior
    axial = float(np.median(np.degrees(np.arctan2(np.abs(step[:, 0]), step[:, 1]))))
    hip = np.asarray(hip_vertices, float)
    upper = hip[((hip - centre) @ long_axis < 0.3 * np.ptp(both @ long_axis))
                & (np.abs(hip[:, 0] - centre[0]) < 45.0)]
    psis = upper[np.argmin(upper[:, 1])]
    return SijLandmarks(sac, ili, centre, normal, long_axis, across, anterior, posterior,
                        float(np.median(d_sac)), axial, psis)


def _joint_lines(points, centre, long_axis, across) -> tuple[np.ndarray, np.ndarray]:
    """Ventral and dorsal edges ``(k, 3)`` of the joint patch, one point per slice along
    ``long_axis`` (cranial to caudal)."""
    along = (points - centre) @ long_axis
    w = (points - centre) @ across
    edges = np.arange(along.min(), along.max() + LINE_SLICE_MM, LINE_SLICE_MM)
    ventral, dorsal = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = np.nonzero((along >= lo) & (along < hi))[0]
        if len(sel) < 4:
            continue
        ventral.append(points[sel[np.argmax(w[sel])]])
        dorsal.append(points[sel[np.argmin(w[sel])]])
    return np.array(ventral), np.array(dorsal)
