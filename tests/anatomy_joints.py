"""The anatomy generators under test: for each joint, the structures and landmarks its model
must have and the patients its tests build (each varies what its tests need and nothing they
measure against each other)."""

from __future__ import annotations

from anatomy_probe import Joint

from simulator.anatomy.generators import ankle, hip, knee, shoulder, sij
from simulator.anatomy.generators.ankle_params import draw_ankle_params
from simulator.anatomy.generators.hip_params import draw_hip_params
from simulator.anatomy.generators.knee_params import draw_knee_params
from simulator.anatomy.generators.shoulder_params import draw_shoulder_params
from simulator.anatomy.generators.sij_params import draw_sij_params
from simulator.anatomy.patient import PatientParams

# the shoulder and SIJ scenarios' patient
SCENARIO_PATIENT = PatientParams(sex="female", bmi=27.0, side="right", oa_grade=1)

HIP = Joint("hip", hip.build, draw_hip_params, patients={
    "default": PatientParams(),
    "bmi40": PatientParams(bmi=40.0),
    "male": PatientParams(sex="male"),
    "left": PatientParams(side="left"),
    # fat and cartilage, effusion and cartilage are independent: six builds cover everything
    "bmi22_kl2": PatientParams(bmi=22.0, oa_grade=2),
    "kl4_effusion": PatientParams(oa_grade=4, effusion_mm=6.0),
}, names=frozenset({
    "skin", "subcutaneous_fat", "deep_tissue", "iliopsoas", "sartorius", "rectus_femoris",
    "gluteus_minimus", "gluteus_medius", "gluteus_maximus", "tensor_fasciae_latae",
    "pectineus", "obturator_externus", "iliofemoral_ligament",
    "joint_capsule", "anterior_recess", "synovial_cavity", "femoral_head_cartilage",
    "acetabular_cartilage", "labrum", "femur", "femur_marrow", "pelvis", "pelvis_marrow",
    "femoral_artery", "femoral_vein", "femoral_nerve", "lateral_femoral_cutaneous_nerve",
    "lateral_circumflex_femoral_artery", "iliotibial_band", "gluteus_medius_tendon",
    "trochanteric_bursa",
}), landmarks=frozenset({
    "femoral_head_center", "femoral_neck_base", "target_anterior_recess",
    "target_lateral_head_neck", "femoral_head_neck_junction", "greater_trochanter_tip",
    "lesser_trochanter", "asis", "aiis", "pubic_tubercle", "ischial_tuberosity", "teardrop",
    "femoral_artery_at_head", "femoral_nerve_at_head", "lfcn_at_asis",
    "target_trochanteric_bursa", "lateral_skin_over_trochanter",
}), roles={
    "joint_cavity": ("anterior_recess",), "bursa": ("trochanteric_bursa",),
    "tendon": ("iliotibial_band", "gluteus_medius_tendon"),
}, tissues={"arterial_blood": ("femoral_artery",), "bursa": ("trochanteric_bursa",)}, fibred=(
    "iliofemoral_ligament", "joint_capsule", "iliotibial_band", "gluteus_medius_tendon",
))

