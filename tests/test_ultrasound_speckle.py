"""Speckle realism (ultrasound.md R1-R4) and world anchoring, on a homogeneous muscle block.

Statistics are measured on the linear envelope (scanlines x samples, before log compression);
each depth row is divided by its mean to remove the depth trend (R1 protocol).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from us_phantoms import envelope_db, phantom_world, probe_on_top, state_with

from simulator.imaging.ultrasound import render_ultrasound
from simulator.imaging.ultrasound.params import BASELINE_TGC_DB_CM_MHZ
from simulator.tissues import TISSUES

MUSCLE_ALPHA = TISSUES["muscle"].acoustic.attenuation_db_cm_mhz
CASES = {  # preset: (frequency MHz, depth mm, focus mm)
    "linear": (7.5, 50.0, 25.0),
    "curvilinear": (3.5, 90.0, 50.0),
}


def _frame(preset, **kw):
    freq, depth, focus = CASES[preset]
    args = {"frequency": freq, "depth": depth, "focus": focus} | kw
    return render_ultrasound(phantom_world("muscle", preset), state_with(probe_on_top(**args)))


def _roi(frame, d_lo, d_hi, lines=(60, 196)):
    g = frame.geometry
    j0, j1 = np.searchsorted(g.depth_mm, [d_lo, d_hi])
    return frame.envelope[lines[0]:lines[1], j0:j1].astype(float)


def _rois(preset):
    depth = CASES[preset][1]
    return [(0.15 * depth, 0.35 * depth), (0.4 * depth, 0.6 * depth), (0.65 * depth, 0.85 * depth)]


@pytest.mark.parametrize("preset", sorted(CASES))
def test_fully_developed_speckle_is_rayleigh(preset):
    """R1: envelope SNR 1.75-2.05 (Rayleigh 1.913); R2: log-std 5.57 +- 0.5 dB."""
    frame = _frame(preset)
    for lo, hi in _rois(preset):
        roi = _roi(frame, lo, hi)
        norm = roi / roi.mean(0, keepdims=True)
        snr = norm.mean() / norm.std()
        log_std = float(envelope_db(roi).std(0).mean())
        assert 1.75 <= snr <= 2.05, (preset, lo, hi, snr)
        assert abs(log_std - 5.57) <= 0.5, (preset, lo, hi, log_std)


def _autocov_fwhm(roi, axis):
    """FWHM (bins) of the normalised autocovariance of ``roi`` along ``axis``."""
    x = roi / roi.mean(0, keepdims=True) - 1.0
    x = x - x.mean()
    var = (x * x).mean()
    c = [1.0]
    for lag in range(1, 12):
        a = np.take(x, range(lag, x.shape[axis]), axis=axis)
        b = np.take(x, range(0, x.shape[axis] - lag), axis=axis)
        c.append(float((a * b).mean() / var))
    return 2.0 * _half_crossing(np.array(c))


def _half_crossing(profile):
    """Distance from index 0 where a decreasing profile (peak 1 at 0) crosses 0.5."""
    k = int(np.argmax(profile < 0.5))
    return k - 1 + (profile[k - 1] - 0.5) / (profile[k - 1] - profile[k])


def _point_psf(preset, depth_mm):
    """-6 dB widths (samples, lines) of a point target at ``depth_mm`` (centred on a sample):
    a needle crossing the image plane along the elevation axis (a short-axis dot) in
    anechoic water. Laterally it is placed at four offsets between two lines and the widths
    are RMS-averaged, as for scatterers that fall anywhere between lines."""
    from simulator.probe import world_from_probe
    from simulator.state import Needle

    freq, depth, focus = CASES[preset]
    world = phantom_world("bath", preset)
    probe = probe_on_top(frequency=freq, depth=depth, focus=focus)
    g = render_ultrasound(world, state_with(probe)).geometry
    j = int(np.searchsorted(g.depth_mm, depth_mm))
    wfp = world_from_probe(world, probe)
    elevation = wfp[:3, 1]
    ax, lat = [], []
    for offset in (0.0, 0.25, 0.5, 0.75):
        tip = wfp[:3, :3] @ g.points(g.n_lines // 2 + offset, g.depth_mm[j]) + wfp[:3, 3]
        needle = Needle(entry_mm=tuple(tip - 30 * elevation), direction=tuple(elevation),
                        depth_mm=30.0, in_skin=True)
        env = render_ultrasound(world, state_with(probe, needle)).envelope.astype(float)
        i, jj = np.unravel_index(np.argmax(env), env.shape)
        ax.append(_fwhm(env[i, :], jj))
        lat.append(_fwhm(env[:, jj], i))
    return math.sqrt(np.mean(np.square(ax))), math.sqrt(np.mean(np.square(lat))), g.depth_mm[j]


def _fwhm(profile, peak):
    """-6 dB width (bins) of a single peak, interpolating both flanks."""
    p = profile / profile[peak]
    return _half_crossing(p[peak:]) + _half_crossing(p[peak::-1])


@pytest.mark.parametrize("preset", sorted(CASES))
def test_speckle_grain_matches_point_spread_function(preset):
    """R3: speckle autocovariance FWHM within 0.7-1.3 of the point-target FWHM, axially and
    laterally; laterally the grain is coarser at twice the focal depth than at the focus."""
    freq, depth, focus = CASES[preset]
    frame = _frame(preset)
    psf_ax, psf_lat, at = _point_psf(preset, focus)
    assert abs(at - focus) < 1.0
    roi = _roi(frame, focus - 2.5, focus + 2.5)
    grain_ax = _autocov_fwhm(roi, axis=1)
    grain_lat = _autocov_fwhm(roi, axis=0)
    assert 0.7 <= grain_ax / psf_ax <= 1.3, (grain_ax, psf_ax)
    assert 0.7 <= grain_lat / psf_lat <= 1.3, (grain_lat, psf_lat)
    g = frame.geometry
    deep = _roi(frame, min(2 * focus, depth) - 7.5, min(2 * focus, depth) - 2.5)
    # compare in millimetres: line spacing grows with depth on a curved array
    j_f, j_d = np.searchsorted(g.depth_mm, [focus, min(2 * focus, depth) - 5.0])
    mm_f = grain_lat * g.line_spacing_mm[j_f]
    mm_d = _autocov_fwhm(deep, axis=0) * g.line_spacing_mm[j_d]
    assert mm_d > 1.15 * mm_f, (mm_d, mm_f)


@pytest.mark.parametrize("preset", sorted(CASES))
def test_depth_slope_is_two_way_attenuation(preset):
    """R4: without TGC the mean log envelope falls by 2 alpha f0 dB/cm (+-10 %)."""
    freq, depth, focus = CASES[preset]
    frame = _frame(preset)
    g = frame.geometry
    sel = (g.depth_mm > 0.12 * depth) & (g.depth_mm < 0.95 * depth)
    mean_db = envelope_db(frame.envelope[20:236]).mean(0)
    slope = np.polyfit(g.depth_mm[sel] / 10.0, mean_db[sel], 1)[0]
    expected = -2.0 * MUSCLE_ALPHA * freq
    assert abs(slope - expected) <= 0.1 * abs(expected), (slope, expected)



def test_tgc_set_to_the_attenuation_flattens_the_image():
    """R4 with TGC: bands set so gain + TGC = 2 alpha f0 z give a flat display (<= 0.5
    dB/cm), measured on the grey levels (60 dB dynamic range) with < 1 % clipped."""
    freq, depth, focus = CASES["curvilinear"]
    centres = (np.arange(8) + 0.5) / 8 * depth
    tgc = (2.0 * MUSCLE_ALPHA - BASELINE_TGC_DB_CM_MHZ) * freq * centres / 10.0
    assert np.abs(tgc).max() <= 20.0  # within the scanner's slider range
    frame = _frame("curvilinear", tgc=tuple(tgc), gain=0.0)
    g = frame.geometry
    grey = frame.grey[60:196].astype(float)
    assert (grey <= 0).mean() < 0.01 and (grey >= 255).mean() < 0.01
    shown_db = (grey * 60.0 / 255.0).mean(0)
    sel = (g.depth_mm > centres[0]) & (g.depth_mm < centres[-1])
    flat = np.polyfit(g.depth_mm[sel] / 10.0, shown_db[sel], 1)[0]
    assert abs(flat) <= 0.5, flat


def _corr(a, b):
    """Correlation of two envelope patches, each depth row divided by its mean first (so
    the shared attenuation trend does not count as shared speckle)."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a = (a / a.mean(0, keepdims=True)).ravel()
    b = (b / b.mean(0, keepdims=True)).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def test_speckle_is_anchored_to_the_anatomy():
    """R3 anchoring: a still probe gives the same speckle (also on the next tick, with new
    receiver noise); an in-plane slide of a whole number of lines shifts it with the tissue;
    an elevational move of one slice thickness decorrelates it (< 0.3)."""
    world = phantom_world("muscle", "linear")
    freq, depth, focus = CASES["linear"]
    probe = probe_on_top(frequency=freq, depth=depth, focus=focus)
    a = render_ultrasound(world, state_with(probe))
    b = render_ultrasound(world, state_with(probe))
    c = render_ultrasound(world, state_with(probe, tick=1))
    g = a.geometry
    rows = slice(*np.searchsorted(g.depth_mm, [10.0, 40.0]))
    assert np.array_equal(a.image, b.image)
    assert _corr(a.envelope[40:216, rows], c.envelope[40:216, rows]) >= 0.99

    shift = 20  # lines; the linear array's lateral axis is world +z
    moved = probe_on_top(frequency=freq, depth=depth, focus=focus, z=shift * g.line_step)
    d = render_ultrasound(world, state_with(moved))
    assert _corr(a.envelope[40 + shift:216, rows], d.envelope[40:216 - shift, rows]) >= 0.9

    j = np.searchsorted(g.depth_mm, 25.0)
    thickness = g.elevation_fwhm_mm[j]
    rows = slice(*np.searchsorted(g.depth_mm, [20.0, 30.0]))
    away = probe_on_top(frequency=freq, depth=depth, focus=focus, x=-thickness)
    e = render_ultrasound(world, state_with(away))
    assert _corr(a.envelope[40:216, rows], e.envelope[40:216, rows]) < 0.3
    half = probe_on_top(frequency=freq, depth=depth, focus=focus, x=-thickness / 8)
    h = render_ultrasound(world, state_with(half))
    # gradual: an eighth of the slice keeps most of the pattern
    assert _corr(a.envelope[40:216, rows], h.envelope[40:216, rows]) > 0.5
    assert math.isfinite(float(a.envelope.sum()))
