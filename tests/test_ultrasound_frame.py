"""The frame contract: image size, purity and determinism, geometry (a known point lands on
the right pixel), snapshot files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from us_phantoms import phantom_world, probe_on_top, state_with

from simulator.imaging.ultrasound import render_ultrasound
from simulator.probe import world_from_probe

BALL_CENTRE = np.array([4.0, -32.0, 6.0])
BALL_RADIUS = 3.0


@pytest.mark.parametrize("preset,freq", [("linear", 7.5), ("curvilinear", 3.5)])
@pytest.mark.parametrize("rotation_deg", [0.0, 35.0])
def test_known_point_appears_at_its_pixel(preset, freq, rotation_deg):
    """The top of a small bone ball, seen straight down the beam, is the brightest point
    of its neighbourhood and its pixel maps back (``world_from_image``) within 0.5 mm."""
    world = phantom_world("ball", preset)
    probe = probe_on_top(rotation=math.radians(rotation_deg), frequency=freq, depth=50.0,
                         focus=30.0)
    # slide the probe along its elevation axis so the image plane holds the ball centre
    wfp = world_from_probe(world, probe)
    offset = float((BALL_CENTRE - wfp[:3, 3]) @ wfp[:3, 1])
    contact = np.asarray(probe.contact_mm) + offset * wfp[:3, 1]
    probe = probe_on_top(x=contact[0], z=contact[2], rotation=math.radians(rotation_deg),
                         frequency=freq, depth=50.0, focus=30.0)
    frame = render_ultrasound(world, state_with(probe))
    wfp = frame.world_from_probe
    # the surface point the beam meets first: towards the apex (curved) or straight up
    c_probe = np.linalg.inv(wfp)[:3, :3] @ BALL_CENTRE + np.linalg.inv(wfp)[:3, 3]
    apex = np.array([0.0, 0.0, -frame.geometry.radius_mm])
    up = (apex - c_probe) if frame.geometry.curved else np.array([0.0, 0.0, -1.0])
    top_probe = c_probe + BALL_RADIUS * up / np.linalg.norm(up)
    top = wfp[:3, :3] @ top_probe + wfp[:3, 3]
    col, row = frame.pixel_of(top)[0]
    r0, c0 = int(round(row)), int(round(col))
    box = frame.image[r0 - 12:r0 + 13, c0 - 12:c0 + 13].astype(float)
    # depth: the brightest row of the column through the point
    rr = r0 - 12 + int(np.argmax(box[:, 12]))
    # lateral: centre of the bright cap on that row (a sphere's top is flat over the beam)
    line = frame.image[rr, c0 - 12:c0 + 13].astype(float)
    w = np.clip(line - (line.max() - 30.0), 0.0, None)
    cc = c0 - 12 + float((w * np.arange(25)).sum() / w.sum())
    found = frame.world_of(cc, rr)[0]
    assert np.linalg.norm(found - top) <= 0.5, (found, top)
    assert box.max() - np.median(box) >= 60.0  # bone: far brighter than the muscle around


def test_frame_contract_and_purity():
    world = phantom_world("fluid", "curvilinear")
    probe = probe_on_top(frequency=3.5, depth=80.0, focus=40.0)
    state = state_with(probe, tick=7)
    before = repr(state)
    rng_state = np.random.get_state()
    a = render_ultrasound(world, state, seed=3)
    assert repr(state) == before
    assert np.array_equal(np.random.get_state()[1], rng_state[1])
    assert a.image.dtype == np.uint8 and min(a.image.shape) >= 512
    assert a.envelope.shape == (256, 512) and a.envelope.dtype == np.float32
    assert a.tick == 7 and a.seed == 3
    assert not a.image.flags.writeable or a.image.base is None
    b = render_ultrasound(world, state, seed=3)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.envelope, b.envelope)
    c = render_ultrasound(world, state, seed=4)  # another seed: other speckle
    assert not np.array_equal(a.envelope, c.envelope)
    # the sector is black outside the fan and grey inside
    assert a.image[0, 0] == 0 and a.image[a.image.shape[0] // 2, a.image.shape[1] // 2] > 0


def test_settings_change_the_image_as_on_a_scanner():
    world = phantom_world("muscle", "curvilinear")
    base = render_ultrasound(world, state_with(probe_on_top(frequency=3.5, depth=80.0)))
    brighter = render_ultrasound(world, state_with(probe_on_top(frequency=3.5, depth=80.0,
                                                                gain=6.0)))
    inside = base.image > 0
    assert brighter.image[inside].mean() > base.image[inside].mean() + 10
    deeper = render_ultrasound(world, state_with(probe_on_top(frequency=3.5, depth=120.0)))
    assert deeper.pixel_mm > base.pixel_mm
    high = render_ultrasound(world, state_with(probe_on_top(frequency=5.5, depth=80.0)))
    assert high.geometry.axial_fwhm_mm < base.geometry.axial_fwhm_mm


def test_snapshot_writes_png_envelope_and_geometry(tmp_path):
    from PIL import Image

    from simulator.imaging.ultrasound.snapshot import write_snapshot
    from simulator.step import initial_state

    world = phantom_world("fluid", "linear")
    state = initial_state(world)
    paths = write_snapshot(world, state, tmp_path, raw=True, seed=1)
    assert [p.name for p in paths] == ["ultrasound.png", "ultrasound_envelope.npy",
                                       "ultrasound.json"]
    image = np.asarray(Image.open(paths[0]))
    env = np.load(paths[1])
    meta = json.loads(paths[2].read_text())
    frame = render_ultrasound(world, state, seed=1)
    assert np.array_equal(image, frame.image) and np.array_equal(env, frame.envelope)
    assert meta["image"]["rows"] == image.shape[0] and meta["image"]["cols"] == image.shape[1]
    assert np.allclose(meta["image"]["world_from_image"], frame.world_from_image, atol=1e-5)
    assert meta["image"]["pixel_spacing_mm"] == pytest.approx(frame.pixel_mm)
    assert meta["probe"]["frequency_mhz"] == state.probe.frequency_mhz
    only_png = write_snapshot(world, state, tmp_path / "png", raw=False, seed=1)
    assert [p.name for p in only_png] == ["ultrasound.png"]