KNEE = Joint("knee", knee.build, draw_knee_params, patients={
    "default": PatientParams(),
    "bmi18": PatientParams(bmi=18.0),
    "bmi40": PatientParams(bmi=40.0),
    "male": PatientParams(sex="male"),
    "male_bmi18": PatientParams(sex="male", bmi=18.0),
    "male_bmi40": PatientParams(sex="male", bmi=40.0),
    "left": PatientParams(side="left"),
    # cartilage and effusion are independent of each other: one build covers both
    "kl4_effusion6": PatientParams(oa_grade=4, effusion_mm=6.0),
}, names=frozenset({
    "femur", "femur_marrow", "patella", "patella_marrow", "tibia", "tibia_marrow", "fibula",
    "fibula_marrow", "femoral_cartilage", "patellar_cartilage", "tibial_cartilage", "menisci",
    "cruciate_ligaments", "quadriceps_tendon", "patellar_tendon", "suprapatellar_fat_pad",
    "prefemoral_fat_pad", "infrapatellar_fat_pad", "patellofemoral_space",
    "suprapatellar_recess", "synovial_cavity", "joint_capsule", "iliotibial_band",
    "popliteal_artery", "popliteal_vein", "great_saphenous_vein", "tibial_nerve",
    "common_peroneal_nerve", "vastus_intermedius", "vastus_lateralis",
    "vastus_medialis", "biceps_femoris", "semimembranosus", "gastrocnemius",
    "tibialis_anterior", "sartorius", "gracilis", "semitendinosus", "popliteus", "plantaris",
    "collateral_ligaments", "deep_tissue", "subcutaneous_fat", "skin",
}), landmarks=frozenset({
    "knee_joint_center", "patella_center", "target_suprapatellar_recess",
    "target_patellofemoral", "superior_patellar_pole", "suprapatellar_skin",
    "lateral_patellar_skin", "tibial_tuberosity", "fibular_head", "lateral_epicondyle",
    "medial_epicondyle", "popliteal_artery_at_joint", "tibial_nerve_at_joint",
    "peroneal_nerve_at_fibular_neck",
}), roles={
    "joint_cavity": ("suprapatellar_recess", "patellofemoral_space", "synovial_cavity"),
    "soft_tissue": ("suprapatellar_fat_pad", "prefemoral_fat_pad", "infrapatellar_fat_pad"),
    "tendon": ("quadriceps_tendon", "patellar_tendon"),
}, tissues={
    "subcutaneous_fat": ("suprapatellar_fat_pad", "prefemoral_fat_pad", "infrapatellar_fat_pad"),
}, fibred=("quadriceps_tendon", "patellar_tendon"))

ANKLE = Joint("ankle", ankle.build, draw_ankle_params, patients={
    "default": PatientParams(),
    "bmi18": PatientParams(bmi=18.0),
    "bmi40": PatientParams(bmi=40.0),
    "left": PatientParams(side="left"),
    "male": PatientParams(sex="male"),
    # cartilage and effusion are independent of each other: one build covers both
    "kl4_effusion5": PatientParams(oa_grade=4, effusion_mm=5.0),
}, names=frozenset({
    "tibia", "tibia_marrow", "fibula", "fibula_marrow", "talus", "talus_marrow", "calcaneus",
    "calcaneus_marrow", "navicular", "navicular_marrow", "talar_cartilage",
    "tibial_cartilage", "anterior_fat_pad", "anterior_recess", "joint_capsule",
    "tibialis_anterior_tendon", "extensor_hallucis_longus_tendon",
    "extensor_digitorum_longus_tendon", "anterior_tibial_artery", "anterior_tibial_veins",
    "great_saphenous_vein", "deep_peroneal_nerve", "superficial_peroneal_nerve",
    "saphenous_nerve", "tibialis_anterior", "extensor_hallucis_longus",
    "extensor_digitorum_longus", "peroneus_longus", "flexor_hallucis_longus", "soleus",
    "precapsular_fat_pad", "deep_tissue", "subcutaneous_fat", "skin", "achilles_tendon",
    "kager_fat_pad",
}), landmarks=frozenset({
    "ankle_joint_center", "talar_dome_top", "target_anterior_recess", "anterior_recess_skin",
    "medial_malleolus", "lateral_malleolus", "anterior_tibial_lip",
    "anterior_tibial_artery_at_joint", "deep_peroneal_nerve_at_joint",
}), roles={
    "joint_cavity": ("anterior_recess",), "soft_tissue": ("anterior_fat_pad",),
    "tendon": ("tibialis_anterior_tendon", "extensor_hallucis_longus_tendon",
               "extensor_digitorum_longus_tendon", "achilles_tendon"),
    "nerve": ("deep_peroneal_nerve",),
}, tissues={
    "subcutaneous_fat": ("anterior_fat_pad",), "arterial_blood": ("anterior_tibial_artery",),
}, fibred=(
    "tibialis_anterior_tendon", "extensor_hallucis_longus_tendon",
    "extensor_digitorum_longus_tendon", "achilles_tendon",
))

