"""Small synthetic mesh sets built with the same pipeline as the anatomy (for tests).

``block_phantom`` is a 120 x 80 x 120 mm tissue block: skin, fat, muscle, a bone cylinder
along x, a joint capsule with a fluid recess (the target) on top of the bone, an artery and a
nerve either side. Anterior (+y) is the skin the needle enters.
"""

from __future__ import annotations

from pathlib import Path

import manifold3d as mf
import numpy as np
import yaml

from simulator.anatomy.generated import GeneratedModel, GeneratedStructure, write_mesh_set
from simulator.anatomy.manifest import StructureEntry


def box(lo, hi) -> mf.Manifold:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    return mf.Manifold.cube(list(hi - lo)).translate(list(lo))


def cylinder(axis: str, centre, radius, length, segments=48) -> mf.Manifold:
    c = mf.Manifold.cylinder(length, radius, radius, segments).translate([0, 0, -length / 2])
    if axis == "x":
        c = c.rotate([0, 90, 0])
    elif axis == "y":
        c = c.rotate([90, 0, 0])
    return c.translate(list(centre))


def _structure(name, tissue, role, shape: mf.Manifold, color="#c0c0c0"):
    mesh = shape.to_mesh()
    return GeneratedStructure(StructureEntry(name=name, file=f"{name}.ply", tissue=tissue,
                                             role=role, color=color),
                              np.asarray(mesh.vert_properties[:, :3], float),
                              np.asarray(mesh.tri_verts, np.int64))


def block_phantom() -> GeneratedModel:
    body = box([-60, -40, -60], [60, 40, 60])
    under_skin = box([-58, -38, -58], [58, 38, 58])
    under_fat = box([-56, -36, -56], [56, 28, 56])
    bone = cylinder("x", [0, -15, 0], 10.0, 112)
    recess = box([-15, -5.5, -15], [15, -2.5, 15]) - bone
    capsule = box([-18, -5.5, -18], [18, 0.5, 18]) - recess - bone
    artery = cylinder("z", [-30, -5, 0], 4.0, 112)
    nerve = cylinder("z", [30, -5, 0], 3.0, 112)
    inner = [bone, recess, capsule, artery, nerve]
    union = mf.Manifold.batch_boolean(inner, mf.OpType.Add)
    parts = [
        _structure("skin", "skin", "skin", body - under_skin, "#e0b090"),
        _structure("fat", "subcutaneous_fat", "soft_tissue", under_skin - under_fat, "#f0e0a0"),
        _structure("muscle", "muscle", "soft_tissue", under_fat - union, "#a04030"),
        _structure("bone", "cortical_bone", "bone", bone, "#f0f0e0"),
        _structure("recess", "synovial_fluid", "joint_cavity", recess, "#60c0e0"),
        _structure("capsule", "joint_capsule", "capsule", capsule, "#d0d0d0"),
        _structure("artery", "arterial_blood", "artery", artery, "#d02020"),
        _structure("nerve", "nerve", "nerve", nerve, "#e0e020"),
    ]
    landmarks = {"target": (0.0, -4.0, 0.0), "skin_above_target": (0.0, 40.0, 0.0),
                 "artery_centre": (-30.0, -5.0, 0.0)}
    return GeneratedModel("block", tuple(parts), landmarks, {"name": "block_phantom"})


BLOCK_RUBRIC = {
    "pass_score": 60,
    "hard_fails": [{"metric": "intravascular_injection_ml", "max": 0.0,
                    "reason": "Injected into a blood vessel"}],
    "criteria": [
        {"metric": "tip_to_target_mm", "weight": 40, "best": 1.0, "worst": 10.0},
        {"metric": "skin_punctures", "weight": 20, "best": 1, "worst": 4},
        {"metric": "danger_contacts", "weight": 40, "best": 0, "worst": 2},
    ],
}


def write_block(folder: Path) -> Path:
    """Write the block phantom and a scenario using it; returns the scenario path."""
    folder = Path(folder)
    write_mesh_set(block_phantom(), folder / "block")
    scenario = {
        "id": "block_us",
        "title": "Block phantom",
        "modality": "ultrasound",
        "anatomy": {"model": "block"},
        "syringes": [{"name": "saline", "contents": "saline", "volume_ml": 5}],
        "probe": {"preset": "linear", "depth_mm": 60},
        "probe_start": {"landmark": "skin_above_target", "rotation_deg": 90},
        "entry_zone": {"landmark": "skin_above_target", "radius_mm": 50},
        "targets": [{"structure": "recess", "landmark": "target", "tolerance_mm": 2}],
        "dangers": [{"structure": "artery", "severity": "hard_fail"}],
        "limits": {"time_s": 120},
        "rubric": BLOCK_RUBRIC,
    }
    path = folder / "block_us.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def record(scenario: Path, folder: Path, policy: str, seed: int, trainee: str) -> Path:
    """Record an assessment-mode session of ``policy`` (seed ``seed``) on ``scenario`` into
    ``folder``; return the log's path."""
    from simulator.loading import load_world
    from simulator.policies import make_policy
    from simulator.session import Session, run_policy

    world = load_world(scenario, seed=seed)
    log = folder / f"{trainee.replace(' ', '_')}_{seed}.jsonl"
    session = Session(world, log_path=log, trainee=trainee, scenario_path=scenario.resolve(),
                      mode="assessment")
    run_policy(session, make_policy(policy, world, seed), max_ticks=20_000)
    session.close({"policy": policy})
    return log
