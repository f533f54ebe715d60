"""Offline import of the Denver Visible Human ankle: talus, calcaneus and navicular, the
distal tibial and talar cartilage and the leg muscles that cross the ankle, registered to the
Human Reference Atlas tibia and fibula of the same body and side (run after ``extract``)::

    python -m simulator.anatomy.real.ankle_import /path/to/anatomy-sources meshes/sources

Registration, per body and side, on what both sets share near the ankle (the Denver README:
a sacrum-based transform leaves the leg bones 18-42 mm off, so each joint region is fitted on
its own): a rigid ICP (no scaling: trimesh's ICP scales by default) of the distal 100 mm of
the Denver fibula and the upper (plafond-facing) surface of the Denver distal-tibia cartilage
(every cartilage point, every third fibula point: the plafond is small next to the fibula and
it sets the joint), onto the distal 110 mm of the HRA tibia and fibula, from the fibular tips
put together. The same for both bodies: the male has no Denver tibia, and for the female
adding the distal Denver tibia made the plafond fit worse (measured on the right side: 60 %
of the cartilage more than 1 mm inside the HRA tibia against 15 % without it; fit residual
95th percentile 4.9 against 2.8 mm): the two segmentations of that tibia differ. The
residuals and the checks (bone or cartilage cutting into the HRA tibia and fibula, muscle
inside bone) are printed per side; the numbers measured when the shipped files were made
are in ``meshes/ATTRIBUTION.md``.

The VHF left talar cartilage is broken in the source (18 mm3 in a 7 mm box); the right one is
used mirrored, carried by an ICP of the mirrored right talus onto the left talus.

Writes, for each body and side:

- ``<body>_<side>_{talus,calcaneus,navicular}.npz``: outer surface and cancellous core as
  ``extract`` writes the HRA bones (``extract.solids``, cortex 1.0 mm [U], the thin-bone
  clip), so ``bones.real_bone`` reads them;
- ``<body>_<side>_ankle_soft.npz``: ``<name>_vertices`` (float32 RAS mm, HRA body frame)
  and ``<name>_faces`` (int32) for the two cartilages and the muscles (``MUSCLES``), the
  muscles cut 150 mm above the plafond (the ankle model reaches about 120 mm up), each
  simplified within 0.3 mm (cartilage: the linear probe resolves about 0.2 mm) or 0.6 mm
  (muscle, as for the hip).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from simulator.anatomy.generators.primitives import to_manifold
from simulator.anatomy.real.bones import real_bone
from simulator.anatomy.real.extract import (
    THIN_CLIP_MM,
    constant_cortex,
    mesh_arrays,
    repair,
    solids,
)
from simulator.anatomy.real.register import apply_rigid, denver_surface

DENVER = {"VH_M": "VHM", "VH_F": "VHF"}
SEX = {"VH_M": "male", "VH_F": "female"}
TARSAL_CORTEX_MM = 1.0
FIT_SPAN_MM = 100.0     # distal Denver span fitted; the HRA target spans 10 mm more
FIBULA_STRIDE = 3
MUSCLE_TOP_MM = 150.0   # muscles kept up to this height above the plafond
CARTILAGE_MM = 0.3
MUSCLE_MM = 0.6
BONES = {"talus": ("Bone_Talus",), "calcaneus": ("Bone_Calcaneous", "Bone_Calcaneus"),
         "navicular": ("Bone_Navicular",)}
CARTILAGE = {"talar_cartilage": ("Cartilage_Talus",),
             "tibial_cartilage": ("Cartilage_TibiaDistal",)}
MUSCLES = {
    "tibialis_anterior": ("Muscle_TibialisAnterior",),
    "extensor_hallucis_longus": ("Muscle_ExtensorHallucisLongus",
                                 "Muscle_ExtensorHallicusLongus"),
    "extensor_digitorum_longus": ("Muscle_ExtensorDigitorumLongus",),
    "peroneus_longus": ("Muscle_PeroneusLongus",),
    "soleus": ("Muscle_Soleus",),
    "flexor_hallucis_longus": ("Muscle_FlexorHallucisLongus", "Muscle_FlexorHallicusLongus"),
}
BROKEN = {("VHF", "left", "talar_cartilage")}


def _trimesh(v, f):
    import trimesh

    return trimesh.Trimesh(np.asarray(v, float), np.asarray(f, np.int64), process=False)


def fit_points(folder: Path, dbody: str, side: str) -> np.ndarray:
    """Denver points ``(n, 3)`` that the HRA leg bones share: every ``FIBULA_STRIDE``-th point
    of the distal fibula and every point of the plafond face of the distal-tibia
    cartilage."""
    fib, _ = denver_surface(folder, dbody, side, ("Bone_Fibula",))
    low = fib[:, 2].min()
    v, f = denver_surface(folder, dbody, side, CARTILAGE["tibial_cartilage"])
    up = _trimesh(v, f).vertex_normals[:, 2] > 0.5
    return np.concatenate([fib[fib[:, 2] < low + FIT_SPAN_MM][::FIBULA_STRIDE], v[up]])


def hra_distal(sex: str, side: str):
    """The HRA tibia and fibula below 110 mm above the fibular tip, one trimesh."""
    import trimesh

    tib, fib = real_bone(sex, side, "tibia"), real_bone(sex, side, "fibula")
    leg = trimesh.util.concatenate([_trimesh(tib.outer_vertices, tib.outer_faces),
                                    _trimesh(fib.outer_vertices, fib.outer_faces)])
    low = fib.outer_vertices[:, 2].min()
    keep = np.where(leg.triangles_center[:, 2] < low + FIT_SPAN_MM + 10.0)[0]
    return leg.submesh([keep], append=True), low


def register_side(folder: Path, body: str, side: str) -> tuple[np.ndarray, dict]:
    """4x4 rigid map Denver (RAS mm) -> HRA body frame for the ankle of ``side``, and the
    fit's residuals (mm)."""
    import trimesh

    dbody = DENVER[body]
    source = fit_points(folder, dbody, side)
    target, hra_low = hra_distal(SEX[body], side)
    fib, _ = denver_surface(folder, dbody, side, ("Bone_Fibula",))
    den_low = fib[:, 2].min()
    start = np.eye(4)
    hra_tip = target.vertices[target.vertices[:, 2] < hra_low + 2.0].mean(0)
    start[:3, 3] = hra_tip - fib[fib[:, 2] < den_low + 2.0].mean(0)
    matrix, _, _ = trimesh.registration.icp(source, target, initial=start,
                                            max_iterations=80, reflection=False, scale=False)
    _, dist, _ = trimesh.proximity.closest_point(target, apply_rigid(matrix, source))
    turn = np.degrees(np.arccos(np.clip((np.trace(matrix[:3, :3]) - 1.0) / 2.0, -1.0, 1.0)))
    return matrix, {"median_mm": float(np.median(dist)), "p95_mm": float(np.percentile(dist, 95)),
                    "rotation_deg": float(turn)}


