"""The numbers behind one generated knee: patient parameters plus seeded variation.

``draw_knee_params(patient, seed)`` is pure: one ``numpy.random.default_rng(seed)`` stream
drawn in a fixed order, so a seed gives the same relative variation for every patient.

Sources: ``/work/shared/clinical.md`` section 3.2 [S] where it gives a number; standard adult
anatomy otherwise, tagged [U] (recalled textbook/US values, not verified in clinical.md).

- Bones, cartilage, ligaments, menisci and muscles: the real Visible Human knee of the
  patient's sex and side (``knee_real``), in the cadaver's pose (2-13 deg of flexion; the
  clinical position is 20-30 deg on a pillow [S]), scaled by ``size`` (+-3 % per seed).
- Joint space [U]: tibiofemoral, bone to bone (femoral + tibial cartilage) by
  Kellgren-Lawrence grade 0-4: 5.0, 4.3, 3.3, 2.0, 0.8 mm.
- Suprapatellar recess: fluid depth 2 mm + effusion; >= 5 mm suggests an effusion [S].
  Prefemoral fat pad 7 mm, suprapatellar (quadriceps) fat pad 5 mm [U].
- Tendons [U]: quadriceps 6.5 x 32 mm (F) / 7.5 x 36 mm (M); patellar 4.5 x 25 / 5 x 28 mm.
- Subcutaneous fat over the anterior knee [U]: female 2 + 0.45 (BMI - 18) mm, male
  1.5 + 0.35 (BMI - 18) mm (>= 2 mm), about 6.5 mm at BMI 28; lateral x 1.1, medial x 1.6
  (medial fat pad), posterior x 1.3. With skin, tendon and fat pad the recess then lies
  1-3 cm deep for BMI 18-40 (clinical.md scenario range 1-3 cm [U]).
- Popliteal artery 5.5 / 6.3 mm, vein 7.5 / 8.5 mm, tibial nerve 5 x 3 mm, common peroneal
  nerve 3.5 x 2.2 mm, great saphenous vein 4 mm [U].
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.anatomy.generators.variation import bmi_fat_mm, standard_draws
from simulator.anatomy.patient import PatientParams

JOINT_SPACE_BY_KL_MM = (5.0, 4.3, 3.3, 2.0, 0.8)
NORMAL_RECESS_MM = 2.0


@dataclass(frozen=True)
class KneeParams:
    """Drawn dimensions of one knee (angles in degrees, lengths in mm)."""

    side: str
    sex: str
    size: float                   # uniform scale of the real bones
    joint_space_mm: float         # tibiofemoral, bone to bone
    pf_gap_mm: float              # fluid film between patellar and trochlear cartilage
    synovial_mm: float            # fluid film elsewhere in the joint
    recess_mm: float              # suprapatellar recess fluid depth
    capsule_mm: float
    prefemoral_fat_mm: float
    suprapatellar_fat_mm: float
    quad_tendon_mm: tuple[float, float]      # thickness, width
    patellar_tendon_mm: tuple[float, float]  # thickness, width
    fat_anterior_mm: float
    fat_lateral_mm: float
    fat_medial_mm: float
    fat_posterior_mm: float
    skin_mm: float
    artery_diameter_mm: float
    vein_diameter_mm: float
    tibial_nerve_mm: tuple[float, float]
    peroneal_nerve_mm: tuple[float, float]
    saphenous_vein_mm: float
    vessel_jitter_mm: tuple[float, float, float]


def draw_knee_params(patient: PatientParams, seed: int) -> KneeParams:
    """Draw the dimensions of one knee for ``patient`` from ``seed`` (pure)."""
    z = standard_draws(seed, 16)  # fixed order: one slot per quantity
    female = patient.sex == "female"
    sc = 1.0 + 0.03 * z[0]
    eff = patient.effusion_mm
    fat = bmi_fat_mm(patient.sex, patient.bmi, female=(2.0, 0.45), male=(1.5, 0.35),
                     floor_mm=2.0) * (1.0 + 0.05 * z[2])
    return KneeParams(
        side=patient.side,
        sex=patient.sex,
        size=sc,
        joint_space_mm=JOINT_SPACE_BY_KL_MM[patient.oa_grade] * (1.0 + 0.05 * z[1]),
        pf_gap_mm=0.8 + 0.25 * eff,
        synovial_mm=0.8 + 0.15 * eff,
        recess_mm=NORMAL_RECESS_MM + eff,
        capsule_mm=1.6,
        prefemoral_fat_mm=7.0 * sc * (1.0 + 0.08 * z[7]),
        suprapatellar_fat_mm=5.0 * sc * (1.0 + 0.08 * z[8]),
        quad_tendon_mm=((6.5 if female else 7.5) * (1.0 + 0.05 * z[9]),
                        (32.0 if female else 36.0) * sc),
        patellar_tendon_mm=((4.5 if female else 5.0) * (1.0 + 0.05 * z[10]),
                            (25.0 if female else 28.0) * sc),
        fat_anterior_mm=fat,
        fat_lateral_mm=1.1 * fat,
        fat_medial_mm=1.6 * fat,
        fat_posterior_mm=1.3 * fat,
        skin_mm=1.8,
        artery_diameter_mm=(5.5 if female else 6.3) * (1.0 + 0.05 * z[11]),
        vein_diameter_mm=(7.5 if female else 8.5) * (1.0 + 0.05 * z[12]),
        tibial_nerve_mm=(5.0, 3.0),
        peroneal_nerve_mm=(3.5, 2.2),
        saphenous_vein_mm=4.0,
        vessel_jitter_mm=(1.5 * z[13], 1.5 * z[14], 1.0 * z[15]),
    )
