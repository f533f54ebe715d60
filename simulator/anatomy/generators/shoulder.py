"""Procedural shoulder model for ultrasound-guided glenohumeral and subacromial injections.

``build(patient, seed)`` draws the dimensions (``shoulder_params``), derives the axes
(``shoulder_frame``), builds overlapping primitive shapes for every structure
(``shoulder_bones``, ``shoulder_joint``, ``shoulder_cuff``, ``shoulder_soft``, body layers
from ``body``), resolves them by priority into pairwise-disjoint closed surfaces
(``assembly``) and mirrors the right-side model for a left shoulder. World frame: patient RAS
mm, the humeral head centre at ``(+-half_width, 0, 0)``.

Targets: ``posterior_recess`` (posterior approach to the glenohumeral joint, landmark
``target_posterior_recess`` between the posterior labrum and the head cartilage) and
``subacromial_bursa`` (landmark ``target_subacromial_bursa`` over the greater tuberosity).
Skin landmarks for the probe and the entry zone: ``posterior_skin_over_joint``,
``posterior_entry_skin`` (posterolateral, for the lateral-to-medial in-plane needle),
``skin_over_bursa`` (superolateral, lateral of the acromion) and ``lateral_entry_skin``
(distal-lateral, for the bursa).
"""

from __future__ import annotations

import numpy as np

from simulator.anatomy.generated import GeneratedModel
from simulator.anatomy.generators.assembly import assemble_patient, resolve, table_parts
from simulator.anatomy.generators.body import LAYER_STRUCTURES, FatProfile, build_layers
from simulator.anatomy.generators.primitives import entry_point, union, unit_rows
from simulator.anatomy.generators.shoulder_bones import clavicle, humerus, scapula
from simulator.anatomy.generators.shoulder_cuff import biceps_tendon, bursa, tendons
from simulator.anatomy.generators.shoulder_frame import shoulder_frame
from simulator.anatomy.generators.shoulder_joint import Joint, cartilage_and_labrum, joint_spaces
from simulator.anatomy.generators.shoulder_params import draw_shoulder_params
from simulator.anatomy.generators.shoulder_soft import (
    cuff_muscles,
    deltoid,
    neurovascular,
    shoulder_outline,
)
from simulator.anatomy.patient import PatientParams

GENERATOR_VERSION = 3  # 3: anatomical bones (tuberosities, groove, plate acromion, blade)
ENTRY_FROM_POSTERIOR_DEG = 50.0  # posterior entry: this far round from straight back, laterally
BURSA_ENTRY_BELOW_DEG = 45.0     # bursa entry: this far below lateral in the scapular plane

# name: (tissue, role, colour, priority). Higher priority wins where primitive shapes overlap:
# bone > cartilage > biceps tendon (intra-articular) > joint spaces > bursa > capsule >
# tendons > vessels > nerves > muscles.
STRUCTURES = {
    "humerus_marrow": ("cancellous_bone", "bone", "#d9b98c", 100),
    "humerus": ("cortical_bone", "bone", "#f2ead2", 99),
    "scapula_marrow": ("cancellous_bone", "bone", "#d4b48a", 98),
    "scapula": ("cortical_bone", "bone", "#eee3c6", 97),
    "clavicle_marrow": ("cancellous_bone", "bone", "#d1b088", 96),
    "clavicle": ("cortical_bone", "bone", "#ece0c0", 95),
    "humeral_head_cartilage": ("hyaline_cartilage", "cartilage", "#a9c9ea", 94),
    "glenoid_cartilage": ("hyaline_cartilage", "cartilage", "#94b8e0", 93),
    "glenoid_labrum": ("labrum", "cartilage", "#7fa6d4", 92),
    "biceps_long_head_tendon": ("tendon", "tendon", "#e0dcc8", 91),
    "posterior_recess": ("synovial_fluid", "joint_cavity", "#22d3ee", 90),
    "glenohumeral_cavity": ("synovial_fluid", "joint_cavity", "#67e8f9", 89),
    "subacromial_bursa": ("bursa", "bursa", "#a78bfa", 88),
    "joint_capsule": ("joint_capsule", "capsule", "#e5e7e0", 87),
    "supraspinatus_tendon": ("tendon", "tendon", "#d6d3c4", 86),
    "infraspinatus_tendon": ("tendon", "tendon", "#cfcbb8", 85),
    "subscapularis_tendon": ("tendon", "tendon", "#c9c5b0", 84),
    "posterior_circumflex_humeral_artery": ("arterial_blood", "artery", "#d62828", 80),
    "cephalic_vein": ("venous_blood", "vein", "#2b4fc7", 79),
    "suprascapular_nerve": ("nerve", "nerve", "#f2cf1d", 78),
    "axillary_nerve": ("nerve", "nerve", "#fbe04a", 77),
    "supraspinatus": ("muscle", "soft_tissue", "#b35846", 60),
    "infraspinatus": ("muscle", "soft_tissue", "#a3382f", 59),
    "subscapularis": ("muscle", "soft_tissue", "#8a3529", 58),
    "teres_minor": ("muscle", "soft_tissue", "#9b4a3a", 57),
    "deltoid": ("muscle", "soft_tissue", "#c4633f", 56),
    **LAYER_STRUCTURES,
}


