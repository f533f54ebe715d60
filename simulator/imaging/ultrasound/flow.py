"""Blood flow in the vessels an ultrasound frame cuts, and what probe pressure does to them.

- Vessels are the structures of arterial or venous blood. Each one in view gets a local
  axis from its mesh (principal axis of the vertices near the section), a radius (median
  distance of those vertices from the axis) and a flow direction: arteries flow away from
  the heart (``DISTAL``), veins toward it.
- Flow is a function of session time only (deterministic, so a replayed log shows the
  same frames): arteries carry a triphasic peripheral waveform (sharp systolic peak, brief
  early-diastolic reversal, a small late-diastolic forward wave, 70 beats/min); veins a
  steady flow with respiratory phasicity. The profile across the lumen is a blunted
  parabola.
- Probe pressure squashes each vein's lumen toward its centre depth (lumen ratio
  ``1 - VEIN_COLLAPSE * pressure``: a normal vein is fully compressible) while an artery
  keeps its lumen and pulses (its diameter follows the waveform by up to
  ``ARTERY_DISTENSION``). The squash is an axial warp of the frame's label and grey line
  buffers: the walls close in, the tissue above moves down, the tissue below moves up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

from simulator.imaging.ultrasound.scan import ScanGeometry
from simulator.world import World

HEART_PERIOD_S = 60.0 / 70.0
BREATH_PERIOD_S = 4.0
# Triphasic peripheral arterial waveform, as fractions of the peak systolic velocity:
# (amplitude, phase of the peak in the cycle, width in the cycle) of Gaussian waves.
ARTERIAL_WAVES = ((1.0, 0.14, 0.055), (-0.22, 0.32, 0.05), (0.10, 0.47, 0.07))
VENOUS_PHASICITY = 0.3          # respiratory swing of venous velocity (fraction of the mean)
PROFILE_POWER = 2.5             # v(r) = v_max (1 - (r/R)^p): 2 is Poiseuille, higher blunter
VEIN_COLLAPSE = 0.9             # lumen ratio of a vein at full pressure: 1 - 0.9
ARTERY_DISTENSION = 0.06        # arterial diameter swing over the cardiac cycle
DISTAL = np.array([0.5, 0.5, -1.0]) / math.sqrt(1.5)   # (side, anterior, inferior), RAS
AXIS_REACH_RADII = 2.5         # mesh vertices this many section radii from the section's
MIN_AXIS_REACH_MM = 4.0        # centroid (at least this far) give a first axis; then the
AXIS_HALF_LENGTH_MM = 10.0     # vertices of that tube within this far along it refine it
MIN_SECTION_SAMPLES = 4        # smaller label specks are not vessel sections


def peak_systolic_cm_s(radius_mm: float) -> float:
    """Peak systolic velocity of an artery of this radius (CFA ~100 cm/s, a 1.5 mm
    tibial artery ~60 cm/s)."""
    return float(np.clip(40.0 + 15.0 * radius_mm, 40.0, 110.0))


def venous_mean_cm_s(radius_mm: float) -> float:
    """Mean velocity of a vein of this radius (femoral vein ~20 cm/s)."""
    return float(np.clip(5.0 + 3.0 * radius_mm, 6.0, 25.0))


def arterial_shape(time_s: float) -> float:
    """The arterial waveform at ``time_s`` as a fraction of its peak systolic velocity."""
    phase = (time_s % HEART_PERIOD_S) / HEART_PERIOD_S
    return float(sum(a * math.exp(-0.5 * ((phase - c) / w) ** 2)
                     for a, c, w in ARTERIAL_WAVES))


def venous_shape(time_s: float) -> float:
    """Venous velocity at ``time_s`` as a fraction of the mean."""
    return 1.0 + VENOUS_PHASICITY * math.sin(2.0 * math.pi * time_s / BREATH_PERIOD_S)


@dataclass(frozen=True)
class Vessel:
    """One vessel cut by the frame.

    Attributes
    ----------
    label : int
    artery : bool
    centre_mm : (3,) world point on the axis
    flow_dir : (3,) unit world direction of forward flow
    radius_mm : float
    centre_sample : float
        Sample index (depth) of the section's centroid on the frame's line grid.
    lines : (first, last)
        The frame lines the section spans.
    """

    label: int
    artery: bool
    centre_mm: np.ndarray
    flow_dir: np.ndarray
    radius_mm: float
    centre_sample: float
    lines: tuple[int, int]

    def peak_cm_s(self, time_s: float) -> float:
        """Centreline velocity along ``flow_dir`` at ``time_s`` (negative: reversed)."""
        if self.artery:
            return peak_systolic_cm_s(self.radius_mm) * arterial_shape(time_s)
        return 2.0 * venous_mean_cm_s(self.radius_mm) * venous_shape(time_s)  # mean = peak/2

    def lumen_ratio(self, time_s: float, pressure: float) -> float:
        """Axial size of the lumen relative to the resting, unpressed vessel."""
        if self.artery:
            return 1.0 + ARTERY_DISTENSION * max(arterial_shape(time_s), 0.0)
        return 1.0 - VEIN_COLLAPSE * float(np.clip(pressure, 0.0, 1.0))


@lru_cache(maxsize=8)
def vessel_labels(world: World) -> dict[int, bool]:
    """``{label: is_artery}`` of the world's blood structures."""
    return {s.index: s.tissue.key == "arterial_blood" for s in world.anatomy.structures
            if s.tissue.key in ("arterial_blood", "venous_blood")}


_VIEWS: list = []   # the last few (world, label, world_from_probe, vessels)
VIEW_CACHE = 4


