"""The numbers behind one generated shoulder: patient parameters plus seeded variation.

``draw_shoulder_params(patient, seed)`` is pure. All random numbers come from one
``numpy.random.default_rng(seed)`` stream drawn in a fixed order (independent of the patient),
so one seed gives the same *relative* variation for every patient and both sides.

Reference values (``/work/shared/clinical.md`` s.3.3-3.4 where given; [U] = standard adult
anatomy or a design choice, not sourced there):

- Skin to posterior capsule 43.5 mm (24-58) (clinical.md s.3.3, arthroscopic, n = 79): the
  posterior soft tissue is skin 2 mm + fat + posterior deltoid + infraspinatus.
- Humeral head radius of curvature 22 mm (F) / 24.5 mm (M); head cartilage 1.3 mm, glenoid
  cartilage 1.6 mm, a 0.6 mm synovial film between them; by Kellgren-Lawrence grade 0-4 the
  cartilage keeps 100, 85, 60, 35, 10 % of its thickness [U].
- Glenoid 33 x 24 mm (F) / 38 x 28 mm (M), pear-shaped; 6 deg retroversion and 5 deg
  superior tilt from a scapular plane 30 deg anterior to the coronal plane [U].
- Head articular surface 80 deg about its pole; with the arm resting by the side (lateral
  decubitus, arm adducted) the pole lies 35 deg above the glenoid axis [U].
- Labrum 3.5 mm high, 4.5 mm wide; capsule 1.5 mm; synovial gap 0.8 mm, posterior recess
  2.0 mm plus any effusion (patient ``effusion_mm``) [U].
- Acromion 1.8 mm above the bursa (acromiohumeral distance about 12 mm, normal 7-14 mm);
  supraspinatus tendon 5.5 mm thick, infraspinatus and subscapularis tendons 5 mm;
  subacromial-subdeltoid bursa 1.5 mm (normal < 2 mm) plus half the effusion (bursitis) [U].
- Posterior deltoid 14 mm (F) / 17 mm (M), infraspinatus over the posterior joint 12 / 14 mm;
  subcutaneous fat over the posterior and lateral shoulder 3.5 + 0.6 (BMI - 18) mm (F),
  2.5 + 0.45 (BMI - 18) mm (M), at least 2 mm [U]: 9 / 6.5 mm at BMI 27.
- Suprascapular nerve at the spinoglenoid notch 18 mm medial to the posterior glenoid rim;
  axillary nerve and posterior circumflex humeral artery through the quadrilateral space
  10 mm below the inferior glenoid rim (5-7 cm below the acromion), round the surgical neck
  [U] (clinical.md s.6, gap 8).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.anatomy.generators.variation import bmi_fat_mm, standard_draws
from simulator.anatomy.patient import PatientParams

CARTILAGE_BY_KL = (1.0, 0.85, 0.6, 0.35, 0.1)
FEMALE_HEAD_RADIUS_MM = 22.0
MALE_HEAD_RADIUS_MM = 24.5


@dataclass(frozen=True)
class ShoulderParams:
    """Drawn dimensions of one shoulder (angles in degrees, lengths in mm)."""

    side: str
    sex: str
    half_width_mm: float            # midline to humeral head centre
    head_radius_mm: float
    head_cartilage_mm: float
    glenoid_cartilage_mm: float
    film_mm: float                  # synovial film between the cartilage layers
    glenoid_height_mm: float
    glenoid_width_mm: float
    glenoid_version_deg: float      # negative = retroversion
    glenoid_inclination_deg: float  # superior tilt
    scapular_plane_deg: float       # scapular plane anterior to the coronal plane
    head_tilt_deg: float            # head pole above the glenoid axis
    labrum_height_mm: float
    labrum_width_mm: float
    capsule_mm: float
    synovial_mm: float
    recess_mm: float                # posterior recess, capsule to head cartilage
    supraspinatus_tendon_mm: float
    infraspinatus_tendon_mm: float
    subscapularis_tendon_mm: float
    bursa_mm: float
    deltoid_mm: float               # posterior deltoid thickness
    infraspinatus_mm: float         # infraspinatus over the posterior joint
    fat_posterior_mm: float
    fat_lateral_mm: float
    fat_anterior_mm: float
    skin_mm: float
    spinoglenoid_mm: float          # posterior glenoid rim to the suprascapular nerve
    axillary_below_glenoid_mm: float    # axillary nerve below the inferior glenoid rim
    nerve_radius_mm: float
    artery_radius_mm: float
    vein_radius_mm: float

    @property
    def bone_scale(self) -> float:
        """Bone size relative to the reference female (head radius 22 mm)."""
        return self.head_radius_mm / FEMALE_HEAD_RADIUS_MM


def draw_shoulder_params(patient: PatientParams, seed: int) -> ShoulderParams:
    """Draw the dimensions of one shoulder for ``patient`` from ``seed`` (pure)."""
    z = standard_draws(seed, 16)  # fixed order: one slot per quantity
    female = patient.sex == "female"
    radius = (FEMALE_HEAD_RADIUS_MM if female else MALE_HEAD_RADIUS_MM) * (1 + 0.025 * z[0])
    sc = radius / FEMALE_HEAD_RADIUS_MM
    kl = CARTILAGE_BY_KL[patient.oa_grade]
    fat = bmi_fat_mm(patient.sex, patient.bmi, female=(3.5, 0.6), male=(2.5, 0.45),
                     floor_mm=2.0) * (1.0 + 0.06 * z[1])
    return ShoulderParams(
        side=patient.side,
        sex=patient.sex,
        half_width_mm=(160.0 if female else 178.0) * (1.0 + 0.015 * z[2]),
        head_radius_mm=radius,
        head_cartilage_mm=1.3 * kl,
        glenoid_cartilage_mm=1.6 * kl,
        film_mm=0.6,
        glenoid_height_mm=(33.0 if female else 38.0) * (1.0 + 0.03 * z[3]),
        glenoid_width_mm=(24.0 if female else 28.0) * (1.0 + 0.03 * z[4]),
        glenoid_version_deg=-6.0 + 2.5 * z[5],
        glenoid_inclination_deg=5.0 + 2.0 * z[6],
        scapular_plane_deg=30.0 + 3.0 * z[7],
        head_tilt_deg=35.0,
        labrum_height_mm=3.5,
        labrum_width_mm=4.5,
        capsule_mm=1.5,
        synovial_mm=0.8,
        recess_mm=2.0 + patient.effusion_mm,
        supraspinatus_tendon_mm=5.5 * (1.0 + 0.05 * z[9]),
        infraspinatus_tendon_mm=5.0,
        subscapularis_tendon_mm=5.0,
        bursa_mm=1.5 + 0.5 * patient.effusion_mm,
        deltoid_mm=(14.0 if female else 17.0) * (1.0 + 0.06 * z[10]),
        infraspinatus_mm=(12.0 if female else 14.0) * (1.0 + 0.06 * z[11]),
        fat_posterior_mm=fat,
        fat_lateral_mm=fat * (1.0 + 0.03 * z[12]),
        fat_anterior_mm=fat * 1.1,
        skin_mm=2.0,
        spinoglenoid_mm=18.0 * sc + 1.5 * z[13],
        axillary_below_glenoid_mm=10.0 * sc + 2.0 * z[14],
        nerve_radius_mm=1.4,
        artery_radius_mm=1.6,
        vein_radius_mm=2.5,
    )
