"""In-plane needle paths planned from one ultrasound frame: what the perceiving expert sees
of the target (its pixels), of the dangers and of what the needle must not cross.

Everything here works in the frame's probe coordinates (mm: x along the array, y across
it, z depth) and leaves it only through the frame's own ``world_from_probe``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from simulator.geometry import unit
from simulator.policies.needle_in_image import sample_indices
from simulator.policies.planner import BLOCKING_ROLES, Plan

SPARE_LENGTH_MM = 10.0      # needle left outside the skin at the planned depth
ENTRY_GAP_MM = 5.0          # entry beyond the end of the probe face
CLEAR_MARGIN_MM = 6.0       # wanted distance from a danger structure seen in the image
VISIBLE_ANGLE_DEG = 45.0    # steeper than this the needle's echo fades: only if nothing else
AIM_COLUMNS = (0.5, 0.35, 0.65, 0.2, 0.8)  # target columns aimed at, as quantiles


def in_plane_plans(world, seen) -> list[Plan]:
    """In-plane paths to target pixels (:func:`aims`) from either end of the probe whose
    visible part crosses nothing blocking, for ``seen`` (a ``perceiving_view.Seen``).
    Order (the HUD refuses an entry outside the allowed zone, and the next plan is tried):
    the distal end first, then those keeping ``CLEAR_MARGIN_MM`` from the dangers seen,
    then those no steeper than ``VISIBLE_ANGLE_DEG``, then the most clearance, the target's
    middle, the shallowest."""
    frame = seen.frame
    wfp = frame.world_from_probe
    long_axis = wfp[:3, 0]
    distal = -1.0 if long_axis[2] > 0 else 1.0       # the distal end of the array
    half = float(frame.geometry.points([0.0], [0.0])[0, 0])
    half = abs(half) if not frame.geometry.curved else abs(half) + 5.0
    out = []
    for rank, aim, side, angle in aims(seen.target_probe_mm, distal):
        d_probe = np.array([-side * math.cos(angle), 0.0, math.sin(angle)])
        length = aim[2] / math.sin(angle)
        entry_probe = aim - d_probe * length
        if side * entry_probe[0] < half + ENTRY_GAP_MM:
            continue
        if length > world.scenario.needle.length_mm - SPARE_LENGTH_MM:
            continue
        clearance = clearance_mm(world, frame, entry_probe, d_probe, length)
        if clearance < 0.0:
            continue
        entry = (wfp @ np.append(entry_probe, 1.0))[:3]
        target = (wfp @ np.append(aim, 1.0))[:3]
        direction = unit(target - entry)
        out.append((rank, Plan(entry, -wfp[:3, 2], direction, target, length, clearance,
                               math.degrees(angle))))
    out.sort(key=lambda rp: (float(rp[1].direction @ long_axis) * distal > 0,
                             rp[1].clearance_mm < CLEAR_MARGIN_MM,
                             rp[1].angle_to_skin_deg > VISIBLE_ANGLE_DEG,
                             -min(rp[1].clearance_mm, CLEAR_MARGIN_MM), rp[0]))
    return [p for _, p in out]


def aims(pts: np.ndarray, distal: float):
    """``(rank, aim (3,), side, angle_rad)`` candidates: the target pixel nearest its
    centre, then the middle and then the upper quarter of the target's columns at
    ``AIM_COLUMNS`` (a deep middle may lie behind cartilage); from either end of the probe
    at 25-65 degrees. ``pts`` (n, 3) probe-frame mm."""
    points = [pts[np.argmin(np.linalg.norm(pts - pts.mean(axis=0), axis=1))]]
    for depth_share in (0.5, 0.25):  # the column's middle, then its upper part
        for q in AIM_COLUMNS[1:] if depth_share == 0.5 else AIM_COLUMNS:
            x = float(np.quantile(pts[:, 0], q))
            column = pts[np.abs(pts[:, 0] - x) <= 1.0]
            points.append(column[np.argsort(column[:, 2])[int(len(column) * depth_share)]])
    angles = np.radians(np.arange(25.0, 66.0, 2.5))
    for rank, (aim, side, angle) in enumerate(itertools.product(points, (distal, -distal),
                                                                angles)):
        yield rank // (2 * len(angles)), aim, side, angle


def clearance_mm(world, frame, entry_probe, d_probe, length) -> float:
    """Distance in the image from the path's visible part to the nearest danger pixel
    (``inf`` if none shows); ``-1`` if the path crosses a blocking structure. ``entry_probe``
    and ``d_probe`` (3,) probe frame, ``length`` mm."""
    geom = frame.geometry
    ts = np.arange(0.0, length - 2.0, 0.5)
    pts = entry_probe + np.outer(ts, d_probe)              # (n, 3) probe frame
    i, k, ok = sample_indices(geom, pts)
    for label in np.unique(frame.label[i[ok], k[ok]]):
        if label and (world.role(int(label)) in BLOCKING_ROLES or
                      int(label) in world.danger):
            return -1.0
    lines, samples = np.nonzero(np.isin(frame.label, list(world.danger)))
    if not len(lines) or not ok.any():
        return math.inf
    danger = geom.points(lines, geom.depth_mm[samples])   # (m, 3)
    seen = pts[ok]
    return float(np.sqrt(((seen[:, None, :] - danger[None, :, :]) ** 2).sum(-1)).min())
