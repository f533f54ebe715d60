"""The numbers behind one generated sacroiliac region: patient parameters plus seeded variation.

``draw_sij_params(patient, seed)`` is pure: one ``numpy.random.default_rng(seed)`` stream drawn
in a fixed order (independent of the patient), so one seed gives the same relative variation
for every patient and both sides.

Reference values (``/work/shared/clinical.md`` s.3.5 where given; [U] = standard adult
anatomy or a design choice, not sourced there):

- Target: inferior posterior joint, 1-2 cm cranial to its caudal margin (clinical.md s.3.5);
  here 15 mm, 3 mm inside the dorsal joint line.
- Skin to target 4-8 cm, scaled with BMI (clinical.md s.3.5, a range it flags as
  unverified): skin 2.5 mm + fat + 22 mm of gluteus maximus origin and posterior sacroiliac
  ligaments over the joint line (28 mm M) [U]. Fat over the posterior pelvis
  7.5 + 1.2 (BMI - 18) mm (F), 5.5 + 0.9 (BMI - 18) mm (M), at least 3 mm [U]; clinical.md s.4
  gives thicker dorsogluteal fat lower down (>25 mm in 72 %).
- Sacrum [U]: base width 110 mm (F) / 116 mm (M) x bone scale, length 100 mm, tilted 32 deg
  from vertical (sacral slope reduced by the pillow under the prone pelvis), kyphosis radius
  120 mm; lateral mass 40 mm thick at S1.
- Joint [U]: auricular surface 64 x 24 mm, its plane 25 deg from sagittal (ventral end
  lateral: in a straight PA view the medial joint line is the posterior one, clinical.md
  s.3.5); synovial space 2.4 mm, narrowing with Kellgren-Lawrence grade to 2.0, 1.6, 1.1,
  0.7 mm; an effusion widens it by a fifth of ``effusion_mm``. Capsule 3 mm.
- Nerves and vessels ventral to the joint [U]: S1 root 5 mm through the S1 foramen
  (26 mm from the midline) and across the ventral sacrum to the greater sciatic notch;
  lumbosacral trunk 5 mm over the ala; internal iliac artery 8 mm and vein 11 mm on the
  pelvic wall about 1 cm in front of the joint; presacral fat 20 mm deep.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.anatomy.generators.variation import bmi_fat_mm, standard_draws
from simulator.anatomy.patient import PatientParams

JOINT_SPACE_BY_KL_MM = (2.4, 2.0, 1.6, 1.1, 0.7)


@dataclass(frozen=True)
class SijParams:
    """Drawn dimensions of one sacroiliac region (angles in degrees, lengths in mm)."""

    side: str
    sex: str
    bone_scale: float
    sacral_width_mm: float        # base (ala to ala)
    sacral_length_mm: float
    sacral_tilt_deg: float        # long axis from vertical
    joint_obliquity_deg: float    # joint plane from sagittal, ventral end lateral
    joint_length_mm: float
    joint_depth_mm: float
    joint_space_mm: float
    capsule_mm: float
    target_above_caudal_mm: float
    target_inside_mm: float
    over_joint_mm: float          # muscle and ligament between deep fascia and joint line
    fat_posterior_mm: float
    fat_lateral_mm: float
    fat_anterior_mm: float
    skin_mm: float
    root_radius_mm: float
    artery_radius_mm: float
    vein_radius_mm: float
    vessels_ventral_mm: float     # internal iliac vessels in front of the ventral joint line


def draw_sij_params(patient: PatientParams, seed: int) -> SijParams:
    """Draw the dimensions of one sacroiliac region for ``patient`` from ``seed`` (pure)."""
    z = standard_draws(seed, 12)  # fixed order: one slot per quantity
    female = patient.sex == "female"
    sc = (1.0 if female else 1.06) * (1.0 + 0.025 * z[0])
    fat = bmi_fat_mm(patient.sex, patient.bmi, female=(7.5, 1.2), male=(5.5, 0.9),
                     floor_mm=3.0) * (1.0 + 0.06 * z[1])
    space = JOINT_SPACE_BY_KL_MM[patient.oa_grade] * (1.0 + 0.05 * z[2])
    return SijParams(
        side=patient.side,
        sex=patient.sex,
        bone_scale=sc,
        sacral_width_mm=110.0 * sc,
        sacral_length_mm=100.0 * sc,
        sacral_tilt_deg=32.0 + 3.0 * z[3],
        joint_obliquity_deg=25.0 + 2.5 * z[4],
        joint_length_mm=64.0 * sc * (1.0 + 0.04 * z[5]),
        joint_depth_mm=24.0 * sc * (1.0 + 0.04 * z[6]),
        joint_space_mm=space + 0.2 * patient.effusion_mm,
        capsule_mm=3.0,
        target_above_caudal_mm=15.0,
        target_inside_mm=3.0,
        over_joint_mm=(22.0 if female else 28.0) * (1.0 + 0.08 * z[7]),
        fat_posterior_mm=fat,
        fat_lateral_mm=fat * 1.3,
        fat_anterior_mm=fat * 1.1,
        skin_mm=2.5,
        root_radius_mm=2.5,
        artery_radius_mm=4.0 * (1.0 + 0.05 * z[8]),
        vein_radius_mm=5.5 * (1.0 + 0.05 * z[9]),
        vessels_ventral_mm=10.0 + 1.5 * z[10],
    )