def build(patient: PatientParams, seed: int) -> GeneratedModel:
    """Generate the shoulder model for ``patient`` (pure and deterministic in its arguments)."""
    p = draw_shoulder_params(patient, seed)
    f = shoulder_frame(p)
    sc = f.sc
    joint = Joint(f)
    target = joint.target()
    arm = humerus(f, f.H[2] - 160.0 * sc)
    blade = scapula(f)
    collar = clavicle(f, blade.points["ac_facet"], f.H[0] - 130.0 * sc)
    cuff, fibres = tendons(f, joint, arm.outer)
    biceps, fibres["biceps_long_head_tendon"] = biceps_tendon(f)
    shapes = {"humerus_marrow": arm.marrow, "humerus": arm.outer,
              "scapula_marrow": blade.marrow, "scapula": blade.outer,
              "clavicle_marrow": collar.marrow, "clavicle": collar.outer,
              **cartilage_and_labrum(f, joint), **joint_spaces(f, joint), **cuff,
              "biceps_long_head_tendon": biceps}
    under = union([arm.outer, shapes["joint_capsule"], *cuff.values()])
    sac, bursa_target, bursa_view = bursa(f, under)
    shapes["subacromial_bursa"] = sac
    outline = shoulder_outline(f, target, bursa_target, bursa_view)
    layers = build_layers(
        outline, FatProfile(p.fat_lateral_mm, p.fat_anterior_mm, p.fat_anterior_mm,
                            p.fat_posterior_mm),
        skin_mm=p.skin_mm, z_lo_mm=f.H[2] - 160.0 * sc, z_hi_mm=f.H[2] + 75.0,
        x_min_mm=f.H[0] - 130.0 * sc)
    nerves, nerve_marks = neurovascular(f, joint, outline, blade.outer, arm.outer)
    shapes.update(nerves)
    shapes.update(cuff_muscles(f, joint))
    shapes["deltoid"] = deltoid(f, blade.points["acromion_lateral"], f.scap(-70, 12, 26))
    shapes.update(layers.shapes())

    fibres["joint_capsule"] = tuple(float(c) for c in -f.g)
    fibres["deltoid"] = tuple(float(c) for c in -f.shaft)
    parts = table_parts(STRUCTURES, shapes, fibres, envelope=layers.envelope,
                        unconfined=LAYER_STRUCTURES)
    regions = resolve(parts, layers.body, keep_voids=True)  # the bones keep their marrow

    back = np.array([0.0, -1.0, 0.0])
    out_post = unit_rows(np.sin(np.radians(ENTRY_FROM_POSTERIOR_DEG)) * np.array([1.0, 0, 0])
                    + np.cos(np.radians(ENTRY_FROM_POSTERIOR_DEG)) * back)
    below = np.radians(BURSA_ENTRY_BELOW_DEG)
    out_lat = unit_rows(np.cos(below) * f.e1 - np.sin(below) * np.array([0.0, 0.0, 1.0]))
    landmarks = {
        "humeral_head_center": f.H,
        "glenoid_center": blade.points["glenoid_center"],
        "target_posterior_recess": target,
        "target_subacromial_bursa": bursa_target,
        "greater_tuberosity": arm.points["greater_tuberosity"],
        "lesser_tuberosity": arm.points["lesser_tuberosity"],
        "bicipital_groove": arm.points["bicipital_groove"],
        "acromion_angle": blade.points["acromion_angle"],
        "acromion_lateral": blade.points["acromion_lateral"],
        "coracoid_tip": blade.points["coracoid_tip"],
        "posterior_skin_over_joint": entry_point(layers.body, target, back, 250.0),
        "posterior_entry_skin": entry_point(layers.body, target, out_post, 250.0),
        "skin_over_bursa": entry_point(layers.body, bursa_target, bursa_view, 250.0),
        "lateral_entry_skin": entry_point(layers.body, bursa_target, out_lat, 250.0),
        **nerve_marks,
    }
    return assemble_patient("shoulder", GENERATOR_VERSION, patient, seed, regions, landmarks)
