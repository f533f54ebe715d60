"""In-memory result of a generator, and writing it out as a mesh set."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.anatomy.manifest import Manifest, StructureEntry, write_manifest


@dataclass(frozen=True)
class GeneratedStructure:
    """One closed, outward-oriented triangle surface and its manifest entry.

    Attributes
    ----------
    entry : StructureEntry
        Manifest entry; ``entry.file`` is where the mesh is written.
    vertices : (n, 3) float64
        Vertex positions in RAS millimetres.
    faces : (m, 3) int64
        Triangles, counter-clockwise seen from outside.
    """

    entry: StructureEntry
    vertices: np.ndarray
    faces: np.ndarray


@dataclass(frozen=True)
class GeneratedModel:
    """All structures of one patient model, pairwise disjoint, plus named landmarks."""

    model: str
    structures: tuple[GeneratedStructure, ...]
    landmarks: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    generator: dict = field(default_factory=dict)

    def manifest(self) -> Manifest:
        return Manifest(model=self.model, structures=tuple(s.entry for s in self.structures),
                        landmarks=self.landmarks, generator=self.generator or None)


def write_mesh_set(model: GeneratedModel, folder: str | Path) -> Manifest:
    """Write every structure as binary PLY plus ``manifest.yaml`` into ``folder``.

    Files are written under temporary names and renamed, and the manifest goes last, so a
    folder with a manifest always holds a complete mesh set.
    """
    import trimesh

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for s in model.structures:
        mesh = trimesh.Trimesh(s.vertices, s.faces, process=False)
        tmp = folder / (s.entry.file + ".tmp")
        tmp.write_bytes(mesh.export(file_type="ply", encoding="binary"))
        tmp.replace(folder / s.entry.file)
    manifest = model.manifest()
    write_manifest(manifest, folder)
    return manifest
