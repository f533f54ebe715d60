"""Procedural ankle model for tibiotalar (anterior recess) injections under ultrasound.

``build(patient, seed)`` draws the dimensions (``ankle_params``), builds the bones
(``ankle_bones``), the cartilage, the anterior recess, intra-articular fat pad, lining and
capsule (``ankle_joint``), the tendons, vessels, nerves, muscles and outline (``ankle_soft``),
resolves them by priority into pairwise-disjoint closed surfaces and mirrors the right ankle
for a left one. World frame: patient RAS mm, leg along z, foot toward +y, the top of the talar
dome at ``(+-ANKLE_X_MM, 0, 0)``; the model runs from 11 cm above the joint to the sole and
is cut through the midfoot.
"""

from __future__ import annotations

import numpy as np

from simulator.anatomy.generated import GeneratedModel
from simulator.anatomy.generators import knee_ankle_common as kc
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.ankle_bones import ankle_frame, fibula, talus, tarsals, tibia
from simulator.anatomy.generators.ankle_joint import (
    cartilage,
    front_structures,
    lining,
    sample_front,
)
from simulator.anatomy.generators.ankle_params import draw_ankle_params
from simulator.anatomy.generators.ankle_soft import (
    ankle_outline,
    extensors,
    front_rows,
    posterior,
    subcutaneous,
)
from simulator.anatomy.generators.assembly import assemble_patient, resolve, table_parts
from simulator.anatomy.generators.body import LAYER_STRUCTURES, FatProfile, build_layers
from simulator.anatomy.patient import PatientParams

GENERATOR_VERSION = 1
TOP_MM, SOLE_MM, FOOT_CUT_MM = 110.0, -72.0, 78.0   # reference extents (z top, sole, y cut)

# name: (tissue, role, colour, priority). Bone > cartilage > fat pads > joint cavities >
# capsule > tendons > vessels > nerves > muscles > Kager's fat > filler.
STRUCTURES = {
    "tibia_marrow": ("cancellous_bone", "bone", "#d4b48a", 100),
    "tibia": ("cortical_bone", "bone", "#eee3c6", 99),
    "fibula_marrow": ("cancellous_bone", "bone", "#cfae84", 98),
    "fibula": ("cortical_bone", "bone", "#ebdfc0", 97),
    "talus_marrow": ("cancellous_bone", "bone", "#d9b98c", 96),
    "talus": ("cortical_bone", "bone", "#f2ead2", 95),
    "calcaneus_marrow": ("cancellous_bone", "bone", "#d6b688", 94),
    "calcaneus": ("cortical_bone", "bone", "#f0e6cc", 93),
    "navicular_marrow": ("cancellous_bone", "bone", "#d2b286", 92),
    "navicular": ("cortical_bone", "bone", "#efe4c8", 91),
    "talar_cartilage": ("hyaline_cartilage", "cartilage", "#a9c9ea", 89),
    "tibial_cartilage": ("hyaline_cartilage", "cartilage", "#94b8e0", 88),
    "anterior_fat_pad": ("subcutaneous_fat", "soft_tissue", "#f3de97", 86),
    "anterior_recess": ("synovial_fluid", "joint_cavity", "#22d3ee", 85),
    "synovial_cavity": ("synovial_fluid", "joint_cavity", "#67e8f9", 84),
    "joint_capsule": ("joint_capsule", "capsule", "#e5e7e0", 83),
    "tibialis_anterior_tendon": ("tendon", "tendon", "#e0e4da", 80),
    "extensor_hallucis_longus_tendon": ("tendon", "tendon", "#dde2d6", 79),
    "extensor_digitorum_longus_tendon": ("tendon", "tendon", "#d9ded2", 78),
    "achilles_tendon": ("tendon", "tendon", "#e3e6dd", 77),
    "tibialis_posterior_tendon": ("tendon", "tendon", "#d6dbcf", 76),
    "peroneal_tendons": ("tendon", "tendon", "#d2d7cb", 75),
    "anterior_tibial_artery": ("arterial_blood", "artery", "#d62828", 72),
    "posterior_tibial_artery": ("arterial_blood", "artery", "#e03a3a", 71),
    "anterior_tibial_veins": ("venous_blood", "vein", "#2b4fc7", 70),
    "great_saphenous_vein": ("venous_blood", "vein", "#3b5fd7", 69),
    "deep_peroneal_nerve": ("nerve", "nerve", "#f2cf1d", 67),
    "superficial_peroneal_nerve": ("nerve", "nerve", "#fbe04a", 66),
    "saphenous_nerve": ("nerve", "nerve", "#f5d63a", 65),
    "tibial_nerve": ("nerve", "nerve", "#eec81a", 64),
    "flexor_hallucis_longus": ("muscle", "soft_tissue", "#a3382f", 60),
    "extensor_muscles": ("muscle", "soft_tissue", "#c4633f", 59),
    "peroneus_brevis": ("muscle", "soft_tissue", "#b35846", 58),
    "soleus": ("muscle", "soft_tissue", "#8a3529", 57),
    "precapsular_fat_pad": ("subcutaneous_fat", "soft_tissue", "#f2dc96", 21),
    "kager_fat_pad": ("subcutaneous_fat", "soft_tissue", "#f0da94", 20),
    **LAYER_STRUCTURES,
}
SUBCUTANEOUS = {"superficial_peroneal_nerve", "great_saphenous_vein", "saphenous_nerve"}


