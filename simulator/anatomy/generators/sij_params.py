"""The numbers behind one generated sacroiliac region: patient parameters plus seeded variation.

``draw_sij_params(patient, seed)`` is pure: one ``numpy.random.default_rng(seed)`` stream drawn
in a fixed order (independent of the patient), so one seed gives the same relative variation
for every patient and both sides. The bones are the real Visible Human sacrum and hip bones of
the patient's sex (``sij_real``); their shape is measured, not drawn.

Reference values (``/work/shared/clinical.md`` s.3.5 where given; [U] = standard adult
anatomy or a design choice, not sourced there):

- Target: inferior posterior joint, 1-2 cm cranial to its caudal margin (clinical.md s.3.5);
  here 15 mm, 3 mm inside the dorsal joint line.
- Skin to target 4-8 cm, scaled with BMI (clinical.md s.3.5, a range it flags as
  unverified). Over the real gluteus maximus origin and posterior ligaments: fat over the
  posterior pelvis 7.5 + 1.1 (BMI - 18) mm (F), 5.5 + 0.75 (BMI - 18) mm (M), at least
  3 mm [U]; clinical.md s.4 gives thicker dorsogluteal fat lower down (>25 mm in 72 %). Muscle
  (the envelope's clearance behind the real bones and muscles, 2.5 mm at BMI 18) thickens
  by 0.1 mm per BMI unit above 18 [U].
- Joint space [U]: the real bodies' auricular gap measures 2.4 mm (median, both bodies,
  ``sij_landmarks``), taken as grade 0; narrowing with Kellgren-Lawrence grade to 2.0, 1.6,
  1.1, 0.7 mm by moving the ilium toward the sacrum along the joint normal; an effusion
  widens it by a fifth of ``effusion_mm``. Capsule 3 mm.
- Body size: the real bones scale by 1 +- 0.025 (one standard deviation) [U].
- Nerves and vessels ventral to the joint [U]: S1 root 5 mm; lumbosacral trunk 5 mm over
  the ala; internal iliac artery 8 mm and vein 11 mm on the pelvic wall about 1 cm in front of
  the anterior joint line; presacral fat 20 mm deep.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.anatomy.generators.variation import bmi_fat_mm, standard_draws
from simulator.anatomy.patient import PatientParams

JOINT_SPACE_BY_KL_MM = (2.4, 2.0, 1.6, 1.1, 0.7)


@dataclass(frozen=True)
class SijParams:
    """Drawn dimensions of one sacroiliac region (lengths in mm)."""

    side: str
    sex: str
    size: float                   # uniform scale of the real bones and muscles
    joint_space_mm: float         # wanted auricular gap (the ilium moves to give it)
    capsule_mm: float
    target_above_caudal_mm: float
    target_inside_mm: float
    muscle_clearance_mm: float    # envelope behind the real bones and muscles
    fat_posterior_mm: float
    fat_lateral_mm: float
    fat_anterior_mm: float
    skin_mm: float
    root_radius_mm: float
    artery_radius_mm: float
    vein_radius_mm: float
    vessels_ventral_mm: float     # internal iliac vessels in front of the anterior joint line


def draw_sij_params(patient: PatientParams, seed: int) -> SijParams:
    """Draw the dimensions of one sacroiliac region for ``patient`` from ``seed`` (pure)."""
    z = standard_draws(seed, 8)  # fixed order: one slot per quantity
    fat = bmi_fat_mm(patient.sex, patient.bmi, female=(7.5, 1.1), male=(5.5, 0.75),
                     floor_mm=3.0) * (1.0 + 0.06 * z[1])
    space = JOINT_SPACE_BY_KL_MM[patient.oa_grade] * (1.0 + 0.05 * z[2])
    return SijParams(
        side=patient.side,
        sex=patient.sex,
        size=1.0 + 0.025 * z[0],
        joint_space_mm=space + 0.2 * patient.effusion_mm,
        capsule_mm=3.0,
        target_above_caudal_mm=15.0,
        target_inside_mm=3.0,
        muscle_clearance_mm=(2.5 + 0.1 * max(patient.bmi - 18.0, 0.0)) * (1.0 + 0.1 * z[3]),
        fat_posterior_mm=fat,
        fat_lateral_mm=fat * 1.3,
        fat_anterior_mm=fat * 1.1,
        skin_mm=2.5,
        root_radius_mm=2.5,
        artery_radius_mm=4.0 * (1.0 + 0.05 * z[4]),
        vein_radius_mm=5.5 * (1.0 + 0.05 * z[5]),
        vessels_ventral_mm=10.0 + 1.5 * z[6],
    )
