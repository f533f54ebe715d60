"""Sacroiliac model for fluoroscopy-guided sacroiliac joint injection (prone), on real anatomy.

``build(patient, seed)`` draws the numbers (``sij_params``), places the real Visible Human
sacrum, both hip bones and the gluteal and iliopsoas muscles of both sides (``sij_real``),
builds the joint space, capsule and posterior ligaments in the real gap (``sij_joint``), the
multifidus, nerves, vessels, presacral fat and the muscle envelope from the bones' landmarks
(``sij_soft``), body layers from ``body``, resolves them by priority into pairwise-disjoint
closed surfaces (``assembly``) and mirrors the right-side model for a left joint. World frame:
patient RAS mm, origin midway between the two joint centres.

Target: ``sacroiliac_joint`` at ``target_sij_inferior`` (inferior posterior joint, 15 mm
cranial of the caudal margin ``sij_caudal_margin``). ``sij_isocentre`` centres the C-arm on
the lower joint; ``posterior_skin_over_sij`` is the skin straight behind the target and
``sij_entry_skin`` where a straight needle that misses both bones (the nearest such to
``NEEDLE_TILT_DEG`` cephalad in the joint plane) enters.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generated import GeneratedModel
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.assembly import assemble_patient, resolve, table_parts
from simulator.anatomy.generators.body import LAYER_STRUCTURES, FatProfile, build_layers
from simulator.anatomy.generators.sij_joint import (
    JointFrame,
    joint_space,
    posterior_ligaments,
    target_point,
)
from simulator.anatomy.generators.sij_osteophytes import anterior_lip
from simulator.anatomy.generators.sij_params import draw_sij_params
from simulator.anatomy.generators.sij_real import MUSCLES, SijPlacement, real_sij, sij_placement
from simulator.anatomy.generators.sij_soft import erector_spinae, neurovascular, sij_outline
from simulator.anatomy.patient import PatientParams

GENERATOR_VERSION = 3  # 2: real Visible Human sacrum, ilia and muscles; 3: osteophytes
MEDIAL_CUT_MM = -150.0   # the body reaches this far across the midline (both joints in view)
Z_LO_MM, Z_HI_MM = -110.0, 100.0  # body cut below and above the joint centres (x size)
NEEDLE_TILT_DEG = 20.0

# name: (tissue, role, colour, priority). Higher priority wins where shapes overlap:
# bone > joint spaces > ligaments > capsule > vessels > nerves > presacral fat > muscles.
STRUCTURES = {
    "sacrum_marrow": ("cancellous_bone", "bone", "#d9b98c", 100),
    "sacrum": ("cortical_bone", "bone", "#f2ead2", 99),
    "ilium_marrow": ("cancellous_bone", "bone", "#d4b48a", 98),
    "ilium": ("cortical_bone", "bone", "#eee3c6", 97),
    "contralateral_ilium_marrow": ("cancellous_bone", "bone", "#d1b088", 96),
    "contralateral_ilium": ("cortical_bone", "bone", "#ece0c0", 95),
    "sacroiliac_joint": ("synovial_fluid", "joint_cavity", "#22d3ee", 90),
    "contralateral_sacroiliac_joint": ("synovial_fluid", "joint_cavity", "#67e8f9", 89),
    "posterior_sacroiliac_ligaments": ("ligament", "tendon", "#c8ccc4", 88),
    "contralateral_sacroiliac_ligaments": ("ligament", "tendon", "#c3c7bf", 87),
    "sacroiliac_capsule": ("joint_capsule", "capsule", "#e5e7e0", 86),
    "internal_iliac_artery": ("arterial_blood", "artery", "#d62828", 80),
    "internal_iliac_vein": ("venous_blood", "vein", "#2b4fc7", 79),
    "s1_nerve_root": ("nerve", "nerve", "#f2cf1d", 78),
    "lumbosacral_trunk": ("nerve", "nerve", "#fbe04a", 77),
    "presacral_space": ("subcutaneous_fat", "soft_tissue", "#f5e6a8", 70),
    "psoas": ("muscle", "soft_tissue", "#8a3529", 61),
    "iliacus": ("muscle", "soft_tissue", "#a3382f", 60),
    "erector_spinae": ("muscle", "soft_tissue", "#b35846", 59),
    "gluteus_maximus": ("muscle", "soft_tissue", "#a4443a", 58),
    "gluteus_medius": ("muscle", "soft_tissue", "#c4633f", 57),
    **LAYER_STRUCTURES,
}


def _bone(bone, move, what: str) -> tuple[mf.Manifold, mf.Manifold]:
    """Outer solid and marrow of a real ``bone`` moved by ``move`` (points -> points)."""
    outer = pr.to_manifold(move(bone.outer_vertices), bone.outer_faces, what)
    core = pr.to_manifold(move(bone.core_vertices), bone.core_faces, f"{what} core")
    return outer, core ^ outer


def _frame(marks, move) -> JointFrame:
    return JointFrame(move(marks.centre), marks.long_axis, marks.across, marks.normal)


def _joint(marks, frame: JointFrame, sacrum: tuple, ilium: tuple, move_ilium, place,
           capsule_mm: float):
    patch = np.concatenate([place.pelvis(marks.sacral_surface), move_ilium(marks.iliac_surface)])
    space = joint_space(frame, sacrum, ilium, patch, capsule_mm)
    ligaments = posterior_ligaments(frame, move_ilium(marks.posterior_line), place.size)
    return space, ligaments


def _needle(bones: list[mf.Manifold], target: np.ndarray, frame: JointFrame) -> np.ndarray:
    """Unit direction ``(3,)`` of a straight needle into ``target`` that meets no bone within
    150 mm: the nearest to ``NEEDLE_TILT_DEG`` cephalad down the joint plane from behind,
    turned about the joint's long axis by up to 30 deg either way."""
    best, best_cost = None, np.inf
    for tilt in np.radians(np.arange(0.0, 41.0, 5.0)):
        for turn in np.radians(np.arange(-30.0, 31.0, 5.0)):
            across = np.cos(turn) * frame.across + np.sin(turn) * frame.normal
            d = pr.unit(np.cos(tilt) * across - np.sin(tilt) * frame.long_axis)
            start = target - 1.0 * d
            if any(b.ray_cast(start.tolist(), (start - 150.0 * d).tolist()) for b in bones):
                continue
            cost = abs(np.degrees(tilt) - NEEDLE_TILT_DEG) + abs(np.degrees(turn))
            if cost < best_cost:
                best, best_cost = d, cost
    if best is None:
        raise ValueError("no straight needle path into the sacroiliac joint misses the bones")
    return best


