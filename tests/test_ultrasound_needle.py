"""The needle in the image (ultrasound.md R9-R11): specular angle dependence, tip echo,
comet tail and elevational slice thickness. Linear probe, 7.5 MHz, focus 25 mm."""

from __future__ import annotations

import math

import numpy as np
from us_phantoms import (
    envelope_db,
    image_axes,
    phantom_world,
    probe_on_top,
    state_with,
    to_line_sample,
)

from simulator.imaging.ultrasound import render_ultrasound
from simulator.imaging.ultrasound.needle import specular_cutoff_rad
from simulator.imaging.ultrasound.params import C0_MM_US, LUMEN_SPEED_M_S
from simulator.needle_gauge import inner_diameter_mm, outer_diameter_mm
from simulator.state import Needle

PROBE = probe_on_top(frequency=7.5, depth=50.0, focus=25.0)
PIVOT_DEPTH = 25.0


def _needle(angle_deg, *, elevation=0.0, past_pivot=10.0, length=45.0):
    """In-plane needle descending left to right at ``angle_deg`` to the face, through the
    pivot (image centre, 25 mm deep), its tip ``past_pivot`` mm beyond it."""
    lat, elev, dep = image_axes()
    a = math.radians(angle_deg)
    d = math.cos(a) * lat + math.sin(a) * dep
    tip = PIVOT_DEPTH * dep + elevation * elev + past_pivot * d
    return Needle(entry_mm=tuple(tip - length * d), direction=tuple(d), depth_mm=length,
                  in_skin=True)


def _shaft(frame, needle, reference, around=2.0, window=3):
    """Shaft brightness near the pivot (dB): over shaft points within ``around`` mm of it,
    the mean of the RMS envelope in a +-``window``-sample box (which does not depend on
    where the echo falls between samples), each divided by ``reference`` at that depth."""
    e = np.asarray(needle.entry_mm)
    d = np.asarray(needle.direction)
    t_pivot = needle.depth_mm - 10.0
    ts = np.linspace(t_pivot - around, t_pivot + around, 21)
    ii, jj = to_line_sample(frame, e + ts[:, None] * d)
    env = frame.envelope.astype(float)
    vals = [np.sqrt((env[i, j - window:j + window + 1] ** 2).mean()) / reference[j]
            for i, j in zip(ii, jj, strict=True)]
    return float(envelope_db(np.mean(vals)))


def _vertex(col, j):
    """Sub-sample position of the peak at ``j`` (parabola through three samples)."""
    a, b, c = col[j - 1], col[j], col[j + 1]
    den = a - 2.0 * b + c
    return j + (0.5 * (a - c) / den if den != 0.0 else 0.0)


def _frames(world_name, needles):
    world = phantom_world(world_name, "linear")
    return [render_ultrasound(world, state_with(PROBE, n)) for n in needles]


def test_shaft_brightness_falls_with_insertion_angle():
    """R9: monotone fall 0-60 deg (5 deg steps, water bath: no speckle), >= 10 dB lower at
    twice the specular cut-off than at 0 deg."""
    angles = list(range(0, 65, 5))
    phi_c = math.degrees(float(specular_cutoff_rad(_geometry(), PIVOT_DEPTH)))
    angles_all = angles + [2.0 * phi_c]
    frames = _frames("bath", [_needle(a) for a in angles_all])
    one = np.ones(frames[0].envelope.shape[1])
    levels = [_shaft(f, _needle(a), one) for f, a in zip(frames, angles_all, strict=True)]
    steps = np.diff(levels[:len(angles)])
    assert np.all(steps <= 0.05), list(zip(angles, np.round(levels, 1), strict=False))
    assert levels[0] - levels[-1] >= 10.0, (phi_c, levels[0], levels[-1])


def _geometry():
    return render_ultrasound(phantom_world("muscle", "linear"), state_with(PROBE)).geometry


