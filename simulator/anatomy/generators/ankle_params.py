"""The numbers behind one generated ankle: the real body's measurements, the patient
parameters and seeded variation.

``draw_ankle_params(patient, seed)`` is pure: one ``numpy.random.default_rng(seed)`` stream
drawn in a fixed order. The bones are the real Visible Human bones of the patient's sex and
side (``simulator.anatomy.real.ankle_real``), scaled by the patient's body size. Sources:
``/work/shared/clinical.md`` section 3.6 [S] where it gives a number or a relation; standard
adult anatomy otherwise, tagged [U].

- Position: supine, knee flexed, foot flat [S]: the cadaver foot's own pose is kept.
- Joint space: the real bone-to-bone gap under the plafond (both cartilages; about 2 mm in
  both bodies) is grade 0; Kellgren-Lawrence grades 1-4 keep the fraction of it that
  ``JOINT_SPACE_BY_KL_MM`` keeps of 3.0 mm [U], the leg moving down onto the talus by the
  rest (``narrowing_mm``).
- Anterior recess: fluid 1.5 mm + effusion under the intra-articular fat pad (3 mm over the
  apex) and the capsule (1.3 mm) in the V between the anterior tibial lip and the talar dome
  [S: the sonographic target]; pre-capsular fat fills the space between the capsule and the
  deep fascia beside the tendons [U]; the approach is sagittal between tibialis anterior
  and extensor hallucis longus, over the flat of the dome (``ankle_soft.approach_x_ref``) [S].
- Tendons at the joint line [U]: tibialis anterior 9 x 4.5 mm, extensor hallucis longus
  7 x 4 mm, extensor digitorum longus 12 x 4 mm (female; x 1.1 male); the anterior tibial
  artery (2.8 mm) with two venae comitantes (2.2 mm) and the deep peroneal nerve
  (2.6 x 1.6 mm) lie between the EHL and the EDL, lateral to tibialis anterior [S]; the
  superficial peroneal nerve (2 mm) runs in the fat anterolaterally [S]; great saphenous vein
  3.5 mm in front of the medial malleolus [U].
- Muscle [U]: the real muscles' cross-sections scale by 1 + 0.005 (BMI - 27) (about -5 % at
  BMI 18, +7 % at BMI 40; the Visible Human bodies are taken as BMI 27).
- Subcutaneous fat over the anterior ankle [U]: female 2.5 + 0.28 (BMI - 18) mm, male
  2 + 0.22 (BMI - 18) mm, about 5 mm at BMI 27; with skin, fat pad and capsule the recess lies
  1-2.5 cm deep for BMI 18-40 (clinical.md scenario range [U]).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.anatomy.generators.variation import bmi_fat_mm, standard_draws
from simulator.anatomy.patient import PatientParams
from simulator.anatomy.real.ankle_real import real_ankle

JOINT_SPACE_BY_KL_MM = (3.0, 2.6, 2.0, 1.2, 0.5)
MALE_SCALE = 1.1
NORMAL_RECESS_MM = 1.5
REFERENCE_BMI = 27.0
MUSCLE_PER_BMI = 0.005


@dataclass(frozen=True)
class AnkleParams:
    """Drawn dimensions of one ankle (lengths in mm)."""

    side: str
    sex: str
    size: float                   # body size: the real bones' scale
    scale: float                  # soft-tissue scale: size, x 1.1 for a male
    joint_space_mm: float         # bone-to-bone under the plafond, after narrowing
    narrowing_mm: float           # joint space lost to osteoarthritis
    muscle_scale: float           # the real muscles' cross-sections, by BMI
    recess_mm: float
    fat_pad_mm: float
    capsule_mm: float
    ta_tendon_mm: tuple[float, float]    # width, thickness
    ehl_tendon_mm: tuple[float, float]
    edl_tendon_mm: tuple[float, float]
    artery_diameter_mm: float
    vein_diameter_mm: float
    deep_peroneal_mm: tuple[float, float]
    superficial_peroneal_mm: float
    saphenous_vein_mm: float
    fat_anterior_mm: float
    fat_lateral_mm: float
    fat_medial_mm: float
    fat_posterior_mm: float
    skin_mm: float
    bundle_shift_mm: float        # lateral shift of the artery and nerve between EHL and EDL


def draw_ankle_params(patient: PatientParams, seed: int) -> AnkleParams:
    """Draw the dimensions of one ankle for ``patient`` from ``seed`` (pure)."""
    z = standard_draws(seed, 12)  # fixed order: one slot per quantity
    size = 1.0 + 0.03 * z[0]
    sc = size * (1.0 if patient.sex == "female" else MALE_SCALE)
    real_space = real_ankle(patient.sex, patient.side).marks.joint_space_mm * size
    js = real_space * JOINT_SPACE_BY_KL_MM[patient.oa_grade] / JOINT_SPACE_BY_KL_MM[0]
    fat = bmi_fat_mm(patient.sex, patient.bmi, female=(2.5, 0.28), male=(2.0, 0.22),
                     floor_mm=2.0) * (1.0 + 0.05 * z[2])
    return AnkleParams(
        side=patient.side,
        sex=patient.sex,
        size=size,
        scale=sc,
        joint_space_mm=js,
        narrowing_mm=real_space - js,
        muscle_scale=1.0 + MUSCLE_PER_BMI * (patient.bmi - REFERENCE_BMI),
        recess_mm=NORMAL_RECESS_MM + patient.effusion_mm,
        fat_pad_mm=3.0 * sc * (1.0 + 0.08 * z[5]),
        capsule_mm=1.3,
        ta_tendon_mm=(9.0 * sc, 4.5 * (1.0 + 0.05 * z[6])),
        ehl_tendon_mm=(7.0 * sc, 4.0),
        edl_tendon_mm=(12.0 * sc, 4.0),
        artery_diameter_mm=2.8 * (1.0 + 0.05 * z[7]),
        vein_diameter_mm=2.2,
        deep_peroneal_mm=(2.6, 1.6),
        superficial_peroneal_mm=2.0,
        saphenous_vein_mm=3.5 * (1.0 + 0.05 * z[8]),
        fat_anterior_mm=fat,
        fat_lateral_mm=1.1 * fat,
        fat_medial_mm=1.1 * fat,
        fat_posterior_mm=1.6 * fat,
        skin_mm=1.6,
        bundle_shift_mm=0.8 * z[9],
    )
