"""Articular structures of a right knee on the real anatomy: the patella's axes, the
patellofemoral space, the synovial lining and the capsule.

The cartilage, menisci and ligaments are the real ones (``knee_real``). The lining is made of
offset surfaces of the real articular surfaces, taken from a signed distance field on a
``VOXEL_MM`` grid (the real surfaces are not convex, so the hulls the generated joints grow
would bridge the notch and the trochlear groove):

- synovial cavity: everything within the synovial film of the cartilage and menisci (the
  film fills the narrow gaps between the articular surfaces), plus the patellofemoral space
  and the suprapatellar pouch (``knee_layers``);
- capsule: the same grown by the capsule's thickness;
- patellofemoral space: behind the patella (its posterior cartilage swept back along the
  patella's axis), within a few mm of both the patellar and the femoral cartilage.

Cartilage, menisci, ligaments and fat pads are carved out of these by priority; what is left
is fluid (role ``joint_cavity``).
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np
from scipy.ndimage import distance_transform_edt, gaussian_filter

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.assembly import mesh_arrays
from simulator.anatomy.generators.hip_real import Placement
from simulator.anatomy.generators.knee_real import KneePlacement, RealKnee
from simulator.anatomy.voxelize import Grid, voxelize

VOXEL_MM = 0.6
MARGIN_MM = 8.0        # the field's box beyond the articular surfaces
SIMPLIFY_MM = 0.15
PF_REACH_MM = 4.0      # the patellofemoral space: this far beyond the fluid film
PF_SWEEP_MM = 12.0     # the patella's back swept this far posteriorly


@dataclass(frozen=True)
class Patella:
    """Placed patella: centre, unit axes (lateral, anterior, superior) and size (mm).

    ``ridge_depth`` is the distance from the centre back to the bone's posterior surface."""

    center: np.ndarray
    lateral: np.ndarray
    anterior: np.ndarray
    superior: np.ndarray
    height: float
    width: float
    ridge_depth: float

    def world(self, local) -> np.ndarray:
        """Local (lateral, anterior, superior) points ``(..., 3)`` to world."""
        q = np.asarray(local, float)
        return (self.center + q[..., :1] * self.lateral + q[..., 1:2] * self.anterior
                + q[..., 2:3] * self.superior)


def placed_patella(knee: RealKnee, place: KneePlacement, bone: mf.Manifold) -> Patella:
    """The patella's axes and size from its landmarks moved by the patella's map."""
    m = knee.marks
    top = Placement.apply(place.patella, m.superior_patellar_pole)
    bottom = Placement.apply(place.patella, m.inferior_patellar_pole)
    centre = Placement.apply(place.patella, m.patella_centre)
    border = Placement.apply(place.patella, m.lateral_patellar_border)
    superior = pr.unit(top - bottom)
    anterior = pr.unit(np.cross(superior, (1.0, 0.0, 0.0)))
    lateral = np.cross(anterior, superior)
    back = pr.surface_point(bone, centre, -anterior, 60.0)
    return Patella(centre, lateral, anterior, superior, float(np.linalg.norm(top - bottom)),
                   float(2.0 * (border - centre) @ lateral), float((centre - back) @ anterior))


class DistanceField:
    """Signed distances (mm, positive outside) to closed solids on one voxel grid, for
    offset surfaces: ``grown(d)`` is the solid grown by ``d``."""

    def __init__(self, grid: Grid, distance_mm: np.ndarray):
        self.grid = grid
        self.distance_mm = distance_mm

    @classmethod
    def of(cls, grid: Grid, solids) -> DistanceField:
        inside = voxelize(grid, [mesh_arrays(s) for s in solids]) > 0
        h = grid.spacing_mm
        out = distance_transform_edt(~inside) * h - 0.5 * h
        into = distance_transform_edt(inside) * h - 0.5 * h
        return cls(grid, gaussian_filter(np.where(inside, -into, out), 0.7))

    def union(self, other: DistanceField) -> DistanceField:
        return DistanceField(self.grid, np.minimum(self.distance_mm, other.distance_mm))

    def both(self, other: DistanceField) -> DistanceField:
        """Where both are near (the intersection of their offsets)."""
        return DistanceField(self.grid, np.maximum(self.distance_mm, other.distance_mm))

    def grown(self, grow_mm: float, what: str) -> mf.Manifold:
        """Closed surface ``grow_mm`` outside the solids, by marching cubes."""
        from skimage.measure import marching_cubes

        h = self.grid.spacing_mm
        level = np.pad(grow_mm - self.distance_mm, 1, constant_values=-1.0)
        verts, faces, _, _ = marching_cubes(level, 0.0, spacing=(h, h, h))
        verts += np.asarray(self.grid.origin_mm) + 0.5 * h - h
        solid = pr.to_manifold(verts, faces[:, ::-1].astype(np.int64), what)
        if solid.volume() < 0:
            solid = pr.to_manifold(verts, faces.astype(np.int64), what)
        return solid.simplify(SIMPLIFY_MM)


def articular_fields(soft: dict, femur: mf.Manifold) -> dict[str, DistanceField]:
    """Distance fields of the femoral, patellar and the tibial cartilage with the menisci,
    and of the femur with its cartilage (``trochlea``: the registered cartilage leaves part of
    the lateral trochlear facet bare), on one grid over the cartilage and menisci."""
    groups = {"femoral": [soft["femoral_cartilage"]], "patellar": [soft["patellar_cartilage"]],
              "tibial": [soft["tibial_cartilage"], soft["menisci"]]}
    lo = np.min([np.asarray(s.bounding_box()[:3]) for g in groups.values() for s in g], 0)
    hi = np.max([np.asarray(s.bounding_box()[3:]) for g in groups.values() for s in g], 0)
    grid = Grid.covering(lo - MARGIN_MM, hi + MARGIN_MM, VOXEL_MM)
    groups["trochlea"] = [soft["femoral_cartilage"], femur]
    return {n: DistanceField.of(grid, g) for n, g in groups.items()}


def patellofemoral_space(fields: dict, pat: Patella, cartilage: mf.Manifold,
                         film_mm: float) -> mf.Manifold:
    """The space behind the patella within ``film_mm + PF_REACH_MM`` of both its cartilage
    and the femur's articular surface."""
    v, _ = mesh_arrays(cartilage)
    back = v[(np.asarray(v, float) - pat.center) @ pat.anterior < -0.2 * pat.ridge_depth]
    sweep = pr.smooth_hull(np.concatenate([back, back - PF_SWEEP_MM * pat.anterior]), 2.0,
                           "patellofemoral sweep")
    near = fields["trochlea"].both(fields["patellar"])
    return near.grown(film_mm + PF_REACH_MM, "patellofemoral space") ^ sweep


def lining(fields: dict, film_mm: float, capsule_mm: float) -> tuple[mf.Manifold,
                                                                      mf.Manifold]:
    """Synovial film over every articular surface and the capsule over it (solids)."""
    every = fields["femoral"].union(fields["patellar"]).union(fields["tibial"])
    return (every.grown(film_mm, "synovial lining"),
            every.grown(film_mm + capsule_mm, "capsule"))