def _mirrored_onto(folder: Path, dbody: str, side: str, stems) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    """The other side's surface ``stems`` mirrored and moved with its talus onto this side's
    talus (Denver frame)."""
    import trimesh

    other = "left" if side == "right" else "right"
    flip = np.array([-1.0, 1.0, 1.0])
    v, f = denver_surface(folder, dbody, other, stems)
    talus_o, _ = denver_surface(folder, dbody, other, BONES["talus"])
    talus_v, talus_f = denver_surface(folder, dbody, side, BONES["talus"])
    start = np.eye(4)
    start[:3, 3] = talus_v.mean(0) - (talus_o * flip).mean(0)
    matrix, _, _ = trimesh.registration.icp(talus_o[::3] * flip, _trimesh(talus_v, talus_f),
                                            initial=start, max_iterations=60,
                                            reflection=False, scale=False)
    return apply_rigid(matrix, v * flip), f[:, ::-1].copy()


def _solid(v, f, what: str):
    try:
        return to_manifold(v, f, what)
    except ValueError:  # a few Denver surfaces have non-manifold edges after merging
        return to_manifold(*repair(v, f), what)


def _inside_share(points: np.ndarray, solids_) -> float:
    """Share of ``points`` more than 1 mm inside any of ``solids_`` (trimesh)."""
    inside = np.zeros(len(points), bool)
    for mesh in solids_:
        inside |= mesh.contains(points) & (
            np.abs(mesh.nearest.signed_distance(points)) > 1.0)
    return float(inside.mean())


def import_side(folder: Path, body: str, side: str) -> tuple[dict, dict, dict]:
    """``(bones, soft, report)``: bone arrays by name (outer and core), the soft-tissue
    arrays and the checks, for one body side."""
    dbody = DENVER[body]
    matrix, report = register_side(folder, body, side)
    tib, fib = real_bone(SEX[body], side, "tibia"), real_bone(SEX[body], side, "fibula")
    leg = [_trimesh(tib.outer_vertices, tib.outer_faces),
           _trimesh(fib.outer_vertices, fib.outer_faces)]
    plafond_z = float(tib.outer_vertices[:, 2].min())
    bones, soft, tarsals = {}, {}, []
    for name, stems in BONES.items():
        v, f = denver_surface(folder, dbody, side, stems)
        v = apply_rigid(matrix, v)
        tarsals.append(_trimesh(v, f))
        outer, core = solids([(v, f)], constant_cortex(TARSAL_CORTEX_MM),
                             f"{dbody} {side} {name}", THIN_CLIP_MM)
        (ov, of), (cv, cf) = mesh_arrays(outer), mesh_arrays(core)
        bones[name] = {"outer_vertices": ov, "outer_faces": of,
                       "core_vertices": cv, "core_faces": cf}
        report[f"{name}_in_leg_bone"] = _inside_share(v[::4], leg)
    for name, stems in {**CARTILAGE, **MUSCLES}.items():
        if (dbody, side, name) in BROKEN:
            v, f = _mirrored_onto(folder, dbody, side, stems)
        else:
            v, f = denver_surface(folder, dbody, side, stems)
        v = apply_rigid(matrix, v)
        solid = _solid(v, f, f"{dbody} {side} {name}")
        if name in MUSCLES:
            solid = solid.trim_by_plane([0.0, 0.0, -1.0], -(plafond_z + MUSCLE_TOP_MM))
        solid = solid.simplify(MUSCLE_MM if name in MUSCLES else CARTILAGE_MM)
        sv, sf = mesh_arrays(solid)
        soft[f"{name}_vertices"], soft[f"{name}_faces"] = sv, sf
        report[f"{name}_in_bone"] = _inside_share(sv.astype(float), leg + tarsals)
    return bones, soft, report


def main(argv: list[str]) -> None:
    sources, target = Path(argv[0]), Path(argv[1])
    for body in DENVER:
        for side in ("right", "left"):
            bones, soft, report = import_side(sources / "denver-vh", body, side)
            for name, arrays in bones.items():
                np.savez_compressed(target / f"{body}_{side}_{name}.npz", **arrays)
            np.savez_compressed(target / f"{body}_{side}_ankle_soft.npz", **soft)
            print(body, side, {k: round(v, 3) for k, v in report.items()})


if __name__ == "__main__":
    main(sys.argv[1:])
