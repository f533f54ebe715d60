"""The fast paths of the renderers give the images of the plain computation they replace.

- Fluoroscopy: the rasteriser bounds each row by its edge crossings and reads ray lengths
  from a per-detector table; a brute-force pass here tests every pixel of every triangle's
  bounding box with the same edge functions and takes a square root per pixel. Same
  coverage (watertight: no pixel lost or doubled at a shared edge), same lengths.
- Ultrasound: the slicer transforms each vertex once per pose (stamped) and keeps its
  scratch arrays between poses; a pose sliced after others gives the crossings of a fresh
  slicer.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import trimesh
from fluoro_phantoms import mesh, projection

from simulator.imaging.fluoro.raster import path_lengths, project_vertices
from simulator.imaging.fluoro.scene import MeshScene


def _canonical(ax, ay, bx, by):
    """The rasteriser's canonical edge (``raster._canonical``, written out again)."""
    tie = (by - ay) > 0.0 or ((by - ay) == 0.0 and (bx - ax) < 0.0)
    if ax < bx or (ax == bx and ay < by):
        return ax, ay, bx - ax, by - ay, 1.0, tie
    return bx, by, ax - bx, ay - by, -1.0, tie


def _covers(edge, px, py):
    x0, y0, ex, ey, sg, tie = edge
    w = sg * (ex * (py - y0) - ey * (px - x0))
    return (w > 0.0) | ((w == 0.0) & tie)


def brute_force_lengths(scene: MeshScene, pr) -> np.ndarray:
    """Linear-mode path lengths ``(channels, n, n)`` float32: every pixel of each triangle's
    bounding box tested, the ray length computed per pixel; triangles in index order (the
    rasteriser's order within a pixel's band), so sums round alike."""
    faces, owner, chan_plus, chan_minus = scene.pass_arrays("linear")
    n = pr.size
    centre = (n - 1) / 2.0
    xy, _ = project_vertices(scene.vertices, pr.source_mm, pr.u, pr.v, pr.beam, pr.focal_px,
                             pr.centre_px)
    out = np.zeros((scene.n_channels, n, n), np.float32)
    for f, (ia, ib, ic) in enumerate(faces):
        (x0, y0), (x1, y1), (x2, y2) = xy[ia], xy[ib], xy[ic]
        area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
        if area == 0.0:
            continue
        if area < 0.0:
            x1, y1, x2, y2 = x2, y2, x1, y1
        i_lo, i_hi = max(math.ceil(min(x0, x1, x2)), 0), min(math.floor(max(x0, x1, x2)), n - 1)
        j_lo, j_hi = max(math.ceil(min(y0, y1, y2)), 0), min(math.floor(max(y0, y1, y2)), n - 1)
        if i_lo > i_hi or j_lo > j_hi:
            continue
        a = scene.vertices[ia]
        normal = np.cross(scene.vertices[ib] - a, scene.vertices[ic] - a)
        num = float(normal @ (a - pr.source_mm))
        if num == 0.0:
            continue
        sign = 1.0 if num > 0.0 else -1.0
        jj, ii = np.mgrid[j_lo:j_hi + 1, i_lo:i_hi + 1].astype(float)
        inside = np.ones(jj.shape, bool)
        for edge in ((x1, y1, x2, y2), (x2, y2, x0, y0), (x0, y0, x1, y1)):
            inside &= _covers(_canonical(*edge), ii, jj)
        a_mm, b_mm = (ii - centre) * pr.pixel_mm, (jj - centre) * pr.pixel_mm
        den = (normal @ pr.u) * a_mm + (normal @ pr.v) * b_mm + (normal @ pr.beam) * pr.sid_mm
        inside &= den != 0.0
        t = num / np.where(den == 0.0, 1.0, den) * np.sqrt(
            a_mm * a_mm + b_mm * b_mm + pr.sid_mm * pr.sid_mm) - pr.sic_mm
        rows, cols = jj[inside].astype(int), ii[inside].astype(int)
        s = owner[f]
        if chan_plus[s] >= 0:
            out[chan_plus[s], rows, cols] += sign * t[inside]
        if chan_minus[s] >= 0:
            out[chan_minus[s], rows, cols] -= sign * t[inside]
    return out


