"""Landmarks measured on the real bones of a right knee (a left knee is mirrored into this
frame first: x then grows laterally).

Everything is RAS mm on the bones' closed surfaces; no generator frame is assumed:

- patella: superior and inferior poles (highest and lowest surface points), centre (their
  midpoint at the bone's mean depth), lateral border at mid-pole (the most lateral surface
  point within 5 mm of the centre's height);
- femoral condyles: the distal-most surface point of each condyle (lowest point lateral and
  medial of the notch, the notch x being the middle of the condyles' width), and the
  posterior-most point of each;
- trochlea: the deepest point of the groove below the line joining the two ridges (the most
  anterior point each side of the notch's x), among the anterior-most surface points (front
  half only) binned every 3 mm across the central 60 % of the condylar width,
  15-35 mm above the distal condyles (the front of the groove before it meets the notch);
- tibial plateau: under each condyle's distal-most point, the highest tibial surface point
  within ``PLATEAU_MM`` horizontally;
- joint space: bone to bone under each condyle, the least vertical distance from the lowest
  10 mm of the condyle's surface within ``CONDYLE_MM`` sideways of its distal-most point down
  to the tibia (the femoral and tibial cartilage; not the notch's walls, which the atlas
  femur's repair closed over the tibial spines).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.anatomy.generators.primitives import ray_crossing, to_manifold

PLATEAU_MM = 10.0
CONDYLE_MM = 6.0


@dataclass(frozen=True)
class KneeLandmarks:
    """Measured on a right knee (RAS mm)."""

    patella_centre: np.ndarray
    superior_patellar_pole: np.ndarray
    inferior_patellar_pole: np.ndarray
    lateral_patellar_border: np.ndarray
    lateral_condyle_distal: np.ndarray
    medial_condyle_distal: np.ndarray
    lateral_condyle_posterior: np.ndarray
    medial_condyle_posterior: np.ndarray
    trochlear_groove: np.ndarray
    lateral_plateau: np.ndarray
    medial_plateau: np.ndarray
    lateral_joint_space_mm: float
    medial_joint_space_mm: float

    @property
    def joint_line_centre(self) -> np.ndarray:
        return 0.5 * (self.lateral_plateau + self.medial_plateau)


def knee_landmarks(femur, patella, tibia) -> KneeLandmarks:
    """Landmarks of a right knee from the bones' ``(vertices (n, 3), faces (m, 3))``."""
    fv = np.asarray(femur[0], float)
    pv = np.asarray(patella[0], float)
    tv = np.asarray(tibia[0], float)
    tibia_solid = to_manifold(tv, tibia[1], "tibia")

    top, bottom = pv[np.argmax(pv[:, 2])], pv[np.argmin(pv[:, 2])]
    centre = np.array([*pv[:, :2].mean(0), 0.5 * (top[2] + bottom[2])])
    band = pv[np.abs(pv[:, 2] - centre[2]) < 5.0]
    lateral_border = band[np.argmax(band[:, 0])]

    distal = fv[fv[:, 2] < fv[:, 2].min() + 60.0]
    notch_x = 0.5 * (distal[:, 0].min() + distal[:, 0].max())
    lat, med = distal[distal[:, 0] > notch_x], distal[distal[:, 0] <= notch_x]
    lat_low, med_low = lat[np.argmin(lat[:, 2])], med[np.argmin(med[:, 2])]
    lat_back, med_back = lat[np.argmin(lat[:, 1])], med[np.argmin(med[:, 1])]

    z0 = min(lat_low[2], med_low[2])
    width = distal[:, 0].max() - distal[:, 0].min()
    front = fv[(fv[:, 2] > z0 + 15.0) & (fv[:, 2] < z0 + 35.0)
               & (np.abs(fv[:, 0] - notch_x) < 0.3 * width) & (fv[:, 1] > distal[:, 1].mean())]
    bins = np.floor((front[:, 0] - front[:, 0].min()) / 3.0).astype(int)
    leading = np.array([front[bins == b][np.argmax(front[bins == b][:, 1])]
                        for b in np.unique(bins)])
    leading = leading[np.argsort(leading[:, 0])]
    med_ridge = np.argmax(np.where(leading[:, 0] <= notch_x, leading[:, 1], -np.inf))
    lat_ridge = np.argmax(np.where(leading[:, 0] > notch_x, leading[:, 1], -np.inf))
    a, b = leading[med_ridge], leading[lat_ridge]
    chord = a[1] + (leading[:, 0] - a[0]) * (b[1] - a[1]) / (b[0] - a[0])
    between = (leading[:, 0] > a[0]) & (leading[:, 0] < b[0])
    groove = leading[np.argmax(np.where(between, chord - leading[:, 1], -np.inf))]

    halves = []
    for condyle in (lat_low, med_low):
        under = tv[np.linalg.norm(tv[:, :2] - condyle[:2], axis=1) < PLATEAU_MM]
        halves.append(np.array([*condyle[:2], under[:, 2].max()]))

    def gap(part: np.ndarray) -> float:
        """Least vertical bone-to-bone distance below the lowest 10 mm of a condyle."""
        down = np.array([0.0, 0.0, -1.0])
        lowest = part[np.argmin(part[:, 2])]
        part = part[np.abs(part[:, 0] - lowest[0]) < CONDYLE_MM]
        gaps = []
        for p in part[part[:, 2] < part[:, 2].min() + 10.0]:
            try:
                gaps.append(p[2] - ray_crossing(tibia_solid, p + 0.3 * down, down, 40.0)[2])
            except ValueError:  # not over the tibia
                continue
        return float(min(gaps))

    return KneeLandmarks(centre, top, bottom, lateral_border, lat_low, med_low, lat_back,
                         med_back, groove, halves[0], halves[1], gap(lat), gap(med))
