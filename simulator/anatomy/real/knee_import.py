"""Offline import of the knee soft tissue: Denver Visible Human cartilage, ligaments and
muscles registered to the Human Reference Atlas knee bones of the same body and side, plus the
HRA menisci (run after ``extract``)::

    python -m simulator.anatomy.real.knee_import /path/to/anatomy-sources meshes/sources

Registration is per knee (``denver-vh/README.md``: a sacrum-based transform leaves the patella
18-42 mm off), on what both sets share:

1. a start from the least-squares rigid fit (Kabsch) of five corresponding centroids: Denver
   patella, proximal 60 mm of the fibula, tibial cartilage (both plateaus, and each plateau)
   onto the HRA patella, proximal fibula and the top 12 mm of the HRA tibia (3 mm up, and
   each half by side);
2. rigid ICP of the Denver patella, proximal fibula and femoral and tibial cartilage onto
   the HRA patella, fibula, femur and tibia surfaces from that start;
3. per segment (``segment_transforms``), ICP from there of what lies on one bone: the femur
   (bone side of the femoral cartilage: places the femoral cartilage, ligaments and muscles),
   the tibia (bone side of the tibial cartilage and the proximal fibula: tibial cartilage,
   popliteus) and the patella (patella: patellar cartilage); the two segmentations differ in
   knee flexion and patellar height, so one map leaves cartilage 4-5 mm off. ``knee_residuals``
   reports, per structure, the median and 90th-percentile distance of its registered
   vertices to the bone it lies on (cartilage: up to its thickness, 2-4 mm, by design).

Where the Denver side lacks a file (VHM right rectus femoris and sartorius, VHF right biceps
femoris long head) the other side's registered surface is mirrored through x = 0 and moved by
the rigid ICP of the mirrored other femur's distal 150 mm onto this side's.

Every surface is cut to the knee region (``REACH_MM`` above and below the HRA joint line, the
muscles being whole-limb) and simplified within ``SIMPLIFY_MM``. Writes
``<body>_<side>_knee.npz`` with ``<name>_vertices`` (float32 RAS mm, the HRA body frame) and
``<name>_faces`` (int32) for every name in ``STRUCTURES`` and ``menisci``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators.primitives import to_manifold
from simulator.anatomy.real.bones import BODY_BY_SEX, RealBone, real_bone
from simulator.anatomy.real.extract import SIDES, read_glb, repair
from simulator.anatomy.real.register import DENVER, apply_rigid, denver_surface

SIMPLIFY_MM = 0.6
UP = np.array([0.0, 0.0, 1.0])
REACH_MM = 170.0
FIBULA_TOP_MM = 60.0
PLATEAU_TOP_MM = 12.0
# structure name in the model: Denver file stems (spelling varies between bodies)
CARTILAGE = {
    "femoral_cartilage": ("Cartilage_FemurDistal",),
    "patellar_cartilage": ("Cartilage_Patella",),
    "tibial_cartilage_lateral": ("Cartilage_TibiaLateral",),
    "tibial_cartilage_medial": ("Cartilage_TibiaMedial", "Cartilage_TibialMedial"),
}
LIGAMENTS = {"acl": ("Ligament_ACL",), "pcl": ("Ligament_PCL",), "mcl": ("Ligament_MCL",),
             "lcl": ("Ligament_LCL",)}
MUSCLES = {
    "vastus_lateralis": ("Muscle_VastusLateralis",),
    "vastus_medialis": ("Muscle_VastusMedialis",),
    "vastus_intermedius": ("Muscle_VastusIntermedius",),
    "rectus_femoris": ("Muscle_RectusFemoris",),
    "sartorius": ("Muscle_Sartorius",),
    "gracilis": ("Muscle_Gracilis",),
    "biceps_femoris_long": ("Muscle_BicepsFemorisLong", "Muscle_BicepsFemorisLongus"),
    "biceps_femoris_short": ("Muscle_BicepsFemorisShort",),
    "semimembranosus": ("Muscle_Semimembranosus",),
    "semitendinosus": ("Muscle_Semitendinosus", "Muscle_Semitendonosus"),
    "gastrocnemius_medial": ("Muscle_GastrocnemiusMedial",),
    "gastrocnemius_lateral": ("Muscle_GastrocnemiusLateral",),
    "popliteus": ("Muscle_Popliteus",),
    "plantaris": ("Muscle_Plantaris",),
}
STRUCTURES = {**CARTILAGE, **LIGAMENTS, **MUSCLES}
# the segment whose map places each structure (default: femur, where the thigh muscles, the
# gastrocnemius heads and plantaris, the cruciates and collaterals take origin)
SEGMENT = {"patellar_cartilage": "patella", "tibial_cartilage_lateral": "tibia",
           "tibial_cartilage_medial": "tibia", "popliteus": "tibia"}
SEX_BY_BODY = {body: sex for sex, body in BODY_BY_SEX.items()}


def _top(v: np.ndarray, mm: float) -> np.ndarray:
    return v[v[:, 2] > v[:, 2].max() - mm]


def kabsch(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """4x4 rigid map taking the points ``source`` ``(k, 3)`` closest (least squares) onto the
    corresponding ``target`` ``(k, 3)``."""
    cs, ct = source.mean(0), target.mean(0)
    u, _, vt = np.linalg.svd((source - cs).T @ (target - ct))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    rot = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    out = np.eye(4)
    out[:3, :3], out[:3, 3] = rot, ct - rot @ cs
    return out


def _surface(bones: list[RealBone]):
    import trimesh

    vs, fs, n = [], [], 0
    for b in bones:
        vs.append(b.outer_vertices)
        fs.append(b.outer_faces + n)
        n += len(b.outer_vertices)
    return trimesh.Trimesh(np.concatenate(vs), np.concatenate(fs), process=False)


def knee_transform(denver: Path, dbody: str, sex: str, side: str) -> np.ndarray:
    """4x4 rigid map from the Denver frame (RAS mm, its origin) to the HRA frame for the knee
    of ``side`` (see the module notes)."""
    import trimesh

    pat, fib = real_bone(sex, side, "patella"), real_bone(sex, side, "fibula")
    fem, tib = real_bone(sex, side, "femur"), real_bone(sex, side, "tibia")
    d = {n: denver_surface(denver, dbody, side, s)[0] for n, s in (
        ("patella", ("Bone_Patella",)), ("fibula", ("Bone_Fibula",)),
        ("femoral", CARTILAGE["femoral_cartilage"]),
        ("lateral", CARTILAGE["tibial_cartilage_lateral"]),
        ("medial", CARTILAGE["tibial_cartilage_medial"]))}
    plateau = _top(tib.outer_vertices, PLATEAU_TOP_MM)
    lateral = plateau[:, 0] > plateau[:, 0].mean()
    if side == "left":
        lateral = ~lateral
    up = np.array([0.0, 0.0, 3.0])
    source = np.array([d["patella"].mean(0), _top(d["fibula"], FIBULA_TOP_MM).mean(0),
                       np.concatenate([d["lateral"], d["medial"]]).mean(0),
                       d["lateral"].mean(0), d["medial"].mean(0)])
    target = np.array([pat.outer_vertices.mean(0),
                       _top(fib.outer_vertices, FIBULA_TOP_MM).mean(0),
                       plateau.mean(0) + up, plateau[lateral].mean(0) + up,
                       plateau[~lateral].mean(0) + up])
    start = kabsch(source, target)
    points = np.concatenate([d["patella"][::2], _top(d["fibula"], FIBULA_TOP_MM)[::2],
                             d["femoral"][::3], d["lateral"][::2], d["medial"][::2]])
    matrix, _, _ = trimesh.registration.icp(points, _surface([pat, fib, fem, tib]),
                                            initial=start, max_iterations=40)
    return matrix


def _facing(v: np.ndarray, f: np.ndarray, toward) -> np.ndarray:
    """The vertices of the closed surface ``(v, f)`` whose outward normal points against
    ``toward(v)`` ``(n, 3)``: the face of a cartilage sheet that lies on its bone."""
    import trimesh

    normals = trimesh.Trimesh(v, f, process=False).vertex_normals
    return v[np.einsum("ij,ij->i", normals, toward(v)) < 0.0]


def segment_transforms(denver: Path, dbody: str, sex: str, side: str,
                       knee: np.ndarray) -> dict[str, np.ndarray]:
    """4x4 Denver-to-HRA maps per segment (``femur``, ``tibia``, ``patella``), each refined
    from the whole-knee map ``knee`` by ICP of what lies on that bone: the bone side of the
    femoral cartilage (normals facing the distal femur's centroid), the bone side of the
    tibial cartilage (normals facing down) with the proximal fibula, and the patella. The two
    segmentations differ in knee flexion and patellar position (module notes)."""
    import trimesh

    fem, tib = real_bone(sex, side, "femur"), real_bone(sex, side, "tibia")
    fib, pat = real_bone(sex, side, "fibula"), real_bone(sex, side, "patella")
    got = {n: denver_surface(denver, dbody, side, CARTILAGE[n] if n in CARTILAGE else s)
           for n, s in (("femoral_cartilage", None), ("tibial_cartilage_lateral", None),
                        ("tibial_cartilage_medial", None), ("patella", ("Bone_Patella",)),
                        ("fibula", ("Bone_Fibula",)))}
    placed = {n: (apply_rigid(knee, v), f) for n, (v, f) in got.items()}
    distal = fem.outer_vertices[fem.outer_vertices[:, 2] < fem.outer_vertices[:, 2].min() + 50]
    centre = distal.mean(0)
    femoral = _facing(*placed["femoral_cartilage"], lambda v: v - centre)
    tibial = np.concatenate([_facing(*placed[n], lambda v: np.broadcast_to(UP, v.shape))
                             for n in ("tibial_cartilage_lateral", "tibial_cartilage_medial")])
    tibial = np.concatenate([tibial, _top(placed["fibula"][0], FIBULA_TOP_MM)[::2]])
    out = {}
    for name, points, bones in (("femur", femoral, [fem]), ("tibia", tibial, [tib, fib]),
                                ("patella", placed["patella"][0], [pat])):
        refine, _, _ = trimesh.registration.icp(points, _surface(bones), max_iterations=40)
        out[name] = refine @ knee
    return out


def knee_residuals(denver: Path, dbody: str, sex: str, side: str,
                   maps: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """``{structure: (median, p90)}`` distance (mm) of the registered Denver patella,
    proximal fibula and cartilage to the HRA bone each lies on."""
    import trimesh

    on = {"patella": (("Bone_Patella",), "patella"), "fibula": (("Bone_Fibula",), "tibia"),
          "femoral_cartilage": (CARTILAGE["femoral_cartilage"], "femur"),
          "patellar_cartilage": (CARTILAGE["patellar_cartilage"], "patella"),
          "tibial_cartilage_lateral": (CARTILAGE["tibial_cartilage_lateral"], "tibia"),
          "tibial_cartilage_medial": (CARTILAGE["tibial_cartilage_medial"], "tibia")}
    out = {}
    for name, (stems, bone) in on.items():
        segment = SEGMENT.get(name, "femur") if name in CARTILAGE else bone
        v = apply_rigid(maps[segment], denver_surface(denver, dbody, side, stems)[0])
        if name == "fibula":
            v, bone = _top(v, FIBULA_TOP_MM), "fibula"
        b = real_bone(sex, side, bone)
        _, dist, _ = trimesh.proximity.closest_point(
            trimesh.Trimesh(b.outer_vertices, b.outer_faces, process=False), v[::3])
        out[name] = (float(np.median(dist)), float(np.percentile(dist, 90)))
    return out


def _mirror_map(sex: str, side: str) -> np.ndarray:
    """4x4 map taking the other side's HRA frame, mirrored through x = 0, onto this side's
    distal femur."""
    import trimesh

    other = "left" if side == "right" else "right"
    flip = np.array([-1.0, 1.0, 1.0])
    theirs = real_bone(sex, other, "femur").outer_vertices * flip
    mine = real_bone(sex, side, "femur")
    theirs = theirs[theirs[:, 2] < theirs[:, 2].min() + 150.0]
    start = np.eye(4)
    start[:3, 3] = mine.outer_vertices[mine.outer_vertices[:, 2] <
                                       mine.outer_vertices[:, 2].min() + 150.0].mean(0) \
        - theirs.mean(0)
    matrix, _, _ = trimesh.registration.icp(
        theirs[::2], trimesh.Trimesh(mine.outer_vertices, mine.outer_faces, process=False),
        initial=start, max_iterations=40)
    return matrix


def _region(sex: str, side: str) -> mf.Manifold:
    """Box ``REACH_MM`` above and below the HRA joint line (top of the tibia)."""
    z = float(real_bone(sex, side, "tibia").outer_vertices[:, 2].max())
    box = mf.Manifold.cube([2000.0, 2000.0, 2.0 * REACH_MM], center=True)
    return box.translate([0.0, 0.0, z])


def _solid(v: np.ndarray, f: np.ndarray, what: str) -> mf.Manifold:
    try:
        return to_manifold(v, f, what)
    except ValueError:  # a few Denver surfaces have non-manifold edges after merging
        return to_manifold(*repair(v, f), what)


def import_knee(sources: Path, body: str, side: str,
                matrices: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The registered knee soft tissue of ``body`` (HRA name) on ``side`` as npz arrays;
    ``matrices`` holds the Denver-to-HRA segment maps of each side."""
    denver, dbody, sex = sources / "denver-vh", DENVER[body], SEX_BY_BODY[body]
    region = _region(sex, side)
    arrays = {}
    surfaces = dict(STRUCTURES)
    for name, stems in surfaces.items():
        found = denver_surface(denver, dbody, side, stems)
        if found is not None:
            v, f = apply_rigid(matrices[side][SEGMENT.get(name, "femur")], found[0]), found[1]
        else:
            other = "left" if side == "right" else "right"
            found = denver_surface(denver, dbody, other, stems)
            if found is None:
                raise ValueError(f"{dbody}: no {stems[0]} on either side")
            v = apply_rigid(matrices[other][SEGMENT.get(name, "femur")], found[0])
            v = v * np.array([-1.0, 1.0, 1.0])
            v, f = apply_rigid(_mirror_map(sex, side), v), found[1][:, ::-1]
        solid = (_solid(v, f, f"{dbody} {side} {name}") ^ region).simplify(SIMPLIFY_MM)
        _put(arrays, name, solid)
    glb = read_glb(sources / "hra" / f"{body}_Knee_{SIDES[side]}.glb")
    v, f = glb[f"{body}_meniscus_{SIDES[side]}"]
    _put(arrays, "menisci", _solid(v, f, f"{body} {side} menisci").simplify(SIMPLIFY_MM / 2))
    return arrays


def _put(arrays: dict, name: str, solid: mf.Manifold) -> None:
    mesh = solid.to_mesh()
    arrays[f"{name}_vertices"] = np.asarray(mesh.vert_properties, np.float32)[:, :3]
    arrays[f"{name}_faces"] = np.asarray(mesh.tri_verts, np.int32)


def main(argv: list[str]) -> None:
    sources, target = Path(argv[0]), Path(argv[1])
    for body in DENVER:
        dbody, sex = DENVER[body], SEX_BY_BODY[body]
        denver = sources / "denver-vh"
        matrices = {s: segment_transforms(denver, dbody, sex, s,
                                          knee_transform(denver, dbody, sex, s))
                    for s in SIDES}
        for side in SIDES:
            res = knee_residuals(denver, dbody, sex, side, matrices[side])
            print(body, side, " ".join(f"{k} {m:.1f}/{p:.1f}" for k, (m, p) in res.items()))
            arrays = import_knee(sources, body, side, matrices)
            path = target / f"{body}_{side}_knee.npz"
            np.savez_compressed(path, **arrays)
            print(path, sum(len(a) for k, a in arrays.items() if k.endswith("_faces")))


if __name__ == "__main__":
    main(sys.argv[1:])
