"""Issue 13: bad scenario, manifest and mesh input ends in one clear line naming the file and
field, never a traceback, a hang or a silently changed meaning."""

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import trimesh
import yaml
from conftest import REPO

from simulator.anatomy.manifest import read_manifest
from simulator.anatomy.meshio import read_mesh, read_mesh_set
from simulator.cli import main
from simulator.errors import InputError
from simulator.scenario import load_scenario, parse_scenario

HIP = REPO / "scenarios" / "hip_anterior_us.yaml"
JOINTSIM = str(Path(sys.executable).with_name("jointsim"))  # the installed command


def _hip() -> dict:
    return copy.deepcopy(yaml.safe_load(HIP.read_text()))


def _set(data: dict, dotted: str, value) -> dict:
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    return data


def _problems(tmp_path, data=None, text=None):
    path = tmp_path / "case.yaml"
    if text is None:
        text = yaml.safe_dump(data)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path, parse_scenario(path)[1]


def _jointsim(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("JOINTSIM_DEBUG", None)
    return subprocess.run([JOINTSIM, *args], capture_output=True, text=True, env=env,
                          timeout=120)


# -- 1. usage errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (("demo", "--seed", "abc"), "Invalid value for '--seed'"),
    (("snapshot",), "Missing argument 'scenario'"),
    (("demo", "--no-such-option"), "No such option: --no-such-option"),
])
def test_usage_errors_are_one_line_and_exit_2(args, words):
    result = _jointsim(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "usage: jointsim" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_jointsim_alone_shows_help_and_exits_2():
    result = _jointsim()
    assert result.returncode == 2
    assert "validate" in result.stdout and "Traceback" not in result.stderr


# -- 2. non-finite and unbounded numbers ---------------------------------------------------------

@pytest.mark.parametrize("field, value, words", [
    ("entry_zone.offset_mm", [float("nan"), 0, 0], "finite number"),
    ("probe_start.offset_mm", [0, float("inf"), 0], "finite number"),
    ("entry_zone.offset_mm", [0, 5000, 0], "less than or equal to 300"),
    ("rubric.hard_fails.0.max", float("nan"), "finite number"),
    ("rubric.criteria.0.best", float("nan"), "finite number"),
    ("rubric.criteria.0.worst", float("inf"), "finite number"),
    ("rubric.criteria.0.worst", 1e300, "less than or equal to"),
    ("anatomy.seed", 10**30, "seed must be a whole number from 0 to 4294967295"),
    ("anatomy.seed", -1, "seed must be a whole number"),
    ("anatomy.patient.bmi", {"normal": [27, float("inf")]}, "finite number"),
    ("anatomy.patient.bmi", {"choice": [25, 30], "weights": [0, 0]}, "not all be zero"),
    ("probe.gain_db", float("nan"), "finite number"),
])
def test_non_finite_and_huge_numbers_are_refused(tmp_path, field, value, words):
    _, problems = _problems(tmp_path, _set(_hip(), field, value))
    assert len(problems) == 1
    where, message = problems[0]
    assert where.startswith(field) and words in message


def test_a_nan_offset_no_longer_reaches_demo(tmp_path):
    path, _ = _problems(tmp_path, _set(_hip(), "entry_zone.offset_mm", [float("nan"), 0, 0]))
    result = _jointsim("demo", "--scenario", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"jointsim: error: {path}: entry_zone.offset_mm.0: "
                                     "Input should be a finite number")


def test_session_seed_out_of_range_is_one_line():
    from simulator.loading import load_world

    with pytest.raises(InputError, match="session seed -1 is outside"):
        load_world(HIP, seed=-1)


# -- 3. duplicate keys, aliases, odd files -------------------------------------------------------

def test_duplicate_key_is_refused_with_both_lines(tmp_path):
    text = HIP.read_text().replace("rubric:\n", "rubric:\n  pass_score: 70\n  pass_score: 0\n")
    path, problems = _problems(tmp_path, text=text)
    (where, message), = problems
    first = text.splitlines().index("  pass_score: 70") + 1
    assert where == f"line {first + 1}"
    assert f"key 'pass_score' is given twice (first on line {first})" in message


def test_alias_bomb_is_refused_at_once(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 12)]
    _, problems = _problems(tmp_path, text="\n".join(lines) + "\n")  # 10**12 items expanded
    assert problems == [("line 1", "not valid YAML: anchor '&a0' is not allowed; write "
                         "values out in full instead of reusing them")]