@pytest.mark.parametrize("beam, u", [((0.3, 1.0, -0.2), (-1.0, 0.1, 0.0)),   # oblique
                                     ((0.0, 1.0, 0.0), (-1.0, 0.0, 0.0))])   # square on
def test_fluoro_fast_rasteriser_matches_brute_force(beam, u):
    """Two nested spheres (cortical shell round a cancellous core) and a box beside them,
    seen obliquely and square on (box edges project to horizontal lines, the rows where
    only the exact tests may decide): every covered pixel and every path length as the
    brute-force pass."""
    outer = trimesh.creation.icosphere(subdivisions=3, radius=18.0)
    inner = trimesh.creation.icosphere(subdivisions=3, radius=12.0)
    inner.apply_translation([1.0, 0.5, -0.7])
    box = trimesh.creation.box(extents=[10.0, 14.0, 8.0])
    box.apply_transform(trimesh.transformations.rotation_matrix(0.4, [0.0, 0.0, 1.0]))
    box.apply_translation([26.0, 3.0, 4.0])
    scene = MeshScene.build([mesh(outer), mesh(inner), mesh(box)],
                            ["cortical_bone", "cancellous_bone", "muscle"])
    assert scene.method == "linear"
    pr = projection(size=96, detector_mm=90.0, beam=beam, u=u)
    fast = path_lengths(scene.vertices, *scene.pass_arrays("linear"), scene.rank, scene.chan,
                        scene.n_channels, pr, "linear")
    slow = brute_force_lengths(scene, pr)
    assert np.count_nonzero(slow) > 3000       # the phantom fills a good part of the view
    np.testing.assert_array_equal(fast != 0.0, slow != 0.0)
    np.testing.assert_allclose(fast, slow, rtol=0.0, atol=1e-4)


def test_ultrasound_slicer_reuses_its_scratch_between_poses():
    """A pose sliced after others (its vertices stamped for earlier poses) gives the same
    crossings as the first slice of that pose."""
    from simulator.geometry import invert
    from simulator.imaging.ultrasound import slicing
    from simulator.imaging.ultrasound.render import _world_from_probe, pose_key
    from simulator.imaging.ultrasound.scan import scan_geometry
    from simulator.loading import load_world
    from simulator.probe import move_probe
    from simulator.step import initial_state

    world = load_world("hip_anterior_us")
    state = initial_state(world)
    probes = [state.probe]
    for _ in range(2):
        probes.append(move_probe(world, probes[-1], (3.0, 2.0), 0.05, 0.1))
    geom = scan_geometry(world.scenario.probe.preset, float(state.probe.depth_mm),
                         float(state.probe.frequency_mhz), float(state.probe.focus_mm))
    arrays = slicing.mesh_arrays(world)
    def hits(probe):
        pfw = invert(_world_from_probe(world, pose_key(probe)))
        return slicing.slice_scene(arrays, pfw, geom)
    first = hits(probes[0])
    others = [hits(p) for p in probes[1:]]
    again = hits(probes[0])
    assert first.count.sum() > 0
    assert not np.array_equal(others[0].count, first.count)   # the poses differ
    np.testing.assert_array_equal(again.count, first.count)
    valid = np.arange(first.label.shape[2]) < first.count[..., None]   # the rest is unset
    for name in ("depth_mm", "label", "entering", "cos", "slope"):
        np.testing.assert_array_equal(getattr(again, name)[valid], getattr(first, name)[valid])


