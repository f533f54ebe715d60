"""Turning overlapping primitive shapes into pairwise-disjoint structures and a GeneratedModel.

Generators describe each structure by a *shape* (a closed solid that may overlap others), a
priority and the solid it is confined to (``within``, default: the whole body). ``resolve``
hands every point to the highest-priority shape that contains it:

    region_i = (shape_i & within_i & body) - union(regions of higher priority)

so the regions are pairwise disjoint and, if a low-priority filler covers the body, they tile
it: a point inside the body lies in exactly one structure. Layered tissues fall out of the same
rule: skin = body, fat = skin inner surface, deep filler = fat inner surface, in increasing
priority.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import manifold3d as mf
import numpy as np

from simulator.anatomy.generated import GeneratedModel, GeneratedStructure
from simulator.anatomy.manifest import StructureEntry
from simulator.anatomy.patient import PatientParams


@dataclass(frozen=True)
class Part:
    """One structure before overlap resolution.

    Attributes
    ----------
    name, tissue, role, color : str
        Manifest fields (``role`` is a ``manifest.Role`` value).
    priority : int
        Higher wins where shapes overlap; must be unique.
    shape : manifold3d.Manifold
        Closed solid, RAS mm, right-side model.
    within : manifold3d.Manifold or None
        Extra confinement (e.g. the muscle envelope for deep structures).
    fibre_direction : (3,) float or None
        Unit fibre direction (right-side model frame).
    """

    name: str
    tissue: str
    role: str
    color: str
    priority: int
    shape: mf.Manifold
    within: mf.Manifold | None = None
    fibre_direction: tuple[float, float, float] | None = None
    label: str = ""


def table_parts(table: dict, shapes: dict, fibres: dict, *, envelope: mf.Manifold,
                unconfined) -> list[Part]:
    """One ``Part`` per ``table`` entry ``name: (tissue, role, colour, priority)``, in table
    order, with shape ``shapes[name]`` and fibre direction ``fibres.get(name)``; each is
    confined to the muscle ``envelope`` unless its name is in ``unconfined`` (the body layers,
    and vessels and nerves that run in the subcutaneous fat)."""
    return [Part(name, tissue, role, color, priority, shapes[name],
                 within=None if name in unconfined else envelope,
                 fibre_direction=fibres.get(name))
            for name, (tissue, role, color, priority) in table.items()]


def resolve(parts: Sequence[Part], body: mf.Manifold, *,
            keep_voids: bool = False) -> list[tuple[Part, mf.Manifold]]:
    """Disjoint regions, highest priority first. Raises ``ValueError`` on a repeated priority
    or a structure left empty.

    Booleans leave debris where surfaces meet. By default only the zero-volume components
    (flat double-sided shreds where surfaces coincide) are dropped; keeping only
    positive-volume components also fills enclosed voids back in. With ``keep_voids`` (knee,
    ankle) enclosed voids survive, so a bone's marrow or a nerve wholly inside another
    structure leaves a hole in it (otherwise the two would overlap), and components under
    0.1 mm3 either way are dropped: flat shreds, and the slivers (with matching voids in a
    neighbour) left where two surfaces nearly touch; 0.1 mm3 is below one 0.5 mm voxel."""
    priorities = [p.priority for p in parts]
    if len(set(priorities)) != len(priorities):
        raise ValueError("part priorities must be unique")
    regions = []
    taken = mf.Manifold()
    for part in sorted(parts, key=lambda p: -p.priority):
        clipped = part.shape ^ body
        if part.within is not None:
            clipped = clipped ^ part.within
        if keep_voids:
            region = _drop_small_pieces(clipped - taken, 0.1, voids_too=True)
        else:
            region = _drop_small_pieces(clipped - taken, 1e-3, voids_too=False)
        if region.is_empty() or region.volume() <= 0.0:
            raise ValueError(f"structure {part.name!r} is empty after overlap resolution")
        regions.append((part, region))
        # grow the claimed volume with the clipped shape rather than the region: same set,
        # but no faces shared with ``taken``, which keeps the union small and robust
        taken = taken + clipped
    return regions


def _drop_small_pieces(solid: mf.Manifold, min_volume_mm3: float, *,
                       voids_too: bool) -> mf.Manifold:
    """Remove the components of ``solid`` whose volume is at most ``min_volume_mm3`` (with
    ``voids_too``, whose absolute volume is, so small voids go as well as small solids and
    large voids stay); the result is ``solid`` itself when nothing is removed."""
    pieces = solid.decompose()
    if voids_too:
        keep = [p for p in pieces if abs(p.volume()) > min_volume_mm3]
    else:
        keep = [p for p in pieces if p.volume() > min_volume_mm3]
    if len(keep) == len(pieces):
        return solid
    return mf.Manifold.compose(keep) if keep else mf.Manifold()


def mesh_arrays(solid: mf.Manifold) -> tuple[np.ndarray, np.ndarray]:
    """Vertices ``(n, 3) float64`` and faces ``(m, 3) int64`` in a canonical order (vertices
    sorted lexicographically, each face rotated to start at its smallest index, faces sorted),
    so equal solids give identical arrays."""
    mesh = solid.to_mesh64()
    vertices = np.asarray(mesh.vert_properties, np.float64)[:, :3]
    faces = np.asarray(mesh.tri_verts, np.int64)
    return canonical(vertices, faces)


def canonical(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reorder ``vertices`` ``(n, 3)`` and ``faces`` ``(m, 3)`` canonically (same surface)."""
    order = np.lexsort(vertices.T[::-1])
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    faces = rank[faces]
    shift = np.argmin(faces, axis=1)
    rows = np.arange(len(faces))[:, None]
    faces = faces[rows, (shift[:, None] + np.arange(3)) % 3]
    faces = faces[np.lexsort(faces.T[::-1])]
    return np.ascontiguousarray(vertices[order]), np.ascontiguousarray(faces)


