"""Label volume and exact ray queries against shapes with known answers."""

import math

import manifold3d as mf
import numpy as np
import pytest
import trimesh

from simulator.anatomy.raycast import TriangleGrid
from simulator.anatomy.voxelize import Grid, voxelize


def _mesh(shape: mf.Manifold):
    m = shape.to_mesh()
    return np.asarray(m.vert_properties[:, :3], float), np.asarray(m.tri_verts, np.int64)


def test_voxelized_box_volume_is_exact():
    box = trimesh.creation.box((30, 20, 10))
    grid = Grid.covering([-20, -20, -20], [20, 20, 20], 0.5)
    labels = voxelize(grid, [(box.vertices, box.faces)])
    assert (labels == 1).sum() * 0.125 == pytest.approx(30 * 20 * 10)


def test_voxelized_sphere_volume_within_half_percent():
    sphere = mf.Manifold.sphere(20.0, 128)
    grid = Grid.covering([-25] * 3, [25] * 3, 0.5)
    labels = voxelize(grid, [_mesh(sphere)])
    assert (labels == 1).sum() * 0.125 == pytest.approx(sphere.volume(), rel=5e-3)


def test_nested_shells_take_the_higher_priority():
    outer = mf.Manifold.sphere(20.0, 64)
    inner = mf.Manifold.sphere(10.0, 64)
    grid = Grid.covering([-25] * 3, [25] * 3, 1.0)
    labels = voxelize(grid, [_mesh(outer), _mesh(inner)], priorities=[0, 1])
    centre = grid.index_of(np.array([[0.2, 0.2, 0.2]]))[0]
    shell = grid.index_of(np.array([[15.0, 0.2, 0.2]]))[0]
    assert labels[tuple(centre)] == 2 and labels[tuple(shell)] == 1
    flipped = voxelize(grid, [_mesh(outer), _mesh(inner)], priorities=[1, 0])
    assert flipped[tuple(centre)] == 1


def test_segment_hits_match_sphere_chord():
    sphere = mf.Manifold.sphere(20.0, 256)
    grid = TriangleGrid.build([_mesh(sphere)], cell_mm=4.0)
    y = 12.0
    t, tri = grid.segment_hits([-50, y, 0.3], [50, y, 0.3])
    assert len(t) == 2
    half = math.sqrt(20.0 ** 2 - y ** 2 - 0.3 ** 2)
    assert t[1] - t[0] == pytest.approx(2 * half, abs=0.05)
    # entering face points against the ray, leaving face along it
    assert grid.normal[tri[0]][0] < 0 < grid.normal[tri[1]][0]


def test_block_labels_and_exact_queries(block_world):
    a = block_world.anatomy
    assert a.structure_at([0, 39, 0]).name == "skin"
    assert a.structure_at([0, 30, 0]).name == "fat"
    assert a.structure_at([0, -4, 0]).name == "recess"
    assert a.structure_at([0, -15, 0]).name == "bone"
    assert a.label_at([0, 100, 0]) == 0
    # exactly at 0.01 mm either side of the bone surface (y = -5)
    assert a.label_at([0, -4.99, 0]) == a.structure("recess").index
    assert a.label_at([0, -5.01, 0]) == a.structure("bone").index
    crossings = a.segment_crossings([0, 50, 0], [0, -30, 0])
    entered = [a.structures[c.structure - 1].name for c in crossings if c.entering]
    assert entered == ["skin", "fat", "muscle", "capsule", "recess", "bone", "muscle"]
    assert crossings[0].t_mm == pytest.approx(10.0, abs=1e-6)


def test_distance_to_structure_is_exact_and_signed(block_world):
    a = block_world.anatomy
    d = a.distance_to("artery", [[-30, -5, 0], [-20, -5, 0], [-30, 5, 10]])
    assert d[0] == pytest.approx(-4.0, abs=0.02)
    assert d[1] == pytest.approx(6.0, abs=0.02)
    assert d[2] == pytest.approx(6.0, abs=0.02)
