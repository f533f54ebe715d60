"""Helpers for the fluoroscopy tests: projections, closed-form chords and a fluoroscopy block.

``fluoro_block`` is a tissue slab ``thickness_mm`` thick (anterior-posterior, y) with skin,
muscle, a cortical bone cylinder along x, a fluid recess above it (the target) and an artery,
written as a mesh set with a fluoroscopy scenario (AP C-arm centred on the target).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from simulator.carm import Geometry
from simulator.imaging.fluoro.projection import Projection
from simulator.imaging.fluoro.raster import finish, path_lengths
from simulator.imaging.fluoro.scene import MeshScene


def projection(*, size=256, detector_mm=100.0, sid=1000.0, sic=600.0, iso=(0.0, 0.0, 0.0),
               beam=(0.0, 1.0, 0.0), u=(-1.0, 0.0, 0.0)) -> Projection:
    beam = np.asarray(beam, float) / np.linalg.norm(beam)
    u = np.asarray(u, float) - (np.asarray(u, float) @ beam) * beam
    u /= np.linalg.norm(u)
    v = np.cross(u, beam)
    source = np.asarray(iso, float) - beam * sic
    g = Geometry(source, source + beam * sid, beam, u, v)
    return Projection.from_geometry(g, size=size, detector_mm=detector_mm, sid_mm=sid,
                                    sic_mm=sic)


def lengths(scene: MeshScene, pr: Projection, method: str | None = None):
    """Clamped per-channel path lengths ``(channels, n, n)`` and line integrals ``(n, n)``."""
    method = method or scene.method
    out = path_lengths(scene.vertices, *scene.pass_arrays(method), scene.rank, scene.chan,
                       scene.n_channels, pr, method)
    line = np.empty(out.shape[1:], np.float32)
    finish(out, scene.mu_per_mm, scene.max_chord_mm, line)
    return out, line


def pixel_rays(pr: Projection):
    """Focal spot ``(3,)`` and unit ray directions ``(n, n, 3)`` through every pixel centre."""
    n = pr.size
    jj, ii = np.meshgrid(np.arange(n), np.arange(n))
    o, d = pr.ray(np.stack([jj.ravel(), ii.ravel()], 1))
    return o, d.reshape(n, n, 3)


def sphere_chord(pr: Projection, centre, radius):
    """Chord ``(n, n)`` of every pixel ray through a sphere, and the ray's distance from the
    centre."""
    o, d = pixel_rays(pr)
    w = np.asarray(centre, float) - o
    along = d @ w
    dist2 = w @ w - along ** 2
    return 2.0 * np.sqrt(np.clip(radius ** 2 - dist2, 0.0, None)), np.sqrt(dist2)


def cylinder_chord(pr: Projection, point, axis, radius):
    """Chord ``(n, n)`` through an infinite cylinder, and each ray's distance from its axis."""
    o, d = pixel_rays(pr)
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    w = o - np.asarray(point, float)
    dp = d - (d @ a)[..., None] * a
    wp = w - (w @ a) * a
    qa = (dp * dp).sum(-1)
    qb = 2.0 * (dp @ wp)
    qc = wp @ wp - radius ** 2
    disc = np.clip(qb ** 2 - 4 * qa * qc, 0.0, None)
    chord = np.sqrt(disc) / qa
    # distance between the ray and the axis line
    cross = np.cross(d, a)
    dist = np.abs(cross @ w) / np.linalg.norm(cross, axis=-1)
    return chord, dist


def mesh(m) -> tuple[np.ndarray, np.ndarray]:
    """``(vertices, faces)`` of a trimesh or manifold3d shape."""
    if hasattr(m, "to_mesh"):
        out = m.to_mesh()
        return np.asarray(out.vert_properties[:, :3], float), np.asarray(out.tri_verts,
                                                                            np.int64)
    return np.asarray(m.vertices, float), np.asarray(m.faces, np.int64)


def fluoro_block(folder: Path, thickness_mm: float = 80.0, name: str = "fblock") -> Path:
    """Write the block mesh set and a fluoroscopy scenario; returns the scenario path."""
    from phantoms import BLOCK_RUBRIC, _structure, box, cylinder

    from simulator.anatomy.generated import GeneratedModel, write_mesh_set

    half = thickness_mm / 2.0
    body = box([-60, -half, -60], [60, half, 60])
    inner = box([-58, -half + 2, -58], [58, half - 2, 58])
    bone = cylinder("x", [0, -15, 0], 10.0, 112)
    recess = box([-15, -5.5, -15], [15, -2.5, 15]) - bone
    artery = cylinder("z", [-30, 12, 0], 4.0, 112)
    parts = [
        _structure("skin", "skin", "skin", body - inner),
        _structure("muscle", "muscle", "soft_tissue", inner - bone - recess - artery),
        _structure("bone", "cortical_bone", "bone", bone),
        _structure("recess", "synovial_fluid", "joint_cavity", recess),
        _structure("artery", "arterial_blood", "artery", artery),
    ]
    landmarks = {"target": (0.0, -4.0, 0.0), "skin_above_target": (0.0, half, 0.0)}
    folder = Path(folder)
    write_mesh_set(GeneratedModel("fblock", tuple(parts), landmarks, {"name": name}),
                   folder / name)
    scenario = {
        "id": name,
        "title": "Fluoroscopy block phantom",
        "modality": "fluoroscopy",
        "anatomy": {"model": name},
        "syringes": [{"name": "contrast", "contents": "contrast", "volume_ml": 3},
                     {"name": "steroid", "contents": "therapeutic", "volume_ml": 5}],
        "carm": {"source_to_detector_mm": 1000, "source_to_isocentre_mm": 600,
                 "detector_mm": 300, "pulse_rate_hz": 7.5},
        "carm_start": {"landmark": "target"},
        "entry_zone": {"landmark": "skin_above_target", "radius_mm": 50},
        "targets": [{"structure": "recess", "landmark": "target", "tolerance_mm": 2}],
        "dangers": [{"structure": "artery", "severity": "hard_fail"}],
        "limits": {"time_s": 600, "fluoro_time_s": 300},
        "rubric": BLOCK_RUBRIC,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path



_WORLDS: dict = {}


def block_world(tmp_path_factory, thickness_mm: float = 80.0):
    """World of a fluoroscopy block (built once per test session and thickness)."""
    from simulator.loading import load_world

    if thickness_mm not in _WORLDS:
        name = f"fblock{int(round(thickness_mm))}"
        folder = tmp_path_factory.mktemp(name)
        _WORLDS[thickness_mm] = load_world(fluoro_block(folder, thickness_mm, name))
    return _WORLDS[thickness_mm]
