"""Knee model for suprapatellar and lateral midpatellar injections (ultrasound), on the real
Visible Human knee.

``build(patient, seed)`` draws the dimensions (``knee_params``), places the real femur,
patella, tibia and fibula with the real cartilage, menisci, cruciate and collateral ligaments
and thigh and calf muscles of the patient's sex and side (``knee_real``), measures the frame
and bony landmarks on them (``knee_bones``), builds the suprapatellar stack, tendons and fat
pads (``knee_layers``), the synovial lining, patellofemoral space and capsule as offsets of
the real articular surfaces (``knee_joint``), then the envelope fitted round the real muscles,
the vessels and nerves (``knee_soft``), resolves everything by priority into pairwise-disjoint
closed surfaces (``assembly``) and mirrors the right-knee model for a left knee. World frame:
patient RAS mm, the joint-line centre at ``(+-KNEE_X_MM, 0, 0)``, the knee in the cadaver's
pose (nearly straight).
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generated import GeneratedModel
from simulator.anatomy.generators import knee_ankle_common as kc
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.assembly import assemble_patient, resolve, table_parts
from simulator.anatomy.generators.body import LAYER_STRUCTURES, FatProfile, build_layers
from simulator.anatomy.generators.hip_real import Placement
from simulator.anatomy.generators.knee_bones import KneeFrame, bone_points, knee_frame
from simulator.anatomy.generators.knee_joint import (
    PF_REACH_MM,
    Patella,
    articular_fields,
    lining,
    patellofemoral_space,
    placed_patella,
)
from simulator.anatomy.generators.knee_layers import extensor_layers, suprapatellar_stack
from simulator.anatomy.generators.knee_osteophytes import marginal_osteophytes
from simulator.anatomy.generators.knee_params import draw_knee_params
from simulator.anatomy.generators.knee_real import placed_knee, placement, real_knee
from simulator.anatomy.generators.knee_soft import (
    iliotibial_band,
    knee_outline,
    neurovascular,
    tibialis_anterior,
)
from simulator.anatomy.patient import PatientParams

GENERATOR_VERSION = 3  # 2: real Visible Human bones and soft tissue; 3: osteophytes
TOP_MM, BOTTOM_MM = 150.0, -150.0   # model extent above / below the joint line (size 1)
BONE_BEYOND_MM = 10.0               # the bones run on past the body's cut ends

# name: (tissue, role, colour, priority). Bone > cartilage > menisci > ligaments > tendons >
# fat pads > joint cavities > capsule > band > vessels > nerves > muscles > filler.
STRUCTURES = {
    "femur_marrow": ("cancellous_bone", "bone", "#d9b98c", 100),
    "femur": ("cortical_bone", "bone", "#f2ead2", 99),
    "patella_marrow": ("cancellous_bone", "bone", "#d6b688", 98),
    "patella": ("cortical_bone", "bone", "#f4ecd6", 97),
    "tibia_marrow": ("cancellous_bone", "bone", "#d4b48a", 96),
    "tibia": ("cortical_bone", "bone", "#eee3c6", 95),
    "fibula_marrow": ("cancellous_bone", "bone", "#cfae84", 94),
    "fibula": ("cortical_bone", "bone", "#ebdfc0", 93),
    "femoral_cartilage": ("hyaline_cartilage", "cartilage", "#a9c9ea", 90),
    "patellar_cartilage": ("hyaline_cartilage", "cartilage", "#9ec0e6", 89),
    "tibial_cartilage": ("hyaline_cartilage", "cartilage", "#94b8e0", 88),
    "menisci": ("labrum", "cartilage", "#7fa6d4", 87),
    "cruciate_ligaments": ("ligament", "tendon", "#c8ccc4", 86),
    "quadriceps_tendon": ("tendon", "tendon", "#e0e4da", 85),
    "patellar_tendon": ("tendon", "tendon", "#dde2d6", 84),
    "collateral_ligaments": ("ligament", "tendon", "#cdd1c8", 83),
    "suprapatellar_fat_pad": ("subcutaneous_fat", "soft_tissue", "#f3de97", 82),
    "prefemoral_fat_pad": ("subcutaneous_fat", "soft_tissue", "#eed690", 81),
    "infrapatellar_fat_pad": ("subcutaneous_fat", "soft_tissue", "#f1da92", 80),
    "patellofemoral_space": ("synovial_fluid", "joint_cavity", "#22d3ee", 78),
    "suprapatellar_recess": ("synovial_fluid", "joint_cavity", "#06b6d4", 77),
    "synovial_cavity": ("synovial_fluid", "joint_cavity", "#67e8f9", 76),
    "joint_capsule": ("joint_capsule", "capsule", "#e5e7e0", 75),
    "iliotibial_band": ("tendon", "tendon", "#d5d9cf", 72),
    "popliteal_artery": ("arterial_blood", "artery", "#d62828", 70),
    "popliteal_vein": ("venous_blood", "vein", "#2b4fc7", 69),
    "great_saphenous_vein": ("venous_blood", "vein", "#3b5fd7", 68),
    "tibial_nerve": ("nerve", "nerve", "#f2cf1d", 67),
    "common_peroneal_nerve": ("nerve", "nerve", "#fbe04a", 66),
}
# model structure: colour, priority, the real muscles it is made of. Rectus femoris is left
# out: within 150 mm of the joint it is the quadriceps tendon (its registered belly lies
# in front of the tendon, where the envelope drops it: 0-1 cm3 was left of it).
MUSCLES = {
    "vastus_intermedius": ("#b04a3a", 59, ("vastus_intermedius",)),
    "vastus_lateralis": ("#c4633f", 58, ("vastus_lateralis",)),
    "vastus_medialis": ("#b35846", 57, ("vastus_medialis",)),
    "sartorius": ("#c46a4a", 56, ("sartorius",)),
    "gracilis": ("#a85a44", 55, ("gracilis",)),
    "biceps_femoris": ("#9b4a3a", 54, ("biceps_femoris_long", "biceps_femoris_short")),
    "semimembranosus": ("#a4443a", 53, ("semimembranosus",)),
    "semitendinosus": ("#96463a", 52, ("semitendinosus",)),
    "gastrocnemius": ("#8a3529", 51, ("gastrocnemius_medial", "gastrocnemius_lateral")),
    "popliteus": ("#7f3a2e", 50, ("popliteus",)),
    "plantaris": ("#8f4032", 49, ("plantaris",)),
    "tibialis_anterior": ("#b8553f", 48, ()),  # generated (``knee_soft``)
}
SOFT_PARTS = {  # real non-muscle structures: the real surfaces they are made of
    "femoral_cartilage": ("femoral_cartilage",), "patellar_cartilage": ("patellar_cartilage",),
    "tibial_cartilage": ("tibial_cartilage_lateral", "tibial_cartilage_medial"),
    "menisci": ("menisci",), "cruciate_ligaments": ("acl", "pcl"),
    "collateral_ligaments": ("mcl", "lcl"),
}
SUBCUTANEOUS = {"great_saphenous_vein", "common_peroneal_nerve"}  # may leave the envelope


def build(patient: PatientParams, seed: int) -> GeneratedModel:
    """Generate the knee model for ``patient`` (pure and deterministic in its arguments)."""
    p = draw_knee_params(patient, seed)
    knee = real_knee(patient.sex, patient.side)
    place = placement(knee, p)
    z_lo, z_hi = BOTTOM_MM * p.size, TOP_MM * p.size
    placed = placed_knee(knee, place, z_lo - BONE_BEYOND_MM, z_hi + BONE_BEYOND_MM)
    f = knee_frame(p, knee, place)
    marks = bone_points(f, knee, place)
    growth = marginal_osteophytes(f, placed.bones["femur"][0], placed.bones["tibia"][0],
                                  patient.oa_grade)
    if growth is not None:   # bone grows before anything is laid round it
        for name, ridge in zip(("femur", "tibia"), growth, strict=True):
            outer, marrow = placed.bones[name]
            placed.bones[name] = (outer + ridge, marrow)
    real = {name: pr.union([placed.soft[s] for s in parts])
            for name, parts in {**SOFT_PARTS, **{k: v[2] for k, v in MUSCLES.items()
                                                if v[2]}}.items()}
    real["tibialis_anterior"] = tibialis_anterior(f)
    femur_outer = placed.bones["femur"][0]
    patella_outer = placed.bones["patella"][0]
    pat = placed_patella(knee, place, patella_outer)
    femur_points = Placement.apply(place.thigh, knee.femur.outer_vertices)

    st = suprapatellar_stack(f, femur_outer, femur_points, pat)
    ext, fibres, ext_marks = extensor_layers(f, st, pat, marks["tibial_tuberosity"],
                                             _hoffa_floor(f, placed))
    fields = articular_fields(real, femur_outer)
    pf_space = patellofemoral_space(fields, pat, real["patellar_cartilage"], p.pf_gap_mm)
    film, cap = lining(fields, p.synovial_mm, p.capsule_mm)
    pf, rec, t = st.prefemoral(), st.recess(), p.capsule_mm
    inner = pr.union([film, pf_space, st.sheet(pf - 0.3, pf + rec + 0.3)])
    outer = pr.union([cap, patellofemoral_space(fields, pat, real["patellar_cartilage"],
                                                p.pf_gap_mm + t),
                      st.sheet(pf - t, pf + rec + t)])

    hard = [*(b[0] for b in placed.bones.values()), ext["quadriceps_tendon"],
            ext["patellar_tendon"]]
    outline = knee_outline(np.concatenate([mesh_points(s) for s in hard]),
                           np.concatenate([mesh_points(real[n]) for n in MUSCLES]),
                           mesh_points(ext["quadriceps_tendon"]), z_lo, z_hi)
    layers = build_layers(outline, FatProfile(p.fat_lateral_mm, p.fat_anterior_mm,
                                              p.fat_medial_mm, p.fat_posterior_mm),
                          skin_mm=p.skin_mm, z_lo_mm=z_lo, z_hi_mm=z_hi, x_min_mm=-1e3,
                          ring_points=80, z_step_mm=12.0)
    band, band_fibre = iliotibial_band(f, outline, z_hi)
    vessels, vessel_marks = neurovascular(f, outline, marks["fibular_neck"], z_lo, z_hi)

    shapes = {f"{n}_marrow": b[1] for n, b in placed.bones.items()}
    shapes.update({n: b[0] for n, b in placed.bones.items()})
    shapes.update({**real, **ext, "patellofemoral_space": pf_space, "synovial_cavity": inner,
                   "joint_capsule": outer, "iliotibial_band": band, **vessels,
                   **layers.shapes()})
    fibres.update({"iliotibial_band": band_fibre,
                   "cruciate_ligaments": tuple(pr.unit(f.fem((0, -10, 20)) - f.tib((0, -6, 0)))),
                   "collateral_ligaments": tuple(-f.leg_axis),
                   "joint_capsule": (0.0, 0.0, 1.0)})
    table = dict(STRUCTURES)
    table.update({k: ("muscle", "soft_tissue", c, pr_) for k, (c, pr_, _) in MUSCLES.items()})
    table.update(LAYER_STRUCTURES)
    parts = table_parts(table, shapes, fibres, envelope=layers.envelope,
                        unconfined=set(LAYER_STRUCTURES) | SUBCUTANEOUS)
    regions = resolve(parts, layers.body, keep_voids=True)

    pf_target = _pf_target(pat, real["patellar_cartilage"], patella_outer,
                           pr.union([real["femoral_cartilage"], femur_outer]),
                           2.0 * (p.pf_gap_mm + PF_REACH_MM) - 1.0)
    target = ext_marks["target_suprapatellar_recess"]
    landmarks = {
        "knee_joint_center": f.origin,
        "patella_center": pat.center,
        "target_suprapatellar_recess": target,
        "target_patellofemoral": pf_target,
        "superior_patellar_pole": ext_marks["superior_patellar_pole"],
        "suprapatellar_skin": _skin(layers.body, target, (0.0, 1.0, 0.0)),
        "lateral_patellar_skin": _skin(layers.body, pf_target, (1.0, 0.0, 0.0)),
        **{k: marks[k] for k in ("tibial_tuberosity", "fibular_head", "lateral_epicondyle",
                                 "medial_epicondyle")},
        **vessel_marks,
    }
    return assemble_patient("knee", GENERATOR_VERSION, patient, seed, regions, landmarks)


def mesh_points(solid: mf.Manifold) -> np.ndarray:
    """The vertices ``(n, 3)`` of ``solid``."""
    return np.asarray(solid.to_mesh().vert_properties, float)[:, :3]


def _hoffa_floor(f: KneeFrame, placed) -> np.ndarray:
    """Where the infrapatellar fat pad reaches back to: the front rim of the tibial plateau
    (the most anterior point of the top 8 mm of the tibia at the middle and 16 mm either
    side, 2 mm behind it and 1 mm up) and the front of the femoral condyles either side of
    the notch, 9 mm above their distal ends."""
    tibia = mesh_points(placed.bones["tibia"][0])
    tibia = tibia[tibia[:, 2] > f.origin[2] - 40.0]
    out = []
    for dx in (-16.0, 0.0, 16.0):
        strip = tibia[np.abs(tibia[:, 0] - f.origin[0] - dx * f.sc) < 5.0]
        top = strip[strip[:, 2] > strip[:, 2].max() - 8.0]
        out.append(top[np.argmax(top[:, 1])] + np.array([0.0, -2.0, 1.0]))
    femur = placed.bones["femur"][0]
    for dx in (-11.0, 11.0):
        inside = f.fem((dx, 0.0, 9.0))
        out.append(pr.surface_point(femur, inside, (0.0, 1.0, 0.0), 80.0))
    return np.array(out)


def _pf_target(pat: Patella, cartilage, patella, trochlea, max_gap_mm: float) -> np.ndarray:
    """Middle of the patellofemoral gap under the lateral patellar facet at mid-pole, 8 mm
    in from the lateral border (or up to 18 mm, the first place the gap down to the femur's
    articular surface is at most ``max_gap_mm``, so the middle lies in the patellofemoral
    space; ``trochlea``: cartilage or, where the registered cartilage leaves it bare,
    bone)."""
    back = -pat.anterior
    both = pr.union([cartilage, patella])
    for inset in (8.0, 10.0, 12.0, 14.0, 16.0, 18.0):
        start = pat.world(np.array([0.5 * pat.width - inset, 0.0, 0.0]))
        top = pr.surface_point(both, start, back, 40.0)
        bottom = kc.first_hit(trochlea, top + 0.05 * back, back, 40.0)
        if bottom is not None and np.linalg.norm(top - bottom) <= max_gap_mm:
            return 0.5 * (top + bottom)
    raise ValueError("the lateral patellar facet does not face the femoral cartilage")


def _skin(body, point, outward) -> np.ndarray:
    """Where the line from ``point`` along ``outward`` leaves the skin."""
    return pr.surface_point(body, point, outward, 200.0)
