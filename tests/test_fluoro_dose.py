"""Dose bookkeeping against hand-computed sequences (fluoroscopy.md s.5, D1-D3).

Hand model: Ka,r per pulse = 0.15 mGy/s x 2^((thickness - 220 mm) / 32 mm) / 7.5 pulses/s
(halved in low-dose mode); KAP = Ka,r x (field at the detector x (SIC - 150) / SID)^2; a
shot costs 10 pulses. Pulses fire on the first tick of fluoroscopy and then every 1/7.5 s.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from fluoro_phantoms import block_world

from simulator import carm as carm_model
from simulator.state import Action
from simulator.step import initial_state, step


def per_pulse(thickness_mm, low_dose=False):
    k = 0.15 * 2.0 ** ((thickness_mm - 220.0) / 32.0) / 7.5
    return k / 2 if low_dose else k


def area_cm2(field_mm, sic=600.0, sid=1000.0):
    return (field_mm * (sic - 150.0) / sid / 10.0) ** 2


def run(world, state, action, ticks):
    events = []
    for _ in range(ticks):
        state, ev = step(world, state, action)
        events += ev
    return state, events


@pytest.fixture(scope="module")
def block(tmp_path_factory):
    return block_world(tmp_path_factory, 80.0)


@pytest.fixture(scope="module")
def thick_block(tmp_path_factory):
    return block_world(tmp_path_factory, 112.0)


def test_thickness_on_the_central_ray(block, thick_block):
    for world, mm in ((block, 80.0), (thick_block, 112.0)):
        c = initial_state(world).carm
        g = carm_model.geometry(world, c, world.scenario.carm)
        assert carm_model.patient_thickness_mm(world, g) == pytest.approx(mm, abs=1e-6)


def test_pulsed_fluoroscopy_shots_and_collimation(block):
    w = block
    s = initial_state(w)
    assert s.carm.field_mm == carm_model.DEFAULT_FIELD_MM == 220.0
    k = per_pulse(80.0)
    # 2 s of fluoroscopy at 7.5 pulses/s: 15 pulses
    s, ev = run(w, s, Action(beam_on=True), 120)
    d = s.dose
    assert d.fluoro_time_s == pytest.approx(2.0)
    assert d.frames == 15 and d.spots == 0
    assert d.kerma_mgy == pytest.approx(15 * k, rel=1e-9)
    assert d.kap_ugym2 == pytest.approx(15 * k * area_cm2(220.0) / 10.0, rel=1e-9)
    assert s.carm.beam_on and d.last_frame_tick == 112  # pulse 15 fires at tick 112
    # release, then one shot (10 pulses' worth)
    s, ev = run(w, s, Action(), 1)
    assert not s.carm.beam_on and any(e.kind == "fluoro_off" for e in ev)
    kap_before = s.dose.kap_ugym2
    s, ev = run(w, s, Action(shot=True), 1)
    d = s.dose
    assert d.spots == 1 and d.frames == 16 and d.fluoro_time_s == pytest.approx(2.0)
    assert d.kerma_mgy == pytest.approx(25 * k, rel=1e-9)
    assert d.kap_ugym2 - kap_before == pytest.approx(10 * k * area_cm2(220.0) / 10.0)
    # collimate to 100 mm, 1 more second: pulses 16..23 (8) at the smaller field
    s, _ = run(w, s, Action(carm_settings=(("field_mm", 100.0),)), 1)
    kap_before = s.dose.kap_ugym2
    s, _ = run(w, s, Action(beam_on=True), 60)
    d = s.dose
    assert d.fluoro_time_s == pytest.approx(3.0)
    assert d.frames == 24
    assert d.kerma_mgy == pytest.approx(33 * k, rel=1e-9)
    assert d.kap_ugym2 - kap_before == pytest.approx(8 * k * area_cm2(100.0) / 10.0)


def test_thicker_patient_and_low_dose(block, thick_block):
    doses = []
    for world in (block, thick_block):
        s, _ = run(world, initial_state(world), Action(beam_on=True), 60)
        doses.append(s.dose)
    assert doses[0].frames == doses[1].frames == 8
    # 32 mm more tissue = one half-value layer: twice the kerma and KAP
    assert doses[1].kerma_mgy / doses[0].kerma_mgy == pytest.approx(2.0, rel=1e-9)
    assert doses[1].kap_ugym2 / doses[0].kap_ugym2 == pytest.approx(2.0, rel=1e-9)
    s = initial_state(block)
    s = replace(s, carm=replace(s.carm, low_dose=True))
    s, _ = run(block, s, Action(beam_on=True), 60)
    assert s.dose.kerma_mgy == pytest.approx(8 * per_pulse(80.0, low_dose=True), rel=1e-9)


def test_pulse_rate_sets_the_dose_rate(block):
    spec = block.scenario.carm
    c = initial_state(block).carm
    rate = carm_model.kerma_rate_mgy_s(spec, c, 220.0)
    fast = spec.model_copy(update={"pulse_rate_hz": 15.0})
    assert rate == pytest.approx(0.15)
    assert carm_model.kerma_per_pulse_mgy(fast, c, 220.0) == pytest.approx(0.02)
    assert carm_model.kerma_rate_mgy_s(fast, c, 220.0) == pytest.approx(0.30)
    # the regulatory ceiling, 88 mGy/min at the reference pulse rate
    assert carm_model.kerma_rate_mgy_s(spec, c, 600.0) == pytest.approx(88.0 / 60.0)


def test_field_area_and_intensifier(block):
    spec = block.scenario.carm
    c = initial_state(block).carm
    assert carm_model.field_area_cm2(spec, replace(c, field_mm=160.0)) == pytest.approx(51.84)
    assert carm_model.field_area_cm2(spec, replace(c, field_mm=999.0)) == pytest.approx(
        area_cm2(300.0))
    # square clipped by a circle: fully inside, fully containing, and in between
    assert carm_model.square_in_circle_area(10.0, 20.0) == pytest.approx(100.0)
    assert carm_model.square_in_circle_area(30.0, 20.0) == pytest.approx(math.pi * 100.0)
    import numpy as np

    rng = np.random.default_rng(0)
    p = rng.uniform(-10, 10, (400_000, 2))
    inside = (np.abs(p) <= 8.0).all(1) & ((p ** 2).sum(1) <= 100.0)
    assert carm_model.square_in_circle_area(16.0, 20.0) == pytest.approx(
        inside.mean() * 400.0, rel=0.01)


def test_calibration_against_clinical_anchors():
    """Collimated to the typical clinical field, a 22 cm hip: 26 s lands at ~20 uGy.m2 and
    3.9 mGy (population mean), 12 s at ~1.8 mGy (the dose-minimising expert, 1.9 mGy)."""
    from simulator.scenario import CArmSpec
    from simulator.state import CArm, Dose

    spec = CArmSpec()
    c = CArm(0.0, 0.0, (0.0, 0.0, 0.0), carm_model.TYPICAL_FIELD_MM)
    d, _, _ = carm_model.expose(Dose(), spec, c, 220.0, 26.0 * 7.5, 0)
    assert d.kap_ugym2 == pytest.approx(20.4, rel=0.1)
    assert d.kerma_mgy == pytest.approx(3.9, rel=0.05)
    d, _, _ = carm_model.expose(Dose(), spec, c, 220.0, 12.0 * 7.5, 0)
    assert d.kerma_mgy == pytest.approx(1.9, rel=0.1)
    # the starting field: continuous rates inside fluoroscopy.md D2 (8-10 mGy/min,
    # 8-16 mGy.cm2/s, ~100 cm2 at the dose plane)
    start = replace(c, field_mm=carm_model.DEFAULT_FIELD_MM)
    assert 8.0 <= carm_model.kerma_rate_mgy_s(spec, start, 220.0) * 60 <= 10.0
    assert carm_model.field_area_cm2(spec, start) == pytest.approx(100.0, rel=0.05)
    kap_rate = carm_model.kerma_rate_mgy_s(spec, start, 220.0) * carm_model.field_area_cm2(
        spec, start)
    assert 8.0 <= kap_rate <= 16.0


def test_each_pedal_tap_fires_a_pulse(block):
    """Short taps each expose a frame (pulses are timed from the press, not a global clock)."""
    world, thickness = block, 80.0
    state = initial_state(world)
    for _ in range(5):
        state, _ = run(world, state, Action(beam_on=True), 1)
        state, _ = run(world, state, Action(), 3)
    assert state.dose.frames == 5
    assert state.dose.fluoro_time_s == pytest.approx(5 * world.dt_s)
    assert state.dose.kerma_mgy == pytest.approx(5 * per_pulse(thickness), rel=1e-9)
