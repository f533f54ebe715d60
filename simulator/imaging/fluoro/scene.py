"""The anatomy as the x-ray renderer sees it: triangles, materials and how surfaces nest.

Structures are meant to be disjoint closed surfaces (the anatomy loader's contract). Mesh sets
from elsewhere may instead nest solids (a marrow solid inside a whole-bone solid, organs
inside a body hull) or overlap; where they do, the structure of higher manifest ``priority``
owns the shared volume (ties: the later structure), as in the label volume.

:func:`nesting` finds out which case applies by ray parity from points just inside every
structure. Disjoint and properly nested sets are rendered in one linear pass: a structure
nested in a parent adds its length to the channel of the material that wins inside it and
subtracts it from the channel that wins in the parent, so every region is counted once with
its winning material. Anything else (partial overlap, identical surfaces, or enclosing
structures that do not nest in each other) falls back to the exact per-pixel sweep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from simulator.anatomy.raycast import TriangleGrid, _walk
from simulator.imaging.fluoro.interfaces import merge_interfaces
from simulator.tissues import tissue

SAMPLES_PER_STRUCTURE = 400
MAX_HITS = 4096
# Fractions of sample points inside another surface read as "outside" / "nested" (stray points
# come from sub-micrometre interpenetration where boolean operations left shared interfaces).
DISJOINT_BELOW = 0.1
NESTED_ABOVE = 0.9
_PARITY_DIR = np.array([0.2718, -0.3139, 0.9096]) / np.linalg.norm([0.2718, -0.3139, 0.9096])


@dataclass(frozen=True, eq=False)
class MeshScene:
    """All structures in one set of arrays, ready for :mod:`raster`.

    Attributes
    ----------
    vertices : (n, 3) float64 ; faces : (m, 3) int32 ; owner : (m,) int32
        Concatenated surfaces, world mm; ``owner`` is the structure index (0-based).
    names : tuple of str
        Structure names.
    materials : tuple of str
        Channel keys (tissue keys), one per distinct material.
    mu_per_mm : (channels,) float64
        Linear attenuation of each channel at the effective energy.
    chan : (s,) int32
        Material channel of each structure.
    rank : (s,) int32
        Overlap precedence (priority, then order).
    parent : (s,) int32
        Innermost enclosing structure, -1 for none.
    chan_plus, chan_minus : (s,) int32
        Linear-mode channels gaining / losing each structure's length (-1 none).
    method : str
        ``"linear"`` or ``"sweep"``.
    digest : str
        Identity for caches.
    max_chord_mm : float
        Diagonal of the scene's bounding box: no ray can be longer inside it.
    linear : tuple
        ``(faces (k, 3), owner (k,), chan_plus, chan_minus)`` for the linear pass, shared
        interfaces drawn once (:mod:`interfaces`); the plain arrays in sweep mode.
    """

    vertices: np.ndarray
    faces: np.ndarray
    owner: np.ndarray
    names: tuple[str, ...]
    materials: tuple[str, ...]
    mu_per_mm: np.ndarray
    chan: np.ndarray
    rank: np.ndarray
    parent: np.ndarray
    chan_plus: np.ndarray
    chan_minus: np.ndarray
    method: str
    digest: str
    max_chord_mm: float
    linear: tuple

    def pass_arrays(self, method: str) -> tuple:
        """``(faces, owner, chan_plus, chan_minus)`` for a pass of ``method``."""
        if method == "linear":
            return self.linear
        return self.faces, self.owner, self.chan_plus, self.chan_minus

    @property
    def n_channels(self) -> int:
        return len(self.materials)

    @classmethod
    def build(cls, meshes, tissues, priorities=None, names=None, *, triangles=None,
              digest: str = "") -> MeshScene:
        """Scene from ``meshes`` (sequence of (vertices (n, 3), faces (m, 3))) with a tissue key
        per mesh (``tissues``) and optional overlap ``priorities``.

        ``triangles`` may pass an existing :class:`TriangleGrid` of the same meshes.
        """
        n = len(meshes)
        priorities = list(priorities) if priorities is not None else [0] * n
        names = tuple(names) if names is not None else tuple(f"s{k}" for k in range(n))
        materials = tuple(dict.fromkeys(tissues))
        chan = np.array([materials.index(t) for t in tissues], np.int32)
        mu = np.array([tissue(t).xray.mu_per_cm / 10.0 for t in materials])
        order = sorted(range(n), key=lambda k: (priorities[k], k))
        rank = np.empty(n, np.int32)
        rank[order] = np.arange(n, dtype=np.int32)
        offsets = np.cumsum([0] + [len(v) for v, _ in meshes])
        vertices = np.concatenate([np.asarray(v, float) for v, _ in meshes])
        faces = np.concatenate([np.asarray(f, np.int64) + o for (_, f), o in
                                zip(meshes, offsets, strict=False)]).astype(np.int32)
        owner = np.concatenate([np.full(len(f), k, np.int32) for k, (_, f) in
                                enumerate(meshes)])
        if triangles is None:
            triangles = TriangleGrid.build(meshes)
        inside = nesting(meshes, triangles)
        parent, ok = _parents(inside, meshes)
        chan_plus = np.full(n, -1, np.int32)
        chan_minus = np.full(n, -1, np.int32)
        if ok:
            win = [_winner(k, parent, rank) for k in range(n)]
            for k in range(n):
                plus = int(chan[win[k]])
                minus = int(chan[win[parent[k]]]) if parent[k] >= 0 else -1
                if plus != minus:
                    chan_plus[k], chan_minus[k] = plus, minus
        diagonal = float(np.linalg.norm(vertices.max(0) - vertices.min(0)))
        linear = (merge_interfaces(vertices, faces, owner, chan_plus, chan_minus) if ok
                  else (faces, owner, chan_plus, chan_minus))
        return cls(vertices, faces, owner, names, materials, mu, chan, rank, parent,
                   chan_plus, chan_minus, "linear" if ok else "sweep", digest, diagonal,
                   linear)

    @classmethod
    def from_anatomy(cls, anatomy) -> MeshScene:
        """Scene of a loaded :class:`~simulator.anatomy.model.Anatomy` (cached per content)."""
        return _anatomy_scene(anatomy.digest, anatomy)


_SCENES: dict[str, MeshScene] = {}


def _anatomy_scene(digest: str, anatomy) -> MeshScene:
    scene = _SCENES.get(digest)
    if scene is None:
        s = anatomy.structures
        scene = MeshScene.build([(x.vertices, x.faces) for x in s], [x.tissue.key for x in s],
                                [x.entry.priority for x in s], [x.name for x in s],
                                triangles=anatomy.triangles, digest=digest)
        if len(_SCENES) >= 4:
            _SCENES.pop(next(iter(_SCENES)))
        _SCENES[digest] = scene
    return scene


def nesting(meshes, triangles: TriangleGrid) -> np.ndarray:
    """Fraction ``(s, s)`` of sample points just inside structure ``a`` that lie inside ``b``.

    Points sit 1 % of a triangle's size inside the centroids of up to
    ``SAMPLES_PER_STRUCTURE`` triangles spread over each surface; inside-ness is the parity of
    crossings of an oblique ray with each surface. An overlap smaller than the spacing of the
    samples can go unnoticed; it then counts twice in the linear pass.
    """
    n = len(meshes)
    frac = np.zeros((n, n))
    lo, hi = triangles.origin_mm, triangles.origin_mm + triangles.dims * triangles.cell_mm
    reach = float(np.linalg.norm(hi - lo)) + 1.0
    points, source = [], []
    for a, (vertices, faces) in enumerate(meshes):
        tri = np.asarray(vertices, float)[np.asarray(faces)]
        normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        area2 = np.linalg.norm(normal, axis=1)
        usable = np.flatnonzero(area2 > 1e-12)
        if len(usable) == 0:
            continue
        pick = usable[np.linspace(0, len(usable) - 1, min(SAMPLES_PER_STRUCTURE,
                                                           len(usable))).astype(int)]
        step = 0.01 * np.sqrt(area2[pick] / 2.0)
        points.append(tri[pick].mean(1) - normal[pick] / area2[pick, None] * step[:, None])
        source.append(np.full(len(pick), a))
    if not points:
        return frac
    points = np.concatenate(points)
    source = np.concatenate(source)
    inside = np.zeros((len(points), n), np.uint8)
    _parity(points, _PARITY_DIR, reach, triangles.origin_mm, triangles.cell_mm, triangles.dims,
            triangles.cell_start, triangles.cell_tris, triangles.v0, triangles.e1,
            triangles.e2, triangles.owner, inside)
    for a in range(n):
        rows = inside[source == a]
        if len(rows):
            frac[a] = rows.mean(0)
    return frac


@numba.njit(cache=True, parallel=True, nogil=True)
def _parity(points, d, reach, origin, cell, dims, cell_start, cell_tris, v0, e1, e2, owner,
            out):
    for k in numba.prange(points.shape[0]):
        buf_t = np.empty(MAX_HITS)
        buf_tri = np.empty(MAX_HITS, np.int64)
        n = _walk(points[k], d, reach, origin, cell, dims, cell_start, cell_tris, v0, e1, e2,
                  buf_t, buf_tri)
        for h in range(n):
            out[k, owner[buf_tri[h]]] ^= 1


def _parents(inside: np.ndarray, meshes) -> tuple[np.ndarray, bool]:
    """Innermost enclosing structure of each; ``ok`` False unless the sets nest as a tree."""
    n = len(meshes)
    parent = np.full(n, -1, np.int32)
    volume = np.array([_volume(v, f) for v, f in meshes])
    ok = True
    for a in range(n):
        row = inside[a].copy()
        row[a] = 0.0
        if np.any((row >= DISJOINT_BELOW) & (row <= NESTED_ABOVE)):
            ok = False  # partial overlap
        encl = [b for b in range(n) if b != a and row[b] > NESTED_ABOVE]
        if any(inside[b, a] > NESTED_ABOVE for b in encl):
            ok = False  # coincident surfaces
        encl.sort(key=lambda b: volume[b])
        for inner, outer in zip(encl, encl[1:], strict=False):
            if inside[inner, outer] <= NESTED_ABOVE:
                ok = False  # enclosing structures that do not nest
        if encl:
            parent[a] = encl[0]
    return parent, ok


def _winner(k: int, parent: np.ndarray, rank: np.ndarray) -> int:
    """Structure of highest rank among ``k`` and its ancestors (it owns ``k``'s volume)."""
    best = k
    p = parent[k]
    while p >= 0:
        if rank[p] > rank[best]:
            best = p
        p = parent[p]
    return best


def _volume(vertices, faces) -> float:
    tri = np.asarray(vertices, float)[np.asarray(faces)]
    return float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6.0)