def test_ultrasound_morton_order_interleaves_the_bits():
    """The slicer's chunk order: bit ``b`` of axis ``a`` of the 10-bit quantised centroid at
    bit ``3 b + a`` of the key, ties kept in input order (the bit-by-bit definition)."""
    from simulator.imaging.ultrasound.slicing import _morton_order

    rng = np.random.default_rng(3)
    points = rng.normal(size=(5000, 3)) * [30.0, 50.0, 80.0]
    points[:200] = points[0]
    lo, hi = points.min(0), points.max(0)
    q = ((points - lo) / (hi - lo) * 1023.0).astype(np.int64)
    key = sum(((q[:, a] >> b) & 1) << (3 * b + a) for b in range(10) for a in range(3))
    np.testing.assert_array_equal(_morton_order(points), np.argsort(key, kind="stable"))


def test_ultrasound_slicer_vertices_follow_the_faces_order():
    """The slicer's vertices are renumbered in the order its Morton-sorted faces first use
    them (neighbouring faces read neighbouring vertices); each face is still the same world
    triangle with the same vertex normals and label as in its structure."""
    from simulator.imaging.ultrasound import slicing
    from simulator.loading import load_world

    world = load_world("hip_anterior_us")
    arrays = slicing.mesh_arrays(world)
    used, first = np.unique(arrays.faces.ravel(), return_index=True)
    np.testing.assert_array_equal(used, np.arange(len(arrays.vertices)))
    assert np.all(np.diff(first) > 0)                  # vertex n is first used before n + 1
    corners, normals, labels = [], [], []
    for s, vn in zip(world.anatomy.structures, world.vertex_normals, strict=True):
        corners.append(s.vertices[s.faces])
        normals.append(vn[s.faces])
        labels.append(np.full(len(s.faces), s.index))
    key = [np.concatenate(a).reshape(len(arrays.faces), -1) for a in (corners, normals)]
    ours = [arrays.vertices[arrays.faces].reshape(len(arrays.faces), -1),
            arrays.normals[arrays.faces].reshape(len(arrays.faces), -1)]
    def rows(tri, nor, lab):   # faces as sortable rows, whatever their order
        table = np.concatenate([lab[:, None].astype(float), tri, nor], 1)
        return table[np.lexsort(table.T[::-1])]
    np.testing.assert_array_equal(rows(*ours, arrays.label),
                                  rows(*key, np.concatenate(labels)))


def test_app_text_wrap_is_cached_and_unchanged():
    """The HUD wraps its prompts every frame: the cached lines are those the font gives,
    each no wider than asked, and a caller changing its list does not change the cache."""
    from simulator.app.loop import headless_env

    headless_env()
    import pygame

    from simulator.app.draw import Text

    pygame.font.init()
    text = Text()
    words = ("Slide the probe toward the target until the ring turns green, then advance "
             "the needle in plane and watch its tip")
    first = text.wrap(words, 180, 20)
    assert len(first) > 2 and " ".join(first) == words
    assert all(text.font(20).size(line)[0] <= 180 for line in first)
    first.append("changed by the caller")
    assert text.wrap(words, 180, 20) == first[:-1]
    assert text.wrap(words, 400, 20) != first[:-1]   # the width is part of the key


def test_app_overlay_remembers_plane_offsets_per_probe_and_point():
    """The overlay's remembered plane offsets are ``guidance.plane_offset``'s, for the probe
    and point asked (a moved probe or another point is worked out afresh)."""
    from simulator.app.loop import headless_env

    headless_env()
    from simulator.app import guidance
    from simulator.app.bindings import load_bindings
    from simulator.app.draw import Text
    from simulator.app.overlay import ImagingOverlay
    from simulator.loading import load_world
    from simulator.probe import move_probe
    from simulator.step import initial_state

    world = load_world("hip_anterior_us")
    overlay = ImagingOverlay(world, Text(), load_bindings(), learning=True)
    probe = initial_state(world).probe
    moved = move_probe(world, probe, (0.0, 6.0), 0.0, 0.0)
    other = world.target_point + [0.0, 0.0, 9.0]
    for p, point in ((probe, world.target_point), (moved, world.target_point),
                     (probe, other), (probe, world.target_point)):
        assert overlay._plane_offset(p, point) == guidance.plane_offset(world, p, point)
    assert overlay._plane_offset(moved, world.target_point) != \
        overlay._plane_offset(probe, world.target_point)
