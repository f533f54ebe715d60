"""Reading structure meshes and checking they are closed surfaces we can trust."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from simulator.anatomy.manifest import Manifest
from simulator.bounds import COORDINATE_LIMIT
from simulator.errors import InputError

_LPS_TO_RAS = np.array([-1.0, -1.0, 1.0])
MAX_EXTENT_MM = 1500.0    # a joint model spans well under this; a whole adult is ~1800 mm tall
LANDMARK_MARGIN_MM = 50.0  # landmarks lie in or just outside (skin marks) the model
MIN_VOLUME_MM3 = 1e-3
# Bump when read_mesh's checks change, so meshes cached by older checks are read again.
MESH_CACHE_VERSION = 1
MISSING_MESH = "mesh file not found; check the 'file' entry in the manifest"


def _read_with_pyvista(path: Path):
    try:
        import pyvista
    except ImportError:  # pragma: no cover - pyvista is a dependency of the viewer extra
        raise InputError("reading VTK/VTP meshes needs pyvista; install jointsim with the "
                         "'app' extra or convert the mesh to PLY/STL", path=path) from None
    poly = pyvista.read(str(path)).extract_surface().triangulate()
    faces = poly.faces.reshape(-1, 4)[:, 1:]
    return np.asarray(poly.points, float), np.asarray(faces, np.int64)


def read_mesh(path: str | Path, *, lps: bool = False, metres: bool = False):
    """Read one closed surface as RAS millimetres.

    Returns
    -------
    vertices : (n, 3) float64
    faces : (m, 3) int64
        Oriented outward (the mesh is flipped if it was inside out).

    Raises
    ------
    InputError
        If the file is missing, unreadable, empty, not watertight or not consistently wound;
        the message names the file and how to fix it.
    """
    import trimesh

    path = Path(path)
    if not path.is_file():
        raise InputError(MISSING_MESH, path=path)
    try:
        if path.suffix.lower() in (".vtk", ".vtp"):
            vertices, faces = _read_with_pyvista(path)
            mesh = trimesh.Trimesh(vertices, faces, process=True)
        else:
            # formats with shared vertices keep their topology as written; STL has none, so
            # its duplicate corners are merged
            stl = path.suffix.lower() == ".stl"
            mesh = trimesh.load(path, force="mesh", process=stl)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file for the user
        raise InputError(f"cannot read mesh ({exc.__class__.__name__}: {exc}); re-export it "
                         "as binary PLY or STL", path=path) from None
    if len(mesh.faces) == 0:
        raise InputError("mesh has no triangles; re-export the structure as a closed surface",
                         path=path)
    if not np.isfinite(mesh.vertices).all():
        raise InputError("mesh has vertices with NaN or infinite coordinates; re-export it",
                         path=path)
    if np.abs(mesh.vertices).max() > COORDINATE_LIMIT:
        raise InputError(f"mesh has coordinates beyond {COORDINATE_LIMIT:g} units; check the "
                         "export's units and origin", path=path)
    if not mesh.is_watertight:
        _, counts = np.unique(mesh.edges_sorted, axis=0, return_counts=True)
        problem = (f"{int((counts == 1).sum())} open edges" if (counts == 1).any()
                   else f"{int((counts > 2).sum())} edges shared by more than two triangles")
        raise InputError(f"mesh is not watertight ({problem}): every structure must be a "
                         "closed surface; fill holes (e.g. Slicer 'Fill holes', MeshLab "
                         "'Close holes') and export again", path=path)
    if not mesh.is_winding_consistent:
        raise InputError("mesh triangles are not consistently oriented; recompute normals "
                         "(e.g. MeshLab 'Re-orient all faces coherently') and export again",
                         path=path)
    vertices = to_ras_mm(mesh.vertices, lps=lps, metres=metres)
    faces = np.asarray(mesh.faces, np.int64)
    if mesh.volume < 0:
        faces = faces[:, ::-1].copy()
    if abs(mesh.volume) * (1e9 if metres else 1.0) < MIN_VOLUME_MM3:
        raise InputError("mesh encloses no volume (a flat or collapsed, zero-area surface); "
                         "export the structure as a closed solid", path=path)
    return vertices, faces


def to_ras_mm(points, *, lps: bool = False, metres: bool = False) -> np.ndarray:
    """Points ``(..., 3)`` given in LPS and/or metres as RAS millimetres."""
    points = np.asarray(points, float)
    if metres:
        points = points * 1000.0
    if lps:
        points = points * _LPS_TO_RAS  # mirrors two axes: orientation is preserved
    return points


def _frame(manifest: Manifest) -> dict:
    return {"lps": manifest.coordinate_system == "LPS", "metres": manifest.units == "m"}


def mesh_paths(folder: str | Path, manifest: Manifest) -> list[Path]:
    """The mesh file of every structure, in manifest order, each inside ``folder``."""
    folder = Path(folder)
    out = []
    for n, entry in enumerate(manifest.structures):
        path = folder / entry.file
        if not path.resolve().is_relative_to(folder.resolve()):
            raise InputError(f"{entry.file!r} resolves outside the manifest's folder (through "
                             "a link); put the mesh file in the folder",
                             path=folder / "manifest.yaml", field=f"structures.{n}.file")
        if not path.is_file():
            raise InputError(MISSING_MESH, path=path)
        out.append(path)
    return out


def read_mesh_set(folder: str | Path, manifest: Manifest) -> list[tuple]:
    """Every structure of ``manifest`` read from ``folder`` as RAS millimetres, in manifest
    order: ``(entry, vertices, faces, path)``."""
    frame = _frame(manifest)
    paths = mesh_paths(folder, manifest)
    out = [(entry, *read_mesh(path, **frame), path)
           for entry, path in zip(manifest.structures, paths, strict=True)]
    _check_extent(manifest, [m[1] for m in out], Path(folder) / "manifest.yaml")
    return out


def read_mesh_set_cached(folder: str | Path, manifest: Manifest,
                         content: str) -> list[tuple]:
    """``read_mesh_set``, from the jointsim cache when the same files were read and checked
    before (``content``: a digest of the manifest and every mesh file's bytes). A hit skips
    parsing and checking the files, and importing trimesh, which is most of a second start."""
    from simulator.anatomy import cache

    stored = cache.cache_dir() / "anatomy" / f"meshes-{MESH_CACHE_VERSION}-{content}.npz"
    paths = mesh_paths(folder, manifest)
    try:
        with np.load(stored) as arrays:
            return [(entry, arrays[f"v{n}"], arrays[f"f{n}"], path)
                    for n, (entry, path) in enumerate(zip(manifest.structures, paths,
                                                          strict=True))]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):  # not cached, damaged
        pass
    meshes = read_mesh_set(folder, manifest)
    stored.parent.mkdir(parents=True, exist_ok=True)
    tmp = stored.with_name(f"{stored.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **{f"v{n}": m[1] for n, m in enumerate(meshes)},
             **{f"f{n}": m[2] for n, m in enumerate(meshes)})
    tmp.replace(stored)
    return meshes


def _check_extent(manifest: Manifest, vertices: list[np.ndarray], manifest_path: Path) -> None:
    """Refuse a model too large to be a joint (usually the wrong ``units``) and landmarks
    outside it, before anything is voxelised.

    ``vertices`` are the structures' ``(n, 3)`` RAS-mm vertex arrays.
    """
    every = np.concatenate(vertices)
    lo, hi = every.min(0), every.max(0)
    extent_mm = float((hi - lo).max())
    if extent_mm > MAX_EXTENT_MM:
        hint = (" (the meshes look like millimetres: set units: mm)"
                if manifest.units == "m" and extent_mm / 1000.0 <= MAX_EXTENT_MM else "")
        raise InputError(f"the model spans {extent_mm:,.0f} mm, more than the "
                         f"{MAX_EXTENT_MM:g} mm a joint model may{hint}; check units and "
                         "the mesh files", path=manifest_path, field="units")
    for name, point in landmarks_ras_mm(manifest).items():
        if np.any(point < lo - LANDMARK_MARGIN_MM) or np.any(point > hi + LANDMARK_MARGIN_MM):
            raise InputError(f"landmark lies more than {LANDMARK_MARGIN_MM:g} mm outside the "
                             "model's meshes; check its coordinates and the manifest's units "
                             "and coordinate_system", path=manifest_path,
                             field=f"landmarks.{name}")


def landmarks_ras_mm(manifest: Manifest) -> dict[str, np.ndarray]:
    """The manifest's landmarks as RAS millimetres."""
    frame = _frame(manifest)
    return {k: to_ras_mm(v, **frame) for k, v in manifest.landmarks.items()}
