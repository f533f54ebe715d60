"""Custom anatomy: mesh sets exported from 3D Slicer or other tools, made fit to simulate.

Such sets are often nested (a skin surface around everything, bones inside muscles) and may
be in LPS metres. The simulator needs pairwise-disjoint RAS-millimetre structures, so an
overlapping set is resolved once by priority (higher wins; ties go to the later entry) and
cached; a set that is already disjoint is used as it is.
"""

from __future__ import annotations

from pathlib import Path

import manifold3d as mf
import numpy as np

from simulator.anatomy import cache
from simulator.anatomy.generated import GeneratedModel, GeneratedStructure, write_mesh_set
from simulator.anatomy.manifest import read_manifest
from simulator.anatomy.meshio import landmarks_ras_mm, read_mesh_set
from simulator.anatomy.winding import overlapping_faces
from simulator.errors import InputError

OVERLAP_MM3 = 1.0


def _manifold(vertices, faces, path) -> mf.Manifold:
    mesh = mf.Mesh(vert_properties=np.asarray(vertices, np.float32),
                   tri_verts=np.asarray(faces, np.uint32))
    solid = mf.Manifold(mesh)
    if solid.status() != mf.Error.NoError:
        raise InputError(f"mesh is not a valid closed solid ({solid.status().name}); check it "
                         "for self-intersections and export it again", path=path)
    overlaps = overlapping_faces(vertices, faces)
    if overlaps:
        raise InputError(f"mesh passes through itself ({overlaps} sampled triangles lie inside "
                         "another part of the same surface); separate or merge the parts "
                         "(e.g. MeshLab 'Remove self-intersecting faces' then 'Close holes', or "
                         "Slicer 'Segment editor' and export again)", path=path)
    return solid


def prepare(folder: str | Path, progress=None) -> Path:
    """Folder of a disjoint RAS-mm version of the mesh set (the folder itself if it is one)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    meshes = read_mesh_set(folder, manifest)
    solids = [_manifold(v, f, p) for _, v, f, p in meshes]
    overlapping = _overlapping_pairs(solids)
    if not overlapping and manifest.coordinate_system == "RAS" and manifest.units == "mm":
        return folder
    key = cache.digest(manifest.model_dump(mode="json"),
                       cache.file_digest([m[3] for m in meshes]), "custom-v1")
    out = cache.cache_dir() / "anatomy" / f"custom-{key}"
    if (out / "manifest.yaml").is_file():
        return out
    if progress and overlapping:
        names = ", ".join(f"{meshes[a][0].name}/{meshes[b][0].name}" for a, b in overlapping[:4])
        progress(f"resolving overlapping structures by priority ({names}...)")
    order = sorted(range(len(solids)), key=lambda n: (manifest.structures[n].priority, n))
    taken = mf.Manifold()
    regions = {}
    for n in reversed(order):  # highest priority first
        region = solids[n] - taken
        if region.is_empty() or region.volume() <= 0.0:
            raise InputError(f"structure {manifest.structures[n].name!r} is entirely inside "
                             "higher-priority structures; raise its priority or remove it",
                             path=folder / "manifest.yaml", field=f"structures.{n}.priority")
        regions[n] = region
        taken = taken + solids[n]
    parts = []
    for n, (entry, _, _, _) in enumerate(meshes):
        m = regions[n].to_mesh()
        parts.append(GeneratedStructure(entry.model_copy(update={"file": f"{entry.name}.ply"}),
                                        np.asarray(m.vert_properties[:, :3], float),
                                        np.asarray(m.tri_verts, np.int64)))
    landmarks = {k: tuple(v.tolist()) for k, v in landmarks_ras_mm(manifest).items()}
    model = GeneratedModel(manifest.model, tuple(parts), landmarks,
                           {"name": "custom", "source": str(folder)})
    write_mesh_set(model, out)
    return out


def _overlapping_pairs(solids) -> list[tuple[int, int]]:
    boxes = [np.asarray(s.bounding_box()).reshape(2, 3) for s in solids]
    pairs = []
    for a in range(len(solids)):
        for b in range(a + 1, len(solids)):
            lo = np.maximum(boxes[a][0], boxes[b][0])
            hi = np.minimum(boxes[a][1], boxes[b][1])
            if np.any(hi <= lo):
                continue
            if (solids[a] ^ solids[b]).volume() > OVERLAP_MM3:
                pairs.append((a, b))
    return pairs