def build(patient: PatientParams, seed: int) -> GeneratedModel:
    """Generate the ankle model for ``patient`` (pure and deterministic in its arguments)."""
    p = draw_ankle_params(patient, seed)
    f = ankle_frame(p)
    sc = p.scale
    top_ref = TOP_MM + 25.0
    tib, tibial_block = tibia(f, top_ref)
    fib = fibula(f, top_ref)
    foot = tarsals(f)
    surfaces = pr.union([tib.outer, talus(f), talus(f, p.talar_cartilage_mm, head=False),
                         foot["calcaneus"].outer, foot["navicular"].outer])
    front = sample_front(f, surfaces)
    joint, marks = front_structures(f, front)
    inner, outer = lining(f, front)

    deep_front = pr.union([tib.outer, foot["talus"].outer, foot["navicular"].outer,
                           joint["capsule_front"], joint["anterior_fat_pad"]])
    ext, fibres, ext_marks = extensors(f, deep_front)
    back, back_fibres = posterior(f)
    fibres.update(back_fibres)
    cover = pr.union([deep_front, *ext.values(), back["extensor_muscles"]])
    fronts = {z: kc.front_y(cover, f.origin[0], f.origin[2] + z * sc, 300.0, 500.0)
              for z in front_rows()}
    outline = ankle_outline(f, fronts)
    layers = build_layers(outline, FatProfile(p.fat_lateral_mm, p.fat_anterior_mm,
                                              p.fat_medial_mm, p.fat_posterior_mm),
                          skin_mm=p.skin_mm, z_lo_mm=f.origin[2] + SOLE_MM * sc,
                          z_hi_mm=f.origin[2] + TOP_MM * sc, x_min_mm=-1e3, ring_points=80,
                          z_step_mm=8.0)
    body = layers.body.trim_by_plane([0.0, -1.0, 0.0], -float(f.origin[1] + FOOT_CUT_MM * sc))

    shapes = {
        "tibia_marrow": tib.marrow, "tibia": tib.outer, "fibula_marrow": fib.marrow,
        "fibula": fib.outer, **{k: b.outer for k, b in foot.items()},
        **{k + "_marrow": b.marrow for k, b in foot.items()},
        **cartilage(f, tibial_block),
        "anterior_fat_pad": joint["anterior_fat_pad"],
        "anterior_recess": joint["anterior_recess"], "synovial_cavity": inner,
        "precapsular_fat_pad": joint["precapsular_fat_pad"],
        "joint_capsule": outer, **ext, **back, **subcutaneous(f, outline),
        **layers.shapes(), "skin": body,
    }
    fibres["joint_capsule"] = (0.0, 0.0, 1.0)
    parts = table_parts(STRUCTURES, shapes, fibres, envelope=layers.envelope,
                        unconfined=set(LAYER_STRUCTURES) | SUBCUTANEOUS)
    regions = resolve(parts, body, keep_voids=True)

    target = marks["target_anterior_recess"]
    landmarks = {
        "ankle_joint_center": f.origin,
        "talar_dome_top": f.origin - np.array([0.0, 0.0, p.talar_cartilage_mm]),
        "target_anterior_recess": target,
        "anterior_recess_skin": pr.surface_point(body, target, (0.0, 1.0, 0.0), 120.0),
        "medial_malleolus": tib.points["medial_malleolus"],
        "lateral_malleolus": fib.points["lateral_malleolus"],
        "anterior_tibial_lip": tib.points["anterior_tibial_lip"],
        **ext_marks,
    }
    return assemble_patient("ankle", GENERATOR_VERSION, patient, seed, regions, landmarks)
