"""Custom anatomy: nested STL meshes in LPS (as 3D Slicer exports them) load and run."""

import numpy as np
import pytest
import trimesh
import yaml
from phantoms import BLOCK_RUBRIC

from scoring.score import Scorer
from simulator.errors import InputError
from simulator.loading import load_world
from simulator.policies import make_policy
from simulator.scenario import parse_scenario
from simulator.session import Session, run_policy

LPS = np.array([-1.0, -1.0, 1.0])


def _write_slicer_like(folder):
    """Nested, overlapping closed surfaces in LPS: body, muscle inside it, bone and a fluid
    pocket inside the muscle, an artery through it."""
    folder.mkdir()
    shapes = {
        "skin": trimesh.creation.box((120, 80, 120)),
        "muscle": trimesh.creation.box((110, 70, 110)),
        "bone": trimesh.creation.cylinder(radius=10, height=100, sections=64,
                                          transform=trimesh.transformations.rotation_matrix(
                                              np.pi / 2, [0, 1, 0])),
        "pocket": trimesh.creation.box((24, 6, 24)),
        "vessel": trimesh.creation.cylinder(radius=4, height=100, sections=48),
    }
    shapes["bone"].apply_translation([0, -15, 0])
    shapes["pocket"].apply_translation([0, -4, 0])
    shapes["muscle"].apply_translation([0, -3, 0])
    shapes["vessel"].apply_translation([-30, -5, 0])
    for name, mesh in shapes.items():
        mesh.vertices *= LPS  # the file is in LPS (mirroring two axes keeps orientation)
        mesh.export(folder / f"{name}.stl")
    entries = [("skin", "skin", "skin", 0), ("muscle", "muscle", "soft_tissue", 1),
               ("bone", "cortical_bone", "bone", 3), ("pocket", "synovial_fluid",
                                                       "joint_cavity", 2),
               ("vessel", "arterial_blood", "artery", 4)]
    manifest = {"model": "slicer_block", "coordinate_system": "LPS", "structures": [
        {"name": n, "file": f"{n}.stl", "tissue": t, "role": r, "priority": p}
        for n, t, r, p in entries],
        "landmarks": {"target": [0.0, 4.0, 0.0], "skin_above": [0.0, -40.0, 0.0]}}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest))


@pytest.fixture(scope="module")
def custom_scenario(tmp_path_factory):
    root = tmp_path_factory.mktemp("custom")
    _write_slicer_like(root / "meshes")
    scenario = {
        "id": "custom_block", "title": "Custom meshes", "modality": "ultrasound",
        "anatomy": {"model": "meshes"},
        "syringes": [{"name": "saline", "contents": "saline", "volume_ml": 2}],
        "probe": {"preset": "linear", "depth_mm": 60},
        "probe_start": {"landmark": "skin_above", "rotation_deg": 0},
        "entry_zone": {"landmark": "skin_above", "radius_mm": 50},
        "targets": [{"structure": "pocket", "landmark": "target", "tolerance_mm": 2}],
        "dangers": [{"structure": "vessel", "severity": "hard_fail"}],
        "rubric": BLOCK_RUBRIC,
    }
    path = root / "custom.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def test_custom_lps_meshes_load_resolved_and_in_ras(custom_scenario):
    assert parse_scenario(custom_scenario)[1] == []
    world = load_world(custom_scenario)
    a = world.anatomy
    assert a.structure_at([0, 39, 0]).name == "skin"      # the skin shell, not the muscle
    assert a.structure_at([0, 0, 0]).name == "muscle"
    assert a.structure_at([0, -4, 0]).name == "pocket"     # LPS y=+4 became RAS y=-4
    assert a.structure_at([0, -15, 0]).name == "bone"
    np.testing.assert_allclose(a.landmarks["target"], [0.0, -4.0, 0.0])


def test_expert_completes_a_custom_anatomy_case(custom_scenario):
    world = load_world(custom_scenario)
    scorer = Scorer(world)
    session = Session(world, observers=[scorer])
    run_policy(session, make_policy("expert", world, 0), max_ticks=20000)
    scored = scorer.scored()
    assert scored.passed, scored.weaknesses
    assert scored.value("intra_articular_fraction") == 1.0


def test_mislabelled_mesh_is_reported(custom_scenario, tmp_path):
    import shutil

    folder = tmp_path / "meshes"
    shutil.copytree(custom_scenario.parent / "meshes", folder)
    data = yaml.safe_load((folder / "manifest.yaml").read_text())
    data["structures"][2]["role"] = "artery"  # bone labelled as an artery
    (folder / "manifest.yaml").write_text(yaml.safe_dump(data))
    from simulator.anatomy.manifest import read_manifest

    with pytest.raises(InputError) as err:
        read_manifest(folder)
    assert "structures.2" in str(err.value) and "does not fit tissue 'cortical_bone'" in str(
        err.value)
