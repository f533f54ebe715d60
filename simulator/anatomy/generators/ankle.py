"""Ankle model for tibiotalar (anterior recess) injections under ultrasound, on real anatomy.

``build(patient, seed)`` draws the dimensions (``ankle_params``), places the real Visible
Human distal tibia and fibula, talus, calcaneus and navicular, their cartilage and the leg
muscles of the patient's sex and side (``ankle_bones``), builds from the real landmarks the
anterior recess, intra-articular fat pad and capsule (``ankle_joint``), the extensor tendons,
the anterior tibial bundle, the superficial nerves and vein and the deep fascia around it all
(``ankle_soft``), resolves them by priority into pairwise-disjoint closed surfaces and
mirrors the right-side model for a left ankle (so a left patient has the real left side).
World frame: patient RAS mm, leg along z, foot toward +y, the top of the talar dome at
``(+-ANKLE_X_MM, 0, 0)``; the model runs from ``TOP_MM`` above the dome to the sole and is
cut through the midfoot just in front of the navicular (the sources have no cuneiforms).
"""

from __future__ import annotations

import numpy as np

from simulator.anatomy.generated import GeneratedModel
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.ankle_back import posterior
from simulator.anatomy.generators.ankle_bones import place
from simulator.anatomy.generators.ankle_joint import capsule, front_structures, sample_front
from simulator.anatomy.generators.ankle_params import draw_ankle_params
from simulator.anatomy.generators.ankle_soft import (
    ankle_outline,
    approach_x_ref,
    extensors,
    subcutaneous,
)
from simulator.anatomy.generators.assembly import (
    assemble_patient,
    mesh_arrays,
    resolve,
    table_parts,
)
from simulator.anatomy.generators.body import LAYER_STRUCTURES, FatProfile, build_layers
from simulator.anatomy.patient import PatientParams
from simulator.anatomy.real.ankle_real import real_ankle

GENERATOR_VERSION = 2  # 2: real Visible Human bones, cartilage and muscles
TOP_MM = 110.0         # the model's top above the dome top (x soft-tissue scale)
SOLE_MARGIN_MM = 2.0   # the envelope's floor under the calcaneus
FOOT_CUT_MM = 12.0     # the midfoot cut in front of the navicular (x soft-tissue scale)

# name: (tissue, role, colour, priority). Bone > cartilage > fat pad > recess > capsule >
# tendons > vessels > nerves > muscles > pre-capsular fat > filler.
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
    "joint_capsule": ("joint_capsule", "capsule", "#e5e7e0", 83),
    "achilles_tendon": ("tendon", "tendon", "#e3e7dc", 81),
    "tibialis_anterior_tendon": ("tendon", "tendon", "#e0e4da", 80),
    "extensor_hallucis_longus_tendon": ("tendon", "tendon", "#dde2d6", 79),
    "extensor_digitorum_longus_tendon": ("tendon", "tendon", "#d9ded2", 78),
    "anterior_tibial_artery": ("arterial_blood", "artery", "#d62828", 72),
    "anterior_tibial_veins": ("venous_blood", "vein", "#2b4fc7", 70),
    "great_saphenous_vein": ("venous_blood", "vein", "#3b5fd7", 69),
    "deep_peroneal_nerve": ("nerve", "nerve", "#f2cf1d", 67),
    "superficial_peroneal_nerve": ("nerve", "nerve", "#fbe04a", 66),
    "saphenous_nerve": ("nerve", "nerve", "#f5d63a", 65),
    "tibialis_anterior": ("muscle", "soft_tissue", "#c4633f", 60),
    "extensor_hallucis_longus": ("muscle", "soft_tissue", "#b8533d", 59),
    "extensor_digitorum_longus": ("muscle", "soft_tissue", "#b35846", 58),
    "peroneus_longus": ("muscle", "soft_tissue", "#a4443a", 57),
    "flexor_hallucis_longus": ("muscle", "soft_tissue", "#a3382f", 56),
    "soleus": ("muscle", "soft_tissue", "#8a3529", 55),
    "kager_fat_pad": ("subcutaneous_fat", "soft_tissue", "#f4e09c", 22),
    "precapsular_fat_pad": ("subcutaneous_fat", "soft_tissue", "#f2dc96", 21),
    **LAYER_STRUCTURES,
}
SUBCUTANEOUS = {"superficial_peroneal_nerve", "great_saphenous_vein", "saphenous_nerve"}
DEEP_GENERATED = ("joint_capsule", "anterior_fat_pad", "tibialis_anterior_tendon",
                  "extensor_hallucis_longus_tendon", "extensor_digitorum_longus_tendon",
                  "anterior_tibial_artery", "anterior_tibial_veins", "deep_peroneal_nerve")


