"""Procedural knee model for suprapatellar and lateral midpatellar injections (ultrasound).

``build(patient, seed)`` draws the dimensions (``knee_params``), sets up the frame and bones
(``knee_bones``), seats the patella and builds cartilage, menisci and cruciates
(``knee_joint``), the suprapatellar stack, tendons, fat pads and the synovial lining and
capsule (``knee_layers``), then the envelope, muscles, vessels and nerves (``knee_soft``),
resolves everything by priority into pairwise-disjoint closed surfaces (``assembly``) and
mirrors the right-knee model for a left knee. World frame: patient RAS mm, the joint-line
centre at ``(+-KNEE_X_MM, 0, 0)``, knee flexed 20-23 deg (clinical.md 3.2).
"""

from __future__ import annotations

import numpy as np

from simulator.anatomy.generated import GeneratedModel
from simulator.anatomy.generators import knee_ankle_common as kc
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.assembly import assemble_patient, resolve, table_parts
from simulator.anatomy.generators.body import LAYER_STRUCTURES, FatProfile, build_layers
from simulator.anatomy.generators.knee_bones import (
    femur,
    fibula,
    intercondylar_notch,
    knee_frame,
    tibia,
)
from simulator.anatomy.generators.knee_joint import (
    cruciates,
    femoral_cartilage,
    menisci,
    seat_patella,
    tibial_cartilage,
)
from simulator.anatomy.generators.knee_layers import extensor_layers, lining, suprapatellar_stack
from simulator.anatomy.generators.knee_params import draw_knee_params
from simulator.anatomy.generators.knee_soft import (
    front_heights,
    iliotibial_band,
    knee_outline,
    muscles,
    neurovascular,
)
from simulator.anatomy.patient import PatientParams

GENERATOR_VERSION = 1
TOP_MM, BOTTOM_MM = 200.0, -150.0   # model extent above / below the joint line (reference)

# name: (tissue, role, colour, priority). Bone > cartilage > menisci > cruciates > tendons >
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
MUSCLES = {
    "rectus_femoris": ("#a3382f", 60), "vastus_intermedius": ("#b04a3a", 59),
    "vastus_lateralis": ("#c4633f", 58), "vastus_medialis": ("#b35846", 57),
    "biceps_femoris": ("#9b4a3a", 56), "semimembranosus": ("#a4443a", 55),
    "gastrocnemius": ("#8a3529", 54), "tibialis_anterior": ("#b8553f", 53),
}
SUBCUTANEOUS = {"great_saphenous_vein"}