@pytest.mark.parametrize("content, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    (HIP.read_text().encode("utf-16"), "not a text file"),
    (b"id: caf\xe9\n", "not UTF-8 text"),
    (b"[" * 100_000, "nested more than 32 levels"),
    (b"a: " + b"9" * 5000 + b"\n", "not valid YAML"),
    (b"- 1\n- 2\n", "expected a mapping"),
])
def test_odd_files_give_one_line_naming_the_file(tmp_path, content, words):
    path, problems = _problems(tmp_path, text=content)
    assert len(problems) == 1 and words in problems[0][1]
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: ")


# -- 4. semantic checks --------------------------------------------------------------------------

def test_target_that_is_also_a_danger(tmp_path):
    data = _hip()
    data["dangers"].append({"structure": data["targets"][0]["structure"]})
    _, problems = _problems(tmp_path, data)
    n = len(data["dangers"]) - 1
    assert problems == [(f"dangers.{n}.structure", "'anterior_recess' is also targets.0; a "
                         "structure cannot be both a target and a danger; remove one of them")]


def test_entry_zone_out_of_the_needles_reach(tmp_path):
    data = _set(_hip(), "entry_zone.offset_mm", [0, 290, 0])
    data["entry_zone"]["radius_mm"] = 20
    _, problems = _problems(tmp_path, data)
    (where, message), = problems
    assert where == "entry_zone" and "beyond the 89 mm needle" in message


def test_time_limit_too_short(tmp_path):
    _, problems = _problems(tmp_path, _set(_hip(), "limits.time_s", 11))
    assert problems == [("limits.time_s", "Input should be greater than or equal to 60")]


def test_long_id_is_refused_before_it_names_a_file(tmp_path):
    _, problems = _problems(tmp_path, _set(_hip(), "id", "a" * 300))
    assert problems == [("id", "String should have at most 64 characters")]


def test_a_bad_item_is_one_line_without_the_container_echo(tmp_path):
    _, problems = _problems(tmp_path, _set(_hip(), "modes", [1]))
    assert problems == [("modes.0", "Input should be 'learning' or 'assessment'")]


# -- 5. manifests and meshes ---------------------------------------------------------------------

@pytest.fixture
def block(tmp_path, block_scenario):
    """A private copy of the block phantom case: (scenario path, mesh folder)."""
    shutil.copytree(block_scenario.parent, tmp_path / "case")
    return tmp_path / "case" / block_scenario.name, tmp_path / "case" / "block"


def _edit_manifest(folder, change):
    path = folder / "manifest.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("change, field, words", [
    (lambda m: m["landmarks"].update(target=[float("nan"), 0, 0]), "landmarks.target.0",
     "finite number"),
    (lambda m: m["structures"][0].update(file="../elsewhere/skin.ply"), "structures.0.file",
     "points outside the manifest's folder"),
    (lambda m: m["structures"][0].update(file="/etc/skin.ply"), "structures.0.file",
     "points outside the manifest's folder"),
    (lambda m: m["structures"][0].update(priority=10**30), "structures.0.priority",
     "less than or equal to 1000"),
])
def test_bad_manifest_values_name_the_manifest_and_field(block, change, field, words):
    scenario, folder = block
    manifest = _edit_manifest(folder, change)
    with pytest.raises(InputError) as caught:
        read_manifest(folder)
    assert caught.value.path == str(manifest) and caught.value.field == field
    assert words in caught.value.message
    # the scenario using the model reports the manifest's file and field, not its own
    (where, message), = parse_scenario(scenario)[1]
    assert where == "anatomy.model" and message.startswith(f"{manifest}: {field}: ")