def build(patient: PatientParams, seed: int) -> GeneratedModel:
    """Generate the ankle model for ``patient`` (pure and deterministic in its arguments)."""
    p = draw_ankle_params(patient, seed)
    real = place(real_ankle(patient.sex, patient.side), p)
    f = real.frame
    bones = {n: outer for n, (outer, _) in real.bones.items()}
    foot_bones = pr.union([bones["talus"], bones["navicular"], bones["calcaneus"]])
    surfaces = pr.union([bones["tibia"], bones["talus"], bones["navicular"],
                         *real.cartilage.values()])
    front = sample_front(f, surfaces, float(f.ref((approach_x_ref(p), 0.0, 0.0))[0]))
    joint, marks = front_structures(f, front)
    cap = capsule(f, front)
    deep_front = pr.union([bones["tibia"], bones["talus"], bones["navicular"],
                           joint["capsule_front"], joint["anterior_fat_pad"]])
    foot_front = float(bones["navicular"].bounding_box()[4])
    ext, fibres, ext_marks = extensors(f, deep_front, foot_bones, foot_front)

    z_lo = float(bones["calcaneus"].bounding_box()[2]) - SOLE_MARGIN_MM
    z_hi = float(f.origin[2] + TOP_MM * f.sc)
    deep = [*bones.values(), *real.cartilage.values(), *real.muscles.values(), cap,
            joint["anterior_fat_pad"], *ext.values()]
    points = np.concatenate([np.asarray(s.to_mesh().vert_properties)[:, :3] for s in deep])
    points = points[(points[:, 2] > z_lo - 10.0) & (points[:, 2] < z_hi + 10.0)]
    outline = ankle_outline(points, z_lo, z_hi)
    back, back_fibres = posterior(f, mesh_arrays(bones["calcaneus"])[0], outline)
    fibres.update(back_fibres)
    layers = build_layers(outline, FatProfile(p.fat_lateral_mm, p.fat_anterior_mm,
                                              p.fat_medial_mm, p.fat_posterior_mm),
                          skin_mm=p.skin_mm, z_lo_mm=z_lo, z_hi_mm=z_hi, x_min_mm=-1e3,
                          ring_points=80, z_step_mm=8.0)
    body = layers.body.trim_by_plane([0.0, -1.0, 0.0], -(foot_front + FOOT_CUT_MM * f.sc))

    shapes = {
        **{n: outer for n, outer in bones.items()},
        **{n + "_marrow": marrow for n, (_, marrow) in real.bones.items()},
        **real.cartilage, **real.muscles,
        "anterior_fat_pad": joint["anterior_fat_pad"],
        "anterior_recess": joint["anterior_recess"],
        "precapsular_fat_pad": joint["precapsular_fat_pad"],
        "joint_capsule": cap, **ext, **back, **subcutaneous(f, outline),
        **layers.shapes(), "skin": body,
    }
    fibres["joint_capsule"] = (0.0, 0.0, 1.0)
    parts = table_parts(STRUCTURES, shapes, fibres, envelope=layers.envelope,
                        unconfined=set(LAYER_STRUCTURES) | SUBCUTANEOUS)
    regions = resolve(parts, body, keep_voids=True)

    target = marks["target_anterior_recess"]
    landmarks = {
        "ankle_joint_center": f.origin,
        "talar_dome_top": f.origin,
        "target_anterior_recess": target,
        "anterior_recess_skin": pr.surface_point(body, target, (0.0, 1.0, 0.0), 120.0),
        "medial_malleolus": f.medial_malleolus,
        "lateral_malleolus": f.lateral_malleolus,
        "anterior_tibial_lip": f.lip,
        **ext_marks,
    }
    return assemble_patient("ankle", GENERATOR_VERSION, patient, seed, regions, landmarks)

