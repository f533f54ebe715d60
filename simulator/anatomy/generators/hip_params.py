"""The numbers behind one generated hip: patient parameters plus seeded anatomical variation.

``draw_hip_params(patient, seed)`` is pure. All random numbers come from one
``numpy.random.default_rng(seed)`` stream drawn in a fixed order (independent of the patient),
so the same seed gives the same *relative* variation for every patient and both sides.

The bones are real (``hip_real``): head diameter, neck-shaft angle, femoral and acetabular
version and inclination, the pelvis's half-width and the joint space are *measured* on the
Visible Human bones of the patient's sex and side, then scaled by the patient's body size
(a seeded factor, 1 +- 3 % per SD [U]: PatientParams has no height).

Reference values (``/work/shared/clinical.md`` section 4; [U] = design choice):

- Limb in 10-15 deg internal rotation (section 2); labrum 3.8 x 7 mm.
- Joint space (femoral + acetabular cartilage) by Kellgren-Lawrence grade 0-4 keeps the
  fractions 4.2, 3.5, 2.5, 1.5, 0.6 / 4.2 of the body's measured joint space (normal
  4.19 +- 0.92 mm; OA minimum 2.4 +- 0.9).
- Anterior recess 1.5 mm + effusion; capsule 2-4 mm (thicker toward the head).
- Subcutaneous fat over the anterior hip [U]: female 4 + 0.9 (BMI - 18) mm, male
  3 + 0.7 (BMI - 18) mm (>= 2.5 mm): about 12 / 9 mm at BMI 27, matching the derived
  median 10-11 mm (IQR 6-20). Lateral (flank) and posterior (buttock) = anterior x 2.68 (F)
  / 1.97 (M), the lateral/anterior ratio of the CT series (n = 2004), which also fits the
  gluteal depths (dorsogluteal fat > 25 mm in 72 %); medial = 0.8 x anterior.
- Fat over the greater trochanter from the soft-tissue depth there (section 3.1): skin to
  the lateral facet 30 mm (F) / 20 mm (M) at BMI 27 (medians; IQR 23-40 / 17-30), growing
  mildly with BMI [U]: 0.8 (F) / 0.6 (M) mm per kg/m2, so BMI 22-40 spans about the IQR.
  Over the facet lie the gluteus medius tendon 3.5 mm, the trochanteric bursa 2 mm and the
  iliotibial band 2 mm [U], then fat and skin. The CT ratio applied over the trochanter
  would give ~32 mm of fat alone, ~45 mm to bone, above the IQR: the generator thins the
  fat over the trochanteric prominence (straight lateral) and keeps the ratio on the flanks,
  so the anterior approach's skin is unchanged.
- The trochanteric (sub-gluteus-maximus) bursa does not communicate with the hip joint, so a
  joint effusion (``effusion_mm``) leaves it at its normal ~2 mm [U].
- Common femoral artery 7 mm (F) / 8 mm (M); vein 11 / 12 mm; bifurcation 5 mm below the
  inferior head margin; nerve 10 mm lateral to the artery; LFCN 20 mm medial to the ASIS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.anatomy.generators.hip_real import real_hip
from simulator.anatomy.generators.variation import bmi_fat_mm, standard_draws
from simulator.anatomy.patient import PatientParams

JOINT_SPACE_BY_KL_MM = (4.2, 3.5, 2.5, 1.5, 0.6)
FEMALE_HEAD_DIAMETER_MM = 45.3  # the reference the soft tissue's sizes scale from


@dataclass(frozen=True)
class HipParams:
    """Drawn dimensions of one hip model (angles in degrees, lengths in mm)."""

    side: str
    sex: str
    size: float                   # body size: the real bones' scale
    half_width_mm: float          # midline to femoral head centre (measured x size)
    bone_scale: float             # soft-tissue scale: head diameter / the reference female's
    head_diameter_mm: float       # measured x size
    neck_length_mm: float         # head surface to the capsule's distal insertion (front)
    neck_shaft_deg: float         # measured
    femoral_anteversion_deg: float  # measured
    internal_rotation_deg: float
    acetabular_inclination_deg: float  # measured
    acetabular_anteversion_deg: float  # measured
    narrowing_mm: float           # joint space lost to osteoarthritis
    femoral_cartilage_mm: float
    acetabular_cartilage_mm: float
    labrum_thickness_mm: float
    labrum_length_mm: float
    capsule_head_mm: float
    capsule_neck_mm: float
    recess_mm: float              # anterior recess depth at the head-neck junction
    synovial_mm: float            # synovial layer elsewhere
    fat_anterior_mm: float
    fat_lateral_mm: float
    fat_medial_mm: float
    fat_posterior_mm: float
    skin_mm: float
    trochanter_depth_mm: float    # skin surface to the lateral facet of the greater trochanter
    itb_mm: float                 # iliotibial band over the trochanter
    bursa_mm: float               # trochanteric (sub-gluteus-maximus) bursa
    gmed_tendon_mm: float         # gluteus medius tendon on the lateral facet
    artery_diameter_mm: float
    vein_diameter_mm: float
    artery_to_target_mm: float    # lateral distance target - artery at head level
    bifurcation_below_head_mm: float
    nerve_lateral_mm: float
    lfcn_medial_to_asis_mm: float
    vessel_jitter_mm: tuple[float, float, float]

    @property
    def head_radius_mm(self) -> float:
        return 0.5 * self.head_diameter_mm

    @property
    def joint_space_mm(self) -> float:
        return self.femoral_cartilage_mm + self.acetabular_cartilage_mm


def _trochanter_depth_mm(sex: str, bmi: float) -> float:
    if sex == "female":
        return 30.0 + 0.8 * (bmi - 27.0)
    return 20.0 + 0.6 * (bmi - 27.0)


def draw_hip_params(patient: PatientParams, seed: int) -> HipParams:
    """Draw the dimensions of one hip for ``patient`` from ``seed`` (pure)."""
    z = standard_draws(seed, 20)  # fixed order: one slot per quantity
    female = patient.sex == "female"
    hip = real_hip(patient.sex, patient.side)
    size = 1.0 + 0.03 * z[0]
    head_d = 2.0 * hip.femur_marks.head_radius_mm * size
    real_space = hip.joint_space_mm * size
    joint_space = real_space * JOINT_SPACE_BY_KL_MM[patient.oa_grade] / JOINT_SPACE_BY_KL_MM[0]
    fat_ant = bmi_fat_mm(patient.sex, patient.bmi, female=(4.0, 0.9), male=(3.0, 0.7),
                         floor_mm=2.5) * (1.0 + 0.05 * z[8])
    fat_lat = fat_ant * (2.68 if female else 1.97) * (1.0 + 0.03 * z[9])
    skin, itb, bursa, tendon = 2.0, 2.0, 2.0, 3.5
    depth = max(skin + itb + bursa + tendon + 3.0,
                _trochanter_depth_mm(patient.sex, patient.bmi) * (1.0 + 0.05 * z[9]))
    return HipParams(
        side=patient.side,
        sex=patient.sex,
        size=size,
        half_width_mm=hip.half_width_mm * size,
        bone_scale=head_d / FEMALE_HEAD_DIAMETER_MM,
        head_diameter_mm=head_d,
        neck_length_mm=(18.0 if female else 21.0) * (1.0 + 0.03 * z[2]),
        neck_shaft_deg=hip.femur_marks.neck_shaft_angle_deg,
        femoral_anteversion_deg=hip.femur_marks.anteversion_deg,
        internal_rotation_deg=float(np.clip(12.5 + 1.25 * z[5], 10.0, 15.0)),
        acetabular_inclination_deg=hip.pelvis_marks.inclination_deg,
        acetabular_anteversion_deg=hip.pelvis_marks.anteversion_deg,
        narrowing_mm=real_space - joint_space,
        femoral_cartilage_mm=0.5 * joint_space,
        acetabular_cartilage_mm=0.5 * joint_space,
        labrum_thickness_mm=3.8,
        labrum_length_mm=7.0,
        capsule_head_mm=4.0,
        capsule_neck_mm=2.8,
        recess_mm=1.5 + patient.effusion_mm,
        synovial_mm=1.0 + 0.2 * patient.effusion_mm,
        fat_anterior_mm=fat_ant,
        fat_lateral_mm=fat_lat,
        fat_medial_mm=0.8 * fat_ant,
        fat_posterior_mm=fat_lat,
        skin_mm=skin,
        trochanter_depth_mm=depth,
        itb_mm=itb,
        bursa_mm=bursa,
        gmed_tendon_mm=tendon,
        artery_diameter_mm=(7.0 if female else 8.0) * (1.0 + 0.04 * z[13]),
        vein_diameter_mm=(11.0 if female else 12.0) * (1.0 + 0.04 * z[14]),
        artery_to_target_mm=25.0 + 1.5 * z[15],
        bifurcation_below_head_mm=5.0 + 1.0 * z[16],
        nerve_lateral_mm=10.0 + 1.0 * z[17],
        lfcn_medial_to_asis_mm=20.0 + 3.0 * z[18],
        vessel_jitter_mm=(1.5 * z[19], 1.0 * z[15], 1.0 * z[16]),
    )