def build(patient: PatientParams, seed: int) -> GeneratedModel:
    """Generate the knee model for ``patient`` (pure and deterministic in its arguments)."""
    p = draw_knee_params(patient, seed)
    f = knee_frame(p)
    sc = p.scale
    z_top = f.origin[2] + TOP_MM * sc
    thigh_bone, fem_builders = femur(f, z_top + 20.0)
    leg_bone, plateau = tibia(f, BOTTOM_MM - 60.0)
    fib = fibula(f, BOTTOM_MM - 60.0)
    solid = fem_builders["solid"]
    notch = intercondylar_notch(f, 0.0)
    fem_cart = femoral_cartilage(f, solid, notch)
    pat = seat_patella(f, fem_builders["epiphysis"](0.0), fem_cart)
    patella_outer = pat.solid()
    patella_marrow = _shrunk_patella(pat)
    pat_cart = pat.cartilage(p.patellar_cartilage_mm)

    st = suprapatellar_stack(f, thigh_bone.outer, pat)
    ext, fibres, marks = extensor_layers(f, st, pat)
    inner, outer, pf_space = lining(f, st, pat, solid, plateau)

    # envelope front just over the extensor structures
    muscle_shapes = muscles(f)
    front_solid = pr.union([patella_outer, ext["quadriceps_tendon"], ext["patellar_tendon"],
                            leg_bone.outer, muscle_shapes["rectus_femoris"],
                            muscle_shapes["vastus_medialis"], muscle_shapes["vastus_lateralis"]])
    thigh_z, leg_z = front_heights()
    fronts = {zr: kc.front_y(front_solid, f.origin[0], f.femur_base[2] + zr * sc, 400.0, 800.0)
              for zr in thigh_z}
    fronts.update({zr: kc.front_y(front_solid, f.tib((2.0, 0.0, zr))[0],
                                  f.tib((2.0, -20.0, zr))[2], 400.0, 800.0) for zr in leg_z})
    outline = knee_outline(f, fronts)
    layers = build_layers(outline, FatProfile(p.fat_lateral_mm, p.fat_anterior_mm,
                                              p.fat_medial_mm, p.fat_posterior_mm),
                          skin_mm=p.skin_mm, z_lo_mm=f.origin[2] + BOTTOM_MM * sc,
                          z_hi_mm=z_top, x_min_mm=-1e3, ring_points=80,
                          z_step_mm=12.0)
    band, band_fibre = iliotibial_band(f, outline)
    vessels, vessel_marks = neurovascular(f, outline)

    shapes = {
        "femur_marrow": thigh_bone.marrow, "femur": thigh_bone.outer,
        "patella_marrow": patella_marrow, "patella": patella_outer,
        "tibia_marrow": leg_bone.marrow, "tibia": leg_bone.outer,
        "fibula_marrow": fib.marrow, "fibula": fib.outer,
        "femoral_cartilage": fem_cart,
        "patellar_cartilage": pat_cart, "tibial_cartilage": tibial_cartilage(f, plateau),
        "menisci": menisci(f),
        "cruciate_ligaments": cruciates(f, intercondylar_notch(f, -p.synovial_mm)),
        **ext, "patellofemoral_space": pf_space, "synovial_cavity": inner,
        "joint_capsule": outer, "iliotibial_band": band, **vessels,
        **muscle_shapes, **layers.shapes(),
    }
    fibres.update({"iliotibial_band": band_fibre,
                   "cruciate_ligaments": tuple(pr.unit(f.fem((0, -10, 20)) -
                                                       f.tib((0, -6, 0)))),
                   "joint_capsule": (0.0, 0.0, 1.0)})
    table = dict(STRUCTURES)
    table.update({k: ("muscle", "soft_tissue", c, pr_) for k, (c, pr_) in MUSCLES.items()})
    table.update(LAYER_STRUCTURES)
    parts = table_parts(table, shapes, fibres, envelope=layers.envelope,
                        unconfined=set(LAYER_STRUCTURES) | SUBCUTANEOUS)
    regions = resolve(parts, layers.body, keep_voids=True)

    pf_target = _pf_target(f, pat, pat_cart, shapes["femoral_cartilage"])
    landmarks = {
        "knee_joint_center": f.origin,
        "patella_center": pat.center,
        "target_suprapatellar_recess": marks["target_suprapatellar_recess"],
        "target_patellofemoral": pf_target,
        "superior_patellar_pole": marks["superior_patellar_pole"],
        "suprapatellar_skin": _skin(layers.body, marks["target_suprapatellar_recess"],
                                    (0.0, 1.0, 0.0)),
        "lateral_patellar_skin": _skin(layers.body, pf_target, (1.0, 0.0, 0.0)),
        "tibial_tuberosity": leg_bone.points["tibial_tuberosity"],
        "fibular_head": fib.points["fibular_head"],
        **thigh_bone.points, **vessel_marks,
    }
    return assemble_patient("knee", GENERATOR_VERSION, patient, seed, regions, landmarks)


def _shrunk_patella(pat):
    """Patella marrow: the hull scaled about its centre so the cortex is about 1.5 mm."""
    pts = pat.local_points()
    k = np.array([1 - 3.0 / pat.width, 1 - 3.0 / (1.6 * pat.ridge_depth), 1 - 3.0 / pat.height])
    return pr.smooth_hull(pat.world(pts * k), 2.5, "patella marrow")


def _pf_target(f, pat, cartilage, femoral_cart) -> np.ndarray:
    """Middle of the patellofemoral gap under the lateral patellar facet, 4 mm in from the
    lateral border at mid-pole."""
    start = pat.world(np.array([0.5 * pat.width - 4.0 * f.sc, -0.2 * pat.ridge_depth, 0.0]))
    back = -pat.anterior
    top = pr.surface_point(pr.union([cartilage, pat.solid()]), start, back, 40.0)
    bottom = kc.first_hit(femoral_cart, top + 0.05 * back, back, 40.0)
    return 0.5 * (top + bottom)


def _skin(body, point, outward) -> np.ndarray:
    """Where the line from ``point`` along ``outward`` leaves the skin."""
    return pr.surface_point(body, point, outward, 200.0)