def test_shaft_and_tip_stand_out_of_speckle():
    """R9: in muscle the shaft at 0 deg is >= 20 dB above the speckle at its depth, and the
    tip stays >= 6 dB above it at every angle (bevel scatter does not need a mirror)."""
    world = phantom_world("muscle", "linear")
    empty = render_ultrasound(world, state_with(PROBE))
    bg = empty.envelope.mean(0)
    flat = render_ultrasound(world, state_with(PROBE, _needle(0.0)))
    assert _shaft(flat, _needle(0.0), bg) >= 20.0
    for angle in (0, 20, 40, 60):
        n = _needle(angle)
        f = render_ultrasound(world, state_with(PROBE, n))
        (i,), (j,) = to_line_sample(f, n.tip_mm)
        tip = f.envelope[i - 1:i + 2, j - 2:j + 3].max()
        same_box = empty.envelope[i - 1:i + 2, j - 2:j + 3].max()
        assert envelope_db(tip) - envelope_db(same_box) >= 6.0, angle


def test_comet_tail_below_a_flat_shaft():
    """R10: at 0 deg, >= 2 reverberation echoes below the shaft, spaced ID * c0 / c_lumen
    (+- 1 display pixel) with decreasing amplitude; at 40 deg they are gone with the shaft."""
    flat, steep = _frames("bath", [_needle(0.0), _needle(40.0)])
    g = flat.geometry
    (i,), (j,) = to_line_sample(flat, np.asarray(_needle(0.0).tip_mm) - 10.0 * np.asarray(
        _needle(0.0).direction))
    col = flat.envelope[i].astype(float)
    j0 = j - 3 + int(np.argmax(col[j - 3:j + 4]))
    spacing = inner_diameter_mm(22) * C0_MM_US * 1000.0 / LUMEN_SPEED_M_S
    z0 = _vertex(col, j0)
    peaks = []
    for k in (1, 2, 3):
        expect = int(round(z0 + k * spacing / g.dz_mm))
        jk = expect - 2 + int(np.argmax(col[expect - 2:expect + 3]))
        assert col[jk] >= col[jk - 1] and col[jk] >= col[jk + 1]  # a peak, not a flank
        gap_mm = (_vertex(col, jk) - z0) * g.dz_mm
        assert abs(gap_mm - k * spacing) <= flat.pixel_mm, (k, gap_mm, k * spacing)
        peaks.append(col[jk])
    assert col[j0] > peaks[0] > peaks[1] > peaks[2]
    # steep: the mirror echo and its tail have gone (>= 20 dB weaker than flat). A line
    # crosses a 40 deg shaft over OD / cos(40 deg), so the tail starts below its far wall.
    n = _needle(40.0)
    (i2,), (j2,) = to_line_sample(steep, np.asarray(n.tip_mm) - 10.0 * np.asarray(n.direction))
    far_wall_mm = 0.5 * outer_diameter_mm(22) / math.cos(math.radians(40.0))
    start = j2 + int(math.ceil(far_wall_mm / g.dz_mm)) + 3
    tail = steep.envelope[i2, start:start + 12].max()
    assert envelope_db(tail) - envelope_db(peaks[0]) <= -20.0


def test_needle_fades_as_it_leaves_the_slice():
    """R11: with the needle moved off the image plane by y (in slice thicknesses at its
    depth) the shaft keeps >= 50 % (-6 dB) of its echo at y = 1/4, is still clearly seen
    (>= 10 dB over speckle) at 1/2, and at one thickness is no brighter than speckle."""
    world = phantom_world("muscle", "linear")
    empty = render_ultrasound(world, state_with(PROBE))
    g = empty.geometry
    bg = empty.envelope.mean(0)
    thickness = float(np.interp(PIVOT_DEPTH, g.depth_mm, g.elevation_fwhm_mm))
    level = {}
    for frac in (0.0, 0.25, 0.5, 1.0):
        n = _needle(0.0, elevation=frac * thickness)
        level[frac] = _shaft(render_ultrasound(world, state_with(PROBE, n)), n, bg)
    floor = _shaft(empty, _needle(0.0), bg)  # the same statistic on speckle alone
    assert level[0.25] >= level[0.0] - 6.0, level
    assert level[0.5] >= floor + 10.0, (level, floor)
    assert level[1.0] <= floor + 3.0, (level, floor)
