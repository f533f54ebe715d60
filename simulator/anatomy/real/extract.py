"""Offline import: Human Reference Atlas glTF bodies -> RAS-millimetre bone meshes.

Run once when the sources change (needs trimesh, pymeshfix and scikit-image: the
``sources`` extra)::

    python -m simulator.anatomy.real.extract /path/to/anatomy-sources meshes/sources

For each body (``VH_M``, ``VH_F``) and side it writes ``<body>_<side>_<bone>.npz`` with the
bone's outer surface (``outer_vertices`` (n, 3) float32 RAS mm, ``outer_faces`` (m, 3) int32)
and its cancellous core (``core_vertices``, ``core_faces``), both closed and watertight:

- ``hip_bone``: the side's ilium, ischium and pubis (closed compact-bone surfaces in the
  source) merged into one solid.
- ``femur``: the whole femur from the knee file of that side. Its surface has 133 broken
  faces (holes at the condyles); ``pymeshfix`` closes them (see ``repair``).
- ``patella``, ``tibia``, ``fibula``: from the knee file of that side (closed in the source);
  the tibia and fibula run down to the malleoli, so the knee and the ankle models share them.

and once per body ``<body>_sacrum.npz`` (the sacrum of the pelvis file, closed in the source).

The source meshes are outer surfaces only (their "spongy bone" meshes are open patches lying
on the compact surface; the compact meshes themselves are cortical shells, hollow where the
bone is thick), so the bone is filled on a 0.6 mm voxel grid and its core derived: where the
depth under the outer surface exceeds the local cortical thickness, contoured by marching
cubes (scikit-image). Thicknesses ([U], the values the primitive bones used; clinical.md
gives none):
1.4 mm over the pelvis; femur 1.5 mm at the head, 2 mm at the neck and trochanters, 4.5 mm
in the diaphysis (from 110 mm below the head centre), back to 1.5 mm at the condyles;
patella 1.5 mm; tibia 1.2 mm under the plateau, 4.5 mm in the diaphysis, 1.5 mm at the
plafond and malleolus; fibula 1.0 mm at its head and malleolus, 2 mm in the shaft (a thin
bone: a thicker cortex leaves no core); sacrum 1.0 mm.

The outer surfaces are simplified within 0.4 mm (the hip's 2-6 MHz curvilinear probe
resolves about 0.5 mm axially, so finer detail is invisible to it, and the booleans and
renderers work on bones of 9-13 k triangles), the cores within 0.3 mm.
"""

from __future__ import annotations

import sys
from pathlib import Path

import manifold3d as mf
import numpy as np
from scipy.ndimage import (
    binary_closing,
    binary_fill_holes,
    distance_transform_edt,
    gaussian_filter,
)

from simulator.anatomy.generators.primitives import to_manifold
from simulator.anatomy.real.landmarks import fit_sphere
from simulator.anatomy.voxelize import Grid, voxelize

BODIES = ("VH_M", "VH_F")
SIDES = {"right": "R", "left": "L"}
VOXEL_MM = 0.6
OUTER_TOLERANCE_MM = 0.4   # simplified within these distances (see the notes above)
CORE_TOLERANCE_MM = 0.3
# the core is contoured this much deeper than the cortex, so that the two simplifications
# and the half-voxel contouring error cannot bring it onto the outer surface
CORE_MARGIN_MM = 0.2
PELVIS_CORTEX_MM = 1.4
PATELLA_CORTEX_MM = 1.5
SACRUM_CORTEX_MM = 1.0
# femur cortex (mm) by height below the femoral head centre (mm)
FEMUR_CORTEX_MM = ((-40.0, 1.5), (0.0, 1.5), (40.0, 2.0), (70.0, 2.0), (110.0, 4.5),
                   (320.0, 4.5), (380.0, 1.5), (600.0, 1.5))
# tibia and fibula cortex (mm) by the share of the bone's length below its top: (share, mm)
TIBIA_CORTEX = ((0.0, 1.2), (0.1, 1.2), (0.25, 4.5), (0.8, 4.5), (0.93, 1.5), (1.0, 1.5))
# the core is clipped this far inside the outer surface; the hip bones were made with 0.6 mm,
# the thin bones (fibula, tibial rims, patella and sacrum edges) need more, since the two
# simplifications (0.4 + 0.3 mm) otherwise let their core touch the surface
THIN_CLIP_MM = 0.9
FIBULA_CORTEX = ((0.0, 1.0), (0.1, 1.0), (0.25, 2.0), (0.8, 2.0), (0.9, 1.0), (1.0, 1.0))


