"""Ultrasound test phantoms built with the anatomy mesh pipeline (manifold3d -> mesh set ->
``Anatomy.load``), plus helpers to pose the probe and the needle on them.

Every phantom is a 200 x 120 x 200 mm block whose top face (y = 0) is the skin side. With the
probe on the top face at ``rotation 0`` the image axes are: lateral (image x) = world +z,
elevation = world -x, depth = world -y (see ``image_axes``).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

import manifold3d as mf
import numpy as np
import yaml
from phantoms import BLOCK_RUBRIC, _structure, box, cylinder

from simulator.anatomy.generated import GeneratedModel, write_mesh_set
from simulator.state import Needle, Probe, SimState

BODY_LO = (-100.0, -120.0, -100.0)
BODY_HI = (100.0, 0.0, 100.0)


def _model(name: str, inserts: list[tuple[str, str, str, mf.Manifold]],
           background: str = "muscle") -> GeneratedModel:
    body = box(BODY_LO, BODY_HI)
    parts = []
    if inserts:
        union = mf.Manifold.batch_boolean([m for *_, m in inserts], mf.OpType.Add)
        body = body - union
    parts.append(_structure("background", background, "soft_tissue", body))
    for sname, tissue, role, shape in inserts:
        parts.append(_structure(sname, tissue, role, shape))
    landmarks = {"top": (0.0, 0.0, 0.0), "inside": (0.0, -20.0, 0.0)}
    return GeneratedModel(name, tuple(parts), landmarks, {"name": name})


def sphere(centre, radius, segments=64) -> mf.Manifold:
    return mf.Manifold.sphere(radius, segments).translate(list(centre))


PHANTOMS = {
    # homogeneous muscle: speckle statistics, attenuation, anchoring
    "muscle": lambda: _model("muscle", []),
    # cortical bone under the left half of the image (world z < 0), top at 30 mm depth
    "bone": lambda: _model("bone", [("bone", "cortical_bone", "bone",
                                     box([-100, -70, -100], [100, -30, 0]))]),
    # a bone block tilted 35 deg about the image's lateral axis (its surface slopes across
    # the slab, in elevation), surface at 30 mm depth under the image centre; refined to
    # ~2 mm triangles like the anatomy's meshes; under fat
    "bone_elevation": lambda: _model("bone_elevation", [(
        "bone", "cortical_bone", "bone",
        box([-20, -50, -40], [20, -30, 40]).refine(20).translate([0, 30, 0])
        .rotate([0, 0, 35]).translate([0, -30, 0]))],
        background="subcutaneous_fat"),  # muscle would take the hole's shape for septa
    # 12 mm synovial fluid cylinder along the elevation axis at 35 mm depth
    "fluid": lambda: _model("fluid", [("cyst", "synovial_fluid", "joint_cavity",
                                       cylinder("x", [0, -35, 0], 6.0, 200, 96))]),
    # anechoic water bath under 5 mm of muscle: the needle alone (comet tail, PSF)
    "bath": lambda: _model("bath", [("bath", "synovial_fluid", "joint_cavity",
                                     box([-90, -110, -90], [90, -5, 90]))]),
    # a muscle belly 30 x 35 x 180 mm, fibres along world z (image lateral at rotation 0:
    # long axis; rotation 90 deg: short axis), 10-45 mm deep in the background muscle
    "belly": lambda: _model("belly", [("belly", "muscle", "soft_tissue",
                                       box([-15, -45, -90], [15, -10, 90]))]),
    # a small bone ball: a known point for the image geometry
    "ball": lambda: _model("ball", [("ball", "cortical_bone", "bone",
                                     sphere([4.0, -32.0, 6.0], 3.0))]),
}


@cache
def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="jointsim-us-phantoms-"))
    atexit.register(shutil.rmtree, root, True)
    return root


@cache
def phantom_world(name: str, preset: str):
    """Write phantom ``name`` with a scenario using ``preset`` (in a temporary folder for
    this test process) and load it as a ``World``."""
    from simulator.loading import load_world

    folder = _root() / f"{name}_{preset}"
    write_mesh_set(PHANTOMS[name](), folder / name)
    scenario = {
        "id": f"us_{name}_{preset}", "title": f"Ultrasound phantom {name}",
        "modality": "ultrasound", "anatomy": {"model": name},
        "syringes": [{"name": "saline", "contents": "saline", "volume_ml": 5}],
        "probe": {"preset": preset, "depth_mm": 60},
        "probe_start": {"landmark": "top", "rotation_deg": 0},
        "entry_zone": {"landmark": "top", "radius_mm": 100},
        "targets": [{"structure": "background", "landmark": "inside", "tolerance_mm": 2}],
        "limits": {"time_s": 120}, "rubric": BLOCK_RUBRIC,
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return load_world(path)


def probe_on_top(*, x=0.0, z=0.0, rotation=0.0, tilt=0.0, depth=60.0, frequency=7.5,
                 focus=30.0, gain=0.0, tgc=(0.0,) * 8) -> Probe:
    """Probe on the top face at world (x, 0, z), beam straight down (-y)."""
    return Probe((float(x), 0.0, float(z)), (0.0, 1.0, 0.0), float(rotation), float(tilt),
                 depth_mm=float(depth), gain_db=float(gain), frequency_mhz=float(frequency),
                 focus_mm=float(focus), tgc_db=tuple(float(t) for t in tgc))


def state_with(probe: Probe, needle: Needle | None = None, tick: int = 0) -> SimState:
    return SimState(tick=tick, needle=needle or Needle(), probe=probe, carm=None)


def image_axes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World directions of image lateral, elevation and depth for ``rotation=0``."""
    return np.array([0.0, 0.0, 1.0]), np.array([-1.0, 0.0, 0.0]), np.array([0.0, -1.0, 0.0])


def in_plane_needle(angle_deg: float, tip_depth: float, tip_lateral: float = 0.0,
                    elevation: float = 0.0, length: float = 40.0) -> Needle:
    """A needle in (or parallel to) the image plane, descending left to right at
    ``angle_deg`` to the probe face, tip at ``(tip_lateral, tip_depth)`` image mm."""
    lat, elev, dep = image_axes()
    a = np.radians(angle_deg)
    direction = np.cos(a) * lat + np.sin(a) * dep
    tip = tip_lateral * lat + tip_depth * dep + elevation * elev
    entry = tip - direction * length
    return Needle(entry_mm=tuple(entry), direction=tuple(direction), depth_mm=length,
                  in_skin=True)


def envelope_db(x) -> np.ndarray:
    return 20.0 * np.log10(np.maximum(np.asarray(x, float), 1e-30))


def to_line_sample(frame, points_mm) -> tuple[np.ndarray, np.ndarray]:
    """Nearest (line, sample) indices of world points in a frame's scanline grid."""
    g = frame.geometry
    pfw = np.linalg.inv(frame.world_from_probe)
    p = np.atleast_2d(np.asarray(points_mm, float)) @ pfw[:3, :3].T + pfw[:3, 3]
    line, depth = g.line_coords(p)
    return np.round(line).astype(int), np.round(depth / g.dz_mm - 0.5).astype(int)
