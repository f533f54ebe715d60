"""C-arm geometry and radiation-dose bookkeeping (pure).

Geometry (fluoroscopy.md s.4): the source sits ``source_to_isocentre_mm`` from the isocentre,
the flat panel ``source_to_detector_mm`` from the source. At zero angles the beam runs
posterior -> anterior (tube under the table, an AP hip view). Orbital rotation is about the
patient's long axis, positive toward the injected side; cranial tilt about the left-right axis.

Dose (fluoroscopy.md s.5, D2/D3): reference air kerma accrues per pulse at a rate of
0.15 mGy/s for a 22 cm hip, doubling per extra 3.2 cm of tissue on the central ray (HVL of soft
tissue at 60 keV); KAP = Ka,r x collimated field area at the reference point (15 cm before
the isocentre). With the default 16 cm field this gives 0.78 uGy.m2 per second of
fluoroscopy, so the clinical mean of 26 s lands at ~20 uGy.m2 (Chang 2018 / training series).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from simulator.geometry import rotate, unit
from simulator.scenario import CArmSpec
from simulator.state import CArm, Dose
from simulator.world import World

KERMA_RATE_MGY_S = 0.15        # continuous-equivalent Ka,r rate for a 22 cm hip [derived D2]
REFERENCE_THICKNESS_MM = 220.0
HVL_MM = 32.0                  # soft tissue at 60 keV (fluoroscopy.md s.3)
REFERENCE_POINT_MM = 150.0     # IEC reference point: 15 cm from isocentre toward the source
SPOT_PULSES = 10.0             # a saved spot image costs ~10 pulses [unverified]
LOW_DOSE_FACTOR = 0.5
DEFAULT_FIELD_MM = 160.0
MAX_ORBITAL_RAD = math.radians(90.0)
MAX_CRANIAL_RAD = math.radians(45.0)
MAX_TABLE_SHIFT_MM = 150.0
MAX_TURN_RAD_S = math.radians(20.0)
MAX_SHIFT_MM_S = 50.0


@dataclass(frozen=True)
class Geometry:
    """Where the source and detector are for a C-arm pose (world frame, mm)."""

    source_mm: np.ndarray
    detector_centre_mm: np.ndarray
    beam: np.ndarray
    detector_u: np.ndarray
    detector_v: np.ndarray


def geometry(world: World, carm: CArm, spec: CArmSpec) -> Geometry:
    """Source, detector centre, beam direction and detector axes.

    ``detector_u`` runs toward the patient's left at zero angles and ``detector_v`` toward
    the feet, so image columns and rows follow the AP radiograph display convention.
    """
    orbital = -world.side_sign * carm.orbital_rad
    beam = rotate(rotate(np.array([0.0, 1.0, 0.0]), [1.0, 0.0, 0.0], carm.cranial_rad),
                  [0.0, 0.0, 1.0], orbital)
    u = rotate(rotate(np.array([-1.0, 0.0, 0.0]), [1.0, 0.0, 0.0], carm.cranial_rad),
               [0.0, 0.0, 1.0], orbital)
    v = np.cross(beam, u)
    iso = np.asarray(carm.isocentre_mm, float)
    source = iso - beam * spec.source_to_isocentre_mm
    detector = source + beam * spec.source_to_detector_mm
    return Geometry(source, detector, unit(beam), unit(u), unit(v))


def move(carm: CArm, rotate_rad, shift_mm, home_mm) -> CArm:
    """Rotate and shift within the C-arm's limits (table shift relative to ``home_mm``)."""
    orbital = float(np.clip(carm.orbital_rad + rotate_rad[0], -MAX_ORBITAL_RAD, MAX_ORBITAL_RAD))
    cranial = float(np.clip(carm.cranial_rad + rotate_rad[1], -MAX_CRANIAL_RAD, MAX_CRANIAL_RAD))
    iso = np.asarray(carm.isocentre_mm) + np.asarray(shift_mm, float)
    iso = np.asarray(home_mm) + np.clip(iso - home_mm, -MAX_TABLE_SHIFT_MM, MAX_TABLE_SHIFT_MM)
    return replace(carm, orbital_rad=orbital, cranial_rad=cranial,
                   isocentre_mm=tuple(float(x) for x in iso))


def patient_thickness_mm(world: World, g: Geometry) -> float:
    """Body thickness along the central ray (skin to skin)."""
    crossings = world.anatomy.segment_crossings(g.source_mm, g.detector_centre_mm)
    body = [c.t_mm for c in crossings]
    if not body:
        return 0.0
    return float(max(body) - min(body))


def kerma_per_pulse_mgy(spec: CArmSpec, carm: CArm, thickness_mm: float) -> float:
    """Reference air kerma of one pulse, mGy."""
    rate = KERMA_RATE_MGY_S * 2.0 ** ((thickness_mm - REFERENCE_THICKNESS_MM) / HVL_MM)
    if carm.low_dose:
        rate *= LOW_DOSE_FACTOR
    return rate / spec.pulse_rate_hz


def field_area_cm2(spec: CArmSpec, carm: CArm) -> float:
    """Collimated field area at the reference point, cm2."""
    width_mm = carm.field_mm * (spec.source_to_isocentre_mm - REFERENCE_POINT_MM) / (
        spec.source_to_detector_mm)
    return (width_mm / 10.0) ** 2


def expose(dose: Dose, spec: CArmSpec, carm: CArm, thickness_mm: float, pulses: float,
           tick: int) -> tuple[Dose, float, float]:
    """Add ``pulses`` worth of exposure. Returns ``(dose, kerma_mgy, kap_ugym2)`` added."""
    kerma = kerma_per_pulse_mgy(spec, carm, thickness_mm) * pulses
    kap = kerma * field_area_cm2(spec, carm) / 10.0  # 1 uGy.m2 = 10 mGy.cm2
    return replace(dose, kerma_mgy=dose.kerma_mgy + kerma, kap_ugym2=dose.kap_ugym2 + kap,
                   last_frame_tick=tick), kerma, kap
