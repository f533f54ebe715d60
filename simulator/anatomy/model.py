"""A loaded anatomy: tissue-labelled structures with exact and fast spatial queries.

Structures are pairwise disjoint closed surfaces that tile the body: a point inside the body
lies in exactly one of them, and label 0 means outside the body (air). Queries:

- ``label_at`` / ``labels_at``: which structure holds a point. A cached label volume answers in
  O(1); voxels next to an interface are flagged and answered exactly by a ray cast.
- ``segment_crossings``: every surface a needle segment crosses, exactly, in order.
- ``distance_to``: exact distance from points to a structure's surface (negative inside).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.anatomy import cache
from simulator.anatomy.manifest import Manifest, Role, StructureEntry, read_manifest
from simulator.anatomy.meshio import landmarks_ras_mm, mesh_paths, read_mesh_set_cached
from simulator.anatomy.raycast import TriangleGrid
from simulator.anatomy.voxelize import Grid, voxelize
from simulator.errors import InputError
from simulator.tissues import Tissue, tissue

BOUNDARY = np.uint8(0x80)
MAX_STRUCTURES = 127
MAX_VOXELS = 64_000_000
# A fixed, deliberately oblique direction for point classification rays, so they do not run
# along mesh edges or grid planes.
_CLASSIFY_DIR = np.array([0.3139, 0.2718, 0.9096]) / np.linalg.norm([0.3139, 0.2718, 0.9096])


@dataclass(frozen=True, eq=False)
class Structure:
    """One structure: its manifest entry, tissue and surface.

    Attributes
    ----------
    index : int
        Label value (1-based); 0 is reserved for outside the body.
    vertices : (n, 3) float64, faces : (m, 3) int64
        Closed outward surface in RAS millimetres.
    """

    index: int
    entry: StructureEntry
    tissue: Tissue
    vertices: np.ndarray
    faces: np.ndarray

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def role(self) -> Role:
        return self.entry.role


@dataclass(frozen=True)
class Crossing:
    """A needle segment crossing a structure surface."""

    t_mm: float
    structure: int
    entering: bool
    normal: tuple[float, float, float]


class Anatomy:
    """Structures, landmarks and spatial queries of one patient model (immutable)."""

    def __init__(self, manifest: Manifest, folder: Path, structures: tuple[Structure, ...],
                 content_digest: str, grid: Grid, labels: np.ndarray):
        self.manifest = manifest
        self.folder = folder
        self.structures = structures
        self.digest = content_digest
        self.grid = grid
        self.labels = labels
        self.by_name = {s.name: s for s in structures}
        self.landmarks = landmarks_ras_mm(manifest)
        self.triangles = TriangleGrid.build([(s.vertices, s.faces) for s in structures],
                                            cache_key=content_digest)
        self._origin = np.asarray(grid.origin_mm, float)
        self._h = grid.spacing_mm
        self._shape = grid.shape
        self._kd: dict[int, tuple] = {}
        all_v = np.concatenate([s.vertices for s in structures])
        self.bounds_mm = (all_v.min(0), all_v.max(0))

    # -- loading -----------------------------------------------------------------------------
    @classmethod
    def load(cls, folder: str | Path, *, roi_mm=None, voxel_mm: float = 0.5,
             progress=None) -> Anatomy:
        """Load a mesh set and its (cached) label volume.

        Parameters
        ----------
        folder : path
            Folder with ``manifest.yaml`` and the mesh files.
        roi_mm : ((3,), (3,)) float, optional
            Box the label volume covers (default: the whole model). Outside it queries fall
            back to exact ray casts.
        voxel_mm : float
            Label voxel size; raised if the box would exceed ``MAX_VOXELS``.
        """
        folder = Path(folder)
        manifest = read_manifest(folder)
        if len(manifest.structures) > MAX_STRUCTURES:
            raise InputError(f"at most {MAX_STRUCTURES} structures are supported",
                             path=folder / "manifest.yaml", field="structures")
        content = cache.digest(manifest.model_dump(mode="json"),
                               cache.file_digest(mesh_paths(folder, manifest)))
        meshes = read_mesh_set_cached(folder, manifest, content)
        structures = [Structure(n + 1, entry, tissue(entry.tissue), vertices, faces)
                      for n, (entry, vertices, faces, _) in enumerate(meshes)]
        all_v = np.concatenate([s.vertices for s in structures])
        lo, hi = all_v.min(0), all_v.max(0)
        if roi_mm is not None:
            lo = np.maximum(lo, np.asarray(roi_mm[0], float))
            hi = np.minimum(hi, np.asarray(roi_mm[1], float))
            if np.any(hi <= lo):
                lo, hi = all_v.min(0), all_v.max(0)
        spacing = max(voxel_mm, float(np.cbrt(np.prod(hi - lo) / MAX_VOXELS)))
        grid = Grid.covering(lo - spacing, hi + spacing, spacing)
        labels = _cached_labels(content, grid, structures, progress)
        return cls(manifest, folder, tuple(structures), content, grid, labels)

    # -- point queries ----------------------------------------------------------------------
    def structure(self, name: str) -> Structure:
        try:
            return self.by_name[name]
        except KeyError:
            raise KeyError(f"unknown structure {name!r}; this model has: "
                           f"{', '.join(self.by_name)}") from None

    def label_at(self, point_mm) -> int:
        """Label of the structure holding ``point_mm`` (0 = outside the body)."""
        x, y, z = point_mm
        o, h = self._origin, self._h
        i = int((x - o[0]) // h)
        j = int((y - o[1]) // h)
        k = int((z - o[2]) // h)
        nx, ny, nz = self._shape
        if 0 <= i < nx and 0 <= j < ny and 0 <= k < nz:
            v = int(self.labels[i, j, k])
            if not v & 0x80:
                return v
        return self.exact_label_at(point_mm)

    def labels_at(self, points_mm) -> np.ndarray:
        """Labels ``(n,) int`` of points ``(n, 3)``."""
        pts = np.asarray(points_mm, float).reshape(-1, 3)
        out, unsure = self._volume_lookup(pts)
        for n in np.flatnonzero(unsure):
            out[n] = self.exact_label_at(pts[n])
        return out

    def volume_labels_at(self, points_mm) -> np.ndarray:
        """Labels ``(n,)`` from the label volume alone (voxel accuracy; 0 outside it)."""
        return self._volume_lookup(np.asarray(points_mm, float).reshape(-1, 3))[0]

    def _volume_lookup(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels ``(n,) int64`` of points ``(n, 3)`` from the label volume (0 outside it),
        and ``(n,) bool`` where that is not certain: outside the volume or at an interface."""
        idx = self.grid.index_of(pts)
        inside = np.all((idx >= 0) & (idx < self._shape), axis=1)
        out = np.zeros(len(pts), np.int64)
        vals = self.labels[idx[inside, 0], idx[inside, 1], idx[inside, 2]]
        out[inside] = vals & 0x7F
        unsure = ~inside
        unsure[np.flatnonzero(inside)[(vals & 0x80) != 0]] = True
        return out, unsure

    def exact_label_at(self, point_mm) -> int:
        """Exact label by casting a ray: the first surface met is the exit of its own region."""
        t, tri = self.triangles.nearest_hits(point_mm, _CLASSIFY_DIR, 1e4)
        if len(t) == 0:
            return 0
        leaving = self.triangles.normal[tri] @ _CLASSIFY_DIR > 0.0
        if not np.any(leaving):
            return 0
        return int(self.triangles.owner[tri[leaving][0]]) + 1

    def structure_at(self, point_mm) -> Structure | None:
        label = self.label_at(point_mm)
        return self.structures[label - 1] if label else None

    # -- segment and ray queries ------------------------------------------------------------
    def segment_crossings(self, start_mm, end_mm) -> tuple[Crossing, ...]:
        """Every structure surface the segment crosses, ordered from ``start_mm``."""
        start = np.asarray(start_mm, float)
        delta = np.asarray(end_mm, float) - start
        length = float(np.linalg.norm(delta))
        if length == 0.0:
            return ()
        t, tri = self.triangles.segment_hits(start, start + delta)
        d = delta / length
        normals = self.triangles.normal[tri]
        owners = self.triangles.owner[tri]
        crossings = [Crossing(float(t[n]), int(owners[n]) + 1, bool(normals[n] @ d < 0.0),
                              tuple(normals[n].tolist())) for n in range(len(t))]
        # coincident surfaces (a shared interface): leave the old structure, then enter
        crossings.sort(key=lambda c: (round(c.t_mm * 1e5), c.entering))
        return tuple(crossings)

    def first_surface(self, origin_mm, direction, max_mm: float, labels=None):
        """First crossing along a ray, optionally only of structures with the given labels.

        Returns ``(point (3,), crossing)`` or ``None``.
        """
        origin = np.asarray(origin_mm, float)
        d = np.asarray(direction, float)
        d = d / np.linalg.norm(d)
        for c in self.segment_crossings(origin, origin + d * max_mm):
            if labels is None or c.structure in labels:
                return origin + d * c.t_mm, c
        return None

    # -- distances --------------------------------------------------------------------------
    def distance_to(self, name: str, points_mm) -> np.ndarray:
        """Exact distance ``(n,)`` from points ``(n, 3)`` to the surface of ``name``.

        Negative inside the structure.
        """
        import trimesh

        s = self.structure(name)
        tree, max_edge, vertex_faces = self._kdtree(s)
        pts = np.asarray(points_mm, float).reshape(-1, 3)
        out = np.empty(len(pts))
        for n, p in enumerate(pts):
            r0, _ = tree.query(p)
            near = tree.query_ball_point(p, r0 + max_edge)
            faces = np.unique(np.concatenate([vertex_faces[v] for v in near]))
            tri = s.vertices[s.faces[faces]]
            closest = trimesh.triangles.closest_point(tri, np.repeat(p[None], len(tri), 0))
            out[n] = np.sqrt(((closest - p) ** 2).sum(1).min())
        inside = self.labels_at(pts) == s.index
        out[inside] *= -1.0
        return out

    def _kdtree(self, s: Structure):
        if s.index not in self._kd:
            from scipy.spatial import cKDTree

            edges = s.vertices[s.faces[:, [1, 2, 0]]] - s.vertices[s.faces]
            max_edge = float(np.sqrt((edges ** 2).sum(-1)).max())
            order = np.argsort(s.faces.ravel(), kind="stable")
            starts = np.searchsorted(s.faces.ravel()[order], np.arange(len(s.vertices) + 1))
            vertex_faces = [order[starts[v]:starts[v + 1]] // 3 for v in range(len(s.vertices))]
            self._kd[s.index] = (cKDTree(s.vertices), max_edge, vertex_faces)
        return self._kd[s.index]


def _cached_labels(content: str, grid: Grid, structures, progress) -> np.ndarray:
    """Label volume with interface flags, from the disk cache or built and stored there."""
    key = cache.digest(content, grid.origin_mm, grid.spacing_mm, grid.shape, "labels-v2")
    path = cache.cache_dir() / "labels" / f"{key}.npy"
    labels = cache.load_checked(path, grid.shape, np.uint8)
    if labels is not None:
        return labels
    if progress:
        progress(f"building {grid.shape[0]}x{grid.shape[1]}x{grid.shape[2]} label volume "
                 f"at {grid.spacing_mm:.2f} mm")
    labels = voxelize(grid, [(s.vertices, s.faces) for s in structures],
                      [s.entry.priority for s in structures])
    labels |= _interface_flags(labels)
    cache.save_checked(path, labels)
    return labels


def _interface_flags(labels: np.ndarray) -> np.ndarray:
    """``BOUNDARY`` where any voxel of the 3x3x3 neighbourhood has another label."""
    from scipy.ndimage import maximum_filter, minimum_filter

    differs = maximum_filter(labels, size=3, mode="nearest") != minimum_filter(
        labels, size=3, mode="nearest")
    return np.where(differs, BOUNDARY, np.uint8(0))
