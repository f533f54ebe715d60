"""C-arm and projection geometry: pinhole model, display orientation, rotations, needle dot."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from fluoro_phantoms import block_world, lengths, mesh, projection

from simulator import carm as carm_model
from simulator.geometry import rotate
from simulator.imaging.fluoro.needle import NeedleShape, needle_line_integral
from simulator.imaging.fluoro.scene import MeshScene
from simulator.state import CArm


@pytest.fixture(scope="module")
def block_fluoro_world(tmp_path_factory):
    return block_world(tmp_path_factory)


def pinhole_pixels(pr, points):
    """Independent pinhole model: intersect the source->point line with the detector plane
    and express the hit in detector pixel units."""
    out = []
    for p in points:
        d = p - pr.source_mm
        t = pr.sid_mm / (d @ pr.beam)
        hit = pr.source_mm + t * d - pr.detector_centre_mm
        out.append([hit @ pr.u / pr.pixel_mm + (pr.size - 1) / 2,
                    hit @ pr.v / pr.pixel_mm + (pr.size - 1) / 2])
    return np.array(out)


@pytest.mark.parametrize("orbital_deg, cranial_deg", [(0, 0), (25, 0), (-30, 15), (10, -20)])
def test_projection_matrix_matches_pinhole(orbital_deg, cranial_deg):
    beam = np.array([math.sin(math.radians(orbital_deg)), math.cos(math.radians(orbital_deg)),
                     0.0])
    beam = rotate(beam, [1.0, 0.0, 0.0], math.radians(cranial_deg))
    pr = projection(size=512, detector_mm=300, iso=(10.0, -5.0, 3.0), beam=beam,
                    u=np.cross([0.0, 0.0, 1.0], beam) * -1)
    rng = np.random.default_rng(1)
    pts = np.asarray([10.0, -5.0, 3.0]) + rng.uniform(-80, 80, (50, 3))
    expected = pinhole_pixels(pr, pts)
    assert np.abs(pr.project(pts) - expected).max() < 0.5
    h = np.c_[pts, np.ones(len(pts))] @ pr.pixel_from_world.T
    assert np.abs(h[:, :2] / h[:, 2:] - expected).max() < 0.5
    # the isocentre is on the central ray
    assert np.allclose(pr.project([[10.0, -5.0, 3.0]]), (pr.size - 1) / 2, atol=1e-9)


def test_rendered_bead_lands_on_its_projection():
    """A small steel-dense bead rendered by the rasteriser is centred where the pinhole
    model puts it (within half a pixel)."""
    import trimesh

    pr = projection(size=256, detector_mm=150, beam=(0.3, 1.0, -0.2))
    for centre in ([12.0, 20.0, -7.0], [-25.0, -30.0, 18.0]):
        bead = trimesh.creation.icosphere(subdivisions=4, radius=2.0)
        bead.apply_translation(centre)
        scene = MeshScene.build([mesh(bead)], ["cortical_bone"])
        path, _ = lengths(scene, pr)
        w = path[0]
        ii, jj = np.meshgrid(np.arange(pr.size), np.arange(pr.size))
        centroid = np.array([(w * ii).sum(), (w * jj).sum()]) / w.sum()
        assert np.linalg.norm(centroid - pr.project([centre])[0]) < 0.5


def test_display_orientation_is_ap_radiograph(block_fluoro_world):
    """AP view: patient's right on the image left, head at the top."""
    from simulator.imaging.fluoro.render import projection_for
    from simulator.step import initial_state

    w = block_fluoro_world
    s = initial_state(w)
    pr = projection_for(w, s.carm, 512)
    iso = np.asarray(s.carm.isocentre_mm)
    right, left = pr.project([iso + [30, 0, 0], iso - [30, 0, 0]])
    head, feet = pr.project([iso + [0, 0, 30], iso - [0, 0, 30]])
    assert right[0] < left[0] and head[1] < feet[1]
    assert np.allclose(pr.beam, [0, 1, 0])


