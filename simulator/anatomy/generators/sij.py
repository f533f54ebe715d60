"""Procedural sacroiliac model for fluoroscopy-guided sacroiliac joint injection (prone).

``build(patient, seed)`` draws the dimensions (``sij_params``), derives the sacral axis and
the joint plane (``sij_frame``), builds overlapping primitive shapes for every structure
(``sij_bones``, ``sij_soft``, body layers from ``body``), resolves them by priority into
pairwise-disjoint closed surfaces (``assembly``) and mirrors the right-side model for a left
joint. World frame: patient RAS mm, origin at the centre of the S1 upper endplate.

Target: ``sacroiliac_joint`` at ``target_sij_inferior`` (inferior posterior joint, 15 mm
cranial of the caudal margin ``sij_caudal_margin``). ``sij_isocentre`` centres the C-arm on
the lower joint; ``posterior_skin_over_sij`` is the skin straight behind the target and
``sij_entry_skin`` where a needle down the joint plane enters.
"""

from __future__ import annotations

import numpy as np

from simulator.anatomy.generated import GeneratedModel
from simulator.anatomy.generators.assembly import assemble_patient, resolve, table_parts
from simulator.anatomy.generators.body import LAYER_STRUCTURES, FatProfile, build_layers
from simulator.anatomy.generators.primitives import entry_point, unit_rows
from simulator.anatomy.generators.sij_bones import ilium, l5, sacrum
from simulator.anatomy.generators.sij_frame import sij_frame
from simulator.anatomy.generators.sij_params import draw_sij_params
from simulator.anatomy.generators.sij_soft import joint_parts, muscles, neurovascular, sij_outline
from simulator.anatomy.patient import PatientParams

GENERATOR_VERSION = 1
MEDIAL_CUT_MM = -150.0   # the body reaches this far across the midline (both joints in view)
NEEDLE_TILT_DEG = 20.0   # entry landmark: a needle in the joint plane, this far cephalad of W

# name: (tissue, role, colour, priority). Higher priority wins where primitive shapes overlap:
# bone > joint spaces > capsule > ligaments > vessels > nerves > presacral fat > muscles.
STRUCTURES = {
    "sacrum_marrow": ("cancellous_bone", "bone", "#d9b98c", 100),
    "sacrum": ("cortical_bone", "bone", "#f2ead2", 99),
    "ilium_marrow": ("cancellous_bone", "bone", "#d4b48a", 98),
    "ilium": ("cortical_bone", "bone", "#eee3c6", 97),
    "contralateral_ilium_marrow": ("cancellous_bone", "bone", "#d1b088", 96),
    "contralateral_ilium": ("cortical_bone", "bone", "#ece0c0", 95),
    "l5_marrow": ("cancellous_bone", "bone", "#cfae86", 94),
    "l5_vertebra": ("cortical_bone", "bone", "#e9dcbd", 93),
    "sacroiliac_joint": ("synovial_fluid", "joint_cavity", "#22d3ee", 90),
    "contralateral_sacroiliac_joint": ("synovial_fluid", "joint_cavity", "#67e8f9", 89),
    "sacroiliac_capsule": ("joint_capsule", "capsule", "#e5e7e0", 88),
    "posterior_sacroiliac_ligaments": ("ligament", "tendon", "#c8ccc4", 87),
    "contralateral_sacroiliac_ligaments": ("ligament", "tendon", "#c3c7bf", 86),
    "internal_iliac_artery": ("arterial_blood", "artery", "#d62828", 80),
    "internal_iliac_vein": ("venous_blood", "vein", "#2b4fc7", 79),
    "s1_nerve_root": ("nerve", "nerve", "#f2cf1d", 78),
    "lumbosacral_trunk": ("nerve", "nerve", "#fbe04a", 77),
    "presacral_space": ("subcutaneous_fat", "soft_tissue", "#f5e6a8", 70),
    "piriformis": ("muscle", "soft_tissue", "#9b4a3a", 62),
    "psoas": ("muscle", "soft_tissue", "#8a3529", 61),
    "iliacus": ("muscle", "soft_tissue", "#a3382f", 60),
    "erector_spinae": ("muscle", "soft_tissue", "#b35846", 59),
    "gluteus_maximus": ("muscle", "soft_tissue", "#a4443a", 58),
    "gluteus_medius": ("muscle", "soft_tissue", "#c4633f", 57),
    **LAYER_STRUCTURES,
}


def build(patient: PatientParams, seed: int) -> GeneratedModel:
    """Generate the sacroiliac model for ``patient`` (pure and deterministic in its arguments)."""
    p = draw_sij_params(patient, seed)
    f = sij_frame(p)
    sc = f.sc
    sac = sacrum(f)
    right, left = ilium(f)
    lumbar = l5(f)
    bone = np.concatenate([np.asarray(b.outer.to_mesh().vert_properties)[:, :3]
                           for b in (sac, right, left, lumbar)])
    outline = sij_outline(f, bone[bone[:, 1] < 0.0])
    layers = build_layers(
        outline, FatProfile(p.fat_lateral_mm, p.fat_anterior_mm, p.fat_lateral_mm,
                            p.fat_posterior_mm),
        skin_mm=p.skin_mm, z_lo_mm=-140.0 * sc, z_hi_mm=75.0 * sc, x_min_mm=MEDIAL_CUT_MM)
    shapes = {"sacrum_marrow": sac.marrow, "sacrum": sac.outer,
              "ilium_marrow": right.marrow, "ilium": right.outer,
              "contralateral_ilium_marrow": left.marrow, "contralateral_ilium": left.outer,
              "l5_marrow": lumbar.marrow, "l5_vertebra": lumbar.outer,
              **joint_parts(f), **muscles(f)}
    nerves, nerve_marks = neurovascular(f, sac.points["s1_foramen"])
    shapes.update(nerves)
    shapes.update(layers.shapes())
    fibres = {"posterior_sacroiliac_ligaments": tuple(float(c) for c in f.N),
              "contralateral_sacroiliac_ligaments": tuple(float(c) for c in f.N * [-1, 1, 1]),
              "sacroiliac_capsule": tuple(float(c) for c in f.N)}
    parts = table_parts(STRUCTURES, shapes, fibres, envelope=layers.envelope,
                        unconfined=LAYER_STRUCTURES)
    regions = resolve(parts, layers.body)

    target = f.target()
    tilt = np.radians(NEEDLE_TILT_DEG)
    needle = unit_rows(np.cos(tilt) * f.W - np.sin(tilt) * f.L)   # into the joint, cephalad
    landmarks = {
        "target_sij_inferior": target,
        "sij_caudal_margin": f.caudal_margin(),
        "sij_centre": f.C,
        "sij_isocentre": f.joint(0.35 * f.half_length, 0.0, 0.0),
        "posterior_skin_over_sij": entry_point(layers.body, target, [0.0, -1.0, 0.0], 300.0),
        "sij_entry_skin": entry_point(layers.body, target, -needle, 300.0),
        "psis": right.points["psis"],
        "piis": right.points["piis"],
        "s1_foramen": sac.points["s1_foramen"],
        "sacral_promontory": sac.points["sacral_promontory"],
        **nerve_marks,
    }
    return assemble_patient("sij", GENERATOR_VERSION, patient, seed, regions, landmarks)