def test_non_utf8_manifest(block):
    _, folder = block
    path = folder / "manifest.yaml"
    path.write_bytes(path.read_bytes().replace(b"model: block", b"model: bl\xf6ck"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_manifest(folder)


def test_metres_on_millimetre_meshes_is_refused_before_voxelising(block):
    scenario, folder = block

    def metres(m):  # landmarks given in metres, meshes left in millimetres
        m.update(units="m", landmarks={k: [c / 1000 for c in v]
                                       for k, v in m["landmarks"].items()})

    manifest = _edit_manifest(folder, metres)
    with pytest.raises(InputError) as caught:
        read_mesh_set(folder, read_manifest(folder))
    assert caught.value.path == str(manifest) and caught.value.field == "units"
    assert "set units: mm" in caught.value.message
    result = _jointsim("validate", "--deep", str(scenario))
    assert result.returncode == 1 and result.stdout.startswith(
        f"{scenario}: anatomy: {manifest}: units: the model spans 120,000 mm")
    assert "Traceback" not in result.stderr


def test_landmark_far_outside_the_model(block):
    _, folder = block
    _edit_manifest(folder, lambda m: m["landmarks"].update(target=[0, 0, 5000]))
    with pytest.raises(InputError, match="outside the model's meshes") as caught:
        read_mesh_set(folder, read_manifest(folder))
    assert caught.value.field == "landmarks.target"


def test_mesh_file_linked_outside_the_folder(block, tmp_path):
    _, folder = block
    outside = tmp_path / "outside.ply"
    shutil.move(folder / "skin.ply", outside)
    (folder / "skin.ply").symlink_to(outside)
    with pytest.raises(InputError, match="resolves outside the manifest's folder"):
        read_mesh_set(folder, read_manifest(folder))


def _ascii_ply(path, vertices, faces):
    lines = ["ply", "format ascii 1.0", f"element vertex {len(vertices)}", "property float x",
             "property float y", "property float z", f"element face {len(faces)}",
             "property list uchar int vertex_indices", "end_header"]
    lines += [" ".join(str(c) for c in v) for v in vertices]
    lines += ["3 " + " ".join(str(i) for i in f) for f in faces]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # trimesh, flat
def test_nan_and_flat_meshes_are_refused_naming_the_file(tmp_path):
    box = trimesh.creation.box((10, 10, 10))
    vertices = box.vertices.tolist()
    vertices[0][0] = float("nan")
    nan = _ascii_ply(tmp_path / "nan.ply", vertices, box.faces.tolist())
    with pytest.raises(InputError, match="NaN or infinite") as caught:
        read_mesh(nan)
    assert caught.value.path == str(nan)
    # a closed but flat surface: a triangle and its reverse
    flat = _ascii_ply(tmp_path / "flat.ply", [[0, 0, 0], [1, 0, 0], [0, 1, 0]],
                      [[0, 1, 2], [0, 2, 1]])
    with pytest.raises(InputError, match="encloses no volume") as caught:
        read_mesh(flat)
    assert caught.value.path == str(flat)


def test_a_mesh_passing_through_itself_is_refused_naming_the_file(tmp_path):
    """Watertight and consistently wound, so every earlier check passed: two overlapping
    shells in one file, and a sphere with a cap pushed through its far side."""
    from simulator.anatomy.custom import _manifold

    sphere = trimesh.creation.icosphere(3, 10.0)
    clean = _ascii_ply(tmp_path / "clean.ply", sphere.vertices.tolist(), sphere.faces.tolist())
    _manifold(*read_mesh(clean), clean)
    pair = trimesh.util.concatenate([sphere, sphere.copy().apply_translation([8, 0, 0])])
    folded = sphere.vertices.copy()
    folded[folded[:, 0] > 7, 0] -= 25.0
    for name, vertices, faces in (("pair", pair.vertices, pair.faces),
                                  ("folded", folded, sphere.faces)):
        path = _ascii_ply(tmp_path / f"{name}.ply", vertices.tolist(), faces.tolist())
        with pytest.raises(InputError, match="passes through itself") as caught:
            _manifold(*read_mesh(path), path)
        assert caught.value.path == str(path)


def test_validate_cli_names_the_manifest(block):
    scenario, folder = block
    manifest = _edit_manifest(folder, lambda m: m["landmarks"].update(target=[0, float("inf"), 0]))
    assert main(["validate", str(scenario)]) == 1
    result = _jointsim("validate", str(scenario))
    assert result.returncode == 1 and result.stdout.strip() == (
        f"{scenario}: anatomy.model: {manifest}: landmarks.target.1: Input should be a finite "
        "number")


# -- 6. a damaged label cache is rebuilt, not blamed on the log ------------------------------------

@pytest.mark.parametrize("damage", ["zero_file", "zero_data"])
def test_damaged_label_cache_is_detected_and_rebuilt(block, tmp_path, monkeypatch, damage):
    import numpy as np

    from simulator.anatomy.model import Anatomy

    monkeypatch.setenv("JOINTSIM_CACHE", str(tmp_path / "cache"))
    _, folder = block
    built = np.array(Anatomy.load(folder, voxel_mm=2.0).labels)
    cached, = (tmp_path / "cache" / "labels").glob("*.npy")
    raw = cached.read_bytes()
    keep = 0 if damage == "zero_file" else len(raw) - built.size  # header intact
    cached.write_bytes(raw[:keep] + bytes(len(raw) - keep))
    again = Anatomy.load(folder, voxel_mm=2.0).labels
    assert np.array_equal(again, built) and again.any()