SHOULDER = Joint("shoulder", shoulder.build, draw_shoulder_params, patients={
    "default": SCENARIO_PATIENT,
    "thin_kl3": PatientParams(bmi=20.0, oa_grade=3),
    "bmi40_effusion": PatientParams(bmi=40.0, oa_grade=1, effusion_mm=4.0),
    "male": PatientParams(sex="male", oa_grade=1),
    "left": PatientParams(side="left", oa_grade=1),
    "extreme": PatientParams(sex="male", bmi=45.0, oa_grade=4, effusion_mm=8.0, side="left"),
}, names=frozenset({
    "humerus_marrow", "humerus", "scapula_marrow", "scapula", "clavicle_marrow", "clavicle",
    "humeral_head_cartilage", "glenoid_cartilage", "glenoid_labrum", "biceps_long_head_tendon",
    "posterior_recess", "glenohumeral_cavity", "subacromial_bursa", "joint_capsule",
    "supraspinatus_tendon",
    "infraspinatus_tendon", "subscapularis_tendon", "posterior_circumflex_humeral_artery",
    "cephalic_vein", "suprascapular_nerve", "axillary_nerve", "supraspinatus", "infraspinatus",
    "subscapularis", "teres_minor", "deltoid", "deep_tissue", "subcutaneous_fat", "skin",
}), landmarks=frozenset({
    "humeral_head_center", "glenoid_center", "target_posterior_recess",
    "target_subacromial_bursa", "greater_tuberosity", "lesser_tuberosity", "bicipital_groove",
    "acromion_angle",
    "acromion_lateral", "coracoid_tip", "posterior_skin_over_joint", "posterior_entry_skin",
    "skin_over_bursa", "lateral_entry_skin", "suprascapular_nerve_at_notch",
    "axillary_nerve_posterior",
}), roles={
    "joint_cavity": ("posterior_recess", "glenohumeral_cavity"), "bursa": ("subacromial_bursa",),
    "tendon": ("supraspinatus_tendon", "infraspinatus_tendon", "subscapularis_tendon",
               "biceps_long_head_tendon"),
    "nerve": ("suprascapular_nerve",), "artery": ("posterior_circumflex_humeral_artery",),
}, tissues={"bursa": ("subacromial_bursa",)}, fibred=(
    "supraspinatus_tendon", "infraspinatus_tendon", "subscapularis_tendon",
    "biceps_long_head_tendon",
))

SIJ = Joint("sij", sij.build, draw_sij_params, patients={
    "default": SCENARIO_PATIENT,
    "thin_kl3": PatientParams(bmi=20.0, oa_grade=3),
    "bmi40": PatientParams(bmi=40.0, oa_grade=1),
    "male": PatientParams(sex="male", oa_grade=1),
    "left": PatientParams(side="left", oa_grade=1),
    "extreme": PatientParams(sex="male", bmi=45.0, oa_grade=4, effusion_mm=8.0, side="left"),
}, names=frozenset({
    "sacrum_marrow", "sacrum", "ilium_marrow", "ilium", "contralateral_ilium_marrow",
    "contralateral_ilium", "sacroiliac_joint",
    "contralateral_sacroiliac_joint", "sacroiliac_capsule", "posterior_sacroiliac_ligaments",
    "contralateral_sacroiliac_ligaments", "internal_iliac_artery", "internal_iliac_vein",
    "s1_nerve_root", "lumbosacral_trunk", "presacral_space", "psoas", "iliacus",
    "erector_spinae", "gluteus_maximus", "gluteus_medius", "deep_tissue", "subcutaneous_fat",
    "skin",
}), landmarks=frozenset({
    "target_sij_inferior", "sij_caudal_margin", "sij_centre", "sij_isocentre",
    "posterior_skin_over_sij", "sij_entry_skin", "psis", "piis", "s1_foramen",
    "sacral_promontory", "s1_root_at_foramen", "internal_iliac_artery_at_joint",
}), roles={
    "joint_cavity": ("sacroiliac_joint",), "capsule": ("sacroiliac_capsule",),
    "nerve": ("s1_nerve_root", "lumbosacral_trunk"), "artery": ("internal_iliac_artery",),
    "vein": ("internal_iliac_vein",),
}, tissues={"subcutaneous_fat": ("presacral_space",)})

JOINTS = {j.name: j for j in (HIP, KNEE, ANKLE, SHOULDER, SIJ)}
