"""Measuring tools for the generated-anatomy tests: a built model seen through trimesh (rays,
sections, containment, surface distances) and the voxel cover counts of its mesh set.

The anatomy tests measure the built meshes with these rather than reading the generators'
internals; the drawn parameters only supply expected values.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import trimesh
from scipy import ndimage
from scipy.spatial import cKDTree
from trimesh.ray.ray_triangle import RayMeshIntersector

from simulator.anatomy.cache import digest
from simulator.anatomy.patient import PatientParams
from simulator.anatomy.voxelize import Grid, voxelize

BUILD_WAIT_S = 600.0  # longest wait for another worker's build of the same model


@dataclass(frozen=True)
class Joint:
    """One anatomy generator: what it must produce and the patients it is tested on."""

    name: str
    build: Callable
    draw_params: Callable
    patients: Mapping[str, PatientParams]
    names: frozenset[str]
    landmarks: frozenset[str]
    roles: Mapping[str, tuple[str, ...]]  # manifest role -> structures that have it
    tissues: Mapping[str, tuple[str, ...]]  # manifest tissue -> structures of it
    fibred: tuple[str, ...] = ()  # structures with a fibre direction


class Model:
    """A built model with trimesh views of its structures."""

    def __init__(self, joint: Joint, patient: PatientParams, seed: int = 0,
                 shared: Path | None = None):
        self.patient = patient
        self.params = joint.draw_params(patient, seed)
        self.model = (built_once(joint, patient, seed, shared) if shared is not None
                      else joint.build(patient, seed))
        self.by_name = {s.entry.name: s for s in self.model.structures}
        self.mesh = {name: trimesh.Trimesh(s.vertices, s.faces, process=False)
                     for name, s in self.by_name.items()}
        # trimesh's own triangle tests, not embree where it happens to be installed: the same
        # crossings on every machine
        self.ray = {name: RayMeshIntersector(mesh) for name, mesh in self.mesh.items()}
        self.mark = {k: np.asarray(v, float) for k, v in self.model.landmarks.items()}
        self.side = -1.0 if patient.side == "left" else 1.0
        self.lateral = np.array([self.side, 0.0, 0.0])

    def hits(self, name: str, origin, direction) -> np.ndarray:
        """Sorted distances along a ray to every crossing of structure ``name``."""
        d = np.asarray(direction, float) / np.linalg.norm(direction)
        loc, _, _ = self.ray[name].intersects_location(
            [np.asarray(origin, float)], [d], multiple_hits=True)
        return np.sort((np.reshape(loc, (-1, 3)) - origin) @ d)

    def thickness(self, name: str, origin, direction) -> float:
        """Length of the first passage of the ray through ``name``."""
        t = self.hits(name, origin, direction)
        assert len(t) >= 2, f"ray misses {name}"
        return float(t[1] - t[0])

    def contains(self, name: str, point) -> bool:
        return bool(self.ray[name].contains_points([np.asarray(point, float)])[0])

    def distance(self, name: str, points) -> np.ndarray:
        """Exact distances ``(n,)`` from points to the surface of ``name``."""
        s = self.by_name[name]
        tree = cKDTree(s.vertices)
        edges = np.linalg.norm(s.vertices[s.faces] - s.vertices[s.faces[:, [1, 2, 0]]], axis=2)
        reach = float(edges.max())
        out = []
        for p in np.atleast_2d(np.asarray(points, float)):
            r0 = tree.query(p)[0]
            near = tree.query_ball_point(p, r0 + reach)
            faces = np.flatnonzero(np.isin(s.faces, near).any(axis=1))
            tri = s.vertices[s.faces[faces]]
            closest = trimesh.triangles.closest_point(tri, np.repeat(p[None], len(tri), 0))
            out.append(np.sqrt(((closest - p) ** 2).sum(1)).min())
        return np.array(out)

    def along(self, start, end, names) -> list[tuple[float, str]]:
        """Structures entered along the segment ``start -> end``: ``(distance, name)`` pairs
        of each crossing where the segment enters ``name``, in order."""
        start, end = np.asarray(start, float), np.asarray(end, float)
        length = np.linalg.norm(end - start)
        d = (end - start) / length
        out = []
        for name in names:
            t = self.hits(name, start, d)
            t = t[(t > 1e-6) & (t < length)]
            inside = self.contains(name, start)
            for k, tk in enumerate(t):
                if (k % 2 == 0) != inside:  # entering
                    out.append((float(tk), name))
        return sorted(out)

    def section_centroids(self, name: str, origin, normal) -> list[np.ndarray]:
        """Area centroids of the closed loops cut by a plane, largest first."""
        section = self.mesh[name].section(plane_origin=origin, plane_normal=normal)
        if section is None:
            return []
        n = np.asarray(normal, float) / np.linalg.norm(normal)
        e1 = np.cross(n, [0.3, 0.5, 0.8])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(n, e1)
        loops = []
        for pts in section.discrete:
            q = (pts - origin) @ np.stack([e1, e2]).T
            x, y = q[:, 0], q[:, 1]
            cross = x * np.roll(y, -1) - np.roll(x, -1) * y
            area = 0.5 * cross.sum()
            if abs(area) < 1e-6:
                continue
            cx = ((x + np.roll(x, -1)) * cross).sum() / (6 * area)
            cy = ((y + np.roll(y, -1)) * cross).sum() / (6 * area)
            loops.append((abs(area), np.asarray(origin) + cx * e1 + cy * e2))
        return [c for _, c in sorted(loops, key=lambda item: -item[0])]

    def centroid(self, name: str, z_mm: float) -> np.ndarray:
        """Mean vertex of the largest loop (most vertices) of ``name`` cut by the plane
        z = ``z_mm``."""
        section = self.mesh[name].section(plane_origin=[0, 0, z_mm], plane_normal=[0, 0, 1])
        assert section is not None, f"{name} does not cross z={z_mm:.1f}"
        loops = sorted(section.discrete, key=lambda p: -len(p))
        return loops[0].mean(0)

    def section_x(self, name: str, z_mm: float) -> tuple[float, float, float]:
        """Lateral coordinate (x times the side, so larger = more lateral) of the section of
        ``name`` at height ``z_mm``: (min, centre, max) of its largest loop."""
        section = self.mesh[name].section(plane_origin=[0, 0, z_mm], plane_normal=[0, 0, 1])
        assert section is not None, f"{name} does not cross z={z_mm:.1f}"
        loop = max(section.discrete, key=len)
        x = loop[:, 0] * self.side
        return float(x.min()), float(loop.mean(0)[0] * self.side), float(x.max())


def built_once(joint: Joint, patient: PatientParams, seed: int, shared: Path):
    """``joint.build(patient, seed)``, built once per test run: the first test process to need
    it builds it and leaves a pickle in ``shared`` (a folder of this run that every worker
    sees); the others, and later modules, load that (a knee takes 12 s of CPU to build, well
    under one to load). A process that finds another building it waits for that build."""
    stem = shared / f"{joint.name}-{digest(patient.key(), seed)}"
    done, claim = stem.with_suffix(".pickle"), stem.with_suffix(".building")
    shared.mkdir(parents=True, exist_ok=True)
    if done.exists():
        return pickle.loads(done.read_bytes())
    try:
        os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:  # another worker is building it
        deadline = time.monotonic() + BUILD_WAIT_S
        while not done.exists() and claim.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if done.exists():
            return pickle.loads(done.read_bytes())
        return joint.build(patient, seed)  # its builder failed: build (and fail) here
    try:
        if done.exists():  # its builder finished just before the claim
            return pickle.loads(done.read_bytes())
        model = joint.build(patient, seed)
        tmp = stem.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(done)
    finally:
        claim.unlink()
    return model


class Models(dict):
    """A joint's models by patient key, each built on first use (test workers build only what
    they need), once per test run when given the run's ``shared`` folder (see
    ``built_once``)."""

    def __init__(self, joint: Joint, shared: Path | None = None):
        super().__init__()
        self.joint = joint
        self.shared = shared

    def __missing__(self, key):
        self[key] = Model(self.joint, self.joint.patients[key], shared=self.shared)
        return self[key]


def joint_fixtures(joint: Joint):
    """Module-scoped fixtures for a joint's test module, bound as
    ``models, <joint> = joint_fixtures(JOINT)``: the joint's lazily built models by patient
    key (shared with every module and worker of the run through ``built_models``, the
    conftest fixture), and the default patient's model."""

    @pytest.fixture(scope="module")
    def models(built_models) -> Models:
        return Models(joint, built_models)

    @pytest.fixture(scope="module")
    def default(models) -> Model:
        return models["default"]

    return models, default


