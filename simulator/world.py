"""A scenario bound to its anatomy, with the lookups the step needs precomputed.

``World`` is immutable and built once per session; ``step(world, state, action)`` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.anatomy.manifest import Role
from simulator.anatomy.model import Anatomy
from simulator.anatomy.patient import PatientParams
from simulator.geometry import unit
from simulator.needle_core import TissueCore
from simulator.scenario import Scenario
from simulator.tissues import Tissue

DANGER_ROLES = (Role.artery, Role.vein, Role.nerve)
CREASE_COS = 0.87  # a face whose corner normals differ from it by > 30 deg sits on a crease


@dataclass(frozen=True, eq=False)
class SkinHit:
    """A point on the outer skin and the smoothly interpolated outward normal there."""

    point: np.ndarray
    normal: np.ndarray


@dataclass(frozen=True, eq=False)
class World:
    """Scenario + anatomy + derived constants.

    Attributes
    ----------
    side_sign : float
        +1 for a right-sided case, -1 for left: x of scenario offsets is mirrored by it, so
        offsets read "lateral" whatever the side.
    role_of, tissue_of : tuple indexed by label (index 0 = outside the body)
    danger : dict label -> (name, severity)
    core : TissueCore
        The anatomy and tissue mechanics as the compiled needle-tissue kernels read them.
    """

    scenario: Scenario
    anatomy: Anatomy
    patient: PatientParams
    seed: int
    side_sign: float
    role_of: tuple
    tissue_of: tuple
    danger: dict
    target_label: int
    target_point: np.ndarray
    target_tolerance_mm: float
    entry_centre: np.ndarray
    vertex_normals: tuple
    creases: tuple
    tri_offset: np.ndarray
    core: TissueCore

    @property
    def dt_s(self) -> float:
        return self.scenario.sim.dt_s

    def landmark(self, name: str, offset_mm=(0.0, 0.0, 0.0)) -> np.ndarray:
        """Landmark position plus a side-mirrored offset (x of the offset points lateral)."""
        off = np.asarray(offset_mm, float) * (self.side_sign, 1.0, 1.0)
        return self.anatomy.landmarks[name] + off

    def tissue(self, label: int) -> Tissue | None:
        return self.tissue_of[label]

    def role(self, label: int) -> Role | None:
        return self.role_of[label]

    def name(self, label: int) -> str:
        return self.anatomy.structures[label - 1].name if label else "outside"

    def in_entry_zone(self, point) -> bool:
        """Whether a skin point lies in the scenario's allowed entry zone."""
        distance = float(np.linalg.norm(np.asarray(point) - self.entry_centre))
        return distance <= self.scenario.entry_zone.radius_mm

    # -- the skin surface -------------------------------------------------------------------
    def skin_along(self, origin_mm, direction, max_mm: float = 600.0) -> SkinHit | None:
        """Where a ray from outside the body first meets the skin."""
        point, tri = self.anatomy.triangles.skin_entry(origin_mm, unit(direction), max_mm)
        return None if point is None else SkinHit(point, self._smooth_normal(int(tri), point))

    def skin_near(self, point_mm, normal_hint) -> SkinHit | None:
        """Project a point onto the skin along the (approximate) outward normal. The search
        starts 60 mm out, or 10 mm beyond the outermost surface along the normal when the
        point lies deeper than that (a landmark deep in the body), so it starts outside."""
        point, tri = self.anatomy.triangles.skin_from_outside(point_mm, unit(normal_hint),
                                                              400.0, 60.0, 10.0, 140.0)
        return None if point is None else SkinHit(point, self._smooth_normal(int(tri), point))

    def _smooth_normal(self, tri: int, point) -> np.ndarray:
        owner = int(self.anatomy.triangles.owner[tri])
        s = self.anatomy.structures[owner]
        face = s.faces[tri - self.tri_offset[owner]]
        if self.creases[owner][tri - self.tri_offset[owner]]:
            # next to a sharp edge (a box corner) interpolation would tilt a flat face
            return self.anatomy.triangles.normal[tri].copy()
        a, b, c = s.vertices[face]
        v0, v1, v2 = b - a, c - a, np.asarray(point) - a
        d00, d01, d11 = v0 @ v0, v0 @ v1, v1 @ v1
        d20, d21 = v2 @ v0, v2 @ v1
        den = d00 * d11 - d01 * d01
        if den == 0.0:
            return self.anatomy.triangles.normal[tri].copy()
        w1 = (d11 * d20 - d01 * d21) / den
        w2 = (d00 * d21 - d01 * d20) / den
        vn = self.vertex_normals[owner]
        return unit((1 - w1 - w2) * vn[face[0]] + w1 * vn[face[1]] + w2 * vn[face[2]])


def make_world(scenario: Scenario, anatomy: Anatomy, patient: PatientParams | None = None,
               seed: int = 0) -> World:
    """Bind a scenario to its anatomy for session ``seed`` (the patient drawn for it).

    Structure names were validated when the scenario was loaded.
    """
    patient = patient or scenario.anatomy.patient.draw(seed)
    structures = anatomy.structures
    role_of = (None, *(s.role for s in structures))
    tissue_of = (None, *(s.tissue for s in structures))
    danger = {s.index: (s.name, "major") for s in structures if s.role in DANGER_ROLES}
    for d in scenario.dangers:
        danger[anatomy.structure(d.structure).index] = (d.structure, d.severity)
    target = scenario.targets[0]
    side_sign = 1.0 if patient.side == "right" else -1.0
    offsets = np.cumsum([0] + [len(s.faces) for s in structures])[:-1]
    vertex_normals = tuple(_vertex_normals(s.vertices, s.faces) for s in structures)
    creases = tuple(crease_faces(s.vertices, s.faces, vn)
                    for s, vn in zip(structures, vertex_normals, strict=True))
    world = World(scenario, anatomy, patient, seed, side_sign, role_of, tissue_of, danger,
                  anatomy.structure(target.structure).index,
                  anatomy.landmarks[target.landmark].copy(), target.tolerance_mm,
                  np.zeros(3), vertex_normals, creases, offsets,
                  TissueCore.of(anatomy, tissue_of))
    zone = scenario.entry_zone
    object.__setattr__(world, "entry_centre", world.landmark(zone.landmark, zone.offset_mm))
    return world


def crease_faces(vertices, faces, vertex_normals) -> np.ndarray:
    """``(m,) bool``: faces with a corner normal more than ~30 deg off the face's own normal,
    which must be shaded flat (sharp edges of boxes, cut ends)."""
    fn = np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]],
                  vertices[faces[:, 2]] - vertices[faces[:, 0]])
    fn /= np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-300)
    return np.einsum("fkc,fc->fk", vertex_normals[faces], fn).min(1) < CREASE_COS


def _vertex_normals(vertices, faces) -> np.ndarray:
    """Area-weighted outward vertex normals ``(n, 3)``."""
    fn = np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]],
                  vertices[faces[:, 2]] - vertices[faces[:, 0]])
    # each vertex sums its faces' normals in the order np.add.at over corners 0, 1, 2 would
    # (the same bits), with one bincount per axis: several times faster at every start
    corners, weights = faces.T.ravel(), np.tile(fn, (3, 1))
    vn = np.stack([np.bincount(corners, weights=weights[:, c], minlength=len(vertices))
                   for c in range(3)], axis=1)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)
