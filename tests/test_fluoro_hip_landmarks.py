"""The AP hip fluoroscopy shows the real bones' landmarks where they project: the femoral
head as a dense disc, and an edge (a jump in the line integrals) at the teardrop, the greater
trochanter's tip and the head's lateral margin; the obturator foramen as a window of thin
tissue between the pubic and ischial rami."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.imaging.fluoro import render_fluoro
from simulator.loading import load_world
from simulator.step import initial_state


@pytest.fixture(scope="module")
def shot():
    world = load_world("hip_ap_fluoro", seed=0)
    frame = render_fluoro(world, initial_state(world), seed=0)
    return world, frame


def _pixel(frame, point):
    col, row = frame.projection.project([np.asarray(point, float)])[0]
    return int(round(row)), int(round(col))


def _edge(frame, point, radius=3) -> float:
    """Largest line-integral gradient within ``radius`` pixels of the projected ``point``."""
    gy, gx = np.gradient(frame.line_integrals.astype(float))
    r, c = _pixel(frame, point)
    return float(np.hypot(gx, gy)[r - radius:r + radius + 1, c - radius:c + radius + 1].max())


def test_landmarks_project_onto_edges(shot):
    world, frame = shot
    marks = world.anatomy.landmarks
    gy, gx = np.gradient(frame.line_integrals.astype(float))
    typical = float(np.median(np.hypot(gx, gy)[frame.exposed]))
    for name in ("teardrop", "greater_trochanter_tip"):
        assert _edge(frame, marks[name]) > 3.0 * typical, name
    # the head's outline (radius from the head-neck junction's distance): an edge on most of
    # the circle, where the acetabulum and the neck do not run along it
    head = marks["femoral_head_center"]
    r = np.linalg.norm(marks["femoral_head_neck_junction"] - head)
    ring = [head + r * np.array([np.cos(a), 0.0, np.sin(a)])
            for a in np.radians(np.arange(0.0, 360.0, 10.0))]
    on_edge = [_edge(frame, q, radius=4) > 3.0 * typical for q in ring]
    assert np.mean(on_edge) > 0.5


def test_head_is_dense_and_obturator_foramen_is_a_window(shot):
    world, frame = shot
    marks = world.anatomy.landmarks
    li = frame.line_integrals
    head = marks["femoral_head_center"]
    # the head (with the acetabulum over it) against the soft tissue lateral of the trochanter
    gt = marks["greater_trochanter_tip"]
    soft = gt + np.sign(head[0]) * np.array([30.0, 0.0, 0.0])
    assert li[_pixel(frame, head)] > li[_pixel(frame, soft)] + 0.3
    # the foramen: between the pubic tubercle and the ischial tuberosity, below the teardrop;
    # thinner than the rami above (superior ramus) and below (ischial tuberosity)
    foramen = 0.5 * (marks["pubic_tubercle"] + marks["ischial_tuberosity"])
    foramen[2] = 0.5 * (marks["teardrop"][2] + marks["ischial_tuberosity"][2])
    assert li[_pixel(frame, foramen)] < li[_pixel(frame, marks["ischial_tuberosity"])]
