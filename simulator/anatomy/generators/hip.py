"""Hip model for image-guided hip injections (ultrasound and fluoroscopy) on real anatomy.

``build(patient, seed)`` draws the dimensions (``hip_params``), places the real Visible
Human femur, hip bone and hip muscles of the patient's sex and side (``hip_real``),
measures the axes on the bones (``hip_frame``), builds overlapping shapes for the rest of
the soft tissue from those landmarks (``hip_joint`` for cartilage, labrum, capsule and
recess, ``hip_soft`` for the vessels, nerves and the body outline around the real bones,
``hip_trochanter`` for the tendon, bursa and iliotibial band over the greater trochanter,
body layers from ``body``), resolves them by priority into pairwise-disjoint
closed surfaces (``assembly``) and mirrors the right-side model for a left hip. World frame:
patient RAS mm, the injected femoral head centre near (+-half_width, 0, 0).

Another joint follows the same pattern: a ``<joint>_params`` module for the numbers, a frame
for its axes, modules that return shapes, and a ``build`` that lists ``Part``s.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generated import GeneratedModel
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.assembly import assemble_patient, resolve, table_parts
from simulator.anatomy.generators.body import LAYER_STRUCTURES, BodyLayers, build_layers
from simulator.anatomy.generators.hip_frame import hip_frame
from simulator.anatomy.generators.hip_joint import (
    cartilage_and_labrum,
    iliofemoral_ligament,
    joint_spaces,
)
from simulator.anatomy.generators.hip_osteophytes import acetabular_lip, femoral_ridges
from simulator.anatomy.generators.hip_params import draw_hip_params
from simulator.anatomy.generators.hip_real import Placement, placed_bone, placement, real_hip
from simulator.anatomy.generators.hip_soft import (
    TrochanterFatProfile,
    hip_outline,
    iliopsoas_belly,
    neurovascular,
)
from simulator.anatomy.generators.hip_trochanter import (
    FasciaDip,
    bursa_target,
    envelope_distance,
    fascia_dip,
    gmed_tendon,
    iliotibial_band,
    trochanter_surface,
    trochanteric_bursa,
)
from simulator.anatomy.patient import PatientParams

GENERATOR_VERSION = 4  # 2: trochanteric layers; 3: real Visible Human bones; 4: osteophytes
MEDIAL_CUT_MM = -40.0  # the body crosses the midline to here, so AP images have no cut edge

# name: (tissue, role, colour, priority). Higher priority wins where shapes overlap:
# bone > cartilage > joint spaces > capsule > ligament > vessels > nerves > peritrochanteric
# layers (tendon > bursa > iliotibial band) > muscles > filler.
STRUCTURES = {
    "femur_marrow": ("cancellous_bone", "bone", "#d9b98c", 100),
    "femur": ("cortical_bone", "bone", "#f2ead2", 99),
    "pelvis_marrow": ("cancellous_bone", "bone", "#d4b48a", 98),
    "pelvis": ("cortical_bone", "bone", "#eee3c6", 97),
    "femoral_head_cartilage": ("hyaline_cartilage", "cartilage", "#a9c9ea", 95),
    "acetabular_cartilage": ("hyaline_cartilage", "cartilage", "#94b8e0", 94),
    "labrum": ("labrum", "cartilage", "#7fa6d4", 93),
    "anterior_recess": ("synovial_fluid", "joint_cavity", "#22d3ee", 90),
    "synovial_cavity": ("synovial_fluid", "joint_cavity", "#67e8f9", 89),
    "joint_capsule": ("joint_capsule", "capsule", "#e5e7e0", 88),
    "iliofemoral_ligament": ("ligament", "tendon", "#c8ccc4", 87),
    "femoral_artery": ("arterial_blood", "artery", "#d62828", 80),
    "femoral_vein": ("venous_blood", "vein", "#2b4fc7", 79),
    "lateral_circumflex_femoral_artery": ("arterial_blood", "artery", "#ef4444", 78),
    "femoral_nerve": ("nerve", "nerve", "#f2cf1d", 77),
    "lateral_femoral_cutaneous_nerve": ("nerve", "nerve", "#fbe04a", 76),
    "gluteus_medius_tendon": ("tendon", "tendon", "#ddd6b8", 74),
    "trochanteric_bursa": ("bursa", "bursa", "#2dd4bf", 73),
    "iliotibial_band": ("ligament", "tendon", "#d4d8cc", 72),
    "sartorius": ("muscle", "soft_tissue", "#c4633f", 60),
    "rectus_femoris": ("muscle", "soft_tissue", "#a3382f", 59),
    "iliopsoas": ("muscle", "soft_tissue", "#8a3529", 58),
    "gluteus_minimus": ("muscle", "soft_tissue", "#9b4a3a", 57),
    "gluteus_medius": ("muscle", "soft_tissue", "#b35846", 56),
    "gluteus_maximus": ("muscle", "soft_tissue", "#a4443a", 55),
    "tensor_fasciae_latae": ("muscle", "soft_tissue", "#b8533d", 54),
    "pectineus": ("muscle", "soft_tissue", "#94402f", 53),
    "obturator_externus": ("muscle", "soft_tissue", "#7f3a2e", 52),
    **LAYER_STRUCTURES,
}


def build(patient: PatientParams, seed: int) -> GeneratedModel:
    """Generate the hip model for ``patient`` (pure and deterministic in its arguments)."""
    p = draw_hip_params(patient, seed)
    hip = real_hip(patient.sex, patient.side)
    place = placement(hip, p.size, p.internal_rotation_deg, p.narrowing_mm)
    femur_outer, femur_marrow = placed_bone(hip.femur, place.femur, "femur")
    pelvis_outer, pelvis_marrow = placed_bone(hip.pelvis, place.pelvis, "hip bone")
    f = hip_frame(p, hip, place, femur_outer)
    fpts = _femur_points(hip, place, femur_outer)
    rim = Placement.apply(place.pelvis, hip.pelvis_marks.acetabular_rim)
    femur_outer = _with(femur_outer, femoral_ridges(f, patient.oa_grade))
    pelvis_outer = _with(pelvis_outer, acetabular_lip(f, rim, patient.oa_grade))
    ppts = {name: Placement.apply(place.pelvis, getattr(hip.pelvis_marks, name))
            for name in ("asis", "aiis", "pubic_tubercle", "ischial_tuberosity", "teardrop")}
    up = -f.shaft_dir
    troch = trochanter_surface(femur_outer, fpts["gt_centre"], up)
    sc = p.bone_scale
    bone_points = np.concatenate([Placement.apply(place.femur, hip.femur.outer_vertices),
                                  Placement.apply(place.pelvis, hip.pelvis.outer_vertices)])
    outline = hip_outline(f, bone_points)
    layers, dip, fat = _body_layers(p, outline, troch)
    spaces, cap = joint_spaces(f)
    ligament, ligament_fibre = iliofemoral_ligament(f, cap, ppts["aiis"] - 6.0 * sc
                                                    * np.array([0.0, 1.0, 0.0]))

    s_t = cap.s_target
    target = f.neck_point(s_t, 0.0, 0.5 * cap.gap(s_t, 0.0))
    lateral_angle = np.radians(35.0)
    s_l = f.head_neck_junction_s(lateral_angle) - 2.0
    lateral_target = f.neck_point(s_l, lateral_angle, 0.5 * cap.gap(s_l, lateral_angle))

    belly = iliopsoas_belly(f, cap)
    mid_phi = troch.index(0.0, 0.0)[1]
    tendon_top = troch.points[0, mid_phi]  # where the gluteus medius belly becomes tendon
    shapes = {"femur_marrow": femur_marrow, "femur": femur_outer,
              "pelvis_marrow": pelvis_marrow, "pelvis": pelvis_outer,
              **cartilage_and_labrum(f), **spaces, "iliofemoral_ligament": ligament,
              **_real_muscles(hip, place)}
    vessels, vessel_marks = neurovascular(f, outline, cap, belly, fpts, ppts, target, fat)
    shapes.update(vessels)
    gt_tip = fpts["greater_trochanter_tip"]
    shapes.update({
        "gluteus_medius_tendon": gmed_tendon(troch, p),
        "trochanteric_bursa": trochanteric_bursa(troch, p),
        "iliotibial_band": iliotibial_band(dip, p, gt_tip[2] + 30.0 * sc, -200.0 * sc - 12.0),
        **layers.shapes()})

    fibres = {"iliofemoral_ligament": ligament_fibre,
              "joint_capsule": tuple(float(c) for c in f.neck_axis),
              "iliotibial_band": tuple(float(c) for c in up),
              "gluteus_medius_tendon": tuple(float(c) for c in (tendon_top - troch.facet_point)
                                             / np.linalg.norm(tendon_top - troch.facet_point))}
    parts = table_parts(STRUCTURES, shapes, fibres, envelope=layers.envelope,
                        unconfined={*LAYER_STRUCTURES, "lateral_femoral_cutaneous_nerve"})
    regions = resolve(parts, layers.body)

    landmarks = {
        "femoral_head_center": f.head_center,
        "femoral_neck_base": f.neck_base,
        "target_anterior_recess": target,
        "target_lateral_head_neck": lateral_target,
        "femoral_head_neck_junction": fpts["head_neck_junction"],
        "greater_trochanter_tip": gt_tip,
        "lesser_trochanter": fpts["lesser_trochanter"],
        **ppts,
        "target_trochanteric_bursa": bursa_target(troch, p),
        "lateral_skin_over_trochanter": pr.surface_point(
            layers.body, bursa_target(troch, p), troch.facet_normal, reach_mm=150.0),
        **vessel_marks,
    }
    return assemble_patient("hip", GENERATOR_VERSION, patient, seed, regions, landmarks)


MUSCLE_PARTS = {  # model structure: the real muscles it is made of
    "sartorius": ("sartorius",), "rectus_femoris": ("rectus_femoris",),
    "iliopsoas": ("iliacus", "psoas"), "gluteus_minimus": ("gluteus_minimus",),
    "gluteus_medius": ("gluteus_medius",), "gluteus_maximus": ("gluteus_maximus",),
    "tensor_fasciae_latae": ("tensor_fasciae_latae",), "pectineus": ("pectineus",),
    "obturator_externus": ("obturator_externus",),
}


def _with(bone: mf.Manifold, growth: mf.Manifold | None) -> mf.Manifold:
    """``bone`` with an osteophyte unioned on (unchanged without one)."""
    return bone if growth is None else bone + growth


def _real_muscles(hip, place: Placement) -> dict[str, mf.Manifold]:
    """The real muscles moved with the pelvis (iliacus and psoas united as the iliopsoas)."""
    out = {}
    for name, parts in MUSCLE_PARTS.items():
        solids = [pr.to_manifold(Placement.apply(place.pelvis, hip.muscles[m][0]),
                                 hip.muscles[m][1], m) for m in parts]
        out[name] = pr.union(solids)
    return out


def _femur_points(hip, place: Placement, femur_outer) -> dict[str, np.ndarray]:
    """Placed femoral landmarks and the soft tissue's attachment helpers: ``gt_centre``
    inside the greater trochanter (15 mm medial of its lateral facet, the most lateral point
    10-40 mm below its tip), ``gt_front`` on its anterior face, ``lt_center`` 5 mm inside
    the lesser trochanter."""
    fm = hip.femur_marks
    v = Placement.apply(place.femur, hip.femur.outer_vertices)
    tip = Placement.apply(place.femur, fm.greater_trochanter_tip)
    band = v[(v[:, 2] < tip[2] - 10.0) & (v[:, 2] > tip[2] - 40.0)]
    facet = band[np.argmax(band[:, 0])]
    centre = facet - np.array([15.0, 0.0, 0.0])
    lt = Placement.apply(place.femur, fm.lesser_trochanter)
    shaft = Placement.apply(place.femur, fm.shaft_point)
    inward = lt - shaft
    inward[2] = 0.0
    return {"greater_trochanter_tip": tip, "lesser_trochanter": lt,
            "head_neck_junction": Placement.apply(place.femur, fm.head_neck_junction),
            "gt_centre": centre,
            "gt_front": pr.surface_point(femur_outer, centre, (0.0, 1.0, 0.0), 60.0),
            "lt_center": lt - 5.0 * inward / np.linalg.norm(inward)}


def _body_layers(p, outline, troch) -> tuple[BodyLayers, FasciaDip, TrochanterFatProfile]:
    """Skin, fat and muscle envelope. The fat thins straight over the trochanter to give the
    soft-tissue depth there, and the deep fascia follows the trochanter so that tendon,
    bursa and ITB fill the space between it and the bone."""
    dip = fascia_dip(outline, troch, p)
    clearance = envelope_distance(outline, troch.facet_point, troch.facet_normal)
    fat_trochanter = max(3.0 + max(-dip.depth_mm, 0.0),
                         p.trochanter_depth_mm - p.skin_mm - clearance)
    sc = p.bone_scale
    fat = TrochanterFatProfile(p.fat_lateral_mm, p.fat_anterior_mm, p.fat_medial_mm,
                               p.fat_posterior_mm, trochanter_mm=fat_trochanter)
    layers = build_layers(
        outline, fat,
        skin_mm=p.skin_mm, z_lo_mm=-200.0 * sc, z_hi_mm=125.0 * sc, x_min_mm=MEDIAL_CUT_MM)
    return (BodyLayers(layers.body, layers.fat_outer, dip.apply(layers.envelope), outline), dip,
            fat)
