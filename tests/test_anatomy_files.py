"""Mesh sets on disk: broken meshes and manifests fail with one clear message."""

import shutil

import numpy as np
import pytest
import yaml

from simulator.anatomy.manifest import read_manifest
from simulator.anatomy.meshio import read_mesh
from simulator.anatomy.model import Anatomy
from simulator.errors import InputError


@pytest.fixture()
def block_copy(block_scenario, tmp_path):
    folder = tmp_path / "block"
    shutil.copytree(block_scenario.parent / "block", folder)
    return folder


def test_open_mesh_is_refused_naming_the_file(block_copy):
    import trimesh

    mesh = trimesh.load(block_copy / "nerve.ply")
    mesh.update_faces(np.arange(len(mesh.faces)) > 3)  # punch a hole
    mesh.export(block_copy / "nerve.ply")
    with pytest.raises(InputError) as err:
        Anatomy.load(block_copy)
    assert "nerve.ply" in str(err.value) and "not watertight" in str(err.value)


def test_missing_mesh_file_is_refused(block_copy):
    (block_copy / "artery.ply").unlink()
    with pytest.raises(InputError, match="artery.ply: mesh file not found"):
        Anatomy.load(block_copy)


def test_manifest_with_unknown_tissue_names_the_field(block_copy):
    data = yaml.safe_load((block_copy / "manifest.yaml").read_text())
    data["structures"][2]["tissue"] = "musle"
    (block_copy / "manifest.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as err:
        read_manifest(block_copy)
    assert "structures.2.tissue" in str(err.value) and "unknown tissue 'musle'" in str(err.value)


def test_lps_meshes_are_flipped_to_ras(block_copy):
    vertices, _ = read_mesh(block_copy / "artery.ply")
    lps, _ = read_mesh(block_copy / "artery.ply", lps=True)
    assert np.allclose(lps[:, :2], -vertices[:, :2]) and np.allclose(lps[:, 2], vertices[:, 2])


def test_label_volume_is_cached_on_disk(block_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("JOINTSIM_CACHE", str(tmp_path / "cache"))
    first = Anatomy.load(block_copy)
    files = list((tmp_path / "cache" / "labels").glob("*.npy"))
    assert len(files) == 1
    second = Anatomy.load(block_copy)
    assert np.array_equal(np.asarray(first.labels), np.asarray(second.labels))
    assert isinstance(second.labels, np.memmap)
