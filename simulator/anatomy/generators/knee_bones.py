"""Frame and bony landmarks of the placed real knee (model frame, right knee, RAS mm).

The soft tissue the sources lack (tendons, fat pads, vessels, nerves) is laid out in a frame
measured on the placed real bones: ``fem(ref)`` is a point ``ref`` mm (times the knee's size
against a 74 mm reference epicondylar width) from the middle of the two distal condyles,
``tib(ref)`` one from the joint-line centre in the tibia's own axes (its shaft direction
measured on the bone, so the leg's real flexion carries the calf tissue with it), and the
femoral shaft's valgus tilt is measured on the bone too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.hip_real import Placement
from simulator.anatomy.generators.knee_params import KneeParams
from simulator.anatomy.generators.knee_real import KneePlacement, RealKnee

REFERENCE_WIDTH_MM = 74.0   # epicondylar width of the reference (female) knee [U]


@dataclass(frozen=True)
class KneeFrame:
    """Reference points and axes of the placed knee (world RAS mm, right knee).

    Attributes
    ----------
    origin : (3,) float
        Joint-line centre (between the two plateaus, at the plateaus' height).
    femur_base : (3,) float
        Middle of the distal-most points of the two femoral condyles.
    leg_rotation : (3, 3) float
        Turns the vertical onto the tibial shaft (its columns: the tibia's x, y, z axes).
    valgus_deg : float
        Tilt of the femoral shaft from the vertical in the coronal plane (medial going up).
    sc : float
        Epicondylar width over ``REFERENCE_WIDTH_MM``.
    """

    params: KneeParams
    origin: np.ndarray
    femur_base: np.ndarray
    leg_rotation: np.ndarray
    valgus_deg: float
    sc: float

    def fem(self, ref_mm) -> np.ndarray:
        """Femur reference points ``(..., 3)`` (from the condyle bottom) to world."""
        return self.femur_base + self.sc * np.asarray(ref_mm, float)

    def tib(self, ref_mm) -> np.ndarray:
        """Tibia reference points ``(..., 3)`` (from the joint-line centre, tibial axes)."""
        return self.origin + self.sc * np.asarray(ref_mm, float) @ self.leg_rotation.T

    @property
    def leg_axis(self) -> np.ndarray:
        """Unit vector down the tibial shaft."""
        return self.leg_rotation @ np.array([0.0, 0.0, -1.0])

    def shaft_x(self, z_ref):
        """Femoral shaft centre x offset (reference mm) at reference height ``z_ref``: the
        anatomical axis runs medially going up."""
        tilt = np.tan(np.radians(self.valgus_deg))
        return -tilt * np.clip(np.asarray(z_ref, float) - 40.0, 0.0, None)


def _section_centre(points: np.ndarray, z_mm: float) -> np.ndarray:
    band = points[np.abs(points[:, 2] - z_mm) < 3.0]
    return 0.5 * (band.min(0) + band.max(0))


def _turning(down: np.ndarray) -> np.ndarray:
    """Rotation ``(3, 3)`` taking ``(0, 0, -1)`` onto the unit vector ``down``."""
    a = np.array([0.0, 0.0, -1.0])
    axis = np.cross(a, down)
    s = np.linalg.norm(axis)
    if s < 1e-9:
        return np.eye(3)
    return pr.rotation(axis / s, float(np.arctan2(s, a @ down)))


def knee_frame(p: KneeParams, knee: RealKnee, place: KneePlacement) -> KneeFrame:
    m = knee.marks
    femur = Placement.apply(place.thigh, knee.femur.outer_vertices)
    tibia = Placement.apply(place.leg, knee.tibia.outer_vertices)
    origin = Placement.apply(place.leg, m.joint_line_centre)
    base = 0.5 * (Placement.apply(place.thigh, m.lateral_condyle_distal)
                  + Placement.apply(place.thigh, m.medial_condyle_distal))
    shaft = (_section_centre(femur, base[2] + 150.0)
             - _section_centre(femur, base[2] + 90.0))
    valgus = float(np.degrees(np.arctan2(-shaft[0], shaft[2])))
    down = pr.unit(_section_centre(tibia, origin[2] - 150.0)
                   - _section_centre(tibia, origin[2] - 90.0))
    distal = femur[femur[:, 2] < base[2] + 60.0]
    width = float(np.ptp(distal[:, 0]))
    return KneeFrame(p, origin, base, _turning(down), valgus, width / REFERENCE_WIDTH_MM)


def bone_points(f: KneeFrame, knee: RealKnee, place: KneePlacement) -> dict[str, np.ndarray]:
    """Placed bony landmarks: the epicondyles (most lateral and medial points of the distal
    60 mm of the femur), the tibial tuberosity (most anterior point of the tibia 15-50 mm
    under the joint line), the top of the fibular head and the middle of the fibular neck
    (its section 30-40 mm under the top)."""
    femur = Placement.apply(place.thigh, knee.femur.outer_vertices)
    tibia = Placement.apply(place.leg, knee.tibia.outer_vertices)
    fibula = Placement.apply(place.leg, knee.fibula.outer_vertices)
    distal = femur[femur[:, 2] < f.femur_base[2] + 60.0]
    below = f.origin[2] - tibia[:, 2]
    band = tibia[(below > 15.0) & (below < 50.0)]
    top = fibula[np.argmax(fibula[:, 2])]
    neck = fibula[(top[2] - fibula[:, 2] > 30.0) & (top[2] - fibula[:, 2] < 40.0)]
    return {"lateral_epicondyle": distal[np.argmax(distal[:, 0])],
            "medial_epicondyle": distal[np.argmin(distal[:, 0])],
            "tibial_tuberosity": band[np.argmax(band[:, 1])],
            "fibular_head": top, "fibular_neck": neck.mean(0)}
