"""Offline import of the Denver Visible Human hip muscles and cartilage, registered to the
Human Reference Atlas bones of the same body (run after ``extract``)::

    python -m simulator.anatomy.real.register /path/to/anatomy-sources meshes/sources

The two segmentations use different frames (``denver-vh/README.md``): VHF is RAS mm with an
offset, VHM has x to the left and z down, so RAS = (-x, y, -z). Registration per body and side,
for the hip region only:

1. rigid ICP of the Denver sacrum onto the HRA sacrum (the pelvis is one rigid body with it;
   median residual about 0.5 mm male, 0.9 mm female);
2. a translation that puts the sphere centre of the Denver acetabular cartilage (or, where a
   side lacks it, of the femoral-head cartilage) on the centre of the HRA acetabulum (head).
   The muscles are placed with the pelvis. The Denver cartilage itself is not shipped: its
   head sphere is about 1 mm smaller than the HRA head's, so 40-75 % of its vertices fall
   inside the HRA bone and it would be trimmed to patches; the generator lays cartilage on
   the HRA bones instead (it also has to thin with osteoarthritis). Where the
   Denver side lacks a file (VHM right: acetabular cartilage, rectus femoris, sartorius) the
   other side's is mirrored through the body's midline (the HRA symphysis plane) and moved
   by the difference of the two sides' head centres.

Writes ``<body>_<side>_muscles.npz`` with ``<name>_vertices`` (float32 RAS mm, the HRA body
frame) and ``<name>_faces`` (int32) per muscle (``MUSCLES``), each simplified within 0.6 mm
(a muscle's border is a soft interface the hip probe draws about a millimetre wide; the
Denver surfaces are sampled every 0.3 mm).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from simulator.anatomy.generators.primitives import to_manifold
from simulator.anatomy.real.extract import read_glb, repair
from simulator.anatomy.real.landmarks import fit_sphere

DENVER = {"VH_M": "VHM", "VH_F": "VHF"}
SIMPLIFY_MM = 0.6
# structure name in the model: Denver file stems (the spelling varies between bodies)
MUSCLES = {
    "iliacus": ("Muscle_Illiacus", "Muscle_Iliacus"),
    "psoas": ("Muscle_PsoasMajor",),
    "sartorius": ("Muscle_Sartorius",),
    "rectus_femoris": ("Muscle_RectusFemoris",),
    "tensor_fasciae_latae": ("Muscle_TensorFasciaeLatae",),
    "gluteus_minimus": ("Muscle_GluteusMinimus",),
    "gluteus_medius": ("Muscle_GluteusMedius",),
    "gluteus_maximus": ("Muscle_GluteusMaximus",),
    "pectineus": ("Muscle_Pectineus",),
    "obturator_externus": ("Muscle_ObturatorExternus",),
}
# (quadratus femoris, piriformis, the gemelli and obturator internus lie wholly inside the
# model's deep tissue, behind the joint, away from both approaches: left out, since a
# structure enclosed by another needs the void-keeping overlap resolution the hip does not
# use)
FEMORAL_CARTILAGE = ("Cartilage_FemurHead",)
ACETABULAR_CARTILAGE = ("Cartilage_PelvisAcetabulum",)


def denver_surface(folder: Path, body: str, side: str,
                   stems) -> tuple[np.ndarray, np.ndarray] | None:
    """A Denver surface in RAS mm (its own origin), or None if the body lacks it."""
    for stem in stems:
        path = folder / body / f"{body}_{side.capitalize()}_{stem}.npz"
        if path.is_file():
            data = np.load(path)
            v = data["vertices"].astype(float)
            if body == "VHM":
                v = v * np.array([-1.0, 1.0, -1.0])
            return v, data["faces"].astype(np.int64)
    return None


def rigid_icp(source: np.ndarray, target_v: np.ndarray, target_f: np.ndarray) -> np.ndarray:
    """4x4 rigid ICP of points ``source`` onto the surface ``target``, from the centroid
    offset."""
    import trimesh

    start = np.eye(4)
    start[:3, 3] = target_v.mean(0) - source.mean(0)
    matrix, _, _ = trimesh.registration.icp(source[::5], trimesh.Trimesh(target_v, target_f),
                                            initial=start, max_iterations=60)
    return matrix


def apply_rigid(matrix: np.ndarray, v: np.ndarray) -> np.ndarray:
    return v @ matrix[:3, :3].T + matrix[:3, 3]


def _head_and_socket(body: str) -> dict:
    """HRA femoral head and acetabular centres (RAS mm) per side, and the midline x."""
    from simulator.anatomy.generators.hip_real import real_hip

    sex = "male" if body == "VH_M" else "female"
    out = {}
    for side in ("right", "left"):
        hip = real_hip(sex, side)  # measured in the right-side frame: mirror the left back
        flip = np.array([1.0, 1.0, 1.0]) if side == "right" else np.array([-1.0, 1.0, 1.0])
        out[side] = (hip.femur_marks.head_centre * flip,
                     hip.pelvis_marks.acetabular_centre * flip)
        out[f"{side}_midline"] = (hip.pelvis_marks.symphysis * flip)[0]
    out["midline"] = 0.5 * (out["right_midline"] + out["left_midline"])
    return out


def register_body(sources: Path, body: str) -> dict[str, dict[str, np.ndarray]]:
    """Registered soft tissue of both sides of ``body`` (HRA name), by side."""
    denver = sources / "denver-vh"
    dbody = DENVER[body]
    sacrum_v, sacrum_f = read_glb(sources / "hra" / f"{body}_Pelvis.glb")[f"{body}_sacrum"]
    den_sacrum = denver_surface(denver, dbody, "left", ("Bone_Sacrum",))
    to_hra = rigid_icp(den_sacrum[0], sacrum_v, sacrum_f)
    centres = _head_and_socket(body)

    def anchored(src_side: str, v: np.ndarray) -> np.ndarray:
        """``v`` (registered by the sacrum) moved so the side's acetabular cartilage is
        centred on the HRA socket (its head cartilage on the head, if it lacks that)."""
        head, socket = centres[src_side]
        found = denver_surface(denver, dbody, src_side, ACETABULAR_CARTILAGE)
        goal = socket
        if found is None:
            found, goal = denver_surface(denver, dbody, src_side, FEMORAL_CARTILAGE), head
        centre, _ = fit_sphere(apply_rigid(to_hra, found[0]))
        return v + (goal - centre)

    def placed(side: str, stems):
        """The surface of ``side`` in the HRA frame; the other side's, mirrored through the
        midline onto this side's head, when the body lacks it."""
        other = "left" if side == "right" else "right"
        found = denver_surface(denver, dbody, side, stems)
        if found is not None:
            return anchored(side, apply_rigid(to_hra, found[0])), found[1]
        found = denver_surface(denver, dbody, other, stems)
        if found is None:
            raise ValueError(f"{dbody}: no {stems[0]} on either side")
        v = anchored(other, apply_rigid(to_hra, found[0]))
        flip = np.array([-1.0, 1.0, 1.0])
        shift = np.array([2.0 * centres["midline"], 0.0, 0.0])
        v = v * flip + shift
        v = v + (centres[side][0] - (centres[other][0] * flip + shift))
        return v, found[1][:, ::-1]

    out = {}
    for side in ("right", "left"):
        arrays = {}
        for name, stems in MUSCLES.items():
            v, f = placed(side, stems)
            try:
                solid = to_manifold(v, f, f"{dbody} {side} {name}")
            except ValueError:  # a few Denver surfaces have non-manifold edges after merging
                solid = to_manifold(*repair(v, f), f"{dbody} {side} {name}")
            solid = solid.simplify(SIMPLIFY_MM)
            mesh = solid.to_mesh()
            arrays[f"{name}_vertices"] = np.asarray(mesh.vert_properties, np.float32)[:, :3]
            arrays[f"{name}_faces"] = np.asarray(mesh.tri_verts, np.int32)
        out[side] = arrays
    return out


def main(argv: list[str]) -> None:
    sources, target = Path(argv[0]), Path(argv[1])
    for body in DENVER:
        for side, arrays in register_body(sources, body).items():
            path = target / f"{body}_{side}_muscles.npz"
            np.savez_compressed(path, **arrays)
            print(path, sum(len(a) for k, a in arrays.items() if k.endswith("_faces")))


if __name__ == "__main__":
    main(sys.argv[1:])