def mirror_x(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mirror a closed surface through the plane x = 0, keeping normals outward."""
    flipped = vertices * np.array([-1.0, 1.0, 1.0])
    return canonical(flipped, faces[:, ::-1])


def mirror_point(point, mirror: bool) -> tuple[float, float, float]:
    """``point`` ``(3,)`` as a plain tuple, x negated when ``mirror``."""
    p = np.asarray(point, float) * (np.array([-1.0, 1.0, 1.0]) if mirror else 1.0)
    return tuple(float(c) for c in p)


def assemble(model: str, regions: list[tuple[Part, mf.Manifold]], *, mirror: bool,
             landmarks: dict, generator: dict) -> GeneratedModel:
    """Package resolved regions as a ``GeneratedModel``, mirrored to the left side if asked.
    Landmarks ``{name: (3,)}`` are given in the right-side frame."""
    structures = []
    for part, region in regions:
        vertices, faces = mesh_arrays(region)
        if mirror:
            vertices, faces = mirror_x(vertices, faces)
        fibre = None
        if part.fibre_direction is not None:
            fibre = mirror_point(part.fibre_direction, mirror)
        entry = StructureEntry(name=part.name, file=f"{part.name}.ply", tissue=part.tissue,
                               role=part.role, label=part.label, color=part.color,
                               priority=part.priority, fibre_direction=fibre)
        structures.append(GeneratedStructure(entry, vertices, faces))
    points = {name: mirror_point(p, mirror) for name, p in landmarks.items()}
    return GeneratedModel(model=model, structures=tuple(structures), landmarks=points,
                          generator=generator)


def assemble_patient(model: str, version: int, patient: PatientParams, seed: int,
                     regions: list[tuple[Part, mf.Manifold]], landmarks: dict) -> GeneratedModel:
    """``assemble`` for a generator's ``build(patient, seed)``: mirrored for a left-side
    patient, with the generator record (name, ``version``, patient key, seed) that tells
    whether a mesh set is what the generator builds today."""
    generator = {"name": model, "version": version, "patient": patient.key(), "seed": seed}
    return assemble(model, regions, mirror=patient.side == "left", landmarks=landmarks,
                    generator=generator)