# -- the voxelised mesh set -------------------------------------------------------------------

def cover_counts(m: Model, lo, hi, spacing_mm: float) -> np.ndarray:
    """How many structures hold each voxel centre (exact column parity, as the simulator
    rasterises its label volume)."""
    grid = Grid.covering(lo, hi, spacing_mm)
    count = np.zeros(grid.shape, np.uint8)
    for s in m.model.structures:
        count += voxelize(grid, [(s.vertices, s.faces)])
    return count


def pocket_voxels(count: np.ndarray) -> int:
    """Unclaimed voxels that do not connect to the outside of the box (holes in the body)."""
    empty, _ = ndimage.label(count == 0)
    border = np.unique(np.concatenate([empty[[0, -1]].ravel(), empty[:, [0, -1]].ravel(),
                                       empty[:, :, [0, -1]].ravel()]))
    return int(((empty > 0) & ~np.isin(empty, border)).sum())


def assert_tiles_the_body(m: Model, centre, half_mm: float, spacing_mm: float, *,
                          slivers: int = 0, claimed_margin: int | None = None) -> None:
    """The structures are disjoint and tile the body. On a 2 mm grid over the whole model no
    voxel is claimed twice and every unclaimed voxel connects to the outside of the box (no
    pockets in the body). On a fine grid over the box ``centre`` +- ``half_mm`` at most
    ``slivers`` voxels are claimed twice and at most ``slivers`` are pockets (numerical
    slivers where two surfaces nearly touch); with ``claimed_margin``, every voxel more than
    that many voxels in from the box's faces is claimed (that part lies inside the body)."""
    everything = np.concatenate([s.vertices for s in m.model.structures])
    count = cover_counts(m, everything.min(0) - 3, everything.max(0) + 3, 2.0)
    assert count.max() == 1, "a point is claimed twice"
    assert pocket_voxels(count) == 0, "unclaimed pockets in the body"
    centre = np.asarray(centre, float)
    fine = cover_counts(m, centre - half_mm, centre + half_mm, spacing_mm)
    assert (fine > 1).sum() <= slivers, f"{(fine > 1).sum()} voxels claimed twice"
    assert pocket_voxels(fine) <= slivers, f"{pocket_voxels(fine)} pocket voxels"
    if claimed_margin is not None:
        core = fine[tuple(slice(claimed_margin, n - claimed_margin) for n in fine.shape)]
        assert not np.any(core == 0), f"{(core == 0).sum()} unclaimed voxels"


