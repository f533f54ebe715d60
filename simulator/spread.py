"""Where injected fluid has gone: one spread model for both ultrasound and fluoroscopy.

Each deposit floods outward from the needle tip through the tissue it was injected into, in
order of geodesic distance, until the flooded volume equals the volume injected
(clinical.md s.1-2, fluoroscopy.md s.3 patterns):

- intra-articular: contrast flows away from the tip through the whole connected joint cavity
  (recesses, the synovial layer round head and neck), so even a small volume outlines the
  joint, thinly (volume / cavity volume) and fully near the tip. The cavity of a joint
  without effusion is a potential space already drawn as synovial fluid, so what shows on
  ultrasound is the distension: the same volume pushes the capsule out, taking the capsule
  next to the cavity nearest the tip (through the cavity) first - the recess widens under
  the lifted capsule, in contact with the bone;
- soft tissue: a blob stretched along the muscle's long axis and drawn along fascial planes
  (interfaces with other structures), so contrast forms linear streaks;
- capsule wall: the dense wall holds little (it balloons a few mm round the tip); the rest
  dissects out into the soft tissue over the capsule and tracks along its planes, never into
  the cavity - a collection superficial to an intact capsule line, not a widened recess;
- tendon, nerve: a tight blob confined to that structure (high pressure);
- intravascular: carried down the vessel and washed out within seconds.

The flood order per deposit is computed once (Dijkstra on a 1 mm grid around the tip) and
cached; each frame only thresholds it by the current volume.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from simulator.anatomy.manifest import Role
from simulator.anatomy.voxelize import Grid
from simulator.state import Deposit, SimState
from simulator.world import World

SPREAD_MM = 1.0
HALF_BOX_MM = 40.0
JOINT_HALF_BOX_MM = 60.0         # a joint cavity reaches further from the tip than a blob
WASHOUT_S = 2.0
VESSEL_SPREAD_FACTOR = 3.0       # blood flow carries contrast further than its own volume
INTERFACE_COST = 0.45            # spreading along a fascial plane is easier
DISTENSION_COST = 6.0            # pushing the capsule out costs more than filling the cavity
WALL_COST = 4.0                  # dissecting within a dense capsule wall, against the plane
CONTRAST_MG_ML = 300.0           # iohexol 300 (fluoroscopy.md s.3)


@dataclass(frozen=True, eq=False)
class InjectateField:
    """Injected fluid on a regular grid.

    Attributes
    ----------
    grid : Grid
        Placement of the arrays (1 mm voxels).
    fluid : (nx, ny, nz) float32
        Fraction of each voxel taken by injected fluid (0..1).
    iodine_mg_ml : (nx, ny, nz) float32
        Iodine concentration of injected contrast.
    """

    grid: Grid
    fluid: np.ndarray
    iodine_mg_ml: np.ndarray

    def sample(self, array: np.ndarray, points_mm) -> np.ndarray:
        """Trilinear samples ``(n,)`` of ``array`` at points ``(n, 3)`` (0 outside)."""
        from scipy.ndimage import map_coordinates

        p = (np.asarray(points_mm, float).reshape(-1, 3) - self.grid.origin_mm) / (
            self.grid.spacing_mm) - 0.5
        return map_coordinates(array, p.T, order=1, mode="constant", cval=0.0)


def injectate_field(world: World, state: SimState) -> InjectateField | None:
    """The injectate in the body at ``state`` (``None`` before any injection)."""
    if not state.deposits:
        return None
    washout = tuple(max(0, state.tick - d.first_tick) if d.compartment == "intravascular" else 0
                    for d in state.deposits)
    # washout only matters to 0.1 s; quantise so frames share the cache
    bucket = tuple(int(w * world.dt_s * 10) for w in washout)
    return _field(world, state.deposits, bucket)


@lru_cache(maxsize=32)
def _field(world: World, deposits: tuple[Deposit, ...], washout_ds: tuple[int, ...]):
    parts = []
    for deposit, ds in zip(deposits, washout_ds, strict=True):
        if deposit.volume_ml <= 0 or deposit.compartment in ("outside", "bone", "cartilage"):
            continue
        order = _flood_order(world, deposit.position_mm, deposit.compartment,
                             deposit.structure)
        if order is None:
            continue
        grid, flat_sorted, n_cavity = order
        voxel_ml = grid.spacing_mm ** 3 / 1000.0
        volume = deposit.volume_ml * (VESSEL_SPREAD_FACTOR
                                      if deposit.compartment == "intravascular" else 1.0)
        n = max(1, int(round(volume / voxel_ml)))
        fraction = np.ones(min(n, len(flat_sorted)), np.float32)
        flat = flat_sorted[:n]
        if n_cavity:
            # a joint: thinly through the whole connected cavity, fully near the tip, and
            # the capsule distended by the same volume
            inside = np.full(n_cavity, min(1.0, volume / (n_cavity * voxel_ml)), np.float32)
            inside[:n] = 1.0
            wall = flat_sorted[n_cavity:n_cavity + n]
            flat = np.concatenate([flat_sorted[:n_cavity], wall])
            fraction = np.concatenate([inside, np.ones(len(wall), np.float32)])
        syringe = world.scenario.syringes[deposit.syringe]
        iodine = CONTRAST_MG_ML if syringe.contents == "contrast" else 0.0
        if deposit.compartment == "intravascular":
            iodine *= math.exp(-ds / 10.0 / WASHOUT_S) / VESSEL_SPREAD_FACTOR
        parts.append((grid, flat, fraction, deposit.compartment != "intravascular", iodine))
    if not parts:
        return None
    lo = np.min([p[0].origin_mm for p in parts], axis=0)
    hi = np.max([p[0].hi_mm for p in parts], axis=0)
    grid = Grid.covering(lo, hi, SPREAD_MM)
    fluid = np.zeros(grid.shape, np.float32)
    iodine = np.zeros(grid.shape, np.float32)
    for sub, flat, fraction, is_fluid, mg in parts:
        idx = np.stack(np.unravel_index(flat, sub.shape), 1)
        offset = np.round((np.asarray(sub.origin_mm) - grid.origin_mm) / SPREAD_MM).astype(int)
        i, j, k = (idx + offset).T
        if is_fluid:
            fluid[i, j, k] = np.maximum(fluid[i, j, k], fraction)
        if mg:
            iodine[i, j, k] = np.maximum(iodine[i, j, k], mg * fraction)
    return InjectateField(grid, fluid, iodine)


@lru_cache(maxsize=64)
def _flood_order(world: World, position_mm, compartment: str, structure: int):
    """Voxels the deposit fills in order: ``(grid, flat indices, cavity voxel count)``.

    For a joint the connected cavity comes first (nearest first), then the capsule it can
    distend into; elsewhere the order is plain geodesic distance and the count is 0.
    """
    anatomy = world.anatomy
    centre = np.asarray(position_mm, float)
    half = JOINT_HALF_BOX_MM if compartment == "intra_articular" else HALF_BOX_MM
    grid = Grid.covering(centre - half, centre + half, SPREAD_MM)
    axes = [grid.origin_mm[a] + (np.arange(grid.shape[a]) + 0.5) * SPREAD_MM for a in range(3)]
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    labels = anatomy.volume_labels_at(pts).reshape(grid.shape)
    roles = np.array([None] + [s.role for s in anatomy.structures], dtype=object)
    role_map = roles[labels]
    if compartment == "intra_articular":
        cavity = role_map == Role.joint_cavity
        capsule = role_map == Role.capsule
        cost = np.where(cavity, 1.0, np.where(capsule, DISTENSION_COST, np.inf))
        stretch = np.zeros(3)
    elif compartment == "capsule_wall":
        wall = labels == structure
        outside = role_map == Role.soft_tissue
        plane = outside & _near(wall)   # the layer over the capsule's outer surface
        cost = np.where(wall, WALL_COST,
                        np.where(outside, np.where(plane, INTERFACE_COST, 1.0), np.inf))
        stretch = np.zeros(3)
    else:
        region = labels == structure
        interface = region & _touches_other(labels, structure)
        cost = np.where(region, np.where(interface, INTERFACE_COST, 1.0), np.inf)
        stretch = _long_axis(anatomy, structure) if compartment in (
            "soft_tissue", "intravascular") else np.zeros(3)
    seed = _seed_voxel(grid, cost, centre)
    if seed is None:
        return None
    dist = _dijkstra(cost.astype(np.float64), seed, stretch.astype(np.float64))
    finite = np.flatnonzero(np.isfinite(dist.ravel()))
    order = finite[np.argsort(dist.ravel()[finite], kind="stable")]
    if compartment != "intra_articular":
        return grid, order, 0
    in_cavity = cavity.ravel()[order]
    return grid, np.concatenate([order[in_cavity], order[~in_cavity]]), int(in_cavity.sum())


def _touches_other(labels, structure) -> np.ndarray:
    return _near((labels != structure) & (labels > 0))


def _near(mask) -> np.ndarray:
    """Voxels within 2 voxels of ``mask`` (same shape, bool)."""
    from scipy.ndimage import binary_dilation

    return binary_dilation(mask, iterations=2)


def _long_axis(anatomy, structure: int) -> np.ndarray:
    """Unit principal axis of a structure (muscle and vessel length direction)."""
    v = anatomy.structures[structure - 1].vertices
    centred = v - v.mean(0)
    _, _, vt = np.linalg.svd(centred[:: max(1, len(v) // 4000)], full_matrices=False)
    return vt[0]


def _seed_voxel(grid: Grid, cost, centre) -> int | None:
    idx = np.floor((centre - grid.origin_mm) / grid.spacing_mm).astype(int)
    allowed = np.isfinite(cost)
    for r in range(0, 4):
        lo = np.maximum(idx - r, 0)
        hi = np.minimum(idx + r + 1, grid.shape)
        sub = allowed[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        hits = np.argwhere(sub)
        if len(hits):
            best = hits[np.argmin(((hits + lo - idx) ** 2).sum(1))] + lo
            return int(np.ravel_multi_index(tuple(best), grid.shape))
    return None


@numba.njit(cache=True)
def _dijkstra(cost, seed, stretch):
    """Geodesic distance over 26-connected voxels; ``stretch`` (unit or 0) makes motion
    along that axis twice as cheap (elongated spread)."""
    nx, ny, nz = cost.shape
    dist = np.full(nx * ny * nz, np.inf)
    flat_cost = cost.ravel()
    dist[seed] = 0.0
    heap = [(0.0, seed)]
    has_axis = stretch[0] != 0.0 or stretch[1] != 0.0 or stretch[2] != 0.0
    while heap:
        d, v = heapq.heappop(heap)
        if d > dist[v]:
            continue
        i = v // (ny * nz)
        j = (v // nz) % ny
        k = v % nz
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for dk in (-1, 0, 1):
                    if di == 0 and dj == 0 and dk == 0:
                        continue
                    a, b, c = i + di, j + dj, k + dk
                    if a < 0 or b < 0 or c < 0 or a >= nx or b >= ny or c >= nz:
                        continue
                    w = (a * ny + b) * nz + c
                    cw = flat_cost[w]
                    if not np.isfinite(cw):
                        continue
                    length = math.sqrt(di * di + dj * dj + dk * dk)
                    if has_axis:
                        along = abs(di * stretch[0] + dj * stretch[1] + dk * stretch[2])
                        across = math.sqrt(max(length * length - along * along, 0.0))
                        length = math.sqrt((0.5 * along) ** 2 + across * across)
                    nd = d + length * 0.5 * (cw + flat_cost[v])
                    if nd < dist[w]:
                        dist[w] = nd
                        heapq.heappush(heap, (nd, w))
    return dist.reshape(cost.shape)
