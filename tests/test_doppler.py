"""Colour and power Doppler, and probe pressure, on the shipped scenarios' anatomy: the hip's
femoral artery and vein, and the ankle's anterior tibial artery, seen in short axis.

The probe is put on the skin over the vessel and fanned (tilted) so the beam meets the
vessel's axis at a chosen angle; the axis is measured here from the vessel mesh."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from conftest import REPO

from simulator.imaging.ultrasound import render_ultrasound
from simulator.imaging.ultrasound.doppler import alias
from simulator.imaging.ultrasound.flow import HEART_PERIOD_S
from simulator.probe import apply_settings, probe_axes
from simulator.state import Action
from simulator.step import initial_state, step

# (scenario, vessel, z of the section in mm, its companion vein)
CASES = {"hip": ("hip_anterior_us", "femoral_artery", 0.0, "femoral_vein"),
         "ankle": ("ankle_anterior_us", "anterior_tibial_artery", 10.0, None)}


@pytest.fixture(scope="module")
def worlds(hip_us_world):
    from simulator.loading import load_world

    return {"hip_anterior_us": hip_us_world,
            "ankle_anterior_us": load_world(REPO / "scenarios" / "ankle_anterior_us.yaml")}


def _structure(world, name):
    return next(s for s in world.anatomy.structures if s.name == name)


def _axis(vertices, centre, reach_mm=8.0):
    """Centre and unit axis of a vessel near ``centre`` (PCA of its mesh vertices)."""
    near = vertices[np.linalg.norm(vertices - centre, axis=1) < reach_mm]
    mid = near.mean(0)
    return mid, np.linalg.svd(near - mid)[2][0]


def _tilt_for(world, probe, axis, off_90_deg):
    """The fan tilt that puts the beam ``90 - off_90_deg`` degrees from ``axis``."""
    tilts = np.radians(np.linspace(-40.0, 40.0, 801))
    cosines = np.array([probe_axes(world, replace(probe, tilt_rad=t))[2] @ axis
                        for t in tilts])
    k = int(np.argmin(np.abs(cosines)))
    return float(tilts[k] + np.sign(np.gradient(cosines)[k]) * math.radians(off_90_deg))


def short_axis(world, name, z_mm, off_90_deg, **settings):
    """A state with the probe across the vessel, the beam at ``90 - off_90_deg`` degrees
    to its axis where the image plane cuts it, and the colour box centred on it."""
    v = _structure(world, name).vertices
    centre, axis = _axis(v, v[np.abs(v[:, 2] - z_mm) < 1.5].mean(0))
    state = initial_state(world)
    state, _ = step(world, state, Action(place_probe=(tuple(centre), (0.0, 1.0, 0.0),
                                                      math.pi / 2, 0.0)))
    probe = state.probe
    for _ in range(3):   # the fanned plane cuts a curving vessel elsewhere: follow it
        probe = replace(probe, tilt_rad=_tilt_for(world, probe, axis, off_90_deg))
        normal = probe_axes(world, probe)[1]          # the image plane's normal
        in_plane = np.abs((v - np.asarray(probe.contact_mm)) @ normal) < 1.0
        cut = v[in_plane & (np.linalg.norm(v - centre, axis=1) < 15.0)]
        centre, axis = _axis(v, cut.mean(0))
    probe = replace(probe, tilt_rad=_tilt_for(world, probe, axis, off_90_deg))
    depth = float((centre - np.asarray(probe.contact_mm)) @ probe_axes(world, probe)[2])
    values = {"doppler_mode": 1, "box_depth_mm": depth, "box_height_mm": 20.0,
              "box_width_mm": 16.0, "depth_mm": max(30.0, depth + 20.0),
              "doppler_scale_cm_s": 150.0, **settings}
    probe = apply_settings(probe, world.scenario.probe.preset, values.items())
    return replace(state, probe=probe)


def systole(state, world):
    """The tick of the next systolic peak (14 % into the cardiac cycle)."""
    period = HEART_PERIOD_S / world.dt_s
    return int(round((math.ceil(state.tick / period) + 0.14) * period))


def _label(world, name):
    return _structure(world, name).index


@pytest.mark.parametrize("case", sorted(CASES))
def test_colour_fills_the_lumen_and_stays_in_it_at_normal_gain(worlds, case):
    scenario, artery, z, _ = CASES[case]
    world = worlds[scenario]
    state = short_axis(world, artery, z, 25.0)
    frame = render_ultrasound(world, replace(state, tick=systole(state, world)))
    d = frame.doppler
    vessels = {s.index for s in world.anatomy.structures
               if s.tissue.key in ("arterial_blood", "venous_blood")}
    in_vessel = np.isin(frame.label, list(vessels))
    lumen = frame.label == _label(world, artery)
    i0, i1, j0, j1 = d.box
    assert lumen[i0:i1 + 1, j0:j1 + 1].sum() >= 10, "the box should hold the artery"
    assert d.shown.sum() > 0
    assert (d.shown & ~in_vessel).sum() == 0, "colour outside the vessels at normal gain"
    assert (d.shown & lumen).sum() >= 0.5 * lumen[i0:i1 + 1, j0:j1 + 1].sum()
    # the colour is in the image the trainee sees: red / blue pixels where the lumen is
    px = d.rgb.astype(int)
    chroma = np.abs(px[..., 0] - px[..., 2])
    assert (chroma > 60).sum() >= 0.3 * d.shown.sum() * (frame.image.size / d.shown.size)
    # at high gain the colour blooms past the lumen into the tissue around it
    loud = render_ultrasound(world, replace(state, tick=systole(state, world),
                                            probe=replace(state.probe, doppler_gain_db=18.0)))
    assert (loud.doppler.shown & ~in_vessel).sum() > 0.2 * (d.shown & lumen).sum()


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_colour_at_90_degrees(worlds, case):
    scenario, artery, z, _ = CASES[case]
    world = worlds[scenario]
    lumen_colour = []
    for off in (0.0, 25.0):
        state = short_axis(world, artery, z, off)
        frame = render_ultrasound(world, replace(state, tick=systole(state, world)))
        lumen = frame.label == _label(world, artery)
        i0, i1, j0, j1 = frame.doppler.box
        lumen[:i0], lumen[i1 + 1:], lumen[:, :j0], lumen[:, j1 + 1:] = False, False, False, False
        assert lumen.sum() >= 10, "the box should hold the artery"
        lumen_colour.append((frame.doppler.shown & lumen).sum() / lumen.sum())
    assert lumen_colour[0] <= 0.05, lumen_colour
    assert lumen_colour[1] >= 0.5, lumen_colour


def test_aliasing_above_the_scale_wraps_the_colour(worlds):
    scenario, artery, z, _ = CASES["hip"]
    world = worlds[scenario]
    state = short_axis(world, artery, z, 30.0)
    tick = systole(state, world)
    signs = {}
    for scale in (150.0, 12.0):
        s = replace(state, tick=tick, probe=replace(state.probe, doppler_scale_cm_s=scale))
        frame = render_ultrasound(world, s)
        d = frame.doppler
        lumen = (frame.label == _label(world, artery)) & d.shown
        true = d.axial_cm_s[lumen]
        # the scanner reads the true velocity wrapped into +-scale
        np.testing.assert_allclose(d.velocity_cm_s[lumen], alias(true, scale), atol=1e-3)
        signs[scale] = (np.sum(d.velocity_cm_s[lumen] > 0), np.sum(d.velocity_cm_s[lumen] < 0))
        if scale == 12.0:
            assert np.abs(true).max() > 2 * scale, "systolic flow should exceed the scale"
    up, down = signs[150.0]
    assert min(up, down) == 0, "below the Nyquist limit the flow has one colour"
    up, down = signs[12.0]
    assert min(up, down) >= 0.1 * (up + down), "aliasing shows both colours in the artery"
    # power Doppler has no direction and does not alias: the lumen is filled either way
    power = render_ultrasound(world, replace(state, tick=tick, probe=replace(
        state.probe, doppler_mode=2, doppler_scale_cm_s=12.0)))
    lumen = power.label == _label(world, artery)
    i0, i1, j0, j1 = power.doppler.box
    assert (power.doppler.shown & lumen).sum() >= 0.5 * lumen[i0:i1 + 1, j0:j1 + 1].sum()


def test_vein_collapses_under_pressure_artery_does_not(worlds):
    scenario, artery, z, vein = CASES["hip"]
    world = worlds[scenario]
    state = short_axis(world, artery, z, 20.0, doppler_mode=0, box_width_mm=30.0)
    diastole = systole(state, world) + int(0.6 * HEART_PERIOD_S / world.dt_s)
    rest = render_ultrasound(world, replace(state, tick=diastole))
    pressed = render_ultrasound(world, replace(state, tick=diastole,
                                               probe=replace(state.probe, pressure=1.0)))
    a, v = _label(world, artery), _label(world, vein)
    vein_ratio = (pressed.label == v).sum() / (rest.label == v).sum()
    artery_ratio = (pressed.label == a).sum() / (rest.label == a).sum()
    assert (rest.label == v).sum() > 100, "the view should show the femoral vein"
    assert vein_ratio <= 0.2, vein_ratio
    assert artery_ratio >= 0.95, artery_ratio
    # the B-mode shows it: where the vein's lumen was, tissue now
    closed = (rest.label == v) & (pressed.label != v)
    assert pressed.grey[closed].mean() >= rest.grey[closed].mean() + 20.0
    # and a collapsed vein has no colour
    colour = render_ultrasound(world, replace(state, tick=diastole, probe=replace(
        state.probe, pressure=1.0, doppler_mode=1, doppler_scale_cm_s=30.0)))
    assert (colour.doppler.shown & (rest.label == v)).sum() <= 0.2 * (rest.label == v).sum()


def test_artery_pulses_vein_flows_steadily(worlds):
    scenario, artery, z, vein = CASES["hip"]
    world = worlds[scenario]
    state = short_axis(world, artery, z, 25.0, box_width_mm=30.0)
    period = int(round(HEART_PERIOD_S / world.dt_s))
    a, v = _label(world, artery), _label(world, vein)
    peak = {a: [], v: []}
    area = []
    for tick in range(state.tick, state.tick + period, 2):
        frame = render_ultrasound(world, replace(state, tick=tick))
        for lab in (a, v):
            along = frame.doppler.axial_cm_s[frame.label == lab]
            peak[lab].append(along[np.argmax(np.abs(along))])
        area.append((frame.label == a).sum())
    art = np.array(peak[a]) * np.sign(peak[a][int(np.argmax(np.abs(peak[a])))])
    ven = np.abs(peak[v])
    # triphasic femoral flow: a sharp systolic peak, reversal in early diastole
    assert (art.max() - art.min()) / abs(art.mean()) >= 3.0, art
    assert art.min() < -0.1 * art.max(), art
    assert (ven.max() - ven.min()) / ven.mean() <= 0.5, ven
    # and the artery's lumen swells with each beat
    assert max(area) >= 1.03 * min(area)


def test_doppler_settings_are_clamped():
    from simulator.state import Probe

    p = apply_settings(Probe((0.0, 0.0, 0.0), (0.0, 1.0, 0.0), 0.0), "linear",
                       (("doppler_mode", 7.0), ("pressure", -3.0), ("box_width_mm", 1e6),
                        ("doppler_scale_cm_s", 0.0)))
    assert (p.doppler_mode, p.pressure, p.box_width_mm, p.doppler_scale_cm_s) == \
        (2, 0.0, 80.0, 2.0)


def test_app_keys_drive_doppler_and_pressure(tmp_path, monkeypatch, block_world,
                                             block_scenario):
    """M cycles the Doppler mode, H pressed is pressure (released: none), keypad 2 moves the box
    deeper, F8 lowers the scale: each through the logged probe settings."""
    driver = pytest.importorskip("app_driver")
    from simulator.app.loop import App

    pygame = driver.pygame
    monkeypatch.setattr(pygame.joystick, "Joystick", driver.FakeJoystick)
    app = App(block_world, scenario_path=block_scenario, results=tmp_path / "results", seed=7,
              scene_fps=60.0)
    try:
        d = driver.Driver(app)
        d.frames(2)
        before = app.state.probe
        d.tap(pygame.K_m)
        d.tap(pygame.K_KP2)
        d.tap(pygame.K_F8)
        p = app.state.probe
        assert p.doppler_mode == 1
        assert p.box_depth_mm == pytest.approx(before.box_depth_mm + 3.0)
        assert p.doppler_scale_cm_s < before.doppler_scale_cm_s
        d.key(pygame.K_h)
        d.frames(2)
        assert app.state.probe.pressure == 1.0
        d.key(pygame.K_h, False)
        d.frames(2)
        assert app.state.probe.pressure == 0.0
        d.tap(pygame.K_m)
        assert app.state.probe.doppler_mode == 2
    finally:
        app.close("test over")


def test_a_log_replays_the_doppler_frames(worlds, tmp_path):
    """The Doppler settings and the press are probe state set by logged actions, and flow
    is a function of session time: a replayed log shows the same colour frame."""
    from simulator.log import read_log
    from simulator.replay import replay
    from simulator.session import Session

    world = worlds["hip_anterior_us"]
    target = short_axis(world, "femoral_artery", 0.0, 25.0).probe
    session = Session(world, log_path=tmp_path / "log.jsonl", signer=None)
    session.step(Action(place_probe=(target.contact_mm, target.normal, target.rotation_rad,
                                     target.tilt_rad)))
    session.step(Action(probe_settings=(("doppler_mode", 1.0),
                                        ("box_depth_mm", target.box_depth_mm),
                                        ("doppler_scale_cm_s", 30.0))))
    for n in range(40):
        session.step(Action(probe_settings=(("pressure", float(10 <= n < 20)),)))
    live = session.state
    session.close()
    replayed = replay(read_log(tmp_path / "log.jsonl"), world).final_state
    assert replayed.probe == live.probe and replayed.tick == live.tick
    a = render_ultrasound(world, live).doppler
    b = render_ultrasound(world, replayed).doppler
    assert a.shown.any()
    np.testing.assert_array_equal(a.rgb, b.rgb)
