"""C-arm geometry and radiation-dose bookkeeping (pure).

Geometry (fluoroscopy.md s.4): the focal spot sits ``source_to_isocentre_mm`` (SIC) from the
isocentre, the flat panel ``source_to_detector_mm`` (SID) from the focal spot, both on the
central ray. At zero angles the beam runs posterior -> anterior (tube under the table, an AP
hip view). Orbital rotation turns the C about the patient's long axis, positive toward the
injected side (the detector swings over that side); cranial tilt turns it about the
left-right axis, positive = detector toward the head. Both rotate about the isocentre, which
the table moves (within ``MAX_TABLE_SHIFT_MM`` of the starting position). Collimation is a
square field, ``CArm.field_mm`` wide at the detector.

Dose (fluoroscopy.md s.5, D1-D3). Every pulse adds reference air kerma (Ka,r, at the IEC
reference point 15 cm before the isocentre toward the focal spot) and kerma-area product:

- the automatic brightness control needs ``KERMA_RATE_MGY_S`` = 0.15 mGy/s for a 22 cm hip at
  the reference pulse rate of 7.5 pulses/s (Chang 2018: 5.6 mGy / 42 s), doubling for every
  extra half-value layer of soft tissue (3.2 cm at 60 keV) on the central ray, capped at the
  21 CFR 1020.32 limit of 88 mGy/min; the dose per pulse is fixed, so a lower pulse rate
  lowers the dose rate in proportion; low-dose mode halves it;
- KAP = Ka,r x collimated field area at the reference point (KAP does not change along the
  beam); the field is the collimator square, clipped to the detector (and to an image
  intensifier's circular input field when the scenario has one);
- a single shot (spot image) costs ``SPOT_PULSES`` pulses.

Calibration against the clinical anchors. The collimator starts at the field the clinical
dose rates imply (D2: ~100 cm^2 at the reference point = ``DEFAULT_FIELD_MM`` 22 cm at the
detector, 13 cm at the isocentre, enough to see head, neck, both trochanters and the
acetabulum): continuous fluoroscopy then accrues 0.15 mGy/s (9 mGy/min) and
14.7 mGy.cm2/s, inside D2's 8-10 mGy/min and 8-16 mGy.cm2/s, and the dose-minimising
expert's 12 s lands at ~1.9 mGy. The population mean (26 s, 20.4 uGy.m2) corresponds to
collimating to ~16 cm (``TYPICAL_FIELD_MM``, 52 cm^2, 0.78 uGy.m2/s); never collimating
costs ~1.9x that, collimating to 12 cm (the expert) ~0.56x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from simulator.geometry import rotate, unit, vec
from simulator.scenario import CArmSpec
from simulator.state import CArm, Dose
from simulator.world import World

KERMA_RATE_MGY_S = 0.15        # Ka,r rate for a 22 cm hip at the reference pulse rate [D2]
REFERENCE_PULSE_RATE_HZ = 7.5
REFERENCE_THICKNESS_MM = 220.0
HVL_MM = 32.0                  # soft tissue at 60 keV (fluoroscopy.md s.3)
MAX_KERMA_RATE_MGY_S = 88.0 / 60.0  # 21 CFR 1020.32 normal-mode limit
REFERENCE_POINT_MM = 150.0     # IEC reference point: 15 cm from isocentre toward the source
SPOT_PULSES = 10.0             # a saved spot image costs ~10 pulses [unverified]
LOW_DOSE_FACTOR = 0.5
DEFAULT_FIELD_MM = 220.0       # starting collimation: ~100 cm2 at the reference point [D2]
TYPICAL_FIELD_MM = 160.0       # the population-mean series' implied collimation (52 cm2)
MIN_FIELD_MM = 40.0
MAX_ORBITAL_RAD = math.radians(90.0)
MAX_CRANIAL_RAD = math.radians(45.0)
MAX_TABLE_SHIFT_MM = 150.0
MAX_TURN_RAD_S = math.radians(20.0)
MAX_SHIFT_MM_S = 50.0


@dataclass(frozen=True)
class Geometry:
    """Where the focal spot and detector are for a C-arm pose (world frame, mm).

    Attributes
    ----------
    source_mm, detector_centre_mm : (3,) float
        Focal spot and the centre of the detector (on the central ray).
    beam : (3,) float
        Unit central-ray direction, focal spot -> detector.
    detector_u, detector_v : (3,) float
        Unit directions of image columns (toward the patient's left at zero angles) and
        image rows (toward the feet): the AP radiograph display convention. Note
        ``u x v = -beam``: the image is the mirror of a camera looking along the beam.
    """

    source_mm: np.ndarray
    detector_centre_mm: np.ndarray
    beam: np.ndarray
    detector_u: np.ndarray
    detector_v: np.ndarray


def table_turn_rad(world: World) -> float:
    """Rotation about the patient's long axis from patient to C-arm frame: the tube stays under
    the table, so for a prone patient it is in front of the patient (beam anterior ->
    posterior)."""
    return math.pi if world.scenario.patient_position == "prone" else 0.0


def orbital_sign(world: World) -> float:
    """Sign that makes a positive orbital angle swing the detector toward the injected side,
    whichever way the patient lies."""
    return world.side_sign * (1.0 if world.scenario.patient_position == "prone" else -1.0)


def geometry(world: World, carm: CArm, spec: CArmSpec) -> Geometry:
    """Focal spot, detector centre, beam direction and detector axes of a pose."""
    orbital = orbital_sign(world) * carm.orbital_rad + table_turn_rad(world)
    beam = rotate(rotate(np.array([0.0, 1.0, 0.0]), [1.0, 0.0, 0.0], carm.cranial_rad),
                  [0.0, 0.0, 1.0], orbital)
    u = rotate(rotate(np.array([-1.0, 0.0, 0.0]), [1.0, 0.0, 0.0], carm.cranial_rad),
               [0.0, 0.0, 1.0], orbital)
    v = np.cross(u, beam)  # toward the feet at zero angles: image rows run head -> foot
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
                   isocentre_mm=vec(iso))


def patient_thickness_mm(world: World, g: Geometry) -> float:
    """Body thickness along the central ray (first to last skin crossing), mm."""
    crossings = world.anatomy.segment_crossings(g.source_mm, g.detector_centre_mm)
    body = [c.t_mm for c in crossings]
    if not body:
        return 0.0
    return float(max(body) - min(body))


def kerma_rate_mgy_s(spec: CArmSpec, carm: CArm, thickness_mm: float) -> float:
    """Ka,r rate of continuous pulsed fluoroscopy at ``spec.pulse_rate_hz``, mGy/s."""
    return kerma_per_pulse_mgy(spec, carm, thickness_mm) * spec.pulse_rate_hz


def kerma_per_pulse_mgy(spec: CArmSpec, carm: CArm, thickness_mm: float) -> float:
    """Reference air kerma of one pulse, mGy (automatic brightness control for the patient
    thickness on the central ray; the pulse rate does not change the dose per pulse)."""
    rate = KERMA_RATE_MGY_S * 2.0 ** ((thickness_mm - REFERENCE_THICKNESS_MM) / HVL_MM)
    per_pulse = min(rate, MAX_KERMA_RATE_MGY_S) / REFERENCE_PULSE_RATE_HZ
    if carm.low_dose:
        per_pulse *= LOW_DOSE_FACTOR
    return per_pulse


def field_width_mm(spec: CArmSpec, carm: CArm) -> float:
    """Collimated field width at the detector, limited by the detector."""
    return float(min(max(carm.field_mm, 0.0), spec.detector_mm))


def field_area_cm2(spec: CArmSpec, carm: CArm) -> float:
    """Collimated field area at the reference point, cm2 (square field, clipped to an image
    intensifier's circular input field when ``spec`` has ``intensifier_mm``)."""
    scale = (spec.source_to_isocentre_mm - REFERENCE_POINT_MM) / spec.source_to_detector_mm
    side = field_width_mm(spec, carm) * scale / 10.0
    if spec.intensifier_mm is None:
        return side * side
    return square_in_circle_area(side, spec.intensifier_mm * scale / 10.0)


def square_in_circle_area(side: float, diameter: float) -> float:
    """Area of a centred square of ``side`` intersected with a circle of ``diameter``."""
    a, r = side / 2.0, diameter / 2.0
    if a <= 0.0 or r <= 0.0:
        return 0.0
    if r * r >= 2.0 * a * a:
        return side * side
    if r <= a:
        return math.pi * r * r
    # circle area minus the four caps beyond the square's sides
    cap = r * r * math.acos(a / r) - a * math.sqrt(r * r - a * a)
    return math.pi * r * r - 4.0 * cap


def expose(dose: Dose, spec: CArmSpec, carm: CArm, thickness_mm: float, pulses: float,
           tick: int) -> tuple[Dose, float, float]:
    """Add ``pulses`` worth of exposure. Returns ``(dose, kerma_mgy, kap_ugym2)`` added.

    Fluoroscopy time, frame and spot counts are the caller's (``step``) to keep.
    """
    kerma = kerma_per_pulse_mgy(spec, carm, thickness_mm) * pulses
    kap = kerma * field_area_cm2(spec, carm) / 10.0  # 1 uGy.m2 = 10 mGy.cm2
    return replace(dose, kerma_mgy=dose.kerma_mgy + kerma, kap_ugym2=dose.kap_ugym2 + kap,
                   last_frame_tick=tick), kerma, kap
