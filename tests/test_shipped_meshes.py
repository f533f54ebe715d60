"""The shipped mesh sets are what the generators build today for the scenarios' patients."""

import numpy as np
import pytest
import trimesh
from anatomy_joints import JOINTS
from anatomy_probe import built_once
from conftest import REPO

from simulator.anatomy.generators import GENERATORS
from simulator.anatomy.manifest import read_manifest
from simulator.anatomy.patient import PatientParams

# regenerating the knee and the hip takes one and a half minutes of CPU: they run in the slow
# set; the ankle, shoulder and SIJ keep the check in the default run
SLOW_TO_REGENERATE = {"knee", "hip"}


@pytest.mark.parametrize("model", [
    pytest.param(m, marks=pytest.mark.slow) if m in SLOW_TO_REGENERATE else m
    for m in sorted(GENERATORS)])
def test_shipped_mesh_set_matches_its_generator(model, built_models):
    folder = REPO / "meshes" / model
    manifest = read_manifest(folder)
    gen = manifest.generator
    assert gen["name"] == model
    # the shoulder's and SIJ's shipped patient is also their anatomy tests' default: built once
    built = built_once(JOINTS[model], PatientParams(**gen["patient"]), gen["seed"], built_models)
    assert [s.entry.name for s in built.structures] == [s.name for s in manifest.structures]
    for s in built.structures:
        mesh = trimesh.load(folder / s.entry.file, process=False)
        assert len(mesh.faces) == len(s.faces), s.entry.name
        np.testing.assert_allclose(mesh.vertices, s.vertices, atol=1e-3, err_msg=s.entry.name)
    for name, point in built.landmarks.items():
        np.testing.assert_allclose(manifest.landmarks[name], point, atol=1e-6)


def test_hip_scenarios_use_the_shipped_set():
    from simulator.anatomy.library import model_folder, shipped_model_folder
    from simulator.scenario import load_scenario

    for path in sorted((REPO / "scenarios").glob("hip_*.yaml")):
        spec = load_scenario(path).anatomy
        folder = model_folder("hip", spec.patient.draw(0), spec.seed)
        assert folder == shipped_model_folder("hip"), path.name