def vessels_in_view(world: World, label: np.ndarray, geom: ScanGeometry,
                    world_from_probe: np.ndarray) -> list[Vessel]:
    """The vessels the frame's line-grid ``label`` ``(n_lines, n_samples)`` holds
    (remembered for the last few read-only label buffers: a resting probe's frames share
    one)."""
    owner = label if label.base is None else label.base   # a view is made per frame
    where = (label.__array_interface__["data"][0], label.shape)
    for w, own, at, wfp, vessels in _VIEWS:
        if w is world and own is owner and at == where and np.array_equal(wfp,
                                                                          world_from_probe):
            return vessels
    vessels = _find_vessels(world, label, geom, world_from_probe)
    if not label.flags.writeable:
        _VIEWS.insert(0, (world, owner, where, world_from_probe.copy(), vessels))
        del _VIEWS[VIEW_CACHE:]
    return vessels


def _find_vessels(world: World, label: np.ndarray, geom: ScanGeometry,
                  world_from_probe: np.ndarray) -> list[Vessel]:
    """One ``Vessel`` per section: a structure of paired veins (one mesh, two tubes) cut
    in short axis gives two, each with its own axis."""
    kinds = vessel_labels(world)
    if not kinds:
        return []
    counts = np.bincount(label.ravel())
    structures = {s.index: s for s in world.anatomy.structures}
    distal = DISTAL * np.array([world.side_sign, 1.0, 1.0])
    out = []
    for lab in sorted(kinds):
        if lab >= len(counts) or counts[lab] == 0:
            continue
        mask = label == lab
        held = np.flatnonzero(mask.any(1))      # only the lines holding it are labelled
        first = int(held[0])
        parts, n_parts = ndimage.label(mask[first:int(held[-1]) + 1])
        for part in range(1, n_parts + 1):
            lines, samples = np.nonzero(parts == part)
            lines += first
            if len(lines) < MIN_SECTION_SAMPLES:
                continue
            pts = geom.points(lines, geom.depth_mm[samples])
            pts = pts @ world_from_probe[:3, :3].T + world_from_probe[:3, 3]
            centroid = pts.mean(0)
            area_mm2 = len(lines) * geom.dz_mm * geom.line_spacing_mm[int(samples.mean())]
            reach = max(AXIS_REACH_RADII * np.sqrt(area_mm2 / np.pi), MIN_AXIS_REACH_MM)
            v = structures[lab].vertices
            near = v[np.linalg.norm(v - centroid, axis=1) <= reach]
            if len(near) < 12:
                continue   # a sliver at the edge of the mesh: no axis to speak of
            centre, axis = _principal_axis(near)
            for _ in range(2):   # refine along a longer stretch of this tube only
                rel = v - centroid
                along = rel @ axis
                across = np.linalg.norm(rel - np.outer(along, axis), axis=1)
                tube = v[(np.abs(along) <= AXIS_HALF_LENGTH_MM) & (across <= reach)]
                if len(tube) >= 12:
                    centre, axis = _principal_axis(tube)
                    near = tube
            radial = (near - centre) - np.outer((near - centre) @ axis, axis)
            radius = float(np.median(np.linalg.norm(radial, axis=1)))
            forward = axis if axis @ distal >= 0.0 else -axis
            if not kinds[lab]:
                forward = -forward   # veins return toward the heart
            # the axis point nearest the section's centroid
            on_axis = centre + ((centroid - centre) @ axis) * axis
            out.append(Vessel(lab, kinds[lab], on_axis, forward, max(radius, 0.5),
                              float(samples.mean()), (int(lines.min()), int(lines.max()))))
    return out


def _principal_axis(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unit principal direction of points ``(n, 3)``."""
    centre = points.mean(0)
    return centre, np.linalg.svd(points - centre, full_matrices=False)[2][0]


def squash(label: np.ndarray, grey: np.ndarray, vessels: list[Vessel], time_s: float,
           pressure: float) -> tuple[np.ndarray, np.ndarray]:
    """The line buffers with each vessel's lumen scaled axially about its centre depth
    (``Vessel.lumen_ratio``): new ``(label, grey)``, both ``(n_lines, n_samples)``; the
    inputs are returned as they are when nothing changes."""
    changes = [(v, v.lumen_ratio(time_s, pressure)) for v in vessels]
    changes = [(v, r) for v, r in changes if abs(r - 1.0) > 1e-3]
    if not changes:
        return label, grey
    label, grey = label.copy(), grey.copy()
    n = label.shape[1]
    j = np.arange(n, dtype=float)
    for v, ratio in changes:
        mask = label == v.label
        mask[:v.lines[0]] = False
        mask[v.lines[1] + 1:] = False
        rows = np.nonzero(mask.any(1))[0]
        if len(rows) == 0:
            continue
        m = mask[rows]
        top = np.argmax(m, 1).astype(float)
        bottom = (n - 1 - np.argmax(m[:, ::-1], 1)).astype(float)
        c = v.centre_sample
        new_top = c + ratio * (top - c)
        new_bottom = c + ratio * (bottom - c)
        lo = np.minimum(top, new_top)[:, None]
        hi = np.maximum(bottom, new_bottom)[:, None]
        src = np.where(j < new_top[:, None], j - (new_top - top)[:, None],
                       np.where(j > new_bottom[:, None], j + (bottom - new_bottom)[:, None],
                                c + (j - c) / ratio))
        inside = (j >= np.floor(lo)) & (j <= np.ceil(hi))
        src = np.clip(np.rint(np.where(inside, src, j)), 0, n - 1).astype(np.intp)
        label[rows] = np.take_along_axis(label[rows], src, 1)
        grey[rows] = np.take_along_axis(grey[rows], src, 1)
    return label, grey
