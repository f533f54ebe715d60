"""render_fluoro as a view of the state: display convention, collimation, noise, memo, files."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from fluoro_phantoms import block_world

from simulator.imaging.fluoro import render_fluoro
from simulator.imaging.fluoro.render import clear_cache
from simulator.state import Needle
from simulator.step import initial_state


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return block_world(tmp_path_factory)


def bone_and_tissue_pixels(frame, world):
    """A pixel over the bone cylinder (runs along x at y=-15, z=0) and one well clear of it."""
    pr = frame.projection
    bone = pr.project([[20.0, -15.0, 0.0]])[0].round().astype(int)
    tissue = pr.project([[20.0, -15.0, 40.0]])[0].round().astype(int)
    return (bone[1], bone[0]), (tissue[1], tissue[0])


def test_dense_is_dark_and_invert(world):
    s = initial_state(world)
    frame = render_fluoro(world, s, seed=3)
    assert frame.image.dtype == np.uint8 and frame.image.shape == (512, 512)
    bone, tissue = bone_and_tissue_pixels(frame, world)
    assert frame.line_integrals[bone] > frame.line_integrals[tissue] + 0.2
    # average a 5x5 patch against noise
    def patch(img, p):
        return img[p[0] - 2:p[0] + 3, p[1] - 2:p[1] + 3].astype(float).mean()

    assert patch(frame.image, bone) < patch(frame.image, tissue) - 20
    inverted = render_fluoro(world, s, seed=3, invert=True)
    assert patch(inverted.image, bone) > patch(inverted.image, tissue) + 20
    exposed = frame.exposed
    assert np.array_equal(inverted.image[exposed].astype(int), 255 - frame.image[exposed])


def test_collimation_blacks_out_the_unexposed_area(world):
    s = initial_state(world)
    s = replace(s, carm=replace(s.carm, field_mm=120.0))
    frame = render_fluoro(world, s)
    pr = frame.projection
    half = 120.0 / 2 / pr.pixel_mm
    c = (pr.size - 1) / 2
    r = np.abs(np.arange(pr.size) - c)
    expected = (r[:, None] <= half) & (r[None, :] <= half)
    assert np.array_equal(frame.exposed, expected)
    assert frame.image[~frame.exposed].max() == 0
    assert frame.image[frame.exposed].mean() > 50


def test_low_dose_mode_renders_256(world):
    s = initial_state(world)
    frame = render_fluoro(world, replace(s, carm=replace(s.carm, low_dose=True)))
    assert frame.image.shape == (256, 256)
    assert frame.projection.pixel_mm == pytest.approx(300.0 / 256)


def test_noise_from_seed_and_tick_and_scaled_by_dose(world):
    s = initial_state(world)
    a = render_fluoro(world, s, seed=1, tick=10)
    b = render_fluoro(world, s, seed=1, tick=10)
    c = render_fluoro(world, s, seed=1, tick=11)
    assert np.array_equal(a.image, b.image)
    assert not np.array_equal(a.image, c.image)
    assert np.array_equal(a.line_integrals, c.line_integrals)  # noise-free quantity
    # frame-to-frame differences of a soft-tissue patch (anatomy cancels): a spot image
    # (10 pulses) is ~sqrt(10) less noisy than one fluoroscopy pulse
    noise = {}
    for kind in ("pulse", "spot"):
        f5 = render_fluoro(world, s, exposure=kind, tick=5)
        f6 = render_fluoro(world, s, exposure=kind, tick=6)
        _, tissue = bone_and_tissue_pixels(f5, world)
        sl = np.s_[tissue[0] - 20:tissue[0] + 20, tissue[1] - 20:tissue[1] + 20]
        noise[kind] = (f5.image[sl].astype(float) - f6.image[sl]).std() / np.sqrt(2)
        noise[kind + "_quanta"] = f5.quanta_per_pixel
    assert noise["spot_quanta"] == pytest.approx(10 * noise["pulse_quanta"])
    assert noise["pulse"] / noise["spot"] == pytest.approx(np.sqrt(10), rel=0.25)


def test_memoised_anatomy_gives_the_same_frame(world):
    s = initial_state(world)
    clear_cache()
    cold = render_fluoro(world, s, seed=2)
    warm = render_fluoro(world, s, seed=2)
    assert np.array_equal(cold.image, warm.image)
    assert np.array_equal(cold.line_integrals, warm.line_integrals)


def test_shot_at_a_prepared_pose_does_not_redo_the_anatomy(world, monkeypatch):
    """The live view prepares a resting C-arm's view between shots; a shot there (or a repeat
    shot, or one with the needle moved) then projects no anatomy triangles at all, and gives
    the frame a cold renderer gives. A new pose does rasterise."""
    from simulator.imaging.fluoro import render as fluoro_render

    s = initial_state(world)
    n = Needle(entry_mm=(-20.0, 40.0, 10.0), direction=(0.6, -0.8, 0.0), depth_mm=30.0,
               in_skin=True)
    clear_cache()
    cold = render_fluoro(world, replace(s, needle=n), seed=1, tick=5)
    clear_cache()
    calls = []
    real = fluoro_render.path_lengths
    monkeypatch.setattr(fluoro_render, "path_lengths", lambda *a, **k: calls.append(1) or
                        real(*a, **k))
    fluoro_render.prepare(world, s)
    assert len(calls) == 1
    shot = render_fluoro(world, replace(s, needle=n), seed=1, tick=5)
    again = render_fluoro(world, replace(s, needle=replace(n, depth_mm=31.0)), seed=1, tick=6)
    assert len(calls) == 1  # both shots reused the prepared anatomy
    assert np.array_equal(shot.image, cold.image)
    assert np.array_equal(shot.line_integrals, cold.line_integrals)
    assert not np.array_equal(again.line_integrals, shot.line_integrals)
    moved = replace(s, carm=replace(s.carm, orbital_rad=s.carm.orbital_rad + 0.05))
    render_fluoro(world, moved)
    assert len(calls) == 2


def test_live_view_prepares_the_resting_c_arm_before_the_shot(world, monkeypatch):
    """The app's imaging worker prepares the view of a C-arm that rests, so the shot that
    follows is rendered without projecting the anatomy."""
    import time

    from simulator.app.loop import headless_env
    from simulator.imaging.fluoro import render as fluoro_render

    headless_env()
    from simulator.app.imaging import ImagingView

    clear_cache()
    calls = []
    real = fluoro_render.path_lengths
    monkeypatch.setattr(fluoro_render, "path_lengths", lambda *a, **k: calls.append(1) or
                        real(*a, **k))
    s = initial_state(world)
    view = ImagingView(world, 0, (512, 512))
    try:
        end = time.perf_counter() + 60.0
        while view.prepared == 0 and time.perf_counter() < end:
            view.submit(s)
            time.sleep(0.01)
        assert view.prepared >= 1 and len(calls) == 1
        shot = replace(s, tick=3, dose=replace(s.dose, last_frame_tick=3))
        view.submit(shot)
        while "fluoroscopy" not in view.frames and time.perf_counter() < end:
            view.collect()
            time.sleep(0.005)
        assert view.frames["fluoroscopy"].tick == 3
        assert len(calls) == 1  # the shot reused the prepared anatomy
    finally:
        view.close()


@pytest.mark.parametrize("method", ["linear", "sweep"])
def test_image_does_not_depend_on_how_rows_are_banded(world, monkeypatch, method):
    """The rasteriser's bands only split the work between threads: every pixel sums its
    triangles in face order whatever the band height, so the frame is bit-identical."""
    from simulator.imaging.fluoro import raster
    from simulator.imaging.fluoro.render import projection_for
    from simulator.imaging.fluoro.scene import MeshScene

    s = replace(initial_state(world), needle=Needle(entry_mm=(60.0, 40.0, 10.0),
                                                    direction=(-0.6, -0.8, 0.0),
                                                    depth_mm=50.0, in_skin=True))
    scene = MeshScene.from_anatomy(world.anatomy)
    pr = projection_for(world, s.carm, 512)
    lengths = {}
    for rows in (1, 8, raster.BAND_ROWS, 512):
        monkeypatch.setattr(raster, "BAND_ROWS", rows)
        lengths[rows] = raster.path_lengths(scene.vertices, *scene.pass_arrays(method),
                                            scene.rank, scene.chan, scene.n_channels, pr,
                                            method)
        clear_cache()
        lengths[rows, "image"] = render_fluoro(world, s, seed=1).image
    assert lengths[1].max() > 10.0   # the phantom's bone and tissue are in the picture
    for rows in (8, raster.BAND_ROWS, 512):
        assert np.array_equal(lengths[rows], lengths[1])
        assert np.array_equal(lengths[rows, "image"], lengths[1, "image"])


def test_needle_and_stylet_on_the_image(world):
    """A needle across the beam darkens a thin line; its stylet comes out after aspiration."""
    s = initial_state(world)
    entry = (-20.0, 40.0, 10.0)
    n = Needle(entry_mm=entry, direction=(0.6, -0.8, 0.0), depth_mm=30.0, in_skin=True)
    with_needle = render_fluoro(world, replace(s, needle=n))
    added = with_needle.line_integrals - render_fluoro(world, s).line_integrals
    assert added.max() > 0.3  # 22 G side-on, pixel-averaged at 512^2
    assert added.min() >= 0.0
    hollow = render_fluoro(world, replace(s, needle=n, steps_done=("aspiration",)))
    hollow_added = hollow.line_integrals - render_fluoro(world, s).line_integrals
    assert 0.0 < hollow_added.max() < added.max()


def test_snapshot_files(world, tmp_path):
    from simulator.imaging.fluoro.snapshot import write_snapshot

    s = initial_state(world)
    paths = write_snapshot(world, s, tmp_path, raw=True, seed=0)
    assert sorted(p.name for p in paths) == ["fluoro.json", "fluoro.png",
                                             "fluoro_line_integrals.npy"]
    doc = json.loads((tmp_path / "fluoro.json").read_text())
    p = np.asarray(doc["projection"]["pixel_from_world"])
    assert p.shape == (3, 4)
    iso = np.r_[s.carm.isocentre_mm, 1.0]
    h = p @ iso
    assert np.allclose(h[:2] / h[2], (doc["projection"]["size_px"] - 1) / 2)
    assert doc["projection"]["source_to_detector_mm"] == 1000.0
    li = np.load(tmp_path / "fluoro_line_integrals.npy")
    assert li.dtype == np.float32 and li.shape == (512, 512) and li.min() >= 0.0
    from PIL import Image

    assert np.asarray(Image.open(tmp_path / "fluoro.png")).shape == (512, 512)


def test_import_stays_light():
    code = ("import sys, simulator.imaging.fluoro, simulator.imaging.fluoro.snapshot, "
            "simulator.bench.fluoro; bad = [m for m in ('vtk', 'pyvista', 'pygame') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    subprocess.run([sys.executable, "-c", code], check=True)
