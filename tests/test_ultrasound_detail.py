"""The low-detail frame of a moving probe (``render_ultrasound(detail="moving")``) and the
live view's switch between it and full detail.

While the probe moves, the app shows frames whose scatterers come from a coarser world
lattice; everything else (anatomy, echoes, needle, PSF, display) is the full model. These
tests hold it to that: same anatomy and geometry, speckle still speckle at the same mean
level (no brightness jump when the probe stops), and the full-detail frame that follows is
exactly the frame a fresh renderer gives.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest
from us_phantoms import envelope_db, phantom_world, probe_on_top, state_with

from simulator.imaging.ultrasound import render as us_render
from simulator.imaging.ultrasound import render_ultrasound
from simulator.imaging.ultrasound.params import MOVING_LATTICE_STEPS
from simulator.imaging.ultrasound.speckle import lattice_spacing_mm

PROBE = {"frequency": 3.5, "depth": 90.0, "focus": 50.0}


@pytest.fixture(scope="module")
def muscle():
    return phantom_world("muscle", "curvilinear")


@pytest.fixture(scope="module")
def bone():
    return phantom_world("bone", "curvilinear")


def _depth_rows(frame, d_lo, d_hi, lines=(60, 196)):
    g = frame.geometry
    j0, j1 = np.searchsorted(g.depth_mm, [d_lo, d_hi])
    return frame.envelope[lines[0]:lines[1], j0:j1].astype(float)


def test_moving_frame_has_the_same_anatomy_and_geometry(bone):
    s = state_with(probe_on_top(**PROBE))
    full = render_ultrasound(bone, s)
    fast = render_ultrasound(bone, s, detail="moving")
    assert full.detail == "full" and fast.detail == "moving"
    assert np.array_equal(full.label, fast.label)
    assert np.array_equal(full.world_from_image, fast.world_from_image)
    assert full.image.shape == fast.image.shape
    # fewer scatterers to visit: a lattice with < 40 % of the points...
    g = full.geometry
    assert (lattice_spacing_mm(g, MOVING_LATTICE_STEPS) / lattice_spacing_mm(g)) ** 3 > 2.5
    # ...so a different speckle pattern, but the bone line and its shadow are where they were
    assert not np.array_equal(full.envelope, fast.envelope)
    coarse = [envelope_db(f.envelope.reshape(64, 4, 64, 8).mean((1, 3))) for f in (full, fast)]
    assert np.corrcoef(coarse[0].ravel(), coarse[1].ravel())[0, 1] > 0.9


def test_moving_speckle_keeps_its_level_and_statistics(muscle):
    s = state_with(probe_on_top(**PROBE))
    full = render_ultrasound(muscle, s)
    fast = render_ultrasound(muscle, s, detail="moving")
    for lo, hi in ((15.0, 30.0), (40.0, 55.0), (60.0, 75.0)):
        a, b = _depth_rows(full, lo, hi), _depth_rows(fast, lo, hi)
        # same mean brightness (within 1 dB): no jump when the probe stops and refines
        assert abs(envelope_db(b.mean()) - envelope_db(a.mean())) < 1.0, (lo, hi)
        norm = b / b.mean(0, keepdims=True)
        snr = norm.mean() / norm.std()
        assert 1.5 <= snr <= 2.2, (lo, hi, snr)  # still speckle, not texture-free or spiky


def test_full_frame_after_moving_frames_is_the_fresh_full_frame(muscle):
    probe = probe_on_top(**PROBE)
    states = [state_with(replace(probe, contact_mm=(0.0, 0.0, 2.0 * k)), tick=k)
              for k in range(4)]
    for s in states:
        render_ultrasound(muscle, s, detail="moving")
    rest = render_ultrasound(muscle, states[-1])
    us_render.clear_cache()
    fresh = render_ultrasound(muscle, states[-1])
    assert np.array_equal(rest.image, fresh.image)
    assert np.array_equal(rest.envelope, fresh.envelope)


def test_unknown_detail_is_refused(muscle):
    with pytest.raises(ValueError, match="detail"):
        render_ultrasound(muscle, state_with(probe_on_top(**PROBE)), detail="draft")


def _settle(view, test, timeout=60.0):
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        view.collect()
        if test():
            return
        time.sleep(0.005)
    raise AssertionError("the imaging view did not get there in time")


def test_live_view_moves_at_low_detail_and_refines_at_rest(muscle):
    """The app's imaging worker: a pose change is drawn at low detail, and the pose it
    rests at is drawn again at full detail (the same image the renderer gives)."""
    from simulator.app.loop import headless_env

    headless_env()
    from simulator.app.imaging import ImagingView

    view = ImagingView(muscle, 0, (640, 480))
    try:
        probe = probe_on_top(**PROBE)
        first = state_with(probe, tick=1)
        view.submit(first)
        _settle(view, lambda: "ultrasound" in view.frames)
        assert view.frames["ultrasound"].detail == "full"
        moved = state_with(replace(probe, contact_mm=(0.0, 0.0, 3.0)), tick=2)

        def rested():
            view.submit(moved)
            f = view.frames["ultrasound"]
            return f.tick == 2 and f.detail == "full"

        _settle(view, rested)
        assert len(view.detail_times["moving"]) == 1  # the one pose change
        shown = view.frames["ultrasound"]
        expect = render_ultrasound(muscle, moved, tick=2, image_shape=view.us_shape)
        assert np.array_equal(shown.image, expect.image)
    finally:
        view.close()


def test_a_pose_first_seen_with_fluid_gives_the_same_frame(muscle):
    """A new pose with injected fluid in view is walked once, with the fluid; a pose seen
    before re-walks only the lines under the fluid. Both give the same frame."""
    from simulator.state import Deposit

    probe = probe_on_top(**PROBE)
    plain = state_with(probe, tick=1)
    bolus = Deposit(0, "extra_articular", 1, (0.0, -30.0, 0.0), 2.0, 0, 10.0)
    wet = replace(plain, deposits=(bolus,))
    us_render.clear_cache()
    dry = render_ultrasound(muscle, plain)
    seen = render_ultrasound(muscle, wet)        # pose known: fluid lines re-walked
    us_render.clear_cache()
    fresh = render_ultrasound(muscle, wet)       # new pose: one walk with the fluid
    assert not np.array_equal(dry.envelope, seen.envelope)  # the fluid is in the image
    assert np.array_equal(seen.envelope, fresh.envelope)