# -- depth under the skin ----------------------------------------------------------------------

def depth_under_skin(m: Model, point) -> float:
    """Shortest distance from ``point`` to the outer skin within 60 deg of straight anterior
    (the depth a probe on the skin would show), from a fan of rays."""
    best = np.inf
    for polar in np.radians(np.arange(0.0, 61.0, 5.0)):
        for azimuth in np.radians(np.arange(0.0, 360.0, 20.0)):
            d = np.array([np.sin(polar) * np.cos(azimuth), np.cos(polar),
                          np.sin(polar) * np.sin(azimuth)])
            t = m.hits("skin", point, d)
            if len(t):
                best = min(best, float(t[-1]))
    return best


def assert_depth_grows_with_bmi(models: Models, landmark: str, lo_mm: float,
                                hi_mm: float) -> dict[str, float]:
    """The depth under the skin of ``landmark`` stays within ``lo_mm``-``hi_mm`` for a thin
    (``bmi18``), the default and an obese (``bmi40``) patient and grows with BMI; returns the
    depths by patient key."""
    depth = {k: depth_under_skin(models[k], models[k].mark[landmark])
             for k in ("bmi18", "default", "bmi40")}
    for key, value in depth.items():
        assert lo_mm <= value <= hi_mm, (key, value)
    assert depth["bmi18"] < depth["default"] < depth["bmi40"], depth
    return depth