def ras_mm_from_hra(points_m: np.ndarray) -> np.ndarray:
    """HRA file frame (metres; +x left, +y superior, +z anterior) -> RAS mm ``(n, 3)``."""
    p = np.asarray(points_m, float)
    return 1000.0 * np.stack([-p[:, 0], p[:, 2], p[:, 1]], 1)


def read_glb(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every node of a glTF body as ``{name: (vertices (n, 3) RAS mm, faces (m, 3))}``, its
    node transform applied."""
    import trimesh

    scene = trimesh.load(path)
    out = {}
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        mesh = scene.geometry[name].copy()
        mesh.apply_transform(transform)
        out[name] = (ras_mm_from_hra(mesh.vertices), np.asarray(mesh.faces, np.int64))
    return out


def repair(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Close the femur's holes. pymeshfix (the maintained binding of MeshFix) fills holes and
    removes the non-manifold faces in one pass on a surface that is already almost closed;
    a voxel remesh would resample the whole bone (and blur the cortex edges the fluoroscopy
    draws) to fix a few holes, and manifold3d only accepts surfaces that are closed already.
    The filled patches lie at the condyles, far from the hip."""
    import pymeshfix

    v, f = pymeshfix.clean_from_arrays(np.ascontiguousarray(vertices, np.float64),
                                       np.ascontiguousarray(faces, np.int32))
    return v, f


def mesh_arrays(solid: mf.Manifold) -> tuple[np.ndarray, np.ndarray]:
    mesh = solid.to_mesh()
    return (np.asarray(mesh.vert_properties, np.float32)[:, :3],
            np.asarray(mesh.tri_verts, np.int32))


def _contour(field: np.ndarray, origin: np.ndarray, tolerance_mm: float,
             what: str) -> mf.Manifold:
    """Closed surface where ``field`` (on the voxel centres from ``origin``) crosses 0,
    positive inside, by marching cubes, simplified within ``tolerance_mm``, specks dropped."""
    from skimage.measure import marching_cubes

    field = np.pad(field, 1, constant_values=-1.0)
    verts, faces, _, _ = marching_cubes(field, 0.0, spacing=(VOXEL_MM,) * 3)
    verts += origin - VOXEL_MM
    solid = to_manifold(verts, faces.astype(np.int64), what)
    if solid.volume() < 0:  # marching cubes winds toward increasing values
        solid = to_manifold(verts, faces[:, ::-1].astype(np.int64), what)
    pieces = [p for p in solid.simplify(tolerance_mm).decompose() if p.volume() > 20.0]
    return mf.Manifold.compose(pieces)


def solids(surfaces, cortex_mm, what: str,
           clip_mm: float = 0.6) -> tuple[mf.Manifold, mf.Manifold]:
    """Outer solid and cancellous core of a bone given as closed ``surfaces`` (list of
    (vertices, faces)); ``cortex_mm(points (n, 3)) -> (n,)`` is the cortical thickness.

    The surfaces are filled on the voxel grid (closing 1 voxel gaps where the pelvic parts
    meet, then filling enclosed cavities: the pelvis files' compact-bone meshes are cortical
    shells), the outer surface is contoured from the lightly smoothed fill and the core where
    the depth below it exceeds the cortex."""
    points = np.concatenate([v for v, _ in surfaces])
    grid = Grid.covering(points.min(0) - 3.0, points.max(0) + 3.0, VOXEL_MM)
    filled = voxelize(grid, [(np.asarray(v, float), np.asarray(f, np.int64))
                             for v, f in surfaces]) > 0
    filled = binary_fill_holes(binary_closing(filled, iterations=1))
    return solids_from_fill(filled, grid, cortex_mm, what, clip_mm)


def solids_from_fill(filled: np.ndarray, grid: Grid, cortex_mm, what: str,
                     clip_mm: float = 0.6) -> tuple[mf.Manifold, mf.Manifold]:
    """Outer solid and cancellous core of the bone that fills the boolean voxels ``filled``
    (``grid.shape``, spacing ``VOXEL_MM``); ``cortex_mm`` as in ``solids``."""
    origin = np.asarray(grid.origin_mm) + 0.5 * VOXEL_MM
    smooth = gaussian_filter(filled.astype(float), 0.6) - 0.5
    outer = _contour(smooth, origin, OUTER_TOLERANCE_MM, what)
    # depth below the contoured surface (not the raw fill, which thin plates differ from)
    depth = distance_transform_edt(smooth > 0.0) * VOXEL_MM - 0.5 * VOXEL_MM
    centres = [origin[k] + VOXEL_MM * np.arange(depth.shape[k]) for k in range(3)]
    xx, yy, zz = np.meshgrid(*centres, indexing="ij")
    cortex = cortex_mm(np.stack([xx, yy, zz], -1).reshape(-1, 3)).reshape(depth.shape)
    depth = gaussian_filter(depth, 0.7)
    core = _contour(depth - cortex - CORE_MARGIN_MM, origin, CORE_TOLERANCE_MM, f"{what} core")
    # where the surface bends sharply (notches, the femur's filled holes) the simplified core
    # can still reach the surface: clip it to the solid ``clip_mm`` inside the surface
    inset = _contour(depth - clip_mm, origin, CORE_TOLERANCE_MM, f"{what} inset")
    return outer, core ^ inset ^ outer


def femur_cortex(head_centre: np.ndarray):
    below, thick = np.array(FEMUR_CORTEX_MM).T

    def cortex(points):
        return np.interp(head_centre[2] - points[:, 2], below, thick)

    return cortex


def long_bone_cortex(vertices: np.ndarray, profile):
    """Cortex by the share of the bone's superior-inferior length below its top, from
    ``profile`` ((share, mm), ...)."""
    top, bottom = vertices[:, 2].max(), vertices[:, 2].min()
    share, thick = np.array(profile).T

    def cortex(points):
        return np.interp((top - points[:, 2]) / (top - bottom), share, thick)

    return cortex


def constant_cortex(mm: float):
    return lambda points: np.full(len(points), mm)


def _bone_arrays(surfaces, cortex, what: str, clip_mm: float = 0.6) -> dict[str, np.ndarray]:
    outer, core = solids(surfaces, cortex, what, clip_mm)
    ov, of = mesh_arrays(outer)
    cv, cf = mesh_arrays(core)
    return {"outer_vertices": ov, "outer_faces": of, "core_vertices": cv, "core_faces": cf}


def extract_body(hra: Path, body: str, side: str) -> dict[str, dict[str, np.ndarray]]:
    """Outer and core arrays of ``hip_bone``, ``femur``, ``patella``, ``tibia`` and ``fibula``
    of one body side."""
    s = SIDES[side]
    pelvis = read_glb(hra / f"{body}_Pelvis.glb")
    knee = read_glb(hra / f"{body}_Knee_{s}.glb")
    hip_parts = [pelvis[f"{body}_{part}_compact_bone_{s}"]
                 for part in ("ilium", "ischium", "pubis")]
    femur = repair(*knee[f"{body}_femur_{s}"])
    top = femur[0][femur[0][:, 2] > femur[0][:, 2].max() - 30.0]
    head_centre, _ = fit_sphere(top[np.abs(top[:, 0]) > np.abs(top[:, 0]).max() - 45.0])
    tibia, fibula = knee[f"{body}_tibia_{s}"], knee[f"{body}_fibula_{s}"]
    return {name: _bone_arrays(surfaces, cortex, f"{body} {side} {name}", clip)
            for name, surfaces, cortex, clip in (
                ("hip_bone", hip_parts, constant_cortex(PELVIS_CORTEX_MM), 0.6),
                ("femur", [femur], femur_cortex(head_centre), 0.6),
                ("patella", [knee[f"{body}_patella_{s}"]], constant_cortex(PATELLA_CORTEX_MM),
                 THIN_CLIP_MM),
                ("tibia", [tibia], long_bone_cortex(tibia[0], TIBIA_CORTEX), THIN_CLIP_MM),
                ("fibula", [fibula], long_bone_cortex(fibula[0], FIBULA_CORTEX), THIN_CLIP_MM))}


def extract_sacrum(hra: Path, body: str) -> dict[str, np.ndarray]:
    """Outer and core arrays of the sacrum of one body (a midline bone: no side)."""
    pelvis = read_glb(hra / f"{body}_Pelvis.glb")
    return _bone_arrays([pelvis[f"{body}_sacrum"]], constant_cortex(SACRUM_CORTEX_MM),
                        f"{body} sacrum", THIN_CLIP_MM)


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    np.savez_compressed(path, **arrays)
    print(path, len(arrays["outer_faces"]), len(arrays["core_faces"]))


def main(argv: list[str]) -> None:
    source, target = Path(argv[0]), Path(argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for body in BODIES:
        _save(target / f"{body}_sacrum.npz", extract_sacrum(source / "hra", body))
        for side in SIDES:
            for bone, arrays in extract_body(source / "hra", body, side).items():
                _save(target / f"{body}_{side}_{bone}.npz", arrays)


if __name__ == "__main__":
    main(sys.argv[1:])
