"""Mesh sets on disk: broken meshes and manifests fail with one clear message."""

import os
import shutil
import subprocess
import sys

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


def _load_in_fresh_process(folder, cache) -> tuple[bool, str]:
    """(trimesh imported?, digest of every vertex and face) of loading ``folder`` in a new
    process with the jointsim cache at ``cache``."""
    code = ("import hashlib, sys\n"
            "from simulator.anatomy.model import Anatomy\n"
            f"a = Anatomy.load({str(folder)!r})\n"
            "h = hashlib.sha256()\n"
            "for s in a.structures: h.update(s.vertices.tobytes()); h.update(s.faces.tobytes())\n"
            "print('trimesh' in sys.modules, h.hexdigest())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "JOINTSIM_CACHE": str(cache)}, check=True)
    imported, digest = out.stdout.split()
    return imported == "True", digest


def test_a_second_start_reads_the_checked_meshes_from_the_cache(block_copy, tmp_path):
    """A second load skips parsing and checking the mesh files (and importing trimesh, most of
    a second start) and gets the same meshes; a damaged cache entry is read again."""
    cache = tmp_path / "cache"
    imported, first = _load_in_fresh_process(block_copy, cache)
    assert imported
    assert _load_in_fresh_process(block_copy, cache) == (False, first)
    (stored,) = (cache / "anatomy").glob("meshes-*.npz")
    stored.write_bytes(b"\0" * stored.stat().st_size)
    assert _load_in_fresh_process(block_copy, cache) == (True, first)
    assert _load_in_fresh_process(block_copy, cache) == (False, first)