def build(patient: PatientParams, seed: int) -> GeneratedModel:
    """Generate the sacroiliac model for ``patient`` (pure and deterministic in its arguments)."""
    p = draw_sij_params(patient, seed)
    sij = real_sij(patient.sex, patient.side)
    place: SijPlacement = sij_placement(sij, patient.sex, patient.side, p.size,
                                          p.joint_space_mm)
    sac_outer, sac_marrow = _bone(sij.sacrum, place.pelvis, "sacrum")
    ili_outer, ili_marrow = _bone(sij.ilium, place.injected, "ilium")
    con_outer, con_marrow = _bone(sij.contralateral_ilium, place.pelvis, "contralateral ilium")
    sacrum_mesh = (place.pelvis(sij.sacrum.outer_vertices), sij.sacrum.outer_faces)

    frame = _frame(sij.marks, place.injected)
    lip = anterior_lip(frame, place.injected(sij.marks.anterior_line), patient.oa_grade)
    if lip is not None:   # bone grows before the joint and tissue are laid round it
        ili_outer = ili_outer + lip
    space, ligaments = _joint(sij.marks, frame, sacrum_mesh,
                              (place.injected(sij.ilium.outer_vertices), sij.ilium.outer_faces),
                              place.injected, place, p.capsule_mm)
    c_frame = _frame(sij.contralateral_marks, place.pelvis)
    c_space, c_ligaments = _joint(
        sij.contralateral_marks, c_frame, sacrum_mesh,
        (place.pelvis(sij.contralateral_ilium.outer_vertices),
         sij.contralateral_ilium.outer_faces), place.pelvis, place, p.capsule_mm)
    target, caudal = target_point(space, frame, p.target_above_caudal_mm, p.target_inside_mm)

    muscles = {}
    for name in MUSCLES:
        near = pr.to_manifold(place.injected(sij.muscles[name][0]), sij.muscles[name][1], name)
        far = pr.to_manifold(place.pelvis(sij.contralateral_muscles[name][0]),
                             sij.contralateral_muscles[name][1], name)
        muscles[name] = near + far
    muscles["erector_spinae"] = erector_spinae(sac_outer, p.size)

    points = np.concatenate([np.asarray(s.to_mesh().vert_properties)[:, :3]
                             for s in (sac_outer, ili_outer, con_outer, *muscles.values())])
    z_lo, z_hi = Z_LO_MM * p.size, Z_HI_MM * p.size
    layers = build_layers(
        sij_outline(points, p.muscle_clearance_mm, z_lo, z_hi),
        FatProfile(p.fat_lateral_mm, p.fat_anterior_mm, p.fat_lateral_mm, p.fat_posterior_mm),
        skin_mm=p.skin_mm, z_lo_mm=z_lo, z_hi_mm=z_hi, x_min_mm=MEDIAL_CUT_MM)
    nerves, nerve_marks = neurovascular(p, frame, sac_outer, place.injected(
        sij.marks.anterior_line), caudal)
    shapes = {"sacrum_marrow": sac_marrow, "sacrum": sac_outer,
              "ilium_marrow": ili_marrow, "ilium": ili_outer,
              "contralateral_ilium_marrow": con_marrow, "contralateral_ilium": con_outer,
              "sacroiliac_joint": space.cavity, "contralateral_sacroiliac_joint": c_space.cavity,
              "sacroiliac_capsule": space.capsule,
              "posterior_sacroiliac_ligaments": ligaments,
              "contralateral_sacroiliac_ligaments": c_ligaments + c_space.capsule,
              **muscles, **nerves, **layers.shapes()}
    fibres = {"posterior_sacroiliac_ligaments": tuple(float(c) for c in frame.normal),
              "contralateral_sacroiliac_ligaments": tuple(float(c) for c in c_frame.normal),
              "sacroiliac_capsule": tuple(float(c) for c in frame.normal)}
    parts = table_parts(STRUCTURES, shapes, fibres, envelope=layers.envelope,
                        unconfined=LAYER_STRUCTURES)
    regions = resolve(parts, layers.body)

    needle = _needle([sac_outer, ili_outer], target, frame)
    ilium_v = place.injected(sij.ilium.outer_vertices)
    low = ilium_v[np.linalg.norm(ilium_v - caudal, axis=1) < 20.0]
    sac_v = sacrum_mesh[0]
    top = sac_v[(sac_v[:, 2] > sac_v[:, 2].max() - 15.0) & (np.abs(sac_v[:, 0]) < 5.0)]
    landmarks = {
        "target_sij_inferior": target,
        "sij_caudal_margin": caudal,
        "sij_centre": frame.centre,
        "sij_isocentre": 0.5 * (frame.centre + target),
        "posterior_skin_over_sij": pr.entry_point(layers.body, target, [0.0, -1.0, 0.0], 300.0),
        "sij_entry_skin": pr.entry_point(layers.body, target, -needle, 300.0),
        "psis": place.injected(sij.marks.psis),
        "piis": low[np.argmin(low[:, 1])],
        "sacral_promontory": top[np.argmax(top[:, 1])],
        **nerve_marks,
    }
    return assemble_patient("sij", GENERATOR_VERSION, patient, seed, regions, landmarks)