def test_carm_rotations_about_isocentre(block_fluoro_world):
    w = block_fluoro_world
    spec = w.scenario.carm
    from simulator.step import initial_state

    c0 = initial_state(w).carm
    iso = np.asarray(c0.isocentre_mm)
    for orbital, cranial in [(0.3, 0.0), (0.0, 0.4), (-0.5, -0.2)]:
        g = carm_model.geometry(w, replace(c0, orbital_rad=orbital, cranial_rad=cranial), spec)
        assert np.linalg.norm(iso - g.source_mm) == pytest.approx(spec.source_to_isocentre_mm)
        assert np.linalg.norm(g.detector_centre_mm - g.source_mm) == pytest.approx(
            spec.source_to_detector_mm)
        assert abs(g.beam @ g.detector_u) < 1e-12 and abs(g.beam @ g.detector_v) < 1e-12
        assert math.degrees(math.acos(g.beam[1] / 1.0)) == pytest.approx(
            math.degrees(math.acos(math.cos(orbital) * math.cos(cranial))), abs=1e-6)
    # positive orbital swings the detector toward the injected (right, +x) side,
    # positive cranial tilts it toward the head
    g = carm_model.geometry(w, replace(c0, orbital_rad=0.3), spec)
    assert g.detector_centre_mm[0] > iso[0]
    g = carm_model.geometry(w, replace(c0, cranial_rad=0.3), spec)
    assert g.detector_centre_mm[2] > iso[2]


def test_carm_limits():
    c = CArm(0.0, 0.0, (0.0, 0.0, 0.0), 300.0)
    moved = carm_model.move(c, (10.0, -10.0), (400.0, 0.0, -20.0), np.zeros(3))
    assert moved.orbital_rad == carm_model.MAX_ORBITAL_RAD
    assert moved.cranial_rad == -carm_model.MAX_CRANIAL_RAD
    assert moved.isocentre_mm == (carm_model.MAX_TABLE_SHIFT_MM, 0.0, -20.0)


def _footprint(shape, pr):
    patch = needle_line_integral(shape, pr, supersample=4)
    y0, x0, values = patch
    dark = np.argwhere(1.0 - np.exp(-values) > 0.2) + [y0, x0]
    return dark


def test_needle_down_the_beam_is_a_dot_and_side_on_a_line():
    pr = projection(size=512, detector_mm=300)
    tip = np.array([5.0, 10.0, -3.0])
    # along the ray through the tip: the bull's-eye view
    d = tip - pr.source_mm
    d /= np.linalg.norm(d)
    dot = _footprint(NeedleShape(tuple(tip - 89.0 * d), tuple(tip), 0.36, 0.205, True), pr)
    extent = dot.max(0) - dot.min(0) + 1
    assert extent.max() <= 3, extent
    centre = pr.project([tip])[0]
    assert np.abs(dot.mean(0)[::-1] - centre).max() < 1.0
    # side-on: a line as long as the magnified needle
    side = _footprint(NeedleShape(tuple(tip - [0, 0, 60.0]), tuple(tip), 0.36, 0.205, True), pr)
    span = side.max(0) - side.min(0) + 1
    expected = 60.0 * pr.sid_mm / pr.depth_mm([tip])[0] / pr.pixel_mm
    assert span[0] == pytest.approx(expected, abs=2.0)
    assert span[1] <= 4


def test_prone_patient_puts_the_tube_in_front_and_angles_invert(tmp_path_factory):
    """Under the table is anterior for a prone patient: the AP beam runs anterior ->
    posterior, and the planner's C-arm angles still put the beam along any needle."""
    import math

    import numpy as np
    from fluoro_phantoms import block_world

    from simulator import carm as carm_model
    from simulator.policies.planner import carm_angles_for
    from simulator.step import initial_state
    from simulator.world import make_world

    supine = block_world(tmp_path_factory, 80.0)
    scenario = supine.scenario.model_copy(update={"patient_position": "prone"})
    prone = make_world(scenario, supine.anatomy)
    c = initial_state(prone).carm
    spec = prone.scenario.carm
    assert np.allclose(carm_model.geometry(prone, c, spec).beam, [0.0, -1.0, 0.0])
    assert np.allclose(carm_model.geometry(supine, c, spec).beam, [0.0, 1.0, 0.0])
    for world in (supine, prone):
        for needle in ([0.3, -0.9, 0.2], [-0.2, -0.95, -0.3], [0.1, 0.9, 0.4]):
            d = np.asarray(needle) / np.linalg.norm(needle)
            orbital, cranial = carm_angles_for(world, d)
            pose = c.__class__(orbital, cranial, c.isocentre_mm, c.field_mm)
            beam = carm_model.geometry(world, pose, spec).beam
            assert math.degrees(math.acos(np.clip(beam @ -d, -1, 1))) < 1e-6
