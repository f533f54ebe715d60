"""Path lengths through closed shapes against closed forms (fluoroscopy.md Q1).

Bar: max abs error <= 0.05 mm or <= 1 % of the chord on interior pixels; no negative or
runaway pixel anywhere.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np
import pytest
import trimesh
from fluoro_phantoms import (
    block_world,
    cylinder_chord,
    lengths,
    mesh,
    projection,
    sphere_chord,
)

from simulator.imaging.fluoro.needle import NeedleShape, needle_line_integral, steel_chord_mm
from simulator.imaging.fluoro.raster import path_lengths
from simulator.imaging.fluoro.scene import MeshScene


def assert_close(measured, expected, interior):
    err = np.abs(measured - expected)[interior]
    bound = np.maximum(0.05, 0.01 * expected[interior])
    worst = np.argmax(err - bound)
    assert np.all(err <= bound), (err[worst], expected[interior][worst])


def assert_sane(path, limit):
    assert path.min() >= 0.0
    assert path.max() <= limit


@pytest.mark.parametrize("method", ["linear", "sweep"])
def test_sphere(method):
    centre, radius = np.array([4.0, -3.0, 2.0]), 20.0
    ico = trimesh.creation.icosphere(subdivisions=5, radius=radius)
    ico.apply_translation(centre)
    pr = projection(size=256, detector_mm=100.0)
    path, _ = lengths(MeshScene.build([mesh(ico)], ["muscle"]), pr, method)
    chord, dist = sphere_chord(pr, centre, radius)
    assert_close(path[0], chord, dist < 0.97 * radius)
    assert_sane(path, 2 * radius + 0.01)
    assert np.all(path[0][dist > radius] == 0.0)


@pytest.mark.parametrize("tilt", [0.0, 0.35])
def test_cylinder(tilt):
    radius = 15.0
    axis = np.array([np.cos(tilt), 0.0, np.sin(tilt)])
    cyl = trimesh.creation.cylinder(radius=radius, height=300.0, sections=512)
    cyl.apply_transform(trimesh.geometry.align_vectors([0, 0, 1], axis))
    pr = projection(size=256, detector_mm=100.0)
    path, _ = lengths(MeshScene.build([mesh(cyl)], ["cortical_bone"]), pr)
    chord, dist = cylinder_chord(pr, [0, 0, 0], axis, radius)
    assert_close(path[0], chord, dist < 0.97 * radius)
    assert_sane(path, 2 * radius / np.cos(0.2) + 0.01)


def hollow_tube(outer, inner, length, segments=256):
    o = mf.Manifold.cylinder(length, outer, outer, segments)
    i = mf.Manifold.cylinder(length + 2.0, inner, inner, segments).translate([0, 0, -1.0])
    return (o - i).translate([0, 0, -length / 2]).rotate([0, 90, 0])


def test_hollow_needle_mesh_and_analytic():
    """A 22 G cannula (0.72 / 0.41 mm) along x, seen side-on at a fine pixel pitch."""
    outer, inner = 0.36, 0.205
    pr = projection(size=256, detector_mm=12.0)  # 0.047 mm pixels, 0.028 mm at the needle
    o_chord, dist = cylinder_chord(pr, [0, 0, 0], [1, 0, 0], outer)
    i_chord, _ = cylinder_chord(pr, [0, 0, 0], [1, 0, 0], inner)
    expected = o_chord - i_chord
    path, _ = lengths(MeshScene.build([mesh(hollow_tube(outer, inner, 40.0))], ["steel"]), pr)
    # interior pixels: away from the silhouettes of both walls
    interior = (np.abs(dist - inner) > 0.02) & (dist < outer - 0.02)
    assert_close(path[0], expected, interior)
    assert_sane(path, 2 * outer + 0.01)
    # the analytic needle (one ray per pixel) against the same closed form
    shape = NeedleShape((-20.0, 0.0, 0.0), (20.0, 0.0, 0.0), outer, inner, stylet=False)
    y0, x0, patch = needle_line_integral(shape, pr, supersample=1)
    full = np.zeros((pr.size, pr.size))
    full[y0:y0 + patch.shape[0], x0:x0 + patch.shape[1]] = patch
    steel_mm = full / (10.2 / 10.0)
    assert np.abs(steel_mm - expected)[dist < outer].max() < 0.005
    # and one ray exactly through the middle
    o, d = pr.ray([[(pr.size - 1) / 2, (pr.size - 1) / 2]])
    assert steel_chord_mm(shape, o, d[0]) == pytest.approx(2 * (outer - inner), abs=1e-9)


def two_spheres(offset, r_outer=25.0, r_inner=10.0):
    a = trimesh.creation.icosphere(subdivisions=5, radius=r_outer)
    b = trimesh.creation.icosphere(subdivisions=5, radius=r_inner)
    b.apply_translation(offset)
    return mesh(a), mesh(b)


@pytest.mark.parametrize("method", ["linear", "sweep"])
def test_nested_shells_resolved_by_priority(method):
    """A bone sphere nested inside a muscle sphere (overlapping solids): with the bone on top
    its volume is bone only; with the muscle on top the bone is hidden."""
    outer, inner = two_spheres([3.0, 0.0, -2.0])
    pr = projection(size=256, detector_mm=110.0)
    chord_o, dist_o = sphere_chord(pr, [0, 0, 0], 25.0)
    chord_i, dist_i = sphere_chord(pr, [3.0, 0.0, -2.0], 10.0)
    scene = MeshScene.build([outer, inner], ["muscle", "cortical_bone"], [0, 1])
    assert scene.method == "linear" and list(scene.parent) == [-1, 0]
    path, _ = lengths(scene, pr, method)
    interior = (dist_o < 0.97 * 25.0) & (np.abs(dist_i - 10.0) > 0.3)
    assert_close(path[1], chord_i, interior)
    assert_close(path[0], chord_o - chord_i, interior)
    hidden = MeshScene.build([outer, inner], ["muscle", "cortical_bone"], [1, 0])
    path, _ = lengths(hidden, pr, method)
    assert path[1].max() == 0.0
    assert_close(path[0], chord_o, interior)


def test_partial_overlap_falls_back_to_the_sweep():
    """Two spheres overlapping in a lens: the sweep gives the lens to the higher priority."""
    a, b = two_spheres([22.0, 0.0, 0.0], r_outer=15.0, r_inner=15.0)
    scene = MeshScene.build([a, b], ["muscle", "cortical_bone"], [0, 1])
    assert scene.method == "sweep"
    pr = projection(size=256, detector_mm=150.0)
    path, _ = lengths(scene, pr)
    chord_a, dist_a = sphere_chord(pr, [0, 0, 0], 15.0)
    chord_b, dist_b = sphere_chord(pr, [22.0, 0, 0], 15.0)
    # union length is exact; bone owns all of b; muscle owns a minus the lens
    interior = (np.abs(dist_a - 15.0) > 0.5) & (np.abs(dist_b - 15.0) > 0.5)
    assert_close(path[1], chord_b, interior)
    lens = np.where((chord_a > 0) & (chord_b > 0), np.nan, 0.0)
    only_a = interior & ~np.isnan(lens)
    assert_close(path[0], chord_a, only_a)
    assert_sane(path, 60.0)


def test_linear_and_sweep_agree_on_disjoint_anatomy(tmp_path_factory):
    """The block phantom's structures are disjoint: both algorithms give the same lengths."""
    from simulator.imaging.fluoro.render import projection_for
    from simulator.step import initial_state

    w = block_world(tmp_path_factory)
    scene = MeshScene.from_anatomy(w.anatomy)
    assert scene.method == "linear" and np.all(scene.parent == -1)
    pr = projection_for(w, initial_state(w).carm, 256)
    lin, line = lengths(scene, pr, "linear")
    swp, _ = lengths(scene, pr, "sweep")
    assert np.abs(lin - swp).max() < 1e-3
    assert len(scene.linear[0]) < len(scene.faces)  # the touching blocks' faces drawn once
    assert lin.min() >= 0.0 and np.isfinite(line).all()
    # a central ray crosses the whole 80 mm slab: skin 2 x 2 mm, bone, muscle
    total = lin[:, pr.size // 2, pr.size // 2].sum()
    assert total == pytest.approx(80.0, abs=0.05)


def test_interfaces_drawn_once_give_the_same_hip_image():
    """On the real hip, each shared interface drawn once (about half the triangles) gives the
    path lengths of drawing both of its copies."""
    from simulator.imaging.fluoro.render import projection_for
    from simulator.loading import load_world
    from simulator.step import initial_state

    w = load_world("hip_ap_fluoro")
    scene = MeshScene.from_anatomy(w.anatomy)
    assert scene.method == "linear"
    assert len(scene.linear[0]) < 0.6 * len(scene.faces)
    pr = projection_for(w, initial_state(w).carm, 192)
    merged = path_lengths(scene.vertices, *scene.linear, scene.rank, scene.chan,
                          scene.n_channels, pr, "linear")
    both = path_lengths(scene.vertices, scene.faces, scene.owner, scene.chan_plus,
                        scene.chan_minus, scene.rank, scene.chan, scene.n_channels, pr,
                        "linear")
    assert np.abs(merged - both).max() < 1e-3
    assert both.max() > 50.0  # the comparison is over a real image
