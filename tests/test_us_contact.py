"""A rocked probe keeps the skin at the top of the image (issue 11, play-test; issue 12 item
3): rocking heel-to-toe turns the probe about its contact point, so one end of the face lifts;
a real probe presses the tissue up against it, so no black wedge of air opens above an
oblique skin line. Each scan line under the lifted part starts at the skin (its samples
shifted by the air gap, ``scan.rocked_geometry``), and the needle, the labels and the
image-to-world mapping follow the same shift. A flat probe's image is unchanged.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace

import numpy as np
import pytest
from test_ultrasound_hip import _placed

from simulator.geometry import invert
from simulator.imaging.ultrasound import params as P
from simulator.imaging.ultrasound import render_ultrasound
from simulator.imaging.ultrasound.needle import add_needle
from simulator.imaging.ultrasound.render import clear_cache, pose_key
from simulator.imaging.ultrasound.scan import rocked_geometry, scan_geometry
from simulator.state import replace_probe

# sha256 of image + label bytes of the flat (rock 0) frames below, rendered by the code
# before the contact shift existed (commit 502e166, 7 scatterers per resolution cell)
FLAT_HIP = "afa330376f9e023c0f44dfc25b6fd2cfca3429f141322c8c5567c263445cb409"
FLAT_KNEE = "3aed917d8ba3c8a2a5ba05ad125b3aff6e1f80963a97ff9b9eb9cad5b4ce97e1"


@pytest.fixture(scope="module")
def hip_placed(hip_us_world):
    return _placed(hip_us_world)


def _rocked(state, rock_deg: float):
    return replace(state, probe=replace_probe(state.probe, rock_rad=math.radians(rock_deg)))


def _digest(frame) -> str:
    return hashlib.sha256(frame.image.tobytes() + frame.label.tobytes()).hexdigest()


@pytest.mark.parametrize("rock_deg", [None, -17.5, 17.5])
def test_every_line_of_a_rocked_hip_view_starts_at_the_skin(hip_placed, rock_deg):
    """In the hip in-plane view (the expert's own rock of -10 deg when it places the probe,
    and its -17.5 deg while injecting, and the other way), every line's first non-air label
    lies within 1 mm of the face: no air wedge (before: 40 of 256 lines all air at -17.5)."""
    world, state = hip_placed
    if rock_deg is not None:
        state = _rocked(state, rock_deg)
    assert abs(state.probe.rock_rad) > math.radians(5.0)
    frame = render_ultrasound(world, state, detail="moving")
    tissue = frame.label > 0                                  # (n_lines, n_samples)
    assert tissue.any(axis=1).all(), np.flatnonzero(~tissue.any(axis=1))
    first_mm = frame.geometry.depth_mm[np.argmax(tissue, axis=1)] - frame.geometry.dz_mm / 2
    assert first_mm.max() <= 1.0, (int(first_mm.argmax()), first_mm.max())
    # the lifted end's lines were shifted (toward -x for a negative rock), the pressed not
    shift = frame.geometry.line_shift_mm
    lifted, pressed = (shift[:8], shift[-8:]) if state.probe.rock_rad < 0 else \
        (shift[-8:], shift[:8])
    assert lifted.min() > 5.0 and pressed.max() == 0.0


def test_a_flat_probe_image_is_unchanged(hip_placed, monkeypatch):
    """Rock 0: the frame is bit for bit the one rendered before the contact shift (at that
    time's scatterer density), for the curvilinear hip probe (whose curved face's ends keep
    their contact layer) and the linear knee probe."""
    from conftest import REPO

    from simulator.loading import load_world

    monkeypatch.setattr(P, "SCATTERERS_PER_CELL", 7.0)
    clear_cache()   # the pose cache does not know the density
    try:
        world, state = hip_placed
        frame = render_ultrasound(world, _rocked(state, 0.0), seed=3)
        assert frame.geometry.base is None and not frame.geometry.line_shift_mm.any()
        assert _digest(frame) == FLAT_HIP
        world, state = _placed(load_world(REPO / "scenarios" / "knee_suprapatellar_us.yaml"))
        assert _digest(render_ultrasound(world, _rocked(state, 0.0), seed=3)) == FLAT_KNEE
    finally:
        clear_cache()


def test_pixel_and_world_mappings_follow_the_shift(hip_placed):
    """``pixel_of`` puts a world point where the rocked image shows it and ``world_of`` is
    its inverse; the label the image shows at a point's sample is the tissue there (below
    the contact layer, ``params.CONTACT_DEPTH_MM``, where a curved face's own sag is closed
    as for a flat probe and the mapping is approximate)."""
    world, state = hip_placed
    frame = render_ultrasound(world, _rocked(state, -17.5), detail="moving")
    g = frame.geometry
    lines = np.array([4.0, 30.0, 60.0, 128.0, 200.0])
    depths = np.array([35.0, 40.0, 45.0, 40.0, 60.0])
    probe_pts = g.points(lines, depths)                     # shifted: where the tissue is
    wfp = frame.world_from_probe
    world_pts = probe_pts @ wfp[:3, :3].T + wfp[:3, 3]
    px = frame.pixel_of(world_pts)
    screen = g.unshifted.points(lines, depths) @ wfp[:3, :3].T + wfp[:3, 3]
    plain = np.linalg.inv(frame.world_from_image)
    expected = (screen @ plain[:3, :3].T + plain[:3, 3])[:, :2]
    np.testing.assert_allclose(px, expected, atol=1e-6)
    np.testing.assert_allclose(frame.world_of(px[:, 0], px[:, 1]), world_pts, atol=1e-6)
    assert g.line_shift_mm[4] > 10.0      # the first point is well inside the lifted part
    labels = world.anatomy.volume_labels_at(world_pts)
    shown = frame.label[lines.astype(int), np.round(depths / g.dz_mm - 0.5).astype(int)]
    assert (labels == shown).sum() >= 4, (labels, shown)
    unshifted = world.anatomy.volume_labels_at(screen)     # the air gap deeper: elsewhere
    assert (unshifted != shown).sum() >= 2, (unshifted, shown)


def test_a_straight_needle_is_drawn_straight_with_its_tip_in_its_tissue(hip_placed):
    """A rigid shaft under the lifted end does not bend with the pushed-up tissue: its echoes
    lie on one straight line on screen, and its tip end is drawn at the depth its tissue has
    in the shifted geometry (not the air gap deeper)."""
    world, state = hip_placed
    probe = _rocked(state, -17.5).probe
    key = pose_key(probe)
    geom = rocked_geometry(scan_geometry(world.scenario.probe.preset, key[4], key[5], key[6]),
                           key[7])
    from simulator.probe import world_from_probe

    wfp = world_from_probe(world, probe)
    # a shaft in the image plane from near the lifted end down toward the middle
    entry_probe = geom.points(10.0, -2.0)
    tip_probe = geom.points(100.0, 45.0)
    direction = (tip_probe - entry_probe) / np.linalg.norm(tip_probe - entry_probe)
    length = float(np.linalg.norm(tip_probe - entry_probe))
    rf = np.zeros((geom.n_lines, geom.n_samples), np.complex64)
    add_needle(rf, geom, invert(wfp), wfp[:3, :3] @ entry_probe + wfp[:3, 3],
               wfp[:3, :3] @ direction, length, world.scenario.needle.gauge,
               np.zeros(geom.n_lines), np.ones((geom.n_lines, geom.n_samples), np.float32), 1.0)
    on_screen = []
    for t in np.linspace(0.15, 0.95, 9):
        line, depth = geom.line_coords((entry_probe + t * length * direction)[None])
        i = int(round(line[0]))
        assert geom.line_shift_mm[i] > 0.0
        peak_mm = geom.depth_mm[int(np.argmax(np.abs(rf[i])))]
        on_screen.append(geom.unshifted.points(float(i), peak_mm)[[0, 2]])
        if t > 0.9:  # the tip end lies in its own tissue
            assert abs(peak_mm - depth[0]) < 1.5, (t, i, peak_mm, depth[0])
    xz = np.array(on_screen)
    centred = xz - xz.mean(axis=0)
    off_line_mm = np.linalg.svd(centred, compute_uv=False)[1] / np.sqrt(len(xz))
    assert off_line_mm < 0.5, off_line_mm


def test_settling_on_the_skin_reads_only_the_real_crossings(hip_placed):
    """The crossing slots past each line's count are unset memory: a signalling NaN there
    (what CI once hit: "invalid value encountered in subtract") changes nothing and raises
    no floating-point warning, and every real crossing is shifted as without it."""
    import warnings

    from simulator.geometry import invert as inv
    from simulator.imaging.ultrasound import lines, slicing
    from simulator.imaging.ultrasound.render import _geometry, _world_from_probe

    world, state = hip_placed
    key = pose_key(_rocked(state, -17.5).probe)
    geom = _geometry(world.scenario.probe.preset, key)
    hits = slicing.slice_scene(slicing.mesh_arrays(world), inv(_world_from_probe(world, key)),
                               geom)
    unset = np.arange(hits.depth_mm.shape[2])[None, None, :] >= hits.count[:, :, None]
    assert unset.any()
    poisoned = hits.depth_mm.copy()
    poisoned[unset] = np.array([0x7FF0000000000001], np.uint64).view(np.float64)[0]  # sNaN
    clean_hits, clean_geom = lines.settle_on_skin(
        replace(hits, depth_mm=np.where(unset, 0.0, hits.depth_mm)), geom)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        settled, settled_geom = lines.settle_on_skin(replace(hits, depth_mm=poisoned), geom)
    assert (settled_geom.line_shift_mm > geom.line_shift_mm).any()   # some lines settled
    np.testing.assert_array_equal(settled_geom.line_shift_mm, clean_geom.line_shift_mm)
    np.testing.assert_array_equal(settled.depth_mm[~unset], clean_hits.depth_mm[~unset])


@pytest.mark.parametrize("rock_deg", [-30.0, -25.0])
def test_the_lifted_edge_of_a_hard_rocked_fan_is_clean(hip_placed, rock_deg):
    """Rocked hard, the outermost lines under the lifted end are off the skin: they form one
    dark wedge at the fan's edge (not a comb of lines in and out of contact), the first
    tissue deepens monotonically toward it, and the tissue pressed up against the face is
    shifted smoothly from line to line, so the anatomy at the edge is not sheared into a
    saw-tooth (measured 0.47-0.52 mm at most between neighbouring lines; before 1.4-1.7)."""
    world, state = hip_placed
    frame = render_ultrasound(world, _rocked(state, rock_deg), detail="moving")
    g = frame.geometry
    rocked = rocked_geometry(g.base, math.radians(rock_deg)).line_shift_mm
    outward = np.arange(g.n_lines)[::-1] if rocked[0] > rocked[-1] else np.arange(g.n_lines)
    lifted = outward[rocked[outward] > 0.0]             # from the middle out to the edge
    tissue = frame.label[lifted] > 0
    has = tissue.any(axis=1)
    # off the skin: one run at the very edge, or none
    assert not (has[1:] & ~has[:-1]).any(), np.flatnonzero(has[1:] & ~has[:-1])
    first_mm = g.depth_mm[np.argmax(tissue[has], axis=1)]
    assert (np.diff(first_mm) >= -g.dz_mm).all()        # the wedge deepens toward the edge
    settle_mm = (g.line_shift_mm - rocked)[lifted][has]
    assert settle_mm.max() > 3.0                         # the skin did curve away here
    assert np.abs(np.diff(settle_mm)).max() <= 0.75, np.abs(np.diff(settle_mm)).max()
