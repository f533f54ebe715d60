"""Landmarks measured on the real bones of a right ankle (a left ankle is mirrored into this
frame first): the HRA tibia and fibula and the registered Denver talus (``ankle_import``).

Everything is RAS mm on the bones' vertices ``(n, 3)``; no generator frame is assumed:

- malleoli: the lowest point of the tibia (medial malleolus) and of the fibula (lateral);
- tibial plafond: the centre (the vertex nearest the centroid) of the downward-facing tibia
  surface within ``FACING_MM`` of the talus; talar dome top: where the vertical down from
  it meets the talus; joint space: the bone-to-bone gap between them (both cartilages);
- the dome's sagittal arc: a least-squares circle through the talus's sagittal section
  through the dome top, where it lies less than ``DOME_DEPTH_MM`` below the top (the
  trochlea's sagittal radius and centre);
- anterior tibial lip: in the sagittal strip through the dome top, the most anterior tibia
  point less than ``LIP_HEIGHT_MM`` above the plafond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DOME_STRIP_MM = 3.0
DOME_DEPTH_MM = 8.0
FACING_MM = 6.0
LIP_HEIGHT_MM = 10.0


@dataclass(frozen=True)
class AnkleLandmarks:
    """Points ``(3,)`` RAS mm and lengths (mm) of one right ankle."""

    medial_malleolus: np.ndarray
    lateral_malleolus: np.ndarray
    talar_dome_top: np.ndarray
    dome_centre: np.ndarray
    dome_radius_mm: float
    plafond: np.ndarray
    anterior_tibial_lip: np.ndarray

    @property
    def joint_space_mm(self) -> float:
        return float(self.plafond[2] - self.talar_dome_top[2])


def fit_circle(points_yz: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares circle through ``points_yz`` ``(n, 2)``: centre ``(2,)`` and radius."""
    a = np.column_stack([2.0 * points_yz, np.ones(len(points_yz))])
    b = (points_yz**2).sum(1)
    sol = np.linalg.lstsq(a, b, rcond=None)[0]
    return sol[:2], float(np.sqrt(sol[2] + sol[:2] @ sol[:2]))


def ankle_landmarks(tibia: tuple, fibula: np.ndarray, talus: tuple) -> AnkleLandmarks:
    """Landmarks of the right ankle from the tibia and talus outer surfaces (``(vertices
    (n, 3), faces (m, 3))`` each) and the fibula's outer vertices ``(n, 3)``, one frame."""
    import trimesh
    from scipy.spatial import cKDTree

    tib_v, tib_f = tibia
    tal_v, tal_f = talus
    tib = trimesh.Trimesh(tib_v, tib_f, process=False)
    tal = trimesh.Trimesh(tal_v, tal_f, process=False)
    near, _ = cKDTree(tal_v).query(tib_v)
    facing = tib_v[(near < FACING_MM) & (tib.vertex_normals[:, 2] < -0.5)]
    plafond = facing[np.argmin(np.linalg.norm(facing[:, :2] - facing[:, :2].mean(0), axis=1))]
    hits, _, _ = tal.ray.intersects_location([plafond], [[0.0, 0.0, -1.0]])
    top = hits[np.argmax(hits[:, 2])]
    arc = np.concatenate(tal.section(plane_origin=top, plane_normal=[1.0, 0.0, 0.0]).discrete)
    arc = arc[arc[:, 2] > top[2] - DOME_DEPTH_MM]
    centre_yz, radius = fit_circle(arc[:, 1:])
    front = tib_v[(np.abs(tib_v[:, 0] - top[0]) < DOME_STRIP_MM)
                  & (tib_v[:, 2] < plafond[2] + LIP_HEIGHT_MM)]
    return AnkleLandmarks(
        medial_malleolus=tib_v[np.argmin(tib_v[:, 2])],
        lateral_malleolus=fibula[np.argmin(fibula[:, 2])],
        talar_dome_top=top,
        dome_centre=np.array([top[0], *centre_yz]),
        dome_radius_mm=radius,
        plafond=plafond,
        anterior_tibial_lip=front[np.argmax(front[:, 1])],
    )
